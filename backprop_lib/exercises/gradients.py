"""Checkers for notebooks/05_vanishing_gradients.ipynb: why gradients vanish, and the cures.

Four exercises: the largest possible product of sigmoid derivatives along a deep path
(``check_sigmoid_bound``), the Xavier variance (``check_xavier_variance``), clipping gradients
by their global norm (``check_clip_gradients``) and the fraction of dead ReLU units
(``check_dead_fraction``). Each recognises the usual mistakes (0.5 instead of 1/4, a standard
deviation for a variance, He's fan-in rule, clipping each array or each entry on its own,
counting zero entries instead of dead units) and names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..nn.parameter import Parameter
from ..optim.optimizers import clip_grad_norm
from ._check import (
    CheckResult,
    as_number,
    compare_arrays,
    correct,
    distinct,
    hard_coded,
    incorrect,
    run_answer,
    shape_of,
)

__all__ = [
    "DEAD_RELU_BATCH",
    "check_clip_gradients",
    "check_dead_fraction",
    "check_sigmoid_bound",
    "check_xavier_variance",
]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-15)


def _check_numbers(
    fn: Callable, cases: list[tuple], expected: Callable, mistakes: Callable, what: str
) -> CheckResult | None:
    """Run ``fn`` on every case; None if all match ``expected``, else the first problem."""
    for args in cases:
        value, problem = run_answer(fn, *args, what=what)
        if problem is not None:
            return problem
        value, problem = as_number(value, f"{what}{args}")
        if problem is not None:
            return problem
        want = expected(*args)
        if _close(value, want):
            continue
        for hint, wrong in mistakes(*args).items():
            if _close(value, wrong):
                return incorrect(hint)
        got_text, want_text = distinct(value, want)
        return incorrect(f"{what}{args} returned {got_text}; expected {want_text}")
    return None


# ---- 1. the sigmoid's derivative along a deep path ----


def check_sigmoid_bound(max_product: Callable) -> CheckResult:
    """Check ``max_product(depth) -> float``: the largest sigma'(z_1) * ... * sigma'(z_depth).

    sigma'(z) = sigma(z) (1 - sigma(z)) <= 1/4 (at z = 0), so the product is at most 0.25**depth.
    """

    def mistakes(depth: int) -> dict[str, float]:
        return {
            "sigma'(z) = sigma(z) (1 - sigma(z)) peaks at z = 0 where sigma = 1/2, so its "
            "maximum is 1/2 * 1/2 = 1/4, not 1/2": 0.5**depth,
            "the factors multiply along the path (the chain rule), they do not add: "
            "(1/4) * (1/4) * ... = 0.25 ** depth": 0.25 * depth,
            "one factor per layer: the product of `depth` factors of at most 1/4 is "
            "0.25 ** depth": 0.25,
            "the factors multiply: that gives 0.25 ** depth, not 1 / (4 * depth)": 1.0
            / (4.0 * depth),
            "count the factors again: one sigma' per sigmoid layer, `depth` of them": 0.25
            ** (depth - 1),
            "one factor too many: there are `depth` sigmoid layers on the path": 0.25
            ** (depth + 1),
            "the bound is the largest possible value, so use the largest sigma', 1/4": 0.0,
        }

    problem = _check_numbers(
        max_product,
        [(1,), (3,), (10,), (20,)],
        lambda depth: 0.25**depth,
        mistakes,
        "max_product",
    )
    if problem is not None:
        return problem
    return correct(
        "correct! 0.25 ** depth: after 10 sigmoid layers at most 0.25**10 ~ 1e-6 of the "
        "gradient survives the activations alone (the weights multiply in too)"
    )


# ---- 2. the Xavier variance ----


def check_xavier_variance(xavier_variance: Callable) -> CheckResult:
    """Check ``xavier_variance(fan_in, fan_out) -> float`` = 2 / (fan_in + fan_out)."""

    def mistakes(fan_in: int, fan_out: int) -> dict[str, float]:
        return {
            "that is the standard deviation; the exercise asks for the variance (its square): "
            "2 / (fan_in + fan_out)": math.sqrt(2.0 / (fan_in + fan_out)),
            "2 / fan_in is He's variance for ReLU layers (which zero half their inputs); Xavier "
            "averages the forward and backward conditions: 2 / (fan_in + fan_out)": 2.0 / fan_in,
            "1 / fan_in keeps the forward pass steady only (LeCun); Xavier also keeps the "
            "backward pass steady, needing 1 / fan_out, and compromises on "
            "2 / (fan_in + fan_out)": 1.0 / fan_in,
            "1 / fan_out is the backward condition alone; Xavier averages it with the forward "
            "one, 1 / fan_in, giving 2 / (fan_in + fan_out)": 1.0 / fan_out,
            "6 / (fan_in + fan_out) is the *square of the bound* a of Xavier's uniform "
            "U(-a, a); a uniform's variance is a^2 / 3": 6.0 / (fan_in + fan_out),
            "almost: the harmonic-mean compromise between 1/fan_in and 1/fan_out is "
            "2 / (fan_in + fan_out)": 1.0 / (fan_in + fan_out),
            "use the sum of the fans, not the product: 2 / (fan_in + fan_out)": 2.0
            / (fan_in * fan_out),
        }

    problem = _check_numbers(
        xavier_variance,
        [(64, 64), (100, 300), (2, 16), (784, 10)],
        lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
        mistakes,
        "xavier_variance",
    )
    if problem is not None:
        return problem
    return correct(
        "correct! Var(W) = 2 / (fan_in + fan_out): n Var(W) = 1 in both directions when the "
        "fans are equal, a compromise when they are not"
    )


# ---- 3. clipping by the global norm ----


def _reference_clip(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    params = [Parameter(g) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad[...] = g
    clip_grad_norm(params, max_norm)
    return [p.grad for p in params]


def _clip_cases() -> list[tuple[list[np.ndarray], float]]:
    rng = np.random.default_rng(5)
    big = [rng.normal(size=(3, 4)) * 5, rng.normal(size=(4,)) * 5, rng.normal(size=(4, 2))]
    small = [rng.normal(size=(2, 2)) * 0.01, rng.normal(size=(2,)) * 0.01]
    return [(big, 1.0), (small, 1.0), (big, 4.0)]


def check_clip_gradients(clip_gradients: Callable) -> CheckResult:
    """Check ``clip_gradients(grads, max_norm) -> list of arrays``.

    total = sqrt(sum of every squared entry of every array); if total > max_norm, every array
    is multiplied by max_norm / total (one factor for all), else they are returned unchanged.
    """
    for grads, max_norm in _clip_cases():
        given = [g.copy() for g in grads]
        value, problem = run_answer(clip_gradients, given, max_norm, what="`clip_gradients`")
        if problem is not None:
            return problem
        if not isinstance(value, (list, tuple)) or len(value) != len(grads):
            return incorrect(
                f"return a list with one array per gradient ({len(grads)} here), got "
                f"{type(value).__name__}"
            )
        try:
            got = [np.asarray(v, dtype=np.float64) for v in value]
        except (TypeError, ValueError):
            return incorrect("every item of the returned list should be an array of numbers")
        want = _reference_clip(grads, max_norm)
        if any(g.shape != w.shape for g, w in zip(got, want, strict=True)):
            return incorrect("each returned array should keep the shape of its gradient")
        total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
        per_array = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
        mistakes = {
            "that clips each array on its own; clipping by the *global* norm scales every "
            "array by the same factor max_norm / total, so the direction is kept": per_array,
            "np.clip cuts each entry separately and bends the gradient's direction; scale "
            "all of them by max_norm / total instead": [
                np.clip(g, -max_norm, max_norm) for g in grads
            ],
            "only clip when the total norm exceeds max_norm; small gradients pass unchanged": [
                g * (max_norm / total) for g in grads
            ],
            "the factor is max_norm / total (shrinking), not total / max_norm": [
                g * (total / max_norm) for g in grads
            ],
            "the total norm is the square root of the sum of squares over *every* entry of "
            "every array": [g * min(1.0, max_norm / total**2) for g in grads],
            "adding up the arrays' norms overestimates the total: the global norm is "
            "sqrt(sum of every squared entry of every array)": [
                g * min(1.0, max_norm / sum(float(np.linalg.norm(a)) for a in grads)) for g in grads
            ],
        }
        right = all(np.allclose(g, w, rtol=1e-5) for g, w in zip(got, want, strict=True))
        for hint, wrong in mistakes.items():
            if not right and all(
                np.allclose(g, w, rtol=1e-5, atol=1e-12) for g, w in zip(got, wrong, strict=True)
            ):
                return incorrect(hint)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            result = compare_arrays(g, w, name=f"clipped gradient {i}", rtol=1e-5, atol=1e-12)
            if not result.correct:
                return incorrect(
                    f"{result.message} (max_norm = {max_norm}, total norm before = {total:.3g})"
                )
    return correct(
        "correct! one factor min(1, max_norm / total) for every array: the step keeps its "
        "direction but can no longer explode (as clip_grad_norm and torch's clip_grad_norm_)"
    )


# ---- 4. dead ReLUs ----


def _relu_batch(seed: int, rows: int, kinds: list[str]) -> np.ndarray:
    """ReLU outputs (rows, len(kinds)), one unit (column) of each kind:

    "dead" is 0 for every example; the others are alive, each in a way that a classic
    mistake counts as dead: "early" fires on the first example but not on all of them,
    "late" only in the last third of the batch, "sparse" neither on the first nor on the
    last example, "constant" gives 0.75 for every example (its std is 0) and "weak" a single
    0.02 (its mean is below 0.05).
    """
    rng = np.random.default_rng(seed)
    h = np.zeros((rows, len(kinds)))
    half, last_third = rows // 2, rows - rows // 3
    for j, kind in enumerate(kinds):
        if kind == "early":
            h[:, j] = np.maximum(rng.normal(size=rows), 0.0)
            h[0, j], h[-2, j] = 0.5 + rng.random(), 0.0
        elif kind == "late":
            h[last_third:, j] = np.maximum(rng.normal(size=rows - last_third), 0.0)
            h[-1, j] = 0.5 + rng.random()
        elif kind == "sparse":
            h[1:-1, j] = np.maximum(rng.normal(size=rows - 2), 0.0)
            h[half, j] = 0.5 + rng.random()
        elif kind == "constant":
            h[:, j] = 0.75
        elif kind == "weak":
            h[1, j] = 0.02
        elif kind != "dead":
            raise ValueError(f"unknown kind of unit {kind!r}")
    return h


#: Exercise 4's batch: ReLU outputs (8 examples, 8 units), units 1 and 5 dead.
DEAD_RELU_BATCH = _relu_batch(
    11, 8, ["early", "dead", "constant", "late", "sparse", "dead", "weak", "early"]
)
#: The second batch the check uses: 12 examples, 11 units, three of them dead.
_OTHER_BATCH = _relu_batch(
    12,
    12,
    ["late", "dead", "sparse", "weak", "constant", "late", "early", "dead", "weak", "dead", "late"],
)


def _dead(h: np.ndarray) -> np.ndarray:
    return np.all(h == 0, axis=0)  # (units,): True where the whole column is 0


#: Each classic mistake as the function it computes. The two batches are built so that each
#: gives numbers that differ from the right ones and from every other mistake's.
_DEAD_MISTAKES = [
    (
        "that is the fraction of zero *entries*; a unit is dead only if its whole column "
        "is zero (np.all(h == 0, axis=0))",
        lambda h: np.mean(h == 0),
    ),
    (
        "that is the fraction of *alive* units; the exercise asks for the dead ones",
        lambda h: 1.0 - np.mean(_dead(h)),
    ),
    (
        "that is the number of dead units; divide by the number of units for a fraction",
        lambda h: np.sum(_dead(h)),
    ),
    (
        "that is a percentage; the exercise asks for a fraction between 0 and 1",
        lambda h: 100.0 * np.mean(_dead(h)),
    ),
    (
        "axis=1 looks along each example (row); a unit is a column: use axis=0",
        lambda h: np.mean(np.all(h == 0, axis=1)),
    ),
    (
        "np.any counts a unit that is 0 for *some* example; dead means 0 for *every* example: "
        "np.all(h == 0, axis=0)",
        lambda h: np.mean(np.any(h == 0, axis=0)),
    ),
    (
        "that looks at the first example only; a unit is dead when it is 0 for every example of "
        "the batch (every row)",
        lambda h: np.mean(h[0] == 0),
    ),
    (
        "that looks at the last example only; a unit is dead when it is 0 for every example of "
        "the batch (every row)",
        lambda h: np.mean(h[-1] == 0),
    ),
    (
        "that looks at half of the batch; a unit that fires only on the other half is alive: "
        "use every row",
        lambda h: np.mean(_dead(h[: len(h) // 2])),
    ),
    (
        "that looks at half of the batch; a unit that fires only on the other half is alive: "
        "use every row",
        lambda h: np.mean(_dead(h[len(h) // 2 :])),
    ),
    (
        "a unit with the same output for every example (std 0) is not dead unless that output "
        "is 0: test h == 0, not the spread",
        lambda h: np.mean(h.std(axis=0) == 0),
    ),
    (
        "a threshold counts weak units as dead, but a unit that outputs even 0.02 still passes "
        "a gradient: dead means exactly 0 for every example",
        lambda h: np.mean(h.mean(axis=0) < 0.05),
    ),
    (
        "a threshold counts weak units as dead, but a unit that outputs even 0.02 still passes a "
        "gradient: dead means exactly 0 for every example",
        lambda h: np.mean(h.max(axis=0) < 0.05),
    ),
    (
        "divide by the number of units of *this* batch, h.shape[1], not a fixed number",
        lambda h: np.sum(_dead(h)) / DEAD_RELU_BATCH.shape[1],
    ),
]


def check_dead_fraction(dead_fraction: Callable) -> CheckResult:
    """Check ``dead_fraction(h) -> float``: the fraction of units that are 0 for every example.

    ``h`` is (batch, units), a ReLU layer's output; a unit (column) is dead on this batch when
    its whole column is zero. (The training History's ReLU "saturation" is this number.) Tried
    on ``DEAD_RELU_BATCH`` (8, 8) and on a (12, 11) batch; each classic mistake is recognised
    by the numbers it gives on the two.
    """
    cases = [DEAD_RELU_BATCH, _OTHER_BATCH]
    sizes = [f"h of shape {h.shape}" for h in cases]
    got = []
    for k, h in enumerate(cases):
        value, problem = run_answer(dead_fraction, h.copy(), what="`dead_fraction`")
        if problem is not None:
            return hard_coded(problem, k, sizes)
        shape = shape_of(value)
        if shape is not None and len(shape) == 1 and shape[0] in h.shape:
            return incorrect(
                "you returned one number per unit (or per example); the exercise wants one "
                "number: the fraction of units (columns) that are zero for *every* example"
            )
        value, problem = as_number(value, "dead_fraction(h)")
        if problem is not None:
            return problem
        got.append(value)
    want = [float(np.mean(_dead(h))) for h in cases]
    if all(_close(g, w) for g, w in zip(got, want, strict=True)):
        return correct(
            "correct! a dead unit outputs 0 for every input, so its gradient is 0 too and it "
            "never recovers: ReLU's own failure mode"
        )
    for hint, mistake in _DEAD_MISTAKES:
        if all(_close(g, float(mistake(h))) for g, h in zip(got, cases, strict=True)):
            return incorrect(hint)
    k = next(k for k in range(len(cases)) if not _close(got[k], want[k]))
    got_text, want_text = distinct(got[k], want[k])
    result = incorrect(
        f"for h of shape {cases[k].shape} dead_fraction returned {got_text}; expected {want_text}"
    )
    return hard_coded(result, k, sizes)
