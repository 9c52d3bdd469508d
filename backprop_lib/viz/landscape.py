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

_OUTLINE_PT = 3.2  # the width of a path's outline, in points (the path itself is 1.5)


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
    outline : a colour to outline every path and its dots with (None: no outline), so a
        coloured path reads on dark and light contours alike. It is a wider line of that
        colour under each path: one stroke and one set of markers, cheap to draw even for a
        path of a thousand dots, where a stroke path effect draws every dot one by one.

    ``set_function`` draws another surface under the same paths; ``moving_artists`` lists what
    ``update`` changes, ``surface_artists`` what ``set_function`` replaces.
    """

    def __init__(
        self,
        ax: Axes,
        fn: ToyFunction,
        labels=("path",),
        resolution: int = 200,
        colors=None,
        outline: str | None = None,
    ):
        self.ax, self.resolution = ax, int(resolution)
        self.filled = self.contours = None
        self.lines, self.heads, self.outlines = {}, {}, {}
        with style():
            # the points of interest, above the contours and below the paths
            (self.minima,) = ax.plot([], [], "*", color="white", mec="black", ms=12, zorder=4)
            (self.saddles,) = ax.plot([], [], "X", color="white", mec="black", ms=9, zorder=4)
            for i, label in enumerate(labels):
                if colors is not None:
                    color = colors[i % len(colors)]
                else:
                    color = SERIES[(i + 1) % len(SERIES)] if i else "#ffffff"
                if outline is not None:  # drawn just before its own path
                    (self.outlines[label],) = ax.plot(
                        [], [], "-o", color=outline, ms=3, lw=_OUTLINE_PT, mew=_OUTLINE_PT,
                        zorder=5,
                    )  # fmt: skip
                (self.lines[label],) = ax.plot(
                    [], [], "-o", color=color, ms=3, lw=1.5, label=label, zorder=5
                )
                (self.heads[label],) = ax.plot([], [], "o", color=color, mec="black", ms=7,
                                               zorder=6)  # fmt: skip
            ax.set_xlabel("parameter w₁")
            ax.set_ylabel("parameter w₂")
            ax.grid(False)
            if len(labels) > 1:
                ax.legend(loc="upper right", labelcolor="white")
        self.fn = None
        self.set_function(fn)

    def set_function(self, fn: ToyFunction) -> None:
        """Draw ``fn``'s contours (replacing the old ones), its minima and saddles, its window
        and its name as the title; the paths stay as they are."""
        xs = np.linspace(*fn.xlim, self.resolution)
        ys = np.linspace(*fn.ylim, self.resolution)
        gx, gy = np.meshgrid(xs, ys)
        z = fn(gx, gy) - fn.lowest  # >= 0, 0 at the minimum
        z = np.maximum(z, 1e-6 * max(float(z.max()), 1e-9))  # log levels need z > 0
        levels = np.geomspace(z.min(), z.max(), 25)
        ax = self.ax
        for old in (self.filled, self.contours):
            if old is not None:
                old.remove()
        with style():
            self.filled = ax.contourf(gx, gy, z, levels=levels, norm=LogNorm(), cmap="viridis",
                                      alpha=0.85)  # fmt: skip
            self.contours = ax.contour(gx, gy, z, levels=levels[::3], norm=LogNorm(),
                                       colors="white", linewidths=0.4, alpha=0.6)  # fmt: skip
            # set only when they differ: a setter marks an artist changed even with the same data
            if self.fn is None or fn.minima != self.fn.minima:
                self.minima.set_data(*_columns(fn.minima))
            if self.fn is None or fn.saddles != self.fn.saddles:
                self.saddles.set_data(*_columns(fn.saddles))
            ax.set_xlim(*fn.xlim)
            ax.set_ylim(*fn.ylim)
            ax.set_title(fn.name)
        self.fn = fn

    def update(self, paths: Mapping[str, np.ndarray]) -> None:
        """Move each named path; ``paths[label]`` has shape (k, 2); the big dot is its end."""
        for label, line in self.lines.items():
            path = np.asarray(paths.get(label, np.empty((0, 2))), dtype=float).reshape(-1, 2)
            line.set_data(path[:, 0], path[:, 1])
            if label in self.outlines:
                self.outlines[label].set_data(path[:, 0], path[:, 1])
            self.heads[label].set_data(path[-1:, 0], path[-1:, 1])

    def moving_artists(self) -> list:
        """What ``update`` changes: the paths, their outlines and their heads (for a
        dashboard's ``moving_artists``, see ``widgets.base``)."""
        return [*self.outlines.values(), *self.lines.values(), *self.heads.values()]

    def surface_artists(self) -> list:
        """What ``set_function`` replaces or moves: the filled contours, the contour lines,
        the minima and the saddles (the title is ``ax.title``)."""
        return [self.filled, self.contours, self.minima, self.saddles]


def _columns(points) -> tuple[np.ndarray, np.ndarray]:
    """x and y of a sequence of (x, y) points (empty arrays for none)."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    return xy[:, 0], xy[:, 1]


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
