"""Plots for overfitting and regularisation: the losses on a train/test split, the boundary
with the training and test points told apart, and the distribution of the weights.

- ``SplitLossCurves(ax)``: per epoch, the training *data* loss (solid), the test loss (dashed)
  and the weight penalty (dotted), each a line of its own (the objective the optimizer
  minimises is the first plus the third), with the epoch of the lowest test loss marked;
- ``SplitBoundary(ax, ...)``: a ``DecisionBoundary`` whose training points are filled and
  whose test points are hollow rings, as in TensorFlow Playground;
- ``WeightHistogram(ax)``: a histogram of the weights' sizes |w| (log-spaced bins), redrawn
  in place;
- ``plot_split_losses``, ``plot_split_boundary``, ``plot_weight_distributions``: the same as
  figures, for notebook cells.

Each class's ``update(...)`` moves its artists in place (the dashboards' way). Used by
notebooks/10_regularization.ipynb and ``widgets.regularization.RegularizationExplorer``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .boundary import DecisionBoundary
from .curves import _set_limits
from .param_slice import _round_step
from .style import CLASS_COLORS, SERIES, PlotFigure, log_axis, new_figure, style

__all__ = [
    "weight_values",
    "best_epoch",
    "SplitLossCurves",
    "SplitBoundary",
    "WeightHistogram",
    "plot_split_losses",
    "plot_split_boundary",
    "plot_weight_distributions",
]

TRAIN_COLOR, TEST_COLOR, PENALTY_COLOR = SERIES[0], SERIES[1], SERIES[2]
#: the loss axis of ``SplitLossCurves`` spans at least this: from the training loss of a
#: network that memorised its points (about 2e-4 in the explorer) to a test loss of a
#: confidently wrong one (a few nats)
LOSS_RANGE = (1e-4, 10.0)


def weight_values(model) -> np.ndarray:
    """Every entry of every weight matrix (parameters named "...W"), as one float64 vector.

    These are the entries a penalty acts on (biases are left alone, as in ``Trainer``).
    Returns shape (number of weights,).
    """
    arrays = [p.data.ravel() for name, p in model.named_parameters() if name.endswith("W")]
    if not arrays:
        raise ValueError("the model has no weight matrices (no parameter named '...W')")
    return np.concatenate(arrays).astype(np.float64)


def best_epoch(val_loss) -> int | None:
    """The epoch (numbered from 1) with the lowest finite validation loss; None if none.

    The first such epoch on a tie: what ``training.EarlyStopping`` keeps with
    ``min_delta=0`` when it runs long enough (an epoch counts as better only if strictly lower).
    """
    v = np.asarray(val_loss, dtype=float).reshape(-1)
    finite = np.isfinite(v)
    if not finite.any():
        return None
    return int(np.argmin(np.where(finite, v, np.inf))) + 1


def _series(values) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(values, dtype=float).reshape(-1)
    x = np.arange(1, len(y) + 1, dtype=float)
    ok = np.isfinite(y) & (y > 0)  # a log axis shows positive values only
    return x[ok], y[ok]


class SplitLossCurves:
    """Training data loss, test loss and penalty per epoch, on a log axis, updated in place.

    The training curve is the *data* loss (``History.data_loss``), measured as training saw
    it (with dropout's masks on); the test curve (``History.val_loss``) is the data loss of
    the model in eval mode on held-out points. Both are in the same unit, so the gap between
    them is the overfitting. The penalty (``History.penalty``, lambda * R(W)) is drawn apart;
    the optimizer minimises data loss + penalty. A grey line marks the epoch of the lowest
    test loss, the one early stopping would give back. The loss axis spans at least
    ``LOSS_RANGE``, snapped out to half-decades for a value beyond it: it holds still from
    one run to the next (runs compare by position; a dashboard redraws only the lines).

    Parameters
    ----------
    ax : Axes
    ylabel : the loss's name and unit, e.g. "loss (cross-entropy, nats)"
    """

    def __init__(self, ax: Axes, ylabel: str = "loss (cross-entropy, nats)"):
        self.ax = ax
        with style():
            (self.train_line,) = ax.plot([], [], color=TRAIN_COLOR, label="training data loss")
            (self.test_line,) = ax.plot([], [], color=TEST_COLOR, ls="--", label="test loss")
            (self.penalty_line,) = ax.plot(
                [], [], color=PENALTY_COLOR, ls=":", lw=2.2, label="penalty λ·R(W)"
            )
            self.best_line = ax.axvline(np.nan, color="0.45", lw=1.0, zorder=1)
            (self.best_dot,) = ax.plot([], [], "o", color=TEST_COLOR, ms=6, mec="white", zorder=4)
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            log_axis(ax)
            ax.set_autoscale_on(False)
            self.legend = ax.legend(loc="best", ncols=1)  # placed clear of the lines

    def update(self, history, epochs: int | None = None) -> int | None:
        """Move the lines to ``history``; ``epochs`` fixes the x-axis. Returns the best epoch."""
        series = []
        for line, values in (
            (self.train_line, history.data_loss),
            (self.test_line, history.val_loss),
            (self.penalty_line, history.penalty),
        ):
            x, y = _series(values)
            line.set_data(x, y)
            series.append(y)
        self.legend.get_texts()[2].set_text(
            "penalty λ·R(W)" if len(history.penalty) else "penalty λ·R(W): none"
        )
        best = best_epoch(history.val_loss)
        if best is None:
            self.best_line.set_xdata([np.nan, np.nan])
            self.best_dot.set_data([], [])
        else:
            self.best_line.set_xdata([best, best])
            self.best_dot.set_data([best], [history.val_loss[best - 1]])
        n = epochs if epochs is not None else len(history.data_loss)
        # at least LOSS_RANGE, snapped out to half-decades beyond it (viz.curves._set_limits):
        # the axes hold still, so runs compare by position, and every value stays in view
        _set_limits(self.ax, series, n, log=True, cap=None)
        lo, hi = self.ax.get_ylim()
        self.ax.set_ylim(min(lo, LOSS_RANGE[0]), max(hi, LOSS_RANGE[1]))
        return best

    def moving_artists(self) -> list:
        """What ``update`` changes: the lines, the best epoch's mark and the legend (placed
        clear of the lines, and its penalty entry says when there is none). The limits snap
        (``viz.curves._set_limits``), so most updates leave the axes alone; when they do
        move, the base class sees it and redraws in full (see ``widgets.base``)."""
        return [self.train_line, self.test_line, self.penalty_line, self.best_line,
                self.best_dot, self.legend]  # fmt: skip


class SplitBoundary(DecisionBoundary):
    """A decision boundary over the training and the test points together (one grid covers
    both); training points filled, test points hollow rings in their class's colour.

    Parameters
    ----------
    ax : Axes
    X_train, y_train, X_test, y_test : (n, 2) inputs and (n,) or (n, 1) integer labels
    resolution : grid points per side
    legend : a legend of the two kinds of points (lower left); without it, say in the title
        which is which (a legend over the surface is drawn again with it on every update)
    """

    def __init__(self, ax: Axes, X_train, y_train, X_test, y_test, resolution: int = 100,
                 legend: bool = True):  # fmt: skip
        with style():
            self.test_points = ax.scatter(
                [], [], s=18, facecolors="none", linewidths=1.1, alpha=0.8, zorder=3
            )  # fmt: skip
        super().__init__(ax, X_train, y_train, resolution)
        self.points.set_sizes([34])  # training points: larger, filled, outlined in black
        self.points.set_edgecolors("0.1")
        self.points.set_linewidths(0.8)
        self.points.set_zorder(4)
        self.set_split(X_train, y_train, X_test, y_test)
        self.legend = None
        if not legend:
            return
        with style():
            handles = [
                Line2D([], [], ls="", marker="o", ms=6, color="0.55", mec="0.1", label="training"),
                Line2D([], [], ls="", marker="o", ms=6, mfc="none", color="0.35", label="test"),
            ]  # fmt: skip
            self.legend = ax.legend(handles=handles, loc="lower left", ncols=2, fontsize=8.5)

    def set_split(self, X_train, y_train, X_test, y_test) -> None:
        """Replace both sets of points (and the grid, which covers them all)."""
        X_train, X_test = np.asarray(X_train, float), np.asarray(X_test, float)
        y_train = np.asarray(y_train).reshape(-1).astype(int)
        y_test = np.asarray(y_test).reshape(-1).astype(int)
        self.set_data(np.vstack([X_train, X_test]), np.concatenate([y_train, y_test]))
        self.points.set_offsets(X_train)
        self.points.set_facecolors([CLASS_COLORS[c % len(CLASS_COLORS)] for c in y_train])
        self.test_points.set_offsets(X_test)
        self.test_points.set_edgecolors([CLASS_COLORS[c % len(CLASS_COLORS)] for c in y_test])
        self.X_train, self.y_train, self.X_test, self.y_test = X_train, y_train, X_test, y_test

    def moving_artists(self) -> list:
        """What ``update`` and ``set_split`` change: the surface, the boundary and both sets
        of points (a new split moves points from one set to the other; the grid and the
        limits cover all of them and stay put). See ``widgets.base``."""
        return [*super().moving_artists(), self.points, self.test_points]


class WeightHistogram:
    """How large the weights of a model are: a histogram of |w| over every weight-matrix entry
    (``weight_values``), on log-spaced bins, redrawn in place.

    A log axis for |w| shows what a linear histogram hides: an L2 penalty shifts the whole
    distribution towards 0, while an L1 penalty splits it into a heap of weights at about 0
    (below ``near``, marked by a dashed line) and a few large ones. The bins are fixed,
    ``bins`` of them from ``low`` to ``high``; smaller magnitudes (and exact zeros) fall into
    the first bin, larger ones into the last. The y-axis is the share of the weights per bin.
    ``share_near_zero`` is the share with |w| < ``near`` after each ``update``.
    """

    def __init__(self, ax: Axes, bins: int = 48, low: float = 1e-5, high: float = 10.0,
                 near: float = 0.01):  # fmt: skip
        self.ax, self.near = ax, float(near)
        self.edges = np.geomspace(low, high, int(bins) + 1)
        with style():
            self.stairs = ax.stairs(np.zeros(int(bins)), self.edges, fill=True, color=SERIES[0],
                                    alpha=0.85)  # fmt: skip
            self.near_line = ax.axvline(self.near, color="0.3", ls="--", lw=1.0)
            log_axis(ax, "x")
            ax.set_xlabel("|w|, size of a weight (log scale)")
            ax.set_ylabel("share of the weights")
            ax.set_xlim(low, high)
            ax.set_autoscale_on(False)
        self.share_near_zero = float("nan")

    def update(self, model_or_values) -> np.ndarray:
        """Redraw for a model (or a vector of weights); returns the bin shares (bins,)."""
        values = model_or_values
        if hasattr(model_or_values, "named_parameters"):
            values = weight_values(model_or_values)
        w = np.abs(np.asarray(values, dtype=float).reshape(-1))
        w = w[np.isfinite(w)]
        clipped = np.clip(w, self.edges[0], self.edges[-1] * (1 - 1e-12))
        counts, _ = np.histogram(clipped, bins=self.edges)
        shares = counts / max(len(w), 1)
        self.stairs.set_data(shares, self.edges)
        # the top snaps out to 0.05, 0.1, 0.2, 0.25, 0.5 or 1: it holds still while the bars
        # move below it, and the tallest bar keeps a margin of at least 12% (a bar above 0.89
        # gets exactly 12%, not a top of 2)
        top = max(float(shares.max()) * 1.12, 0.05)
        self.ax.set_ylim(0.0, _round_step(top) if top <= 1.0 else top)
        self.share_near_zero = float(np.mean(w < self.near)) if len(w) else float("nan")
        return shares

    def moving_artists(self) -> list:
        """What ``update`` changes: the bars (the top of the axis snaps to round shares, so
        it seldom moves; when it does, the base class redraws in full; see ``widgets.base``)."""
        return [self.stairs]


def plot_split_losses(history, title: str | None = None, ax: Axes | None = None) -> PlotFigure:
    """``SplitLossCurves`` of one run as a figure (training data loss, test loss, penalty)."""
    if ax is None:
        fig = new_figure(640, 340)
        ax = fig.add_subplot()
    curves = SplitLossCurves(ax)
    best = curves.update(history)
    with style():
        if title is None and best is not None:
            title = f"lowest test loss at epoch {best}"
        if title:
            ax.set_title(title)
    return ax.figure


def plot_split_boundary(
    model, X_train, y_train, X_test, y_test, title: str | None = None, ax: Axes | None = None
) -> PlotFigure:
    """The model's decision regions with training points filled and test points hollow."""
    if ax is None:
        fig = new_figure(440, 400)
        ax = fig.add_subplot()
    SplitBoundary(ax, X_train, y_train, X_test, y_test, resolution=150).update(model)
    if title:
        with style():
            ax.set_title(title)
    return ax.figure


def plot_weight_distributions(models: Mapping[str, object], near: float = 0.01) -> PlotFigure:
    """One ``WeightHistogram`` (of |w|, log-spaced) per model, side by side on shared axes,
    e.g. no penalty, L2, L1. Each panel's title gives the share of weights within ``near`` of
    0 and the largest |w|.
    """
    if not models:
        raise ValueError("pass at least one model, e.g. {'no penalty': model}")
    values = {label: weight_values(m) for label, m in models.items()}
    fig = new_figure(min(1000, 300 * len(models) + 60), 300)
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True))
    top = 0.0
    with style():
        for ax, (label, w) in zip(axes, values.items(), strict=True):
            hist = WeightHistogram(ax, near=near)
            top = max(top, float(hist.update(w).max()))
            ax.set_title(
                f"{label}\n{hist.share_near_zero:.0%} within {near:g} of 0, "
                f"max |w| {np.abs(w).max():.2f}",
                fontsize=10,
            )
            if ax is not axes[0]:
                ax.set_ylabel("")
    axes[0].set_ylim(0.0, top * 1.12)  # shared: the tallest bar of all the panels fits
    return fig
