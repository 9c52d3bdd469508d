"""A tiny MLP made of Values, and a copy of a layer model into one.

``Neuron`` and ``ValueMLP`` build a network out of ``autograd.Value`` scalars, so every
weight's gradient comes from the chain rule one number at a time; ``value_mlp_from_layers``
copies a ``Sequential`` of ``Linear``/activation layers into a ``ValueMLP`` with the same
weights, so the backward-pass notebook can show that both give the same gradients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from .value import Value

__all__ = ["Neuron", "ValueMLP", "value_mlp_from_layers"]

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
    from ..nn.activations import Identity, ReLU, Sigmoid, Tanh
    from ..nn.layers import Linear

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
