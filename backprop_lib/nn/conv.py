"""Convolutional layers for images: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``.

Images are ``(batch, channels, height, width)`` arrays (NCHW, as in torch). A convolution
slides a small kernel over the image and takes a dot product at every position; written with
*im2col* (every window unrolled into one row of a matrix) the whole layer is one matrix
product, ``cols @ W.T``, and its backward is the backward of a ``Linear`` on those rows, with
the rows' gradients added back onto the pixels they came from (*col2im*). Pooling summarises
each window by its maximum or its mean and has no parameters. ``Flatten`` turns the feature
maps into rows for a ``Linear``; ``Unflatten`` does the reverse (``fit`` takes 2-D ``X``, so a
CNN on flattened images starts with ``Unflatten(1, (1, 8, 8))``).

Used by the convolution notebook (notebooks/11_convolutions.ipynb). Numpy only.

Shapes, for an input ``x`` (N, C, H, W), a kernel (kh, kw), stride s and zero padding p:
the output is (N, F, Ho, Wo) with ``Ho = (H + 2p - kh) // s + 1`` (and Wo likewise). Unlike
torch, which drops the last rows silently, a stride that does not fit exactly
(``(H + 2p - kh) % s != 0``) is an error naming the sizes that would fit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks import as_numbers, as_rng, check_count, check_float_dtype, check_grad, check_size
from . import init as _init
from .layers import Layer
from .parameter import Parameter

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "Flatten",
    "MaxPool2d",
    "Unflatten",
    "conv_output_size",
    "small_cnn",
]


# ---- sizes and checks ----


def _pair(value, what: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (each >= minimum) as a pair: 3 -> (3, 3)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} must be an int or a pair (height, width), got {value!r}")
        return check_count(value[0], what, minimum), check_count(value[1], what, minimum)
    n = check_count(value, what, minimum)
    return n, n


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """The output length along one axis: (size + 2 * padding - kernel) // stride + 1.

    Raises ValueError when the kernel is larger than the padded input or when the windows do
    not tile it exactly ((size + 2 * padding - kernel) % stride != 0).
    """
    size = check_count(size, "size", 1)
    kernel = check_count(kernel, "kernel", 1)
    stride = check_count(stride, "stride", 1)
    padding = check_count(padding, "padding", 0)
    return _out_size(size, kernel, stride, padding, "conv_output_size", "size")


def _out_size(size: int, k: int, s: int, p: int, layer: str, axis: str) -> int:
    padded = size + 2 * p
    if k > padded:
        raise ValueError(
            f"{layer}: the kernel ({k}) is larger than the padded input along the {axis} "
            f"({size} + 2*{p} = {padded}); use a smaller kernel or more padding"
        )
    if (padded - k) % s != 0:
        fits = [q for q in range(1, padded - k + 1) if (padded - k) % q == 0]
        raise ValueError(
            f"{layer}: (input + 2*padding - kernel) / stride = ({size} + 2*{p} - {k}) / {s} is "
            f"not a whole number along the {axis}, so the last window would hang over the edge; "
            f"use a stride in {fits}, or change the padding (torch would silently ignore the "
            f"last {(padded - k) % s} row(s) or column(s) of the padded input)"
        )
    return (padded - k) // s + 1


def _as_images(x, layer: str, channels: int | None, dtype) -> np.ndarray:
    """``x`` as a 4-D numeric batch of images (N, C, H, W) of ``dtype``, or a clear error."""
    x = as_numbers(x, layer, "a 4-D array (batch, channels, height, width)")
    if x.ndim != 4:
        if x.ndim == 3:
            fix = "for one image (channels, height, width) use x[None]"
        elif x.ndim == 2:
            fix = (
                "flattened images (batch, pixels) need reshaping, e.g. x.reshape(-1, 1, 8, 8) "
                "or an Unflatten(1, (1, 8, 8)) layer first"
            )
        else:
            fix = "pass an array of shape (batch, channels, height, width)"
        raise ValueError(
            f"{layer} expects a 4-D batch of images (batch, channels, height, width), got x "
            f"with shape {x.shape}; {fix}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{layer} got x with {x.shape[1]} channels (shape {x.shape}); expected "
            f"{channels}: images are (batch, channels, height, width), so check the order of "
            "the axes (x.transpose(0, 3, 1, 2) turns NHWC into NCHW) or the layer's in_channels"
        )
    return x.astype(dtype, copy=False)


# ---- im2col and col2im: the windows as rows, and back ----


def _windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Every window of a (padded) batch, as a read-only view (N, C, Ho, Wo, kh, kw).

    ``windows[n, c, i, j]`` is the kh x kw patch of channel c whose top-left pixel is
    (i * sh, j * sw). No copy: the windows overlap in memory.
    """
    (sh, sw) = stride
    return sliding_window_view(xp, kernel, axis=(2, 3))[:, :, ::sh, ::sw]


