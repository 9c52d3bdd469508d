"""Tests for backprop_lib.training: fit, Trainer, History, stops, divergence, input checks."""

import math
import warnings

import numpy as np
import pytest
from learner_code import MySGD

from backprop_lib import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    mlp,
)
from backprop_lib.data import make_blobs, make_moons, make_sine
from backprop_lib.optim.lr_scheduler import StepLR
from backprop_lib.optim.optimizers import SGD, Adam
from backprop_lib.training import (
    EarlyStopping,
    History,
    Trainer,
    accuracy,
    fit,
    predict,
    predict_classes,
)


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.1, rng=0)


def _net(seed=0, **kw):
    return mlp([2, 16, 16, 1], activation="tanh", rng=seed, **kw)


def _params(model):
    return [p.data.copy() for p in model.parameters()]


# ---- learning ----


def test_fit_reaches_97_percent_on_moons(moons):
    X, y = moons
    model = _net()
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=300)
    assert h.accuracy[-1] >= 0.97
    assert accuracy(model, X, y) >= 0.97
    assert h.loss[-1] < 0.2 * h.loss[0]
    assert h.stop_reason == "completed" and h.stopped_epoch == 300 and not h.diverged


def test_fit_with_sgd_minibatches_on_three_blobs_uses_argmax_accuracy():
    X, y = make_blobs(150, centers=3, noise=0.3, rng=1)
    model = mlp([2, 8, 3], activation="relu", rng=0)
    h = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 30, batch_size=16,
            rng=0)  # fmt: skip
    assert h.accuracy[-1] >= 0.95
    assert accuracy(model, X, y) == pytest.approx(np.mean(predict(model, X).argmax(1) == y))


def test_same_seed_gives_a_bit_identical_history(moons):
    X, y = moons

    def run(seed):
        model = _net(seed=5, dropout=0.1)
        opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
        return fit(model, BCEWithLogitsLoss(), opt, X[:150], y[:150], 12, batch_size=32,
                   rng=seed, validation_data=(X[150:], y[150:]), penalty="l2",
                   penalty_strength=1e-3, scheduler=StepLR(opt, 5))  # fmt: skip

    a, b, c = run(7), run(7), run(8)
    assert a == b  # every list and dict, float for float
    assert a.loss != c.loss  # the shuffling order matters


# ---- what History records ----


def test_history_layout(moons):
    X, y = moons
    model = _net()
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, 4,
            validation_data=(X[:50], y[:50]))  # fmt: skip
    assert isinstance(h, History)
    for values in (h.loss, h.val_loss, h.accuracy, h.val_accuracy, h.lr):
        assert len(values) == 4 and all(isinstance(v, float) for v in values)
    assert list(h.grad_norms) == list(h.update_ratios) == ["0.W", "2.W", "4.W"]
    assert list(h.saturation) == ["1.Tanh", "3.Tanh"]
    assert all(
        len(v) == 4 for d in (h.grad_norms, h.update_ratios, h.saturation) for v in d.values()
    )
    assert h.lr == [0.1] * 4 and h.best_epoch == int(np.argmin(h.val_loss)) + 1


def test_regression_has_no_accuracy():
    X, y = make_sine(50, rng=0)
    model = mlp([1, 8, 1], rng=0)
    h = fit(model, MSELoss(), SGD(model.parameters(), lr=0.05), X, y, 3, validation_data=(X, y))
    assert h.accuracy == [] and h.val_accuracy == [] and len(h.val_loss) == 3


