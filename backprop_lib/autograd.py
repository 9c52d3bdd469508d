"""Value: a scalar reverse-mode autodiff, small enough to read in one sitting.

Used by the chain-rule notebook. Each ``Value`` holds one number (``.data``), the gradient
of the final output with respect to it (``.grad``), the operation that produced it (``.op``)
and its inputs (``.children``). Each operation builds its output, writes its *local*
derivatives in one visible line, and attaches a tiny ``_backward`` closure that ADDS
``local x upstream`` into each input's ``.grad`` (the chain rule). ``backward()`` is a
topological sort and one reverse loop over it. The design follows micrograd's ``engine.py``.

Also here:

- ``trace(root)``: the forward order and the backward order of a graph, with each backward
  step's ``local x upstream = contribution`` numbers (what the step-through widget shows);
- ``Neuron``, ``ValueMLP`` and ``value_mlp_from_layers``: a tiny MLP made of Values, and a
  one-call copy of a ``Sequential`` of ``Linear``/activation layers into one, so a notebook
  can show that both give the same gradients.

Drawing lives in ``backprop_lib.viz.graph``; the step-through widget in
``backprop_lib.widgets.stepthrough``.
"""

from __future__ import annotations

import gc
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Contribution",
    "Neuron",
    "Step",
    "Trace",
    "Value",
    "ValueMLP",
    "paused_gc",
    "topological_order",
    "trace",
    "value_mlp_from_layers",
]


def _no_backward() -> None:
    """A leaf has no inputs, so there is nothing to pass its gradient on to."""


