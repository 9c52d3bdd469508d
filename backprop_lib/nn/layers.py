"""Layers: the building blocks whose backward passes *are* backpropagation.

Every layer has ``forward(x) -> y`` (caching what its backward needs) and
``backward(grad_y) -> grad_x`` (adding into each parameter's ``.grad``). Used from the
forward-pass notebook on; ``Sequential`` chains layers and runs backward in reverse.
``Dropout`` and ``BatchNorm1d`` (regularisation and normalisation notebooks) behave
differently in ``train()`` and ``eval()`` mode; ``Residual`` adds a skip connection
(vanishing-gradient notebook).

Bad input (wrong shape, non-numeric dtype) raises before a layer changes any state. NaN and
inf values are *not* rejected here: they flow through, as in torch, because a diverging
network produces them between layers and that is a result to show, not an error. Data is
checked at the entry points instead: ``fit``/``Trainer`` reject NaN/inf in X and y, and
every loss rejects a NaN/inf target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..checks import as_batch, as_rng, check_float_dtype, check_grad, check_number, check_size
from . import init as _init
from .parameter import Parameter

__all__ = ["BatchNorm1d", "Dropout", "Layer", "Linear", "Residual", "Sequential"]


class Layer:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train``/``eval``.

    Subclasses cache in ``forward`` what ``backward`` needs, and ``backward`` adds into
    each ``Parameter.grad`` (it never overwrites) and returns the gradient for its input.

    A leaf layer (``Linear``) overrides ``named_parameters``; a container (``Sequential``,
    ``Residual``) overrides ``named_children`` and inherits parameter naming, ``train``/``eval``
    and ``modules`` from here, so they reach every layer inside it.
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

    def named_children(self) -> list[tuple[str, Layer]]:
        """The layers directly inside this one, with their names (empty for a leaf layer)."""
        return []

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, Parameter)`` pairs, e.g. ``[("W", W), ("b", b)]`` or ``[("0.W", ...), ...]``.

        A container prefixes each child's names with the child's name and a dot, as torch does.
        """
        return [
            (f"{child_name}.{name}", p)
            for child_name, child in self.named_children()
            for name, p in child.named_parameters()
        ]

    def parameters(self) -> list[Parameter]:
        """The trainable parameters, in a fixed order (empty for parameter-free layers)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """State that is saved with the model but not trained, e.g. batch norm's running stats.

        ``(name, array)`` pairs named like ``named_parameters``; the arrays are updated in place.
        """
        return [
            (f"{child_name}.{name}", buf)
            for child_name, child in self.named_children()
            for name, buf in child.named_buffers()
        ]

    def named_modules(self, prefix: str = "") -> list[tuple[str, Layer]]:
        """This layer and every layer inside it, depth first: ``[("", self), ("0", ...), ...]``."""
        found = [(prefix, self)]
        for child_name, child in self.named_children():
            found += child.named_modules(f"{prefix}.{child_name}" if prefix else child_name)
        return found

    def modules(self) -> list[Layer]:
        """This layer and every layer inside it, depth first."""
        return [m for _, m in self.named_modules()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (dropout drops, batch norm uses batch statistics).

        Applies to every layer inside a container too. Returns the layer itself.
        """
        self.training = bool(mode)
        for _, child in self.named_children():
            child.train(mode)
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
        How to draw ``W``: a name from ``backprop_lib.nn.init.INITIALIZERS`` (default ``"he"``,
        He normal, std = sqrt(2 / in_features)) or a function ``(shape, rng=..., dtype=...)``.
    bias : bool
        Whether to add ``b`` (initialised to zeros).
    rng : numpy Generator, int seed or None
        Source of randomness for ``W``; the same seed gives the same weights. None (the
        default, as torch's global generator) draws fresh entropy: different weights each
        time. A Generator is advanced, so layers built from one Generator differ.
    dtype : numpy floating dtype
        float64 (default; gradient checks need it) or float32 (faster). The input is
        converted to it, so a float32 layer computes in float32 even on float64 data.

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
        self.in_features = check_size(in_features, "Linear in_features")
        self.out_features = check_size(out_features, "Linear out_features")
        init_fn = _init.get_initializer(init)
        check_float_dtype(dtype)
        shape = (self.in_features, self.out_features)
        w = np.asarray(init_fn(shape, rng=as_rng(rng), dtype=dtype))
        if w.shape != shape:
            raise ValueError(f"init returned an array of shape {w.shape}; expected {shape}")
        self.W = Parameter(w, name="W", dtype=dtype)
        self.b = Parameter(np.zeros(self.out_features), name="b", dtype=dtype) if bias else None
        self._x = None  # the cached input; None until forward runs

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("W", self.W), ("b", self.b)] if self.b is not None else [("W", self.W)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = f"Linear({self.in_features} -> {self.out_features})"
        x = as_batch(x, name, self.in_features, self.W.data.dtype)
        self._x = x  # (batch, in)
        y = x @ self.W.data  # (batch, out)
        if self.b is not None:
            y += self.b.data  # broadcast over the batch
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x = self._x
        self._need_forward(x)
        grad_y = check_grad(grad_y, (x.shape[0], self.out_features), "Linear")
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

    Shapes: x (batch, features of layers[0]) -> y (batch, features of layers[-1]). Each layer
    object may appear once (it caches its own forward); to tie weights, share a Parameter
    (``b.W = a.W``): gradients from both places add up in it.
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
        owner: dict[int, int] = {}  # id of every layer inside -> the item holding it
        for i, layer in enumerate(layers):
            for m in layer.modules():
                if id(m) in owner and owner[id(m)] != i:
                    raise ValueError(
                        f"Sequential item {i} contains {m!r}, the same object as in item "
                        f"{owner[id(m)]}; a layer caches its last forward for its backward, so "
                        f"one object cannot be used twice: create a second one, e.g. {m!r}"
                    )
                owner[id(m)] = i
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_y = layer.backward(grad_y)
        return grad_y

    def named_children(self) -> list[tuple[str, Layer]]:
        """``[("0", layers[0]), ("1", layers[1]), ...]``: parameters are named "0.W", "0.b"..."""
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(
            f"  ({i}) " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self.layers)
        )
        return f"Sequential(\n{inner}\n)"


