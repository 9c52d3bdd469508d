"""Checkers for notebooks/09_data_and_batches.ipynb: scaling, epochs and stopping.

Three exercises: standardise a training and a test set without leaking
(``check_standardize``), count the steps in an epoch (``check_steps_per_epoch``) and write
a relative-improvement stopping rule (``check_stop_epoch``). Each recognises the usual
mistakes (statistics from all the data or from the test set, the wrong axis, floor instead
of ceiling, an index counted from 0, an absolute instead of a relative improvement) and
names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..instruments.stopping import relative_improvement_epoch
from ._check import CheckResult, as_given, correct, incorrect, not_attempted, run_answer

__all__ = ["check_standardize", "check_steps_per_epoch", "check_stop_epoch"]


def _call(fn: Callable, *args, what: str):
    """Call a learner's function after the first case: None is an answer here, not a stub."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, not_attempted(what)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a hint
        return None, incorrect(f"{what} raised {type(exc).__name__}: {exc}")


def _as_number(value) -> float | None:
    """A learner's number (int, float, numpy scalar, 0-d array) as a float; None otherwise."""
    if isinstance(value, (str, bytes, bool)):
        return None
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None


# ---- 1. standardise without leaking ----


def _standardized_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Two (X_train, X_test) pairs of different sizes whose test statistics differ."""
    rng = np.random.default_rng(9)
    cases = []
    for n_train, n_test, scales, offsets in [
        (30, 10, [1000.0, 1.0, 0.01], [2000.0, 3.0, -0.5]),
        (12, 25, [5.0, 40.0], [0.0, 100.0]),
    ]:
        scales, offsets = np.array(scales), np.array(offsets)
        X_train = offsets + scales * rng.standard_normal((n_train, len(scales)))
        # the test rows come from a shifted, wider distribution: their own statistics differ
        X_test = offsets + scales * (0.7 + 1.6 * rng.standard_normal((n_test, len(scales))))
        cases.append((X_train, X_test))
    return cases


def _scale(X, mean, std):
    return (X - mean) / std


def check_standardize(standardize: Callable) -> CheckResult:
    """Check ``standardize(X_train, X_test) -> (X_train_std, X_test_std)``.

    Both parts scaled with the training columns' mean and standard deviation:
    X' = (X - mean_train) / std_train (np.std's ddof=0; the sample std, ddof=1, is accepted).
    """
    what = "`standardize_split`"
    for k, (X_train, X_test) in enumerate(_standardized_cases()):
        train_in, test_in = X_train.copy(), X_test.copy()
        if k == 0:
            answer, problem = run_answer(standardize, train_in, test_in, what=what)
        else:
            answer, problem = _call(standardize, train_in, test_in, what=what)
        if problem is not None:
            return problem
        if not (np.array_equal(train_in, X_train) and np.array_equal(test_in, X_test)):
            return incorrect(
                "your function changed X_train or X_test in place; compute new arrays "
                "(X - mean) / std instead of writing into the inputs"
            )
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return incorrect(
                "return two arrays, the standardised training set and the standardised test "
                f"set: `return X_train_std, X_test_std` (got {type(answer).__name__})"
            )
        try:
            got_train = np.asarray(answer[0], dtype=np.float64)
            got_test = np.asarray(answer[1], dtype=np.float64)
        except (TypeError, ValueError):
            return incorrect("both parts of your answer should be arrays of numbers")
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        expected = [_scale(X_train, mean, std), _scale(X_test, mean, std)]
        sample = [_scale(X_train, mean, X_train.std(axis=0, ddof=1)),
                  _scale(X_test, mean, X_train.std(axis=0, ddof=1))]  # fmt: skip

        def same(a, b):
            return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)

        if same(got_train, expected[0]) and same(got_test, expected[1]):
            continue
        if same(got_train, sample[0]) and same(got_test, sample[1]):
            continue
        both = np.vstack([X_train, X_test])
        pooled = (both.mean(axis=0), both.std(axis=0))
        mistakes = [
            ("the test rows leaked into the statistics: the mean and std must come from "
             "X_train alone (a model in use never sees its test data in advance)",
             [_scale(X_train, *pooled), _scale(X_test, *pooled)]),
            ("the training part is right, but the test set was scaled with its *own* mean and "
             "std; use the training statistics for both, so the same input always maps to "
             "the same value", [expected[0], _scale(X_test, X_test.mean(0), X_test.std(0))]),
            ("swapped: return the training part first, then the test part",
             [expected[1], expected[0]]),
            ("that is one mean and one std for the whole array; standardise each column "
             "(feature) on its own: mean(axis=0), std(axis=0)",
             [_scale(X_train, X_train.mean(), X_train.std()),
              _scale(X_test, X_train.mean(), X_train.std())]),
            ("you subtracted the mean but did not divide by the standard deviation",
             [X_train - mean, X_test - mean]),
            ("you divided by the standard deviation but did not subtract the mean first",
             [X_train / std, X_test / std]),
            ("that divides by the variance; divide by the standard deviation, its square root",
             [_scale(X_train, mean, std**2), _scale(X_test, mean, std**2)]),
            ("that is min-max scaling to [0, 1]; standardising means (X - mean) / std",
             [(X_train - X_train.min(0)) / np.ptp(X_train, 0),
              (X_test - X_train.min(0)) / np.ptp(X_train, 0)]),
        ]  # fmt: skip
        for hint, (wrong_train, wrong_test) in mistakes:
            if same(got_train, wrong_train) and same(got_test, wrong_test):
                return incorrect(hint)
        if got_train.shape != X_train.shape or got_test.shape != X_test.shape:
            return incorrect(
                f"for X_train {X_train.shape} and X_test {X_test.shape} you returned shapes "
                f"{got_train.shape} and {got_test.shape}; each part keeps its own shape"
            )
        rows = _scale(X_train, X_train.mean(1, keepdims=True), X_train.std(1, keepdims=True))
        if same(got_train, rows):
            return incorrect("that standardises each row; each column (feature) should be: axis=0")
        if not same(got_train, expected[0]):
            return incorrect(
                "the training part is not (X_train - mean) / std with the training columns' "
                "mean and std (axis=0); check it has mean 0 and std 1 in every column"
            )
        return incorrect(
            "the training part is right; the test part should use the same training mean and "
            "std: (X_test - mean_train) / std_train"
        )
    return correct(
        "correct! Both parts use the training statistics only, so nothing about the test set "
        "leaks into the preprocessing (and new data is scaled the same way)"
    )


# ---- 2. the number of steps in an epoch ----

_EPOCH_CASES = [(200, 32), (1000, 100), (50, 64), (7, 1), (60000, 128), (101, 10), (10, 10)]


def check_steps_per_epoch(steps_per_epoch: Callable) -> CheckResult:
    """Check ``steps_per_epoch(n, batch_size) -> int``: ceil(n / batch_size).

    One epoch visits every row once; the last batch holds the rows left over (fewer than
    batch_size) and is a step too, as in ``fit`` and torch's ``drop_last=False``.
    """
    what = "`steps_per_epoch`"
    for k, (n, B) in enumerate(_EPOCH_CASES):
        if k == 0:
            value, problem = run_answer(steps_per_epoch, n, B, what=what)
        else:
            value, problem = _call(steps_per_epoch, n, B, what=what)
            if problem is None and value is None:
                problem = incorrect(f"steps_per_epoch({n}, {B}) returned None; return a number")
        if problem is not None:
            return problem
        v = _as_number(value)
        if v is None:
            return incorrect(f"steps_per_epoch should return one number, got {value!r}")
        expected = math.ceil(n / B)
        if v == expected:
            continue
        if v == n // B:
            return incorrect(
                f"for n = {n}, B = {B} you returned {n // B} = n // B, which drops the last, "
                f"smaller batch of {n % B} rows; that batch is a step too, so round *up*"
            )
        if not v.is_integer():
            return incorrect(
                f"for n = {n}, B = {B} you returned {as_given(v)}: a number of steps is a whole "
                "number; the last batch may be smaller, but it is one step (round up)"
            )
        if v == n // B + 1 and n % B == 0:
            return incorrect(
                f"for n = {n}, B = {B} the batches fit exactly ({n // B} of {B} rows): no "
                "leftover batch; use math.ceil(n / batch_size)"
            )
        if v == n:
            return incorrect("that is one step per example; a step uses a whole batch of rows")
        return incorrect(
            f"for n = {n} rows and batches of {B} you returned {as_given(v)}; an epoch takes "
            f"{expected} steps. How many batches of {B} does it take to cover {n} rows?"
        )
    return correct("correct! ceil(n / B) steps per epoch: the last batch holds the rows left over")


# ---- 3. a stopping rule ----

_STOP_CASES = [
    ([1.0, 0.6, 0.4, 0.3, 0.25, 0.24, 0.239, 0.2385], 0.01),
    ([100.0, 60.0, 40.0, 30.0, 25.0, 24.0, 23.9, 23.85], 0.01),  # absolute changes are large
    ([10.0, 8.0, 7.0, 6.35, 6.0], 0.1),  # dividing by L_t instead of L_{t-1} differs here
    ([8.0, 4.0, 2.0, 1.0, 0.5], 0.1),  # never fires
    ([1.0, 0.5, 0.6, 0.3], 0.1),  # the loss rises at epoch 3: that is no improvement
    (
        [1.0, 0.5, 0.25, 0.2],
        0.5,
    ),  # improvements of exactly tol (0.5, exact in binary) are not below it
]


_ABSOLUTE = (
    "that is where the *absolute* improvement L_{t-1} - L_t drops below tol; divide it by "
    "the previous loss L_{t-1}, so the rule does not depend on the loss's units"
)


def check_stop_epoch(stop_epoch: Callable) -> CheckResult:
    """Check ``stop_epoch(losses, tol) -> int or None``: the relative-improvement rule.

    losses[0] is epoch 1's loss. The answer is the first epoch t >= 2 with
    (L_{t-1} - L_t) / L_{t-1} < tol (a rising loss counts), or None if there is none.
    """
    what = "`stop_epoch`"
    for k, (losses, tol) in enumerate(_STOP_CASES):
        if k == 0:
            value, problem = run_answer(stop_epoch, list(losses), tol, what=what)
        else:
            value, problem = _call(stop_epoch, list(losses), tol, what=what)
        if problem is not None:
            return problem
        expected = relative_improvement_epoch(losses, tol)
        shown = f"for losses = {losses} and tol = {tol}"
        steps = range(2, len(losses) + 1)
        absolute = next((t for t in steps if losses[t - 2] - losses[t - 1] < tol), None)
        by_current = next(
            (t for t in steps if (losses[t - 2] - losses[t - 1]) / losses[t - 1] < tol), None
        )
        if value is None:
            if expected is None:
                continue
            if absolute is None:
                return incorrect(f"{shown} you returned None: {_ABSOLUTE}")
            return incorrect(
                f"{shown} you returned None, but the loss improves by less than tol at epoch "
                f"{expected}"
                + (
                    ": a loss that goes *up* has improved by less than tol too"
                    if losses[expected - 1] > losses[expected - 2]
                    else ""
                )  # fmt: skip
            )
        v = _as_number(value)
        if v is None:
            return incorrect(f"stop_epoch should return an epoch number or None, got {value!r}")
        if expected is None:
            if v in (len(losses), -1, 0, len(losses) + 1):
                return incorrect(
                    f"{shown} the rule never fires; return None in that case (you returned "
                    f"{v:g}, which reads as an epoch)"
                )
            return incorrect(f"{shown} the rule never fires (every epoch improves by >= tol)")
        if v == expected:
            continue
        at_most = next(
            (t for t in steps if (losses[t - 2] - losses[t - 1]) / losses[t - 2] <= tol), None
        )
        if v == at_most:
            return incorrect(
                f"{shown} you returned {v:g}, where the improvement is exactly tol; the rule "
                "stops only *below* tol: use <, not <="
            )
        if v == expected - 1:
            return incorrect(
                f"{shown} you returned {v:g}, one too early: epochs are numbered from 1 "
                "(losses[0] is epoch 1), and the rule stops at the epoch t whose improvement "
                "over epoch t - 1 was small"
            )
        if v == 2 and expected != 2:
            return incorrect(
                f"{shown} you stop at epoch 2: check the sign, the improvement is "
                "L_{t-1} - L_t (positive while the loss falls)"
            )
        if absolute is not None and v == absolute:
            return incorrect(f"{shown} you returned {v:g}: {_ABSOLUTE}")
        if by_current is not None and v == by_current:
            return incorrect(
                f"{shown} you divided by the new loss L_t; the relative improvement divides by "
                "the previous one, (L_{t-1} - L_t) / L_{t-1}"
            )
        return incorrect(
            f"{shown} you returned {as_given(v)}; the rule fires at epoch {expected}. Compute "
            "(L_{t-1} - L_t) / L_{t-1} for t = 2, 3, ... and stop at the first one below tol"
        )
    return correct(
        "correct! Relative improvement below tol: simple, unit-free, and fooled by a plateau"
    )
