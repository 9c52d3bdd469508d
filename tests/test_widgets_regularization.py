"""RegularizationExplorer and its plots, driven from Python: every control reaches the run, the
panels show the training data loss, the test loss and the penalty apart, and the History's
split between data loss and penalty is what the notebook says it is."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.nn.layers import Dropout, Linear
from backprop_lib.nn.losses import l1_penalty, l2_penalty
from backprop_lib.training import predict
from backprop_lib.viz.regularization import best_epoch
from backprop_lib.widgets.regularization import (
    STRENGTHS,
    RegularizationConfig,
    RegularizationExplorer,
    RegularizationRun,
    split_moons,
)

SMALL = {"epochs": 30}


@pytest.fixture(scope="module")
def dash():
    d = RegularizationExplorer(config=SMALL)
    yield d
    d.close()


def _linears(model):
    return [m for m in model.modules() if isinstance(m, Linear)]


# ---- the History, from the notebook's angle ----


@pytest.mark.parametrize("penalty, strength", [("l2", 0.01), ("l1", 0.003)])
def test_history_keeps_data_loss_and_penalty_apart(penalty, strength):
    config = RegularizationConfig(penalty=penalty, strength=strength, epochs=5)
    run = RegularizationRun(config)
    start = [p.data.copy() for p in run.model.parameters()]
    weights = [p for name, p in run.model.named_parameters() if name.endswith("W")]
    first_weights = [_copy(w) for w in weights]
    run.advance(5)
    h = run.history
    np.testing.assert_allclose(h.loss, np.add(h.data_loss, h.penalty), rtol=1e-12)
    # epoch 1 (full batch): the data loss and the penalty of the initial weights
    fresh = RegularizationRun(config)
    for p, data in zip(fresh.model.parameters(), start, strict=True):
        np.testing.assert_array_equal(p.data, data)
    bce = bl.BCEWithLogitsLoss()
    assert h.data_loss[0] == pytest.approx(bce.forward(fresh.model(run.X_train), run.y_train))
    rule = l2_penalty if penalty == "l2" else l1_penalty
    assert h.penalty[0] == pytest.approx(rule(first_weights, strength)[0], rel=1e-12)
    # the test loss is the data loss alone, of the model after the epoch, in eval mode
    assert h.val_loss[-1] == pytest.approx(bce.forward(predict(run.model, run.X_test), run.y_test))


def _copy(p):
    return bl.Parameter(p.data.copy())


def test_without_a_penalty_the_history_has_none():
    run = RegularizationRun(RegularizationConfig(epochs=3))
    run.advance(3)
    assert run.history.penalty == []
    assert run.history.loss == run.history.data_loss


def test_test_loss_is_measured_with_dropout_off():
    run = RegularizationRun(RegularizationConfig(dropout=0.5, epochs=3))
    run.advance(3)
    assert any(isinstance(m, Dropout) for m in run.model.modules())
    bce = bl.BCEWithLogitsLoss()
    twice = [bce.forward(predict(run.model, run.X_test), run.y_test) for _ in range(2)]
    assert twice[0] == twice[1] == pytest.approx(run.history.val_loss[-1])
    assert run.model.training  # predict restores the mode


# ---- the explorer's defaults overfit, as the notebook says ----


def test_default_run_overfits():
    run = RegularizationRun(RegularizationConfig())
    run.advance(run.config.epochs)
    h = run.history
    best = best_epoch(h.val_loss)
    assert (run.config.n_train, len(run.X_test)) == (40, 160)
    assert h.data_loss[-1] < 0.01 and h.accuracy[-1] == 1.0
    assert best < 50 and h.val_loss[-1] > 2 * h.val_loss[best - 1]


def test_split_keeps_the_training_points_when_the_share_grows():
    small = split_moons(RegularizationConfig(train_fraction=0.2))
    large = split_moons(RegularizationConfig(train_fraction=0.5))
    np.testing.assert_array_equal(large[0][:40], small[0])
    assert len(small[0]) + len(small[1]) == len(large[0]) + len(large[1]) == 200


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"train_fraction": 0.0}, "train_fraction must be in"),
        ({"train_fraction": 1.0}, "train_fraction must be in"),
        ({"n": 3, "train_fraction": 0.1}, "both sets need"),
        ({"penalty": "l3"}, "penalty must be one of"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"strength": -1.0}, "strength must be >= 0"),
        ({"layers": 0}, "layers and width"),
    ],
)
def test_bad_configs_say_what_to_fix(changes, match):
    with pytest.raises(ValueError, match=match):
        RegularizationConfig(**changes)


def test_explorer_rejects_settings_its_controls_cannot_show():
    with pytest.raises(ValueError, match="strength must be one of"):
        RegularizationExplorer(config={"strength": 0.5, "epochs": 2})
    with pytest.raises(ValueError, match="width must be one of"):
        RegularizationExplorer(config={"width": 64, "epochs": 2})


# ---- every control reaches the run ----


def test_controls_reach_the_model_and_data(dash):
    dash.layers.value = 2
    dash.width.value = 8
    assert [(m.in_features, m.out_features) for m in _linears(dash.model)] == [(2, 8), (8, 8),
                                                                              (8, 1)]  # fmt: skip
    dash.dropout.value = 0.3
    drops = [m for m in dash.model.modules() if isinstance(m, Dropout)]
    assert len(drops) == 2 and all(m.p == pytest.approx(0.3) for m in drops)
    dash.train_fraction.value = 0.5
    assert len(dash.run.X_train) == 100 and len(dash.run.X_test) == 100
    assert len(dash.boundary.points.get_offsets()) == 100
    assert len(dash.boundary.test_points.get_offsets()) == 100
    dash.noise.value = 0.0
    assert dash.run.config.noise == 0.0
    dash.strength.value = 0.01
    dash.penalty.value = "l1"
    assert dash.run.trainer.penalty is l1_penalty and dash.run.trainer.penalty_strength == 0.01
    assert len(dash.history.penalty) == 30
    dash.config = {"layers": 3, "width": 32, "dropout": 0.0, "train_fraction": 0.2,
                   "noise": 0.3, "strength": 0.0, "penalty": "l2"}  # fmt: skip
    assert dash.run.config == RegularizationConfig(**SMALL)
    assert dash.error is None


def test_panels_show_the_three_curves_apart(dash):
    dash.config = {"strength": 0.03, "penalty": "l2"}
    h = dash.history
    curves = dash.curves
    np.testing.assert_allclose(curves.train_line.get_ydata(), h.data_loss)
    np.testing.assert_allclose(curves.test_line.get_ydata(), h.val_loss)
    np.testing.assert_allclose(curves.penalty_line.get_ydata(), h.penalty)
    labels = [t.get_text() for t in curves.legend.get_texts()]
    assert labels == ["training data loss", "test loss", "penalty λ·R(W)"]
    assert curves.ax.get_ylabel() == "loss (cross-entropy, nats)"
    best = best_epoch(h.val_loss)
    assert curves.best_line.get_xdata()[0] == best
    status = dash.status.value
    assert f"training data loss {h.data_loss[-1]:.3f}" in status
    assert f"penalty {h.penalty[-1]:.3f}" in status and f"test loss {h.val_loss[-1]:.3f}" in status
    summary = dash.summary()
    assert summary["data_loss"] == h.data_loss[-1] and summary["penalty"] == h.penalty[-1]
    assert summary["best_epoch"] == best
    dash.strength.value = 0.0
    assert "penalty" not in dash.status.value.replace("penalty strength", "")
    assert len(curves.penalty_line.get_ydata()) == 0
    assert curves.legend.get_texts()[2].get_text() == "penalty λ·R(W): none"


def test_play_step_reset(dash):
    dash.reset()
    assert dash.run.epoch == 0 and dash.history.loss == []
    assert "epoch 0 / 30" in dash.epoch_label.value
    dash.step()
    dash.step()
    assert dash.run.epoch == 2 and len(dash.history.val_loss) == 2
    dash.play.value = dash.play.max
    assert dash.run.epoch == 30
    assert dash.error is None


def test_main_control_is_the_training_share(dash):
    # a slider whose readout a browser can type into (a SelectionSlider's cannot be typed)
    assert "bp-main-control" in dash.train_fraction._dom_classes
    assert "bp-main-control" not in dash.strength._dom_classes
    assert dash.train_fraction.continuous_update is False
    assert dash.train_fraction.readout_format == ".2f"  # typed back as "0.20", parsed as such
    assert [value for _, value in dash.strength.options] == list(STRENGTHS)
    assert dash.strength.options[0][0] == "0 (off)"
    assert dash.strength.continuous_update is False


@pytest.mark.parametrize(
    "setting",
    [
        {"strength": 0.1, "penalty": "l1"},
        {"strength": 0.1, "penalty": "l2"},
        {"dropout": 0.7},
        {"train_fraction": 0.1, "noise": 0.5},
        {"train_fraction": 0.9, "noise": 0.0},
        {"layers": 4, "width": 32, "dropout": 0.7, "train_fraction": 0.9},
        {"layers": 1, "width": 2},
    ],
)
def test_every_extreme_draws(setting, tmp_path):
    d = RegularizationExplorer(config={"epochs": 60})
    try:
        d.config = setting
        assert d.error is None, d.last_traceback
        assert d.run.epoch == 60
        assert d.image.value[:4] == b"\x89PNG"
        d.figure.savefig(tmp_path / "extreme.png")
        shares = d.weights.stairs.get_data().values
        assert shares.sum() == pytest.approx(1.0)
    finally:
        d.close()


# ---- redrawing only what moved ----


def _still_panels(dash):
    """The blitter's view after an update: its path, what it learned, the panels drawn whole,
    and whether any axis (ticks, labels) is drawn again over the cached picture."""
    bg = dash._blitter.background
    axis_in_fg = [type(a).__name__ for a in bg.foreground if type(a).__name__ in ("XAxis", "YAxis")]
    return dash.timings["path"], list(dash._blitter.learned), set(bg.moving_axes), axis_in_fg


def test_moves_of_the_training_share_redraw_only_what_moved():
    d = RegularizationExplorer(config=SMALL)
    try:
        for value in (0.3, 0.5, 0.7, 0.4, 0.6):
            d.train_fraction.value = value
        path, learned, whole, axes_redrawn = _still_panels(d)
        assert path == "blit" and learned == [] and whole == set()
        # the weights panel's ticks are not drawn again on every move (a wide changing title
        # over the boundary would reach them)
        assert axes_redrawn == []
        assert d.figure.axes[0].get_ylim() == (1e-4, 10.0)
    finally:
        d.close()
