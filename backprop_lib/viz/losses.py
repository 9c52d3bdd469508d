"""Plots for the loss-functions notebook (06): losses against the prediction, and the race of
one sigmoid neuron trained with MSE and with cross-entropy.

- ``plot_losses_vs_probability``: squared error and cross-entropy of one example of class 1
  as functions of the predicted probability p (the intuition picture);
- ``NeuronRacePlot``: the dashboard's panels, updated in place: both runs' loss curves,
  |dL/dw| per epoch, and each loss as a function of the weight with the run's path on it.
"""

from __future__ import annotations

import numpy as np

from ..instruments.neuron import LOSSES, NeuronRun, neuron_loss
from .curves import _set_limits
from .style import SERIES, log_axis, new_figure, style

__all__ = ["LOSS_COLORS", "NeuronRacePlot", "plot_losses_vs_probability"]

#: one colour per loss, used in every panel (vermillion for MSE, blue for cross-entropy)
LOSS_COLORS = {"mse": SERIES[1], "cross_entropy": SERIES[0]}
SHORT = {"mse": "MSE", "cross_entropy": "cross-entropy"}
WRONG_SIDE = "#f3e3d9"  # the weights that classify most points wrong (w < 0)
GRADIENT_DECADES = 6  # the gradient axis reaches this many decades below the steepest slope


def plot_losses_vs_probability(width_px: int = 640, height_px: int = 300):
    """Squared error (1 - p)^2 and cross-entropy -ln p for one example of class 1, vs p."""
    p = np.linspace(1e-3, 1.0, 400)
    fig = new_figure(width_px, height_px)
    with style():
        ax = fig.add_subplot()
        ax.plot(p, (1.0 - p) ** 2, color=LOSS_COLORS["mse"], label="squared error (1 − p)²")
        ax.plot(p, -np.log(p), color=LOSS_COLORS["cross_entropy"], label="cross-entropy −ln p")
        ax.set(xlim=(0, 1), ylim=(0, 5), xlabel="predicted probability p of the true class",
               ylabel="loss of this example")  # fmt: skip
        ax.set_title("How wrong is a prediction? Two answers for a label y = 1")
        ax.legend(loc="upper right")
    return fig