class Dropout(Layer):
    """Inverted dropout: y = x * mask / (1 - p) in training, y = x in eval.

    Each entry of ``mask`` is 0 with probability ``p`` and 1 otherwise, drawn afresh on every
    training forward. Scaling the kept units by 1 / (1 - p) keeps E[y] = x, so nothing needs
    rescaling at test time (as ``torch.nn.Dropout``). Backward: dx = dy * mask / (1 - p).

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping each unit (torch's default is 0.5; p = 0 is the identity).
    rng : numpy Generator, int seed or None
        Source of the masks, kept as ``self.rng``; the same seed gives the same masks, None
        fresh entropy (different masks each run).
        (A gradient check reuses one mask by restoring ``rng``'s state before each forward.)

    Shapes: x any shape, typically (batch, features); y and the mask have the same shape.
    """

    def __init__(self, p: float = 0.5, rng=None):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout p must be a number in [0, 1), got {type(p).__name__}")
        if not 0.0 <= p < 1.0:  # also False for NaN
            raise ValueError(
                f"Dropout p must be in [0, 1), got {p}; p is the probability of dropping a unit "
                "(p = 1 would drop everything), e.g. Dropout(0.5)"
            )
        self.p = float(p)
        self.rng = as_rng(rng)
        self._cache = None  # (output shape, scaled mask or None in eval mode)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(
                f"Dropout expects a numeric array, got dtype {x.dtype}; "
                "pass floats, e.g. np.asarray(x, dtype=np.float64)"
            )
        if not self.training or self.p == 0.0:
            self._cache = (x.shape, None)
            return x
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        keep = self.rng.random(x.shape) >= self.p  # True with probability 1 - p
        mask = keep.astype(dtype) / dtype.type(1.0 - self.p)  # 0 or 1 / (1 - p)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._cache)
        shape, mask = self._cache
        grad_y = check_grad(grad_y, shape, "Dropout")
        return grad_y if mask is None else grad_y * mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm1d(Layer):
    """Batch normalisation over the batch axis: y = gamma * (x - mean) / sqrt(var + eps) + beta.

    Training: ``mean`` and ``var`` are the batch's per-feature mean and *biased* variance
    (divide by N), and the running statistics follow torch's rule
    ``running = (1 - momentum) * running + momentum * batch_stat``, with the *unbiased*
    variance (divide by N - 1) for ``running_var``. Eval: the running statistics are used.

    Backward (training), with xhat = (x - mean) / sqrt(var + eps) and dxhat = dy * gamma:
    dgamma = sum_n dy * xhat,  dbeta = sum_n dy,
    dx = (N dxhat - sum_n dxhat - xhat * sum_n(dxhat * xhat)) / (N sqrt(var + eps)).
    (Eval: dx = dy * gamma / sqrt(running_var + eps), the statistics being constants.)

    Parameters
    ----------
    num_features : int
        D, the number of features (columns) of x.
    eps : float > 0
        Added to the variance so the division is safe.
    momentum : float in [0, 1]
        Weight of the current batch in the running statistics (torch's default 0.1).
    dtype : numpy floating dtype
        float64 (default) or float32; the input is converted to it, as in ``Linear``.

    Shapes: x (N, D) -> y (N, D); ``gamma``, ``beta`` Parameters (D,) starting at 1 and 0;
    ``running_mean``, ``running_var`` arrays (D,) starting at 0 and 1. Training needs N >= 2.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float64
    ):
        self.num_features = check_size(num_features, "BatchNorm1d num_features")
        # torch also accepts momentum=None (a cumulative average); we keep to its default rule
        if momentum is None:
            raise ValueError("BatchNorm1d momentum must be in [0, 1], got None; the default is 0.1")
        eps = check_number(eps, "BatchNorm1d eps", 1e-5)
        momentum = check_number(momentum, "BatchNorm1d momentum", 0.1)
        if not eps > 0:
            raise ValueError(f"BatchNorm1d eps must be > 0, got {eps}; the default is 1e-5")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"BatchNorm1d momentum must be in [0, 1], got {momentum}; the default is 0.1"
            )
        check_float_dtype(dtype)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.gamma = Parameter(np.ones(num_features), name="gamma", dtype=dtype)
        self.beta = Parameter(np.zeros(num_features), name="beta", dtype=dtype)
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self._cache = None  # (xhat, inv_std, batch statistics used?)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("gamma", self.gamma), ("beta", self.beta)]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        return [("running_mean", self.running_mean), ("running_var", self.running_var)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_batch(
            x, f"BatchNorm1d({self.num_features})", self.num_features, self.gamma.data.dtype
        )
        n = x.shape[0]
        if self.training:
            if n < 2:
                raise ValueError(
                    f"BatchNorm1d in training mode needs a batch of at least 2 rows to estimate "
                    f"a variance, got x with shape {x.shape}; use a larger batch, or call "
                    "model.eval() to use the running statistics"
                )
            mean = x.mean(axis=0)  # (D,)
            var = x.var(axis=0)  # (D,), biased: divides by N
            # torch's rule; the running variance is the unbiased estimate (divides by N - 1)
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += m * var * (n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (D,)
        xhat = (x - mean) * inv_std  # (N, D)
        self._cache = (xhat, inv_std, self.training)
        return self.gamma.data * xhat + self.beta.data

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._cache)
        xhat, inv_std, batch_stats = self._cache
        grad_y = check_grad(grad_y, xhat.shape, "BatchNorm1d")
        self.gamma.grad += (grad_y * xhat).sum(axis=0)  # (D,)
        self.beta.grad += grad_y.sum(axis=0)  # (D,)
        dxhat = grad_y * self.gamma.data  # (N, D)
        if not batch_stats:  # eval: mean and var are constants
            return dxhat * inv_std
        n = xhat.shape[0]
        return (
            inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
        )  # (N, D)

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


def _widths(block: Layer) -> tuple[int | None, int | None]:
    """(input width, output width) of a block, read off its first and last Linear, if any."""
    linears = [m for m in block.modules() if isinstance(m, Linear)]
    if not linears:
        return None, None
    return linears[0].in_features, linears[-1].out_features


class Residual(Layer):
    """A skip connection around a block: y = x + block(x).

    Backward adds the two paths: dx = dy + block.backward(dy), so the gradient reaches x
    undiminished however small the block's own gradient is (the idea behind ResNets).

    Parameters
    ----------
    block : Layer
        Any layer mapping (batch, D) to (batch, D), e.g. ``Sequential(Linear(D, D), ReLU())``.
        Its parameters are named "block.<name>", e.g. "block.0.W".

    Shapes: x (batch, D) -> y (batch, D).
    """

    def __init__(self, block: Layer):
        if not isinstance(block, Layer):
            raise TypeError(
                f"Residual wraps a Layer, got {type(block).__name__}; "
                "e.g. Residual(Sequential(Linear(8, 8), ReLU()))"
            )
        d_in, d_out = _widths(block)
        if d_in is not None and d_in != d_out:
            raise ValueError(
                f"Residual block maps {d_in} features to {d_out}; x + block(x) needs the same "
                f"width in and out: make the block's last layer output {d_in} features"
            )
        self.block = block
        self._shape = None  # the output shape of the last forward

    def named_children(self) -> list[tuple[str, Layer]]:
        return [("block", self.block)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        fx = self.block.forward(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"Residual block maps x of shape {x.shape} to shape {fx.shape}; x + block(x) "
                "needs the same shape: make the block's output width equal its input width"
            )
        self._shape = x.shape
        return x + fx

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._shape)
        grad_y = check_grad(grad_y, self._shape, "Residual")
        return grad_y + self.block.backward(grad_y)  # the skip path plus the block's path

    def __repr__(self) -> str:
        inner = repr(self.block).replace("\n", "\n  ")
        return f"Residual(\n  {inner}\n)"
