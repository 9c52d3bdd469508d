"""LossComparison: one sigmoid neuron, started confidently wrong, trained with MSE and with
cross-entropy side by side.

The model p = sigmoid(w x) with one weight (``instruments.neuron``), on 1-D data of two
overlapping classes. Sliders set the starting weight w0 (far below 0: every point confidently
on the wrong side) and the learning rate; each change re-trains both runs with ``fit``
(full-batch SGD) and redraws four panels: the loss curves, |dL/dw| per epoch, and each loss
as a function of w with the weights the run visited. The status line says after how many
epochs each run first gets most points right. Used by the loss-functions notebook (06).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..checks import check_number
from ..instruments.neuron import LOSSES, NeuronRun, neuron_data, train_neuron
from ..viz.losses import SHORT, NeuronRacePlot
from .base import Dashboard

__all__ = ["LossComparison", "speed_summary"]


def speed_summary(runs: dict[str, NeuronRun]) -> str:
    """One line: after how many epochs each run first gets most points right, and the ratio.

    E.g. "most points right after: cross-entropy 6 epochs, MSE 175 epochs (29x as many)".
    A run that never gets there reads "not within N epochs"; a start already on the right
    side (epoch 0 for both) says so.
    """
    ce, mse = runs["cross_entropy"], runs["mse"]
    if ce.learned_epoch == 0 and mse.learned_epoch == 0:
        return "w0 > 0: both runs start with most points right (nothing to unlearn)"

    def when(run: NeuronRun) -> str:
        e = run.learned_epoch
        if e is None:
            return f"not within {len(run.losses)} epochs"
        return f"{e} epoch" + ("" if e == 1 else "s")

    text = f"most points right after: {SHORT['cross_entropy']} {when(ce)}, MSE {when(mse)}"
    if ce.learned_epoch and mse.learned_epoch:
        text += f" ({mse.learned_epoch / ce.learned_epoch:.0f}× as many)"
    return text


class LossComparison(Dashboard):
    """MSE against cross-entropy on one sigmoid neuron: sliders for w0 and the learning rate.

    Parameters
    ----------
    w0 : float, starting weight (default -6: confidently wrong), in ``w_range``
    lr : float, learning rate of full-batch SGD, in ``lr_range``
    epochs : int, epochs per run
    n, spread, seed : the data (``neuron_data``)
    w_range : (low, high), the starting-weight slider's range and the landscape's x range
    lr_range : (low, high), the learning-rate slider's range (log scale)
    threaded : see ``Dashboard``

    Controls: ``w0`` (FloatSlider), ``lr`` (FloatLogSlider, class ``bp-main-control``).
    State: ``X``, ``y`` (n, 1); ``runs`` (dict "mse" / "cross_entropy" -> NeuronRun);
    ``plot`` (the ``NeuronRacePlot``).
    """

    def __init__(
        self,
        w0: float = -6.0,
        lr: float = 1.0,
        epochs: int = 200,
        n: int = 40,
        spread: float = 1.0,
        seed: int = 0,
        w_range: tuple[float, float] = (-10.0, 10.0),
        lr_range: tuple[float, float] = (0.01, 10.0),
        threaded=None,
    ):
        w0 = check_number(w0, "w0 (the starting weight)", -6.0)
        lr = check_number(lr, "lr", 1.0)
        low, high = float(w_range[0]), float(w_range[1])
        if not low < 0 < high:
            raise ValueError(f"w_range must be (low, high) with low < 0 < high, got {w_range}")
        if not low <= w0 <= high:
            raise ValueError(f"w0 must be in w_range {w_range}, got {w0}")
        lr_low, lr_high = float(lr_range[0]), float(lr_range[1])
        if not 0 < lr_low < lr_high:
            raise ValueError(f"lr_range must be (low, high) with 0 < low < high, got {lr_range}")
        if not lr_low <= lr <= lr_high:
            raise ValueError(f"lr must be in lr_range {lr_range}, got {lr}")
        self.X, self.y = neuron_data(n, spread, rng=seed)
        self.epochs = int(epochs)
        train_neuron("mse", w0, lr, self.epochs, self.X, self.y)  # checks epochs, lr up front
        super().__init__(width_px=1000, height_px=360, threaded=threaded)
        self.w0 = self.add_control("w0", widgets.FloatSlider(
            value=w0, min=low, max=high, step=0.5, description="starting weight w₀",
            readout_format=".1f", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"),
        ))  # fmt: skip
        # the learning rate is the main control (the one the browser test moves): that test
        # types the readout's own text back, and w0's negative readout, "−6.0" with d3's
        # U+2212 minus sign, was not taken back by the slider (it stayed at −5.5)
        self.lr = self.add_control("lr", widgets.FloatLogSlider(
            value=lr, min=np.log10(lr_low), max=np.log10(lr_high), step=0.05,
            description="learning rate", readout_format=".3g", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"),
        ), main=True)  # fmt: skip
        self.layout(widgets.HBox([self.w0, self.lr]))
        self.plot = NeuronRacePlot(self.figure, self.X, self.y, self.epochs, (low, high))
        self.runs: dict[str, NeuronRun] = {}
        self.refresh()

    def compute(self, stale) -> bool:
        w0, lr = float(self.w0.value), float(self.lr.value)
        runs = {}
        for loss in LOSSES:
            if stale():
                return False
            runs[loss] = train_neuron(loss, w0, lr, self.epochs, self.X, self.y)
        self.runs = runs
        return True

    def draw(self) -> None:
        self.plot.update(self.runs)
        diverged = [SHORT[k] for k, r in self.runs.items() if r.diverged]
        text = speed_summary(self.runs)
        if diverged:
            text += f"; diverged: {', '.join(diverged)}"
        self.set_status(text)

    def moving_artists(self) -> list:
        return self.plot.moving_artists()