def _col2im(dwin: np.ndarray, padded_shape: tuple, stride: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``_windows``: add each window's gradient back onto its pixels.

    dwin (N, C, Ho, Wo, kh, kw) -> dxp (N, C, Hp, Wp). A pixel inside several windows gets the
    sum of their gradients; one slice-add per kernel offset (kh * kw of them) does it.
    """
    n, c, ho, wo, kh, kw = dwin.shape
    sh, sw = stride
    dxp = np.zeros(padded_shape, dtype=dwin.dtype)
    for i in range(kh):
        for j in range(kw):  # kernel offset (i, j) touches pixels (i + sh*a, j + sw*b)
            dxp[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw] += dwin[:, :, :, :, i, j]
    return dxp


def _pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _unpad(dxp: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    ph, pw = padding
    return dxp[:, :, ph : dxp.shape[2] - ph, pw : dxp.shape[3] - pw]


# ---- the layers ----


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as torch): y[n, f] = b[f] + sum_c x[n, c] * W[f, c].

    Written out, with stride s and the input zero-padded by p:
    ``y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, s*i + u, s*j + v]``.
    The kernel is *not* flipped (a true convolution would flip it; no framework does in the
    forward). With im2col each window is a row of ``cols`` (N*Ho*Wo, C*kh*kw) and the layer is
    ``cols @ W.reshape(F, -1).T + b``: a ``Linear`` shared by every position (weight sharing)
    that sees only a kh x kw patch (locality).

    Parameters
    ----------
    in_channels, out_channels : int
        C (channels of x) and F (filters, the channels of y).
    kernel_size : int or (kh, kw)
    stride : int or (sh, sw)
        Step between windows (default 1).
    padding : int or (ph, pw)
        Zeros added on each side of the height and width (default 0).
    bias : bool
        Whether to add ``b`` (initialised to zeros; torch draws it at random).
    init : str or callable
        How to draw ``W``, as ``Linear``: a name in ``backprop_lib.nn.init.INITIALIZERS``
        (default "he": std = sqrt(2 / fan_in), fan_in = C * kh * kw, torch's fan_in) or a
        function ``(shape, rng=..., dtype=...)``. It is called with the shape of the
        equivalent Linear, (C * kh * kw, F), so fan_out is F (torch uses F * kh * kw, which
        changes only the xavier initialisers).
    rng : numpy Generator, int seed or None
        Source of randomness for ``W``.
    dtype : numpy floating dtype
        float64 (default) or float32; x is converted to it.

    Shapes: x (N, C, H, W) -> y (N, F, Ho, Wo), Ho = (H + 2 ph - kh) // sh + 1, Wo likewise;
    W (F, C, kh, kw) (torch's layout), b (F,); ``parameters() == [W, b]``.

    Backward, for the upstream gradient dy = dL/dy (N, F, Ho, Wo), with dY the same numbers as
    a matrix (N*Ho*Wo, F), one row per output position:

    - ``db[f] = sum_{n, i, j} dy[n, f, i, j]``: the bias is added at every position, so its
      gradient is the sum over all of them.
    - ``dW = dY.T @ cols``, i.e. ``dW[f, c, u, v] = sum_{n, i, j} dy[n, f, i, j] *
      xp[n, c, s*i + u, s*j + v]``: the cross-correlation of the input with the upstream
      gradient (each weight is used at every position, so its gradient sums over them, each
      weighted by the input it multiplied there).
    - ``dcols = dY @ W.reshape(F, -1)``, then col2im adds every row back onto the pixels of its
      window, and the padding is cut off: ``dx[n, c, h, w] = sum_{f, u, v} dy[n, f, i, j] *
      W[f, c, u, v]`` over the (i, j, u, v) with ``s*i + u = h + p`` (and ``s*j + v = w + p``).
      For stride 1 that is dy, zero-padded by k - 1 - p, cross-correlated with the kernel
      flipped in both axes (``W[:, :, ::-1, ::-1]``, input and output channels swapped): the
      *full* convolution of dy with the kernel. The flip is there because pixel h meets
      kernel offset u in window i = h + p - u: as the window index grows, the offset shrinks.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        init: str | Callable[..., np.ndarray] = "he",
        rng=None,
        dtype=np.float64,
    ):
        self.in_channels = check_size(in_channels, "Conv2d in_channels")
        self.out_channels = check_size(out_channels, "Conv2d out_channels")
        self.kernel_size = _pair(kernel_size, "Conv2d kernel_size", 1)
        self.stride = _pair(stride, "Conv2d stride", 1)
        self.padding = _pair(padding, "Conv2d padding", 0)
        init_fn = _init.get_initializer(init)
        check_float_dtype(dtype)
        kh, kw = self.kernel_size
        fan_in, f = self.in_channels * kh * kw, self.out_channels
        w = np.asarray(init_fn((fan_in, f), rng=as_rng(rng), dtype=dtype))
        if w.shape != (fan_in, f):
            raise ValueError(f"init returned an array of shape {w.shape}; expected {(fan_in, f)}")
        w = np.ascontiguousarray(w.T).reshape(f, self.in_channels, kh, kw)  # (F, C, kh, kw)
        self.W = Parameter(w, name="W", dtype=dtype)
        self.b = Parameter(np.zeros(f), name="b", dtype=dtype) if bias else None
        self._cache = None  # (cols, padded input shape, output shape); None until forward

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("W", self.W), ("b", self.b)] if self.b is not None else [("W", self.W)]

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """(N, F, Ho, Wo) for an input of shape (N, C, H, W); raises for sizes that do not fit."""
        n, _, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        ho = _out_size(h, kh, sh, ph, repr(self), "height")
        wo = _out_size(w, kw, sw, pw, repr(self), "width")
        return n, self.out_channels, ho, wo

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_images(x, repr(self), self.in_channels, self.W.data.dtype)
        n, f, ho, wo = self.output_shape(x.shape)
        xp = _pad(x, self.padding)  # (N, C, Hp, Wp)
        win = _windows(xp, self.kernel_size, self.stride)  # (N, C, Ho, Wo, kh, kw), a view
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, -1)  # (N*Ho*Wo, C*kh*kw)
        y = cols @ self.W.data.reshape(f, -1).T  # (N*Ho*Wo, F): one Linear per position
        if self.b is not None:
            y += self.b.data
        self._cache = (cols, xp.shape, (n, f, ho, wo))
        return y.reshape(n, ho, wo, f).transpose(0, 3, 1, 2)  # (N, F, Ho, Wo)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._cache)
        cols, padded_shape, out_shape = self._cache
        n, f, ho, wo = out_shape
        grad_y = check_grad(grad_y, out_shape, "Conv2d")
        dY = grad_y.transpose(0, 2, 3, 1).reshape(-1, f)  # (N*Ho*Wo, F)
        self.W.grad += (dY.T @ cols).reshape(self.W.data.shape)  # (F, C, kh, kw)
        if self.b is not None:
            self.b.grad += dY.sum(axis=0)  # (F,)
        dcols = dY @ self.W.data.reshape(f, -1)  # (N*Ho*Wo, C*kh*kw)
        c, (kh, kw) = self.in_channels, self.kernel_size
        dwin = dcols.reshape(n, ho, wo, c, kh, kw).transpose(0, 3, 1, 2, 4, 5)
        return _unpad(_col2im(dwin, padded_shape, self.stride), self.padding)  # (N, C, H, W)

    def __repr__(self) -> str:
        k, s, p = self.kernel_size, self.stride, self.padding
        return (
            f"Conv2d({self.in_channels} -> {self.out_channels}, kernel_size={k}, stride={s}, "
            f"padding={p}, bias={self.b is not None})"
        )


class _Pool2d(Layer):
    """What both pools share: the window sizes, the checks, the windows of the input."""

    def __init__(self, kernel_size, stride=None):
        name = type(self).__name__
        self.kernel_size = _pair(kernel_size, f"{name} kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, f"{name} stride", 1)
        self._cache = None

    def _windows_of(self, x) -> tuple[np.ndarray, np.ndarray]:
        x = _as_images(x, repr(self), None, np.float64 if x.dtype.kind != "f" else x.dtype)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _out_size(x.shape[2], kh, sh, 0, repr(self), "height")
        _out_size(x.shape[3], kw, sw, 0, repr(self), "width")
        return x, _windows(x, self.kernel_size, self.stride)  # (N, C, Ho, Wo, kh, kw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    """Max pooling: y[n, c, i, j] = max of x[n, c] over window (i, j); no parameters.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
    stride : int, (sh, sw) or None
        None (the default, as torch) means stride = kernel_size: windows side by side.

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = (H - kh) // sh + 1, Wo likewise.

    Backward: the maximum is the only entry of its window that changes y (moving any other a
    little leaves the max where it is), so dy[n, c, i, j] goes to the arg-max of window (i, j)
    and every other pixel of the window gets 0. With ties, the *first* maximum in the window's
    row-major order (top-most, then left-most) gets it all, as torch's CPU kernel. Where
    windows overlap (stride < kernel) a pixel that is the maximum of several windows gets the
    sum of their gradients.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        x, win = self._windows_of(x)
        n, c, ho, wo, kh, kw = win.shape
        flat = win.reshape(n, c, ho, wo, kh * kw)  # a copy: windows overlap in memory
        arg = flat.argmax(axis=-1)  # (N, C, Ho, Wo): the first maximum wins ties
        self._cache = (arg, x.shape)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._cache)
        arg, x_shape = self._cache
        grad_y = check_grad(grad_y, arg.shape, "MaxPool2d")
        kh, kw = self.kernel_size
        onehot = arg[..., None] == np.arange(kh * kw)  # (N, C, Ho, Wo, kh*kw): where the max was
        dwin = (onehot * grad_y[..., None]).reshape(*arg.shape, kh, kw)
        return _col2im(dwin.astype(grad_y.dtype, copy=False), x_shape, self.stride)


