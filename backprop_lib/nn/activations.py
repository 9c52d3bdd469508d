"""Activation functions, as plain functions (to plot) and as layers (to train).

Each activation f comes with its derivative f' so the notebooks can draw both; the layer
versions cache what their backward needs and compute dL/dx = dL/dy * f'(x) elementwise
(Softmax, which mixes a row, is the exception). Used from the forward-pass notebook on, and
by the vanishing-gradient notebook, which is about f' being small.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_grad
from .layers import Layer

__all__ = [
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "d_identity",
    "d_leaky_relu",
    "d_relu",
    "d_sigmoid",
    "d_tanh",
    "identity",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


# ---- plain functions and their derivatives (any shape, elementwise unless noted) ----


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), computed with e = exp(-|x|) so it never overflows.

    sigma(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0: accurate to a few ulps
    everywhere, also far in the negative tail (sigma(-40) = 4.2e-18, as torch gives; the
    shortcut 0.5 + 0.5 tanh(x / 2) rounds it to 0). The numerator, 1 or e, is
    exp(min(x, 0)): exactly 1 for x >= 0 and exactly e for x < 0 (quicker than np.where).
    x: any shape; returns the same shape (a number for a number), values in [0, 1].
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: no overflow
    return (np.exp(np.minimum(x, 0.0)) / (1.0 + e))[()]  # [()]: a 0-d result as a number


def d_sigmoid(x):
    """sigma'(x) = sigma(x) * (1 - sigma(x)); at most 1/4, reached at x = 0. Same shape as x."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), in (-1, 1). Same shape as x."""
    return np.tanh(x)


def d_tanh(x):
    """tanh'(x) = 1 - tanh(x)^2; at most 1, reached at x = 0. Same shape as x."""
    t = np.tanh(x)
    return 1.0 - t * t


def relu(x):
    """relu(x) = max(x, 0), elementwise. Same shape as x."""
    return np.maximum(x, 0.0)


def d_relu(x):
    """relu'(x) = 1 if x > 0 else 0 (0 at the kink x = 0, as PyTorch). Same shape as x."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def leaky_relu(x, negative_slope: float = 0.01):
    """leaky_relu(x) = x if x > 0 else negative_slope * x, elementwise. Same shape as x."""
    x = np.asarray(x)
    return np.where(x > 0, x, negative_slope * x)


def d_leaky_relu(x, negative_slope: float = 0.01):
    """leaky_relu'(x) = 1 if x > 0 else negative_slope. Same shape as x."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return np.where(x > 0, 1.0, negative_slope).astype(dtype)


def identity(x):
    """identity(x) = x. Same shape as x."""
    return np.asarray(x)


def d_identity(x):
    """identity'(x) = 1. Same shape as x."""
    x = np.asarray(x)
    return np.ones(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def softmax(x, axis: int = -1):
    """softmax(x)_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)) along ``axis``.

    Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    x: any shape, e.g. logits (batch, classes); returns the same shape, each slice along
    ``axis`` positive and summing to 1.
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- layers ----


class _Elementwise(Layer):
    """Shared plumbing: keep the last output, check the upstream gradient's shape.

    ``output`` is the last forward's output (None before the first): what backward reads, and
    what ``instruments.health`` reads to count saturated or dead units.
    """

    output = None

    def _input(self, x) -> np.ndarray:
        """x as a float array: ints and bools become float64, non-numbers are a TypeError."""
        x = np.asarray(x)
        if x.dtype.kind != "f":
            if x.dtype.kind not in "iub":
                raise TypeError(
                    f"{type(self).__name__} expects numbers, got dtype {x.dtype}; "
                    "convert with np.asarray(x, dtype=np.float64)"
                )
            x = x.astype(np.float64)
        return x

    def _grad(self, grad_y):
        self._need_forward(self.output)
        return check_grad(grad_y, self.output.shape, type(self).__name__)


class Sigmoid(_Elementwise):
    """y = sigma(x) = 1 / (1 + exp(-x)); backward: dx = dy * y * (1 - y). Any shape."""

    def forward(self, x):
        self.output = y = sigmoid(self._input(x))
        return y

    def backward(self, grad_y):
        grad_y = self._grad(grad_y)
        y = self.output
        return grad_y * y * (1.0 - y)


class Tanh(_Elementwise):
    """y = tanh(x); backward: dx = dy * (1 - y^2). Any shape."""

    def forward(self, x):
        self.output = y = np.tanh(self._input(x))
        return y

    def backward(self, grad_y):
        grad_y = self._grad(grad_y)
        y = self.output
        return grad_y * (1.0 - y * y)


class ReLU(_Elementwise):
    """y = max(x, 0); backward: dx = dy where x > 0, else 0. Any shape."""

    def forward(self, x):
        self.output = y = np.maximum(self._input(x), 0.0)
        return y

    def backward(self, grad_y):
        grad_y = self._grad(grad_y)
        return grad_y * (self.output > 0)


class LeakyReLU(_Elementwise):
    """y = x if x > 0 else negative_slope * x; backward: dx = dy * (1 or negative_slope).

    ``negative_slope`` defaults to 0.01, as in ``torch.nn.LeakyReLU``.
    """

    def __init__(self, negative_slope: float = 0.01):
        if isinstance(negative_slope, bool) or not isinstance(
            negative_slope, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                f"negative_slope must be a number, got {negative_slope!r}; the default is 0.01"
            )
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(f"negative_slope must be a finite number >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        x = self._input(x)
        self.output = y = np.where(x > 0, x, self.negative_slope * x)
        return y

    def backward(self, grad_y):
        grad_y = self._grad(grad_y)  # y > 0 exactly where x > 0 (the slope is >= 0)
        return np.where(self.output > 0, grad_y, self.negative_slope * grad_y)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Identity(_Elementwise):
    """y = x; backward: dx = dy. A placeholder where a network has no activation. Any shape."""

    def forward(self, x):
        self.output = x = self._input(x)
        return x

    def backward(self, grad_y):
        return self._grad(grad_y)


class Softmax(_Elementwise):
    """y_i = exp(x_i) / sum_j exp(x_j) over the last axis (computed stably).

    Shapes: x (batch, classes) -> y (batch, classes), each row summing to 1.

    Backward (the Jacobian-vector product of a row): dx = y * (dy - sum_j(dy_j * y_j)).
    For classification prefer ``CrossEntropyLoss`` on logits: it fuses softmax and log for
    stability and a simpler gradient.
    """

    def forward(self, x):
        self.output = y = softmax(self._input(x), axis=-1)
        return y

    def backward(self, grad_y):
        grad_y = self._grad(grad_y)
        y = self.output
        return y * (grad_y - (grad_y * y).sum(axis=-1, keepdims=True))
