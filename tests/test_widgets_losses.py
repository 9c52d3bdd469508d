"""LossComparison driven from Python: each slider re-trains both runs and moves every panel."""

import numpy as np
import pytest
from matplotlib.colors import same_color

from backprop_lib.instruments.neuron import LOSSES, NeuronRun, neuron_loss, train_neuron
from backprop_lib.viz.losses import LOSS_COLORS, plot_losses_vs_probability
from backprop_lib.viz.style import to_png
from backprop_lib.widgets import DOM_CLASSES
from backprop_lib.widgets.losses import LossComparison, speed_summary


@pytest.fixture(scope="module")
def dash():
    d = LossComparison(epochs=200)
    yield d
    d.close()


def test_defaults_state_the_race_the_notebook_describes(dash):
    dash.config = {"w0": -6.0, "lr": 1.0}
    ce, mse = dash.runs["cross_entropy"], dash.runs["mse"]
    assert ce.learned_epoch < 10 < 100 < mse.learned_epoch < 200
    assert dash.status.value == speed_summary(dash.runs)
    assert f"{mse.learned_epoch / ce.learned_epoch:.0f}× as many" in dash.status.value
    assert dash.error is None


def test_sliders_retrain_both_runs_and_redraw(dash):
    before = dash.image.value
    dash.config = {"w0": -4.0, "lr": 0.5}
    for loss in LOSSES:
        expected = train_neuron(loss, -4.0, 0.5, 200, dash.X, dash.y)
        run = dash.runs[loss]
        np.testing.assert_allclose(run.weights, expected.weights)
        t, curve = dash.plot.lines[loss].get_data()
        np.testing.assert_allclose(curve, expected.losses)
        np.testing.assert_allclose(dash.plot.grad_lines[loss].get_data()[1], np.abs(run.grads))
        w, heights = dash.plot.paths[loss].get_data()
        np.testing.assert_allclose(w, run.weights)
        np.testing.assert_allclose(heights, neuron_loss(loss, run.weights, dash.X, dash.y))
        assert dash.plot.starts[loss].get_data()[0][0] == -4.0
        line = dash.plot.learned[loss, dash.plot.ax_loss]
        assert line.get_xdata()[0] == run.learned_epoch
        assert same_color(dash.plot.lines[loss].get_color(), LOSS_COLORS[loss])
    assert dash.image.value != before
    assert dash.image.value == to_png(dash.figure)


def test_mse_gradient_is_smaller_at_a_confident_wrong_start(dash):
    dash.config = {"w0": -8.0, "lr": 1.0}
    g_mse = dash.plot.grad_lines["mse"].get_data()[1][0]
    g_ce = dash.plot.grad_lines["cross_entropy"].get_data()[1][0]
    assert g_mse < g_ce / 100


@pytest.mark.parametrize("w0", [-10.0, 0.0, 10.0])
@pytest.mark.parametrize("lr", [0.01, 10.0])
def test_every_extreme_draws_without_error(dash, w0, lr, tmp_path):
    dash.config = {"w0": w0, "lr": lr}
    assert dash.error is None, dash.last_traceback
    assert dash.status.value == speed_summary(dash.runs).replace(">", "&gt;")
    for ax in (dash.plot.ax_loss, dash.plot.ax_grad):
        lo, hi = ax.get_ylim()
        assert 0 < lo < hi and np.isfinite(hi)
    dash.figure.savefig(tmp_path / f"losses_{w0}_{lr}.png")


def test_status_on_the_right_side_and_when_too_slow(dash):
    dash.config = {"w0": 3.0, "lr": 1.0}
    assert "nothing to unlearn" in dash.status.value
    dash.config = {"w0": -10.0, "lr": 0.01}
    assert "MSE not within 200 epochs" in dash.status.value
    assert "×" not in dash.status.value  # no ratio without two finishing runs


def test_a_diverged_run_is_shown_not_raised():
    d = LossComparison(lr=1e12, lr_range=(1.0, 1e13), epochs=20)
    assert d.error is None
    assert d.runs["cross_entropy"].diverged
    assert "diverged: cross-entropy" in d.status.value
    d.close()


def test_dom_contract_and_main_control(dash):
    assert DOM_CLASSES["root"] in dash.root._dom_classes
    assert DOM_CLASSES["main"] in dash.lr._dom_classes  # positive: its readout parses back
    assert DOM_CLASSES["main"] not in dash.w0._dom_classes
    assert not dash.w0.continuous_update and not dash.lr.continuous_update
    assert dash.image in dash.root.children and dash.status in dash.root.children


def test_speed_summary_wording():
    def run(epoch, n=50):
        acc = np.zeros(n + 1)
        if epoch is not None:
            acc[epoch:] = 1.0
        return NeuronRun("x", 1.0, np.zeros(n + 1), np.ones(n), np.ones(n), acc, False)

    text = speed_summary({"cross_entropy": run(1), "mse": run(30)})
    assert text == "most points right after: cross-entropy 1 epoch, MSE 30 epochs (30× as many)"
    assert "not within 50 epochs" in speed_summary({"cross_entropy": run(None), "mse": run(2)})
    assert "nothing to unlearn" in speed_summary({"cross_entropy": run(0), "mse": run(0)})


@pytest.mark.parametrize(
    "kwargs",
    [{"w0": 11.0}, {"w_range": (1.0, 5.0), "w0": 2.0}, {"lr": 20.0}, {"lr_range": (0.0, 1.0)},
     {"epochs": 0}],
)  # fmt: skip
def test_bad_arguments_are_clear_errors(kwargs):
    with pytest.raises(ValueError):
        LossComparison(**kwargs)


def test_a_starting_weight_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="w0"):
        LossComparison(w0="-6")


def test_intuition_figure(tmp_path):
    fig = plot_losses_vs_probability()
    mse, ce = fig.axes[0].get_lines()
    p, sq = mse.get_data()
    np.testing.assert_allclose(sq, (1 - p) ** 2)
    np.testing.assert_allclose(ce.get_data()[1], -np.log(p))
    fig.savefig(tmp_path / "intuition.png")


def test_slider_moves_redraw_only_the_curves_and_paths():
    """Moving either slider keeps every panel's limits still: the update is a blit that
    redraws lines only, with nothing learned and no axes drawn whole."""
    d = LossComparison(epochs=200)
    for w0, lr in [(-6.0, 0.04), (-6.0, 0.16), (-6.0, 0.63), (-6.0, 2.5), (-2.0, 2.5), (-9.0, 1.0)]:
        d.config = {"w0": w0, "lr": lr}
        assert d.timings["path"] == "blit", d.redraw_reason
    assert d._blitter.learned == []
    assert not d._blitter.background.moving_axes
    d.close()


def test_curve_panels_hold_the_landscape_windows():
    d = LossComparison(epochs=200)
    for ax, window in ((d.plot.ax_loss, d.plot.loss_window), (d.plot.ax_grad, d.plot.grad_window)):
        lo, hi = ax.get_ylim()
        assert lo <= window[0] and hi >= window[1]
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y) & (y > 0)]
            assert not len(y) or (lo <= y.min() and y.max() <= hi)  # nothing out of view
    d.close()
