"""Checkers for notebooks/08_initialization.ipynb: symmetry between units, and the Xavier scale.

Two exercises: how many distinct units a weight matrix has (``check_distinct_units``: the
columns of ``W``, compared whole) and the standard deviation Xavier/Glorot initialisation
gives each weight (``check_xavier_std``). Each recognises the usual mistakes (counting rows,
entries or duplicates instead of distinct columns, ``len`` of a 2-D array, comparing only a
part of each column: its first weight, its sum or its sorted values; the variance for the
standard deviation, He's or LeCun's fan-in rule, the uniform bound, missing parentheses) and
names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..instruments.initialization import unit_groups
from ._check import CheckResult, as_given, correct, incorrect, run_answer

__all__ = ["SYMMETRY_W", "check_distinct_units", "check_xavier_std", "xavier_std_cases"]


def _with_copies(groups: list[list[int]], rows: int, seed: int) -> np.ndarray:
    """A (rows, units) matrix whose columns in each group are exact copies of each other.

    Its last row repeats its first, so counting distinct rows, counting all rows and
    counting distinct columns give three different numbers.
    """
    rng = np.random.default_rng(seed)
    units = sum(len(g) for g in groups)
    W = np.empty((rows, units))
    for group in groups:
        W[:, group] = rng.normal(size=(rows, 1)).round(2)  # one column, copied
    W[-1] = W[0]
    return W


#: Exercise 1's matrix, W (6 inputs, 7 units): units 0, 2, 5, 6 are copies, so are 1 and 4.
SYMMETRY_W = _with_copies([[0, 2, 5, 6], [1, 4], [3]], rows=6, seed=8)


def _near_copies() -> np.ndarray:
    """An (8, 7) matrix of 6 distinct units whose columns share their first weight, their sum or
    their sorted values without being equal: comparing less than whole columns miscounts.

    Columns: a, a with rows 1-7 shuffled, a with two entries moved by +-0.5 (same first weight,
    same sum), b, b again, and two columns with b's sum but another first weight. Every entry
    is a multiple of 0.25, so equal sums are exactly equal.
    """
    a = np.array([1.25, -0.5, 2.0, 0.75, -1.5, 0.25, -1.0, 1.75])
    b = np.array([-0.25, 1.5, -2.25, 0.5, 1.0, -0.75, 2.5, 0.0])
    shuffled = a[[0, 3, 1, 4, 2, 7, 5, 6]]
    moved = a + np.array([0.0, 0.5, 0.0, -0.5, 0.0, 0.0, 0.0, 0.0])
    c = b + np.array([0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    e = b + np.array([-0.75, 0.0, 0.0, 0.0, 0.0, 0.0, 0.75, 0.0])
    return np.stack([a, shuffled, moved, b, b, c, e], axis=1)  # 6 distinct units


def _symmetry_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(80)
    return [
        SYMMETRY_W,
        _with_copies([[0, 8], [1, 3, 5], [2], [4, 6, 7]], rows=7, seed=9),  # (7, 9): 4
        rng.normal(size=(3, 4)),  # random: every unit its own
        np.full((2, 3), 0.5),  # constant: one unit, copied
        _near_copies(),  # (8, 7): 6, though first weights, sums or sorted columns say less
    ]


def check_distinct_units(count_distinct_units: Callable) -> CheckResult:
    """Check ``count_distinct_units(W) -> int``: the number of different columns of ``W``.

    ``W`` is (in_features, units); unit ``j``'s incoming weights are the column ``W[:, j]``,
    and two units are copies when their whole columns are equal.
    """
    first = None  # the first case's answer, to recognise one written in by hand
    for W in _symmetry_cases():
        value, problem = run_answer(count_distinct_units, W.copy(), what="`count_distinct_units`")
        if problem is not None:
            return problem
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return incorrect(f"return a number (an int), got {type(value).__name__}")
        if arr.size != 1:
            return incorrect(
                f"you returned an array of shape {arr.shape}; return one number, how many "
                "distinct columns there are (e.g. np.unique(W, axis=1).shape[1])"
            )
        got = float(arr.reshape(()))
        groups = unit_groups(W, tol=0.0)
        want = len(groups)
        first = want if first is None else first
        if got == want:
            continue
        if got == first:
            return incorrect(
                f"you get the same answer, {as_given(got)}, for a W of shape {W.shape} as for the "
                "example: compute the count from W rather than writing it in"
            )
        rows, units = W.shape
        mistakes = {
            "that counts the distinct *rows* (inputs); a unit is a column of W (its incoming "
            "weights): compare columns, axis=1": len(unit_groups(W.T, tol=0.0)),
            "that counts the distinct *entries*; a unit is a whole column: two units are "
            "copies only when every weight of their columns agrees (np.unique(W, axis=1))": (
                np.unique(W).size
            ),
            "that is the number of columns; some of them are copies of others, count each "
            "different column once": units,
            "len() of a 2-D array counts its rows: np.unique(W, axis=1) keeps every row and "
            "drops repeated columns, so take its .shape[1]": rows,
            "that is the number of units that copy an earlier one; the exercise asks how many "
            "different units there are": units - want,
            "that counts the groups of copies but leaves out the units without a copy; each "
            "of those is a distinct unit too": sum(len(g) > 1 for g in groups),
            "that compares only the first weight of each unit (W[0]); two units are copies "
            "only when every weight of their columns agrees (np.unique(W, axis=1))": len(
                np.unique(W[0])
            ),
            "that compares a summary of each column (its sum or mean); different columns can "
            "share one: compare the whole columns (np.unique(W, axis=1))": len(
                np.unique(W.sum(axis=0))
            ),
            "that compares each column's sorted values; the same weights on other inputs make "
            "another unit: compare the columns as they are (np.unique(W, axis=1))": (
                np.unique(np.sort(W, axis=0), axis=1).shape[1]
            ),
        }
        for hint, wrong in mistakes.items():
            if got == wrong:
                return incorrect(hint)
        return incorrect(
            f"count_distinct_units(W) returned {as_given(got)} for a W of shape {W.shape}; "
            f"expected {want}"
        )
    return correct(
        "correct! units with equal columns compute the same function, get the same gradient "
        "and stay copies: such a layer is only as wide as its number of distinct columns"
    )


# ---- 2. the Xavier standard deviation ----


def xavier_std_cases() -> list[tuple[int, int]]:
    """The (fan_in, fan_out) pairs ``check_xavier_std`` tries, in order.

    Every mistake it knows gives a different wrong value on the first pair, so the first
    pair alone names it; the square layer (64, 64), where LeCun's and Xavier's rules agree,
    comes later.
    """
    return [(30, 50), (784, 10), (64, 64), (2, 16)]


def _close(a: float, b: float) -> bool:
    """Equal to 4 significant digits or better (sqrt(2) written as 1.4142 passes); the
    mistakes' values all differ from the answer by more, in the cases where they are tried."""
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-15)


