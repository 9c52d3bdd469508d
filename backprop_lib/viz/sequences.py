"""Plots for the sequences notebook (13): an RNN unrolled in time, and the gradient over time.

- ``plot_unrolled(steps)``: the computational graph of an RNN unrolled over ``steps`` steps,
  one cell per step sharing W_xh and W_hh, with the gradient's way back drawn under it.
- ``plot_grad_over_time(curves)``: ||dL/dh_t|| against t for several runs, on a log axis.
- ``GradOverTime(ax)``: the same, as artists that ``update`` moves in place (the dashboard's).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from .style import DIVERGED, SERIES, PlotFigure, log_axis, new_figure, style

__all__ = ["GradOverTime", "plot_grad_over_time", "plot_unrolled"]


def _node(ax: Axes, x: float, y: float, text: str, color: str, w: float = 0.62) -> None:
    box = FancyBboxPatch((x - w / 2, y - 0.22), w, 0.44, boxstyle="round,pad=0.04",
                         fc=color, ec="0.25", lw=1.0, alpha=0.9)  # fmt: skip
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax: Axes, a, b, color="0.25", style="-|>", ls="-", label=None, off=(0, 0)) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=12, color=color,
                                 lw=1.3, ls=ls, shrinkA=2, shrinkB=2))  # fmt: skip
    if label:
        mid = ((a[0] + b[0]) / 2 + off[0], (a[1] + b[1]) / 2 + off[1])
        ax.text(*mid, label, ha="center", va="center", fontsize=9, color=color)


def plot_unrolled(steps: int = 4, width_px: int = 900, height_px: int = 330) -> PlotFigure:
    """An RNN unrolled over ``steps`` steps: x_t -> h_t, h_{t-1} -> h_t, h_T -> loss.

    Every cell uses the same W_xh and W_hh (drawn on every arrow, because it is the same
    matrix); the dashed arrows underneath are the backward pass, from the loss back to h_1.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 8:
        raise ValueError(f"steps must be an int in [1, 8], got {steps!r}")
    fig = new_figure(width_px, height_px)
    with style():
        ax = fig.add_subplot()
        ax.set_axis_off()
        xs = np.arange(1, steps + 1) * 1.6
        _node(ax, 0.0, 1.0, "h₀ = 0", "#eeeeee")
        for i, x in enumerate(xs, start=1):
            _node(ax, x, 0.0, f"x{_sub(i)}", "#E69F0055")
            _node(ax, x, 1.0, f"h{_sub(i)}", "#56B4E955")
            _arrow(ax, (x, 0.24), (x, 0.76), label="W_xh", off=(0.3, 0))
            prev = xs[i - 2] if i > 1 else 0.0
            _arrow(ax, (prev + 0.34, 1.0), (x - 0.34, 1.0), label="W_hh", off=(0, 0.17))
            right = xs[i] if i < steps else xs[-1] + 1.6  # the next cell, or the loss
            _arrow(ax, (right - 0.2, 1.42), (x + 0.2, 1.42), color=DIVERGED, ls="--")
            ax.text(x, 1.62, f"∂L/∂h{_sub(i)}", ha="center", fontsize=10, color=DIVERGED)
        loss_x = xs[-1] + 1.6
        _node(ax, loss_x, 1.0, "loss L", "#CC79A755", w=0.9)
        _arrow(ax, (xs[-1] + 0.34, 1.0), (loss_x - 0.49, 1.0), label="W_hy", off=(0, 0.17))
        ax.text(loss_x, 0.0, "one set of weights,\nused at every step", ha="center",
                va="center", fontsize=9.5, color="0.3")  # fmt: skip
        ax.set(xlim=(-0.6, loss_x + 0.7), ylim=(-0.4, 2.05))
        ax.set_title(f"An RNN unrolled over {steps} steps: forward (solid), backward (dashed)")
    return fig


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(i))


