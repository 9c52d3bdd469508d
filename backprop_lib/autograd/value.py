"""Value: a scalar reverse-mode autodiff, small enough to read in one sitting.

Used by the chain-rule notebook. Each ``Value`` holds one number (``.data``), the gradient
of the final output with respect to it (``.grad``), the operation that produced it (``.op``)
and its inputs (``.children``). Each operation builds its output, writes its *local*
derivatives in one visible line, and attaches a tiny ``_backward`` closure that ADDS
``local x upstream`` into each input's ``.grad`` (the chain rule). ``backward()`` is a
topological sort and one reverse loop over it. The design follows micrograd's ``engine.py``.

Built on it: ``tracing.trace`` (each forward and backward step with its numbers, for the
step-through widget) and ``value_mlp`` (a tiny MLP made of Values, and a copy of a
``Sequential`` into one). Drawing lives in ``backprop_lib.viz.graph``.
"""

from __future__ import annotations

import gc
import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Value", "paused_gc", "topological_order"]


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

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(this node) / d(each child), in the order of ``children`` (empty for a leaf).

        These are the local derivatives that the chain rule multiplies by the upstream gradient.
        """
        return self._local_grads

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
