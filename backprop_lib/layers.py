"""Layers: the building blocks whose backward passes *are* backpropagation.

Every layer has ``forward(x) -> y`` (caching what its backward needs) and
``backward(grad_y) -> grad_x`` (adding into each parameter's ``.grad``). Used from the
forward-pass notebook on; ``Sequential`` chains layers and runs backward in reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from . import init as _init
from .parameter import Parameter

__all__ = ["Layer", "Linear", "Sequential"]


def _check_size(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be a positive int, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{what} must be a positive int, got {value}")
    return int(value)


def _as_batch(x, layer: str, features: int | None = None) -> np.ndarray:
    """Check that ``x`` is a 2-D float batch ``(batch, features)`` and return it as an array."""
    if not isinstance(x, np.ndarray):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        fix = "; use x.reshape(1, -1) for one example" if x.ndim == 1 else ""
        raise ValueError(
            f"{layer} expects a 2-D batch (batch, features), got x with shape {x.shape}{fix}"
        )
    if features is not None and x.shape[1] != features:
        raise ValueError(
            f"{layer} got x with {x.shape[1]} features (shape {x.shape}); "
            f"expected (batch, {features})"
        )
    if x.dtype.kind not in "fc":
        if x.dtype.kind in "iub":
            return x.astype(np.float64)
        raise TypeError(f"{layer} expects a float array, got dtype {x.dtype}")
    return x


def _check_grad(grad_y, expected: tuple[int, ...], layer: str) -> np.ndarray:
    grad_y = np.asarray(grad_y)
    if grad_y.shape != expected:
        raise ValueError(
            f"{layer}.backward got grad_y with shape {grad_y.shape}; it must match the output of "
            f"the last forward, {expected}"
        )
    return grad_y


class Layer:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train``/``eval``.

    Subclasses cache in ``forward`` what ``backward`` needs, and ``backward`` adds into
    each ``Parameter.grad`` (it never overwrites) and returns the gradient for its input.
    """

    training: bool = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output for a batch ``x`` of shape (batch, features)."""
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """Given dL/dy (same shape as the last output), return dL/dx and accumulate dL/dparams."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        """The trainable parameters, in a fixed order (empty for parameter-free layers)."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, Parameter)`` pairs, e.g. ``[("W", W), ("b", b)]``."""
        return []

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (dropout drops, batch norm uses batch statistics)."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode (dropout is the identity, batch norm uses running stats)."""
        return self.train(False)

    def _need_forward(self, cache) -> None:
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward; "
                "run forward(x) first so the layer can cache what backward needs"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Fully connected layer: y = x @ W + b.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output row.
    init : str or callable
        How to draw ``W``: a name from ``backprop_lib.init.INITIALIZERS`` (default ``"he"``,
        He normal, std = sqrt(2 / in_features)) or a function ``(shape, rng=..., dtype=...)``.
    bias : bool
        Whether to add ``b`` (initialised to zeros).
    rng : numpy Generator, int seed or None
        Source of randomness for ``W``; the same seed gives the same weights.
    dtype : numpy floating dtype
        float64 (default; gradient checks need it) or float32 (faster).

    Shapes: x (batch, in_features) -> y (batch, out_features); W (in_features, out_features),
    b (out_features,). ``parameters() == [W, b]``. (PyTorch stores W transposed and computes
    x @ W.T; we keep x @ W because it reads like the math.)

    Backward, for upstream gradient dy = dL/dy (batch, out_features):
    dW = x.T @ dy,  db = dy.sum(axis=0),  dx = dy @ W.T.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str | Callable[..., np.ndarray] = "he",
        bias: bool = True,
        rng=None,
        dtype=np.float64,
    ):
        self.in_features = _check_size(in_features, "Linear in_features")
        self.out_features = _check_size(out_features, "Linear out_features")
        if isinstance(init, str):
            if init not in _init.INITIALIZERS:
                names = ", ".join(sorted(_init.INITIALIZERS))
                raise ValueError(f"unknown init {init!r}; use one of: {names}, or a function")
            init_fn = _init.INITIALIZERS[init]
        elif callable(init):
            init_fn = init
        else:
            raise TypeError(f"init must be a name or a function, got {type(init).__name__}")
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype must be np.float64 or np.float32, got {np.dtype(dtype)}")
        shape = (self.in_features, self.out_features)
        w = np.asarray(init_fn(shape, rng=_init._rng(rng), dtype=dtype))
        if w.shape != shape:
            raise ValueError(f"init returned an array of shape {w.shape}; expected {shape}")
        self.W = Parameter(w, name="W", dtype=dtype)
        self.b = Parameter(np.zeros(self.out_features), name="b", dtype=dtype) if bias else None
        self._x = None  # the cached input; None until forward runs

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("W", self.W), ("b", self.b)] if self.b is not None else [("W", self.W)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_batch(x, f"Linear({self.in_features} -> {self.out_features})", self.in_features)
        self._x = x  # (batch, in)
        y = x @ self.W.data  # (batch, out)
        if self.b is not None:
            y += self.b.data  # broadcast over the batch
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x = self._x
        self._need_forward(x)
        grad_y = _check_grad(grad_y, (x.shape[0], self.out_features), "Linear")
        self.W.grad += x.T @ grad_y  # (in, out)
        if self.b is not None:
            self.b.grad += grad_y.sum(axis=0)  # (out,)
        return grad_y @ self.W.data.T  # (batch, in)

    def __repr__(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features}, bias={self.b is not None})"


class Sequential(Layer):
    """A chain of layers: forward in order, backward in reverse.

    y = layers[-1](... layers[1](layers[0](x))). ``backward(grad_y)`` is a loop over
    ``reversed(layers)``, each turning dL/d(its output) into dL/d(its input).
    """

    def __init__(self, *layers: Layer):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential item {i} is a {type(layer).__name__}, not a Layer; "
                    "pass layer objects such as Linear(2, 8), Tanh()"
                )
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_y = layer.backward(grad_y)
        return grad_y

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [
            (f"{i}.{name}", p)
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