def test_grad_norms_update_ratios_and_saturation_of_a_full_batch_epoch(moons):
    X, y = moons
    model = _net(seed=2)
    twin = _net(seed=2)
    lr = 0.3
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=lr), X, y, 1)
    # the same epoch by hand on an identical network
    loss = BCEWithLogitsLoss()
    out = twin.forward(X)
    want_loss = loss.forward(out, y.reshape(-1, 1).astype(float))
    twin.backward(loss.backward())
    assert h.loss[0] == pytest.approx(want_loss, rel=1e-12)
    assert h.accuracy[0] == np.mean((out[:, 0] > 0) == (y == 1))
    for name, p in twin.named_parameters():
        if name.endswith("W"):
            g, w = np.linalg.norm(p.grad), np.linalg.norm(p.data)
            assert h.grad_norms[name][0] == pytest.approx(g, rel=1e-9)
            assert h.update_ratios[name][0] == pytest.approx(lr * g / w, rel=1e-9)
    for index in (1, 3):
        tanh_out = twin[index].output
        want = np.mean(np.abs(tanh_out) > 0.97)
        assert h.saturation[f"{index}.Tanh"][0] == pytest.approx(want)


def test_relu_saturation_is_the_fraction_of_units_dead_for_the_batch():
    X = np.random.default_rng(0).normal(size=(20, 2))
    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 1, rng=1))
    model[0].b.data[:2] = -100.0  # two of four units can never fire on this data
    model[0].b.data[2:] = 100.0  # the other two always fire
    h = fit(model, MSELoss(), SGD(model.parameters(), lr=1e-6), X, np.zeros((20, 1)), 1)
    assert h.saturation["1.ReLU"] == [0.5]


def test_sigmoid_outputs_with_bce_loss_use_the_half_threshold(moons):
    X, y = moons
    model = mlp([2, 16, 1], rng=0)
    model.layers.append(Sigmoid())
    h = fit(model, BCELoss(), Adam(model.parameters(), lr=0.02), X, y, 150)
    assert h.accuracy[-1] >= 0.85
    assert accuracy(model, X, y) == pytest.approx(np.mean((predict(model, X)[:, 0] > 0.5) == y))


def test_float32_models_train_in_float32(moons):
    X, y = moons
    model = _net(dtype=np.float32)
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, 100)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert h.accuracy[-1] > 0.85 and isinstance(h.loss[-1], float)


# ---- penalties, clipping, schedules ----


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalty_applies_to_weights_only_and_is_part_of_the_loss(moons, kind):
    X, y = moons
    lr, lam = 0.1, 0.05
    model, twin = _net(seed=3), _net(seed=3)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=lr), X, y, 1, penalty=kind,
            penalty_strength=lam)  # fmt: skip
    loss = BCEWithLogitsLoss()
    data_loss = loss.forward(twin.forward(X), y.reshape(-1, 1).astype(float))
    twin.backward(loss.backward())
    weights = [p for name, p in twin.named_parameters() if name.endswith("W")]
    if kind == "l2":
        penalty = lam / 2 * sum(np.sum(w.data**2) for w in weights)
    else:
        penalty = lam * sum(np.sum(np.abs(w.data)) for w in weights)
    assert h.loss[0] == pytest.approx(data_loss + penalty, rel=1e-12)
    for (name, p), (_, q) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        extra = 0.0
        if name.endswith("W"):
            extra = lam * (q.data if kind == "l2" else np.sign(q.data))
        np.testing.assert_allclose(p.data, q.data - lr * (q.grad + extra), rtol=1e-12)


def test_clip_grad_norm_limits_the_step_but_grad_norms_are_recorded_before_clipping(moons):
    X, y = moons
    model = _net(seed=4)
    before = _params(model)
    lr, max_norm = 0.5, 1e-3
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=lr), X, y, 1,
            clip_grad_norm=max_norm)  # fmt: skip
    step = np.sqrt(
        sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), before, strict=True))
    )
    assert step == pytest.approx(lr * max_norm, rel=1e-4)
    assert max(v[0] for v in h.grad_norms.values()) > 10 * max_norm


def test_scheduler_sets_the_lr_of_each_epoch(moons):
    X, y = moons
    model = _net()
    opt = SGD(model.parameters(), lr=0.4)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, 5, scheduler=StepLR(opt, step_size=2))
    np.testing.assert_allclose(h.lr, [0.4, 0.4, 0.04, 0.04, 0.004])


