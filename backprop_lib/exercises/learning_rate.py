"""Checkers for notebooks/04_learning_rate.ipynb: steps, stability and schedules.

Four exercises: one gradient-descent step by hand (``check_gd_step``), the stability limit of
a quadratic from its Hessian (``check_stability_limit``), the best constant learning rate
(``check_best_lr``) and a cosine schedule (``check_cosine_lr``). Each recognises the usual
mistakes (a flipped sign, a forgotten factor 2, the diagonal instead of the eigenvalues, a
missing 1/2 in the cosine) and names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..optim.lr_scheduler import CosineAnnealingLR
from ._check import CheckResult, answer_of, as_number, correct, distinct, incorrect, run_answer

__all__ = [
    "GD_STEP",
    "check_best_lr",
    "check_cosine_lr",
    "check_gd_step",
    "check_stability_limit",
]


def _number(value, name: str) -> tuple[float | None, CheckResult | None]:
    """``value`` as a float, or a result saying it is missing or not a number."""
    value, problem = as_number(value, name)
    if problem is None and not math.isfinite(value):
        return None, incorrect(f"{name} is {value}; it should be a finite number")
    return value, problem


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


#: A learning rate within 0.1% of the exact one passes: a grid search with a fine grid (say
#: np.linspace(0, 2 / lambda_max, 10001), which gives 0.1818 or 0.18182 for 2 / 11) lands
#: there. Every mistake named below is off by 2% or more on at least one of the matrices.
RATE_TOL = 1e-3


def _first_mistake(value: float, expected: float, mistakes: dict[str, float]) -> str | None:
    for hint, wrong in mistakes.items():
        if _close(value, wrong) and not _close(value, expected, RATE_TOL):
            return hint
    return None


def _near_miss(value: float, expected: float) -> str:
    """The end of a message for a rate that is off by less than 5%, as a coarse grid gives."""
    if abs(value - expected) <= 0.05 * abs(expected):
        off = abs(value - expected) / abs(expected)
        return (
            f" (off by {off:.2%}). Close: if you searched a grid, make it finer (within "
            f"{RATE_TOL:.1%} passes), or solve for the rate exactly"
        )
    return ""


# ---- 1. one step by hand ----

#: Exercise 1: L(w) = a (w - c)^2, one gradient-descent step from w0 with learning rate lr.
GD_STEP = {"a": 2.0, "c": 3.0, "w0": 1.0, "lr": 0.1}


def check_gd_step(w1) -> CheckResult:
    """Check w1 = w0 - lr * L'(w0) for L(w) = a (w - c)^2 with the values in ``GD_STEP``.

    L'(w) = 2 a (w - c): with a = 2, c = 3, w0 = 1, lr = 0.1, w1 = 1 + 0.8 = 1.8.
    """
    w1, problem = answer_of(w1, "w1")
    if problem is not None:
        return problem
    value, problem = _number(w1, "w1")
    if problem is not None:
        return problem
    a, c, w0, lr = GD_STEP["a"], GD_STEP["c"], GD_STEP["w0"], GD_STEP["lr"]
    grad = 2 * a * (w0 - c)  # L'(w0) = -8
    expected = w0 - lr * grad
    mistakes = {
        "a sign is flipped: the step goes *against* the gradient, w1 = w0 - lr * L'(w0), and "
        "L'(1) = 2a (1 - 3) is negative, so w should grow": w0 + lr * grad,
        "you forgot the learning rate: the step is lr * L'(w0), not L'(w0)": w0 - grad,
        "that is the step, lr * L'(w0); w1 is w0 minus it": lr * grad,
        "that is minus the step; w1 = w0 - lr * L'(w0)": -lr * grad,
        "the derivative of a (w - c)^2 is 2a (w - c): the power rule brings down a 2": w0
        - lr * a * (w0 - c),
        "that is the minimum c itself; one step of size lr only moves part of the way": c,
    }
    hint = _first_mistake(value, expected, mistakes)
    if hint is not None:
        return incorrect(hint)
    if _close(value, expected):
        return correct(
            f"correct! L'(1) = 2*2*(1 - 3) = -8, so w1 = 1 - 0.1 * (-8) = {expected:g}: a step "
            "towards the minimum at w = 3"
        )
    return incorrect(
        f"w1 = {value:g} is not it. Compute the slope L'(w0) = 2a (w0 - c) first, then "
        "w1 = w0 - lr * L'(w0)"
    )


# ---- 2. the stability limit of a quadratic ----

_MATRICES = [
    np.array([[4.0]]),
    np.diag([1.0, 10.0]),
    np.array([[2.0, 1.5], [1.5, 2.0]]),  # eigenvalues 0.5 and 3.5: the diagonal misleads
    np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]),
    np.array([[5.0, -2.0], [-2.0, 1.5]]),  # unequal diagonal, a negative off-diagonal entry
    np.array(
        [[4.0, 2.0, 0.0, 1.0], [2.0, 3.0, 1.0, 0.0], [0.0, 1.0, 2.0, 0.5], [1.0, 0.0, 0.5, 1.0]]
    ),
]


def _eig(A: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(A)


def check_stability_limit(stability_limit: Callable) -> CheckResult:
    """Check ``stability_limit(A) -> float``: the largest stable lr, 2 / lambda_max(A).

    ``A`` is the symmetric positive definite Hessian of L(w) = 1/2 w^T A w; tried on 1 x 1 to
    4 x 4 matrices. An answer within ``RATE_TOL`` (0.1%) passes.
    """
    for A in _MATRICES:
        value, problem = run_answer(stability_limit, A.copy(), what="`stability_limit`")
        if problem is not None:
            return problem
        value, problem = _number(value, "stability_limit(A)")
        if problem is not None:
            return problem
        lam = _eig(A)
        expected = 2.0 / lam[-1]
        mistakes = {
            "1 / lambda_max is the rate that kills the steepest direction in one step; the "
            "iteration stays stable up to twice that, 2 / lambda_max": 1.0 / lam[-1],
            "the smallest eigenvalue is the *flattest* direction; stability is decided by the "
            "steepest one, lambda_max": 2.0 / lam[0],
            "use the eigenvalues of A (np.linalg.eigvalsh(A)), not its diagonal: they differ "
            "when A has off-diagonal entries": 2.0 / np.max(np.diag(A)),
            "use the largest eigenvalue, not the largest entry of A": 2.0 / np.max(A),
            "the trace is the *sum* of the eigenvalues; the limit needs the largest one": 2.0
            / np.trace(A),
            "upside down: the limit is 2 / lambda_max, not lambda_max / 2": lam[-1] / 2.0,
            "that is lambda_max itself; the limit on the learning rate is 2 / lambda_max": lam[-1],
        }
        hint = _first_mistake(value, expected, mistakes)
        if hint is not None:
            return incorrect(hint)
        if not _close(value, expected, RATE_TOL):
            got_text, want_text = distinct(value, expected)
            return incorrect(
                f"for A = {A.tolist()} you returned {got_text}, but gradient descent is stable "
                f"up to {want_text}{_near_miss(value, expected)}. Per eigen-direction the "
                "error is multiplied by (1 - lr * lambda_i); when must |1 - lr * lambda_i| < 1 "
                "hold?"
            )
    return correct(
        "correct! lr < 2 / lambda_max: the steepest direction of the bowl sets the limit"
    )


# ---- 3. the best constant learning rate ----


def check_best_lr(best_lr: Callable) -> CheckResult:
    """Check ``best_lr(A) -> float``: the lr minimising max_i |1 - lr lambda_i|.

    The answer is 2 / (lambda_min + lambda_max), where the flattest and the steepest direction
    shrink equally fast. An answer within ``RATE_TOL`` (0.1%) passes, so a grid search with a
    fine grid does too.
    """
    for A in _MATRICES[1:]:
        value, problem = run_answer(best_lr, A.copy(), what="`best_lr`")
        if problem is not None:
            return problem
        value, problem = _number(value, "best_lr(A)")
        if problem is not None:
            return problem
        lam = _eig(A)
        expected = 2.0 / (lam[0] + lam[-1])
        mistakes = {
            "2 / lambda_max is the edge of stability: there the steepest direction does not "
            "shrink at all (|1 - 2| = 1). Balance it against the flattest one": 2.0 / lam[-1],
            "1 / lambda_max solves the steepest direction in one step but leaves the flattest "
            "one crawling; the best rate balances |1 - lr lambda_min| = |1 - lr lambda_max|": 1.0
            / lam[-1],
            "1 / lambda_min overshoots the steep directions; balance "
            "|1 - lr lambda_min| = |1 - lr lambda_max|": 1.0 / lam[0],
            "close: that is 1 / (lambda_min + lambda_max); solve "
            "1 - lr lambda_min = lr lambda_max - 1 again": 1.0 / (lam[0] + lam[-1]),
            "use the eigenvalues of A, not its diagonal": 2.0
            / (np.min(np.diag(A)) + np.max(np.diag(A))),
            "the trace is the sum of *all* the eigenvalues (for a 2 x 2 matrix that happens to "
            "be lambda_min + lambda_max); use the smallest and the largest only": 2.0 / np.trace(A),
            "use the smallest and the largest eigenvalue, not the mean of all of them": 1.0
            / np.mean(lam),
        }
        hint = _first_mistake(value, expected, mistakes)
        if hint is not None:
            return incorrect(hint)
        if not _close(value, expected, RATE_TOL):
            got_text, want_text = distinct(value, expected)
            return incorrect(
                f"for A = {A.tolist()} you returned {got_text}; the best rate is "
                f"{want_text}{_near_miss(value, expected)}. Plot max_i |1 - lr lambda_i| "
                "against lr: where is it lowest?"
            )
    return correct(
        "correct! lr* = 2 / (lambda_min + lambda_max); even there the error only shrinks by "
        "(kappa - 1) / (kappa + 1) per step, slow when the condition number kappa is large"
    )


# ---- 4. a cosine schedule ----

_COSINE_CASES = [(0.1, 10, 0.0), (0.5, 7, 0.01)]


def check_cosine_lr(cosine_lr: Callable) -> CheckResult:
    """Check ``cosine_lr(epoch, base_lr, T_max, eta_min) -> float`` against ``CosineAnnealingLR``.

    lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, for 0 <= t <= T_max.
    """
    for base_lr, T_max, eta_min in _COSINE_CASES:
        ref = CosineAnnealingLR(_FakeOptimizer(base_lr), T_max=T_max, eta_min=eta_min)
        epochs = np.arange(T_max + 1)
        got = []
        for t in epochs:
            value, problem = run_answer(
                cosine_lr, int(t), base_lr, T_max, eta_min, what="`cosine_lr`"
            )
            if problem is not None:
                return problem
            value, problem = _number(value, f"cosine_lr({t}, ...)")
            if problem is not None:
                return problem
            got.append(value)
        got = np.array(got)
        want = np.array([ref.lr_at(int(t)) for t in epochs])
        span = base_lr - eta_min
        c = np.cos(np.pi * epochs / T_max)
        mistakes = {
            "the cosine swings between -1 and 1; (1 + cos(pi t / T)) / 2 turns that into 1 -> 0. "
            "You are missing the / 2": eta_min + span * (1 + c),
            "add 1 before halving: (1 + cos(pi t / T)) / 2 goes from 1 down to 0": eta_min
            + span * c / 2,
            "the cosine alone goes negative; use (1 + cos(pi t / T)) / 2": eta_min + span * c,
            "use cos, not sin: the schedule starts at base_lr (cos 0 = 1)": eta_min
            + span * (1 + np.sin(np.pi * epochs / T_max)) / 2,
            "the cosine's argument is pi * t / T_max (half a period over the run), not "
            "2 pi t / T_max": eta_min + span * (1 + np.cos(2 * np.pi * epochs / T_max)) / 2,
            "that is a linear decay; the cosine schedule stays high longer, then drops": eta_min
            + span * (1 - epochs / T_max),
            "do not forget eta_min: lr_t = eta_min + (base_lr - eta_min) * (1 + cos) / 2": base_lr
            * (1 + c)
            / 2,
        }
        for hint, wrong in mistakes.items():
            if np.allclose(got, wrong, rtol=1e-6, atol=1e-12) and not np.allclose(got, want):
                return incorrect(hint)
        if not np.allclose(got, want, rtol=1e-6, atol=1e-12):
            t = int(np.argmax(np.abs(got - want)))
            got_text, want_text = distinct(got[t], want[t])
            return incorrect(
                f"with base_lr={base_lr}, T_max={T_max}, eta_min={eta_min}: epoch {t} gave "
                f"{got_text}, expected {want_text}. Check the start (base_lr) and the end "
                "(eta_min) first"
            )
    return correct(
        "correct! it matches CosineAnnealingLR (and torch's): high for a while, then a smooth "
        "landing at eta_min"
    )


class _FakeOptimizer:
    """The minimum a schedule needs (an ``lr`` and a ``step``), so no parameters are made."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self) -> None:  # pragma: no cover - never called
        pass
