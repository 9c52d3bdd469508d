"""Pictures of the bundled 8x8 digits: a grid of images, and a confusion matrix.

``plot_digits`` draws images with their labels (and, given predictions, what the model said,
wrong answers in red); ``plot_confusion_matrix`` draws ``training.confusion_matrix`` with
every count written in its cell. Used by the capstone notebook (12).
"""

from __future__ import annotations

import numpy as np

from .style import OKABE_ITO, PlotFigure, new_figure, style

__all__ = ["plot_confusion_matrix", "plot_digits"]


def plot_digits(
    X, y, predicted=None, n: int = 24, ncols: int = 12, title: str | None = None
) -> PlotFigure:
    """The first ``n`` images of X (rows of 64 pixels, 8x8), labelled.

    Parameters
    ----------
    X : (m, 64) array, one flattened 8x8 image per row (any scale: each image is drawn with
        its own grey range)
    y : (m,) true labels
    predicted : (m,) predicted labels or None; when given, each title reads "label -> guess",
        red where the guess is wrong
    n, ncols : how many images, and how many per row
    title : a title over the grid
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 64:
        raise ValueError(f"plot_digits expects images as rows of 64 pixels, got shape {X.shape}")
    if len(y) != len(X) or (predicted is not None and len(predicted) != len(X)):
        raise ValueError("plot_digits needs one label (and one prediction) per image")
    n = min(n, len(X))
    if n == 0:
        raise ValueError("plot_digits got no images to draw")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = new_figure(62 * ncols + 20, 74 * nrows + (30 if title else 10))
    with style():
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for i, ax in enumerate(axes):
            ax.set_axis_off()
            if i >= n:
                continue
            ax.imshow(X[i].reshape(8, 8), cmap="gray_r", interpolation="nearest")
            if predicted is None:
                ax.set_title(f"{y[i]}", fontsize=9, pad=2)
            else:
                wrong = predicted[i] != y[i]
                color = OKABE_ITO["vermillion"] if wrong else "#333333"
                ax.set_title(f"{y[i]} \u2192 {predicted[i]}", fontsize=9, pad=2, color=color)
        if title:
            fig.suptitle(title, fontsize=10)
    return fig


def plot_confusion_matrix(matrix, title: str = "confusion matrix (test set)") -> PlotFigure:
    """A (K, K) confusion matrix as a heat map, rows = true class, columns = predicted.

    Every cell shows its count; the diagonal (right answers) dominates a good classifier, and
    a bright off-diagonal cell names the pair of classes the model confuses.
    """
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"plot_confusion_matrix expects a square matrix, got shape {m.shape}")
    k = m.shape[0]
    fig = new_figure(420, 400)
    with style():
        ax = fig.add_subplot()
        image = ax.imshow(m, cmap="Blues", vmin=0)
        ax.grid(False)  # the cells are the grid
        top = m.max() if m.size else 0
        for i in range(k):
            for j in range(k):
                if m[i, j]:
                    dark = m[i, j] > 0.6 * top
                    ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=8,
                            color="white" if dark else "#222222")  # fmt: skip
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.8, label="images")
    return fig
