"""The five stopping rules, on hand-made sequences and against fit's own rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.data import make_moons
from backprop_lib.instruments import stopping


def test_fixed_epochs_and_loss_threshold():
    losses = [1.0, 0.5, 0.3, 0.2, 0.1]
    assert stopping.fixed_epochs(losses, 3) == 3
    assert stopping.fixed_epochs(losses, 9) is None  # the run was shorter
    assert stopping.loss_threshold_epoch(losses, 0.3) == 3  # <=, as fit
    assert stopping.loss_threshold_epoch(losses, 0.05) is None


def test_relative_improvement_and_its_rule():
    losses = [10.0, 8.0, 7.0, 6.35, 6.0, 6.5]
    np.testing.assert_allclose(stopping.relative_improvement(losses),
                               [0.2, 0.125, 0.65 / 7, 0.35 / 6.35, -0.5 / 6.0])  # fmt: skip
    assert stopping.relative_improvement_epoch(losses, 0.1) == 4
    assert stopping.relative_improvement_epoch(losses, 0.1, patience=2) == 5
    assert stopping.relative_improvement_epoch(losses, 0.1, patience=3) == 6  # rising: slow
    assert stopping.relative_improvement_epoch(losses, 0.01, patience=2) is None
    assert stopping.relative_improvement_epoch([1.0, 0.5, 0.4, 0.1], 0.3, patience=2) is None


def test_gradient_norm_rule():
    assert stopping.gradient_norm_epoch([1.0, 0.1, 0.01, 0.02], 0.05) == 3
    assert stopping.gradient_norm_epoch([1.0, 0.1], 0.05) is None


def test_early_stopping_by_hand():
    val = [1.0, 0.8, 0.85, 0.7, 0.75, 0.76, 0.9]
    assert stopping.early_stopping_epoch(val, patience=2) == (6, 4)
    assert stopping.early_stopping_epoch(val, patience=3) == (7, 4)
    assert stopping.early_stopping_epoch(val, patience=4) == (None, 4)
    assert stopping.early_stopping_epoch(val, patience=1, min_delta=0.12) == (3, 2)
    # a tie is no improvement (as in fit): the best epoch stays the first of equal values
    assert stopping.early_stopping_epoch([1.0, 0.8, 0.8, 0.8], patience=2) == (4, 2)


@pytest.fixture(scope="module")
def data():
    X, y = make_moons(120, noise=0.35, rng=2)
    return X[:40], y[:40], X[40:], y[40:]


@settings(max_examples=8)
@given(patience=st.integers(1, 40), min_delta=st.sampled_from([0.0, 1e-3, 1e-2]),
       seed=st.integers(0, 50))  # fmt: skip
def test_early_stopping_agrees_with_fit(data, patience, min_delta, seed):
    X, y, Xv, yv = data
    full = bl.mlp([2, 16, 1], rng=seed)
    h = bl.fit(full, bl.BCEWithLogitsLoss(), bl.Adam(full.parameters(), lr=0.03), X, y, 150,
               validation_data=(Xv, yv))  # fmt: skip
    stop, best = stopping.early_stopping_epoch(h.val_loss, patience, min_delta)
    m = bl.mlp([2, 16, 1], rng=seed)
    es = bl.training.EarlyStopping(patience=patience, min_delta=min_delta)
    h2 = bl.fit(m, bl.BCEWithLogitsLoss(), bl.Adam(m.parameters(), lr=0.03), X, y, 150,
                validation_data=(Xv, yv), early_stopping=es)  # fmt: skip
    if stop is None:
        assert h2.stop_reason == "completed" and h2.stopped_epoch == 150
    else:
        assert h2.stop_reason == "early_stopping" and h2.stopped_epoch == stop
    assert h2.best_epoch == best


def test_loss_threshold_agrees_with_fit(data):
    X, y, _, _ = data
    losses = {}
    for threshold in (None, 0.3):
        m = bl.mlp([2, 16, 1], rng=0)
        h = bl.fit(m, bl.BCEWithLogitsLoss(), bl.Adam(m.parameters(), lr=0.03), X, y, 200,
                   loss_threshold=threshold)  # fmt: skip
        losses[threshold] = h
    expected = stopping.loss_threshold_epoch(losses[None].loss, 0.3)
    assert expected is not None and losses[0.3].stopped_epoch == expected


def test_weight_gradient_norms_and_the_report(data):
    X, y, Xv, yv = data
    m = bl.mlp([2, 16, 1], rng=0)
    h = bl.fit(m, bl.BCEWithLogitsLoss(), bl.SGD(m.parameters(), lr=0.5), X, y, 30,
               validation_data=(Xv, yv))  # fmt: skip
    norms = stopping.weight_gradient_norms(h)
    by_hand = np.sqrt(np.asarray(h.grad_norms["0.W"]) ** 2 + np.asarray(h.grad_norms["2.W"]) ** 2)
    np.testing.assert_allclose(norms, by_hand)
    rules = stopping.StoppingRules(epochs=10, threshold=0.0, tol=0.5, tol_patience=1,
                                   grad_eps=1e-9, patience=3)  # fmt: skip
    stops = stopping.stopping_epochs(h, rules)
    assert list(stops) == list(stopping.RULES)
    assert stops["fixed epochs"] == 10
    assert stops["loss threshold"] is None and stops["gradient norm"] is None
    assert stops["relative improvement"] == stopping.relative_improvement_epoch(h.loss, 0.5)
    assert stops["early stopping"] == stopping.early_stopping_epoch(h.val_loss, 3)[0]
    h.grad_norms.clear()
    with pytest.raises(ValueError, match="record_health"):
        stopping.weight_gradient_norms(h)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="tol"):
        stopping.relative_improvement_epoch([1.0, 0.5], 0.0)
    with pytest.raises(ValueError, match="patience"):
        stopping.early_stopping_epoch([1.0], 0)
    with pytest.raises(ValueError, match="min_delta"):
        stopping.early_stopping_epoch([1.0], 1, min_delta=-1.0)
    with pytest.raises(ValueError, match="one value per epoch"):
        stopping.loss_threshold_epoch([[1.0]], 0.1)
    with pytest.raises(TypeError, match="threshold"):
        stopping.loss_threshold_epoch([1.0], "0.1")
