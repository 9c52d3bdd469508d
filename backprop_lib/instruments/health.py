"""Gradient health: the per-layer numbers ``History`` records every epoch.

What a learner reads in them (the vanishing-gradients and initialization chapters plot them):

- ``grad_norms``: ||dL/dW||_2 per weight at the epoch's last step. Shrinking layer by layer
  towards the input means vanishing gradients; growing means exploding ones.
- ``update_ratios``: ||W_after - W_before||_2 / ||W_before||_2 of that step, how much one step
  changes a weight relative to its size (around 1e-3 is healthy; 1e-6 barely learns, 1e-1
  thrashes).
- ``saturation``: per activation layer, on the last batch, the share of saturated values
  (|tanh| > 0.97; sigmoid outside [0.03, 0.97]: their derivative is nearly 0) or, for ReLU
  and LeakyReLU, the share of units off for every example (dead for this batch).

``LayerHealth`` measures them for ``training.Trainer`` in about a dozen numpy calls an epoch:
with one of our optimizers, every sum of squares comes from its flat vectors in one
``np.add.reduceat``. Next to a large network's training that is nothing; on the dashboards'
2-16-16-1 network, trained in about thirty numpy calls an epoch, it adds about 40%, which is
why a dashboard without a health panel trains with ``record_health=False``.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.layers import Layer
from ..nn.parameter import Parameter
from ..optim.optimizers import Optimizer

__all__ = ["LayerHealth"]


class LayerHealth:
    """Records gradient norms, update ratios and saturation into a ``History``.

    ``keep()`` saves dL/dW and W just before the epoch's last optimizer step; ``record()``,
    just after it, appends one number per weight to ``grad_norms`` and ``update_ratios`` and
    one per activation layer (Tanh, Sigmoid, ReLU, LeakyReLU) to ``saturation``, read from
    the layer's cache or from the ``FusedMLP`` that ran the forward pass.

    With one of our optimizers holding every weight, ``keep`` copies its flat gradient and
    data vectors and ``record`` gets the three sums of squares of every weight (gradient,
    change, weight before) from one ``np.add.reduceat`` over the squares of all three; with
    any other optimizer, one weight at a time (the same numbers).

    Parameters
    ----------
    weights : list of (name, Parameter)
        The weights to measure, e.g. ``[("0.W", W0), ("2.W", W2)]``.
    model : Layer
        Where the activation layers are found (named like "1.Tanh").
    optimizer : Optimizer or any object with ``step``
    history : History
        Gets an empty list for every weight and activation layer, appended to by ``record``.
    """

    KINDS = (Tanh, Sigmoid, ReLU, LeakyReLU)

    def __init__(self, weights: list[tuple[str, Parameter]], model: Layer, optimizer, history):
        self.weights, self.optimizer, self.history = weights, optimizer, history
        self.names = [name for name, _ in weights]
        self.probes = [
            (f"{name}.{type(m).__name__}" if name else type(m).__name__, m)
            for name, m in model.named_modules()
            if isinstance(m, self.KINDS)
        ]
        for name, _ in weights:
            history.grad_norms[name] = []
            history.update_ratios[name] = []
        for name, _ in self.probes:
            history.saturation[name] = []
        held = {id(p) for p in optimizer.params} if isinstance(optimizer, Optimizer) else set()
        self._flat = bool(weights) and {id(p) for _, p in weights} <= held
        self._buf = None  # flat: rows grad, change, weight before; (3, P)
        self._bounds = None  # flat: where each weight starts and ends in _buf, flattened
        self._rank: list[int] = []  # flat: each weight's place among the slices, by position
        self._offsets = None  # the optimizer's offsets that _bounds was made for
        self._before: list[tuple[np.ndarray, np.ndarray]] = []  # not flat: per weight
        self._scratch: dict[int, np.ndarray] = {}  # per probe: |output| (Tanh, Sigmoid)

    def keep(self) -> None:
        """Save dL/dW and W as they are just before the epoch's last step."""
        opt = self.optimizer
        if not self._flat:
            self._before = [(p.grad.copy(), p.data.copy()) for _, p in self.weights]
            return
        if self._offsets is not opt.offsets:  # first call, or the optimizer laid out anew
            self._lay_out()
        np.copyto(self._buf[0], opt.grad)
        np.copyto(self._buf[2], opt.data)

    def _lay_out(self) -> None:
        opt = self.optimizer
        size = opt.data.size
        self._buf = np.empty((3, size), dtype=opt.data.dtype)
        index = {id(p): i for i, p in enumerate(opt.params)}
        starts = [int(opt.offsets[index[id(p)]]) for _, p in self.weights]
        order = sorted(range(len(starts)), key=starts.__getitem__)  # as laid out in the vector
        bounds = []  # each weight's [start, end) in each row of the flattened buffer, in order
        for row in range(3):
            for i in order:
                start = row * size + starts[i]
                bounds += [start, start + self.weights[i][1].data.size]
        if bounds[-1] == 3 * size:  # reduceat's last slice runs to the end anyway
            bounds.pop()
        self._bounds = np.array(bounds)
        self._rank = [order.index(i) for i in range(len(order))]  # weight i's place in order
        self._offsets = opt.offsets

    def record(self, stepped: bool, fused=None) -> bool:
        """Append the epoch's statistics; False if the step overflowed (NaN or inf).

        ``stepped`` is False when the epoch stopped before its last step (a diverged loss):
        the step statistics are then NaN. ``fused`` is the ``fastpath.FusedMLP`` that ran
        the last forward, or None if the layers did.
        """
        h = self.history
        if stepped:
            g2, d2, w2 = self._sums_of_squares()  # one number per weight
            for name, g, d, w in zip(self.names, g2, d2, w2, strict=True):
                h.grad_norms[name].append(math.sqrt(g))  # ||dL/dW||
                h.update_ratios[name].append(math.sqrt(d / w) if w > 0 else math.inf)
            finite = math.isfinite(sum(g2) + sum(d2))  # sums of squares: inf or NaN if any is
        else:
            finite = False
            for name in self.names:
                h.grad_norms[name].append(math.nan)
                h.update_ratios[name].append(math.nan)
        for k, (name, layer) in enumerate(self.probes):
            output = layer._cache if fused is None else fused.output_of(layer)
            h.saturation[name].append(self._saturation(k, layer, output))
        return finite

    def _sums_of_squares(self) -> tuple[list, list, list]:
        """Per weight: sum(g^2), sum((W_after - W_before)^2) and sum(W_before^2)."""
        if not self._flat:
            g2, d2, w2 = [], [], []
            for (_, p), (g, w) in zip(self.weights, self._before, strict=True):
                g2.append(float(np.vdot(g, g)))
                d2.append(float(np.vdot(p.data - w, p.data - w)))
                w2.append(float(np.vdot(w, w)))
            return g2, d2, w2
        buf, n = self._buf, len(self.weights)
        np.subtract(self.optimizer.data, buf[2], out=buf[1])  # the step's change of every value
        np.square(buf, out=buf)
        # the sum over each weight's slice, and over each gap between them (every other one)
        sums = np.add.reduceat(buf.reshape(-1), self._bounds).tolist()
        rows = sums[0 : 2 * n : 2], sums[2 * n : 4 * n : 2], sums[4 * n :: 2]
        return tuple([row[k] for k in self._rank] for row in rows)

    def _saturation(self, k: int, layer: Layer, output: np.ndarray | None) -> float:
        """The saturated share of an activation layer's last output (see the module text).

        ``output`` is what the layer keeps from its last forward: its output (LeakyReLU: its
        input, which has the same sign).
        """
        if output is None:
            return math.nan
        if not isinstance(layer, (Tanh, Sigmoid)):  # ReLU family: dead if off for every example
            alive = (output > 0).any(axis=0)
            return 1.0 - np.count_nonzero(alive) / alive.size
        s = self._scratch.get(k)
        if s is None or s.shape != output.shape or s.dtype != output.dtype:
            s = self._scratch[k] = np.empty_like(output)  # the output's memory order, too
        if isinstance(layer, Tanh):  # |tanh| > 0.97
            np.abs(output, out=s)
            return np.count_nonzero(s > 0.97) / s.size
        np.subtract(output, 0.5, out=s)  # sigmoid outside [0.03, 0.97]:
        np.abs(s, out=s)  # |sigmoid - 0.5| > 0.47
        return np.count_nonzero(s > 0.47) / s.size
