"""Tests for backprop_lib.autograd.value: Value's gradients against central differences, the
accumulation rules and the errors."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import Value
from backprop_lib.autograd.value import paused_gc, topological_order

H = 1e-6


def numerical_grads(f, xs: list[float]) -> list[float]:
    """Central differences of f(*Values).data with respect to each input."""
    grads = []
    for i in range(len(xs)):
        up = [Value(x + H * (j == i)) for j, x in enumerate(xs)]
        down = [Value(x - H * (j == i)) for j, x in enumerate(xs)]
        grads.append((f(*up).data - f(*down).data) / (2 * H))
    return grads


def analytic_grads(f, xs: list[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return [v.grad for v in leaves]


def assert_grads_match(f, xs: list[float], tol: float = 1e-6) -> None:
    for a, n in zip(analytic_grads(f, xs), numerical_grads(f, xs), strict=True):
        assert abs(a - n) <= tol * max(1.0, abs(n)), (a, n)


# ---- every op, against central differences and against math -----------------------------

# (name, function of Values, its float version, strategy for the inputs)
away_from_zero = st.floats(0.3, 3.0) | st.floats(-3.0, -0.3)
real = st.floats(-3.0, 3.0)
positive = st.floats(0.1, 5.0)
OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [real, real]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [real, real]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [real, real]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [real, away_from_zero]),
    ("pow2", lambda a: a**2, lambda a: a**2, [real]),
    ("pow3", lambda a: a**3, lambda a: a**3, [real]),
    ("pow-1", lambda a: a**-1, lambda a: 1 / a, [away_from_zero]),
    ("pow0.5", lambda a: a**0.5, math.sqrt, [positive]),
    ("neg", lambda a: -a, lambda a: -a, [real]),
    ("exp", lambda a: a.exp(), math.exp, [real]),
    ("log", lambda a: a.log(), math.log, [positive]),
    ("tanh", lambda a: a.tanh(), math.tanh, [real]),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a)), [real]),
    ("relu", lambda a: a.relu(), lambda a: max(a, 0.0), [away_from_zero]),
    ("radd", lambda a: 2 + a, lambda a: 2 + a, [real]),
    ("rsub", lambda a: 1 - a, lambda a: 1 - a, [real]),
    ("rmul", lambda a: 2 * a, lambda a: 2 * a, [real]),
    ("rdiv", lambda a: 1 / a, lambda a: 1 / a, [away_from_zero]),
    ("rpow", lambda a: 3**a, lambda a: 3**a, [real]),
    ("sub_const", lambda a: a - 0.5, lambda a: a - 0.5, [real]),
    ("div_const", lambda a: a / 4, lambda a: a / 4, [real]),
]


@pytest.mark.parametrize("name, f, f_float, domains", OPS, ids=[op[0] for op in OPS])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_each_op_gradient_matches_central_differences(name, f, f_float, domains, data):
    xs = [data.draw(d) for d in domains]
    assert f(*[Value(x) for x in xs]).data == pytest.approx(f_float(*xs), rel=1e-12, abs=1e-12)
    assert_grads_match(f, xs)


def test_op_names_and_children():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    cases = [(a + b, "+"), (a - b, "-"), (a * b, "*"), (a / b, "/"), (a**2, "**2")]
    cases += [(-a, "neg"), (a.exp(), "exp"), (a.log(), "log"), (a.tanh(), "tanh")]
    cases += [(a.sigmoid(), "sigmoid"), (a.relu(), "relu")]
    for out, op in cases:
        assert out.op == op
        assert out.children[0] is a
        assert out.label == ""
    assert a.op == "" and a.children == ()
    assert (a * b).children == (a, b)


@pytest.mark.parametrize("x", [-40.0, -30.0, -1.0, 0.0])
def test_sigmoid_keeps_full_relative_precision_in_the_negative_tail(x):
    exact = 1.0 / (1.0 + math.exp(-x))
    a = Value(x)
    s = a.sigmoid()
    s.backward()
    assert s.data == pytest.approx(exact, rel=1e-14, abs=0)
    assert a.grad == pytest.approx(exact * (1.0 - exact), rel=1e-13, abs=0)


def test_relu_gradient_at_the_kink_is_zero_as_in_torch():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# ---- random expression trees --------------------------------------------------------------

UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "exp_tanh": lambda a: a.tanh().exp(),
    "log1p_sq": lambda a: (1 + a * a).log(),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "safe_div": lambda a, b: a / (1 + b * b),
}


def expressions(n_leaves: int):
    """Trees over leaf indices 0..n_leaves-1, as nested tuples."""
    leaf = st.integers(0, n_leaves - 1)
    return st.recursive(
        leaf,
        lambda kids: (
            st.tuples(st.sampled_from(sorted(UNARY)), kids)
            | st.tuples(st.sampled_from(sorted(BINARY)), kids, kids)
        ),
        max_leaves=8,
    )


def evaluate(tree, leaves):
    if isinstance(tree, int):
        return leaves[tree]
    if len(tree) == 2:
        return UNARY[tree[0]](evaluate(tree[1], leaves))
    return BINARY[tree[0]](evaluate(tree[1], leaves), evaluate(tree[2], leaves))


@settings(max_examples=60, deadline=None)
@given(tree=expressions(3), xs=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_random_expression_trees_match_finite_differences(tree, xs):
    def f(*leaves):
        return evaluate(tree, leaves) + 0  # "+ 0" makes a lone leaf a graph too

    assert_grads_match(f, xs, tol=1e-5)


# ---- accumulation: shared nodes, repeated backward, zero_grad ----------------------------


def test_a_node_used_twice_gets_the_sum_of_both_paths():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0  # 1 + 1
    a = Value(3.0)
    c = a * a
    c.backward()
    assert a.grad == 6.0  # a + a (each factor's local derivative is the other one)
    assert_grads_match(lambda a: a * a + a, [3.0])
    assert_grads_match(lambda a, b: (a * b + a).tanh() * a, [0.7, -0.4])


def test_backward_twice_accumulates_leaf_grads_and_recomputes_intermediate_ones():
    x, w = Value(2.0), Value(-0.5)
    h = x * w
    out = h.tanh()
    out.backward()
    once = (x.grad, w.grad, h.grad, out.grad)
    out.backward()
    assert x.grad == pytest.approx(2 * once[0])
    assert w.grad == pytest.approx(2 * once[1])
    assert h.grad == once[2]  # the latest call's gradient, not a sum
    assert out.grad == 1.0
    out.zero_grad()
    assert [v.grad for v in (x, w, h, out)] == [0.0, 0.0, 0.0, 0.0]


def test_backward_seeds_the_output_with_the_given_gradient():
    x = Value(1.5)
    y = x * 4
    y.backward()
    assert y.grad == 1.0 and x.grad == 4.0
    x.grad = 0.0
    y.backward(grad=0.5)
    assert x.grad == 2.0


def test_zero_grad_resets_only_nodes_reachable_from_the_root():
    a, b, other = Value(1.0), Value(2.0), Value(5.0)
    c = a * b
    (c + other).backward()
    c.zero_grad()
    assert a.grad == 0.0 and b.grad == 0.0 and c.grad == 0.0
    assert other.grad == 1.0


def test_deep_graph_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) == 1 + 2 * 5000  # x, and per step a constant and a product


def test_backward_pauses_the_garbage_collector_and_restores_it():
    x = Value(1.0)
    y = x * 2
    seen = []
    y._backward = lambda: seen.append(gc.isenabled())
    assert gc.isenabled()
    y.backward()
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        y.backward()
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


def test_paused_gc_restores_the_collector_after_an_error():
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


# ---- errors -------------------------------------------------------------------------------


def test_non_numeric_operands_raise_type_error_naming_the_type_and_the_fix():
    v = Value(1.0)
    with pytest.raises(TypeError, match=r"str.*float\("):
        v + "3"
    with pytest.raises(TypeError, match=r"str.*float\("):
        "3" * v
    with pytest.raises(TypeError, match=r"list.*one Value per element"):
        v * [1.0, 2.0]
    with pytest.raises(TypeError, match=r"ndarray.*one Value per element"):
        Value(np.zeros(3))
    with pytest.raises(TypeError, match=r"already a node"):
        Value(v)
    with pytest.raises(TypeError, match=r"exponent must be a constant"):
        v ** Value(2.0)


def test_numpy_scalars_are_numbers():
    v = Value(np.float32(2.0)) * np.float64(3.0) + np.int64(1)
    assert isinstance(v, Value) and v.data == 7.0


def test_log_of_a_non_positive_number_raises_value_error():
    for x in (0.0, -2.0):
        with pytest.raises(ValueError, match="log needs a positive number"):
            Value(x, "x").log()


def test_nan_data_raises_value_error():
    with pytest.raises(ValueError, match="NaN"):
        Value(float("nan"))
    big = Value(1000.0).exp()  # overflows to inf, which is allowed
    assert big.data == math.inf
    with pytest.raises(ValueError, match="produced NaN"):
        big - big


def test_other_domain_errors():
    with pytest.raises(ZeroDivisionError, match="add a small epsilon"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError, match="infinite"):
        Value(0.0) ** 0.5
    with pytest.raises(TypeError, match="positive"):
        (-2) ** Value(1.0)


def test_children_and_local_grads_are_the_chain_rules_factors():
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    z = x * y
    assert z.children == (x, y)
    assert z.local_grads == (-2.0, 3.0)  # dz/dx = y, dz/dy = x
    t = z.tanh()
    assert t.children == (z,)
    assert t.local_grads == pytest.approx((1 - math.tanh(-6.0) ** 2,))
    assert x.children == () and x.local_grads == ()
