"""Network diagram in the style of TensorFlow Playground: units as circles, weights as lines.

Line width grows with |w| and its colour gives the sign (blue positive, orange negative, the
Okabe-Ito pair); each unit's bias is the small square at its lower left (colour = sign, size ~
|b|). For tiny networks the values are written on the lines. ``NetworkDiagram(ax, model)``
draws once and ``update(model)`` moves widths, colours and labels in place. Used by the
forward-pass notebook (with ``WeightExplorer``) and the training-loop notebook.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

from ..nn.layers import Linear
from .style import NEGATIVE, POSITIVE, PlotFigure, new_figure, style

__all__ = ["linear_layers", "NetworkDiagram", "plot_network"]

_SUB = "₀₁₂₃₄₅₆₇₈₉"  # subscript digits: plain text renders faster than mathtext
_ACT_NAMES = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax")


def _sub(n: int) -> str:
    return "".join(_SUB[int(d)] for d in str(n))


def linear_layers(model) -> list[Linear]:
    """Every ``Linear`` inside ``model``, in forward order (looks inside Residual blocks)."""
    modules = model.modules() if hasattr(model, "modules") else [model]
    return [m for m in modules if isinstance(m, Linear)]


def _activation_names(model) -> list[str]:
    modules = model.modules() if hasattr(model, "modules") else []
    return [type(m).__name__ for m in modules if type(m).__name__ in _ACT_NAMES]


def _sign_colors(values: np.ndarray, alpha_min: float = 0.35) -> np.ndarray:
    """RGBA per value: blue for >= 0, orange for < 0, more opaque for larger |value|."""
    pos, neg = np.array(to_rgba(POSITIVE)), np.array(to_rgba(NEGATIVE))
    colors = np.where(values[:, None] >= 0, pos, neg)
    mag = np.abs(values) / (np.abs(values).max() + 1e-12)
    colors[:, 3] = alpha_min + (1 - alpha_min) * mag
    colors[~np.isfinite(values)] = (0.5, 0.5, 0.5, 1.0)
    return colors


class NetworkDiagram:
    """Units and weighted connections of an MLP on ``ax``, updated in place by ``update``.

    Parameters
    ----------
    ax : Axes
    model : a Sequential (or any Layer) whose Linear layers form a chain
    show_values : bool or None
        Write each weight's value on its line; None writes them when there are <= 16 weights.
    max_width : float
        Line width (points) of the largest |w|.
    input_names : names of the inputs, default x1, x2, ...
    """

    def __init__(self, ax: Axes, model, show_values=None, max_width: float = 6.0,
                 input_names=None):  # fmt: skip
        self.ax = ax
        linears = linear_layers(model)
        if not linears:
            raise ValueError("the model has no Linear layers to draw; pass an MLP")
        self.sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
        n_weights = sum(lin.W.data.size for lin in linears)
        self.max_width = max_width if n_weights <= 64 else max_width / 2
        self.show_values = n_weights <= 16 if show_values is None else bool(show_values)
        cols = len(self.sizes)
        tallest = max(self.sizes)
        # unit positions: column = layer, rows centred vertically
        self.pos = [
            np.column_stack([np.full(n, float(c)), (np.arange(n) - (n - 1) / 2)[::-1]])
            for c, n in enumerate(self.sizes)
        ]
        segments, mids = [], []
        for c in range(cols - 1):
            for i in range(self.sizes[c]):
                for j in range(self.sizes[c + 1]):
                    a, b = self.pos[c][i], self.pos[c + 1][j]
                    segments.append([a, b])
                    # stagger labels along the line (by target unit) so crossing lines'
                    # labels do not sit on top of each other
                    n_to = self.sizes[c + 1]
                    t = 0.5 if n_to == 1 else 0.36 + 0.28 * j / (n_to - 1)
                    mids.append(a + t * (b - a))
        units = np.concatenate(self.pos)
        bias_units = np.concatenate(self.pos[1:])
        # size the units to the space: one row of the tallest column per (tallest + 1.8) of
        # the axes' height, a unit at most 26 pt across
        fig_w, fig_h = ax.figure.get_size_inches() * 72  # points
        box = ax.get_position()
        spacing = min(box.height * fig_h / (tallest + 1.8), box.width * fig_w / (cols + 0.1))
        d = min(26.0, 0.62 * spacing)  # unit diameter, points
        r = 0.5 * d / spacing  # its radius in data units (rows are 1 apart)
        self._bias_scale = (d / 26.0) ** 2
        font = float(np.clip(0.42 * d, 6.0, 10.0))
        with style():
            self.edges = LineCollection(segments, zorder=1, capstyle="round")
            ax.add_collection(self.edges)
            ax.scatter(units[:, 0], units[:, 1], s=d * d, color="white", edgecolors="0.25",
                       linewidths=1.4, zorder=3)  # fmt: skip
            self.biases = ax.scatter(
                bias_units[:, 0] - 0.6 * r, bias_units[:, 1] - 1.25 * r, marker="s", s=40,
                edgecolors="0.25", linewidths=0.6, zorder=4,
            )  # fmt: skip
            self.labels = [
                ax.text(m[0], m[1], "", fontsize=8.5, ha="center", va="center", zorder=5,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
                for m in mids
            ] if self.show_values else []  # fmt: skip
            self.bias_labels = [
                ax.text(x - 0.3 * r, y - 1.25 * r, "", fontsize=8, ha="left", va="center",
                        color="0.3",
                        zorder=5)
                for x, y in bias_units
            ] if self.show_values else []  # fmt: skip
            names = input_names or [f"x{_sub(i + 1)}" for i in range(self.sizes[0])]
            outs = ["ŷ"] if self.sizes[-1] == 1 else [
                f"ŷ{_sub(k + 1)}" for k in range(self.sizes[-1])
            ]  # fmt: skip
            inside = d >= 14  # names inside the units, or beside them when the units are small
            for (x, y), name in zip(self.pos[0], names, strict=False):
                ax.text(x if inside else x - 0.07, y, name, ha="center" if inside else "right",
                        va="center", fontsize=font if inside else 9, zorder=5)  # fmt: skip
            for (x, y), name in zip(self.pos[-1], outs, strict=True):
                ax.text(x if inside else x + 0.07, y, name, ha="center" if inside else "left",
                        va="center", fontsize=font if inside else 9, zorder=5)  # fmt: skip
            self.act_labels = [
                ax.text(c, -(tallest - 1) / 2 - 0.75, "", ha="center", va="top", fontsize=9,
                        color="0.3")
                for c in range(1, cols - 1)
            ]  # fmt: skip
            ax.set_xlim(-0.45 if inside else -0.6, cols - (0.55 if inside else 0.4))
            ax.set_ylim(-(tallest - 1) / 2 - 1.2, (tallest - 1) / 2 + 0.6)
            ax.set_axis_off()
        self.update(model)

    def update(self, model) -> None:
        """Set line widths/colours, bias squares and value labels from ``model``'s weights."""
        linears = linear_layers(model)
        sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
        if sizes != self.sizes:
            raise ValueError(f"model has layer sizes {sizes}, the diagram {self.sizes}")
        w = np.concatenate([lin.W.data.ravel() for lin in linears])  # row-major: (i, j) order
        b = np.concatenate(
            [lin.b.data if lin.b is not None else np.zeros(lin.out_features) for lin in linears]
        )
        scale = max(np.nanmax(np.abs(w)) if np.any(np.isfinite(w)) else 1.0, 1e-12)
        with np.errstate(invalid="ignore"):
            widths = 0.4 + self.max_width * np.nan_to_num(np.abs(w) / scale)
        self.edges.set_linewidths(widths)
        self.edges.set_colors(_sign_colors(w))
        bscale = max(np.nanmax(np.abs(b)) if np.any(np.isfinite(b)) else 1.0, 1e-12)
        self.biases.set_sizes(self._bias_scale * (12 + 90 * np.nan_to_num(np.abs(b) / bscale)))
        self.biases.set_facecolors(_sign_colors(b, alpha_min=1.0))
        for text, value in zip(self.labels, w if self.labels else [], strict=True):
            text.set_text(f"{value:+.2f}")
        for text, value in zip(self.bias_labels, b if self.bias_labels else [], strict=True):
            text.set_text(f"b {value:+.2f}")
        acts = _activation_names(model)
        for k, text in enumerate(self.act_labels):
            text.set_text(acts[k] if k < len(acts) else "")


def plot_network(model, show_values=None, ax: Axes | None = None) -> PlotFigure:
    """A TensorFlow-Playground-style diagram of ``model``'s weights; returns the figure."""
    if ax is None:
        sizes = [linear_layers(model)[0].in_features] + [
            lin.out_features for lin in linear_layers(model)
        ]
        fig = new_figure(min(900, 150 * len(sizes) + 120), min(520, 50 * max(sizes) + 160))
        ax = fig.add_subplot()
    NetworkDiagram(ax, model, show_values=show_values)
    return ax.figure