# ---- stopping ----


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_after_patience_and_restore_best(moons, restore_best):
    X, y = moons
    model = _net()
    snapshots = {}

    def remember(epoch, history):
        snapshots[epoch] = _params(model)

    # min_delta so large that nothing after the first epoch counts as an improvement
    stop = EarlyStopping(patience=3, min_delta=1e9, restore_best=restore_best)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.5), X, y, 50,
            early_stopping=stop, callback=remember)  # fmt: skip
    assert h.stop_reason == "early_stopping" and h.stopped_epoch == 4 and len(h.loss) == 4
    assert h.best_epoch == 1
    restored = [np.array_equal(a, b) for a, b in zip(_params(model), snapshots[1], strict=True)]
    assert all(restored) == restore_best


def test_early_stopping_monitors_validation_loss(moons):
    X, y = moons
    model = _net()
    flipped = (X[:60], 1 - y[:60])  # the better the model learns, the worse this gets
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, 200,
            validation_data=flipped, early_stopping=5)  # fmt: skip
    assert h.stop_reason == "early_stopping"
    assert h.stopped_epoch == h.best_epoch + 5
    assert h.loss[-1] < h.loss[h.best_epoch - 1]  # the training loss was still improving
    assert predict(model, X[:1]).shape == (1, 1)
    restored_val = BCEWithLogitsLoss().forward(
        predict(model, flipped[0]), flipped[1].reshape(-1, 1).astype(float)
    )
    assert restored_val == pytest.approx(h.val_loss[h.best_epoch - 1], rel=1e-12)


def test_loss_threshold_stops_at_the_first_epoch_below_it(moons):
    X, y = moons
    model = _net()
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, 500,
            loss_threshold=0.3)  # fmt: skip
    assert h.stop_reason == "loss_threshold" and h.stopped_epoch < 500
    assert h.loss[-1] <= 0.3 and all(v > 0.3 for v in h.loss[:-1])


def test_callback_sees_every_epoch_and_can_stop(moons):
    X, y = moons
    model = _net()
    seen = []

    def callback(epoch, history):
        seen.append((epoch, len(history.loss)))
        return epoch == 3

    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, 10,
            callback=callback)  # fmt: skip
    assert seen == [(1, 1), (2, 2), (3, 3)]
    assert h.stop_reason == "callback" and h.stopped_epoch == 3


def test_trainer_runs_epoch_by_epoch_and_stays_stopped(moons):
    X, y = moons
    model = _net()
    trainer = Trainer(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y,
                      loss_threshold=10.0)  # fmt: skip
    assert trainer.run(0).loss == [] and trainer.history.stopped_epoch == 0
    h = trainer.run_epoch()
    assert len(h.loss) == 1 and trainer.stopped and h.stop_reason == "loss_threshold"
    before = _params(model)
    assert trainer.run_epoch() is h and len(h.loss) == 1
    assert all(np.array_equal(a, b) for a, b in zip(before, _params(model), strict=True))


# ---- divergence ----


def test_too_large_lr_on_regression_diverges_without_exception_or_warning():
    X, y = make_sine(100, noise=0.1, rng=0)
    model = mlp([1, 16, 1], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow...) fails the test
        h = fit(model, MSELoss(), SGD(model.parameters(), lr=5.0), X, y, 200)
    assert h.diverged and h.stop_reason == "diverged"
    assert h.diverged_epoch == h.stopped_epoch == len(h.loss) < 200
    last = h.loss[-1]
    assert not math.isfinite(last) or last > 1e6 * h.loss[0]
    assert all(math.isfinite(v) and v <= 1e6 * h.loss[0] for v in h.loss[:-1])


