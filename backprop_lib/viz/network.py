"""Network diagram in the style of TensorFlow Playground: units, weights as lines, and pictures.

Line width grows with |w| and its colour gives the sign (blue positive, orange negative, the
Okabe-Ito pair); each unit's bias is the small square at its lower left (colour = sign, size ~
|b|). For tiny networks the values are written on the lines. A layer of more than
``MAX_LINES`` weights (e.g. 64 x 64) draws only its ``MAX_LINES`` strongest, chosen again at
every update, and a grey note above the diagram says so. ``NetworkDiagram(ax, model)`` draws
once and ``update(model)`` moves widths, colours and labels in place.

Neuron pictures (``pictures=grid_points(X, 24)``): every hidden unit and every output unit
becomes a small square heat-map of its value over the input plane, as in TensorFlow
Playground, so one sees which boundary each hidden unit draws and how the output combines
them. ``unit_values`` computes them by one forward pass of the grid through the model's own
layers. Hidden units are named h₁, h₂, ... (h¹₁, h²₁, ... with several hidden layers), inputs
x₁, x₂, ..., the output ŷ: a weight ``W1[i,j]`` is the line from xᵢ to hⱼ, as the weight
explorer's sliders are named. Used by the forward-pass notebook (with ``WeightExplorer``) and
the training-loop notebook (``TrainingDashboard``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from matplotlib.transforms import Affine2D, ScaledTranslation, offset_copy

from ..nn.activations import Sigmoid, Softmax
from ..nn.layers import Dropout, Linear, Sequential
from .style import CLASS_COLORS, NEGATIVE, POSITIVE, PlotFigure, blend, new_figure, style

__all__ = [
    "linear_layers",
    "unit_values",
    "picture_rgb",
    "NetworkDiagram",
    "plot_network",
    "PICTURE_RESOLUTION",
    "MIN_PICTURE_PX",
    "MAX_LINES",
]

_SUB = "₀₁₂₃₄₅₆₇₈₉"  # subscript digits: plain text renders faster than mathtext
_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_ACT_NAMES = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax")

#: grid points per side that the dashboards use for pictures (24 x 24 = 576 inputs per update)
PICTURE_RESOLUTION = 24
#: pictures are drawn only when a unit's square is at least this many pixels across; smaller
#: (e.g. 64 units in a column) they would be noise, and the plain circles are drawn instead
MIN_PICTURE_PX = 11
#: a layer of more weights than this draws only this many of them, its strongest (largest |w|),
#: and a grey note above the diagram says so: 64 x 64 = 4,096 lines between two columns of
#: units are a solid mesh in which no line can be followed, and cost about 10 us each to draw
#: (200 ms for the 20,000 of six layers of 64), while the strongest 512 show where the large
#: weights are and their signs
MAX_LINES = 512
#: the strongest colour of a picture, as a share of the full hue (``surface_rgb``'s strength):
#: the output unit's picture then has exactly the colours of the decision-boundary panel
STRENGTH = 0.6
_PICTURE_MAX_PT = 40.0  # a picture at most this many points across (55 px at dpi 100)
_BIAS_ROOM_PT = 10.0  # height kept under a pictured unit for its bias label
_VALUES_MIN_PT = 34.0  # the automatic choice writes values only when units are this far apart
_HALO = dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8)  # text over lines


def _sub(n: int) -> str:
    return "".join(_SUB[int(d)] for d in str(n))


def _sup(n: int) -> str:
    return "".join(_SUP[int(d)] for d in str(n))


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


def unit_names(sizes) -> list[list[str]]:
    """The name of every unit, by layer: x₁.. (inputs), h₁.. (hidden), ŷ or ŷ₁.. (outputs).

    One hidden layer: h₁, h₂, ...; several: hˡⱼ is unit j of hidden layer l (h¹₁, h²₃). A
    weight ``W1[i,j]`` joins input i to hidden unit j, ``W2[j,1]`` hidden unit j to the output,
    as ``WeightExplorer`` names its sliders (indices from 1).
    """
    n_hidden = len(sizes) - 2
    names = [[f"x{_sub(i + 1)}" for i in range(sizes[0])]]
    for layer in range(1, n_hidden + 1):
        tag = "" if n_hidden == 1 else _sup(layer)
        names.append([f"h{tag}{_sub(j + 1)}" for j in range(sizes[layer])])
    outs = sizes[-1]
    names.append(["ŷ"] if outs == 1 else [f"ŷ{_sub(k + 1)}" for k in range(outs)])
    return names


# ---- pictures: every unit's value over a grid of inputs -------------------------------------


def _chain(model) -> list:
    """The model's layers in forward order, nested ``Sequential``s opened up."""
    if isinstance(model, Sequential):
        return [item for layer in model for item in _chain(layer)]
    return [model]


