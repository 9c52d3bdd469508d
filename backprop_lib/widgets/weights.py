"""WeightExplorer: set every weight and bias of a tiny network by hand and watch its output move.

A 2-H-1 network (H = 2 or 3 hidden units), one slider per weight and bias plus an activation
dropdown; the figure shows the network diagram (line width ~ |w|, colour = sign) and the
network's output over the plane, with the data points. No training: the learner is the
optimizer. Used by the forward-pass notebook ("can you solve XOR by hand?").

The diagram names the units as the sliders do: ``W1[i,j]`` is the line from input xᵢ to
hidden unit hⱼ, ``W2[j,1]`` the line from hⱼ to the output ŷ, ``b1[j]`` hⱼ's bias square.
With ``pictures=True`` (the default) each hidden unit and the output show their value over
the same plane as the output panel, 24 x 24 points (``viz.network``): XOR's band is then
visibly two hidden units' boundaries, one from each unit.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..checks import as_batch
from ..data import make_xor
from ..nn.losses import BCEWithLogitsLoss
from ..nn.models import ACTIVATIONS, mlp
from ..viz.boundary import DecisionBoundary, grid_points
from ..viz.network import PICTURE_RESOLUTION, NetworkDiagram
from ..viz.style import style
from .base import Dashboard

__all__ = ["WeightExplorer"]

STEP = 0.05  # every slider's step; starting values are multiples of it


def _on_step(value: float, limit: float) -> float:
    """``value`` clipped to [-limit, limit] and rounded to the nearest multiple of STEP.

    A value between two steps would be rounded by the browser when the slider appears and
    sent back, redrawing the dashboard once without any input.
    """
    return round(round(float(np.clip(value, -limit, limit)) / STEP) * STEP, 10)


def _check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as an (n, 2) float array of finite numbers and ``y`` as (n,) 0/1 labels."""
    X = as_batch(X, "WeightExplorer", features=2)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            f"WeightExplorer got X with NaN or inf in {int(bad.sum())} of its {len(X)} rows "
            f"(the first is row {int(np.flatnonzero(bad)[0])}); the plot cannot place those "
            "points. Drop them first: keep = np.isfinite(X).all(axis=1); X, y = X[keep], y[keep]"
        )
    if y is None:
        raise ValueError("WeightExplorer got X without y; pass the 0/1 labels too, y of shape (n,)")
    y = np.asarray(y)
    if y.size != len(X) or y.dtype.kind not in "biuf":
        raise ValueError(
            f"WeightExplorer needs one 0/1 label per row of X: got y of shape {y.shape} "
            f"(dtype {y.dtype}) for X of shape {X.shape}; pass y of shape ({len(X)},)"
        )
    y = y.reshape(-1)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(
            f"WeightExplorer shows two classes: y must hold only 0 and 1, got {np.unique(y)[:5]}; "
            "for labels such as -1/1 pass (y > 0).astype(int)"
        )
    return X, y.astype(int)