def test_nan_loss_in_a_minibatch_stops_that_epoch_and_records_nan_health():
    X, y = make_sine(64, rng=0)
    model = mlp([1, 16, 1], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(model, MSELoss(), SGD(model.parameters(), lr=1e3), X, y, 50, batch_size=8,
                validation_data=(X, y))  # fmt: skip
    assert h.diverged and h.diverged_epoch == len(h.loss)
    assert all(len(v) == len(h.loss) for v in h.grad_norms.values())
    assert len(h.val_loss) == len(h.loss)


def test_classification_divergence_is_reported_not_raised(moons):
    X, y = moons
    model = _net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=1e12), X, y, 30)
    assert h.diverged and h.stop_reason == "diverged"
    assert h.diverged_epoch == h.stopped_epoch == len(h.loss) < 30


# ---- inputs are checked before anything changes ----


def _bad_cases():
    X, y = make_moons(40, noise=0.1, rng=0)
    nan_X = X.copy()
    nan_X[3, 1] = np.nan
    return [
        ({"X": nan_X}, ValueError, "X contains NaN"),
        ({"X": X[:, 0]}, ValueError, r"2-D array.*X.reshape\(-1, 1\)"),
        ({"X": np.c_[X, X[:, :1]]}, ValueError, "3 features"),
        ({"y": y[:30]}, ValueError, "y has 30 entries but X has 40 rows"),
        ({"y": y * 2}, ValueError, "in \\[0, 1\\]"),
        ({"y": np.c_[y, y]}, ValueError, "outputs rows of shape"),
        ({"y": np.where(y == 0, np.nan, 1.0)}, ValueError, "y contains NaN"),
        ({"epochs": -1}, ValueError, "epochs must be an int >= 0"),
        ({"epochs": 2.5}, TypeError, "epochs must be an int"),
        ({"epochs": True}, TypeError, "epochs must be an int"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
        ({"batch_size": 8.0}, TypeError, "batch_size must be an int"),
        ({"rng": "seed"}, TypeError, "rng must be"),
        ({"validation_data": (X,)}, ValueError, "validation_data must be a pair"),
        ({"validation_data": (nan_X, y)}, ValueError, "validation X contains NaN"),
        ({"validation_data": (X, y[:5])}, ValueError, "validation y has 5 entries"),
        ({"penalty": "l3"}, ValueError, "penalty must be None, 'l1' or 'l2'"),
        ({"penalty": "l2", "penalty_strength": -1.0}, ValueError, "penalty_strength"),
        ({"penalty_strength": 0.1}, ValueError, "needs penalty='l1' or penalty='l2'"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping must be"),
        ({"early_stopping": 0}, ValueError, "patience must be an int >= 1"),
        ({"loss_threshold": -1.0}, ValueError, "loss_threshold"),
        ({"clip_grad_norm": 0.0}, ValueError, "clip_grad_norm"),
        ({"callback": 3}, TypeError, "callback must be a function"),
        ({"scheduler": object()}, TypeError, "scheduler must have a step"),
        ({"loss": "mse"}, TypeError, "loss must be a Loss"),
        ({"optimizer": "sgd"}, TypeError, "optimizer must have step"),
        ({"optimizer": "other model"}, ValueError, "holds none of this model's parameters"),
    ]


@pytest.mark.parametrize("change, error, message", _bad_cases())
def test_bad_input_raises_before_any_state_changes(change, error, message):
    X, y = make_moons(40, noise=0.1, rng=0)
    model = mlp([2, 8, 1], batch_norm=True, dropout=0.2, rng=0)
    bn = model[1]
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    if change.get("optimizer") == "other model":
        change = {"optimizer": SGD(mlp([2, 8, 1], rng=1).parameters(), lr=0.1)}
    rng = np.random.default_rng(0)
    rng_state = rng.bit_generator.state
    dropout_state = model[3].rng.bit_generator.state
    before = _params(model) + [bn.running_mean.copy(), bn.running_var.copy()]
    args = {"model": model, "loss": BCEWithLogitsLoss(), "optimizer": opt, "X": X, "y": y,
            "epochs": 3, "rng": rng, **change}  # fmt: skip
    with pytest.raises(error, match=message):
        fit(**args)
    after = _params(model) + [bn.running_mean, bn.running_var]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert rng.bit_generator.state == rng_state
    assert model[3].rng.bit_generator.state == dropout_state
    assert opt.steps == 0 and model.training


def test_cross_entropy_labels_are_checked_against_the_output_size():
    X, y = make_blobs(30, centers=3, rng=0)
    model = mlp([2, 4, 2], rng=0)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="make the last layer output 3 classes"):
        fit(model, CrossEntropyLoss(), opt, X, y, 1)
    with pytest.raises(ValueError, match="int class labels"):
        fit(model, CrossEntropyLoss(), opt, X, y.astype(float), 1)
    with pytest.raises(ValueError, match="negative class labels"):
        fit(model, CrossEntropyLoss(), opt, X, y - 1, 1)
    assert opt.steps == 0


def test_multi_label_targets_are_scored_per_output():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(float)  # two independent yes/no labels per row
    model = mlp([2, 8, 2], rng=0)
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X, Y, 60)
    assert 0.9 <= h.accuracy[-1] <= 1.0
    out = predict(model, X)
    assert h.accuracy[-1] == pytest.approx(np.mean((out > 0) == (Y > 0.5)), abs=0.05)


