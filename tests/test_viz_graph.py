"""Tests for backprop_lib.viz.graph: the layout and the drawing of a Value's graph."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from value_graphs import tanh_neuron

from backprop_lib import Value, ValueMLP
from backprop_lib.autograd.tracing import trace
from backprop_lib.autograd.value import topological_order
from backprop_lib.viz.graph import (
    HIGHLIGHT,
    draw_graph,
    graph_figsize,
    graph_layout,
    plot_graph,
)
from backprop_lib.viz.style import to_png


def neuron() -> Value:
    """The tanh neuron, backpropagated (its drawing shows gradients)."""
    return tanh_neuron(backward=True)[0]


def network_221():
    (y,) = ValueMLP([2, 2, 1], rng=0)([1.0, -2.0])
    y.backward()
    return y


def boxes(fig: Figure):
    return [p for p in fig.axes[0].patches if p.get_gid() == "value-box"]


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("build", [neuron, network_221], ids=["neuron", "2-2-1"])
def test_drawing_has_one_box_per_node_and_fits_a_notebook_column(build):
    root = build()
    before = plt.get_fignums()
    fig = draw_graph(root)
    assert plt.get_fignums() == before  # built without pyplot: nothing registered
    assert isinstance(fig, Figure)
    assert len(boxes(fig)) == len(topological_order(root))
    width, height = fig.get_size_inches()
    assert width <= 9.5  # ~900 px at dpi 100, so 9.5 pt text is not scaled down
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 9
    assert (width, height) == pytest.approx(graph_figsize(root))
    png = to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    renderer = FigureCanvasAgg(fig).get_renderer()
    frame = fig.bbox
    for t in fig.axes[0].texts:  # no text is cut off at the figure's edge
        box = t.get_window_extent(renderer)
        assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1
        assert frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1


def test_neuron_boxes_show_label_data_and_grad():
    o = neuron()
    shown = texts(draw_graph(o))
    n = o.children[0]
    for label in ("x1", "w1", "x2", "w2", "b", "n", "o"):
        assert label in shown
    assert f"data {o.data:.3f}" in shown and "grad 1.000" in shown
    assert f"grad {n.grad:.3f}" in shown
    assert "tanh" in shown and "\u00d7" in shown  # op badges


def test_network_is_drawn_compact_with_a_key_and_the_full_form_can_be_forced():
    y = network_221()
    compact = texts(draw_graph(y))
    assert "grad" in compact and f"{y.data:.3f}" in compact  # key word; bare numbers
    assert not any(t.startswith("data ") for t in compact)
    full = draw_graph(y, compact=False)
    assert f"data {y.data:.3f}" in texts(full)
    assert full.get_size_inches()[0] > draw_graph(y).get_size_inches()[0]


def test_figure_grows_with_the_graph():
    small = draw_graph(Value(1.0, "a") * Value(2.0, "b"))
    big = draw_graph(neuron())
    assert small.get_size_inches()[0] < big.get_size_inches()[0]
    assert small.get_size_inches()[1] < big.get_size_inches()[1]


def test_highlight_and_hidden_values():
    o = neuron()
    n = o.children[0]
    fig = draw_graph(o, highlight=n, show_grad=False, show_data={n})
    by_edge = [b for b in boxes(fig) if b.get_edgecolor() == pytest.approx(to_rgba(HIGHLIGHT))]
    assert len(by_edge) == 1
    shown = texts(fig)
    assert shown.count("grad ?") == len(boxes(fig))
    assert shown.count("data ?") == len(boxes(fig)) - 1
    assert f"data {n.data:.3f}" in shown


def test_highlighted_edges_are_drawn_in_the_highlight_colour():
    o = neuron()
    n = o.children[0]
    plain = draw_graph(o)
    hot = draw_graph(o, highlight_edges=[(n, o)])

    def n_hot(fig):
        return sum(
            1
            for p in fig.axes[0].patches
            if p.get_gid() != "value-box" and p.get_edgecolor() == pytest.approx(to_rgba(HIGHLIGHT))
        )

    assert n_hot(plain) == 0
    assert n_hot(hot) == 2  # n -> the tanh badge, and the badge -> o


def test_grads_and_names_from_a_trace():
    a = Value(3.0)
    c = a * a
    t = trace(c)  # c.grad, a.grad stay 0.0; the trace has the gradients
    shown = texts(draw_graph(c, grads=t.grads, names=t.names))
    assert "grad 6.000" in shown and "n1" in shown


def test_drawing_into_a_given_axes_returns_its_figure():
    fig = Figure(figsize=graph_figsize(neuron()))
    ax = fig.add_subplot()
    assert draw_graph(neuron(), ax=ax) is fig
    assert plot_graph is draw_graph


def test_too_big_a_graph_is_refused_with_the_fix():
    x = Value(1.0)
    for _ in range(100):
        x = x * 1.0
    with pytest.raises(ValueError, match="smaller expression"):
        draw_graph(x)


def test_a_node_used_twice_by_one_op_gets_two_arrows():
    a = Value(3.0, "a")
    two = draw_graph(a * a, compact=False)
    assert len(boxes(two)) == 2
    arrows = [p for p in two.axes[0].patches if p.get_gid() != "value-box"]
    # two input arrows, one badge-to-box arrow and the badge itself
    assert len(arrows) == 4


# ---- layout --------------------------------------------------------------------------------

OPS = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a * a + b,
    lambda a, b: (a + b).tanh(),
    lambda a, b: a.sigmoid(),
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 50), st.integers(0, 50)), max_size=8))
def test_layout_keeps_boxes_apart_and_inputs_left_of_their_ops(program):
    pool = [Value(0.5, "a"), Value(-1.0, "b"), Value(2.0, "c")]
    for op, i, j in program:  # a random DAG that reuses earlier results
        pool.append(OPS[op](pool[i % len(pool)], pool[j % len(pool)]))
    root = pool[-1] + pool[0]
    layout = graph_layout(root)
    nodes = topological_order(root)
    assert set(layout.nodes) == set(nodes)
    for node in nodes:
        for child in node.children:
            assert layout.col[child] < layout.col[node]
        chains = [w for (c, p, _), ws in layout.waypoints.items() if p is node for w in ws]
        assert len(chains) == sum(layout.col[node] - layout.col[c] - 1 for c in node.children)
    items = list(layout.row)
    for c in range(layout.n_cols):
        rows = sorted(layout.row[x] for x in items if layout.col[x] == c)
        assert all(b - a >= 1 - 1e-9 for a, b in zip(rows, rows[1:], strict=False))
    assert layout.col[root] == layout.n_cols - 1
    assert min(layout.row.values()) == 0
