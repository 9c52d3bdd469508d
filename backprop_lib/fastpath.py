"""The fast path of training: the same numbers as the layers, in fewer numpy calls.

What it holds. ``FusedMLP`` runs the forward and backward passes of a plain MLP (a
``Sequential`` of ``Linear`` layers, each followed by at most one ``Tanh``, ``Sigmoid``,
``ReLU`` or ``Identity``) as one loop over preallocated arrays, and computes
``BCEWithLogitsLoss`` and ``MSELoss`` of its output in the same way. ``training.Trainer``
uses it; nothing else needs to know it exists. Notebooks never call this module: they teach
with the layers' ``forward``/``backward`` and the loss classes, which is what this computes.

Why it exists. The dashboards re-train a network on every slider move, so ``fit`` must be
quick. A 2-16-16-1 network on 200 points does almost no arithmetic: each numpy call costs a
microsecond or more of fixed overhead whatever its size, and the layer path makes more calls
per step (the checks that give learners clear errors, temporaries, dL/dx for the input).
``bench/training.py`` measures both paths (its "via layers" row) against PyTorch and
scikit-learn; its docstring has the figures.

What it computes. The layers' own equations:

    Linear   forward z = h @ W + b          backward dW = h.T @ dz, db = sum of dz's rows,
                                                     dh = dz @ W.T
    Tanh     a = tanh(z)                    dz = da * (1 - a * a)
    Sigmoid  a = 1 / (1 + exp(-z))          dz = da * a * (1 - a)
             (as ``activations.sigmoid``: exp(min(z, 0)) / (1 + e), e = exp(-|z|))
    ReLU     a = max(z, 0)                  dz = da * (a > 0)
    BCEWithLogitsLoss  L = mean(log(1 + e^z) - z y)       dL/dz = (sigmoid(z) - y) / size
    MSELoss            L = mean((z - y)^2)                dL/dz = 2 (z - y) / size

written into arrays allocated once per batch size (``np.dot(..., out=...)``, the quickest
call for small matrices), without the input checks the layers make and without dL/dx for the
network's input, which training never uses. The bias rides along in the matrix products
(``FusedMLP`` explains the layout), so z adds b inside the product's sum and db sums dz's
rows in another order than the layers do: results agree with the layer path to rounding
(about 1e-15 relative in float64), not bit for bit; so do the losses, which sum their items
in another order too.
``tests/test_fastpath.py`` checks outputs, gradients and losses (to 1e-12) and whole
training runs against the layer path, and that anything else (other layers, a subclass such
as a planted bug from ``bugs.py``, a hand-written optimizer, parameters in another order, a
learner's own loss) trains through the layers' own methods and the loss object.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .nn.activations import Identity, ReLU, Sigmoid, Tanh
from .nn.layers import Layer, Linear, Sequential
from .nn.losses import BCEWithLogitsLoss, Loss, MSELoss
from .optim.optimizers import Optimizer

__all__ = ["FusedMLP", "fused_mlp"]


class FusedMLP:
    """``model.forward`` and ``model.backward`` of a plain MLP, fused into fewer numpy calls.

    ``backward`` *writes* every gradient (into the optimizer's flat ``grad``) instead of adding
    into them, so the trainer needs no ``optimizer.zero_grad()`` before it.

    Two layout choices make it quick (the maths is the layers'):

    - The bias trick. The optimizer lays each Linear's W (in, out) and b (out,) out one after
      the other, so together they are one (in + 1, out) matrix [W; b], and
      z = h @ W + b = [h, 1] @ [W; b]. With a row of ones kept under each block's input, the
      forward pass is one matrix product per layer, and the backward pass's
      [dW; db] = [h, 1].T @ dz is one product too (the ones sum dz over the batch).
    - One column per example. The work arrays hold the transposes, (features + 1, batch), with
      the ones in the last row: z^T = [W; b]^T [h, 1]^T. A row of ones is a contiguous slice,
      which ``np.dot(..., out=...)`` can write around; a column of ones would not be.

    Parameters
    ----------
    model : Sequential
        One for which ``FusedMLP.supports(model)`` is True.
    optimizer : Optimizer
        One of ours holding every parameter of the model, each W just before its b (as
        ``Optimizer(model.parameters())`` lays them out): see ``fused_mlp``.
    """

    KINDS = {Linear: "linear", Tanh: "tanh", Sigmoid: "sigmoid", ReLU: "relu", Identity: None}

    def __init__(self, model: Sequential, optimizer: Optimizer):
        self.layers = list(model.layers)  # to notice if the model is changed afterwards
        self.optimizer = optimizer
        self.blocks: list[tuple[Linear, str | None]] = []  # (Linear, activation kind)
        self._block_of: dict[int, int] = {}  # id(activation layer) -> its block
        for layer in self.layers:
            if self.KINDS[type(layer)] == "linear":
                self.blocks.append((layer, None))
            else:
                self.blocks[-1] = (self.blocks[-1][0], self.KINDS[type(layer)])
                self._block_of[id(layer)] = len(self.blocks) - 1
        dtype = optimizer.data.dtype
        # 1 and 0 as 0-d arrays: quicker in a ufunc than Python floats, which numpy converts
        self._one, self._zero = np.ones((), dtype), np.zeros((), dtype)
        self._arrays: dict[int, tuple] = {}  # batch size -> work arrays
        self._labels = None  # bce_with_labels: (targets, s, -s / size) for the last targets
        self._flat = None  # the optimizer's flat vectors the views below were taken from
        self.outputs = None
        self._bind()

    @classmethod
    def supports(cls, model: Layer) -> bool:
        """True for a Sequential of Linear layers, each followed by at most one activation.

        Exact types only (a subclass may change the maths), and no instance that has had its
        ``forward`` or ``backward`` replaced.
        """
        if type(model) is not Sequential or not model.layers:
            return False
        previous = None
        for layer in model.layers:
            kind = cls.KINDS.get(type(layer), "other")
            if kind == "other" or {"forward", "backward"} & vars(layer).keys():
                return False
            if kind != "linear" and previous != "linear":  # one activation after each Linear
                return False
            previous = kind
        return type(model.layers[0]) is Linear

    @staticmethod
    def lays_out_for(model: Sequential, optimizer: Optimizer) -> bool:
        """True if ``optimizer`` holds the model's parameters and no others, each b right
        after its W (so the fused backward writes every gradient it holds)."""
        if len(optimizer.params) != len(model.parameters()):
            return False
        index = {id(p): i for i, p in enumerate(optimizer.params)}
        for lin in model.layers:
            if type(lin) is not Linear:
                continue
            i = index.get(id(lin.W))
            if i is None or (lin.b is not None and index.get(id(lin.b)) != i + 1):
                return False
        return True

    def _bind(self) -> None:
        """Take each block's [W; b] and [dW; db] as views of the optimizer's flat vectors."""
        opt = self.optimizer
        index = {id(p): i for i, p in enumerate(opt.params)}
        self._weights = []  # per block: [W; b]^T, W (in, out) and [dW; db] (in + 1, out)
        for lin, _ in self.blocks:  # (without a bias: W^T, W and dW)
            start = int(opt.offsets[index[id(lin.W)]])
            shape = (lin.in_features + (lin.b is not None), lin.out_features)
            end = start + shape[0] * shape[1]
            w = opt.data[start:end].reshape(shape)
            self._weights.append((w.T, w[: lin.in_features], opt.grad[start:end].reshape(shape)))
        self._flat = (opt.data, opt.grad)

    def _work(self, n: int) -> tuple:
        """Per batch size: where x^T goes; per block the views the passes use: its input
        [h, 1]^T (in + 1, n), its output a^T, a scratch array, and where dL/dh^T goes
        (out, n) each (None for the first block: training never needs dL/dx); and two
        (outputs, n) arrays and 1 / (outputs * n) for the fused losses."""
        if n not in self._arrays:
            dtype = self._one.dtype
            sizes = [self.blocks[0][0].in_features] + [lin.out_features for lin, _ in self.blocks]
            hs = [np.ones((k + 1, n), dtype) for k in sizes]  # [h, 1]^T: ones in the last row
            views = []
            for k, (lin, _) in enumerate(self.blocks):
                h = hs[k] if lin.b is not None else hs[k][:-1]  # no bias: no ones row
                dh = None if k == 0 else np.empty((lin.in_features, n), dtype)
                views.append((h, hs[k + 1][:-1], np.empty((lin.out_features, n), dtype), dh))
            scale = np.asarray(1.0 / (sizes[-1] * n), dtype)  # 1 / size, as a 0-d array
            loss = (np.empty((sizes[-1], n), dtype), np.empty((sizes[-1], n), dtype), scale)
            self._arrays[n] = (hs[0][:-1], views, loss)
        return self._arrays[n]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The model's output for x (batch, in): (batch, out), overwritten by the next call."""
        opt = self.optimizer
        opt._sync()  # a .data replaced since the last step is laid out again now
        if opt.data is not self._flat[0] or opt.grad is not self._flat[1]:
            self._bind()  # ... in new flat vectors: take new views
        x_rows, views, _ = self._work(len(x))
        np.copyto(x_rows, x.T)  # [x, 1]^T, (in + 1, batch)
        for (_, act), (w_t, _, _), (h, a, e, _) in zip(
            self.blocks, self._weights, views, strict=True
        ):
            np.dot(w_t, h, out=a)  # z^T = [W; b]^T [h, 1]^T = (h @ W + b)^T, (out, batch)
            if act == "tanh":
                np.tanh(a, out=a)
            elif act == "sigmoid":  # as activations.sigmoid: exp(min(z, 0)) / (1 + e)
                np.abs(a, out=e)
                np.negative(e, out=e)
                np.exp(e, out=e)  # e = exp(-|z|), in (0, 1]: no overflow
                e += self._one
                np.minimum(a, self._zero, out=a)
                np.exp(a, out=a)  # 1 for z >= 0, e for z < 0
                a /= e
            elif act == "relu":
                np.maximum(a, self._zero, out=a)
        self.outputs = views
        return views[-1][1].T

    def backward(self, grad_out: np.ndarray) -> None:
        """Write dL/dW and dL/db of every Linear from dL/d(output) (batch, out).

        ``grad_out`` is only read (the trainer passes the loss's own gradient, uncopied).
        """
        if self.optimizer.grad is not self._flat[1]:  # laid out again since the forward
            self._bind()
        _, views, _ = self._work(len(grad_out))
        d = grad_out.T  # dL/d(output of the current block)^T, (out, batch)
        for (_, act), (_, w, dw), (h, a, tmp, dh) in zip(
            reversed(self.blocks), reversed(self._weights), reversed(views), strict=True
        ):
            if act == "tanh":  # dz = d * (1 - a^2), into tmp
                np.multiply(a, a, out=tmp)
                np.subtract(self._one, tmp, out=tmp)
                d = np.multiply(tmp, d, out=tmp)
            elif act == "sigmoid":  # dz = d * a * (1 - a)
                np.subtract(self._one, a, out=tmp)
                tmp *= a
                d = np.multiply(tmp, d, out=tmp)
            elif act == "relu":  # dz = d * (a > 0)
                d = np.multiply(d, a > 0, out=tmp)
            np.dot(h, d.T, out=dw)  # [dW; db] = [h, 1].T @ dz, (in + 1, out)
            if dh is not None:  # dh^T = W dz^T, (in, batch)
                np.dot(w, d, out=dh)
                d = dh

    def output_of(self, layer: Layer) -> np.ndarray | None:
        """What activation ``layer`` output in the last forward, (batch, out) as its cache."""
        if self.outputs is None:
            return None
        return self.outputs[self._block_of[id(layer)]][1].T

    # ---- losses on the output, without a loss object ----

    def loss_for(self, loss: Loss, target: np.ndarray | None = None) -> Callable | None:
        """The fused loss for a ``BCEWithLogitsLoss`` or ``MSELoss`` (exact types), else None.

        Each takes (output, target) and returns (loss, dL/d(output)): ``mse``, and for
        ``BCEWithLogitsLoss`` ``bce_with_labels`` if every value of ``target`` (the targets
        the trainer will pass, or a sample of them) is 0 or 1, else ``bce_with_logits``.
        """
        if type(loss) is MSELoss:
            return self.mse
        if type(loss) is not BCEWithLogitsLoss:
            return None
        labels = target is not None and bool(np.all((target == 0) | (target == 1)))
        return self.bce_with_labels if labels else self.bce_with_logits

    def bce_with_logits(self, out: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """``BCEWithLogitsLoss`` of the last forward's output z against targets y in [0, 1].

        L = mean(log(1 + e^z) - z y) and dL/dz = (sigmoid(z) - y) / size, as the loss class
        computes them. Each item is logaddexp(-z y, z - z y) = log(e^(-z y) (1 + e^z)): numpy's
        logaddexp(a, b) = max(a, b) + log1p(exp(-|a - b|)) never forms exp of a large number,
        and for y = 1 or y = 0 one of a, b is exactly 0, so the small loss of a confident
        right answer (4.5e-5 at z = 10) keeps its digits; log(1 + e^z) - z y would lose them
        to rounding (in float32, about 1% of it at z = 10, all of it at z = 17). The gradient is
        overwritten by the next call. ``target`` is checked already (the trainer does that).
        """
        z, y = out.T, target.T  # (outputs, batch): the fused forward's own array
        _, _, (t, g, scale) = self._arrays[z.shape[1]]
        np.multiply(z, y, out=t)  # z y
        np.subtract(z, t, out=g)  # z - z y
        np.negative(t, out=t)  # -z y
        np.logaddexp(t, g, out=t)  # log(1 + e^z) - z y, per item
        value = float(np.add.reduce(t, axis=None)) / t.size  # (t.sum() is slower)
        np.negative(z, out=g)
        np.exp(g, out=g)  # e^-z (inf for z below about -88 in float32: sigmoid is then 0)
        g += self._one
        np.divide(self._one, g, out=g)  # sigmoid(z) = 1 / (1 + e^-z)
        g -= y
        g *= scale  # dL/dz = (sigmoid(z) - y) / size
        return value, g.T

    def bce_with_labels(self, out: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """``bce_with_logits`` for targets that are all 0 or 1, in fewer numpy calls.

        With s = 1 - 2 y (+1 for y = 0, -1 for y = 1), each item log(1 + e^z) - z y is
        log(1 + e^(s z)), the same logaddexp as ``bce_with_logits`` computes, and
        dL/dz = (sigmoid(z) - y) / size = s sigmoid(s z) / size = -s expm1(-item) / size,
        because sigmoid(s z) = 1 - e^-item (expm1 keeps the digits of a small item). s and
        -s / size depend on the targets only: they are kept for the last target array seen
        (the trainer passes the same full batch every epoch; its targets never change).
        """
        z = out.T
        _, _, (t, g, scale) = self._arrays[z.shape[1]]
        if self._labels is None or self._labels[0] is not target:
            s = 1 - 2 * target.T  # +1 for y = 0, -1 for y = 1
            self._labels = (target, s, -s * scale)  # (the reference keeps target's id unique)
        _, s, minus_s_scaled = self._labels
        np.multiply(s, z, out=t)
        np.logaddexp(self._zero, t, out=t)  # log(1 + e^(s z)) per item
        value = float(np.add.reduce(t, axis=None)) / t.size
        np.negative(t, out=g)
        np.expm1(g, out=g)  # e^-item - 1 = -sigmoid(s z)
        g *= minus_s_scaled  # dL/dz = s sigmoid(s z) / size
        return value, g.T

    def mse(self, out: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """``MSELoss`` of the last forward's output: mean((out - y)^2), dL/dout = 2 (out - y) /
        size (overwritten by the next call)."""
        z, y = out.T, target.T
        _, _, (_, g, scale) = self._arrays[z.shape[1]]
        np.subtract(z, y, out=g)  # out - y
        value = float(np.vdot(g, g)) / g.size
        g *= scale
        g += g  # 2 (out - y) / size
        return value, g.T


def fused_mlp(model: Layer, optimizer) -> FusedMLP | None:
    """A ``FusedMLP`` for ``model`` if training may take the fast path, else None.

    It may when the model is a plain MLP (``FusedMLP.supports``) and ``optimizer`` is one of
    ours holding its parameters and no others, each b right after its W (so the fused
    backward writes every gradient the optimizer holds, and [W; b] is one block of its flat
    vector). A hand-written optimizer trains through the layers, as a learner would expect.
    """
    if not (FusedMLP.supports(model) and isinstance(optimizer, Optimizer)):
        return None
    if not FusedMLP.lays_out_for(model, optimizer):
        return None
    return FusedMLP(model, optimizer)