def test_early_stopping_arguments_are_checked():
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-1.0)
    with pytest.raises(TypeError, match="patience must be an int"):
        EarlyStopping(patience=2.5)
    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        EarlyStopping(patience=0)
    with pytest.raises(TypeError, match="min_delta must be a number"):
        EarlyStopping(min_delta="0.1")
    es = EarlyStopping(patience=np.int64(3), min_delta=np.float32(0.5))  # numpy numbers work
    assert (es.patience, es.min_delta) == (3, 0.5) and type(es.patience) is int


# ---- evaluation helpers ----


def test_predict_uses_eval_mode_and_restores_the_mode():
    X = np.random.default_rng(0).normal(size=(10, 2))
    model = mlp([2, 8, 1], dropout=0.5, rng=0)
    a, b = predict(model, X), predict(model, X)
    np.testing.assert_array_equal(a, b)  # no dropout at prediction time
    assert model.training
    model.eval()
    predict(model, X)
    assert not model.training


def test_predict_classes_thresholds_logits_at_zero_and_probabilities_at_half():
    X = np.array([[1.0], [-1.0], [0.2]])
    logits = Sequential(Linear(1, 1, rng=0))
    logits[0].W.data[:] = 1.0
    logits[0].b.data[:] = -0.1  # outputs 0.9, -1.1, 0.1
    np.testing.assert_array_equal(predict_classes(logits, X), [1, 0, 1])
    probs = Sequential(Linear(1, 1, rng=0), Sigmoid())
    probs[0].W.data[:] = 1.0
    probs[0].b.data[:] = -0.1  # sigmoid(0.1) > 0.5 but sigmoid(-1.1) < 0.5
    np.testing.assert_array_equal(predict_classes(probs, X), [1, 0, 1])
    probs[0].b.data[:] = -0.3  # sigmoid(-0.1) < 0.5: the half threshold, not zero
    np.testing.assert_array_equal(predict_classes(probs, X), [1, 0, 0])
    multi = Sequential(Linear(1, 3, rng=0), Tanh())
    assert predict_classes(multi, X).shape == (3,)


def test_accuracy_accepts_column_labels_and_checks_their_count():
    X = np.array([[1.0], [-1.0]])
    model = Sequential(Linear(1, 1, rng=0))
    model[0].W.data[:] = 1.0
    assert accuracy(model, X, np.array([[1], [0]])) == 1.0
    assert accuracy(model, X, np.array([0, 0])) == 0.5
    with pytest.raises(ValueError, match="3 labels for 2 rows"):
        accuracy(model, X, np.array([1, 0, 1]))