class WeightExplorer(Dashboard):
    """Sliders for each weight and bias of a 2-H-1 network, its diagram and output surface.

    Parameters
    ----------
    hidden : int
        Hidden units (2 or 3 keep the sliders manageable; up to 4 allowed).
    activation : str
        Starting activation: "sigmoid", "tanh", "relu", "leaky_relu" or "identity".
    X, y : (n, 2) inputs and (n,) 0/1 labels; default: ``make_xor(120, noise=0.25, rng=0)``
    rng : seed for the starting weights
    limit : sliders range over [-limit, limit] in steps of 0.05; the starting weights are
        rounded to that step (so the model starts exactly where its sliders are)
    pictures : bool
        Draw each hidden unit's and the output's value over the input plane in its node.
    threaded : see ``Dashboard``

    Controls (``self.controls`` / ``config`` keys): ``"W1[i,j]"`` (input i -> hidden j),
    ``"b1[j]"``, ``"W2[j,1]"`` (hidden j -> output), ``"b2[1]"`` (1-based), ``"activation"``.
    Attributes: ``model`` (the Sequential shown), ``accuracy``, ``loss`` on (X, y).
    """

    def __init__(
        self,
        hidden: int = 2,
        activation: str = "tanh",
        X=None,
        y=None,
        rng=0,
        limit: float = 4.0,
        pictures: bool = True,
        threaded=None,
    ):
        if not isinstance(hidden, int) or not 1 <= hidden <= 4:
            raise ValueError(f"hidden must be an int from 1 to 4 (one slider each), got {hidden}")
        if not round(limit / STEP, 9).is_integer():
            raise ValueError(f"limit must be a multiple of {STEP} (the slider step), got {limit}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if X is None:
            X, y = make_xor(120, noise=0.25, rng=0)
        X, y = _check_data(X, y)
        super().__init__(width_px=900, height_px=360, threaded=threaded)
        self.X, self.y = X, y
        self.sizes = [2, hidden, 1]
        self.model = mlp(self.sizes, activation=activation, rng=rng)
        self._loss = BCEWithLogitsLoss()
        slider = dict(min=-limit, max=limit, step=STEP, continuous_update=True,
                      readout_format="+.2f", style={"description_width": "52px"},
                      layout=widgets.Layout(width="250px"))  # fmt: skip
        columns = []
        for layer, lin in enumerate((self.model[0], self.model[2]), start=1):
            boxes = []
            for j in range(lin.out_features):
                for i in range(lin.in_features):
                    name = f"W{layer}[{i + 1},{j + 1}]"
                    w = _on_step(lin.W.data[i, j], limit)
                    control = widgets.FloatSlider(value=w, description=name, **slider)
                    main = layer == 1 and i == 0 and j == 0
                    boxes.append(self.add_control(name, control, main=main))
                name = f"b{layer}[{j + 1}]"
                boxes.append(self.add_control(
                    name, widgets.FloatSlider(value=0.0, description=name, **slider)
                ))  # fmt: skip
            title = "input -> hidden" if layer == 1 else "hidden -> output"
            columns.append(widgets.VBox([widgets.HTML(f"<b>{title}</b>"), *boxes]))
        self.activation = self.add_control(
            "activation",
            widgets.Dropdown(options=sorted(ACTIVATIONS), value=activation,
                             description="activation"),
        )  # fmt: skip
        columns[1].children = (*columns[1].children, self.activation)
        for column in columns[:-1]:
            column.layout.margin = "0 24px 0 0"
        self.layout(widgets.HBox(columns))
        with style():
            ax_net, ax_out = self.figure.subplots(1, 2, width_ratios=[1.1, 1])
            grid = grid_points(self.X, PICTURE_RESOLUTION) if pictures else None
            self.diagram = NetworkDiagram(ax_net, self.model, show_values=True, pictures=grid,
                                          hidden_names=True)  # fmt: skip
            ax_net.set_title("W1[i,j]: the line xᵢ → hⱼ   W2[j,1]: the line hⱼ → ŷ", fontsize=10)
            self.boundary = DecisionBoundary(ax_out, self.X, self.y, resolution=100)
            ax_out.set_title("network output: P(class 1) = sigmoid(ŷ)")
        self.accuracy = float("nan")
        self.loss = float("nan")
        self.refresh()

    def compute(self, stale) -> bool:
        act = self.activation.value
        if type(self.model[1]).__name__.lower().replace("_", "") != act.replace("_", ""):
            self.model = mlp(self.sizes, activation=act, rng=0)
        for layer, lin in enumerate((self.model[0], self.model[2]), start=1):
            for j in range(lin.out_features):
                for i in range(lin.in_features):
                    lin.W.data[i, j] = self.controls[f"W{layer}[{i + 1},{j + 1}]"].value
                lin.b.data[j] = self.controls[f"b{layer}[{j + 1}]"].value
        logits = self.model(self.X)[:, 0]  # (n,)
        self.accuracy = float(np.mean((logits > 0) == (self.y == 1)))
        self.loss = self._loss.forward(logits[:, None], self.y[:, None].astype(float))
        return True

    def moving_artists(self) -> list:
        """What a weight or bias slider changes: the diagram's lines, bias squares, value
        labels and pictures, and the output panel's surface and boundary line."""
        return [*self.diagram.moving_artists(), self.boundary.image, self.boundary.boundary]

    def draw(self) -> None:
        self.diagram.update(self.model)
        self.boundary.update(self.model)
        self.set_status(
            f"accuracy {100 * self.accuracy:.0f}% · loss (binary cross-entropy) "
            f"{self.loss:.3f} nats · activation {self.activation.value}"
        )
