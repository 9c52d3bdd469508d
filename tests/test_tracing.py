"""Tests for backprop_lib.autograd.tracing: trace() replays forward and backward one node at a time,
with the numbers backward() computes."""

from __future__ import annotations

import math

import pytest
from value_graphs import tanh_neuron

from backprop_lib import Value
from backprop_lib.autograd.tracing import trace
from backprop_lib.autograd.value import topological_order


def test_trace_visits_every_node_once_forward_then_once_backward_in_valid_orders():
    a = Value(1.5, "a")
    root = (a * a + a).tanh() * Value(2.0, "c") + a.sigmoid()
    t = trace(root)
    nodes = topological_order(root)
    assert [s.node for s in t.forward] == nodes
    assert len(set(t.nodes)) == len(t.nodes) == len(nodes)
    assert [s.node for s in t.backward] == list(reversed(nodes))
    assert [s.phase for s in t.steps] == ["forward"] * len(nodes) + ["backward"] * len(nodes)
    position = {node: i for i, node in enumerate(t.nodes)}
    for node in t.nodes:  # forward: every child before its parent
        assert all(position[c] < position[node] for c in node.children)
    assert t.backward[0].node is root


def test_trace_gradients_equal_backward_and_leave_grads_untouched():
    o, leaves = tanh_neuron()
    t = trace(o)
    assert all(v.grad == 0.0 for v in t.nodes)
    o.backward()
    for node in t.nodes:
        assert t.grads[node] == pytest.approx(node.grad, abs=1e-15)
    for step in t.backward[1:]:
        total = math.fsum(c.local * c.upstream for c in step.contributions)
        assert t.grads[step.node] == pytest.approx(total)
        for c in step.contributions:
            assert c.upstream == t.grads[c.parent]


def test_trace_texts_show_local_times_upstream():
    o, (x1, x2, w1, w2, b) = tanh_neuron()
    t = trace(o)
    by_node = {s.node: s for s in t.backward}
    assert "seed" in by_node[o].text
    n = o.children[0]
    local = 1 - math.tanh(n.data) ** 2
    assert f"local 1 - tanh(n)^2 = {local:.3f} \u00d7 upstream 1.000 = {local:.3f}" in (
        by_node[n].text
    )
    assert f"local w1 = {w1.data:.3f}" in by_node[x1].text
    fwd = {s.node: s for s in t.forward}
    assert fwd[o].text == f"o = tanh(n) = tanh({n.data:.3f}) = {o.data:.3f}"
    assert fwd[x1].text.startswith("x1 = 2.000")


def test_trace_of_a_node_used_twice_lists_both_uses_and_their_sum():
    a = Value(3.0, "a")
    c = a * a
    c.label = "c"
    step = trace(c).backward[-1]
    assert step.node is a
    assert len(step.contributions) == 2
    first, *uses = step.text.splitlines()
    assert first == "grad of a = sum over its 2 uses = 6.000"
    assert len(uses) == 2
    assert all("local a = 3.000 \u00d7 upstream 1.000 = 3.000" in line for line in uses)