# ---- any optimizer object works ----


def test_a_hand_written_optimizer_trains_through_the_layers_with_the_same_history(moons):
    """An optimizer written by a learner (any object with step, zero_grad and lr) works too."""
    X, y = moons
    histories = []
    for make in (lambda ps: MySGD(ps, lr=0.3), lambda ps: SGD(ps, lr=0.3)):
        model = _net(seed=8)
        h = fit(model, BCEWithLogitsLoss(), make(model.parameters()), X, y, 5, batch_size=50,
                rng=0, clip_grad_norm=0.5)  # fmt: skip
        histories.append(h)
    mine, ours = histories
    np.testing.assert_allclose(mine.loss, ours.loss, rtol=1e-9)
    for name in ours.grad_norms:
        np.testing.assert_allclose(mine.grad_norms[name], ours.grad_norms[name], rtol=1e-8)
        np.testing.assert_allclose(mine.update_ratios[name], ours.update_ratios[name], rtol=1e-8)


# ---- record_health=False: the same run, without the per-layer statistics ----


def _both_ways(make_model, loss, lr, X, y, epochs, **kw):
    """The History of the same run with and without record_health."""
    out = []
    for record in (True, False):
        model = make_model()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out.append(fit(model, loss, SGD(model.parameters(), lr=lr), X, y, epochs,
                           record_health=record, **kw))  # fmt: skip
    return out


@pytest.mark.parametrize("batch_size", [None, 32])
def test_record_health_false_gives_bit_identical_losses_and_empty_health(moons, batch_size):
    X, y = moons
    full, lean = _both_ways(lambda: _net(dtype=np.float32), BCEWithLogitsLoss(), 0.5, X, y, 40,
                            batch_size=batch_size, rng=3,
                            validation_data=(X[:50], y[:50]))  # fmt: skip
    assert full.grad_norms and full.update_ratios and full.saturation
    assert lean.grad_norms == {} and lean.update_ratios == {} and lean.saturation == {}
    assert lean.loss == full.loss and lean.accuracy == full.accuracy
    assert lean.val_loss == full.val_loss and lean.lr == full.lr
    assert (lean.stop_reason, lean.stopped_epoch, lean.best_epoch) == (
        full.stop_reason, full.stopped_epoch, full.best_epoch,
    )  # fmt: skip


def _sine():
    return make_sine(100, noise=0.1, rng=0)


@pytest.mark.parametrize(
    "case",
    [
        # the loss explodes (regression), the loss overflows (logits), the parameters overflow
        lambda: (lambda: mlp([1, 16, 1], rng=0), MSELoss(), 5.0, *_sine()),
        lambda: (_net, BCEWithLogitsLoss(), 1e12, *make_moons(200, noise=0.1, rng=0)),
        lambda: (lambda: mlp([1, 16, 1], rng=0, dtype=np.float32), MSELoss(), 1e37, *_sine()),
    ],
)
def test_record_health_false_still_detects_divergence_at_the_same_epoch(case):
    full, lean = _both_ways(*case(), 200)
    assert full.diverged and lean.diverged and lean.stop_reason == "diverged"
    assert lean.diverged_epoch == full.diverged_epoch < 200
    np.testing.assert_array_equal(lean.loss, full.loss)  # NaN where the default has NaN


def test_record_health_false_keeps_early_stopping(moons):
    X, y = moons
    full, lean = _both_ways(_net, BCEWithLogitsLoss(), 0.5, X, y, 300,
                            validation_data=(X[:40], y[:40]),
                            early_stopping=EarlyStopping(patience=3, min_delta=0.01))  # fmt: skip
    assert full.stop_reason == lean.stop_reason == "early_stopping"
    assert lean.stopped_epoch == full.stopped_epoch < 300
    assert lean.loss == full.loss and lean.best_epoch == full.best_epoch


