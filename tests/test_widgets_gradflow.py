"""GradientFlowExplorer driven from Python: each control changes the network it should."""

import numpy as np
import pytest

from backprop_lib.nn.layers import BatchNorm1d, Linear, Residual
from backprop_lib.widgets import GradientFlowExplorer

SMALL = {"n": 60, "epochs": 8}


@pytest.fixture(scope="module")
def dash():
    d = GradientFlowExplorer(depth=3, width=8, config=SMALL)
    yield d
    d.close()


def _linears(model):
    return [m for m in model.modules() if isinstance(m, Linear)]


def test_depth_sets_the_number_of_hidden_layers(dash):
    dash.depth.value = 5
    assert len(_linears(dash.model)) == 6  # 5 hidden + output
    assert len(dash.history.grad_norms) == 6
    assert len(dash.health.lines[0]) == 6  # one line per layer in the gradient-norm panel
    first = dash.health.lines[0]["0.W"]
    np.testing.assert_allclose(first.get_data()[1], dash.history.grad_norms["0.W"])
    dash.depth.value = 2
    assert len(_linears(dash.model)) == 3
    assert len(dash.health.lines[0]) == 3
    assert dash.error is None


def test_activation_and_init_reach_the_model(dash):
    dash.activation.value = "relu"
    assert any(type(m).__name__ == "ReLU" for m in dash.model.modules())
    assert all(k.endswith("ReLU") for k in dash.history.saturation)
    dash.init.value = "small"
    w = _linears(dash.run.model)[0]
    assert dash.run.config.init == "small"
    # init N(0, 0.01^2): the first snapshot's weights are tiny
    n_w = w.in_features * w.out_features
    assert np.abs(dash.run.snapshots[0][:n_w]).max() < 0.1
    dash.init.value = "auto"


def test_batch_norm_and_residual_switches(dash):
    dash.batch_norm.value = True
    assert any(isinstance(m, BatchNorm1d) for m in dash.model.modules())
    dash.residual.value = True
    assert any(isinstance(m, Residual) for m in dash.model.modules())
    dash.config = {"batch_norm": False, "residual": False}
    assert not any(isinstance(m, (BatchNorm1d, Residual)) for m in dash.model.modules())
    assert dash.error is None


def test_status_reports_the_first_to_last_gradient_ratio(dash):
    dash.depth.value = 4
    h = dash.history
    names = list(h.grad_norms)
    ratio = h.grad_norms[names[0]][-1] / h.grad_norms[names[-1]][-1]
    assert f"{ratio:.2g}" in dash.status.value


def test_play_step_reset(dash):
    dash.reset()
    assert dash.history.loss == []
    dash.step()
    assert len(dash.history.loss) == 1
    assert all(len(v) == 1 for v in dash.history.grad_norms.values())
    dash.play.value = dash.play.max
    assert len(dash.history.loss) == SMALL["epochs"]


def test_config_round_trip(dash):
    dash.config = {"depth": 3, "activation": "tanh", "init": "xavier"}
    saved = dash.config
    loss = list(dash.history.loss)
    dash.config = {"depth": 6, "activation": "sigmoid"}
    dash.config = saved
    assert dash.config == saved
    assert dash.history.loss == loss


def test_depth_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="depth"):
        GradientFlowExplorer(depth=0)


def test_status_gives_the_gradients_size_and_says_when_the_loss_is_at_chance():
    d = GradientFlowExplorer(depth=6, activation="sigmoid", config={"epochs": 60})
    h = d.history
    first, last = h.grad_norms["0.W"][-1], h.grad_norms[list(h.grad_norms)[-1]][-1]
    status = d.status.value
    assert f"first layer {first:.2g}, last layer {last:.2g}" in status
    assert f"first / last = {first / last:.2g}" in status
    assert "ln 2" in status and "not learning" in status  # 0.095 alone would read healthy
    d.activation.value = "relu"
    assert "ln 2" not in d.status.value and "first layer" in d.status.value
    d.close()


def test_layer_key_replaces_the_legend_at_every_depth():
    d = GradientFlowExplorer(depth=2, config=SMALL)
    for depth in (2, 12):
        d.depth.value = depth
        key = d.health.key
        assert d.health.axes[0].get_legend() is None  # nothing covers the lines
        assert key.ax.get_ylabel() == "layer (1 = next to the input)"
        # the layer numbers are texts beside the bar (its own ticks would move its axes)
        shown = [t.get_text() for t in d.health.key_labels if t.get_visible()]
        assert shown[-1] == str(depth + 1)
        assert shown == ["1", str((depth + 2) // 2), str(depth + 1)]
    d.close()


def test_depth_moves_redraw_only_lines_and_the_key():
    """The main control (depth) changes the number of layers: the update is still a blit
    that redraws the lines and the key's image, tick marks and numbers, with nothing learned
    and no axes drawn whole, and the panels' limits hold still."""
    d = GradientFlowExplorer(config={"epochs": 30})
    limits = [ax.get_ylim() for ax in d.figure.axes]
    for depth in (3, 5, 8, 10, 12, 3):
        d.depth.value = depth
        assert d.timings["path"] == "blit", d.redraw_reason
        assert [ax.get_ylim() for ax in d.figure.axes] == limits
    assert d._blitter.learned == []
    assert not d._blitter.background.moving_axes
    d.close()


def test_batch_norm_and_residual_runs_stay_inside_the_windows_and_others_widen_them():
    d = GradientFlowExplorer(depth=12, batch_norm=True, residual=True)
    for depth in (3, 8, 12):
        d.depth.value = depth
        assert d.timings["path"] == "blit", d.redraw_reason
    assert d._blitter.learned == []
    d.config = {"activation": "relu", "init": "normal", "depth": 6}  # exploding: far above
    for k, ax in enumerate(d.health.axes[:2]):
        lo, hi = ax.get_ylim()
        for line in d.health.lines[k].values():
            y = line.get_ydata()
            assert not len(y) or (lo <= y.min() and y.max() <= hi)
    d.close()


def test_reset_and_play_redraw_only_lines():
    """Reset (no epoch yet) keeps the panels and their lines; each Play step then moves only
    the lines: every update a blit, nothing learned, no axes drawn whole."""
    d = GradientFlowExplorer(config={"epochs": 30})
    limits = [ax.get_ylim() for ax in d.figure.axes]
    d.reset()
    assert d.timings["path"] == "blit", d.redraw_reason
    assert [ax.get_ylim() for ax in d.figure.axes] == limits
    for _ in range(12):
        d.step()
        assert d.timings["path"] == "blit", d.redraw_reason
    assert d._blitter.learned == []
    assert not d._blitter.background.moving_axes
    d.close()