def _check_observable(model) -> None:
    """Each Linear must start a block of its own, so the value entering it can be read."""
    for item in _chain(model):
        inside = linear_layers(item)
        if len(inside) > 1:
            raise ValueError(
                f"neuron pictures read each hidden layer's output where it enters the next "
                f"layer, but {type(item).__name__} holds {len(inside)} Linear layers inside one "
                "block, so the units between them are hidden; draw this model with "
                "pictures=None"
            )


def unit_values(model, points) -> tuple[list[np.ndarray], np.ndarray]:
    """Every unit's value on ``points``: one forward pass through the model's own layers.

    The model runs in eval mode (dropout off, batch norm on its running statistics). A hidden
    unit's value is what it sends along its lines: the input of the block holding the next
    Linear (after the activation, and for a residual block after the skip is added). Each
    layer's cached forward values (what its backward needs) and the training mode are put
    back afterwards, so drawing between two training steps changes nothing that trains.

    Parameters
    ----------
    model : a Sequential whose Linear layers form a chain (e.g. from ``mlp``)
    points : (n, in_features) model inputs

    Returns
    -------
    hidden : list of (n, width) arrays, one per hidden layer
    output : (n, out_features), the model's output
    """
    _check_observable(model)
    params = model.parameters() if hasattr(model, "parameters") else []
    x = np.asarray(points, dtype=params[0].data.dtype if params else float)
    modules = model.modules()
    saved = [(m, dict(vars(m))) for m in modules]  # every cache the forward below overwrites
    model.eval()
    hidden = []
    try:
        seen_linear = False
        with np.errstate(all="ignore"):  # a diverged network gives NaN: drawn grey
            for item in _chain(model):
                if linear_layers(item):
                    if seen_linear:
                        hidden.append(np.asarray(x, dtype=float))
                    seen_linear = True
                x = item(x)
    finally:  # put back every layer's caches and its own train/eval flag
        for m, state in saved:
            vars(m).clear()
            vars(m).update(state)
    return hidden, np.asarray(x, dtype=float).reshape(len(x), -1)


def _hidden_kinds(model) -> list[str]:
    """Per hidden layer, "sigmoid" when the value sent on is a Sigmoid's output, else "signed"."""
    kinds, prev, seen_linear = [], None, False
    for item in _chain(model):
        if linear_layers(item):
            if seen_linear:
                kinds.append("sigmoid" if isinstance(prev, Sigmoid) else "signed")
            seen_linear = True
            prev = item
        elif not isinstance(item, Dropout):  # dropout passes its input on as it is in eval
            prev = item
    return kinds


def _signed_rgb(s: np.ndarray) -> np.ndarray:
    """RGB of values in [-1, 1]: -1 orange, 0 white, +1 blue (at ``STRENGTH``); NaN grey."""
    s = np.asarray(s, dtype=float)
    bad = ~np.isfinite(s)
    s = np.clip(np.where(bad, 0.0, s), -1.0, 1.0)
    rgb = np.where(
        (s >= 0)[..., None], blend(POSITIVE, STRENGTH * s), blend(NEGATIVE, -STRENGTH * s)
    )
    rgb[bad] = 0.8
    return rgb


def _output_kind(model, output: str) -> str:
    if output not in ("auto", "logits", "probabilities", "values"):
        raise ValueError(
            f"output must be 'auto', 'logits', 'probabilities' or 'values', got {output!r}"
        )
    if output == "auto":
        last = _chain(model)[-1]
        return "probabilities" if isinstance(last, (Sigmoid, Softmax)) else "logits"
    return output


