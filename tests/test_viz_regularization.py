"""The plots of notebooks/10_regularization.ipynb: weights as one vector, the best epoch, the
|w| histogram, the boundary with training and test points told apart, the figure helpers."""

from types import SimpleNamespace

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.viz.regularization import (
    LOSS_RANGE,
    SplitBoundary,
    SplitLossCurves,
    WeightHistogram,
    best_epoch,
    plot_split_boundary,
    plot_split_losses,
    plot_weight_distributions,
    weight_values,
)
from backprop_lib.viz.style import new_figure
from backprop_lib.widgets.regularization import RegularizationConfig, RegularizationRun


def test_weight_values_and_histogram():
    model = bl.mlp([2, 3, 1], rng=0)
    w = weight_values(model)
    assert w.shape == (2 * 3 + 3 * 1,)
    fig = new_figure(300, 200)
    hist = WeightHistogram(fig.add_subplot(), near=0.5)
    shares = hist.update(model)
    assert shares.sum() == pytest.approx(1.0)
    assert hist.share_near_zero == pytest.approx(np.mean(np.abs(w) < 0.5))
    # exact zeros land in the first bin, huge weights in the last, signs do not matter
    shares = hist.update(np.array([0.0, -1e-9, 50.0, -0.3, 0.3]))
    assert shares[0] == pytest.approx(0.4) and shares[-1] == pytest.approx(0.2)
    assert shares.sum() == pytest.approx(1.0) and hist.share_near_zero == pytest.approx(0.8)
    with pytest.raises(ValueError, match="no weight matrices"):
        weight_values(bl.Sequential(bl.Tanh()))


def test_best_epoch_is_the_first_minimum_counted_from_one():
    assert best_epoch([0.5, 0.3, 0.3, 0.4]) == 2
    assert best_epoch([np.nan, 0.2, np.inf]) == 2
    assert best_epoch([]) is None and best_epoch([np.nan]) is None


def test_split_boundary_marks_train_and_test_points():
    X, y = bl.data.make_moons(30, rng=0)
    fig = new_figure(300, 300)
    view = SplitBoundary(fig.add_subplot(), X[:10], y[:10], X[10:], y[10:], resolution=20)
    view.update(bl.mlp([2, 4, 1], rng=0))
    assert len(view.points.get_offsets()) == 10 and len(view.test_points.get_offsets()) == 20
    assert [t.get_text() for t in view.legend.get_texts()] == ["training", "test"]
    x0, x1 = view.ax.get_xlim()
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max()  # the grid covers both sets


def test_plot_functions_return_figures():
    run = RegularizationRun(RegularizationConfig(epochs=20, strength=0.01))
    run.advance(20)
    fig = plot_split_losses(run.history)
    assert fig.axes[0].get_title().startswith("lowest test loss at epoch")
    fig = plot_split_boundary(run.model, run.X_train, run.y_train, run.X_test, run.y_test, "t")
    assert fig.axes[0].get_title() == "t"
    fig = plot_weight_distributions({"a": run.model, "b": bl.mlp([2, 4, 1], rng=0)})
    assert len(fig.axes) == 2 and "within 0.01 of 0" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="at least one model"):
        plot_weight_distributions({})


def test_loss_axis_holds_still_and_snaps_out_for_values_beyond_it():
    fig = new_figure(400, 300)
    curves = SplitLossCurves(fig.add_subplot())
    for data, val in (([0.7, 0.3, 0.1], [0.7, 0.5, 0.6]), ([0.6, 0.01, 3e-4], [0.7, 1.0, 2.0])):
        curves.update(SimpleNamespace(data_loss=data, val_loss=val, penalty=[]), epochs=3)
        assert curves.ax.get_ylim() == LOSS_RANGE
    curves.update(SimpleNamespace(data_loss=[1e-6], val_loss=[40.0], penalty=[]), epochs=3)
    lo, hi = curves.ax.get_ylim()
    assert lo <= 1e-6 / 1.2 and hi >= 40.0 * 1.2


def test_weight_histogram_top_snaps_to_round_shares():
    fig = new_figure(400, 300)
    hist = WeightHistogram(fig.add_subplot())
    rng = np.random.default_rng(0)
    tops = set()
    for scale in (0.2, 0.25, 0.3):
        shares = hist.update(rng.normal(0, scale, 2000))
        top = hist.ax.get_ylim()[1]
        assert top >= shares.max() * 1.12
        tops.add(top)
    assert tops <= {0.05, 0.1, 0.2, 0.25, 0.5, 1.0} and len(tops) == 1
    hist.update(np.zeros(10))  # every weight in the first bin: a share of 1
    assert hist.ax.get_ylim()[1] == pytest.approx(1.12)
