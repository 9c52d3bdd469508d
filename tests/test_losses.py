"""Tests for backprop_lib.nn.losses: values, gradients, stability, bad-input errors, penalties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    Parameter,
    gradcheck_loss,
    l1_penalty,
    l2_penalty,
    numerical_gradient,
    rel_error,
    sigmoid,
)

TOL = 1e-7
fast = settings(max_examples=20, deadline=None, derandomize=True)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 5))
seeds = st.integers(0, 2**16)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------- values against formulas


def test_mse_is_the_mean_of_squared_errors_over_all_elements():
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [5.0, 1.0]])
    assert MSELoss()(pred, target) == pytest.approx((1 + 0 + 4 + 9) / 4)


def test_bce_formula_and_bce_with_logits_agree():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(6, 2)), rng.integers(0, 2, size=(6, 2)).astype(float)
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert BCELoss()(p, y) == pytest.approx(expected)
    assert BCEWithLogitsLoss()(z, y) == pytest.approx(expected)


def test_cross_entropy_is_minus_the_mean_log_probability_of_the_label():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    expected = -np.mean(np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))[np.arange(5), y])
    loss = CrossEntropyLoss()
    assert loss(z, y) == pytest.approx(expected)
    probs = np.exp(log_softmax(z))
    np.testing.assert_allclose(loss.backward(), (probs - np.eye(4)[y]) / 5)


# ---------------------------------------------------------------- gradients


@fast
@given(shape=shapes, seed=seeds)
def test_mse_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    pred = rng.normal(size=shape)
    # residuals at least 0.1 from 0: where pred == target the gradient is 0 and a relative
    # error compares rounding with rounding
    gap = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)
    assert gradcheck_loss(MSELoss(), pred, pred + gap) < TOL


@fast
@given(shape=shapes, seed=seeds)
def test_bce_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, size=shape)  # away from 0 and 1, where the log is clamped
    y = rng.integers(0, 2, size=shape).astype(float)
    assert gradcheck_loss(BCELoss(), p, y) < TOL


@fast
@given(shape=shapes, seed=seeds)
def test_bce_with_logits_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(size=shape), rng.integers(0, 2, size=shape).astype(float)
    assert gradcheck_loss(BCEWithLogitsLoss(), z, y) < TOL


@fast
@given(n=st.integers(1, 6), c=st.integers(2, 6), seed=seeds)
def test_cross_entropy_gradcheck(n, c, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(size=(n, c)), rng.integers(0, c, size=n)
    assert gradcheck_loss(CrossEntropyLoss(), z, y) < TOL


@pytest.mark.parametrize("loss", [MSELoss(), BCELoss(), BCEWithLogitsLoss()], ids=repr)
def test_float32_predictions_get_a_float32_gradient_from_float64_targets(loss):
    pred = np.full((4, 1), 0.25, dtype=np.float32)
    target = np.array([[0.0], [1.0], [1.0], [0.0]])  # float64, as the datasets give
    value = loss(pred, target)
    assert loss.backward().dtype == np.float32
    assert value == pytest.approx(loss(pred.astype(np.float64), target), rel=1e-6)


def test_backward_returns_a_fresh_array():
    loss = MSELoss()
    loss(np.ones((2, 1)), np.zeros((2, 1)))
    g = loss.backward()
    g[...] = 99.0
    np.testing.assert_allclose(loss.backward(), np.ones((2, 1)))


# ---------------------------------------------------------------- stability


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_cross_entropy_is_stable_for_logits_of_magnitude_1000(scale):
    z = scale * np.array([[1.0, 0.0, -1.0], [0.5, 1.0, -0.5]])
    y = np.array([2, 1])
    loss = CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss(z, y)
        grad = loss.backward()
    expected = -np.mean(log_softmax(z)[np.arange(2), y])  # computed by hand, shifted by the max
    assert np.isfinite(value) and value == pytest.approx(expected)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)  # softmax - one_hot
    assert CrossEntropyLoss()(np.array([[1000.0, -1000.0]]), np.array([0])) == 0.0


def test_bce_with_logits_is_stable_for_large_logits():
    z, y = np.array([[1000.0], [-1000.0], [1000.0]]), np.array([[1.0], [0.0], [0.0]])
    loss = BCEWithLogitsLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss(z, y)
    assert value == pytest.approx(1000.0 / 3)
    np.testing.assert_allclose(loss.backward(), [[0.0], [0.0], [1 / 3]])


def test_bce_after_sigmoid_and_bce_with_logits_agree_far_in_the_tail():
    # torch gives 40.0 for both; a sigmoid that rounds sigma(-40) to 0 gives the clamp, 100
    z, y = np.array([[-40.0], [-30.0]]), np.ones((2, 1))
    assert BCELoss()(sigmoid(z), y) == pytest.approx(35.0, rel=1e-12)
    assert BCEWithLogitsLoss()(z, y) == pytest.approx(35.0, rel=1e-12)


def test_bce_with_logits_gradient_keeps_full_relative_precision_at_negative_logits():
    z, y = np.array([[-40.0], [-30.0], [-20.0]]), np.zeros((3, 1))
    loss = BCEWithLogitsLoss()
    loss(z, y)
    exact = 1.0 / (1.0 + np.exp(-z)) / 3  # (sigmoid(z) - 0) / n
    np.testing.assert_allclose(loss.backward(), exact, rtol=1e-14, atol=0)


def test_bce_clamps_the_log_at_minus_100_like_torch():
    loss = BCELoss()
    assert loss(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]])) == pytest.approx(50.0)
    assert np.isfinite(loss.backward()).all()


@pytest.mark.parametrize(
    "loss, pred, target",
    [
        (MSELoss(), np.array([[np.nan], [1.0]]), np.zeros((2, 1))),
        (BCELoss(), np.array([[np.nan], [0.5]]), np.ones((2, 1))),
        (BCEWithLogitsLoss(), np.array([[np.inf], [0.5]]), np.ones((2, 1))),
        (CrossEntropyLoss(), np.array([[np.nan, 1.0]]), np.array([0])),
    ],
    ids=repr,
)
def test_a_diverged_prediction_gives_a_nan_loss_not_an_error(loss, pred, target):
    with np.errstate(all="ignore"):
        value = loss(pred, target)
    assert not np.isfinite(value)


# ---------------------------------------------------------------- errors


def test_backward_before_forward_is_a_runtime_error():
    for loss in (MSELoss(), BCELoss(), BCEWithLogitsLoss(), CrossEntropyLoss()):
        with pytest.raises(RuntimeError, match="before forward"):
            loss.backward()


def keeps_previous_gradient(loss, call):
    """Run a bad call and check the loss still returns the gradient of its last good forward."""
    before = loss.backward()
    call()
    np.testing.assert_array_equal(loss.backward(), before)


@pytest.mark.parametrize("loss", [MSELoss(), BCELoss(), BCEWithLogitsLoss()], ids=repr)
def test_shape_mismatch_names_both_shapes_and_the_fix(loss):
    loss(np.full((4, 1), 0.5), np.ones((4, 1)))

    def bad():
        with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*target.reshape\(-1, 1\)"):
            loss(np.full((4, 1), 0.3), np.ones(4))

    keeps_previous_gradient(loss, bad)


def test_cross_entropy_float_labels_are_a_type_error():
    loss = CrossEntropyLoss()
    loss(np.zeros((2, 3)), np.array([0, 2]))

    def bad():
        with pytest.raises(TypeError, match=r"integer class labels, got dtype float64.*astype"):
            loss(np.ones((2, 3)), np.array([0.0, 2.0]))

    keeps_previous_gradient(loss, bad)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_cross_entropy_labels_out_of_range_name_the_range(labels):
    loss = CrossEntropyLoss()
    loss(np.zeros((2, 3)), np.array([0, 2]))

    def bad():
        with pytest.raises(
            ValueError, match=r"in \[0, 2\] for 3 classes, got values in \[-?\d, \d\]"
        ):
            loss(np.ones((2, 3)), np.array(labels))

    keeps_previous_gradient(loss, bad)


def test_cross_entropy_label_and_logit_shapes():
    with pytest.raises(ValueError, match=r"labels with shape \(2, 1\) for logits \(2, 3\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"logits of shape \(batch, classes\), got \(3,\)"):
        CrossEntropyLoss()(np.zeros(3), np.array([0]))


@pytest.mark.parametrize("p", [1.2, -0.1])
def test_bce_probabilities_outside_0_1_point_to_sigmoid(p):
    loss = BCELoss()
    loss(np.full((2, 1), 0.5), np.ones((2, 1)))

    def bad():
        with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*BCEWithLogitsLoss"):
            loss(np.array([[p], [0.5]]), np.ones((2, 1)))

    keeps_previous_gradient(loss, bad)


def test_bce_targets_outside_0_1_and_nan_targets():
    with pytest.raises(
        ValueError, match=r"targets must be in \[0, 1\], got values in \[0.0, 2.0\]"
    ):
        BCELoss()(np.full((2, 1), 0.5), np.array([[0.0], [2.0]]))
    with pytest.raises(ValueError, match="target contains NaN"):
        MSELoss()(np.zeros(2), np.array([0.0, np.nan]))


@pytest.mark.parametrize("labels", [[-1.0, 1.0], [0.0, 2.0]])
def test_bce_with_logits_targets_outside_0_1_are_an_error(labels):
    # e.g. -1/+1 labels: the formula would give a meaningless (even negative) loss
    loss = BCEWithLogitsLoss()
    loss(np.zeros((2, 1)), np.ones((2, 1)))

    def bad():
        with pytest.raises(ValueError, match=r"BCEWithLogitsLoss targets must be in \[0, 1\]"):
            loss(np.array([[3.0], [-3.0]]), np.array(labels).reshape(2, 1))

    keeps_previous_gradient(loss, bad)


# ---------------------------------------------------------------- penalties


def test_l2_penalty_value_and_gradient():
    rng = np.random.default_rng(4)
    params = [Parameter(rng.normal(size=(3, 2))), Parameter(rng.normal(size=2))]
    value, grads = l2_penalty(params, 0.3)
    assert value == pytest.approx(0.15 * sum(np.sum(p.data**2) for p in params))
    for p, g in zip(params, grads, strict=True):
        numeric = numerical_gradient(lambda _: l2_penalty(params, 0.3)[0], p.data)
        assert rel_error(g, numeric) < TOL


def test_l1_penalty_value_and_gradient():
    rng = np.random.default_rng(5)
    params = [Parameter(rng.normal(size=(3, 2)) + 0.5)]
    value, grads = l1_penalty(params, 0.2)
    assert value == pytest.approx(0.2 * np.abs(params[0].data).sum())
    numeric = numerical_gradient(lambda _: l1_penalty(params, 0.2)[0], params[0].data)
    assert rel_error(grads[0], numeric) < TOL


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalty_strength_must_be_a_finite_number(penalty):
    params = [Parameter(np.ones(2))]
    with pytest.raises(TypeError, match="penalty strength must be a number, got '0.1'"):
        penalty(params, "0.1")
    with pytest.raises(ValueError, match=r"strength must be >= 0 \(a finite number\), got nan"):
        penalty(params, float("nan"))


def test_penalty_errors():
    with pytest.raises(ValueError, match="strength must be >= 0"):
        l2_penalty([Parameter(np.ones(2))], -1.0)
    with pytest.raises(TypeError, match="pass model.parameters"):
        l1_penalty([np.ones(2)], 0.1)


# ---- bad targets are refused before the loss's state changes ----


def _loss_cases(rng):
    z = rng.normal(size=(6, 1))
    logits = rng.normal(size=(6, 3))
    return [
        (MSELoss(), z, rng.normal(size=(6, 1)), np.full((6, 1), np.nan)),
        (BCELoss(), sigmoid(z), (z > 0).astype(float), np.full((6, 1), 2.0)),
        (BCEWithLogitsLoss(), z, (z > 0).astype(float), np.full((6, 1), -1.0)),
        (CrossEntropyLoss(), logits, rng.integers(0, 3, size=6), np.full(6, 3)),
    ]


@pytest.mark.parametrize("index", range(4))
def test_every_call_checks_its_targets_before_any_state_changes(index):
    loss, pred, target, bad = _loss_cases(np.random.default_rng(index))[index]
    loss.forward(pred, target)
    grad = loss.backward()
    for call in (loss.forward, loss):
        with pytest.raises(ValueError):
            call(pred, bad)
        np.testing.assert_array_equal(loss.backward(), grad)  # the cache is untouched
