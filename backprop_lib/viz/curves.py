"""Training curves: loss per epoch (training and validation), one run or several overlaid.

``plot_loss(history)`` returns a figure; ``LossCurves(ax)`` / ``RaceCurves(ax, labels)`` hold
their artists and ``update(history)`` moves them in place, which is what the dashboards use.
``loss_label`` names the loss axis after the loss (cross-entropy in nats, mean squared error).
A diverged run (loss NaN/inf) is drawn up to its last finite value, marked with a cross and
labelled with ``diverged_message``. Used by the training-loop, learning-rate and optimizer
notebooks.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from ..nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .style import DIVERGED, SERIES, PlotFigure, log_axis, new_figure, style

__all__ = [
    "diverged_message",
    "loss_label",
    "LossCurves",
    "RaceCurves",
    "snapped_log_limits",
    "plot_loss",
    "plot_race",
]

_CROSS_ENTROPY = "loss (cross-entropy, nats)"


def diverged_message(history) -> str | None:
    """``"diverged at epoch 12: ..."`` for a diverged run, else None.

    Reads ``history.diverged`` and ``history.diverged_epoch`` (the epoch reported by training).
    """
    if not getattr(history, "diverged", False):
        return None
    epoch = getattr(history, "diverged_epoch", None)
    where = f" at epoch {epoch}" if epoch is not None else ""
    return f"diverged{where}: the learning rate is above what this loss surface allows"


def loss_label(loss=None, history=None) -> str:
    """The loss axis label: what the loss is, with its unit.

    From ``loss`` when given: ``MSELoss`` -> "loss (mean squared error)"; ``BCELoss``,
    ``BCEWithLogitsLoss``, ``CrossEntropyLoss`` -> "loss (cross-entropy, nats)". Otherwise from
    ``history``: training records accuracy only for those classification losses, so a History
    with accuracies gets the cross-entropy label. Anything else: plain "loss".
    """
    if isinstance(loss, MSELoss):
        return "loss (mean squared error)"
    if isinstance(loss, (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss)):
        return _CROSS_ENTROPY
    if loss is None and getattr(history, "accuracy", None):
        return _CROSS_ENTROPY
    return "loss"


def _finite(values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers (1, 2, ...) and values of the finite entries. Shapes (k,), (k,)."""
    y = np.asarray(values, dtype=float).reshape(-1)
    x = np.arange(1, len(y) + 1, dtype=float)
    ok = np.isfinite(y)
    return x[ok], y[ok]


_NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _nice_above(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at
    least ``value`` (> 0)."""
    scale = 10.0 ** np.floor(np.log10(value))
    return next(float(n * scale) for n in _NICE if n * scale >= value * (1 - 1e-12))


def snapped_log_limits(lo: float, hi: float, margin: float = 1.2) -> tuple[float, float]:
    """Log-axis limits around ``lo``..``hi`` (> 0) that snap outward to half-decades (powers
    of the square root of 10), leaving at least a factor ``margin`` either side: data moving
    within them leave the limits, and so the panel's ticks, as they were."""
    k_lo = np.floor(2 * np.log10(lo / margin))
    k_hi = np.ceil(2 * np.log10(hi * margin))
    return float(10.0 ** (k_lo / 2)), float(10.0 ** (k_hi / 2))


def _set_limits(ax: Axes, series: list[np.ndarray], epochs: int, log: bool, cap: float | None):
    """Fit the y-axis to the finite values (capped at ``cap`` so a blow-up keeps the plot
    readable) and the x-axis to ``epochs``.

    The y-limits snap outward, a log axis' to half-decades (powers of the square root of 10)
    and a linear axis' top to a round number, so they hold still while the losses move within
    them (a dashboard then redraws only the lines) and change only when the data leave them.
    Every value stays in view, with at least a 10% margin (a log axis: a factor of 1.2)."""
    ax.set_xlim(0, max(epochs, 1) + 0.5)
    vals = np.concatenate([s for s in series if len(s)]) if any(len(s) for s in series) else None
    if vals is None:
        ax.set_ylim(0.01 if log else 0.0, 1.0)
        return
    hi = float(vals.max())
    if cap is not None:
        hi = min(hi, cap)
    if log:
        lo = float(vals[vals > 0].min()) if np.any(vals > 0) else 1e-3
        hi = max(hi, lo)
        lo = min(lo, hi / 10)
        ax.set_ylim(*snapped_log_limits(lo, hi))
    else:
        ax.set_ylim(0.0, _nice_above(hi * 1.08) if hi > 0 else 1.0)


class LossCurves:
    """Training and validation loss of one run, drawn on ``ax`` and updated in place.

    Parameters
    ----------
    ax : matplotlib Axes
    log : bool
        Logarithmic loss axis (losses that fall by orders of magnitude stay readable).
    ylabel : str
        Name of the loss, with its unit (see ``loss_label``).
    val_label : str
        The legend's name for ``history.val_loss`` ("validation"; "test" for a test split).
    show_penalty : bool
        With a weight penalty, also draw the penalty itself as a line of its own (dash-dot,
        green, labelled at its end rather than in the legend), so the data loss and the
        penalty are seen apart next to their sum, which the optimizer minimises.
    """

    def __init__(self, ax: Axes, log: bool = False, ylabel: str = "loss",
                 val_label: str = "validation", show_penalty: bool = False):  # fmt: skip
        self.ax = ax
        self.log = log
        self.show_penalty = bool(show_penalty)
        with style():
            (self.train_line,) = ax.plot([], [], color=SERIES[0], label="training")
            # with a weight penalty: the total the optimizer minimises, next to the data loss
            (self.total_line,) = ax.plot([], [], color=SERIES[0], ls=":", lw=1.6,
                                         label="data loss + penalty")  # fmt: skip
            (self.val_line,) = ax.plot([], [], color=SERIES[1], ls="--", label=val_label)
            # with show_penalty: the penalty lambda * R(W) alone, apart from the data loss
            (self.penalty_line,) = ax.plot([], [], color=SERIES[2], ls="-.", lw=1.6,
                                           label="penalty")  # fmt: skip
            self.penalty_text = ax.text(1.0, 1.0, "", color=SERIES[2], fontsize=8.5, ha="right",
                                        va="bottom", zorder=6, visible=False)  # fmt: skip
            (self.cross,) = ax.plot([], [], "X", color=DIVERGED, ms=11, mec="white", zorder=5)
            self.note = ax.text(
                0.97, 0.96, "", transform=ax.transAxes, ha="right", va="top", fontsize=9.5,
                color=DIVERGED, fontweight="bold", zorder=6,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="none", alpha=0.85),
            )  # fmt: skip
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            if log:
                log_axis(ax)
            ax.set_autoscale_on(False)  # limits are set in update
        self.legend = None

    def update(self, history, epochs: int | None = None, penalty_name: str = "penalty") -> None:
        """Move the lines to ``history``'s losses; ``epochs`` fixes the x-axis (None: fit).

        A history with a weight penalty (``history.penalty`` not empty) is drawn as two
        training lines: the data loss (solid, the quantity the axis label names) and the
        total, data loss + penalty (dotted), so the axis never shows a penalty as nats.
        ``penalty_name`` names it in the legend, e.g. "L1 penalty".
        """
        penalized = bool(getattr(history, "penalty", None))
        x, y = _finite(history.data_loss if penalized else history.loss)
        self.train_line.set_data(x, y)
        empty = (np.array([]), np.array([]))
        xt, yt = _finite(history.loss) if penalized else empty
        self.total_line.set_data(xt, yt)
        xp, yp = _finite(history.penalty) if penalized and self.show_penalty else empty
        if self.log:  # a log axis shows positive values only (a penalty of 0 is not drawn)
            xp, yp = xp[yp > 0], yp[yp > 0]
        self.penalty_line.set_data(xp, yp)
        self.penalty_text.set_visible(bool(len(yp)))
        if len(yp):
            self.penalty_text.set_text(penalty_name)
            self.penalty_text.set_position((xp[-1], yp[-1]))
        self.train_line.set_label("data loss" if penalized else "training")
        self.total_line.set_label(f"data loss + {penalty_name}")
        self.penalty_line.set_label(penalty_name)
        xv, yv = _finite(getattr(history, "val_loss", []) or [])
        self.val_line.set_data(xv, yv)
        others = ((self.total_line, yt), (self.val_line, yv))  # the penalty is labelled in place
        shown = [self.train_line] + [ln for ln, v in others if len(v)]
        if len(shown) > 1:
            labels = [ln.get_label() for ln in shown]
            if self.legend is None or [t.get_text() for t in self.legend.get_texts()] != labels:
                if self.legend is not None:
                    self.legend.remove()
                with style():
                    self.legend = self.ax.legend(handles=shown, loc="best", fontsize=8)
        elif self.legend is not None:
            self.legend.remove()
            self.legend = None
        message = diverged_message(history)
        cap = None
        if message:
            cap = 3.0 * float(y[0]) if len(y) else None
            top = min(float(y.max()), cap) if len(y) else 1.0
            last = float(len(history.loss))
            self.cross.set_data([last], [top])
            head, tail = message.split(": ", 1)
            # as wide as the panel allows (about 7 px a character), so the note stays inside
            # it and off the tick labels even in a narrow panel
            chars = int(np.clip(self.ax.bbox.width / 7.5, 14, 28))
            self.note.set_text(textwrap.fill(head + ":", chars) + "\n" + textwrap.fill(tail, chars))
        else:
            self.cross.set_data([], [])
            self.note.set_text("")
        n = epochs if epochs is not None else len(history.loss)
        _set_limits(self.ax, [y, yt, yv, yp], n, self.log, cap)

    def moving_artists(self) -> list:
        """What ``update`` changes: the lines, the cross and the note, and the legend (placed
        by the data). The limits snap (see ``_set_limits``), so most updates leave the axes
        alone; when they do move, the base class sees it and redraws in full (for a
        dashboard's ``moving_artists``, see ``widgets.base``)."""
        artists = [self.train_line, self.total_line, self.val_line, self.penalty_line,
                   self.penalty_text, self.cross, self.note, self.legend]  # fmt: skip
        return [a for a in artists if a is not None]  # no legend with one line


