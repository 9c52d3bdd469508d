"""Tests for backprop_lib.nn.models.mlp: structure, initialisation, options, gradients, errors."""

import math

import numpy as np
import pytest

from backprop_lib import (
    BatchNorm1d,
    CrossEntropyLoss,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    MSELoss,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Tanh,
    gradcheck_model,
    mlp,
)

TOL = 1e-7
# A whole network's loss is one number of size ~1: central differences resolve each gradient
# entry to ~1e-11 absolute, and with ReLU and dropout some true entries are that small (a
# unit that fires for one example that is then dropped), so their relative error is rounding
# against rounding and can reach 1e-3 for a correct network. With fixed seeds the variants
# below stay under MODEL_TOL (most under 1e-8); a wrong backward gives > 1e-2
# (tests/test_gradcheck.py).
MODEL_TOL = 1e-5


def kinds(model):
    return [type(layer) for layer in model]


@pytest.mark.parametrize(
    "name, cls",
    [
        ("sigmoid", Sigmoid),
        ("tanh", Tanh),
        ("relu", ReLU),
        ("leaky_relu", LeakyReLU),
        ("identity", Identity),
    ],
)
def test_an_activation_after_every_hidden_linear_and_none_after_the_last(name, cls):
    model = mlp([2, 16, 8, 1], activation=name, rng=0)
    assert isinstance(model, Sequential)
    assert kinds(model) == [Linear, cls, Linear, cls, Linear]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, Linear)] == [
        (2, 16),
        (16, 8),
        (8, 1),
    ]
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert model(np.ones((5, 2))).shape == (5, 1)


def test_two_sizes_give_a_single_linear():
    assert kinds(mlp([3, 2], rng=0)) == [Linear]


def test_default_init_is_xavier_for_tanh_and_he_for_relu():
    fan_in, fan_out = 300, 200
    w = mlp([fan_in, fan_out, 1], activation="tanh", rng=0)[0].W.data
    bound = math.sqrt(6 / (fan_in + fan_out))  # Xavier uniform
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = mlp([fan_in, fan_out, 1], activation="relu", rng=0)[0].W.data
    assert w.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)  # He normal
    w = mlp([fan_in, fan_out, 1], activation="relu", init="zeros", rng=0)[0].W.data
    assert not w.any()


def test_same_seed_same_network():
    a, b = mlp([4, 8, 3], dropout=0.5, rng=7), mlp([4, 8, 3], dropout=0.5, rng=7)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    x = np.ones((6, 4))
    np.testing.assert_array_equal(a(x), b(x))  # dropout masks are seeded too
    assert not np.array_equal(a[0].W.data, mlp([4, 8, 3], rng=8)[0].W.data)


def test_batch_norm_goes_between_linear_and_activation_and_replaces_the_bias():
    model = mlp([2, 8, 8, 1], activation="relu", batch_norm=True, rng=0)
    assert kinds(model) == [Linear, BatchNorm1d, ReLU, Linear, BatchNorm1d, ReLU, Linear]
    assert model[0].b is None and model[3].b is None and model[6].b is not None
    assert [n for n, _ in model.named_buffers()][:2] == ["1.running_mean", "1.running_var"]


def test_residual_wraps_only_blocks_of_equal_width():
    model = mlp([2, 8, 8, 8, 1], residual=True, batch_norm=True, rng=0)
    assert kinds(model) == [Linear, BatchNorm1d, Tanh, Residual, Residual, Linear]
    assert kinds(model[3].block) == [Linear, BatchNorm1d, Tanh]
    assert "3.block.0.W" in dict(model.named_parameters())
    x = np.random.default_rng(0).normal(size=(4, 2))
    h = model[:3](x)
    np.testing.assert_allclose(model[:4](x), h + model[3].block(h))


def test_dropout_after_each_hidden_block():
    model = mlp([2, 8, 8, 1], dropout=0.2, residual=True, rng=0)
    assert kinds(model) == [Linear, Tanh, Dropout, Residual, Dropout, Linear]
    assert model[2].p == 0.2 and model[2].rng is not model[4].rng


def test_float32():
    model = mlp([2, 4, 1], batch_norm=True, dtype=np.float32, rng=0)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert model(np.ones((3, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("x_dtype", [np.float64, np.int64, np.float32])
def test_a_float32_model_stays_float32_whatever_the_input_dtype(x_dtype):
    # the datasets are float64: a float32 model must not silently compute in float64
    model = mlp([2, 4, 4, 3], batch_norm=True, residual=True, dropout=0.2, dtype=np.float32, rng=0)
    x = (np.random.default_rng(0).normal(size=(5, 2)) * 3).astype(x_dtype)
    y = model(x)
    assert y.dtype == np.float32
    dx = model.backward(np.ones_like(y))
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 and p.grad.any() for p in model.parameters())


def test_a_float64_model_computes_in_float64_from_float32_input():
    model = mlp([2, 4, 1], batch_norm=True, rng=0)
    x = np.random.default_rng(0).normal(size=(5, 2))
    y = model(x.astype(np.float32))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, model(x), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sizes": [3]}, ValueError, "at least two sizes"),
        ({"sizes": [3, 0, 1]}, ValueError, r"sizes\[1\] = 0"),
        ({"sizes": [3, 2.5, 1]}, ValueError, r"positive ints.*2.5"),
        ({"sizes": [2, 1], "activation": "gelu"}, ValueError, "unknown activation 'gelu'.*'relu'"),
        ({"sizes": [2, 1], "dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\)"),
        ({"sizes": [2, 1], "dropout": "0.1"}, TypeError, r"dropout must be a number in \[0, 1\)"),
        ({"sizes": [2, 1], "init": "hee"}, ValueError, "unknown init"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        mlp(**kwargs)


VARIANTS = [
    (activation, batch_norm, residual, dropout)
    for activation in ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
    for batch_norm in (False, True)
    for residual in (False, True)
    for dropout in (0.0, 0.3)
    # identity + batch norm: the next batch norm cancels the first one's beta, whose gradient
    # is then exactly 0 and its relative error meaningless (rounding against rounding)
    if not (activation == "identity" and batch_norm)
]


# Every variant, each with a fixed seed: the grid is small enough to check whole, and fixed
# numbers keep the result the same on every run (see MODEL_TOL for why that matters here).
@pytest.mark.parametrize("activation, batch_norm, residual, dropout", VARIANTS)
def test_every_variant_backpropagates_correctly(activation, batch_norm, residual, dropout):
    seed = VARIANTS.index((activation, batch_norm, residual, dropout))
    rng = np.random.default_rng(seed)
    model = mlp([3, 4, 4, 2], activation, None, batch_norm, residual, dropout, rng=seed)
    for p in model.parameters():
        p.data[...] += 0.1 * rng.normal(size=p.shape)  # non-zero biases, gamma != 1, beta != 0
    x = rng.normal(size=(6, 3))
    errors = gradcheck_model(model, CrossEntropyLoss(), x, rng.integers(0, 2, size=6))
    assert set(errors) == {n for n, _ in model.named_parameters()}
    assert max(errors.values()) < MODEL_TOL, errors


def test_regression_head_with_mse():
    rng = np.random.default_rng(1)
    model = mlp([1, 8, 1], activation="tanh", rng=1)
    x, y = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    assert max(gradcheck_model(model, MSELoss(), x, y).values()) < TOL
