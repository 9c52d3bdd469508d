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

from ._check import CheckResult, compare_arrays, correct, incorrect, not_attempted, run_answer

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


def _number(value, name: str) -> tuple[float | None, CheckResult | None]:
    """``value`` as a float, or a result saying it is missing or not a number."""
    if _missing(value):
        return None, not_attempted(name)
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, incorrect(f"{name} should be a number, got {type(value).__name__}")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


# ---- 1. the chain rule on f(x) = tanh(x^2) ----

#: Where ``check_chain_rule`` evaluates the learner's derivative.
CHAIN_POINTS = np.array([-1.3, -0.4, 0.3, 0.8, 1.1])


def check_chain_rule(df: Callable) -> CheckResult:
    """Check ``df(x)``, the derivative of f(x) = tanh(x^2): f'(x) = (1 - tanh(x^2)^2) * 2x.

    ``df`` takes a numpy array x (any shape) and returns an array of the same shape.
    """
    x = CHAIN_POINTS.copy()
    value, problem = run_answer(df, x.copy(), what="`df`")
    if problem is not None:
        return problem
    u = x**2  # the inner function's value
    mistakes = {
        "that is the outer derivative tanh'(u) alone; multiply by the inner derivative "
        "du/dx = 2x": 1 - np.tanh(u) ** 2,
        "evaluate the outer derivative at the inner value u = x**2, not at x: "
        "(1 - tanh(x**2)**2) * 2x": (1 - np.tanh(x) ** 2) * 2 * x,
        "tanh'(u) = 1 - tanh(u)**2, not 1 - u**2": (1 - u**2) * 2 * x,
        "use the derivative of tanh, 1 - tanh(u)**2, not tanh itself": np.tanh(u) * 2 * x,
        "2x is only the inner derivative; multiply it by the outer one, 1 - tanh(x**2)**2": 2 * x,
        "the inner derivative of x**2 is 2 * x, not 2": (1 - np.tanh(u) ** 2) * 2,
        "operator precedence: 1 - tanh(x**2)**2 * 2 * x subtracts the whole product from 1; "
        "put the outer derivative in parentheses, (1 - tanh(x**2)**2) * 2 * x": (
            1 - np.tanh(u) ** 2 * 2 * x
        ),
        "the chain rule multiplies the two derivatives; it does not feed one into the other": (
            1 - np.tanh(2 * x) ** 2
        ),
    }
    return compare_arrays(
        value,
        (1 - np.tanh(u) ** 2) * 2 * x,
        name="df(x)",
        mistakes=mistakes,
        success="correct! f'(x) = tanh'(x^2) * 2x: outer derivative at the inner value, "
        "times the inner derivative",
    )


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

    o = tanh(n), n = x1*w1 + x2*w2 + b; every entry is the gradient of the output o.
    """
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
        got, problem = _number(grads.get(key), f"the gradient of {key}")
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
            return incorrect(f"n: {got:.4g} is not do/dn = 1 - tanh(n)^2 with n = {n:g}")
        if key == "b":
            if _close(got, 1.0):
                return incorrect(
                    "b: the local derivative of a sum is 1, but multiply it by the upstream "
                    "gradient do/dn"
                )
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
    if _missing(dL_da) and _missing(dL_db):
        return not_attempted("dL_da and dL_db")
    da, problem = _number(dL_da, "dL_da")
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
    db, problem = _number(dL_db, "dL_db")
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
    got, problem = _number(value, "the numerical derivative")
    if problem is not None:
        return problem
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
    for hint, wrong in mistakes.items():
        if math.isclose(got, wrong, rel_tol=1e-9, abs_tol=1e-15) and not math.isclose(
            got, exact, rel_tol=1e-8
        ):
            return incorrect(hint)
    if math.isclose(got, exact, rel_tol=1e-8, abs_tol=1e-10):
        return None
    return incorrect(
        f"for f(x) = {fname} at x = {x:g} (h = {h:g}) you got {got:.6g}; "
        f"the derivative is {exact:.6g}"
    )


def check_numerical_derivative(numerical_derivative: Callable) -> CheckResult:
    """Check ``numerical_derivative(f, x, h=1e-5) -> (f(x + h) - f(x - h)) / (2 h)``.

    Tried on x^3 at 2, exp at 0.5 and tanh at 0.3 with h = 1e-5 and on x^3 with h = 1e-3;
    the answer must be within 1e-8 (relative) of the true derivative, which the central
    difference achieves and the one-sided difference does not.
    """
    tries = [
        (lambda x: x**3, "x**3", 2.0, 12.0, 1e-5),
        (math.exp, "exp(x)", 0.5, math.exp(0.5), 1e-5),
        (math.tanh, "tanh(x)", 0.3, 1 - math.tanh(0.3) ** 2, 1e-5),
        (lambda x: x**3, "x**3", 1.0, 3.0, 1e-4),
    ]
    for f, fname, x, exact, h in tries:
        problem = _check_one_fd(numerical_derivative, f, fname, x, exact, h)
        if problem is not None:
            return problem
    return correct(
        "correct! the central difference: error about h^2, a check for any gradient you derive"
    )
