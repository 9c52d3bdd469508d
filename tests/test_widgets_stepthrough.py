"""Tests for backprop_lib.widgets.stepthrough: driven from Python, no browser."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgba
from value_graphs import tanh_neuron

from backprop_lib import Value
from backprop_lib.autograd.value import topological_order
from backprop_lib.viz.graph import HIGHLIGHT
from backprop_lib.widgets.stepthrough import StepThrough


def highlighted_boxes(st: StepThrough) -> int:
    hot = to_rgba(HIGHLIGHT)
    return sum(
        1
        for p in st.figure.axes[0].patches
        if p.get_gid() == "value-box" and p.get_edgecolor() == pytest.approx(hot)
    )


def shown_texts(st: StepThrough) -> list[str]:
    return [t.get_text() for t in st.figure.axes[0].texts]


def test_walk_visits_every_node_once_forward_then_once_backward():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    root = (a * b + a).tanh()
    st = StepThrough(root)
    order = topological_order(root)
    visited = [(st.phase, st.current_node)]
    with st.hold():  # one picture at the end instead of one per step
        while not st.next_button.disabled:
            st.next()
            visited.append((st.phase, st.current_node))
    assert st.caption.value == st.caption_html(st.step.max)
    n = len(order)
    assert [node for phase, node in visited[:n]] == order
    assert [node for phase, node in visited[n:]] == order[::-1]
    assert [phase for phase, _ in visited] == ["forward"] * n + ["backward"] * n
    assert st.error is None


def test_buttons_move_the_step_and_change_caption_and_picture():
    before = plt.get_fignums()
    o = tanh_neuron()[0]
    st = StepThrough(o)
    assert st.step.value == 0 and st.prev_button.disabled and not st.next_button.disabled
    caption0, png0 = st.caption.value, st.image.value
    assert "Forward pass, step 1 of 10" in caption0 and "x1 = 2.000" in caption0
    st.next_button.click()
    assert st.step.value == 1 and not st.prev_button.disabled
    assert st.caption.value != caption0 and "w1 = -3.000" in st.caption.value
    assert st.image.value != png0
    st.prev_button.click()
    assert st.step.value == 0 and st.caption.value == caption0
    st.prev()  # stays at the first step
    assert st.step.value == 0
    st.step.value = st.step.max
    st.next()  # stays at the last step
    assert st.step.value == st.step.max and st.next_button.disabled
    assert plt.get_fignums() == before  # rendering registers no pyplot figure
    assert o.grad == 0.0  # stepping never touches .grad


def test_forward_steps_reveal_values_and_hide_gradients():
    st = StepThrough(tanh_neuron()[0])
    n = len(st.trace.nodes)
    for k in (0, 4, n - 1):
        st.step.value = k
        texts = shown_texts(st)
        assert texts.count("data ?") == n - (k + 1)
        assert texts.count("grad ?") == n
        assert highlighted_boxes(st) == 1
        assert st.current_node is st.trace.nodes[k]


def test_backward_steps_show_local_times_upstream_and_reveal_gradients():
    o = tanh_neuron()[0]
    st = StepThrough(o)
    n_nodes = len(st.trace.nodes)
    st.step.value = n_nodes  # the first backward step: the seed
    assert st.current_node is o and "seed" in st.caption.value
    st.next()
    node = o.children[0]
    assert st.current_node is node and st.phase == "backward"
    local = 1 - math.tanh(node.data) ** 2
    assert f"local 1 - tanh(n)^2 = {local:.3f} \u00d7 upstream 1.000 = {local:.3f}" in (
        st.caption.value
    )
    texts = shown_texts(st)
    assert texts.count("grad ?") == n_nodes - 2
    assert f"grad {local:.3f}" in texts
    assert "data ?" not in texts
    assert highlighted_boxes(st) == 1


def test_a_node_used_twice_lists_both_uses_in_the_caption():
    a = Value(3.0, "a")
    c = a * a
    c.label = "c"
    st = StepThrough(c)
    st.step.value = st.step.max
    assert st.current_node is a
    assert "sum over its 2 uses = 6.000" in st.caption.value
    assert st.caption.value.count("upstream 1.000 = 3.000") == 2


def test_play_is_linked_to_the_step_and_display_works():
    st = StepThrough(tanh_neuron()[0])
    st.play.value = 5
    assert st.step.value == 5
    assert st.play.max == st.step.max == 2 * len(st.trace.nodes) - 1
    bundle = st._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert st.widget is st.root and st.image in st.widget.children
    assert "step 6/20" in repr(st)
    st.close()


def test_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="needs a Value"):
        StepThrough(3.0)


def test_relayout_keeps_the_fixed_position_without_a_warning():
    import warnings

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    st = StepThrough((a * b).tanh())
    try:
        bounds = st.figure.axes[0].get_position().bounds  # (aspect "equal" shrinks it a little)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # constrained layout warned: no gridspec to lay out
            st.relayout()
            st.next()
        assert st.timings["path"] == "full" and st.error is None
        assert st.figure.axes[0].get_position().bounds == bounds
    finally:
        st.close()
