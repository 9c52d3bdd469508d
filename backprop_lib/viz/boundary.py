"""Decision boundaries of a classifier on 2-D data, binary or multiclass, with the training points.

The model is evaluated on a grid over the data and the result shown as an image (``imshow``,
updated in place with ``set_data``: much cheaper than filled contours): each pixel takes the
colour of its predicted class, stronger where the model is more confident; one thin contour
line at the class change draws the boundary itself. Class 0 is orange and class 1
blue, as in TensorFlow Playground (Okabe-Ito colours, safe for colour-blind readers).
``PlaneSlice`` shows a model of more than two inputs on the plane of two of them, the others
held fixed (at their means). Used by the forward-pass, training-loop and learning-rate
notebooks and the playground.
"""

from __future__ import annotations

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from .style import CLASS_COLORS, PlotFigure, blend, new_figure, style

__all__ = [
    "grid_points",
    "class_probabilities",
    "surface_rgb",
    "boundary_fields",
    "DecisionBoundary",
    "PlaneSlice",
    "plot_decision_boundary",
]


def _check_2d(X, y=None) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"a decision boundary needs 2-D inputs X of shape (n, 2), got {X.shape}; "
            "plot two features, e.g. X[:, :2]"
        )
    if y is not None:
        y = np.asarray(y).reshape(-1)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels; pass matching X, y")
        y = y.astype(int)
    return X, y


def grid_points(X, resolution: int = 120, margin: float = 0.15):
    """A ``resolution`` x ``resolution`` grid covering ``X`` plus ``margin`` of its range.

    Returns
    -------
    points : (resolution**2, 2) grid points, row by row from the bottom-left
    extent : (xmin, xmax, ymin, ymax) for ``imshow``
    """
    X, _ = _check_2d(X)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)  # (r, r) each; row i has y = ys[i]
    points = np.column_stack([gx.ravel(), gy.ravel()])  # (r*r, 2)
    return points, (lo[0], hi[0], lo[1], hi[1])


