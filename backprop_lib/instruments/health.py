"""Gradient health: the per-layer numbers ``History`` records every epoch.

What a learner reads in them (the vanishing-gradients and initialization chapters plot them):

- ``grad_norms``: ||dL/dW||_2 per weight at the epoch's last step. Shrinking layer by layer
  towards the input means vanishing gradients; growing means exploding ones.
- ``update_ratios``: ||W_after - W_before||_2 / ||W_before||_2 of that step, how much one step
  changes a weight relative to its size. A rule of thumb (CS231n's): around 1e-3 is healthy;
  1e-6 barely learns, 1e-1 thrashes.
- ``saturation``: per activation layer, on the last batch, the share of saturated values
  (|tanh| > 0.97; sigmoid outside [0.03, 0.97]: their derivative is below 0.06 and 0.03) or,
  for ReLU and LeakyReLU, the share of units off for every example (dead for this batch).

``LayerHealth`` measures them for ``training.Trainer``, one weight at a time, from what the
layers themselves hold: each weight's ``.grad`` and ``.data``, and each activation layer's
``output``.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.layers import Layer
from ..nn.parameter import Parameter

__all__ = ["LayerHealth"]


class LayerHealth:
    """Records gradient norms, update ratios and saturation into a ``History``.

    ``keep()`` saves dL/dW and W just before the epoch's last optimizer step; ``record()``,
    just after it, appends one number per weight to ``grad_norms`` and ``update_ratios`` and
    one per activation layer (Tanh, Sigmoid, ReLU, LeakyReLU) to ``saturation``.

    Parameters
    ----------
    weights : list of (name, Parameter)
        The weights to measure, e.g. ``[("0.W", W0), ("2.W", W2)]``.
    model : Layer
        Where the activation layers are found (named like "1.Tanh").
    history : History
        Gets an empty list for every weight and activation layer, appended to by ``record``.
    """

    KINDS = (Tanh, Sigmoid, ReLU, LeakyReLU)

    def __init__(self, weights: list[tuple[str, Parameter]], model: Layer, history):
        self.weights, self.history = weights, history
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
        self._before = [(None, None)] * len(weights)  # (dL/dW, W) per weight, from keep()

    def keep(self) -> None:
        """Save dL/dW and W as they are just before the epoch's last step."""
        self._before = [(p.grad.copy(), p.data.copy()) for _, p in self.weights]

    def record(self, stepped: bool) -> bool:
        """Append the epoch's statistics; False if the step overflowed (NaN or inf).

        ``stepped`` is False when the epoch stopped before its last step (a diverged loss):
        the step statistics are then NaN.
        """
        h, finite = self.history, stepped
        for (name, p), (grad, before) in zip(self.weights, self._before, strict=True):
            if not stepped:
                h.grad_norms[name].append(math.nan)
                h.update_ratios[name].append(math.nan)
                continue
            grad_norm = math.sqrt(np.vdot(grad, grad))  # ||dL/dW||
            change = math.sqrt(np.vdot(p.data - before, p.data - before))  # ||W_after - W_before||
            size = math.sqrt(np.vdot(before, before))  # ||W_before||
            h.grad_norms[name].append(grad_norm)
            h.update_ratios[name].append(change / size if size > 0 else math.inf)
            finite = finite and math.isfinite(grad_norm + change)
        for name, layer in self.probes:
            h.saturation[name].append(saturation(layer))
        return finite


def saturation(layer: Layer) -> float:
    """The saturated (Tanh, Sigmoid) or dead (ReLU, LeakyReLU) share of a layer's last output.

    NaN before the layer's first forward. See the module docstring for the thresholds.
    """
    y = layer.output
    if y is None:
        return math.nan
    if isinstance(layer, Tanh):
        return np.count_nonzero(np.abs(y) > 0.97) / y.size
    if isinstance(layer, Sigmoid):
        return np.count_nonzero(np.abs(y - 0.5) > 0.47) / y.size  # outside [0.03, 0.97]
    alive = (y > 0).any(axis=0)  # ReLU family: a unit is dead if off for every example
    return 1.0 - np.count_nonzero(alive) / alive.size