class GradOverTime:
    """||dL/dh_t|| against t = 1..T on a log axis, one line per run; ``update`` moves them.

    By default the axes fit the curves (t from 1 to the longest, the values within a factor
    of 3, at most 30 decades below the largest). A live plot holds its axes still instead:
    ``t_max`` fixes t's axis to 1..t_max, and ``y_range`` (low, high) makes the value axis
    span at least that, extended out to whole multiples of 5 decades for a value beyond it
    (values more than 30 decades below the largest are left out, as by default). The legend
    is placed clear of the lines (``legend_loc="best"``), or at a fixed ``legend_loc`` under
    them: a line that passes over it stays visible, and a live plot need not draw it again.
    """

    def __init__(
        self, ax: Axes, labels: list[str], ylabel: str = "‖∂L/∂hₜ‖ (log scale)",
        styles: list[str] | None = None, t_max: int | None = None,
        y_range: tuple[float, float] | None = None, legend_loc: str = "best",
    ):  # fmt: skip
        self.ax = ax
        self.t_max, self.y_range = t_max, y_range
        styles = styles or ["o-"] * len(labels)  # matplotlib format strings, one per line
        self.lines = {
            label: ax.plot([], [], fmt, ms=3, lw=1.6, color=SERIES[i % len(SERIES)],
                           label=label)[0]
            for i, (label, fmt) in enumerate(zip(labels, styles, strict=True))
        }  # fmt: skip
        log_axis(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
        ax.set(xlabel="time step t", ylabel=ylabel)
        ax.set_title("gradient reaching each step")
        self.legend = ax.legend(loc=legend_loc, fontsize=8.5)
        if legend_loc != "best":
            self.legend.set_zorder(1.9)  # under the lines (2)

    def update(self, curves: Mapping[str, np.ndarray]) -> None:
        """``curves``: label -> norms (T,) for t = 1..T; NaN/inf/0 entries are not drawn."""
        lo, hi, T = np.inf, 0.0, 1
        for label, line in self.lines.items():
            norms = np.asarray(curves.get(label, []), dtype=float)
            t = np.arange(1, len(norms) + 1)
            ok = np.isfinite(norms) & (norms > 0)
            line.set_data(t[ok], norms[ok])
            T = max(T, len(norms))
            if ok.any():
                lo, hi = min(lo, norms[ok].min()), max(hi, norms[ok].max())
        self.ax.set_xlim(0.5, (T if self.t_max is None else max(T, self.t_max)) + 0.5)
        if hi > 0:
            lo = max(lo, hi * 1e-30)  # beyond 30 decades the picture says "nothing" anyway
            lo, hi = lo / 3, hi * 3
            if self.y_range is not None:  # snapped out to 5 decades beyond the fixed range
                lo = min(self.y_range[0], 10.0 ** (5 * np.floor(np.log10(lo) / 5)))
                hi = max(self.y_range[1], 10.0 ** (5 * np.ceil(np.log10(hi) / 5)))
            self.ax.set_ylim(lo, hi)
        elif self.y_range is not None:
            self.ax.set_ylim(*self.y_range)

    def moving_artists(self) -> list:
        """What ``update`` changes: the lines, and a legend placed clear of them ("best").
        With ``t_max`` and ``y_range`` the axes seldom move; when they do, the base class
        redraws in full (for a dashboard's ``moving_artists``, see ``widgets.base``)."""
        moving_legend = self.legend.get_zorder() > 2  # "best" follows the lines
        return [*self.lines.values(), *([self.legend] if moving_legend else [])]


def plot_grad_over_time(
    curves: Mapping[str, np.ndarray], title: str | None = None, width_px: int = 640,
    height_px: int = 320,
) -> PlotFigure:  # fmt: skip
    """||dL/dh_t|| against t for each run in ``curves`` (label -> norms (T,))."""
    fig = new_figure(width_px, height_px)
    with style():
        ax = fig.add_subplot()
        plot = GradOverTime(ax, list(curves))
        plot.update(curves)
        if title:
            ax.set_title(title)
    return fig