class Value:
    """One number in a computation graph, with the gradient backpropagation gives it.

    ``out = f(a, b)`` records ``a`` and ``b`` as ``out.children`` and the local derivatives
    d out/d a, d out/d b; ``out.backward()`` then fills every ``.grad`` with dout/d(node).

    Parameters
    ----------
    data : int or float
        The number (stored as a Python float). NaN is refused; +-inf is allowed.
    label : str
        A name shown in drawings and step-through captions, e.g. ``"x1"`` or ``"w1"``.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        d(output)/d(this node) after ``output.backward()``; 0.0 before.
    op : str
        The operation that made this node: ``"+"``, ``"-"``, ``"*"``, ``"/"``, ``"**2"``,
        ``"neg"``, ``"exp"``, ``"log"``, ``"tanh"``, ``"sigmoid"``, ``"relu"``; ``""`` for a
        leaf (an input, a weight or a constant).
    children : tuple[Value, ...]
        The inputs of ``op`` in order (a node used twice, as in ``a * a``, appears twice).

    Values compare and hash by identity (as in micrograd), so they can be dict keys.
    """

    __slots__ = ("data", "grad", "label", "op", "_prev", "_local_grads", "_backward")

    def __init__(
        self,
        data: float,
        label: str = "",
        *,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        _local_grads: tuple[float, ...] = (),
    ):
        if isinstance(data, Value):
            raise TypeError(
                f"Value(...) got a Value ({data!r}); it is already a node, use it directly"
            )
        if not isinstance(data, numbers.Real):
            raise TypeError(_not_a_number(data, "Value(data)"))
        data = float(data)
        if math.isnan(data):
            if _op:
                inputs = ", ".join(f"{c.data:g}" for c in _children)
                raise ValueError(f"{_op} of ({inputs}) produced NaN; check the inputs of this op")
            raise ValueError("Value got NaN data; a Value must hold a number (check its source)")
        self.data = data
        self.grad = 0.0
        self.label = str(label)
        self.op = _op
        self._prev = _children
        self._local_grads = _local_grads
        self._backward: Callable[[], None] = _no_backward

    @property
    def children(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this node (empty for a leaf)."""
        return self._prev

    # ---- building blocks --------------------------------------------------------------

    def _make(self, data: float, op: str, children: tuple[Value, ...], local_grads) -> Value:
        """Build ``out = op(children)`` and attach the chain rule as its ``_backward``."""
        out = Value(data, _children=children, _op=op, _local_grads=tuple(local_grads))

        def _backward() -> None:
            for child, local in zip(children, out._local_grads, strict=True):
                child.grad += local * out.grad  # chain rule: local x upstream, ADDED

        out._backward = _backward
        return out

    # ---- binary operations (the other operand may be an int or a float) ----------------

    def __add__(self, other) -> Value:
        other = _as_value(other, "+")
        # d(a+b)/da = 1, d(a+b)/db = 1
        return self._make(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __sub__(self, other) -> Value:
        other = _as_value(other, "-")
        # d(a-b)/da = 1, d(a-b)/db = -1
        return self._make(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __mul__(self, other) -> Value:
        other = _as_value(other, "*")
        # d(a*b)/da = b, d(a*b)/db = a
        return self._make(self.data * other.data, "*", (self, other), (other.data, self.data))

    def __truediv__(self, other) -> Value:
        other = _as_value(other, "/")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(
                f"division by a Value equal to 0 ({_name(other)}); add a small epsilon or "
                "check where the 0 came from"
            )
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        return self._make(a / b, "/", (self, other), (1.0 / b, -a / (b * b)))

    def __pow__(self, n) -> Value:
        if isinstance(n, Value) or not isinstance(n, numbers.Real) or isinstance(n, bool):
            raise TypeError(
                f"Value ** {type(n).__name__}: the exponent must be a constant int or float; "
                "for a Value exponent y write (y * x.log()).exp()"
            )
        x, n = self.data, float(n)
        if x < 0 and not n.is_integer():
            raise ValueError(f"{x:g} ** {n:g} is not a real number; use a positive base")
        if x == 0 and n < 1 and n != 0:
            raise ValueError(f"the derivative of x**{n:g} at x = 0 is infinite; avoid x = 0")
        # d(x^n)/dx = n x^(n-1)
        local = n * x ** (n - 1) if n != 0 else 0.0
        return self._make(x**n, f"**{n:g}", (self,), (local,))

    def __rpow__(self, base) -> Value:
        if not isinstance(base, numbers.Real) or isinstance(base, bool) or base <= 0:
            raise TypeError(f"base ** Value needs a positive int or float base, got {base!r}")
        out = float(base) ** self.data
        # d(c^x)/dx = c^x ln c
        return self._make(out, f"{base:g}**", (self,), (out * math.log(base),))

    def __neg__(self) -> Value:
        # d(-x)/dx = -1
        return self._make(-self.data, "neg", (self,), (-1.0,))

    def __radd__(self, other) -> Value:  # other + self
        return _as_value(other, "+") + self

    def __rsub__(self, other) -> Value:  # other - self
        return _as_value(other, "-") - self

    def __rmul__(self, other) -> Value:  # other * self
        return _as_value(other, "*") * self

    def __rtruediv__(self, other) -> Value:  # other / self
        return _as_value(other, "/") / self

    # ---- functions of one Value ---------------------------------------------------------

    def exp(self) -> Value:
        """exp(x); local derivative exp(x). Overflow gives inf (as numpy does)."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = math.inf
        # d exp(x)/dx = exp(x)
        return self._make(e, "exp", (self,), (e,))

    def log(self) -> Value:
        """Natural log, x > 0; local derivative 1/x."""
        x = self.data
        if x <= 0:
            raise ValueError(
                f"log needs a positive number, got log({x:g}) at {_name(self)}; "
                "clip or shift the input first, e.g. (x + 1e-12).log() for x >= 0"
            )
        # d log(x)/dx = 1/x
        return self._make(math.log(x), "log", (self,), (1.0 / x,))

    def tanh(self) -> Value:
        """tanh(x), in (-1, 1); local derivative 1 - tanh(x)^2."""
        t = math.tanh(self.data)
        # d tanh(x)/dx = 1 - tanh(x)^2
        return self._make(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """sigma(x) = 1 / (1 + exp(-x)); local derivative s (1 - s).

        Computed with e = exp(-|x|) (never overflows): 1 / (1 + e) for x >= 0, e / (1 + e)
        for x < 0, accurate far into the negative tail (sigma(-40) = 4.2e-18).
        """
        x = self.data
        e = math.exp(-abs(x))
        s = (1.0 if x >= 0 else e) / (1.0 + e)
        # d sigma(x)/dx = sigma(x) (1 - sigma(x))
        return self._make(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """max(x, 0); local derivative 1 if x > 0 else 0 (0 at the kink, as in torch)."""
        x = self.data
        # d relu(x)/dx = 1 if x > 0 else 0
        return self._make(max(x, 0.0), "relu", (self,), (1.0 if x > 0 else 0.0,))

    # ---- backpropagation ----------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Seeds ``self.grad`` with ``grad`` (1.0: dL/dL = 1), then visits the nodes in reverse
        topological order, each one adding ``local x upstream`` into its children's grads.

        Calling it twice: the gradients of *leaves* (inputs and weights) ACCUMULATE, as
        ``tensor.grad`` does in torch, so two calls give twice the gradient. Call
        ``zero_grad()`` between training steps. Intermediate nodes are reset at the start of
        each call, so they show the gradient of the latest call (torch keeps none for them).

        The garbage collector is paused meanwhile (see ``paused_gc``). For a big graph most of
        the collector's cost is in *building* it, so wrap the forward pass too:
        ``with paused_gc(): loss = ...; loss.backward()``.
        """
        with paused_gc():
            order = topological_order(self)
            for node in order:
                if node._prev:
                    node.grad = 0.0
            self.grad += float(grad)
            for node in reversed(order):
                node._backward()

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on this node and on every node reachable from it."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label}{op})"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's garbage collector inside a ``with`` block (restored even on error).

    Building a graph of 10^5 Values allocates 10^5 objects that all stay alive; the collector
    keeps scanning them and finds nothing to free. Measured on a 2-16-16-1 ``ValueMLP`` over
    200 points (130k nodes, a busy 2-core machine, best of 3): building the loss took 3.7 s
    with the collector on and 0.6 s inside ``with paused_gc():``; ``backward()`` itself took
    0.50 s and 0.47 s (it allocates little). ``backward()`` pauses it anyway.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _not_a_number(obj, where: str) -> str:
    kind = type(obj).__name__
    if hasattr(obj, "shape") or isinstance(obj, (list, tuple)):
        fix = "a Value holds one number: use one Value per element, [Value(float(v)) for v in x]"
    else:
        fix = "convert it first, e.g. Value(float(x))"
    return f"{where} needs an int, a float or a Value, got {kind}; {fix}"


def _as_value(other, op: str) -> Value:
    """Wrap an int/float as a constant leaf; refuse anything else with a clear message."""
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        return Value(other)
    raise TypeError(_not_a_number(other, f"Value {op} {type(other).__name__}:"))


def _name(node: Value) -> str:
    return f"'{node.label}'" if node.label else "an unlabelled node"


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its children; ``root`` comes last.

    Depth-first, children left to right (the order Python evaluated them), without
    recursion so deep graphs do not hit Python's recursion limit. Each node appears once.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node._prev) if c not in visited)
    return order


# ---- a step-by-step account of forward and backward (for the step-through widget) ------

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
        elif not node._prev:
            names[node] = f"{node.data:g}"
        else:
            k += 1
            names[node] = f"n{k}"

    users: dict[Value, list[tuple[Value, int]]] = {node: [] for node in nodes}
    for node in nodes:
        for i, child in enumerate(node._prev):
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
            contribs.append(Contribution(parent, parent._local_grads[i], grads[parent], rule))
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
    child_names = [names[c] for c in parent._prev]
    if parent.op.startswith("**"):
        return f"{parent.op[2:]}\u00b7{child_names[0]}^({parent.op[2:]}-1)"
    if parent.op.endswith("**"):
        return f"{parent.op[:-2]}^{child_names[0]}\u00b7ln {parent.op[:-2]}"
    return _LOCAL_RULES[parent.op][i].format(*child_names)


def _forward_text(node: Value, names: dict[Value, str]) -> str:
    me = names[node]
    if not node._prev:
        kind = "a constant" if not node.label else "a leaf: an input or a parameter"
        return f"{me} = {_fmt(node.data)} ({kind})"
    ins = [names[c] for c in node._prev]
    nums = [_fmt(c.data) for c in node._prev]
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


# ---- a tiny MLP made of Values ----------------------------------------------------------

_ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")


class Neuron:
    """One neuron: out = f(x_1 w_1 + ... + x_n w_n + b), f in {"tanh", "sigmoid", "relu", "linear"}.

    ``w`` is a list of Values (one per input), ``b`` a Value.
    """

    def __init__(self, w: Sequence[Value], b: Value, activation: str = "tanh"):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        self.w, self.b, self.activation = list(w), b, activation

    def __call__(self, x: Sequence[Value], label: str = "") -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this neuron has {len(self.w)} inputs, got {len(x)} values")
        products = [xi * wi for xi, wi in zip(x, self.w, strict=True)]
        act = sum(products[1:], products[0]) + self.b  # x1*w1 + x2*w2 + ... + b
        out = act if self.activation == "linear" else getattr(act, self.activation)()
        out.label = label
        return out

    def parameters(self) -> list[Value]:
        """The weights w_1..w_n, then the bias b."""
        return [*self.w, self.b]


class ValueMLP:
    """A multilayer perceptron built from Values, laid out like ``Linear`` layers.

    Layer l computes h_j = f_l(b[j] + sum_i x_i W[i, j]), exactly ``x @ W + b`` for one
    example, so its weights copy to and from ``Linear`` (``W`` (in, out), ``b`` (out,)).

    Parameters
    ----------
    sizes : sequence of int
        ``[n_in, hidden..., n_out]``, e.g. ``[2, 2, 1]``.
    activations : sequence of str
        One per layer (``len(sizes) - 1``), from "tanh", "sigmoid", "relu", "linear".
        Default: "tanh" for every layer.
    rng : numpy Generator, int seed or None
        Draws W from N(0, 1/in) (LeCun normal, suited to tanh); b starts at 0.

    Labels (shown in drawings): ``W0[i,j]``, ``b0[j]`` for layer 0's parameters, ``h0[j]``
    for its outputs, ``y[j]`` for the last layer's outputs, ``x[i]`` for float inputs.
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[str] | None = None, rng=None):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be [n_in, ..., n_out] with positive ints, got {sizes}")
        if activations is None:
            activations = ["tanh"] * (len(sizes) - 1)
        if len(activations) != len(sizes) - 1:
            raise ValueError(
                f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, got {len(activations)}"
            )
        rng = np.random.default_rng(rng)
        weights = [
            (rng.normal(0.0, 1.0 / math.sqrt(n_in), (n_in, n_out)), np.zeros(n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False)
        ]
        self.layers: list[list[Neuron]] = []
        for k, ((W, b), act) in enumerate(zip(weights, activations, strict=True)):
            self.layers.append(
                [
                    Neuron(
                        [Value(W[i, j], f"W{k}[{i},{j}]") for i in range(W.shape[0])],
                        Value(b[j], f"b{k}[{j}]"),
                        act,
                    )
                    for j in range(W.shape[1])
                ]
            )

    def __call__(self, x: Sequence[float | Value]) -> list[Value]:
        """Forward one example: x (n_in,) floats or Values -> list of n_out Values."""
        x = [xi if isinstance(xi, Value) else Value(xi, f"x[{i}]") for i, xi in enumerate(x)]
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            name = "y" if k == last else f"h{k}"
            x = [neuron(x, f"{name}[{j}]") for j, neuron in enumerate(layer)]
        return x

    def parameters(self) -> list[Value]:
        """All weights and biases, layer by layer, neuron by neuron (w then b)."""
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]

    def zero_grad(self) -> None:
        """Set every weight's and bias's ``.grad`` to 0.0 (before the next backward)."""
        for p in self.parameters():
            p.grad = 0.0

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each layer's ``(W, b)`` as arrays shaped like ``Linear``'s: (in, out) and (out,)."""
        return self._arrays("data")

    def grads(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each layer's ``(dW, db)`` as arrays shaped (in, out) and (out,), to compare with
        ``Linear.W.grad`` and ``Linear.b.grad``."""
        return self._arrays("grad")

    def _arrays(self, attr: str) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for layer in self.layers:
            W = np.array([[getattr(w, attr) for w in n.w] for n in layer]).T  # (in, out)
            b = np.array([getattr(n.b, attr) for n in layer])  # (out,)
            out.append((W, b))
        return out

    def __repr__(self) -> str:
        sizes = [len(self.layers[0][0].w)] + [len(layer) for layer in self.layers]
        acts = [layer[0].activation for layer in self.layers]
        return f"ValueMLP(sizes={sizes}, activations={acts})"


def value_mlp_from_layers(model: Iterable) -> ValueMLP:
    """Copy a layer network into a ``ValueMLP`` with the same weights, in one call.

    ``model`` is a ``Sequential`` (or any iterable of layers) of ``Linear`` layers, each
    optionally followed by one ``Tanh``, ``Sigmoid``, ``ReLU`` or ``Identity``. The result
    computes the same function; after the same loss, its ``grads()`` equal each
    ``Linear``'s ``(W.grad, b.grad)``. Weights are copied, not shared.
    """
    from .activations import Identity, ReLU, Sigmoid, Tanh
    from .layers import Linear

    acts = {Tanh: "tanh", Sigmoid: "sigmoid", ReLU: "relu", Identity: "linear"}
    linears: list = []
    activations: list[str] = []
    for index, layer in enumerate(model):
        if isinstance(layer, Linear):
            linears.append(layer)
            activations.append("linear")
        elif type(layer) in acts and linears and activations[-1] == "linear":
            activations[-1] = acts[type(layer)]
        else:
            raise ValueError(
                f"value_mlp_from_layers supports Linear layers, each followed by at most one "
                f"Tanh, Sigmoid, ReLU or Identity; got {type(layer).__name__} at index {index}"
            )
    if not linears:
        raise ValueError("value_mlp_from_layers needs at least one Linear layer")
    sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
    mlp = ValueMLP(sizes, activations, rng=0)
    for layer, lin in zip(mlp.layers, linears, strict=True):
        W = lin.W.data  # (in, out)
        b = lin.b.data if lin.b is not None else np.zeros(lin.out_features)  # (out,)
        for j, neuron in enumerate(layer):
            for i, w in enumerate(neuron.w):
                w.data = float(W[i, j])
            neuron.b.data = float(b[j])
    return mlp
