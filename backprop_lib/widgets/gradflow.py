"""GradientFlowExplorer: depth, activation, initialisation, batch norm and residual connections
against the health of the gradients, layer by layer.

Four panels: the training loss, and per layer over epochs the gradient norm, the
update-to-weight ratio and the fraction of saturated units. Deep sigmoid networks with a
poor initialisation show the vanishing gradient (early layers' norms orders of magnitude below
the last layer's); He/Xavier, batch norm or residual connections bring them back together.
Used by the vanishing-gradient / initialisation notebook.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..nn.models import ACTIVATIONS
from ..viz.curves import LossCurves
from ..viz.health import GradientHealth
from ..viz.style import style
from .live import LiveTraining, loss_label
from .runs import INITS, RunConfig

__all__ = ["GradientFlowExplorer"]

#: Ranges the panels always show (log axes, snapped out to half-decades), so that changing
#: the depth moves only the lines and the colour key: they hold the runs of the default
#: sigmoid network (width 16, 60 epochs) at every depth the slider allows (up to 12 hidden
#: layers), and of batch norm with residual connections too. A run outside them (ReLU with
#: N(0, 1) weights, whose gradients explode) widens them, and stays in view.
WINDOWS = {"grad_norms": (1e-9, 10.0), "update_ratios": (1e-11, 1.0)}
LOSS_LIMITS = (10**-1.5, 10.0)  # the loss axis' limits at least (half-decades, as LossCurves')


class GradientFlowExplorer(LiveTraining):
    """Depth / activation / initialiser / batch norm / residual -> gradient health per layer.

    Parameters
    ----------
    depth : int
        Hidden layers to start with (the slider goes from 1 to ``max_depth``).
    width : int
        Units per hidden layer.
    activation : "sigmoid", "tanh", "relu", "leaky_relu" or "identity"
    init : a key of ``runs.INITS``: "auto", "xavier", "he", "normal" (std 1), "small" (0.01)
    batch_norm, residual : bool
    max_depth : int
    config : RunConfig or dict, optional; the rest of the run (default: moons, 200 points,
        SGD lr 0.1, full batch, 60 epochs)
    threaded : see ``Dashboard``

    Controls: ``depth`` (IntSlider, class ``bp-main-control``), ``activation``, ``init``
    (Dropdowns), ``batch_norm``, ``residual`` (Checkboxes). State: ``run``, ``model``,
    ``history`` (with ``grad_norms``, ``update_ratios``, ``saturation``).
    """

    def __init__(
        self,
        depth: int = 6,
        width: int = 16,
        activation: str = "sigmoid",
        init: str = "auto",
        batch_norm: bool = False,
        residual: bool = False,
        max_depth: int = 12,
        config: RunConfig | dict | None = None,
        threaded=None,
    ):
        if not 1 <= depth <= max_depth:
            raise ValueError(f"depth must be in [1, max_depth={max_depth}], got {depth}")
        defaults = dict(epochs=60, lr=0.1)
        base = (
            config if isinstance(config, RunConfig) else RunConfig(**{**defaults, **(config or {})})
        )
        self.base = base.replace(activation=activation, init=init, batch_norm=batch_norm,
                                 residual=residual, hidden=(width,) * depth)  # fmt: skip
        self.width = int(width)
        super().__init__(epochs=self.base.epochs, width_px=1000, height_px=330, threaded=threaded)
        narrow = widgets.Layout(width="230px")
        self.depth = self.add_control("depth", widgets.IntSlider(
            value=depth, min=1, max=max_depth, description="hidden layers",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="300px"),
        ), main=True)  # fmt: skip
        self.activation = self.add_control("activation", widgets.Dropdown(
            options=sorted(ACTIVATIONS), value=activation, description="activation", layout=narrow
        ))  # fmt: skip
        self.init = self.add_control("init", widgets.Dropdown(
            options=list(INITS), value=init, description="init", layout=narrow
        ))  # fmt: skip
        self.batch_norm = self.add_control("batch_norm", widgets.Checkbox(
            value=batch_norm, description="batch norm", indent=False,
            layout=widgets.Layout(width="110px"),
        ))  # fmt: skip
        self.residual = self.add_control("residual", widgets.Checkbox(
            value=residual, description="residual", indent=False,
            layout=widgets.Layout(width="110px"),
        ))  # fmt: skip
        self.layout(
            widgets.HBox([self.depth, self.activation, self.init]),
            widgets.HBox([self.batch_norm, self.residual, self.animation_row]),
        )
        with style():
            axes = self.figure.subplots(1, 4)
            self.curves = LossCurves(axes[0], log=True)
            axes[0].set_title("training loss")
            self.health = GradientHealth(axes[1:], windows=WINDOWS)
        self.axes = axes
        self.refresh()

    def configs(self) -> list[RunConfig]:
        return [
            self.base.replace(
                hidden=(self.width,) * int(self.depth.value),
                activation=self.activation.value,
                init=self.init.value,
                batch_norm=bool(self.batch_norm.value),
                residual=bool(self.residual.value),
            )
        ]

    def draw(self) -> None:
        h = self.history
        self.curves.update(h, epochs=self.base.epochs)
        lo, hi = self.curves.ax.get_ylim() if h.loss else LOSS_LIMITS  # Reset: no loss yet
        self.curves.ax.set_ylim(min(lo, LOSS_LIMITS[0]), max(hi, LOSS_LIMITS[1]))
        self.curves.ax.yaxis.label.set_text(loss_label(self.run))
        self.health.update(h, epochs=self.base.epochs)
        self.show_progress(flow_note(h, self.run.classes))

    def moving_artists(self) -> list:
        return [*self.curves.moving_artists(), *self.health.moving_artists()]


def flow_note(history, classes: int) -> str:
    """The status line: the gradient's size in the first and the last layer and their ratio,
    and, when the loss sits at chance (ln of the number of classes), that the network is not
    learning. A ratio alone can read "healthy" for a network whose every gradient is tiny.
    """
    names = list(history.grad_norms)
    parts = []
    if len(names) >= 2 and history.grad_norms[names[0]]:
        first, last = history.grad_norms[names[0]][-1], history.grad_norms[names[-1]][-1]
        if np.isfinite(first) and np.isfinite(last) and last > 0:
            parts.append(
                f"‖∂L/∂W‖ first layer {first:.2g}, last layer {last:.2g} "
                f"(first / last = {first / last:.2g})"
            )
    loss = history.loss[-1] if history.loss else float("nan")
    if classes and np.isfinite(loss) and abs(loss - np.log(max(classes, 2))) < 5e-3:
        parts.append(
            f"loss {loss:.3f} ≈ ln {max(classes, 2)}: no better than a guess that gives every "
            "class the same probability, so the network is not learning"
        )
    return " · ".join(parts)
