"""Network diagram: one line per weight, width ~ |w|, colour = sign; biases shown."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from backprop_lib.nn.models import mlp
from backprop_lib.viz import NetworkDiagram, plot_network
from backprop_lib.viz.network import linear_layers
from backprop_lib.viz.style import NEGATIVE, POSITIVE, new_figure, to_png


def test_one_line_per_weight_in_row_major_order():
    model = mlp([2, 3, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), model)
    w = np.concatenate([model[0].W.data.ravel(), model[2].W.data.ravel()])
    widths = diagram.edges.get_linewidths()
    assert len(widths) == len(w) == 9
    assert np.argmax(widths) == np.argmax(np.abs(w))  # the widest line is the largest |w|
    colors = diagram.edges.get_colors()
    for c, value in zip(colors, w, strict=True):
        expected = to_rgba(POSITIVE if value >= 0 else NEGATIVE)
        np.testing.assert_allclose(c[:3], expected[:3])
    assert [t.get_text() for t in diagram.labels] == [f"{v:+.2f}" for v in w]


def test_update_moves_widths_colours_and_bias_labels_in_place():
    model = mlp([2, 2, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), model)
    edges = diagram.edges
    model[0].W.data[0, 0] = -10.0
    model[0].b.data[1] = 0.5
    diagram.update(model)
    assert diagram.edges is edges
    assert np.argmax(diagram.edges.get_linewidths()) == 0
    np.testing.assert_allclose(diagram.edges.get_colors()[0][:3], to_rgba(NEGATIVE)[:3])
    assert diagram.bias_labels[1].get_text() == "b +0.50"
    assert np.argmax(diagram.biases.get_sizes()) == 1


def test_activation_names_and_nested_layers():
    model = mlp([2, 4, 4, 1], activation="relu", residual=True, batch_norm=True, rng=0)
    assert len(linear_layers(model)) == 3
    fig = plot_network(model)
    assert to_png(fig).startswith(b"\x89PNG")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("ReLU") == 2


def test_values_hidden_for_big_networks_and_shape_mismatch_is_named():
    big = mlp([2, 16, 16, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), big)
    assert diagram.labels == []
    with pytest.raises(ValueError, match="layer sizes"):
        diagram.update(mlp([2, 8, 1], rng=0))
    with pytest.raises(ValueError, match="no Linear"):
        NetworkDiagram(fig.add_subplot(), mlp([2, 1], rng=0)[0:0])


def test_nan_weights_draw_grey():
    model = mlp([2, 2, 1], rng=0)
    model[0].W.data[0, 0] = np.nan
    fig = plot_network(model)
    assert to_png(fig).startswith(b"\x89PNG")
