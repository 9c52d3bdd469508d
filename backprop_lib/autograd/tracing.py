"""A step-by-step account of a Value graph's forward and backward passes.

``trace(root)`` replays ``root.backward()`` one node at a time: the forward order, then the
backward order with each step's ``local x upstream = contribution`` numbers, as text a
learner can read. The step-through widget (``widgets.StepThrough``) shows these steps;
the chain-rule notebook calls ``trace`` directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .value import Value, topological_order

__all__ = ["Contribution", "Step", "Trace", "trace"]

# What each op's local derivative is, in words: d out / d child number i.
_LOCAL_RULES = {
    "+": ("1", "1"),
    "-": ("1", "-1"),
    "*": ("{1}", "{0}"),
    "/": ("1/{1}", "-{0}/{1}^2"),
    "neg": ("-1",),
    "exp": ("exp({0})",),
    "log": ("1/{0}",),
    "tanh": ("1 - tanh({0})^2",),
    "sigmoid": ("s(1 - s)",),
    "relu": ("1 if {0} > 0 else 0",),
}


@dataclass(frozen=True)
class Contribution:
    """One term of the chain rule: node.grad += local x upstream, from one use of the node.

    ``parent`` used the node; ``local`` = d parent/d node; ``upstream`` = dL/d parent.
    """

    parent: Value
    local: float
    upstream: float
    rule: str  # the local derivative in words, e.g. "1 - tanh(n)^2"

    @property
    def value(self) -> float:
        """local x upstream."""
        return self.local * self.upstream


@dataclass(frozen=True)
class Step:
    """One step of the walk: a node gets its value (forward) or its gradient (backward)."""

    phase: str  # "forward" or "backward"
    node: Value
    text: str  # one line that explains the step with its numbers
    contributions: tuple[Contribution, ...] = ()  # backward only; empty for the output


@dataclass(frozen=True)
class Trace:
    """What ``trace(root)`` returns.

    ``nodes``: topological order (inputs first). ``steps``: ``len(nodes)`` forward steps in
    that order, then ``len(nodes)`` backward steps in reverse order. ``grads``: dL/d node for
    every node (computed here, without touching any ``.grad``). ``names``: node -> the name
    used in the texts (its label, or ``n1``, ``n2``... for unlabelled results, or the number
    for an unlabelled constant).
    """

    nodes: list[Value]
    steps: list[Step]
    grads: dict[Value, float]
    names: dict[Value, str]

    @property
    def forward(self) -> list[Step]:
        return self.steps[: len(self.nodes)]

    @property
    def backward(self) -> list[Step]:
        return self.steps[len(self.nodes) :]


def _fmt(x: float) -> str:
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def trace(root: Value) -> Trace:
    """Replay the forward and backward passes of ``root``'s graph one node at a time.

    Forward step k: node k (topological order) gets its value, e.g.
    ``"h = tanh(n) = tanh(0.881) = 0.707"``. Backward step k: node k (reverse order) gets
    its gradient, the sum over its uses of ``local x upstream``, e.g.
    ``"grad of n via tanh → h: local 1 - tanh(n)^2 = 0.500 x upstream 1.000 = 0.500"``
    (a node with several uses gets a first line with the sum, then one line per use).
    The root's gradient is the seed 1. Nothing in the graph is modified.
    """
    nodes = topological_order(root)
    names: dict[Value, str] = {}
    k = 0
    for node in nodes:
        if node.label:
            names[node] = node.label
        elif not node.children:
            names[node] = f"{node.data:g}"
        else:
            k += 1
            names[node] = f"n{k}"

    users: dict[Value, list[tuple[Value, int]]] = {node: [] for node in nodes}
    for node in nodes:
        for i, child in enumerate(node.children):
            users[child].append((node, i))

    steps = [Step("forward", node, _forward_text(node, names)) for node in nodes]
    grads: dict[Value, float] = {}
    for node in reversed(nodes):
        if node is root:
            grads[node] = 1.0
            text = f"grad of {names[node]} = 1 (the seed: d{names[node]}/d{names[node]} = 1)"
            steps.append(Step("backward", node, text))
            continue
        contribs = []
        for parent, i in users[node]:
            rule = _rule(parent, i, names)
            contribs.append(Contribution(parent, parent.local_grads[i], grads[parent], rule))
        grads[node] = math.fsum(c.value for c in contribs)
        terms = [
            f"via {c.parent.op} \u2192 {names[c.parent]}: local {_local_text(c)} "
            f"\u00d7 upstream {_fmt(c.upstream)} = {_fmt(c.value)}"
            for c in contribs
        ]
        if len(contribs) == 1:
            text = f"grad of {names[node]} {terms[0]}"
        else:  # one line per use; the gradient is their sum
            text = f"grad of {names[node]} = sum over its {len(contribs)} uses = "
            text += _fmt(grads[node]) + "".join(f"\n  {t}" for t in terms)
        steps.append(Step("backward", node, text, tuple(contribs)))
    return Trace(nodes, steps, grads, names)


def _local_text(c: Contribution) -> str:
    """``"1 - tanh(n)^2 = 0.500"``; a constant rule such as ``"1"`` is shown once."""
    try:
        float(c.rule)
    except ValueError:
        return f"{c.rule} = {_fmt(c.local)}"
    return c.rule


def _rule(parent: Value, i: int, names: dict[Value, str]) -> str:
    child_names = [names[c] for c in parent.children]
    if parent.op.startswith("**"):
        return f"{parent.op[2:]}\u00b7{child_names[0]}^({parent.op[2:]}-1)"
    if parent.op.endswith("**"):
        return f"{parent.op[:-2]}^{child_names[0]}\u00b7ln {parent.op[:-2]}"
    return _LOCAL_RULES[parent.op][i].format(*child_names)


def _forward_text(node: Value, names: dict[Value, str]) -> str:
    me = names[node]
    if not node.children:
        kind = "a constant" if not node.label else "a leaf: an input or a parameter"
        return f"{me} = {_fmt(node.data)} ({kind})"
    ins = [names[c] for c in node.children]
    nums = [_fmt(c.data) for c in node.children]
    op = node.op
    if len(ins) == 2:
        formula, numbers_ = f"{ins[0]} {op} {ins[1]}", f"{nums[0]} {op} {nums[1]}"
    elif op.startswith("**"):
        formula, numbers_ = f"{ins[0]}{op}", f"{nums[0]}{op}"
    elif op.endswith("**"):
        formula, numbers_ = f"{op}{ins[0]}", f"{op}{nums[0]}"
    elif op == "neg":
        formula, numbers_ = f"-{ins[0]}", f"-({nums[0]})"
    else:
        formula, numbers_ = f"{op}({ins[0]})", f"{op}({nums[0]})"
    return f"{me} = {formula} = {numbers_} = {_fmt(node.data)}"
