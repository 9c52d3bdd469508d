"""Gradient-health panels and per-layer histograms, from a real training History."""

import numpy as np
import pytest

from backprop_lib.nn.losses import BCEWithLogitsLoss
from backprop_lib.nn.models import mlp
from backprop_lib.optim.optimizers import SGD
from backprop_lib.training import History, Trainer
from backprop_lib.viz import (
    GradientHealth,
    plot_activation_histograms,
    plot_gradient_health,
    plot_weight_histograms,
)
from backprop_lib.viz.histograms import layer_activations
from backprop_lib.viz.style import new_figure, to_png


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)[:, None]
    model = mlp([2, 8, 8, 8, 1], activation="tanh", rng=0)
    trainer = Trainer(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y, rng=0)
    for _ in range(6):
        trainer.run_epoch()
    return model, X, trainer.history


def test_one_line_per_layer_holding_its_series(trained):
    _, _, h = trained
    fig = new_figure(900, 300)
    health = GradientHealth(fig.subplots(1, 3))
    health.update(h)
    assert list(health.lines[0]) == ["0.W", "2.W", "4.W", "6.W"]
    np.testing.assert_allclose(health.lines[0]["2.W"].get_data()[1], h.grad_norms["2.W"])
    np.testing.assert_allclose(health.lines[1]["6.W"].get_data()[1], h.update_ratios["6.W"])
    np.testing.assert_allclose(health.lines[2]["1.Tanh"].get_data()[1],
                               100 * np.asarray(h.saturation["1.Tanh"]))  # fmt: skip
    lo, hi = health.axes[0].get_ylim()
    values = np.concatenate([h.grad_norms[k] for k in h.grad_norms])
    assert lo <= values.min() and hi >= values.max()


def test_lines_are_rebuilt_only_when_the_layers_change(trained):
    _, _, h = trained
    fig = new_figure(900, 300)
    health = GradientHealth(fig.subplots(1, 3))
    health.update(h)
    line = health.lines[0]["0.W"]
    health.update(h)
    assert health.lines[0]["0.W"] is line  # same artist, moved in place
    shallow = History(
        loss=[1.0],
        grad_norms={"0.W": [0.1], "2.W": [0.2]},
        update_ratios={"0.W": [1e-3], "2.W": [2e-3]},
        saturation={"1.Tanh": [0.1]},
    )
    health.update(shallow)  # fmt: skip
    assert list(health.lines[0]) == ["0.W", "2.W"]
    assert len(health.axes[0].get_lines()) == 2


def test_nan_epochs_are_skipped_not_plotted(trained):
    h = History(loss=[1.0, 2.0], grad_norms={"0.W": [0.5, np.nan]},
                update_ratios={"0.W": [1e-3, np.nan]}, saturation={})  # fmt: skip
    fig = plot_gradient_health(h)
    line = fig.axes[0].get_lines()[0]
    assert len(line.get_data()[0]) == 1
    assert to_png(fig).startswith(b"\x89PNG")


def test_needs_three_axes():
    fig = new_figure(300, 200)
    with pytest.raises(ValueError, match="3 axes"):
        GradientHealth(fig.subplots(1, 2))


def test_histograms_one_panel_per_layer(trained):
    model, X, _ = trained
    fig = plot_weight_histograms(model)
    assert len(fig.axes) == 4
    assert "0.W" in fig.axes[0].get_title()
    acts = layer_activations(model, X)
    assert [name for name, _ in acts] == ["1.Tanh", "3.Tanh", "5.Tanh"]
    assert all(a.shape == (len(X), 8) for _, a in acts)
    fig = plot_activation_histograms(model, X)
    assert len(fig.axes) == 3
    std = acts[0][1].std()
    assert f"std {std:.2f}" in fig.axes[0].get_title()
    assert model.training  # mode restored


def test_a_new_depth_reuses_the_lines_recoloured_for_their_layers(trained):
    """Fewer layers: surplus lines leave the axes; more again: the same lines come back, each
    in its new layer's colour and in layer order (no line created anew)."""
    from matplotlib.colors import same_color

    from backprop_lib.viz.style import layer_colors

    _, _, h = trained
    fig = new_figure(900, 300)
    health = GradientHealth(fig.subplots(1, 3))
    health.update(h)
    deep = [list(panel.values()) for panel in health.lines]
    shallow = History(loss=[1.0], grad_norms={"0.W": [0.1], "2.W": [0.2]},
                      update_ratios={"0.W": [1e-3], "2.W": [2e-3]},
                      saturation={"1.Tanh": [0.1]})  # fmt: skip
    health.update(shallow)
    assert health.axes[0].get_lines() == deep[0][:2]
    assert same_color(deep[0][1].get_color(), layer_colors(2)[1])
    health.update(h)
    for k, panel in enumerate(health.lines):
        assert list(panel.values()) == deep[k]
        assert [ln for ln in health.axes[k].get_lines() if ln is not health.guide] == deep[k]
        colors = layer_colors(len(panel))
        assert all(
            same_color(ln.get_color(), c) for ln, c in zip(panel.values(), colors, strict=True)
        )
