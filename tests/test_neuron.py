"""instruments.neuron: the one-weight sigmoid neuron of the loss-functions notebook (06).

Its recorded gradients are checked against central differences of the loss as a function of
the weight, its losses against the library's loss classes, its steps against the SGD rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.instruments.neuron import (
    LOSSES,
    neuron_accuracy,
    neuron_data,
    neuron_loss,
    neuron_model,
    train_neuron,
)

X, Y = neuron_data()


def test_data_shapes_classes_and_determinism():
    X, y = neuron_data(10, spread=0.0, rng=3)
    assert X.shape == y.shape == (10, 1)
    np.testing.assert_array_equal(y[:, 0], [0] * 5 + [1] * 5)
    np.testing.assert_array_equal(X[:, 0], [-1] * 5 + [1] * 5)  # no spread: exactly -1, +1
    a, b = neuron_data(40, rng=7), neuron_data(40, rng=7)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(neuron_data(40, rng=8)[0], a[0])


@pytest.mark.parametrize(
    "kwargs, error",
    [({"n": 1}, ValueError), ({"n": 2.5}, TypeError), ({"spread": -1.0}, ValueError),
     ({"spread": "big"}, TypeError)],
)  # fmt: skip
def test_data_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        neuron_data(**kwargs)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_neuron_loss_is_the_librarys_loss(loss):
    for w in (-7.5, -1.0, 0.0, 0.3, 4.0):
        model, loss_fn = neuron_model(loss, w)
        assert neuron_loss(loss, w, X, Y) == pytest.approx(loss_fn(model(X), Y), rel=1e-12)
    grid = np.linspace(-3, 3, 7).reshape(7, 1)  # any shape of weights
    assert neuron_loss(loss, grid, X, Y).shape == (7, 1)


def test_mse_model_outputs_probabilities_and_ce_model_logits():
    model, loss_fn = neuron_model("mse", 2.0)
    np.testing.assert_allclose(model(X), bl.sigmoid(2.0 * X))
    assert isinstance(loss_fn, bl.MSELoss)
    model, loss_fn = neuron_model("cross_entropy", 2.0)
    np.testing.assert_allclose(model(X), 2.0 * X)
    assert isinstance(loss_fn, bl.BCEWithLogitsLoss)


@settings(max_examples=25, deadline=None)
@given(
    loss=st.sampled_from(list(LOSSES)),
    w0=st.floats(-10, 10),
    lr=st.floats(0.01, 10),
    seed=st.integers(0, 50),
)
def test_recorded_gradient_matches_finite_differences(loss, w0, lr, seed):
    X, y = neuron_data(12, rng=seed)
    run = train_neuron(loss, w0, lr, 15, X, y)
    h = 1e-5
    w = run.weights[:-1]
    numeric = (neuron_loss(loss, w + h, X, y) - neuron_loss(loss, w - h, X, y)) / (2 * h)
    # entries near 0 are only rounding in the central difference: compare with a floor
    np.testing.assert_allclose(run.grads, numeric, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(run.losses, neuron_loss(loss, w, X, y), rtol=1e-12)
    np.testing.assert_allclose(run.weights[1:], w - lr * run.grads, rtol=1e-12, atol=1e-12)


def test_the_sigma_prime_factor_relates_the_two_gradients():
    # per example dL/dz: MSE 2 (p - y) sigma'(z), cross-entropy (p - y); same p at the start
    mse = train_neuron("mse", -6.0, 1.0, 1, X, Y)
    ce = train_neuron("cross_entropy", -6.0, 1.0, 1, X, Y)
    z = -6.0 * X
    p = bl.sigmoid(z)
    assert mse.grads[0] == pytest.approx(np.mean(2 * (p - Y) * p * (1 - p) * X))
    assert ce.grads[0] == pytest.approx(np.mean((p - Y) * X))
    assert abs(mse.grads[0]) < abs(ce.grads[0]) / 50  # confidently wrong: MSE barely moves


def test_accuracy_and_learned_epoch():
    assert neuron_accuracy(-3.0, X, Y) < 0.5 < neuron_accuracy(3.0, X, Y)
    assert neuron_accuracy(3.0, X, Y) + neuron_accuracy(-3.0, X, Y) == pytest.approx(1.0)
    run = train_neuron("cross_entropy", -6.0, 1.0, 50, X, Y)
    k = run.learned_epoch
    assert run.weights[k - 1] < 0 < run.weights[k]  # the first epoch past w = 0
    assert train_neuron("mse", 2.0, 1.0, 5, X, Y).learned_epoch == 0
    # at w = 0 every point is called class 0: half right, which is not "most"
    assert neuron_accuracy(0.0, X, Y) == 0.5
    assert train_neuron("mse", 0.0, 1.0, 5, X, Y).learned_epoch == 1
    assert train_neuron("mse", -10.0, 0.01, 5, X, Y).learned_epoch is None


def test_a_diverging_run_is_reported_not_raised():
    run = train_neuron("cross_entropy", -6.0, 1e12, 10, X, Y)
    assert run.diverged
    assert len(run.weights) == len(run.losses) + 1 == len(run.grads) + 1


@pytest.mark.parametrize(
    "args, error",
    [(("hinge", -6.0, 1.0, 10), ValueError), (("mse", -6.0, 0.0, 10), ValueError),
     (("mse", -6.0, -1.0, 10), ValueError), (("mse", -6.0, 1.0, 0), ValueError),
     (("mse", "big", 1.0, 10), TypeError), (("mse", -6.0, 1.0, 2.5), TypeError),
     (("mse", float("nan"), 1.0, 10), ValueError), (("mse", -6.0, float("inf"), 10), ValueError)],
)  # fmt: skip
def test_train_rejects_bad_arguments(args, error):
    with pytest.raises(error):
        train_neuron(*args, X, Y)
