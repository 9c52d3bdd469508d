"""Loss curves: the lines hold the history's losses; divergence is marked and labelled."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import _pylab_helpers

from backprop_lib import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, fit, mlp
from backprop_lib.optim.optimizers import SGD
from backprop_lib.training import History
from backprop_lib.viz import (
    LossCurves,
    RaceCurves,
    diverged_message,
    loss_label,
    plot_loss,
    plot_race,
)
from backprop_lib.viz.style import PlotFigure, new_figure, to_png


def _history(loss, val=None, diverged_epoch=None):
    h = History(loss=list(loss), val_loss=list(val or []))
    if diverged_epoch is not None:
        h.diverged, h.diverged_epoch, h.stop_reason = True, diverged_epoch, "diverged"
    return h


def test_diverged_message_names_the_epoch():
    assert diverged_message(_history([1.0, 0.5])) is None
    msg = diverged_message(_history([1.0, 5.0, math.nan], diverged_epoch=12))
    assert msg == "diverged at epoch 12: the learning rate is above what this loss surface allows"


@settings(max_examples=20, deadline=None)
@given(losses=st.lists(st.floats(1e-4, 10.0), min_size=1, max_size=40), log=st.booleans())
def test_training_line_is_the_history(losses, log):
    fig = new_figure(300, 200)
    curves = LossCurves(fig.add_subplot(), log=log)
    curves.update(_history(losses))
    x, y = curves.train_line.get_data()
    np.testing.assert_array_equal(x, np.arange(1, len(losses) + 1))
    np.testing.assert_allclose(y, losses)
    lo, hi = curves.ax.get_ylim()
    assert lo <= min(losses) and hi >= max(losses)  # every point visible
    assert curves.note.get_text() == ""


def test_validation_line_and_legend():
    fig = new_figure(300, 200)
    curves = LossCurves(fig.add_subplot())
    curves.update(_history([1.0, 0.8, 0.7], val=[1.1, 0.9, 0.85]))
    np.testing.assert_allclose(curves.val_line.get_data()[1], [1.1, 0.9, 0.85])
    assert [t.get_text() for t in curves.legend.get_texts()] == ["training", "validation"]


def test_diverged_run_is_drawn_to_its_last_finite_value_and_labelled():
    fig = new_figure(300, 200)
    curves = LossCurves(fig.add_subplot(), log=True)
    curves.update(_history([0.7, 0.6, 40.0, 1e9, math.inf], diverged_epoch=5))
    x, y = curves.train_line.get_data()
    assert list(x) == [1, 2, 3, 4]  # inf dropped
    assert "diverged at epoch 5" in curves.note.get_text()
    cx, cy = curves.cross.get_data()
    assert list(cx) == [5.0]
    assert curves.ax.get_ylim()[1] < 1e9  # capped: the early epochs stay readable
    to_png(fig)  # and it renders


def test_fixed_epoch_axis_for_animation():
    fig = new_figure(300, 200)
    curves = LossCurves(fig.add_subplot())
    curves.update(_history([1.0, 0.9]), epochs=300)
    assert curves.ax.get_xlim()[1] >= 300


def test_race_overlays_runs_and_renames_them():
    fig = new_figure(400, 250)
    race = RaceCurves(fig.add_subplot(), ["a", "b"])
    race.update([_history([1.0, 0.5]), _history([1.0, 3.0, math.nan], diverged_epoch=3)],
                labels=["η = 0.1", "η = 9"])  # fmt: skip
    np.testing.assert_allclose(race.lines["a"].get_data()[1], [1.0, 0.5])
    texts = [t.get_text() for t in race.legend.get_texts()]
    assert texts == ["η = 0.1", "η = 9 (diverged)"]
    assert len(race.crosses["b"].get_data()[0]) == 1
    assert len(race.crosses["a"].get_data()[0]) == 0


def test_plot_functions_return_figures_that_show_as_png():
    before = _pylab_helpers.Gcf.get_num_fig_managers()
    fig = plot_loss(_history([1.0, 0.5, 0.2]), log=True)
    assert isinstance(fig, PlotFigure)
    assert fig._repr_png_().startswith(b"\x89PNG")
    fig2 = plot_race({"x": _history([1.0, 0.5]), "y": _history([1.0, 0.9])})
    assert len(fig2.axes[0].get_lines()) >= 2
    assert _pylab_helpers.Gcf.get_num_fig_managers() == before  # nothing registered globally


@pytest.mark.parametrize("log", [False, True])
def test_empty_history_draws(log):
    fig = new_figure(300, 200)
    LossCurves(fig.add_subplot(), log=log).update(_history([]))
    assert to_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("loss", "label"),
    [(MSELoss(), "loss (mean squared error)"), (BCEWithLogitsLoss(), "loss (cross-entropy, nats)"),
     (CrossEntropyLoss(), "loss (cross-entropy, nats)")],
)  # fmt: skip
def test_loss_axis_is_named_after_the_loss(loss, label):
    assert loss_label(loss) == label
    assert plot_loss(_history([1.0, 0.5]), loss=loss).axes[0].get_ylabel() == label


def test_loss_axis_label_is_inferred_from_the_history():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2))
    runs = {}
    for name, loss, y in [
        ("mse", MSELoss(), X[:, :1] * 2),
        ("ce", CrossEntropyLoss(), (X[:, 0] > 0).astype(int)),
    ]:
        model = mlp([2, 4, 1 if name == "mse" else 2], rng=0)
        runs[name] = fit(model, loss, SGD(model.parameters(), lr=0.1), X, y, epochs=3)
    assert plot_loss(runs["ce"]).axes[0].get_ylabel() == "loss (cross-entropy, nats)"
    assert plot_loss(runs["mse"]).axes[0].get_ylabel() == "loss"  # no accuracy: not a classifier
    assert plot_loss(runs["mse"], ylabel="MSE").axes[0].get_ylabel() == "MSE"  # explicit wins
    assert plot_race({"a": runs["ce"]}).axes[0].get_ylabel() == "loss (cross-entropy, nats)"
    assert plot_race({"a": runs["mse"]}, loss=MSELoss()).axes[0].get_ylabel().endswith("error)")


def test_race_legend_title_is_an_argument():
    runs = {"x": _history([1.0, 0.5]), "y": _history([1.0, 0.9])}
    assert plot_race(runs).axes[0].get_legend().get_title().get_text() == "learning rate"
    fig = plot_race(runs, title="schedule")
    assert fig.axes[0].get_legend().get_title().get_text() == "schedule"
    assert plot_race(runs, title=None).axes[0].get_legend().get_title().get_text() == ""