def test_record_health_must_be_a_bool(moons):
    X, y = moons
    model = _net()
    with pytest.raises(TypeError, match="record_health must be True or False"):
        Trainer(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y,
                record_health="no")  # fmt: skip


def test_the_trainer_skips_rechecking_targets_only_for_the_built_in_losses(moons):
    X, y = moons
    calls = []

    class CountingLoss(BCEWithLogitsLoss):  # a learner's subclass: its forward is called
        def forward(self, pred, target):
            calls.append(len(pred))
            return super().forward(pred, target)

    for loss, expected in ((BCEWithLogitsLoss(), 0), (CountingLoss(), 3)):
        model = _net()
        fit(model, loss, SGD(model.parameters(), lr=0.1), X, y, 3)
        assert len(calls) == expected


def test_history_keeps_the_penalty_apart_from_the_data_loss():
    X, y = make_moons(60, noise=0.2, rng=0)
    model = mlp([2, 8, 1], rng=1)
    weights = [p for name, p in model.named_parameters() if name.endswith("W")]
    start_penalty = 0.05 * sum(float(np.sum(w.data**2)) for w in weights)  # lambda/2 sum W^2
    start_data_loss = BCEWithLogitsLoss().forward(model.forward(X), y.reshape(-1, 1))
    opt = SGD(model.parameters(), lr=0.1)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, 4, penalty="l2", penalty_strength=0.1)
    # full batch: epoch 1's numbers are those of the initial weights
    assert h.penalty[0] == pytest.approx(start_penalty, rel=1e-12)
    assert h.data_loss[0] == pytest.approx(start_data_loss, rel=1e-12)
    assert len(h.penalty) == len(h.data_loss) == len(h.loss) == 4
    for total, data_loss, penalty in zip(h.loss, h.data_loss, h.penalty, strict=True):
        assert penalty > 0
        assert total == pytest.approx(data_loss + penalty, rel=1e-12)


def test_without_a_penalty_the_data_loss_is_the_loss():
    X, y = make_moons(40, noise=0.2, rng=0)
    model = mlp([2, 8, 1], rng=1)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, 3)
    assert h.penalty == []
    assert h.data_loss == h.loss


# ---- fit trains through the layers themselves: one implementation of the math ----


def _moons_run(model_seed=0, epochs=5, **kwargs):
    X, y = make_moons(80, noise=0.2, rng=0)
    model = mlp([2, 8, 8, 1], activation="tanh", rng=model_seed)
    opt = Adam(model.parameters(), lr=0.05)
    return fit(model, BCEWithLogitsLoss(), opt, X, y, epochs, **kwargs), model, X, y


