"""Tests for backprop_lib.nn.activations: plain functions, derivatives and activation layers."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import (
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    d_identity,
    d_leaky_relu,
    d_relu,
    d_sigmoid,
    d_tanh,
    gradcheck_layer,
    identity,
    leaky_relu,
    numerical_gradient,
    rel_error,
    relu,
    sigmoid,
    softmax,
    tanh,
)

TOL = 1e-7
# Softmax mixes a row: dx_i = y_i (dy_i - sum_j y_j dy_j) is near zero by chance in ~0.2% of
# random draws, where rounding alone reads as a relative error up to ~1e-6 (measured); a
# wrong backward gives > 1e-2. Elementwise activations stay below TOL.
MIXING_TOL = 1e-5
fast = settings(max_examples=20, deadline=None, derandomize=True)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))
seeds = st.integers(0, 2**16)


def away_from_kink(x, margin=0.1):
    """Move every entry at least ``margin`` away from 0, where ReLU has no derivative."""
    return np.where(x >= 0, x + margin, x - margin)


# ---------------------------------------------------------------- plain functions


def test_functions_match_their_formulas():
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(tanh(x), (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)))
    np.testing.assert_array_equal(relu(x), np.where(x > 0, x, 0.0))
    np.testing.assert_allclose(leaky_relu(x, 0.2), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_array_equal(identity(x), x)


@pytest.mark.parametrize(
    "f, df",
    [
        (sigmoid, d_sigmoid),
        (tanh, d_tanh),
        (relu, d_relu),
        (lambda x: leaky_relu(x, 0.3), lambda x: d_leaky_relu(x, 0.3)),
        (identity, d_identity),
    ],
    ids=["sigmoid", "tanh", "relu", "leaky_relu", "identity"],
)
def test_derivatives_match_central_differences(f, df):
    x = away_from_kink(np.random.default_rng(0).normal(0, 2, size=50))
    # f acts elementwise, so the gradient of sum(f(x)) is f'(x) entry by entry
    assert rel_error(df(x), numerical_gradient(f, x.copy())) < TOL


def test_derivative_landmarks():
    assert d_sigmoid(0.0) == 0.25 and d_sigmoid(np.linspace(-9, 9, 99)).max() <= 0.25
    assert d_tanh(0.0) == 1.0
    assert d_relu(0.0) == 0.0 and d_relu(2.0) == 1.0  # 0 at the kink, as torch
    assert d_leaky_relu(-1.0) == 0.01


def test_sigmoid_does_not_overflow_at_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 1.0])


@pytest.mark.parametrize("x", [-40.0, -30.0, -20.0, -5.0, 0.0])
def test_sigmoid_keeps_full_relative_precision_in_the_negative_tail(x):
    # 1 / (1 + e^-x) is accurate to a few ulps for every x, and torch's sigmoid matches it;
    # via 0.5 + 0.5 tanh(x / 2) sigma(-40) rounds to 0 and sigma(-30) is off by 2e-4
    exact = 1.0 / (1.0 + math.exp(-x))
    assert sigmoid(np.array([x]))[0] == pytest.approx(exact, rel=1e-14, abs=0)
    assert d_sigmoid(np.array([x]))[0] == pytest.approx(exact * (1 - exact), rel=1e-13, abs=0)
    layer = Sigmoid()
    assert layer(np.array([[x]]))[0, 0] == pytest.approx(exact, rel=1e-14, abs=0)


def test_sigmoid_layer_gradcheck_in_the_negative_tail():
    x = np.array([[-35.0, -28.0, -22.0]])
    assert gradcheck_layer(Sigmoid(), x)["x"] < TOL


def test_sigmoid_of_a_scalar_is_a_scalar_and_keeps_float32():
    assert np.ndim(sigmoid(0.5)) == 0 and sigmoid(0.0) == 0.5
    assert sigmoid(np.ones(3, dtype=np.float32)).dtype == np.float32
    np.testing.assert_array_equal(sigmoid(np.array([np.nan]))[0], np.nan)


def test_derivatives_keep_float32():
    x = np.ones(3, dtype=np.float32)
    for df in (d_relu, d_leaky_relu, d_identity, d_sigmoid, d_tanh):
        assert df(x).dtype == np.float32, df.__name__


# ---------------------------------------------------------------- softmax


@fast
@given(shape=shapes, seed=seeds)
def test_softmax_rows_are_distributions(shape, seed):
    x = np.random.default_rng(seed).normal(0, 5, size=shape)
    y = Softmax()(x)
    assert (y > 0).all()
    np.testing.assert_allclose(y.sum(axis=-1), 1.0)
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True))


def test_softmax_is_stable_and_shift_invariant():
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # exp(-2000) may underflow
        y = softmax(x)
    np.testing.assert_allclose(y[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(y[1], softmax(np.array([1.0, 1.0, 0.0])))
    np.testing.assert_allclose(softmax(x + 7.0), y)


# ---------------------------------------------------------------- layers


LAYERS = {
    "Sigmoid": (Sigmoid, sigmoid),
    "Tanh": (Tanh, tanh),
    "ReLU": (ReLU, relu),
    "LeakyReLU": (lambda: LeakyReLU(0.1), lambda x: leaky_relu(x, 0.1)),
    "Identity": (Identity, identity),
    "Softmax": (Softmax, softmax),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_forward_equals_the_plain_function(name):
    make, f = LAYERS[name]
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(make()(x), f(x))


@pytest.mark.parametrize("name", LAYERS)
@fast
@given(shape=shapes, seed=seeds)
def test_layer_gradcheck(name, shape, seed):
    rng = np.random.default_rng(seed)
    # scale 1: softmax probabilities of ~1e-5 would give gradient entries below what central
    # differences resolve at the 1e-7 level (rounding, not a wrong backward)
    x = away_from_kink(rng.normal(size=shape))
    errors = gradcheck_layer(LAYERS[name][0](), x, rng=rng)
    assert set(errors) == {"x"}  # no parameters
    assert errors["x"] < (MIXING_TOL if name == "Softmax" else TOL), errors


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("dtype", [np.bool_, np.int64])
def test_layer_bool_and_int_inputs_compute_in_float64(name, dtype):
    # bool input used to crash Softmax and give float16 from Tanh
    make, _ = LAYERS[name]
    x = np.array([[1, 0, 1], [0, 0, 1]], dtype=dtype)
    layer = make()
    y = layer(x)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, make()(x.astype(np.float64)))
    assert layer.backward(np.ones_like(y)).dtype == np.float64


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("bad", [np.array([["a", "b"]]), np.array([[1.0]], dtype=object)])
def test_layer_non_numeric_input_is_a_type_error_naming_the_layer(name, bad):
    layer = LAYERS[name][0]()
    with pytest.raises(TypeError, match=rf"{name} expects numbers, got dtype .*np.asarray"):
        layer(bad)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_backward_before_forward_and_wrong_gradient_shape(name):
    layer = LAYERS[name][0]()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_y with shape \(3, 2\).*\(2, 3\)"):
        layer.backward(np.ones((3, 2)))


def test_elementwise_backward_formulas():
    rng = np.random.default_rng(2)
    x, dy = away_from_kink(rng.normal(size=(3, 4))), rng.normal(size=(3, 4))
    for layer, df in [(Sigmoid(), d_sigmoid), (Tanh(), d_tanh), (ReLU(), d_relu)]:
        layer(x)
        np.testing.assert_allclose(layer.backward(dy), dy * df(x))


def test_softmax_backward_is_the_jacobian_vector_product():
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    layer = Softmax()
    y = layer(x)
    dx = layer.backward(dy)
    for i in range(2):
        jacobian = np.diag(y[i]) - np.outer(y[i], y[i])  # dy_j / dx_k
        np.testing.assert_allclose(dx[i], jacobian.T @ dy[i])


def test_leaky_relu_slope_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="negative_slope must be a number, got '0.1'.*0.01"):
        LeakyReLU("0.1")


@pytest.mark.parametrize("slope", [-0.1, float("inf"), float("nan")])
def test_leaky_relu_rejects_bad_slopes(slope):
    with pytest.raises(ValueError, match="negative_slope must be a finite number >= 0"):
        LeakyReLU(slope)


def test_activations_keep_float32_and_have_no_parameters():
    x = np.ones((2, 2), dtype=np.float32)
    for make, _ in LAYERS.values():
        layer = make()
        assert layer(x).dtype == np.float32
        assert layer.parameters() == []
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
