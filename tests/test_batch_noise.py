"""The step-by-step training loop and the noise of mini-batch gradients."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.data import make_moons
from backprop_lib.instruments import batch_noise as bn
from backprop_lib.instruments import curvature


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(60, noise=0.2, rng=0)
    return X, y, bl.BCEWithLogitsLoss()


@pytest.mark.parametrize(
    ("n", "B", "steps"),
    [(200, 32, 7), (200, 200, 1), (200, 500, 1), (7, 1, 7), (100, 10, 10), (101, 10, 11)],
)
def test_steps_per_epoch_is_the_ceiling(n, B, steps):
    assert bn.steps_per_epoch(n, B) == steps == math.ceil(n / B)
    assert bn.steps_per_epoch(n, None) == 1


@pytest.mark.parametrize("B", [1, 7, 16, 60])
def test_run_steps_is_fits_training_written_out(moons, B):
    X, y, loss = moons
    a = bl.mlp([2, 8, 1], activation="tanh", rng=0)
    b = bl.mlp([2, 8, 1], activation="tanh", rng=0)
    log = bn.run_steps(a, loss, bl.SGD(a.parameters(), lr=0.3), X, y, 3, B, rng=5)
    h = bl.fit(b, loss, bl.SGD(b.parameters(), lr=0.3), X, y, 3, batch_size=B, rng=5)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-9, atol=1e-12)
    assert len(log.loss) == 3 * bn.steps_per_epoch(len(X), B) == 3 * log.steps_per_epoch
    for epoch in (1, 2, 3):  # fit's epoch loss: the rows-weighted mean of the batch losses
        mine = log.epoch == epoch
        mean = np.sum(log.loss[mine] * log.rows[mine]) / np.sum(log.rows[mine])
        assert mean == pytest.approx(h.loss[epoch - 1], rel=1e-9)
    assert log.epoch_loss[-1] == pytest.approx(float(loss.forward(a(X), y.reshape(-1, 1))))
    per_epoch = log.rows.reshape(3, -1)  # every batch has B rows but each epoch's last
    assert np.all(per_epoch[:, :-1] == B) and np.all(per_epoch.sum(axis=1) == len(X))


def test_without_shuffling_the_batches_are_the_rows_in_order(moons):
    X, y, loss = moons
    model = bl.mlp([2, 8, 1], activation="tanh", rng=0)
    first = float(loss.forward(model(X[:10]), y[:10].reshape(-1, 1)))
    log = bn.run_steps(model, loss, bl.SGD(model.parameters(), lr=0.1), X, y, 1, 10,
                       shuffle=False)  # fmt: skip
    assert log.loss[0] == pytest.approx(first)
    again = bl.mlp([2, 8, 1], activation="tanh", rng=0)
    other = bn.run_steps(again, loss, bl.SGD(again.parameters(), lr=0.1), X, y, 1, 10,
                         shuffle=False, rng=123)  # fmt: skip
    np.testing.assert_array_equal(log.loss, other.loss)  # no randomness left


def test_a_diverging_run_is_reported_not_raised(moons):
    X, y, _ = moons
    Xr = X * 1e3
    model = bl.mlp([2, 8, 1], activation="identity", rng=0)
    log = bn.run_steps(model, bl.MSELoss(), bl.SGD(model.parameters(), lr=10.0), Xr,
                       y.reshape(-1, 1).astype(float), 50, 10, rng=0)  # fmt: skip
    assert log.diverged
    assert not np.isfinite(log.loss[-1])
    assert len(log.loss) < 50 * 6


def _numerical_gradient(model, loss, X, y, h=1e-6):
    theta = curvature.flat_parameters(model)
    g = np.zeros_like(theta)
    for j in range(len(theta)):
        for sign in (1, -1):
            t = theta.copy()
            t[j] += sign * h
            curvature.set_flat_parameters(model, t)
            g[j] += sign * float(loss.forward(model.forward(X), y)) / (2 * h)
    curvature.set_flat_parameters(model, theta)
    return g


@settings(max_examples=6)
@given(seed=st.integers(0, 1000), i=st.integers(0, 59))
def test_per_example_gradients_match_finite_differences(moons, seed, i):
    X, y, loss = moons
    model = bl.mlp([2, 4, 1], activation="tanh", rng=seed)
    G = bn.per_example_gradients(model, loss, X, y)
    assert G.shape == (len(X), len(curvature.flat_parameters(model)))
    numeric = _numerical_gradient(model, loss, X[i : i + 1], y[i : i + 1].reshape(-1, 1))
    assert bl.rel_error(G[i], numeric) < 1e-6
    _, full = curvature.flat_gradient(model, loss, X, y.reshape(-1, 1))
    np.testing.assert_allclose(G.mean(axis=0), full, rtol=1e-9, atol=1e-12)


def test_batch_norm_models_are_refused_with_the_reason(moons):
    X, y, loss = moons
    with pytest.raises(ValueError, match="batch norm"):
        bn.per_example_gradients(bl.mlp([2, 4, 1], batch_norm=True, rng=0), loss, X, y)


def test_batch_gradients_are_means_of_distinct_rows():
    G = np.random.default_rng(0).normal(size=(9, 3))
    np.testing.assert_allclose(bn.batch_gradients(G, 9, draws=4, rng=0),
                               np.tile(G.mean(axis=0), (4, 1)))  # fmt: skip
    singles = bn.batch_gradients(G, 1, draws=50, rng=0)
    assert all(any(np.allclose(row, g) for g in G) for row in singles)
    pairs = {tuple(np.round(p, 12)) for p in bn.batch_gradients(G, 2, draws=400, rng=1)}
    means = {tuple(np.round((G[a] + G[b]) / 2, 12)) for a, b in itertools.combinations(range(9), 2)}
    assert pairs <= means and len(pairs) > 30  # never the same row twice in a batch


@pytest.mark.parametrize(("n", "B"), [(6, 1), (6, 2), (6, 3), (7, 4), (6, 6)])
def test_gradient_noise_is_exact_over_every_batch(n, B):
    G = np.random.default_rng(n + B).normal(size=(n, 4))
    g = G.mean(axis=0)
    batches = itertools.combinations(range(n), B)  # every batch, each equally likely
    errors = [np.sum((G[list(c)].mean(axis=0) - g) ** 2) for c in batches]
    assert bn.gradient_noise(G, B) == pytest.approx(math.sqrt(np.mean(errors)), abs=1e-12)


def test_measured_noise_follows_the_formula_and_one_over_sqrt_b():
    G = np.random.default_rng(3).normal(size=(400, 5)) * [3.0, 1.0, 1.0, 0.5, 0.1]
    g = G.mean(axis=0)
    for B in (1, 4, 16, 64):
        cloud = bn.batch_gradients(G, B, draws=3000, rng=B)
        measured = math.sqrt(np.mean(np.sum((cloud - g) ** 2, axis=1)))
        assert measured == pytest.approx(bn.gradient_noise(G, B), rel=0.05)
        np.testing.assert_allclose(cloud.mean(axis=0), g, atol=4 * measured / math.sqrt(3000))
    ratio = bn.gradient_noise(G, 4) / bn.gradient_noise(G, 16)
    assert ratio == pytest.approx(2.0, rel=0.03)  # 4x the batch: half the noise, while B << n


def test_errors_name_the_problem():
    G = np.ones((5, 2))
    with pytest.raises(ValueError, match="larger than the 5 rows"):
        bn.batch_gradients(G, 6)
    with pytest.raises(ValueError, match="larger than the 5 rows"):
        bn.gradient_noise(G, 6)
    with pytest.raises(ValueError, match=r"\(n, P\)"):
        bn.gradient_noise(np.ones(5), 2)
    with pytest.raises(TypeError, match="batch_size"):
        bn.steps_per_epoch(10, 2.5)
    with pytest.raises(TypeError, match="optimizer"):
        bn.run_steps(bl.mlp([2, 1]), bl.MSELoss(), None, np.ones((3, 2)), np.ones((3, 1)), 1)