class AvgPool2d(_Pool2d):
    """Average pooling: y[n, c, i, j] = mean of x[n, c] over window (i, j); no parameters.

    Parameters and shapes as ``MaxPool2d`` (stride defaults to kernel_size).

    Backward: every pixel of a window counts 1 / (kh * kw) in its mean, so each gets
    dy[n, c, i, j] / (kh * kw); a pixel in several windows gets the sum.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        x, win = self._windows_of(x)
        self._cache = (win.shape, x.shape)
        return win.mean(axis=(4, 5))  # (N, C, Ho, Wo)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._cache)
        win_shape, x_shape = self._cache
        grad_y = check_grad(grad_y, win_shape[:4], "AvgPool2d")
        kh, kw = self.kernel_size
        share = grad_y / (kh * kw)  # (N, C, Ho, Wo)
        dwin = np.broadcast_to(share[..., None, None], win_shape)
        return _col2im(dwin, x_shape, self.stride)


class Flatten(Layer):
    """Keep the batch axis, flatten the rest: x (N, d1, d2, ...) -> y (N, d1 * d2 * ...).

    Like ``torch.nn.Flatten()`` (start_dim=1). The order is numpy's (row-major), so
    y[n] = x[n].reshape(-1). Backward reshapes dy back to x's shape.
    """

    def __init__(self):
        self._shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(
                f"Flatten keeps the batch axis, so x needs at least 2 axes, got shape {x.shape}; "
                "pass a batch, e.g. x[None] for one example"
            )
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._shape)
        n = self._shape[0]
        grad_y = check_grad(grad_y, (n, int(np.prod(self._shape[1:]))), "Flatten")
        return grad_y.reshape(self._shape)


class Unflatten(Layer):
    """Rows back to images: x (N, prod(size)) -> y (N, *size), e.g. (N, 64) -> (N, 1, 8, 8).

    Like ``torch.nn.Unflatten(1, size)``; only ``dim=1`` (the axis after the batch) is
    supported. ``fit`` takes a 2-D ``X``, so a CNN trained on flattened images starts with it.
    Backward reshapes dy back to (N, prod(size)).
    """

    def __init__(self, dim: int, unflattened_size):
        if dim != 1:
            raise ValueError(
                f"Unflatten supports dim=1 (the axis after the batch), got {dim}; "
                "e.g. Unflatten(1, (1, 8, 8))"
            )
        if isinstance(unflattened_size, (int, np.integer)):
            unflattened_size = (unflattened_size,)
        self.size = tuple(check_size(s, "Unflatten size") for s in unflattened_size)
        self.features = int(np.prod(self.size))
        self._n = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(
                f"Unflatten(1, {self.size}) expects x of shape (batch, {self.features}), got "
                f"{x.shape}"
            )
        self._n = x.shape[0]
        return x.reshape(self._n, *self.size)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self._need_forward(self._n)
        grad_y = check_grad(grad_y, (self._n, *self.size), "Unflatten")
        return grad_y.reshape(self._n, self.features)

    def __repr__(self) -> str:
        return f"Unflatten(1, {self.size})"


# ---- a small CNN in one call ----


def small_cnn(
    image_shape=(1, 8, 8),
    channels=(8, 16),
    classes: int = 10,
    kernel_size: int = 3,
    rng=None,
    dtype=np.float64,
):
    """A small CNN for flattened images: Unflatten, then per stage Conv2d -> ReLU -> MaxPool2d(2).

    ``small_cnn()`` is the convolution notebook's network for the 8x8 digits:
    Unflatten(1, (1, 8, 8)) -> Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2)
    -> Conv2d(8, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(16*2*2, 10).
    Each convolution keeps the size (padding = kernel_size // 2, an odd kernel), each pool
    halves it.

    Parameters
    ----------
    image_shape : (C, H, W)
        The shape of one image; the model takes rows of C * H * W pixels, as ``fit`` wants.
    channels : sequence of int
        Filters per stage; one stage each.
    classes : int
        Outputs (logits, for ``CrossEntropyLoss``).
    kernel_size : odd int
    rng, dtype : as ``Conv2d``; one Generator draws every layer's weights in turn.

    Shapes: x (N, C*H*W) -> logits (N, classes).
    """
    from .activations import ReLU
    from .layers import Linear, Sequential

    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
        raise ValueError(f"image_shape must be (channels, height, width), got {image_shape!r}")
    c, h, w = (check_size(s, "small_cnn image_shape") for s in image_shape)
    k = check_size(kernel_size, "small_cnn kernel_size")
    if k % 2 == 0:
        raise ValueError(f"small_cnn needs an odd kernel_size (to keep the size), got {k}")
    channels = [check_size(f, "small_cnn channels") for f in channels]
    if not channels:
        raise ValueError("small_cnn needs at least one stage, e.g. channels=(8,)")
    rng = as_rng(rng)
    layers: list[Layer] = [Unflatten(1, (c, h, w))]
    for f in channels:
        if h % 2 or w % 2:
            raise ValueError(
                f"small_cnn: a {h}x{w} feature map cannot be halved by MaxPool2d(2); use fewer "
                "stages or an image whose sides divide by 2 once per stage"
            )
        layers += [Conv2d(c, f, k, padding=k // 2, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2)]
        c, h, w = f, h // 2, w // 2
    layers += [Flatten(), Linear(c * h * w, check_size(classes, "small_cnn classes"), rng=rng,
                                 dtype=dtype)]  # fmt: skip
    return Sequential(*layers)
