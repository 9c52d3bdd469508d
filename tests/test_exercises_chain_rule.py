"""The checkers of notebooks/02_chain_rule.ipynb: solutions pass, stubs are "not attempted",
and each typical mistake gets its specific hint. The expected answers are also recomputed
independently, with ``Value`` and with finite differences."""

import math

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import chain_rule as ex

# ---- the solutions, as written in the notebook's <details> blocks ----


def df(x):
    return (1 - np.tanh(x**2) ** 2) * 2 * x


def neuron_table():
    v = ex.NEURON
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    dn = 1 - math.tanh(n) ** 2
    return {
        "n": dn,
        "b": dn,
        "w1": v["x1"] * dn,
        "x1": v["w1"] * dn,
        "w2": v["x2"] * dn,
        "x2": v["w2"] * dn,
    }


def numerical_derivative(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


# ---- the expected answers agree with Value and with finite differences ----


def test_neuron_table_agrees_with_value():
    leaves = {k: bl.Value(v, k) for k, v in ex.NEURON.items()}
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    o = n.tanh()
    o.backward()
    table = neuron_table()
    assert table["n"] == pytest.approx(n.grad, rel=1e-12)
    for key, leaf in leaves.items():
        assert table[key] == pytest.approx(leaf.grad, rel=1e-12), key


def test_used_twice_agrees_with_value():
    a, b = bl.Value(ex.USED_TWICE["a"]), bl.Value(ex.USED_TWICE["b"])
    (a * b + a).backward()
    assert ex.check_used_twice(a.grad, b.grad).correct


@pytest.mark.parametrize("x", [-1.2, 0.05, 0.7])
def test_chain_rule_solution_matches_finite_differences(x):
    f = lambda t: np.tanh(t**2)  # noqa: E731
    assert df(x) == pytest.approx(numerical_derivative(f, x), rel=1e-7)


# ---- solutions are correct, stubs not attempted ----


def test_solutions_are_correct():
    assert ex.check_chain_rule(df).correct
    assert ex.check_neuron_grads(neuron_table()).correct
    assert ex.check_used_twice(ex.USED_TWICE["b"] + 1, ex.USED_TWICE["a"]).correct
    assert ex.check_numerical_derivative(numerical_derivative).correct


def test_value_based_answers_are_accepted():
    """Answers given as numpy scalars or arrays of one element count as numbers."""
    table = {k: np.float64(v) for k, v in neuron_table().items()}
    assert ex.check_neuron_grads(table).correct
    assert ex.check_used_twice(np.array(-3.0), np.float32(2.0)).correct


def stub(*args, **kwargs):
    return ...


def raises_stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [stub, raises_stub])
@pytest.mark.parametrize("check", [ex.check_chain_rule, ex.check_numerical_derivative])
def test_function_stubs_are_not_attempted(check, fn):
    result = check(fn)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


def test_value_stubs_are_not_attempted():
    assert ex.check_neuron_grads(dict.fromkeys(neuron_table(), ...)).status == "not attempted"
    assert ex.check_used_twice(..., ...).status == "not attempted"


# ---- typical mistakes get a specific hint ----


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x: 1 - np.tanh(x**2) ** 2, "inner derivative"),
        (lambda x: (1 - np.tanh(x) ** 2) * 2 * x, "at the inner value"),
        (lambda x: (1 - x**4) * 2 * x, "not 1 - u**2"),
        (lambda x: np.tanh(x**2) * 2 * x, "not tanh itself"),
        (lambda x: 2 * x, "only the inner derivative"),
        (lambda x: 1 - np.tanh(2 * x) ** 2, "multiplies"),
        (lambda x: (1 - np.tanh(x**2) ** 2) * 2, "is 2 * x, not 2"),
        (lambda x: 1 - np.tanh(x**2) ** 2 * 2 * x, "operator precedence"),
        (lambda x: -df(x), "wrong sign"),
        (lambda x: df(x) + 0.1, "differs"),
        (lambda x: float(df(x)), "raised TypeError"),
    ],
)
def test_chain_rule_mistakes(wrong, hint):
    result = ex.check_chain_rule(wrong)
    assert result.status == "incorrect"
    assert hint in result.message


def _table(**changes):
    return {**neuron_table(), **changes}


V = ex.NEURON
N = V["x1"] * V["w1"] + V["x2"] * V["w2"] + V["b"]
DN = 1 - math.tanh(N) ** 2


@pytest.mark.parametrize(
    ("table", "hint"),
    [
        (_table(n=1.0), "not 1"),
        (_table(n=1 - N**2), "not 1 - n^2"),
        (_table(n=math.tanh(N)), "its derivative is 1 - o^2"),
        (_table(b=1.0), "upstream"),
        (_table(b=0.3), "unchanged"),
        (_table(w1=V["w1"] * DN), "swapped"),
        (_table(x2=V["x2"] * DN), "swapped"),
        (_table(w2=V["x2"]), "multiply it by the upstream"),
        (_table(x1=V["w1"] + DN), "not (local derivative) x (upstream"),
        (_table(x1=...), "fill in the gradient of x1"),
        (_table(w1="big"), "should be a number"),
        ([1, 2, 3], "dict"),
    ],
)
def test_neuron_grads_mistakes(table, hint):
    result = ex.check_neuron_grads(table)
    assert result.status == "incorrect"
    assert hint in result.message


A, B = ex.USED_TWICE["a"], ex.USED_TWICE["b"]


@pytest.mark.parametrize(
    ("da", "db", "hint"),
    [
        (B, A, "only the path through a * b"),
        (1.0, A, "only the path through + a"),
        (7.0, A, "not the sum"),
        (B + 1, A + 1, "used only once"),
        (B + 1, B, "other* factor"),
        (B + 1, 5.0, "not d(a*b + a)/db"),
        (B + 1, ..., "dL_db"),
        ("minus three", A, "should be a number"),
    ],
)
def test_used_twice_mistakes(da, db, hint):
    result = ex.check_used_twice(da, db)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, "one-sided"),
        (lambda f, x, h=1e-5: (f(x) - f(x - h)) / h, "one-sided"),
        (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h, "divide by 2 * h"),
        (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / 2 * h, "precedence"),
        (lambda f, x, h=1e-5: f(x + h) - f(x - h), "divided by the step"),
        (lambda f, x, h=1e-5: (f(x + 1e-2) - f(x - 1e-2)) / 2e-2, "the derivative is"),
        (lambda f, x: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5, "raised TypeError"),
    ],
)
def test_numerical_derivative_mistakes(wrong, hint):
    result = ex.check_numerical_derivative(wrong)
    assert result.status == "incorrect"
    assert hint in result.message