class RaceCurves:
    """Training loss of several runs overlaid (one colour and label each), updated in place."""

    def __init__(
        self, ax: Axes, labels: Sequence[str], log: bool = True, ylabel: str = "loss",
        title: str | None = "learning rate",
    ):  # fmt: skip
        self.ax = ax
        self.log = log
        self.labels = list(labels)
        self.lines = {}
        self.crosses = {}
        with style():
            for i, label in enumerate(self.labels):
                color = SERIES[i % len(SERIES)]
                (self.lines[label],) = ax.plot([], [], color=color, label=label)
                (self.crosses[label],) = ax.plot(
                    [], [], "X", color=color, ms=11, mec="white", zorder=5
                )
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            if log:
                log_axis(ax)
            self.legend = ax.legend(loc="upper right", title=title)
        self.legend_texts = dict(zip(self.labels, self.legend.get_texts(), strict=True))

    def update(self, histories, epochs: int | None = None, labels=None) -> None:
        """Move each run's line; a diverged run gets a cross and "(diverged)" in the legend.

        ``histories`` is a mapping label -> History, or a sequence aligned with ``labels``
        given at construction; ``labels`` optionally renames the runs in the legend.
        """
        if not isinstance(histories, Mapping):
            histories = dict(zip(self.labels, histories, strict=True))
        shown = dict(zip(self.labels, labels, strict=True)) if labels else {}
        series, firsts, n = [], [], 0
        for label in self.labels:
            h = histories.get(label)
            x, y = _finite(h.loss) if h is not None else (np.array([]), np.array([]))
            self.lines[label].set_data(x, y)
            n = max(n, len(h.loss) if h is not None else 0)
            diverged = h is not None and diverged_message(h) is not None
            if len(y):
                firsts.append(float(y[0]))
            series.append(y)
            self.crosses[label].set_data(([x[-1]], [y[-1]]) if diverged and len(y) else ([], []))
            name = shown.get(label, label)
            self.legend_texts[label].set_text(f"{name} (diverged)" if diverged else name)
        cap = 3.0 * max(firsts) if firsts else None
        _set_limits(self.ax, series, epochs if epochs is not None else n, self.log, cap)
        for label in self.labels:  # a cross beyond the cap sits on the top edge
            cx, cy = self.crosses[label].get_data()
            if len(cy) and cap is not None and cy[0] > cap:
                self.crosses[label].set_data(cx, [cap])

    def moving_artists(self) -> list:
        """What ``update`` changes: the lines, the crosses and the legend (its texts say which
        run diverged). The limits snap (see ``_set_limits``); when they move, the base class
        redraws in full (for a dashboard's ``moving_artists``, see ``widgets.base``)."""
        return [*self.lines.values(), *self.crosses.values(), self.legend]


def plot_loss(
    history, log: bool = False, ax: Axes | None = None, ylabel: str | None = None, loss=None
) -> PlotFigure:
    """Loss per epoch of one run: training solid, validation dashed; divergence labelled.

    Parameters
    ----------
    history : training.History
    log : bool
        Logarithmic loss axis.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    ylabel : str, optional
        The loss axis label; default ``loss_label(loss, history)``, e.g. "loss (mean squared
        error)" for ``loss=MSELoss()``, "loss (cross-entropy, nats)" for a classifier's run.
    loss : the Loss the run was trained with, optional (names the axis)

    Returns
    -------
    The figure holding the plot.
    """
    if ax is None:
        fig = new_figure(640, 360)
        ax = fig.add_subplot()
    label = ylabel if ylabel is not None else loss_label(loss, history)
    LossCurves(ax, log=log, ylabel=label).update(history)
    return ax.figure


def plot_race(
    histories: Mapping[str, object],
    log: bool = True,
    ax: Axes | None = None,
    title: str | None = "learning rate",
    ylabel: str | None = None,
    loss=None,
) -> PlotFigure:
    """Training loss of several runs overlaid, e.g. ``{"lr=0.01": h1, "lr=0.1": h2}``.

    Parameters
    ----------
    histories : {label: History}, one line each (a diverged run gets a cross)
    log : bool, logarithmic loss axis
    ax : Axes, optional
    title : the legend's title, i.e. what the labels vary (None: no title)
    ylabel, loss : the loss axis label, as in ``plot_loss`` (inferred from the first History)

    Returns
    -------
    The figure holding the plot.
    """
    if ax is None:
        fig = new_figure(640, 360)
        ax = fig.add_subplot()
    first = next(iter(histories.values()), None)
    label = ylabel if ylabel is not None else loss_label(loss, first)
    RaceCurves(ax, list(histories), log=log, ylabel=label, title=title).update(histories)
    return ax.figure
