"""Tests for backprop_lib.instruments.lr_finder: the learning-rate range test and the sweep."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.instruments import curvature as cv
from backprop_lib.instruments import lr_finder as lf


def regression(seed: int = 0, n: int = 40):
    """A Linear model with MSE (a quadratic loss with a known stability limit)."""
    rng = np.random.default_rng(seed)
    model = bl.Sequential(bl.Linear(3, 1, rng=rng))
    X = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(n, 1))
    return model, bl.MSELoss(), X, y


def manual_gd_losses(model, loss, X, y, lr, steps):
    """Plain full-batch gradient descent written out: w <- w - lr * dL/dw."""
    losses = []
    for _ in range(steps):
        model.zero_grad()
        losses.append(loss.forward(model.forward(X), y))
        model.backward(loss.backward())
        for p in model.parameters():
            p.data -= lr * p.grad
    return np.array(losses)


def test_range_test_rates_grow_geometrically_and_the_smoothing_is_a_corrected_ema():
    model, loss, X, y = regression()
    r = lf.lr_range_test(model, loss, X, y, lr_min=1e-4, lr_max=1.0, steps=50, batch_size=8)
    k = r.stop_step
    assert len(r.lrs) == len(r.losses) == len(r.smoothed) == k
    assert r.lrs[0] == pytest.approx(1e-4)
    ratios = r.lrs[1:] / r.lrs[:-1]
    assert np.allclose(ratios, (1.0 / 1e-4) ** (1 / 49))
    avg, expected = 0.0, []
    for i, value in enumerate(r.losses):
        avg = 0.9 * avg + 0.1 * value
        expected.append(avg / (1 - 0.9 ** (i + 1)))
    assert np.allclose(r.smoothed, expected)


def test_range_test_with_full_batch_starts_at_the_initial_loss_and_follows_gradient_descent():
    model, loss, X, y = regression(1)
    initial = loss.forward(model.forward(X), y)
    r = lf.lr_range_test(model, loss, X, y, lr_min=1e-3, lr_max=1e-2, steps=5, batch_size=None)
    assert r.losses[0] == pytest.approx(initial)
    # replay the same rates by hand
    expected = []
    for lr in r.lrs:
        model.zero_grad()
        expected.append(loss.forward(model.forward(X), y))
        model.backward(loss.backward())
        for p in model.parameters():
            p.data -= lr * p.grad
    assert np.allclose(r.losses, expected)


def test_range_test_blows_up_past_the_stability_limit():
    model, loss, X, y = regression(2)
    limit = 2.0 / cv.sharpness(model, loss, X, y, iters=300, tol=1e-10)
    r = lf.lr_range_test(model, loss, X, y, lr_min=1e-4, lr_max=100.0, steps=200, batch_size=None)
    assert r.diverged
    assert r.stop_step < 200
    assert r.lrs[-1] > limit  # it stopped only after passing the limit
    # the minimum of the loss lies past the limit (errors need steps to grow), hence the / 10
    assert r.suggestion < limit < r.best_lr
    assert r.suggestion == pytest.approx(r.best_lr / 10)
    assert r.lrs[0] <= r.steepest_lr <= r.best_lr


def test_range_test_and_sweep_leave_the_model_unchanged_including_batch_norm():
    rng = np.random.default_rng(3)
    model = bl.mlp([2, 6, 1], activation="relu", batch_norm=True, rng=rng)
    X, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    before = [p.data.copy() for p in model.parameters()]
    buffers = [b.copy() for _, b in model.named_buffers()]
    loss = bl.MSELoss()
    lf.lr_range_test(model, loss, X, y, steps=20, batch_size=8)
    lf.lr_sweep(model, loss, X, y, [0.01, 0.1], epochs=3, batch_size=8)
    for p, data in zip(model.parameters(), before, strict=True):
        assert np.array_equal(p.data, data)
    for (_, b), saved in zip(model.named_buffers(), buffers, strict=True):
        assert np.array_equal(b, saved)


def test_sweep_full_batch_matches_plain_gradient_descent_from_the_same_start():
    model, loss, X, y = regression(4)
    theta0 = cv.flat_parameters(model)
    result = lf.lr_sweep(model, loss, X, y, [0.01, 0.05], epochs=15)
    for lr, history in zip(result.lrs, result.histories, strict=True):
        cv.set_flat_parameters(model, theta0)
        assert np.allclose(history, manual_gd_losses(model, loss, X, y, lr, 15))
    cv.set_flat_parameters(model, theta0)


def test_sweep_flags_rates_above_the_limit_as_diverged_and_picks_a_stable_best():
    model, loss, X, y = regression(5)
    limit = 2.0 / cv.sharpness(model, loss, X, y, iters=300, tol=1e-10)
    lrs = [0.1 * limit, 0.9 * limit, 1.5 * limit]
    result = lf.lr_sweep(model, loss, X, y, lrs, epochs=200)
    assert result.diverged.tolist() == [False, False, True]
    assert np.isinf(result.final_loss[2])
    assert result.best_lr == pytest.approx(0.9 * limit)
    assert len(result.histories[2]) < 200  # the diverged run stopped early


def test_sweep_is_repeatable_and_uses_the_same_minibatch_order_for_every_rate():
    model, loss, X, y = regression(6)
    a = lf.lr_sweep(model, loss, X, y, [0.05, 0.05], epochs=4, batch_size=8, rng=3)
    b = lf.lr_sweep(model, loss, X, y, [0.05], epochs=4, batch_size=8, rng=3)
    assert np.array_equal(a.histories[0], a.histories[1])
    assert np.array_equal(a.histories[0], b.histories[0])


def test_the_optimizer_factory_is_used():
    model, loss, X, y = regression(7)
    made = []

    def factory(params, lr):
        made.append(lr)
        return bl.SGD(params, lr=lr, momentum=0.9)

    with_momentum = lf.lr_sweep(model, loss, X, y, [0.01], epochs=5, optimizer=factory)
    plain = lf.lr_sweep(model, loss, X, y, [0.01], epochs=5)
    assert made == [0.01]
    assert not np.allclose(with_momentum.histories[0], plain.histories[0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr_min": 1.0, "lr_max": 0.1},
        {"lr_min": 0.0},
        {"steps": 1},
        {"beta": 1.0},
        {"stop_factor": 1.0},
        {"batch_size": 0},
    ],
)
def test_range_test_rejects_bad_settings(kwargs):
    model, loss, X, y = regression()
    with pytest.raises(ValueError):
        lf.lr_range_test(model, loss, X, y, **kwargs)


@pytest.mark.parametrize("kwargs", [{"lrs": []}, {"lrs": [0.1, -1.0]}, {"epochs": 0}])
def test_sweep_rejects_bad_settings(kwargs):
    model, loss, X, y = regression()
    args = {"lrs": [0.1], **kwargs}
    with pytest.raises(ValueError):
        lf.lr_sweep(model, loss, X, y, **args)


def test_wrong_types_are_named():
    _, loss, X, y = regression()
    with pytest.raises(TypeError, match="model"):
        lf.lr_range_test("not a model", loss, X, y)
    with pytest.raises(ValueError, match="one target per row"):
        lf.lr_sweep(bl.Sequential(bl.Linear(3, 1)), loss, X, y[:5], [0.1])
