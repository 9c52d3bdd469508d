"""instruments.initialization: copies among units are found (and only copies), the symmetry
argument holds for the library's own backward pass and for finite differences, and the
activations' spread is each hidden layer's standard deviation."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.instruments import (
    activation_spread,
    distinct_units,
    distinct_units_per_layer,
    numerical_gradient,
    unit_gap,
    unit_groups,
)
from backprop_lib.nn import init

X, Y = bl.data.make_moons(40, noise=0.2, rng=3)
Y = Y.reshape(-1, 1).astype(float)
constant = functools.partial(init.constant, value=0.5)


def _from_pattern(pattern, rows, rng):
    """W (rows, len(pattern)) whose column j is the pattern[j]-th of some random columns."""
    columns = rng.normal(size=(rows, max(pattern) + 1))
    return columns[:, pattern]


# ---- grouping ----


def test_groups_of_a_small_matrix():
    W = np.array([[1.0, 2.0, 1.0, 3.0], [4.0, 5.0, 4.0, 6.0]])
    assert unit_groups(W) == [[0, 2], [1], [3]]
    assert distinct_units(W) == 3
    assert distinct_units(np.zeros((3, 5))) == 1
    assert distinct_units(np.eye(4)) == 4


@settings(max_examples=40, deadline=None)
@given(
    pattern=st.lists(st.integers(0, 5), min_size=1, max_size=12),
    rows=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_copies_are_grouped_by_their_pattern(pattern, rows, seed):
    rng = np.random.default_rng(seed)
    W = _from_pattern(pattern, rows, rng)
    groups = unit_groups(W)
    assert len(groups) == len(set(pattern)) == distinct_units(W)
    for group in groups:
        assert len({pattern[j] for j in group}) == 1  # a group holds copies of one column
    assert sorted(j for g in groups for j in g) == list(range(len(pattern)))
    # noise below the tolerance keeps the copies; noise above it separates every unit
    tiny = W + rng.normal(size=W.shape) * 1e-12
    assert distinct_units(tiny) == len(set(pattern))
    noisy = W + rng.normal(size=W.shape) * 1e-3
    assert distinct_units(noisy) == len(pattern)


def test_bias_and_outgoing_weights_tell_equal_columns_apart():
    W = np.ones((3, 4))
    assert distinct_units(W) == 1
    assert distinct_units(W, b=np.array([0.0, 0.0, 1.0, 0.0])) == 2
    W_next = np.array([[1.0], [2.0], [1.0], [1.0]])  # (4 units, 1 output)
    assert unit_groups(W, W_next=W_next) == [[0, 2, 3], [1]]


def test_tolerance_is_relative_and_zero_means_exact():
    W = np.array([[1e6, 1e6 + 1e-4]])
    assert distinct_units(W) == 1  # 1e-4 is within 1e-9 of a 1e6 scale
    assert distinct_units(W, tol=0.0) == 2
    assert distinct_units(np.array([[np.nan, np.nan]])) == 2  # NaN equals nothing


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(W=np.ones(3)), ValueError, "2-D weight matrix"),
        (dict(W=np.ones((0, 3))), ValueError, "2-D weight matrix"),
        (dict(W="abc"), TypeError, "array of numbers"),
        (dict(W=np.ones((2, 3)), b=np.ones(2)), ValueError, r"b must have shape \(3,\)"),
        (dict(W=np.ones((2, 3)), W_next=np.ones((2, 1))), ValueError, "W_next must have 3"),
        (dict(W=np.ones((2, 3)), tol=-1.0), ValueError, "tol must be >= 0"),
        (dict(W=np.ones((2, 3)), tol="small"), TypeError, "tol must be a number"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        unit_groups(**kwargs)


def test_unit_gap_is_the_largest_difference_between_two_units():
    W = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 4.5]])
    assert unit_gap(W) == 2.0  # row 0: 3 - 1
    assert unit_gap(np.full((4, 6), 0.5)) == 0.0
    assert unit_gap(W[:, :1]) == 0.0  # one unit has no one to differ from
    with pytest.raises(ValueError, match="2-D weight matrix"):
        unit_gap(np.ones(3))


def test_model_without_linear_layers_is_a_clear_error():
    with pytest.raises(ValueError, match="no Linear layer"):
        distinct_units_per_layer(bl.Sequential(bl.Tanh()))


# ---- the symmetry argument, on real networks ----


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("sizes", [[2, 6, 1], [2, 5, 4, 1]])
def test_constant_init_gives_copies_with_equal_gradients(activation, sizes):
    model = bl.mlp(sizes, activation=activation, init=constant, rng=0)
    assert distinct_units_per_layer(model) == [1] * (len(sizes) - 2)
    loss = bl.BCEWithLogitsLoss()
    model.zero_grad()
    loss.forward(model(X), Y)
    model.backward(loss.backward())
    first = model[0]
    # the library's gradient: every column of dL/dW1 is the same
    assert distinct_units(first.W.grad, first.b.grad, tol=1e-12) == 1

    # and so is the finite-difference gradient, which knows nothing of backward()
    def f(_):
        return loss.forward(model(X), Y)

    numeric = numerical_gradient(f, first.W.data)
    np.testing.assert_allclose(numeric, first.W.grad, rtol=1e-5, atol=1e-9)
    assert distinct_units(numeric, tol=1e-6) == 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_copies_stay_copies_through_training(optimizer):
    model = bl.mlp([2, 8, 8, 1], activation="tanh", init=constant, rng=0)
    params = model.parameters()
    opt = bl.SGD(params, lr=0.5, momentum=0.9) if optimizer == "sgd" else bl.Adam(params, 0.01)
    first_W = model[0].W.data.copy()
    for _ in range(5):
        bl.fit(model, bl.BCEWithLogitsLoss(), opt, X, Y, epochs=40)
        assert distinct_units_per_layer(model, tol=0.0) == [1, 1]  # bit for bit
    assert not np.allclose(model[0].W.data, first_W)  # the weights did move, together


def test_tiny_noise_makes_every_unit_distinct_and_training_keeps_them_apart():
    def noisy(shape, rng=None, dtype=np.float64):
        return init.constant(shape, 0.5) + init.normal(shape, std=1e-6, rng=rng)

    model = bl.mlp([2, 8, 8, 1], activation="tanh", init=noisy, rng=0)
    assert distinct_units_per_layer(model) == [8, 8]
    gap = unit_gap(model[0].W.data)
    assert 1e-6 < gap < 1e-5
    bl.fit(model, bl.BCEWithLogitsLoss(), bl.SGD(model.parameters(), lr=0.5), X, Y, epochs=50)
    assert distinct_units_per_layer(model) == [8, 8]
    assert unit_gap(model[0].W.data) > gap  # training pulls them further apart


def test_random_weights_with_zero_biases_are_distinct():
    model = bl.mlp([2, 8, 8, 1], activation="relu", rng=0)
    assert all(np.all(layer.b.data == 0) for layer in model if isinstance(layer, bl.Linear))
    assert distinct_units_per_layer(model) == [8, 8]


# ---- the activations' spread ----


def test_spread_is_the_std_of_each_hidden_layer():
    model = bl.mlp([2, 7, 5, 1], activation="tanh", rng=1)
    h1 = np.tanh(X @ model[0].W.data + model[0].b.data)
    h2 = np.tanh(h1 @ model[2].W.data + model[2].b.data)
    np.testing.assert_allclose(activation_spread(model, X), [h1.std(), h2.std()], rtol=1e-12)


def test_spread_restores_training_mode_and_follows_the_scale():
    model = bl.mlp([2, 16, 16, 16, 1], activation="tanh", init="xavier", dropout=0.5, rng=0)
    model.train()
    activation_spread(model, X)
    assert model.training
    small = bl.mlp([2, 16, 16, 16, 1], activation="tanh",
                   init=functools.partial(init.normal, std=0.01), rng=0)  # fmt: skip
    spread = activation_spread(small, X)
    assert all(b < a / 5 for a, b in zip(spread, spread[1:], strict=False))  # shrinks per layer
    big = bl.mlp([2, 16, 16, 1], activation="relu", init=functools.partial(init.normal, std=1e3))
    big[0].W.data[...] = 1e300  # overflows to inf in the next layer
    assert not np.isfinite(activation_spread(big, X)[-1])