def test_fit_is_the_four_line_loop_a_learner_writes():
    h, trained, X, y = _moons_run(batch_size=16, rng=3)
    model = mlp([2, 8, 8, 1], activation="tanh", rng=0)
    loss, opt = BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05)
    order_rng = np.random.default_rng(3)
    targets = y.reshape(-1, 1).astype(float)
    for _ in range(5):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), 16):
            rows = order[start : start + 16]
            out = model.forward(X[rows])
            loss.forward(out, targets[rows])
            opt.zero_grad()
            model.backward(loss.backward())
            opt.step()
    for ours, theirs in zip(trained.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_a_monkeypatched_linear_backward_changes_what_fit_learns(monkeypatch):
    h_right, _, _, _ = _moons_run()

    def wrong_sign_backward(self, grad_y):  # a learner's bug: dW with the wrong sign
        x = self._x
        self.W.grad -= x.T @ grad_y
        self.b.grad += grad_y.sum(axis=0)
        return grad_y @ self.W.data.T

    monkeypatch.setattr(Linear, "backward", wrong_sign_backward)
    h_wrong, _, _, _ = _moons_run()
    assert h_wrong.loss[0] == h_right.loss[0]  # the same start ...
    assert h_wrong.loss[-1] > h_right.loss[-1]  # ... then the bug trains uphill
    assert h_wrong.loss[-1] > h_wrong.loss[0]


def test_a_subclassed_activation_is_what_fit_runs():
    class LeakyTanh(Tanh):  # a learner's own layer: tanh forward, a different backward
        def backward(self, grad_y):
            return super().backward(grad_y) + 0.1 * grad_y

    X, y = make_moons(80, noise=0.2, rng=0)
    histories = []
    for act in (Tanh, LeakyTanh):
        model = Sequential(Linear(2, 8, rng=0), act(), Linear(8, 1, rng=1))
        opt = SGD(model.parameters(), lr=0.5)
        histories.append(fit(model, BCEWithLogitsLoss(), opt, X, y, 4, record_health=False))
    assert histories[0].loss[0] == histories[1].loss[0]
    assert histories[0].loss[1:] != histories[1].loss[1:]


def test_health_numbers_are_those_of_the_last_step_computed_plainly():
    X, y = make_moons(60, noise=0.2, rng=0)
    model = mlp([2, 6, 1], activation="tanh", rng=2)
    opt = SGD(model.parameters(), lr=0.3)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, 2)
    twin = mlp([2, 6, 1], activation="tanh", rng=2)  # the same run by hand
    loss, opt2 = BCEWithLogitsLoss(), SGD(twin.parameters(), lr=0.3)
    for _ in range(2):
        out = twin.forward(X)
        loss.forward(out, y.reshape(-1, 1).astype(float))
        opt2.zero_grad()
        twin.backward(loss.backward())
        W, before = twin[0].W, twin[0].W.data.copy()
        grad_norm = np.linalg.norm(W.grad)
        opt2.step()
    assert h.grad_norms["0.W"][-1] == pytest.approx(grad_norm, rel=1e-12)
    ratio = np.linalg.norm(W.data - before) / np.linalg.norm(before)
    assert h.update_ratios["0.W"][-1] == pytest.approx(ratio, rel=1e-12)
    assert h.saturation["1.Tanh"][-1] == np.mean(np.abs(twin[1].output) > 0.97)


def test_blas_threads_is_checked():
    X, y = make_moons(20, noise=0.2, rng=0)
    model = mlp([2, 4, 1], rng=0)
    with pytest.raises(ValueError, match="BLAS threads must be a positive int or None"):
        fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, 1, blas_threads=0)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, 2, blas_threads=None)
    assert len(h.loss) == 2


def test_training_runs_with_one_blas_thread_and_restores_the_pool():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return {
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        }

    if not blas_threads():
        pytest.skip("numpy reports no BLAS library to threadpoolctl here")
    X, y = make_moons(20, noise=0.2, rng=0)
    model = mlp([2, 4, 1], rng=0)
    seen = []
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        outside = blas_threads()

        def callback(epoch, history):
            seen.append(blas_threads())

        opt = SGD(model.parameters(), lr=0.1)
        fit(model, BCEWithLogitsLoss(), opt, X, y, 2, callback=callback)
        assert blas_threads() == outside  # restored after training
    assert seen == [{1}, {1}]


# ---- the confusion matrix ----


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    from backprop_lib import confusion_matrix

    m = confusion_matrix([0, 2, 1, 2, 0], [0, 1, 1, 2, 2], 4)
    expected = np.zeros((4, 4), dtype=int)
    for t, p in [(0, 0), (2, 1), (1, 1), (2, 2), (0, 2)]:
        expected[t, p] += 1
    np.testing.assert_array_equal(m, expected)
    assert m.dtype == np.int64 and m.trace() == 3
    assert confusion_matrix(np.array([1, 0]), np.array([1, 1])).shape == (2, 2)  # K inferred


def test_confusion_matrix_errors_name_the_problem():
    from backprop_lib import confusion_matrix

    with pytest.raises(ValueError, match="int labels"):
        confusion_matrix([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="as many predictions as labels"):
        confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\]"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
