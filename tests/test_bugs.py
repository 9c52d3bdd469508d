"""The planted bugs of the bug hunt: each broken layer differs from Linear in exactly its one
line, each leaves its documented pattern in the gradient check, and the game's helpers work."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import Linear, MSELoss, Sequential, Tanh, gradcheck_model
from backprop_lib.instruments import bugs

LAYER_BUGS = {
    "missing_transpose": bugs.MissingTransposeLinear,
    "no_bias_grad": bugs.NoBiasGradLinear,
    "wrong_sign": bugs.WrongSignLinear,
    "overwrite_grad": bugs.OverwritingLinear,
}
ALL_PARAMS = ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]


def pair(cls, n=4, seed=0):
    """A buggy layer and a correct Linear with the same weights, and a batch for them."""
    rng = np.random.default_rng(seed)
    buggy, ref = cls(n, n, rng=seed), Linear(n, n, rng=seed)
    buggy.b.data[...] = ref.b.data[...] = rng.normal(size=n)
    x, dy = rng.normal(size=(5, n)), rng.normal(size=(5, n))
    return buggy, ref, x, dy


# ---- each broken layer: forward untouched, backward wrong in its one documented way ----


@pytest.mark.parametrize("cls", list(LAYER_BUGS.values()))
def test_forward_is_the_same_as_linear(cls):
    buggy, ref, x, _ = pair(cls)
    np.testing.assert_array_equal(buggy(x), ref(x))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_layer_bug_changes_only_its_line(seed):
    for key, cls in LAYER_BUGS.items():
        buggy, ref, x, dy = pair(cls, seed=seed)
        buggy(x), ref(x)
        dx, dx_ref = buggy.backward(dy), ref.backward(dy)
        W, dW, db = ref.W.data, ref.W.grad, ref.b.grad
        expected = {
            "missing_transpose": (dy @ W, dW, db),
            "no_bias_grad": (dx_ref, dW, np.zeros_like(db)),
            "wrong_sign": (dx_ref, -dW, db),
            "overwrite_grad": (dx_ref, dW, db),
        }[key]
        for got, want in zip((dx, buggy.W.grad, buggy.b.grad), expected, strict=True):
            np.testing.assert_allclose(got, want, err_msg=key)
        assert not np.allclose(dy @ W, dx_ref)  # the missing transpose really changes dx


def test_overwriting_layer_keeps_only_the_last_backward():
    buggy, ref, x, dy = pair(bugs.OverwritingLinear)
    for layer in (buggy, ref):
        layer(x[:2])
        layer.backward(dy[:2])
        layer(x[2:])
        layer.backward(dy[2:])
    np.testing.assert_allclose(buggy.W.grad, x[2:].T @ dy[2:])
    np.testing.assert_allclose(ref.W.grad, x.T @ dy)  # the correct layer adds both
    assert not np.allclose(buggy.W.grad, ref.W.grad)


def test_missing_transpose_refuses_a_non_square_layer():
    with pytest.raises(ValueError, match="square"):
        bugs.MissingTransposeLinear(3, 4)


def test_buggy_layer_backward_before_forward_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="before forward"):
        bugs.WrongSignLinear(2, 2).backward(np.ones((1, 2)))


def test_sum_mse_loss_forgets_exactly_the_mean():
    rng = np.random.default_rng(3)
    pred, target = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    buggy, ref = bugs.SumMSELoss(), MSELoss()
    assert buggy.forward(pred, target) == pytest.approx(ref.forward(pred, target))
    np.testing.assert_allclose(buggy.backward(), ref.backward() * pred.size)


# ---- the patient and the check ----


def check(bug, seed=0, micro_batches=2):
    model, loss = bugs.make_patient(bug, rng=seed)
    x, y = bugs.patient_data(rng=seed)
    return bugs.check_patient(model, loss, x, y, micro_batches=micro_batches)


def test_the_patient_has_the_documented_parameters():
    model, loss = bugs.make_patient()
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes == {"0.W": (3, 4), "0.b": (4,), "2.W": (4, 4), "2.b": (4,), "4.W": (4, 1),
                      "4.b": (1,)}  # fmt: skip
    assert type(model[bugs.BUGGY_LAYER]) is Linear
    assert type(loss) is MSELoss


@pytest.mark.parametrize("bug", bugs.BUG_KEYS)
def test_same_seed_same_weights_whatever_the_bug(bug):
    healthy, _ = bugs.make_patient("none", rng=5)
    planted, _ = bugs.make_patient(bug, rng=5)
    x, _ = bugs.patient_data(rng=5)
    np.testing.assert_array_equal(healthy(x), planted(x))


def test_every_offered_patient_is_healthy_without_a_bug():
    for seed in range(bugs.MAX_SEED + 1):  # the seeds the widget offers
        report = check("none", seed)
        assert set(report.errors) == set(ALL_PARAMS)
        assert all(v == "good" for v in report.verdicts().values()), (seed, report.errors)
        assert report.wrong() == []


@settings(max_examples=10, deadline=None, derandomize=True)  # reproducible seeds
@given(seed=st.integers(0, 2**31))
def test_healthy_patient_is_never_wrong_for_any_seed(seed):
    # Beyond the offered seeds an entry with a near-zero gradient may land just above 1e-7.
    assert max(check("none", seed).errors.values()) < 1e-5


def test_check_agrees_with_gradcheck_model_for_one_micro_batch():
    model, loss = bugs.make_patient(rng=1)
    x, y = bugs.patient_data(rng=1)
    ours = bugs.check_patient(model, loss, x, y, micro_batches=1).errors
    theirs = gradcheck_model(model, loss, x, y)
    assert set(ours) == set(theirs)
    assert max(ours.values()) < bugs.GOOD and max(theirs.values()) < bugs.GOOD


@settings(max_examples=8, deadline=None, derandomize=True)  # reproducible seeds
@given(seed=st.integers(0, bugs.MAX_SEED), other_seed=st.integers(bugs.MAX_SEED + 1, 2**31))
def test_each_bug_leaves_its_signature(seed, other_seed):
    expected_wrong = {
        "missing_transpose": {"0.W", "0.b"},  # upstream of the buggy layer, not the layer
        "no_bias_grad": {"2.b"},
        "wrong_sign": {"2.W"},
        "overwrite_grad": {"2.W", "2.b"},
        "no_batch_mean": set(ALL_PARAMS),
    }
    for bug, wrong in expected_wrong.items():
        for s, clean in ((seed, bugs.GOOD), (other_seed, 1e-5)):
            report = check(bug, s)
            assert set(report.wrong()) == wrong, (bug, s, report.errors)
            for name in set(ALL_PARAMS) - wrong:
                assert report.errors[name] < clean, (bug, s, name)


def test_exact_signatures_of_sign_bias_and_batch_mean():
    assert check("wrong_sign").errors["2.W"] == pytest.approx(1.0)
    assert check("wrong_sign").scales["2.W"] == pytest.approx(-1.0)
    assert check("no_bias_grad").errors["2.b"] == pytest.approx(1.0)
    assert check("no_bias_grad").scales["2.b"] == pytest.approx(0.0)
    x, y = bugs.patient_data()
    m = (x.shape[0] // 2) * y.shape[1]  # elements per micro-batch: the forgotten 1/m
    report = check("no_batch_mean")
    for name in ALL_PARAMS:
        assert report.scales[name] == pytest.approx(m, rel=1e-6)
        assert report.errors[name] == pytest.approx((m - 1) / (m + 1), rel=1e-6)


def test_a_single_backward_hides_the_overwrite_bug():
    assert check("overwrite_grad", micro_batches=1).wrong() == []
    assert check("overwrite_grad", micro_batches=2).wrong() == ["2.W", "2.b"]


def test_check_leaves_the_accumulated_gradient_in_grad():
    model, loss = bugs.make_patient(rng=2)
    x, y = bugs.patient_data(rng=2)
    report = bugs.check_patient(model, loss, x, y)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, report.analytic[name])
        np.testing.assert_allclose(p.grad, report.numeric[name], rtol=1e-5, atol=1e-9)


def test_check_handles_a_shared_parameter_once():
    a, b = Linear(2, 2, rng=0), Linear(2, 2, rng=1)
    b.W, b.b = a.W, a.b  # tied weights: gradients from both uses must add up
    model = Sequential(a, Tanh(), b)
    rng = np.random.default_rng(0)
    report = bugs.check_patient(model, MSELoss(), rng.normal(size=(4, 2)),
                                rng.normal(size=(4, 2)), micro_batches=1)  # fmt: skip
    assert list(report.errors) == ["0.W", "0.b"]
    assert max(report.errors.values()) < bugs.GOOD


@pytest.mark.parametrize(
    ("micro_batches", "error"),
    [(3, ValueError), (0, ValueError), (True, TypeError), (1.5, TypeError)],
)
def test_check_rejects_bad_micro_batches(micro_batches, error):
    model, loss = bugs.make_patient()
    x, y = bugs.patient_data()
    with pytest.raises(error, match="micro_batches"):
        bugs.check_patient(model, loss, x, y, micro_batches=micro_batches)


def test_unknown_bug_names_the_choices():
    with pytest.raises(ValueError, match="missing_transpose"):
        bugs.make_patient("typo")


@pytest.mark.parametrize(
    ("error", "expected"),
    [(0.0, "good"), (9e-8, "good"), (1e-7, "suspicious"), (9e-3, "suspicious"), (1e-2, "wrong"),
     (1.0, "wrong"), (float("nan"), "wrong")],
)  # fmt: skip
def test_verdict_thresholds(error, expected):
    assert bugs.verdict(error) == expected


# ---- the game ----


def test_mystery_is_reproducible_and_reaches_every_bug():
    picks = [bugs.mystery_bug(seed) for seed in range(60)]
    assert picks == [bugs.mystery_bug(seed) for seed in range(60)]
    assert set(picks) == set(bugs.BUG_KEYS)
    k = len(bugs.BUG_KEYS)
    for start in range(0, 60, k):  # every block of consecutive seeds holds every bug once
        assert sorted(picks[start : start + k]) == sorted(bugs.BUG_KEYS)
    assert picks[:k] != picks[k : 2 * k]  # and the blocks are shuffled differently


def test_catalogue_entries_are_complete():
    assert set(bugs.BUG_KEYS) == set(LAYER_BUGS) | {"no_batch_mean"}
    for key, bug in bugs.BUGS.items():
        assert bug.key == key
        assert bug.title and bug.wrong_line != bug.right_line and bug.signature and bug.lesson


def test_guess_feedback():
    ok, message = bugs.guess_feedback("wrong_sign", "wrong_sign")
    assert ok and "W.grad -= x.T @ dy" in message
    ok, message = bugs.guess_feedback("no_bias_grad", "wrong_sign")
    assert not ok and bugs.BUGS["no_bias_grad"].signature in message
    assert bugs.guess_feedback("none", "none")[0]
    assert not bugs.guess_feedback("none", "no_batch_mean")[0]
    ok, message = bugs.guess_feedback("no_batch_mean", "none")
    assert not ok and "below 1e-7" in message
    with pytest.raises(ValueError):
        bugs.guess_feedback("nonsense", "none")


def test_found_it_names_where_the_bug_was():
    _, message = bugs.guess_feedback("no_batch_mean", "no_batch_mean")
    assert "The loss's backward computed `dpred = 2 * (pred - target)`" in message
    assert "layer" not in message.split(".")[1]
    _, message = bugs.guess_feedback("no_bias_grad", "no_bias_grad")
    assert "had no line for db: it needs `b.grad += dy.sum(axis=0)`" in message
    assert "(no line" not in message
    _, message = bugs.guess_feedback("wrong_sign", "wrong_sign")
    assert "The layer's backward computed `W.grad -= x.T @ dy`" in message