def check_xavier_std(xavier_std: Callable) -> CheckResult:
    """Check ``xavier_std(fan_in, fan_out) -> float`` = sqrt(2 / (fan_in + fan_out))."""
    first = None  # the first case's answer, to recognise one written in by hand
    for fan_in, fan_out in xavier_std_cases():
        args = (fan_in, fan_out)
        value, problem = run_answer(xavier_std, *args, what="`xavier_std`")
        if problem is not None:
            return problem
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return incorrect(f"xavier_std should return a number, got {type(value).__name__}")
        if arr.size != 1:
            return incorrect(f"xavier_std should return one number, got shape {arr.shape}")
        got = float(arr.reshape(()))
        want = math.sqrt(2.0 / (fan_in + fan_out))
        first = want if first is None else first
        if _close(got, want):
            continue
        if _close(got, first):
            return incorrect(
                f"you get the same answer, {got:.6g}, for fan_in={fan_in}, fan_out={fan_out} as "
                "for the first layer tried: compute it from fan_in and fan_out"
            )
        total = fan_in + fan_out
        mistakes = {
            "that is the variance; the standard deviation is its square root: "
            "sqrt(2 / (fan_in + fan_out))": 2.0 / total,
            "sqrt(2 / fan_in) is He's standard deviation, for ReLU layers (which zero half "
            "their inputs); Xavier uses both fans: sqrt(2 / (fan_in + fan_out))": math.sqrt(
                2.0 / fan_in
            ),
            "sqrt(1 / fan_in) keeps only the forward pass steady (LeCun); Xavier also keeps "
            "the backward pass steady and compromises: sqrt(2 / (fan_in + fan_out))": math.sqrt(
                1.0 / fan_in
            ),
            "sqrt(1 / fan_out) is the backward condition alone; Xavier averages the two fans: "
            "sqrt(2 / (fan_in + fan_out))": math.sqrt(1.0 / fan_out),
            "sqrt(6 / (fan_in + fan_out)) is the bound a of Xavier's *uniform* U(-a, a); its "
            "standard deviation is a / sqrt(3) = sqrt(2 / (fan_in + fan_out))": math.sqrt(
                6.0 / total
            ),
            "almost: the variance 1 / ((fan_in + fan_out) / 2) has a 2 on top, so the "
            "standard deviation is sqrt(2 / (fan_in + fan_out))": math.sqrt(1.0 / total),
            "take the square root of the whole fraction: sqrt(2 / (fan_in + fan_out)), not "
            "2 / sqrt(fan_in + fan_out)": 2.0 / math.sqrt(total),
            "take the square root of the whole fraction: sqrt(2 / (fan_in + fan_out)), not "
            "sqrt(2) / (fan_in + fan_out)": math.sqrt(2.0) / total,
            "use the sum of the fans, not their product: sqrt(2 / (fan_in + fan_out))": math.sqrt(
                2.0 / (fan_in * fan_out)
            ),
            "put the sum in parentheses: 2 / fan_in + fan_out divides by fan_in only; "
            "sqrt(2 / (fan_in + fan_out))": math.sqrt(2.0 / fan_in + fan_out),
        }
        for hint, wrong in mistakes.items():
            if _close(got, wrong):
                return incorrect(hint)
        return incorrect(f"xavier_std{args} returned {got:.6g}; expected {want:.6g}")
    return correct(
        "correct! std = sqrt(2 / (fan_in + fan_out)): for a 784 -> 10 layer that is "
        f"{math.sqrt(2 / 794):.4f}, what bl.nn.init.xavier_normal draws with"
    )
