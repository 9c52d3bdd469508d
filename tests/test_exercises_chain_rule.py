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


def none_stub(*args, **kwargs):
    return None


@pytest.mark.parametrize("fn", [stub, raises_stub, none_stub])
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


# ---- hand values: plain numbers rounded as a learner rounds them ----


def _rounded(table, decimals):
    return {k: round(float(v), decimals) for k, v in table.items()}


def _by_hand(decimals):
    """The table worked out on paper: tanh(n) rounded, then do/dn rounded, then each product."""
    v = ex.NEURON
    o = round(math.tanh(N), decimals)
    dn = round(1 - o * o, decimals)
    table = {
        "n": dn,
        "b": dn,
        "w1": v["x1"] * dn,
        "x1": v["w1"] * dn,
        "w2": v["x2"] * dn,
        "x2": v["w2"] * dn,
    }
    return _rounded(table, decimals)


@pytest.mark.parametrize("decimals", [4, 5, 6])
def test_hand_values_rounded_to_4_decimals_or_more_are_accepted(decimals):
    assert ex.check_neuron_grads(_rounded(neuron_table(), decimals)).correct
    assert ex.check_neuron_grads(_by_hand(decimals)).correct


def test_hand_values_rounded_to_2_or_3_decimals_get_a_rounding_hint():
    for decimals in (2, 3):
        result = ex.check_neuron_grads(_by_hand(decimals))
        assert result.status == "incorrect"
        assert "rounded too coarsely" in result.message, result.message


def test_the_rounding_tolerance_is_far_from_every_named_mistake():
    v, right = ex.NEURON, neuron_table()
    wrong = [1.0, 1 - N**2, math.tanh(N)] + [v[k] for k in ("x1", "w1", "x2", "w2")]
    wrong += [v[k] * DN for k in ("x1", "w1", "x2", "w2")]
    for key, value in right.items():
        for w in wrong:
            if abs(w - value) > 1e-9:  # another entry's right value is not a mistake here
                assert abs(w - value) > 100 * ex.HAND_TOL, (key, w)


def test_hand_values_in_other_forms_are_accepted():
    table = neuron_table()
    forms = {
        "n": np.array([table["n"]]),  # an array of one number
        "b": np.float32(table["b"]),
        "w1": np.array(table["w1"]),
        "x1": table["x1"],
        "w2": float(f"{table['w2']:.4f}"),
        "x2": round(table["x2"], 4),
    }
    assert ex.check_neuron_grads(forms).correct
    assert ex.check_used_twice(np.array([-3]), [2.0]).correct
    assert ex.check_used_twice(np.int64(-3), 2).correct


@pytest.mark.parametrize("stub_value", [None, ...])
def test_an_unset_table_is_not_attempted(stub_value):
    assert "not attempted yet" in str(ex.check_neuron_grads(stub_value))
    assert "not attempted yet" in str(ex.check_used_twice(stub_value, stub_value))


def test_a_value_object_in_the_table_is_explained():
    result = ex.check_neuron_grads(_table(n=bl.Value(DN)))
    assert result.status == "incorrect"
    assert ".grad" in result.message


# ---- the chain rule on arrays of several shapes ----


def test_chain_rule_is_tried_on_two_shapes():
    assert ex.CHAIN_POINTS.shape != ex.CHAIN_GRID.shape
    assert ex.CHAIN_GRID.ndim == 2


@pytest.mark.parametrize(
    "answer",
    [
        lambda x: bl.d_tanh(x**2) * 2 * x,
        lambda x: 2 * x / np.cosh(x**2) ** 2,
        lambda x: df(x.astype(np.float32)),
        lambda x: df(x).tolist(),
    ],
)
def test_chain_rule_right_answers_in_other_forms(answer):
    result = ex.check_chain_rule(answer)
    assert result.correct, result.message


def df_for_five_points(x):
    return np.array([(1 - np.tanh(x[i] ** 2) ** 2) * 2 * x[i] for i in range(5)])


def test_chain_rule_written_for_five_points_fails_and_is_told_why():
    result = ex.check_chain_rule(df_for_five_points)
    assert result.status == "incorrect"
    assert "hard-coded" in result.message


def test_math_tanh_on_an_array_gets_a_hint():
    result = ex.check_chain_rule(lambda x: (1 - math.tanh(x**2) ** 2) * 2 * x)
    assert result.status == "incorrect"
    assert "np.tanh" in result.message


def test_derivative_of_the_wrong_composition_is_named():
    result = ex.check_chain_rule(lambda x: 2 * np.tanh(x) * (1 - np.tanh(x) ** 2))
    assert "tanh(x)**2" in result.message


# ---- the numerical derivative uses the step it is given ----


def ignores_h(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


def test_numerical_derivative_that_ignores_h_is_named():
    result = ex.check_numerical_derivative(ignores_h)
    assert result.status == "incorrect"
    assert "ignores its argument h" in result.message


def test_numerical_derivative_right_answers_in_other_forms():
    assert ex.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / 2 / h)
    assert ex.check_numerical_derivative(
        lambda f, x, h=1e-5: np.array([(f(x + h) - f(x - h)) / (2 * h)])
    ).correct


def test_numerical_derivative_message_shows_the_difference():
    """Off by 1e-7 (relative): rounded to 6 digits both would read 12."""
    result = ex.check_numerical_derivative(
        lambda f, x, h=1e-5: numerical_derivative(f, x, h) * (1 + 1e-7)
    )
    assert result.status == "incorrect"
    got, want = result.message.split("you got ")[1].split("; the derivative is ")
    assert got != want, result.message


JUNK = ["abc", [[1.0, 2.0], [3.0]], {"y": 1}, object(), np.array([np.nan, 1.0]), 1j]


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_answers_are_incorrect_not_errors(junk):
    for check in (ex.check_chain_rule, ex.check_numerical_derivative):
        assert check(lambda *args, **kwargs: junk).status == "incorrect"
    if not isinstance(junk, dict):  # a dict without the keys is a table not filled in yet
        assert ex.check_neuron_grads(junk).status == "incorrect"
    assert ex.check_neuron_grads(_table(w2=junk)).status == "incorrect"
    assert ex.check_used_twice(junk, 2.0).status == "incorrect"
