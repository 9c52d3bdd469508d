"""Regression fit: the model's prediction curve over 1-D inputs, with the training points.

``RegressionFit(ax, X, y).update(model)`` moves the curve in place; ``plot_regression`` returns
a figure. Used by the first training-loop notebook (fitting a sine) and the
regularisation notebook (over- and under-fitting).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .style import OKABE_ITO, SERIES, PlotFigure, new_figure, style

__all__ = ["RegressionFit", "plot_regression"]


def _check_1d(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"a regression fit plots 1-D inputs X of shape (n, 1), got {X.shape}")
    y = y.reshape(len(y), -1)
    if len(y) != len(X) or y.shape[1] != 1:
        raise ValueError(f"y must have shape ({len(X)}, 1) to match X, got {y.shape}")
    return X, y


class RegressionFit:
    """Training points and the model's curve y = model(x) over their range, updated in place.

    Parameters
    ----------
    ax : Axes
    X : (n, 1) inputs; y : (n, 1) targets
    points : int
        How many x values the curve is evaluated at.
    target : callable, optional
        The noiseless function the data came from, drawn dotted for reference.
    X_test, y_test : (m, 1) held-out points, optional, drawn as hollow rings
    """

    def __init__(self, ax: Axes, X, y, points: int = 300, target=None, X_test=None,
                 y_test=None):  # fmt: skip
        self.ax = ax
        X, y = _check_1d(X, y)
        every_x, every_y = X, y
        if X_test is not None:
            X_test, y_test = _check_1d(X_test, y_test)
            every_x, every_y = np.vstack([X, X_test]), np.vstack([y, y_test])
        lo, hi = float(every_x.min()), float(every_x.max())
        pad = 0.05 * max(hi - lo, 1e-9)
        self.xs = np.linspace(lo - pad, hi + pad, points)[:, None]  # (points, 1)
        with style():
            ax.scatter(X[:, 0], y[:, 0], s=16, color=OKABE_ITO["orange"], label="training data")
            if X_test is not None:
                ax.scatter(X_test[:, 0], y_test[:, 0], s=16, facecolors="none", linewidths=1.0,
                           edgecolors=OKABE_ITO["orange"], label="test data")  # fmt: skip
            if target is not None:
                ax.plot(self.xs[:, 0], target(self.xs[:, 0]), ":", color="0.35", label="truth")
            (self.line,) = ax.plot([], [], color=SERIES[0], lw=2.2, label="model")
            ax.set_xlabel("input x")
            ax.set_ylabel("output y")
            ax.legend(loc="upper left")  # fixed: "best" is costly to place on every redraw
        span = float(every_y.max() - every_y.min()) or 1.0
        ax.set_xlim(self.xs[0, 0], self.xs[-1, 0])
        ax.set_ylim(float(every_y.min()) - 0.25 * span, float(every_y.max()) + 0.25 * span)

    def update(self, model) -> np.ndarray:
        """Redraw the curve for ``model`` (in eval mode); returns its predictions (points, 1)."""
        was_training = getattr(model, "training", True)
        model.eval()
        try:
            with np.errstate(all="ignore"):
                pred = np.asarray(model(self.xs), dtype=float).reshape(len(self.xs), -1)
        finally:
            model.train(was_training)
        self.line.set_data(self.xs[:, 0], pred[:, 0])
        return pred

    def moving_artists(self) -> list:
        """What ``update`` changes: the model's curve (for a dashboard's ``moving_artists``)."""
        return [self.line]


def plot_regression(model, X, y, target=None, ax: Axes | None = None) -> PlotFigure:
    """The model's fit y = model(x) over 1-D training data (n, 1), (n, 1); returns the figure."""
    if ax is None:
        fig = new_figure(560, 360)
        ax = fig.add_subplot()
    RegressionFit(ax, X, y, target=target).update(model)
    return ax.figure
