"""Loss landscapes of 2-D toy functions, with the paths optimizers take across them.

The surfaces (``TOY_FUNCTIONS``, ``ToyFunction``) and the path recorder (``optimizer_path``,
``record_path``) live in the core, ``backprop_lib.instruments.surfaces``, and are re-exported
here; ``TrajectoryPlot`` and ``plot_landscape`` draw filled contours with the paths on top.
The 2-D slice through a real network's parameters lives in ``param_slice.py``. Used by the
learning-rate (04) and optimizers (07) notebooks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm

from ..instruments.surfaces import TOY_FUNCTIONS, ToyFunction, optimizer_path, record_path
from .style import SERIES, PlotFigure, new_figure, style

__all__ = [
    "ToyFunction",
    "TOY_FUNCTIONS",
    "optimizer_path",
    "record_path",
    "TrajectoryPlot",
    "plot_landscape",
]


class TrajectoryPlot:
    """Filled log-spaced contours of ``fn`` with optimizer paths on top, paths updated in place.

    Parameters
    ----------
    ax : Axes
    fn : ToyFunction
    labels : names of the paths (one colour each), e.g. ["SGD", "Adam"]
    resolution : grid points per side for the contours
    colors : one colour per label (default: white, then the house series); saddle points, if
        the surface has any, are marked with a white cross, minima with a white star
    """

    def __init__(
        self, ax: Axes, fn: ToyFunction, labels=("path",), resolution: int = 200, colors=None
    ):
        self.ax, self.fn = ax, fn
        xs = np.linspace(*fn.xlim, resolution)
        ys = np.linspace(*fn.ylim, resolution)
        gx, gy = np.meshgrid(xs, ys)
        z = fn(gx, gy) - min(float(fn(*m)) for m in fn.minima)  # >= 0, 0 at the minimum
        z = np.maximum(z, 1e-6 * max(float(z.max()), 1e-9))  # log levels need z > 0
        levels = np.geomspace(z.min(), z.max(), 25)
        self.lines, self.heads = {}, {}
        with style():
            ax.contourf(gx, gy, z, levels=levels, norm=LogNorm(), cmap="viridis", alpha=0.85)
            ax.contour(gx, gy, z, levels=levels[::3], norm=LogNorm(), colors="white",
                       linewidths=0.4, alpha=0.6)  # fmt: skip
            for m in fn.minima:
                ax.plot(*m, "*", color="white", mec="black", ms=12, zorder=4)
            for s in fn.saddles:
                ax.plot(*s, "X", color="white", mec="black", ms=9, zorder=4)
            for i, label in enumerate(labels):
                if colors is not None:
                    color = colors[i % len(colors)]
                else:
                    color = SERIES[(i + 1) % len(SERIES)] if i else "#ffffff"
                (self.lines[label],) = ax.plot(
                    [], [], "-o", color=color, ms=3, lw=1.5, label=label, zorder=5
                )
                (self.heads[label],) = ax.plot([], [], "o", color=color, mec="black", ms=7,
                                               zorder=6)  # fmt: skip
            ax.set_xlim(*fn.xlim)
            ax.set_ylim(*fn.ylim)
            ax.set_xlabel("parameter w₁")
            ax.set_ylabel("parameter w₂")
            ax.set_title(fn.name)
            ax.grid(False)
            if len(labels) > 1:
                ax.legend(loc="upper right", labelcolor="white")

    def update(self, paths: Mapping[str, np.ndarray]) -> None:
        """Move each named path; ``paths[label]`` has shape (k, 2); the big dot is its end."""
        for label, line in self.lines.items():
            path = np.asarray(paths.get(label, np.empty((0, 2))), dtype=float).reshape(-1, 2)
            line.set_data(path[:, 0], path[:, 1])
            self.heads[label].set_data(path[-1:, 0], path[-1:, 1])

    def moving_artists(self) -> list:
        """What ``update`` changes: the paths and their heads (for a dashboard's
        ``moving_artists``, see ``widgets.base``)."""
        return [*self.lines.values(), *self.heads.values()]


def plot_landscape(
    fn: ToyFunction | str, paths: Mapping[str, np.ndarray] | None = None, ax: Axes | None = None
) -> PlotFigure:
    """Contours of a toy loss surface with optimizer paths, e.g.
    ``plot_landscape("ravine", {"SGD lr=0.15": optimizer_path(TOY_FUNCTIONS["ravine"], SGD,
    lr=0.15)})``.

    Parameters
    ----------
    fn : a ToyFunction or a key of TOY_FUNCTIONS
    paths : {label: (k, 2) points}
    ax : optional Axes

    Returns
    -------
    The figure.
    """
    if isinstance(fn, str):
        if fn not in TOY_FUNCTIONS:
            raise ValueError(f"unknown toy function {fn!r}; use one of {sorted(TOY_FUNCTIONS)}")
        fn = TOY_FUNCTIONS[fn]
    paths = dict(paths or {})
    if ax is None:
        fig = new_figure(480, 420)
        ax = fig.add_subplot()
    plot = TrajectoryPlot(ax, fn, labels=list(paths) or ["path"])
    plot.update(paths)
    return ax.figure