def picture_rgb(model, points, output: str = "auto") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The colours of every unit's picture: hidden layers, then the output layer.

    Colour scales, fixed (the same for every picture of a kind, whatever the weights):
    - a hidden unit after a sigmoid: 0 orange, 0.5 white, 1 blue (its own boundary, z = 0, is
      white);
    - any other hidden unit (tanh, ReLU, leaky ReLU, identity, residual): -1 orange, 0 white,
      +1 blue, values beyond ±1 drawn as ±1 (a ReLU unit is white where it is off);
    - one output, ``output`` "logits" (the default for a last Linear) or "probabilities":
      P(class 1) = sigmoid(ŷ) from 0 orange through 0.5 white to 1 blue, exactly the decision
      boundary panel's colours; several outputs: P(class k) (softmax) from 0 white to 1 in
      class k's colour;
    - ``output="values"`` (regression): ŷ on the hidden units' scale, -1 orange to +1 blue.
    The strongest colour is ``STRENGTH`` of the hue; NaN and inf are grey.

    Parameters
    ----------
    model : a Sequential of Linear layers and activations
    points : (G*G, in_features) inputs on a square grid, row by row from the bottom left (as
        ``viz.boundary.grid_points`` makes them)
    output : "auto", "logits", "probabilities" or "values"

    Returns
    -------
    hidden : per hidden layer, (width, G, G, 3) RGB
    outputs : per output unit, (G, G, 3) RGB (a list, one entry per unit)
    """
    kind = _output_kind(model, output)
    points = np.asarray(points)
    g = int(round(np.sqrt(len(points))))
    hidden, out = unit_values(model, points)
    rgb_hidden = []
    for values, which in zip(hidden, _hidden_kinds(model), strict=True):
        s = 2.0 * values - 1.0 if which == "sigmoid" else values  # (n, width) in [-1, 1]
        rgb_hidden.append(_signed_rgb(s.T.reshape(-1, g, g)))
    with np.errstate(all="ignore"):
        if kind == "values":
            rgb_out = _signed_rgb(out.T.reshape(-1, g, g))
        elif out.shape[1] == 1:
            p1 = out[:, 0] if kind == "probabilities" else 1.0 / (1.0 + np.exp(-out[:, 0]))
            rgb_out = _signed_rgb((2.0 * p1 - 1.0).reshape(1, g, g))
        else:
            if kind == "probabilities":
                p = out
            else:
                e = np.exp(out - out.max(axis=1, keepdims=True))
                p = e / e.sum(axis=1, keepdims=True)
            rgb_out = np.empty((out.shape[1], g, g, 3))
            for k in range(out.shape[1]):
                pk = p[:, k].reshape(g, g)
                bad = ~np.isfinite(pk)
                color = CLASS_COLORS[k % len(CLASS_COLORS)]
                rgb_out[k] = blend(color, STRENGTH * np.clip(np.where(bad, 0, pk), 0, 1))
                rgb_out[k][bad] = 0.8
    return rgb_hidden, list(rgb_out)


def _raw_inputs(model, in_features: int) -> int:
    """The number of columns the model takes: its first Linear's inputs, unless a layer in
    front derives them from fewer (``features.InputFeatures``: x1, x2 -> x1², sin x1...)."""
    layers = getattr(model, "layers", None)
    return getattr(layers[0], "n_inputs", in_features) if layers else in_features


def _as_points(pictures, in_features: int) -> np.ndarray:
    """``pictures`` (points, or ``grid_points``' (points, extent)) as a checked (G*G, d) array."""
    if isinstance(pictures, tuple) and len(pictures) == 2:
        pictures = pictures[0]  # grid_points(X, 24) returns (points, extent)
    try:
        points = np.asarray(pictures, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"pictures must be model inputs on a grid, got {type(pictures).__name__}; pass "
            "pictures=grid_points(X, 24) (from backprop_lib.viz.boundary)"
        ) from None
    if points.ndim != 2 or points.shape[1] != in_features:
        raise ValueError(
            f"pictures must be inputs of shape (G*G, {in_features}) for this network, got "
            f"shape {points.shape}; pass pictures=grid_points(X, 24)"
        )
    g = int(round(np.sqrt(len(points))))
    if g < 2 or g * g != len(points):
        raise ValueError(
            f"pictures must be a square grid of G*G points (G >= 2), got {len(points)} points; "
            "pass pictures=grid_points(X, 24)"
        )
    if not np.isfinite(points).all():
        raise ValueError("pictures hold NaN or inf inputs; build the grid from finite data")
    return points


# ---- the diagram ----------------------------------------------------------------------------


class NetworkDiagram:
    """Units and weighted connections of an MLP on ``ax``, updated in place by ``update``.

    Parameters
    ----------
    ax : Axes
    model : a Sequential (or any Layer) whose Linear layers form a chain
    show_values : bool or None
        Write each weight's value on its line; None writes them when there are <= 16 weights
        and the rows and columns of units are at least 34 points apart (room for them).
    max_width : float
        Line width (points) of the largest |w|.
    input_names : names of the inputs, default x₁, x₂, ...
    pictures : None, or model inputs on a square grid, (G*G, in_features), e.g.
        ``grid_points(X, 24)`` (its (points, extent) pair is accepted as it is). Each hidden
        and output unit then shows its value over that grid as a square picture (see
        ``picture_rgb`` for the colour scales). When the units would be smaller than
        ``MIN_PICTURE_PX`` pixels (e.g. 64 in a column) the pictures are left out and
        ``pictures_shown`` is False; a grey note above the diagram says so (``note``).
    output : how to colour the output unit's picture: "auto", "logits", "probabilities" or
        "values" (regression); see ``picture_rgb``
    hidden_names : bool or None
        Write each hidden unit's name (h₁, h₂, ...); None: when the units are big enough.

    Attributes
    ----------
    edges : LineCollection, one segment per weight drawn. Every weight, in row-major order
        (layer by layer, W[i, j] at index i * out + j within its layer; ``edge_index``), unless
        a layer has more than ``MAX_LINES`` weights: of such a layer only the ``MAX_LINES``
        largest |w| are drawn, weakest first so the strongest lie on top, chosen at every
        ``update``
    shown : int array, for each segment of ``edges`` the row-major index of its weight
        (``arange`` of the weights when every one is drawn)
    thinned : the layers (from 1, W1 first) of which only the strongest weights are drawn
    note : the grey Text above the diagram saying what it leaves out (the pictures, the weaker
        weights of ``thinned`` layers), or None
    images : list of AxesImage, one per pictured unit (hidden layers, then outputs), updated
        with ``set_data``; empty without pictures
    names : list of lists, every unit's name by layer (``unit_names``)
    name_labels : {(layer, unit): Text} for the names drawn (layer 0 = inputs)
    pictures_shown : whether the pictures are drawn
    """

    def __init__(self, ax: Axes, model, show_values=None, max_width: float = 6.0,
                 input_names=None, pictures=None, output: str = "auto",
                 hidden_names=None):  # fmt: skip
        self.ax = ax
        linears = linear_layers(model)
        if not linears:
            raise ValueError("the model has no Linear layers to draw; pass an MLP")
        self.sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
        self.output = output
        _output_kind(model, output)  # a bad name is an error before anything is drawn
        points = None
        if pictures is not None and pictures is not False:
            points = _as_points(pictures, _raw_inputs(model, self.sizes[0]))
            _check_observable(model)
        n_weights = sum(lin.W.data.size for lin in linears)
        self.max_width = max_width if n_weights <= 64 else max_width / 2
        cols = len(self.sizes)
        tallest = max(self.sizes)
        # size the units to the space: one row of the tallest column per (tallest + 1.8) of
        # the axes' height, a unit at most 26 pt across (a picture at most 40 pt)
        fig = ax.figure
        fig_w, fig_h = fig.get_size_inches() * 72  # points
        box = ax.get_position()
        row = box.height * fig_h / (tallest + 1.8)  # points between two rows
        column = box.width * fig_w / (cols + 0.1)  # points between two columns
        # unit positions: column = layer, rows centred vertically, one data unit apart; the
        # inputs and outputs, whose names are written beside small units, at least 12 pt apart
        named = max(1.0, 12.0 / row)
        steps = [1.0] * cols
        for c in (0, cols - 1):
            n = self.sizes[c]
            steps[c] = 1.0 if n == 1 else min(named, (tallest - 1) / (n - 1))
        self.pos = [
            np.column_stack([np.full(n, float(c)), steps[c] * (np.arange(n) - (n - 1) / 2)[::-1]])
            for c, n in enumerate(self.sizes)
        ]
        segments = [
            [self.pos[c][i], self.pos[c + 1][j]]
            for c in range(cols - 1)
            for i in range(self.sizes[c])
            for j in range(self.sizes[c + 1])
        ]  # row-major within each layer: W[i, j]
        self._all_segments = np.array(segments, dtype=float).reshape(-1, 2, 2)
        counts = [a * b for a, b in zip(self.sizes, self.sizes[1:], strict=False)]
        self._starts = np.concatenate([[0], np.cumsum(counts)])
        self.thinned = [layer for layer, n in enumerate(counts, start=1) if n > MAX_LINES]
        self.shown = np.arange(n_weights)
        spacing = min(row, column)
        if show_values is None:  # a few weights, with room between the units for their values
            self.show_values = n_weights <= 16 and spacing >= _VALUES_MIN_PT
        else:
            self.show_values = bool(show_values)
        d = min(26.0, 0.62 * spacing)  # a plain unit's diameter, points
        # a pictured unit: as large as the rows allow, leaving room for its bias label below
        # (its name goes beside it)
        want_names = row >= 30.0 if hidden_names is None else bool(hidden_names)
        room = 2.0 + (_BIAS_ROOM_PT if self.show_values else 0)  # bias labels go underneath
        side = min(_PICTURE_MAX_PT, row - room, 0.45 * column)
        self.pictures_shown = points is not None and side * fig.dpi / 72 >= MIN_PICTURE_PX
        half = 0.5 * side if self.pictures_shown else 0.5 * d  # points from centre to edge
        self._half = half
        self._segments, self._d, self._want_names = segments, d, want_names
        self._placed_for = None  # the axes' pixel box the value labels were placed for
        self._bias_scale = (min(d, 2 * half) / 26.0) ** 2
        font = float(np.clip(0.42 * d, 6.0, 10.0))
        inside = d >= 14  # names inside plain units, or beside them when the units are small
        self.names = unit_names(self.sizes)
        if input_names is not None:
            self.names[0] = list(input_names)
        self.name_labels: dict[tuple[int, int], object] = {}
        self.images: list[AxesImage] = []
        self._points = points

        def at(dx: float, dy: float):  # data position + an offset in points
            return offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points")

        with style():
            drawn = segments if not self.thinned else self._all_segments[:0]  # set by update
            self.edges = LineCollection(drawn, zorder=1, capstyle="round")
            ax.add_collection(self.edges)
            plain = np.concatenate(self.pos if not self.pictures_shown else self.pos[:1])
            ax.scatter(plain[:, 0], plain[:, 1], s=d * d, color="white", edgecolors="0.25",
                       linewidths=1.4, zorder=3)  # fmt: skip
            if self.pictures_shown:
                self._add_pictures(np.concatenate(self.pos[1:]), half)
            bias_units = np.concatenate(self.pos[1:])
            if self.pictures_shown:  # the bias square left of a picture's lower corner, its
                square = at(-half - 6, -half + 4)  # label under the picture
                bias_at = at(-half, -half - 5.5)
            else:  # under a plain unit's lower left, its label beside it
                square = at(-0.6 * half, -1.25 * half - 1)
                bias_at = at(-0.6 * half + 6, -1.25 * half - 1)
            self.biases = ax.scatter(
                bias_units[:, 0], bias_units[:, 1], marker="s", s=40, edgecolors="0.25",
                linewidths=0.6, zorder=5, transform=square,
            )  # fmt: skip
            self.labels = [
                ax.text(0.0, 0.0, "", fontsize=8.5, ha="center", va="center", zorder=6,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
                for _ in segments
            ] if self.show_values else []  # fmt: skip
            self.bias_labels = [
                ax.text(x, y, "", fontsize=8, ha="left", va="center", color="0.3", zorder=6,
                        transform=bias_at)
                for x, y in bias_units
            ] if self.show_values else []  # fmt: skip
            for i, ((x, y), name) in enumerate(zip(self.pos[0], self.names[0], strict=False)):
                self.name_labels[0, i] = ax.text(
                    x, y, name, ha="center" if inside else "right", va="center",
                    fontsize=font if inside else 9, zorder=6,
                    transform=ax.transData if inside else at(-0.5 * d - 2, 0),
                )  # fmt: skip
            above = at(0, half + 1.5)
            for c in range(1, cols):
                output_layer = c == cols - 1
                if not (output_layer or want_names):
                    continue
                for j, (x, y) in enumerate(self.pos[c]):
                    name = self.names[c][j]
                    if self.pictures_shown and output_layer:  # right of the picture
                        text = ax.text(x, y, name, ha="left", va="center", fontsize=8.5,
                                       zorder=6, transform=at(half + 2, 0))  # fmt: skip
                    elif self.pictures_shown:  # left of the picture's top: no row room
                        text = ax.text(x, y, name, ha="right", va="top", fontsize=8.5,
                                       zorder=6, transform=at(-half - 2, half),
                                       bbox=_HALO)  # fmt: skip
                    elif not output_layer and not inside:
                        text = ax.text(x, y, name, ha="center", va="bottom", fontsize=8.5,
                                       zorder=6, transform=above)  # fmt: skip
                    elif inside:
                        text = ax.text(x, y, name, ha="center", va="center", fontsize=font,
                                       zorder=6)  # fmt: skip
                    else:  # a small output unit: its name to the right
                        text = ax.text(x, y, name, ha="left", va="center", fontsize=9,
                                       zorder=6, transform=at(0.5 * d + 2, 0))  # fmt: skip
                    self.name_labels[c, j] = text
            self.act_labels = [
                ax.text(c, -(tallest - 1) / 2 - 0.75, "", ha="center", va="top", fontsize=9,
                        color="0.3")
                for c in range(1, cols - 1)
            ]  # fmt: skip
            self.note = None
            notes = []
            if points is not None and not self.pictures_shown:
                notes.append("too many units to draw their pictures")
            if self.thinned:
                notes.append(_thinned_note(self.sizes, self.thinned))
            if notes:
                self.note = ax.text(  # above the diagram, where a title would be
                    0.5, 1.0, "\n".join(notes),
                    transform=offset_copy(ax.transAxes, fig=fig, y=3, units="points"),
                    ha="center", va="bottom", fontsize=8, color="0.4",
                )  # fmt: skip
            right = 0.55 if inside or self.pictures_shown else 0.4
            ax.set_xlim(-0.45 if inside else -0.6, cols - right)
            ax.set_ylim(-(tallest - 1) / 2 - 1.2, (tallest - 1) / 2 + 0.6)
            ax.set_axis_off()
            if self.labels:
                self._place_values()  # a first guess, before the figure is laid out
                ax.add_artist(_PlaceValues(self))  # and again, at draw time, once it is
        self.update(model)

    def _place_values(self) -> None:
        """Put each value label where it covers nothing (``_label_places``), for the axes'
        place now; nothing to do while that place is unchanged (every draw after the first)."""
        ax = self.ax
        key = (*ax.bbox.bounds, ax.figure.dpi, ax.get_xlim(), ax.get_ylim())
        if key == self._placed_for:
            return
        self._placed_for = key
        to_pt = 72.0 / ax.figure.dpi
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        column = ax.bbox.width * to_pt / (x1 - x0)  # points per data unit, across
        row = ax.bbox.height * to_pt / (y1 - y0)  # and up
        mids = _label_places(self, self._segments, row, column, self._half, self._d,
                             self._want_names)  # fmt: skip
        for text, (x, y) in zip(self.labels, mids, strict=True):
            text.set_position((x, y))

    def _add_pictures(self, centres: np.ndarray, half: float) -> None:
        """One square image per unit at ``centres``, sized in points so layout keeps it square."""
        ax, fig = self.ax, self.ax.figure
        g = int(round(np.sqrt(len(self._points))))
        to_display = Affine2D().scale(1 / 72) + fig.dpi_scale_trans  # points -> pixels
        blank = np.ones((g, g, 3))
        for x, y in centres:
            image = _Picture(ax, interpolation="bilinear", origin="lower",
                             extent=(-half, half, -half, half), zorder=3)  # fmt: skip
            image.set_data(blank)
            image.set_transform(to_display + ScaledTranslation(x, y, ax.transData))
            ax.add_image(image)
            self.images.append(image)
        # frames: one collection of squares, the size of the pictures
        ax.scatter(centres[:, 0], centres[:, 1], marker="s", s=(2 * half) ** 2,
                   facecolors="none", edgecolors="0.25", linewidths=1.0, zorder=4)  # fmt: skip

    def edge_index(self, layer: int, i: int, j: int) -> int:
        """Row-major index of W``layer``[i, j] among all weights (layer from 1, i and j from
        0): its segment's index in ``edges`` when every weight is drawn (``thinned`` empty);
        else that segment is where ``shown`` holds this index, if it is drawn."""
        if not 1 <= layer < len(self.sizes):
            raise ValueError(f"layer must be 1 to {len(self.sizes) - 1}, got {layer}")
        n_in, n_out = self.sizes[layer - 1], self.sizes[layer]
        if not (0 <= i < n_in and 0 <= j < n_out):
            raise ValueError(f"W{layer} is ({n_in}, {n_out}); got index ({i}, {j})")
        before = sum(a * b for a, b in zip(self.sizes[: layer - 1], self.sizes[1:layer],
                                           strict=True))  # fmt: skip
        return before + i * n_out + j

    def update(self, model, pictures=None) -> None:
        """Set line widths/colours, bias squares, value labels and pictures from ``model``.

        ``pictures``: new grid inputs (same form as the constructor's), e.g. after the data
        changed; None keeps the current grid. Only the pictures' data change (``set_data``).
        """
        linears = linear_layers(model)
        sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
        if sizes != self.sizes:
            raise ValueError(f"model has layer sizes {sizes}, the diagram {self.sizes}")
        if pictures is not None:
            if self._points is None:
                raise ValueError(
                    "this diagram was built without pictures; build it with pictures=... to "
                    "give it a grid"
                )
            points = _as_points(pictures, _raw_inputs(model, self.sizes[0]))
            if len(points) != len(self._points):
                raise ValueError(
                    f"the new grid has {len(points)} points, the diagram's {len(self._points)}; "
                    "keep the resolution"
                )
            self._points = points
        w = np.concatenate([lin.W.data.ravel() for lin in linears])  # row-major: (i, j) order
        b = np.concatenate(
            [lin.b.data if lin.b is not None else np.zeros(lin.out_features) for lin in linears]
        )
        scale = max(np.nanmax(np.abs(w)) if np.any(np.isfinite(w)) else 1.0, 1e-12)
        with np.errstate(invalid="ignore"):
            widths = 0.4 + self.max_width * np.nan_to_num(np.abs(w) / scale)
        colors = _sign_colors(w)
        if self.thinned:
            self.shown = self._strongest(w)
            self.edges.set_segments(self._all_segments[self.shown])
            widths, colors = widths[self.shown], colors[self.shown]
        self.edges.set_linewidths(widths)
        self.edges.set_colors(colors)
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
        if self.images:
            hidden, outputs = picture_rgb(model, self._points, self.output)
            rgbs = [rgb for layer in hidden for rgb in layer] + outputs
            for image, rgb in zip(self.images, rgbs, strict=True):
                image.set_data(rgb)

    def _strongest(self, w: np.ndarray) -> np.ndarray:
        """The row-major indices of the weights drawn: every weight of a layer of at most
        ``MAX_LINES``, in order; of a ``thinned`` layer its ``MAX_LINES`` largest |w|, weakest
        to strongest (NaN and inf count as the strongest: a diverged weight is drawn, grey)."""
        keep = []
        for layer in range(1, len(self.sizes)):
            start, stop = self._starts[layer - 1], self._starts[layer]
            if layer not in self.thinned:
                keep.append(np.arange(start, stop))
                continue
            size = np.nan_to_num(np.abs(w[start:stop]), nan=np.inf)
            top = np.argpartition(size, len(size) - MAX_LINES)[-MAX_LINES:]
            keep.append(start + top[np.argsort(size[top], kind="stable")])
        return np.concatenate(keep)

    def moving_artists(self) -> list:
        """The artists a weight change moves: the lines (widths, colours), the bias squares,
        the value labels and the pictures. (Activation names change only with the model's
        activation; a redraw that finds them changed draws everything.)"""
        return [self.edges, self.biases, *self.labels, *self.bias_labels, *self.images]


class _Picture(AxesImage):
    """A neuron picture: an AxesImage that resamples its small RGB grid to its pixels itself.

    Matplotlib's general image path (any transform, masks, colour maps, clipping to the axes)
    costs about 0.5 ms an image: 17 ms for the default playground's 34 pictures, on every
    update. A picture is an upright square of a G x G RGB grid, so a bilinear resampling onto
    the pixels whose centres it covers (pixel centres mapped onto the grid's, the outer half
    cells held at their edge value) is all it needs, a few small matrix products. Any other
    case (a vector backend's magnification, data of another form) takes matplotlib's path.
    """

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        data = self.get_array()  # kept as a masked array: nothing is masked in an RGB grid
        if unsampled or magnification != 1.0 or np.ma.getmask(data) is not np.ma.nomask or (
            data.ndim != 3 or data.shape[2] != 3
        ):  # fmt: skip
            return super().make_image(renderer, magnification, unsampled)
        data = np.ma.getdata(data)
        x0, x1, y0, y1 = self.get_extent()
        (left, bottom), (right, top) = self.get_transform().transform([(x0, y0), (x1, y1)])
        cols = np.arange(np.ceil(left - 0.5), np.floor(right - 0.5) + 1)  # pixels covered
        rows = np.arange(np.ceil(bottom - 0.5), np.floor(top - 0.5) + 1)
        if not len(cols) or not len(rows):
            return None, 0, 0, None
        across = _bilinear(cols + 0.5 - left, right - left, data.shape[1])
        up = _bilinear(rows + 0.5 - bottom, top - bottom, data.shape[0])
        grid = np.clip(data, 0, 1)
        rgb = across @ (up @ grid.reshape(len(grid), -1)).reshape(len(up), *grid.shape[1:])
        out = np.empty((len(rows), len(cols), 4), dtype=np.uint8)
        out[..., :3] = 255 * rgb  # truncated to bytes, as matplotlib converts them
        out[..., 3] = 255
        return out, cols[0], rows[0], None


def _bilinear(centres: np.ndarray, length: float, n: int) -> np.ndarray:
    """(len(centres), n) weights taking n cells spread over ``length`` pixels to the values at
    ``centres`` (pixels from the start): linear between cell centres, held beyond the outer
    ones."""
    u = np.clip(centres / length * n - 0.5, 0, n - 1)
    low = np.minimum(np.floor(u).astype(int), n - 2) if n > 1 else np.zeros(len(u), int)
    frac = u - low
    weights = np.zeros((len(u), n))
    weights[np.arange(len(u)), low] = 1 - frac
    if n > 1:
        weights[np.arange(len(u)), low + 1] += frac
    return weights


class _PlaceValues(Artist):
    """Draws nothing: at the start of each draw of the diagram's axes (it is drawn first, at
    zorder -1) it has the value labels placed for the axes' laid-out size, before they are
    drawn. A layout engine moves the axes only while the figure is drawn, after construction.
    """

    zorder = -1

    def __init__(self, diagram: NetworkDiagram):
        super().__init__()
        self.diagram = diagram

    def draw(self, renderer) -> None:
        self.diagram._place_values()


def _label_places(diagram, segments, row, column, half, d, names) -> list[np.ndarray]:
    """Where to write each weight's value: a point on its line, clear of the units, their names
    and the values already placed (boxes in points, for ``row`` and ``column`` points per data
    unit up and across).

    Each layer's lines are taken in order (W[i, j] row-major); a line tries the fractions
    0.2 .. 0.8 of its way, nearest first to the classic stagger by target unit
    (0.36 .. 0.64), and keeps the first whose label box is free, else the least covered one.
    """
    sizes = diagram.sizes
    w, h = 15.0, 6.5  # half-extents of a "+0.00" label, points
    obstacles = []  # (x0, y0, x1, y1) in points
    for c, pos in enumerate(diagram.pos):
        r = half if diagram.pictures_shown and c > 0 else 0.5 * d
        for x, y in pos:
            cx, cy = x * column, y * row
            obstacles.append((cx - r - 1, cy - r - 1, cx + r + 1, cy + r + 1))
            if diagram.pictures_shown and c > 0 and names:  # the name left of the picture
                obstacles.append((cx - r - 18, cy + r - 10, cx - r - 2, cy + r))
            if diagram.pictures_shown and c > 0:  # the bias square at its lower left
                obstacles.append((cx - r - 11, cy - r - 1, cx - r - 1, cy - r + 9))
    mids, start = [], 0
    candidates = np.linspace(0.2, 0.8, 13)
    for c in range(len(sizes) - 1):
        n_to = sizes[c + 1]
        placed = []
        for k in range(sizes[c] * n_to):
            a, b = (np.asarray(p, dtype=float) for p in segments[start + k])
            j = k % n_to
            classic = 0.5 if n_to == 1 else 0.36 + 0.28 * j / (n_to - 1)
            best, best_cover = classic, np.inf
            for t in sorted(candidates, key=lambda t: (abs(t - classic), t)):
                px, py = (a + t * (b - a)) * (column, row)
                box = (px - w, py - h, px + w, py + h)
                cover = sum(_cover(box, o) for o in obstacles + placed)
                if cover < best_cover:
                    best, best_cover = t, cover
                if cover == 0:
                    break
            px, py = (a + best * (b - a)) * (column, row)
            placed.append((px - w, py - h, px + w, py + h))
            mids.append(a + best * (b - a))
        start += sizes[c] * n_to
    return mids


def _thinned_note(sizes: list[int], layers: list[int]) -> str:
    """The note saying that the lines of ``layers`` are their ``MAX_LINES`` strongest weights
    (short: it must fit above a third of the playground's figure)."""
    shapes = {(sizes[layer - 1], sizes[layer]) for layer in layers}
    if len(shapes) > 1:
        return f"lines: each larger layer's {MAX_LINES} strongest weights"
    ((n_in, n_out),) = shapes
    which = "the" if len(layers) == 1 else "each"
    return f"lines: {which} {n_in} × {n_out} layer's {MAX_LINES} strongest weights"


def _cover(a, b) -> float:
    """The area two boxes (x0, y0, x1, y1) share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def plot_network(model, show_values=None, ax: Axes | None = None, pictures=None,
                 output: str = "auto") -> PlotFigure:  # fmt: skip
    """A TensorFlow-Playground-style diagram of ``model``'s weights; returns the figure.

    ``pictures=grid_points(X, 24)`` draws every hidden and output unit's value over the
    input plane in its node (see ``NetworkDiagram``).
    """
    if ax is None:
        sizes = [linear_layers(model)[0].in_features] + [
            lin.out_features for lin in linear_layers(model)
        ]
        height = min(520, (70 if pictures is not None else 50) * max(sizes) + 160)
        fig = new_figure(min(900, 150 * len(sizes) + 120), height)
        ax = fig.add_subplot()
    NetworkDiagram(ax, model, show_values=show_values, pictures=pictures, output=output)
    return ax.figure
