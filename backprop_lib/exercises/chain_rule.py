"""Checkers for notebooks/02_chain_rule.ipynb: the chain rule by hand, on a graph, and in code.

Four exercises: the derivative of a composed function (``check_chain_rule``), the gradients
of a tanh neuron's graph filled in as a table (``check_neuron_grads``), the gradient of a
value used twice (``check_used_twice``) and a central-difference derivative
(``check_numerical_derivative``). Each recognises the usual mistakes (a forgotten inner
derivative, swapped inputs of a product, a path left out, dividing by h instead of 2h) and
names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._check import (
    CheckResult,
    answer_of,
    as_number,
    compare_arrays,
    correct,
    distinct,
    hard_coded,
    incorrect,
    not_attempted,
    run_answer,
)

__all__ = [
    "NEURON",
    "USED_TWICE",
    "check_chain_rule",
    "check_neuron_grads",
    "check_used_twice",
    "check_numerical_derivative",
]


def _missing(value) -> bool:
    """True for an answer still at its stub value."""
    return value is None or value is Ellipsis


#: Hand values: the notebook says plain numbers are fine, so a number rounded to 4 decimals
#: passes, even when an intermediate result (tanh(n), do/dn) was rounded to 4 decimals too;
#: that stays within 2e-4 of the exact value. The mistakes named below are all more than 100
#: times as far away.
HAND_TOL = 2e-4


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=HAND_TOL)


def _near(a: float, b: float) -> bool:
    """Right to about 2 decimals: a hand value rounded too early or too coarsely."""
    return math.isclose(a, b, rel_tol=0.0, abs_tol=0.01)


_ROUNDING = (
    "; that is close, but rounded too coarsely: keep 4 decimals and round only the final "
    "numbers, or write the expression itself (np.tanh works here)"
)


# ---- 1. the chain rule on f(x) = tanh(x^2) ----

#: Where ``check_chain_rule`` evaluates the learner's derivative: a row of points, then a
#: (2, 3) array of others (the exercise says "a numpy array x", of any shape).
CHAIN_POINTS = np.array([-1.3, -0.4, 0.3, 0.8, 1.1])
CHAIN_GRID = np.array([[-0.9, 0.2, 1.4], [0.6, -1.7, -0.1]])

_ARRAY_HINT = (
    ". `df` gets a whole numpy array: use np.tanh, which works entry by entry, not math.tanh, "
    "which takes one number"
)


def check_chain_rule(df: Callable) -> CheckResult:
    """Check ``df(x)``, the derivative of f(x) = tanh(x^2): f'(x) = (1 - tanh(x^2)^2) * 2x.

    ``df`` takes a numpy array x (any shape) and returns an array of the same shape; it is
    tried on ``CHAIN_POINTS`` (5,) and ``CHAIN_GRID`` (2, 3).
    """
    sizes = ["x of shape (5,)", "x of shape (2, 3)"]
    for case, points in enumerate([CHAIN_POINTS, CHAIN_GRID]):
        x = points.copy()
        value, problem = run_answer(df, x.copy(), what="`df`")
        if problem is not None:
            if "arrays can be converted to Python scalars" in problem.message:
                return incorrect(problem.message + _ARRAY_HINT)
            return hard_coded(problem, case, sizes)
        u = x**2  # the inner function's value
        mistakes = {
            "that is the outer derivative tanh'(u) alone; multiply by the inner derivative "
            "du/dx = 2x": 1 - np.tanh(u) ** 2,
            "evaluate the outer derivative at the inner value u = x**2, not at x: "
            "(1 - tanh(x**2)**2) * 2x": (1 - np.tanh(x) ** 2) * 2 * x,
            "tanh'(u) = 1 - tanh(u)**2, not 1 - u**2": (1 - u**2) * 2 * x,
            "use the derivative of tanh, 1 - tanh(u)**2, not tanh itself": np.tanh(u) * 2 * x,
            "2x is only the inner derivative; multiply it by the outer one, 1 - tanh(x**2)**2": (
                2 * x
            ),
            "the inner derivative of x**2 is 2 * x, not 2": (1 - np.tanh(u) ** 2) * 2,
            "operator precedence: 1 - tanh(x**2)**2 * 2 * x subtracts the whole product from 1; "
            "put the outer derivative in parentheses, (1 - tanh(x**2)**2) * 2 * x": (
                1 - np.tanh(u) ** 2 * 2 * x
            ),
            "the chain rule multiplies the two derivatives; it does not feed one into the other": (
                1 - np.tanh(2 * x) ** 2
            ),
            "that is the derivative of tanh(x)**2; here the square is inside: tanh(x**2)": (
                2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
            ),
        }
        result = compare_arrays(
            value,
            (1 - np.tanh(u) ** 2) * 2 * x,
            name="df(x)",
            mistakes=mistakes,
            rtol=1e-5,
            atol=1e-6,  # float32 arithmetic passes; every mistake above is off by far more
            success="correct! f'(x) = tanh'(x^2) * 2x: outer derivative at the inner value, "
            "times the inner derivative",
        )
        if not result.correct:
            return hard_coded(result, case, sizes, mistakes)
    return result


# ---- 2. the gradients of a tanh neuron, as a table ----

#: The neuron of exercise 2: o = tanh(x1*w1 + x2*w2 + b), with these values.
NEURON = {"x1": 2.0, "w1": -0.5, "x2": -0.4, "w2": 1.5, "b": 1.0}


def _neuron_grads() -> dict[str, float]:
    v = NEURON
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    o = math.tanh(n)
    dn = 1.0 - o * o  # do/dn, the only non-trivial local derivative
    return {
        "n": dn,
        "b": dn,
        "w1": v["x1"] * dn,
        "x1": v["w1"] * dn,
        "w2": v["x2"] * dn,
        "x2": v["w2"] * dn,
    }


def check_neuron_grads(grads: dict) -> CheckResult:
    """Check the table {"n", "b", "w1", "x1", "w2", "x2"} -> do/d(node) for the neuron NEURON.

    o = tanh(n), n = x1*w1 + x2*w2 + b; every entry is the gradient of the output o. Plain
    numbers are fine: an entry within ``HAND_TOL`` (2e-4) of the exact value passes, so values
    rounded to 4 decimals do.
    """
    grads, problem = answer_of(grads, "the table of gradients")
    if problem is not None:
        return problem
    if _missing(grads):
        return not_attempted("the table of gradients")
    if not isinstance(grads, dict):
        return incorrect(f"expected a dict of gradients, got {type(grads).__name__}")
    want = _neuron_grads()
    if all(_missing(grads.get(k)) for k in want):
        return not_attempted("the table of gradients")
    v = NEURON
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    o = math.tanh(n)
    dn = want["n"]
    for key in want:
        got, problem = as_number(grads.get(key), f"the gradient of {key}")
        if problem is not None:
            if problem.status == "not attempted":
                return incorrect(f"fill in the gradient of {key} too")
            return problem
        if _close(got, want[key]):
            continue
        if key == "n":
            if _close(got, 1.0):
                return incorrect("n: the tanh node's local derivative is 1 - tanh(n)^2, not 1")
            if _close(got, 1.0 - n * n):
                return incorrect("n: tanh'(n) = 1 - tanh(n)^2 = 1 - o^2, not 1 - n^2")
            if _close(got, o):
                return incorrect("n: o is the value of tanh(n); its derivative is 1 - o^2")
            if _near(got, dn):
                return incorrect(f"n: {got:g} is not do/dn = 1 - tanh(n)^2{_ROUNDING}")
            return incorrect(f"n: {got:.4g} is not do/dn = 1 - tanh(n)^2 with n = {n:g}")
        if key == "b":
            if _close(got, 1.0):
                return incorrect(
                    "b: the local derivative of a sum is 1, but multiply it by the upstream "
                    "gradient do/dn"
                )
            if _near(got, dn):
                return incorrect(f"b: {got:g} is not do/db = do/dn{_ROUNDING}")
            return incorrect("b: a sum passes the upstream gradient on unchanged: do/db = do/dn")
        other = {"w1": "x1", "x1": "w1", "w2": "x2", "x2": "w2"}[key]
        if _close(got, v[other]):
            return incorrect(
                f"{key}: the local derivative is {other} = {v[other]:g}; multiply it by the "
                "upstream gradient do/dn"
            )
        if _close(got, v[key] * dn):
            return incorrect(
                f"{key}: swapped inputs: in a product, the local derivative with respect to "
                f"{key} is the *other* factor, {other}"
            )
        if _near(got, want[key]):
            return incorrect(
                f"{key}: {got:g} is not (local derivative) x (upstream do/dn){_ROUNDING}"
            )
        return incorrect(f"{key}: {got:.4g} is not (local derivative) x (upstream do/dn)")
    return correct(
        "correct! tanh turns the upstream 1 into 1 - o^2; the sum passes it on; each product "
        "multiplies it by the other factor"
    )


# ---- 3. a value used twice ----

#: The expression of exercise 3: L = a * b + a, with these values.
USED_TWICE = {"a": 2.0, "b": -4.0}


def check_used_twice(dL_da, dL_db) -> CheckResult:
    """Check dL/da = b + 1 and dL/db = a for L = a * b + a (a = 2, b = -4)."""
    a, b = USED_TWICE["a"], USED_TWICE["b"]
    dL_da, problem_a = answer_of(dL_da, "dL_da")
    dL_db, problem_b = answer_of(dL_db, "dL_db")
    for problem in (problem_a, problem_b):
        if problem is not None and problem.status != "not attempted":
            return problem
    if _missing(dL_da) and _missing(dL_db):
        return not_attempted("dL_da and dL_db")
    da, problem = as_number(dL_da, "dL_da")
    if problem is not None:
        return problem
    if not _close(da, b + 1.0):
        if _close(da, b):
            return incorrect(
                "dL_da: that is only the path through a * b; a is also added directly, and "
                "gradients from every use add up: b + 1"
            )
        if _close(da, 1.0):
            return incorrect(
                "dL_da: that is only the path through + a; a also feeds a * b (local "
                "derivative b), and gradients from every use add up"
            )
        return incorrect(f"dL_da: {da:g} is not the sum over a's two uses")
    if _missing(dL_db):
        return incorrect("dL_da is right; now fill in dL_db too")
    db, problem = as_number(dL_db, "dL_db")
    if problem is not None:
        return problem
    if not _close(db, a):
        if _close(db, a + 1.0):
            return incorrect("dL_db: b is used only once, in a * b; its local derivative is a")
        if _close(db, b):
            return incorrect("dL_db: in a product the local derivative is the *other* factor, a")
        return incorrect(f"dL_db: {db:g} is not d(a*b + a)/db")
    return correct("correct! a is used twice, so its gradient is the sum of both paths: b + 1 = -3")


# ---- 4. a central-difference derivative ----


def _check_one_fd(fn: Callable, f: Callable, fname: str, x: float, exact: float, h: float):
    value, problem = run_answer(fn, f, x, h=h, what="`numerical_derivative`")
    if problem is not None:
        return problem
    got, problem = as_number(value, "the numerical derivative")
    if problem is not None:
        return problem
    central = (f(x + h) - f(x - h)) / (2 * h)
    mistakes = {
        "that is the one-sided difference (f(x+h) - f(x)) / h; its error shrinks like h, the "
        "central difference (f(x+h) - f(x-h)) / (2h) is far more accurate": (f(x + h) - f(x)) / h,
        "also one-sided: (f(x) - f(x-h)) / h; use (f(x+h) - f(x-h)) / (2h)": (f(x) - f(x - h)) / h,
        "the two points are 2h apart: divide by 2 * h, not h": (f(x + h) - f(x - h)) / h,
        "operator precedence: `/ 2*h` divides by 2 and then MULTIPLIES by h; write / (2 * h)": (
            (f(x + h) - f(x - h)) / 2 * h
        ),
        "the difference still has to be divided by the step, 2 * h": f(x + h) - f(x - h),
    }
    if h < 1e-3:  # a small step: 8 correct digits of the derivative
        target, what, rel = exact, "the derivative", 1e-8
    else:  # a large step: the central difference itself, which is off the derivative by ~h^2
        target, what, rel = central, "the central difference", 1e-9
        mistakes[
            f"your function ignores its argument h: with h = {h:g} the central difference of "
            f"{fname} at {x:g} is {central:.6g}, yet you returned (almost) the exact "
            "derivative. Use the h you are given, not a step of your own"
        ] = exact
    for hint, wrong in mistakes.items():
        if math.isclose(got, wrong, rel_tol=1e-9, abs_tol=1e-15) and not math.isclose(
            got, target, rel_tol=rel
        ):
            return incorrect(hint)
    if math.isclose(got, target, rel_tol=rel, abs_tol=1e-10):
        return None
    got_text, want_text = distinct(got, target, 6)
    return incorrect(
        f"for f(x) = {fname} at x = {x:g} (h = {h:g}) you got {got_text}; {what} is {want_text}"
    )


def check_numerical_derivative(numerical_derivative: Callable) -> CheckResult:
    """Check ``numerical_derivative(f, x, h=1e-5) -> (f(x + h) - f(x - h)) / (2 h)``.

    Tried on x^3 at 2, exp at 0.5 and tanh at 0.3 with h = 1e-5 and on x^3 at 1 with h = 1e-4:
    the answer must be within 1e-8 (relative) of the true derivative, which the central
    difference achieves and the one-sided difference does not. Then on x^3 at 1 with h = 0.1,
    where the answer must be the central difference itself, 3.01: a function that ignores
    its ``h`` returns about 3 there.
    """
    tries = [
        (lambda x: x**3, "x**3", 2.0, 12.0, 1e-5),
        (math.exp, "exp(x)", 0.5, math.exp(0.5), 1e-5),
        (math.tanh, "tanh(x)", 0.3, 1 - math.tanh(0.3) ** 2, 1e-5),
        (lambda x: x**3, "x**3", 1.0, 3.0, 1e-4),
        (lambda x: x**3, "x**3", 1.0, 3.0, 0.1),
    ]
    for f, fname, x, exact, h in tries:
        problem = _check_one_fd(numerical_derivative, f, fname, x, exact, h)
        if problem is not None:
            return problem
    return correct(
        "correct! the central difference: error about h^2, a check for any gradient you derive"
    )