def _as_model_dtype(model, x: np.ndarray) -> np.ndarray:
    """``x`` in the model's float type (a float32 network then computes in float32)."""
    params = model.parameters() if hasattr(model, "parameters") else []
    return np.asarray(x, dtype=params[0].data.dtype if params else float)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def class_probabilities(model, points: np.ndarray, output: str = "auto") -> np.ndarray:
    """Class probabilities of ``model`` at ``points``, always with one column per class.

    One output column is read as class 1's logit (sigmoid) or probability; C columns as logits
    (softmax) or probabilities. ``output="auto"`` takes probabilities when the model's last
    layer is a Sigmoid or Softmax, logits otherwise. The model runs in eval mode (batch norm
    uses running statistics) and its training mode is restored afterwards.

    Returns
    -------
    probs : (n, C) with C >= 2; rows sum to 1 (NaN rows when the model's output is not finite)
    """
    if output not in ("auto", "logits", "probabilities"):
        raise ValueError(f"output must be 'auto', 'logits' or 'probabilities', got {output!r}")
    if output == "auto":
        last = model[-1] if hasattr(model, "__getitem__") and len(model) else model
        output = "probabilities" if type(last).__name__ in ("Sigmoid", "Softmax") else "logits"
    was_training = getattr(model, "training", True)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(model(_as_model_dtype(model, points)), dtype=float)
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    out = out.reshape(len(points), -1)
    with np.errstate(all="ignore"):
        if out.shape[1] == 1:
            p1 = out[:, 0] if output == "probabilities" else 1.0 / (1.0 + np.exp(-out[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        return out if output == "probabilities" else _softmax(out)


def surface_rgb(probs: np.ndarray, resolution: int, strength: float = 0.6) -> np.ndarray:
    """An RGB image of the predicted class and the model's confidence.

    Pixel colour = white blended towards the class colour by
    ``strength * (p_max - 1/C) / (1 - 1/C)``; non-finite predictions are grey.

    Parameters
    ----------
    probs : (resolution**2, C) from ``class_probabilities``
    Returns
    -------
    rgb : (resolution, resolution, 3) floats in [0, 1]
    """
    n_classes = probs.shape[1]
    bad = ~np.all(np.isfinite(probs), axis=1)
    safe = np.where(bad[:, None], 1.0 / n_classes, probs)
    k = safe.argmax(axis=1)  # (n,) predicted class
    conf = (safe.max(axis=1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)  # 0 unsure .. 1 sure
    rgb = np.empty((len(k), 3))
    for c in range(n_classes):
        sel = k == c
        rgb[sel] = blend(CLASS_COLORS[c % len(CLASS_COLORS)], strength * conf[sel])
    rgb[bad] = 0.8
    return rgb.reshape(resolution, resolution, 3)


def boundary_fields(probs: np.ndarray, resolution: int) -> list[np.ndarray]:
    """Fields whose zero level is the decision boundary.

    Two classes: one field, p_1 - p_0. C classes: one per class, f_k = p_k - max_(j != k) p_j,
    positive exactly where class k wins, so its zero level is the edge of k's region.

    Returns a list of (resolution, resolution) arrays (NaN where the prediction is not finite).
    """
    if probs.shape[1] == 2:
        return [(probs[:, 1] - probs[:, 0]).reshape(resolution, resolution)]
    fields = []
    for k in range(probs.shape[1]):
        others = np.delete(probs, k, axis=1).max(axis=1)
        fields.append((probs[:, k] - others).reshape(resolution, resolution))
    return fields


class PlaneSlice:
    """A model of d inputs seen through some of them: the others held at fixed values.

    ``PlaneSlice(model, columns=(0, 2), at=X.mean(axis=0))(points)`` evaluates ``model`` at
    rows equal to ``at`` except in ``columns``, which take the points' values: a (m, 2) grid
    becomes the (m, d) inputs the model needs. It answers what ``DecisionBoundary`` and
    ``RegressionFit`` ask of a model (``parameters``, the last layer, ``eval``/``train``),
    so a network of many inputs can be drawn on the plane (or line) of one or two.

    Parameters
    ----------
    model : a Layer of d inputs
    columns : the input columns the points give (one or two indices)
    at : (d,) the values of every input; the ``columns`` entries are replaced
    """

    def __init__(self, model, columns, at):
        self.model = model
        self.columns = [int(c) for c in columns]
        self.at = np.asarray(at, dtype=float).reshape(-1)
        if not all(0 <= c < len(self.at) for c in self.columns):
            raise ValueError(f"columns {self.columns} must be among the {len(self.at)} inputs")

    def __call__(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points)
        full = np.empty((len(points), len(self.at)), dtype=points.dtype)  # (m, d)
        full[:] = self.at
        full[:, self.columns] = points.reshape(len(points), -1)
        return self.model(full)

    forward = __call__

    def parameters(self):
        return self.model.parameters()

    def __getitem__(self, index):
        return self.model[index]

    def __len__(self) -> int:
        return len(self.model)

    @property
    def training(self) -> bool:
        return getattr(self.model, "training", True)

    def eval(self):
        self.model.eval()
        return self

    def train(self, mode: bool = True):
        self.model.train(mode)
        return self


class DecisionBoundary:
    """The model's predicted class over the plane plus the data points, updated in place.

    Parameters
    ----------
    ax : Axes
    X : (n, 2) inputs; y : (n,) integer labels
    resolution : int
        Grid points per side (cost grows with its square; 100-150 looks smooth).
    output : "auto", "logits" or "probabilities" (see ``class_probabilities``)
    """

    def __init__(self, ax: Axes, X, y, resolution: int = 120, output: str = "auto"):
        self.ax = ax
        self.resolution = int(resolution)
        self.output = output
        blank = np.ones((self.resolution, self.resolution, 3))
        with style():
            # above the axes' ticks (z-order 0.5 in the house style), below the boundary: the
            # image covers the roots of the tick marks, as it covers the hidden grid, so a
            # live update that redraws the image need not redraw the axes' ticks and labels
            self.image = ax.imshow(
                blank, origin="lower", interpolation="bilinear", aspect="auto", zorder=0.6
            )
            self.points = ax.scatter([], [], s=22, linewidths=0.7, edgecolors="white", zorder=3)
            # the boundary: one collection whose segments are replaced on every update
            self.boundary = LineCollection([], colors="0.15", linewidths=1.3, zorder=2)
            ax.add_collection(self.boundary, autolim=False)
            ax.set_xlabel("input x₁")
            ax.set_ylabel("input x₂")
            ax.grid(False)
        self.set_data(X, y)

    def set_data(self, X, y) -> None:
        """Replace the training points (and the grid, which covers them)."""
        X, y = _check_2d(X, y)
        self.X, self.y = X, y
        self.grid, extent = grid_points(X, self.resolution)
        self.xs = self.grid[: self.resolution, 0]  # (r,) grid x values
        self.ys = self.grid[:: self.resolution, 1]  # (r,) grid y values
        self.image.set_extent(extent)
        self.ax.set_xlim(extent[0], extent[1])
        self.ax.set_ylim(extent[2], extent[3])
        self.points.set_offsets(X)
        self.points.set_facecolors([CLASS_COLORS[c % len(CLASS_COLORS)] for c in y])

    def update(self, model) -> np.ndarray:
        """Redraw the surface for ``model``; returns its class probabilities (grid**2, C)."""
        probs = class_probabilities(model, self.grid, self.output)
        self.image.set_data(surface_rgb(probs, self.resolution))
        segments = []  # the zero level of each field, traced by contourpy (what contour uses)
        for field in boundary_fields(probs, self.resolution):
            finite = field[np.isfinite(field)]
            if len(finite) and finite.min() < 0 < finite.max():
                gen = contourpy.contour_generator(
                    self.xs, self.ys, np.ma.masked_invalid(field), line_type="Separate"
                )
                segments += [seg for seg in gen.lines(0.0) if len(seg) > 1]
        self.boundary.set_segments(segments)
        return probs

    def moving_artists(self) -> list:
        """What ``update`` changes: the surface and the boundary (for a dashboard's
        ``moving_artists``, see ``widgets.base``; the points on top are redrawn with them)."""
        return [self.image, self.boundary]


def plot_decision_boundary(
    model, X, y, resolution: int = 150, output: str = "auto", ax: Axes | None = None
) -> PlotFigure:
    """The decision regions of ``model`` over 2-D data with the training points on top.

    Parameters
    ----------
    model : a Layer mapping (n, 2) inputs to (n, 1) or (n, C) outputs
    X : (n, 2); y : (n,) integer class labels
    resolution : grid points per side
    output : "auto", "logits" or "probabilities"
    ax : optional Axes to draw into

    Returns
    -------
    The figure.
    """
    if ax is None:
        fig = new_figure(420, 400)
        ax = fig.add_subplot()
    DecisionBoundary(ax, X, y, resolution=resolution, output=output).update(model)
    return ax.figure