class NeuronRacePlot:
    """Four panels on ``figure``: loss curves, |dL/dw|, and each loss as a function of w.

    Parameters
    ----------
    figure : a Figure (the dashboard's); its grid becomes 2 rows x 3 columns
    X, y : (n, 1) the neuron's data, for the loss-vs-weight curves (drawn once)
    epochs : the x range of the curve panels
    w_range : (low, high), the x range of the loss-vs-weight panels

    Attributes: ``ax_loss``, ``ax_grad``, ``ax_land`` (dict loss -> Axes), ``lines`` (dict
    loss -> Line2D of the loss curve), ``grad_lines``, ``paths`` (the weights visited, on
    the landscape), ``starts`` (the starting point), ``learned`` (vertical lines at the epoch
    each run first gets most points right), ``loss_window`` and ``grad_window`` (the ranges
    the two curve panels always show, from the landscape; see ``update``).
    """

    def __init__(self, figure, X, y, epochs: int, w_range: tuple[float, float] = (-10.0, 10.0)):
        self.epochs = int(epochs)
        self.w_range = (float(w_range[0]), float(w_range[1]))
        with style():
            grid = figure.add_gridspec(2, 3)
            self.ax_loss = figure.add_subplot(grid[:, 0])
            self.ax_grad = figure.add_subplot(grid[:, 1])
            self.ax_land = {
                "mse": figure.add_subplot(grid[0, 2]),
                "cross_entropy": figure.add_subplot(grid[1, 2]),
            }
            self.lines, self.grad_lines, self.learned, self.paths, self.starts = {}, {}, {}, {}, {}
            for loss in LOSSES:
                color = LOSS_COLORS[loss]
                (self.lines[loss],) = self.ax_loss.plot([], [], color=color, label=SHORT[loss])
                (self.grad_lines[loss],) = self.ax_grad.plot([], [], color=color,
                                                             label=SHORT[loss])  # fmt: skip
                for ax in (self.ax_loss, self.ax_grad):
                    self.learned[loss, ax] = ax.axvline(0, color=color, ls=":", lw=1.3)
            for ax in (self.ax_loss, self.ax_grad):
                log_axis(ax)
                ax.set(xlim=(0, self.epochs), xlabel="epoch")
            self.ax_loss.set(ylabel="training loss (own units)")
            self.ax_loss.set_title("loss curves")
            self.ax_loss.plot([], [], color="0.35", ls=":", lw=1.3, label="most points right")
            self.ax_loss.legend(loc="best")
            self.ax_grad.set(ylabel="|∂L/∂w|")
            self.ax_grad.set_title("the gradient that reaches w")
            self._build_landscape(X, y)

    def _build_landscape(self, X, y) -> None:
        self.X, self.y = X, y
        ws = np.linspace(*self.w_range, 401)
        lows, highs, slopes = [], [], []
        for loss, ax in self.ax_land.items():
            curve = neuron_loss(loss, ws, X, y)
            lows.append(float(curve.min()))
            highs.append(float(curve.max()))
            slopes.append(float(np.abs(np.gradient(curve, ws)).max()))
            ax.axvspan(self.w_range[0], 0.0, color=WRONG_SIDE, lw=0)
            ax.plot(ws, curve, color="0.45", lw=1.4)
            (self.paths[loss],) = ax.plot([], [], "o", ms=3, color=LOSS_COLORS[loss], alpha=0.6)
            (self.starts[loss],) = ax.plot([], [], "o", ms=7, mfc="white",
                                           mec=LOSS_COLORS[loss], mew=2)  # fmt: skip
            top = float(curve.max())
            ax.set(xlim=self.w_range, ylim=(0, 1.08 * top), ylabel=SHORT[loss])
        self.ax_land["mse"].set_title("loss as a function of w")
        self.ax_land["mse"].text(
            0.03,
            0.2,
            "w < 0:\nmost points\nwrong",
            fontsize=8.5,
            color="0.3",
            transform=self.ax_land["mse"].transAxes,
        )
        self.ax_land["mse"].tick_params(labelbottom=False)
        self.ax_land["cross_entropy"].set(xlabel="weight w")
        # every loss either run can start from (or reach) inside w_range, and the gradients
        # from the steepest slope there down GRADIENT_DECADES decades
        self.loss_window = np.array([min(lows), max(highs)])
        steepest = max(slopes)
        self.grad_window = np.array([steepest * 10.0**-GRADIENT_DECADES, steepest])

    def update(self, runs: dict[str, NeuronRun]) -> None:
        """Move every artist to show ``runs`` (one NeuronRun per loss).

        The two curve panels' log axes hold ``loss_window`` and ``grad_window`` and snap
        outward to half-decades (``viz.curves._set_limits``), so moving a slider leaves them
        still and only the lines move; a value outside the windows (a run that leaves
        ``w_range``, a gradient even smaller, a diverged run) widens them, never drops out.
        """
        losses, grads = [self.loss_window], [self.grad_window]
        for loss, run in runs.items():
            t = np.arange(len(run.losses))
            self.lines[loss].set_data(t, run.losses)
            g = np.abs(run.grads)
            self.grad_lines[loss].set_data(t, g)
            losses.append(np.asarray(run.losses, dtype=float))
            grads.append(g)
            epoch = run.learned_epoch
            for ax in (self.ax_loss, self.ax_grad):
                line = self.learned[loss, ax]
                line.set_visible(epoch is not None)
                line.set_xdata([epoch or 0, epoch or 0])
            visited = run.weights  # (epochs + 1,), on the curve at their own loss
            heights = neuron_loss(loss, visited, self.X, self.y)
            self.paths[loss].set_data(visited, heights)
            self.starts[loss].set_data(visited[:1], heights[:1])
        for ax, series in ((self.ax_loss, losses), (self.ax_grad, grads)):
            shown = [s[np.isfinite(s) & (s > 0)] for s in series]  # what a log axis can show
            _set_limits(ax, shown, self.epochs, log=True, cap=None)
            ax.set_xlim(0, self.epochs)  # epoch 0 is the start: no half-epoch margin

    def moving_artists(self) -> list:
        """What ``update`` changes: the curves, the dotted "most points right" lines, the
        landscape's paths and starts, and the loss panel's legend (placed where the curves
        leave room). The axes hold still (see ``update``); for a dashboard's
        ``moving_artists``, see ``widgets.base``."""
        return [
            *self.lines.values(), *self.grad_lines.values(), *self.learned.values(),
            *self.paths.values(), *self.starts.values(), self.ax_loss.get_legend(),
        ]  # fmt: skip
