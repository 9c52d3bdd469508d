"""Loss landscapes of 2-D toy functions, with the paths optimizers take across them.

``TOY_FUNCTIONS`` holds a few classic surfaces (a round bowl, an ill-conditioned ravine,
Rosenbrock's banana, Himmelblau's four minima), each with its gradient and a default view.
``optimizer_path`` runs one of ``backprop_lib.optim.optimizers`` on a 2-vector Parameter; and
``plot_landscape`` draws filled contours with the paths on top. The 2-D slice through a real
network's parameters lives in ``param_slice.py``. Used by the gradient-descent, learning-rate
and optimizer notebooks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm

from ..nn.parameter import Parameter
from .style import SERIES, PlotFigure, new_figure, style

__all__ = [
    "ToyFunction",
    "TOY_FUNCTIONS",
    "optimizer_path",
    "TrajectoryPlot",
    "plot_landscape",
]


@dataclass(frozen=True)
class ToyFunction:
    """A 2-D loss surface f(x, y) with its gradient, a view window and a starting point.

    ``f(x, y)`` and ``grad(x, y) -> (df/dx, df/dy)`` work elementwise on arrays.
    ``lambda_max`` is the largest Hessian eigenvalue where it is constant (quadratics), so
    plain gradient descent is stable exactly for lr < 2 / lambda_max.
    """

    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    lambda_max: float | None = None

    def __call__(self, x, y):
        return self.f(x, y)


def _quadratic(name: str, a: float, b: float, lim: float) -> ToyFunction:
    """f = (a x^2 + b y^2) / 2: a bowl whose curvatures are a and b."""
    return ToyFunction(
        name,
        lambda x, y: 0.5 * (a * x**2 + b * y**2),
        lambda x, y: (a * x, b * y),
        (-lim, lim),
        (-lim, lim),
        (-0.8 * lim, 0.6 * lim),
        ((0.0, 0.0),),
        lambda_max=max(a, b),
    )


TOY_FUNCTIONS: dict[str, ToyFunction] = {
    "bowl": _quadratic("bowl", 1.0, 1.0, 2.0),
    "ravine": _quadratic("ravine", 1.0, 10.0, 2.0),
    "rosenbrock": ToyFunction(
        "rosenbrock",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
        (-2.0, 2.0),
        (-1.0, 3.0),
        (-1.5, 2.0),
        ((1.0, 1.0),),
    ),
    "himmelblau": ToyFunction(
        "himmelblau",
        lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        lambda x, y: (
            4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
            2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
        ),
        (-5.0, 5.0),
        (-5.0, 5.0),
        (0.0, 0.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
    ),
}


def optimizer_path(
    fn: ToyFunction, optimizer: Callable, start=None, steps: int = 100, **hyper
) -> np.ndarray:
    """Run ``optimizer([p], **hyper)`` for ``steps`` steps on ``fn`` from ``start``.

    Each step: p.grad = grad f(p), then ``optimizer.step()``. Stops early (nothing raises) when
    the point leaves the finite range, i.e. when the run diverges.

    Parameters
    ----------
    fn : ToyFunction
    optimizer : an optimizer class such as ``backprop_lib.optim.optimizers.SGD``
    start : (2,) starting point; default ``fn.start``
    hyper : its hyperparameters, e.g. ``lr=0.1, momentum=0.9``

    Returns
    -------
    path : (k + 1, 2) the points visited, k <= steps
    """
    p = Parameter(np.array(fn.start if start is None else start, dtype=float), name="xy")
    opt = optimizer([p], **hyper)
    path = [p.data.copy()]
    for _ in range(int(steps)):
        opt.zero_grad()
        with np.errstate(all="ignore"):
            gx, gy = fn.grad(p.data[0], p.data[1])
            p.grad += np.array([gx, gy])
            opt.step()
        if not np.all(np.isfinite(p.data)) or np.abs(p.data).max() > 1e6:
            break
        path.append(p.data.copy())
    return np.array(path)


class TrajectoryPlot:
    """Filled log-spaced contours of ``fn`` with optimizer paths on top, paths updated in place.

    Parameters
    ----------
    ax : Axes
    fn : ToyFunction
    labels : names of the paths (one colour each), e.g. ["SGD", "Adam"]
    resolution : grid points per side for the contours
    """

    def __init__(self, ax: Axes, fn: ToyFunction, labels=("path",), resolution: int = 200):
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
            for i, label in enumerate(labels):
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
