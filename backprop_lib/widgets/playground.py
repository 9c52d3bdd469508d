"""TrainingDashboard: every setting of a training run on a control, TensorFlow-Playground style.

Dataset and noise, network shape, activation, initialiser, optimizer with its learning rate
(log slider) and momentum, batch size, epochs, regularisation type and strength, and the seed;
the figure shows the loss curve, what the model does on the data (decision boundary or fitted
curve) and the network's weights. ``config`` copies and restores the whole experiment, so an
instructor can hand out an exact setting. Used by the training-loop and regularisation
notebooks, and as the series' free-play sandbox.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..nn.models import ACTIVATIONS
from ..viz.curves import LossCurves
from ..viz.network import NetworkDiagram
from ..viz.style import style
from .live import DataPanel, LiveTraining, loss_label, penalty_name
from .runs import DATASETS, INITS, OPTIMIZERS, PENALTIES, RunConfig

__all__ = ["TrainingDashboard"]


class TrainingDashboard(LiveTraining):
    """A full training run on controls: config -> retrain -> loss, data panel, network.

    Parameters
    ----------
    config : RunConfig or dict of its fields, optional
        The starting experiment (default ``RunConfig()``: moons, 2-16-16-1 tanh, SGD lr 0.1,
        full batch, 300 epochs). Hidden layers must all have the same width here.
    threaded : see ``Dashboard``

    Controls (``config`` keys): ``dataset``, ``noise``, ``layers``, ``width``,
    ``activation``, ``init``, ``optimizer``, ``lr`` (FloatLogSlider, class
    ``bp-main-control``), ``momentum``, ``batch_size`` (0 = full batch), ``epochs``,
    ``penalty``, ``strength``, ``seed``. State: ``run``, ``model``, ``history``.
    """

    def __init__(self, config: RunConfig | dict | None = None, threaded=None):
        base = config if isinstance(config, RunConfig) else RunConfig(**(config or {}))
        if len(set(base.hidden)) > 1:
            raise ValueError(f"hidden layers must share one width here, got {base.hidden}")
        self.base = base
        super().__init__(epochs=base.epochs, width_px=1000, height_px=340, threaded=threaded)
        W = widgets.Layout
        short, wide = {"description_width": "80px"}, W(width="270px")

        def add(name, control, main=False):
            control.style = short
            control.layout = wide
            return self.add_control(name, control, main=main)

        self.dataset = add(
            "dataset",
            widgets.Dropdown(options=list(DATASETS), value=base.dataset, description="dataset"),
        )
        self.noise = add(
            "noise",
            widgets.FloatSlider(
                value=base.noise,
                min=0.0,
                max=0.6,
                step=0.05,
                description="noise",
                continuous_update=False,
            ),
        )
        self.layers = add(
            "layers",
            widgets.IntSlider(
                value=len(base.hidden),
                min=0,
                max=6,
                description="hidden layers",
                continuous_update=False,
            ),
        )
        self.width = add(
            "width",
            widgets.IntSlider(
                value=base.hidden[0] if base.hidden else 8,
                min=1,
                max=64,
                description="width",
                continuous_update=False,
            ),
        )
        self.activation = add(
            "activation",
            widgets.Dropdown(
                options=sorted(ACTIVATIONS), value=base.activation, description="activation"
            ),
        )
        self.init = add(
            "init", widgets.Dropdown(options=list(INITS), value=base.init, description="init")
        )
        self.optimizer = add(
            "optimizer",
            widgets.Dropdown(
                options=sorted(OPTIMIZERS), value=base.optimizer, description="optimizer"
            ),
        )
        self.lr = add(
            "lr",
            widgets.FloatLogSlider(
                value=base.lr,
                min=-4,
                max=1,
                step=0.05,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
            ),
            main=True,
        )
        self.momentum = add(
            "momentum",
            widgets.FloatSlider(
                value=base.momentum,
                min=0.0,
                max=0.99,
                step=0.01,
                description="momentum",
                continuous_update=False,
            ),
        )
        self.batch_size = add(
            "batch_size",
            widgets.Dropdown(
                options=[("full", 0), ("8", 8), ("16", 16), ("32", 32), ("64", 64)],
                value=base.batch_size,
                description="batch size",
            ),
        )
        self.epochs = widgets.IntSlider(
            value=base.epochs,
            min=10,
            max=1000,
            step=10,
            description="epochs",
            continuous_update=False,
        )
        self.follow_epochs(self.epochs)  # Play's range follows before the retrain runs
        add("epochs", self.epochs)
        self.penalty = add(
            "penalty",
            widgets.Dropdown(options=list(PENALTIES), value=base.penalty, description="penalty"),
        )
        self.strength = add(
            "strength",
            widgets.FloatLogSlider(
                value=max(base.strength, 1e-4),
                min=-6,
                max=0,
                step=0.1,
                readout_format=".1e",
                description="strength",
                continuous_update=False,
            ),
        )
        self.seed = add("seed", widgets.BoundedIntText(value=base.seed, min=0, max=10**6,
                                                       description="seed"))  # fmt: skip
        column = widgets.VBox
        self.layout(
            widgets.HBox([
                column([self.dataset, self.noise, self.seed, self.epochs]),
                column([self.layers, self.width, self.activation, self.init]),
                column([self.optimizer, self.lr, self.momentum, self.batch_size]),
                column([self.penalty, self.strength]),
            ]),
            self.animation_row,
        )  # fmt: skip
        with style():
            axes = self.figure.subplots(1, 3, width_ratios=[1, 1, 1.15])
            self.curves = LossCurves(axes[0], log=True)
            axes[0].set_title("training loss")
            self.data_panel = DataPanel(axes[1])
        self.axes = axes
        self.diagram = None
        self._sizes = None
        self.refresh()

    def configs(self) -> list[RunConfig]:
        return [
            self.base.replace(
                dataset=self.dataset.value,
                noise=float(self.noise.value),
                hidden=(int(self.width.value),) * int(self.layers.value),
                activation=self.activation.value,
                init=self.init.value,
                optimizer=self.optimizer.value,
                lr=float(self.lr.value),
                momentum=float(self.momentum.value),
                batch_size=int(self.batch_size.value),
                epochs=int(self.epochs.value),
                penalty=self.penalty.value,
                strength=float(self.strength.value) if self.penalty.value != "none" else 0.0,
                seed=int(self.seed.value),
            )
        ]

    def draw(self) -> None:
        run = self.draw_loss_and_data()
        sizes = (run.X.shape[1], *run.config.hidden, self.model[-1].out_features)
        if sizes != self._sizes:  # a new shape: a new diagram (same axes)
            self.axes[2].clear()
            with style():
                self.diagram = NetworkDiagram(self.axes[2], self.model, max_width=4.0)
            self._sizes = sizes
        else:
            self.diagram.update(self.model)
        h = run.history
        parts = []
        unit = " nats" if "nats" in loss_label(run) else ""
        if h.penalty and h.data_loss and np.isfinite(h.loss[-1]):
            # the three numbers apart: a penalty is not a cross-entropy and has no unit
            parts.append(f"data loss {h.data_loss[-1]:.4g}{unit}")
            parts.append(f"{penalty_name(run)} {h.penalty[-1]:.4g}")
            parts.append(f"data loss + penalty {h.loss[-1]:.4g}")
        elif h.loss and np.isfinite(h.loss[-1]):
            parts.append(f"loss {h.loss[-1]:.4g}{unit}")
        if h.accuracy:
            parts.append(f"training accuracy {100 * h.accuracy[-1]:.1f}%")
        self.show_progress(" · ".join(parts))

    def moving_artists(self) -> list:
        return [*self.curves.moving_artists(), *self.data_panel.moving_artists(), self.axes[2]]
