"""Learning-rate dashboards: one network under a learning-rate slider, and a race of rates.

``LearningRateExplorer``: the learning rate on a log slider; the loss curve, the decision
boundary and the optimizer's trajectory across a 2-D slice of the loss landscape; optionally a
marker value such as the stability limit 2 / lambda_max, written on the loss plot.
``LearningRateRace``: several learning rates from the same initialisation, their loss curves
overlaid, and the final loss against the rate (the U-shaped "learning-rate sweep").
Used by the learning-rate notebook (and the gradient-descent notebook's closing widget).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..viz.curves import LossCurves, RaceCurves, diverged_message, snapped_log_limits
from ..viz.param_slice import SliceView
from ..viz.style import DIVERGED, SERIES, log_axis, style
from ._args import check_rate, check_rate_range
from .live import DataPanel, LiveTraining, loss_label, penalty_name
from .runs import OPTIMIZERS, RunConfig

__all__ = ["LearningRateExplorer", "LearningRateRace"]

_LOG_SLIDER = dict(step=0.05, readout_format=".3g", continuous_update=False)


def _base_config(config: RunConfig | dict | None, **defaults) -> RunConfig:
    if isinstance(config, RunConfig):
        return config
    return RunConfig(**{**defaults, **(config or {})})


class LearningRateExplorer(LiveTraining):
    """One network, the learning rate on a log slider: loss, boundary and trajectory.

    Parameters
    ----------
    lr : float
        Starting learning rate.
    lr_range : (low, high)
        The slider's range (log scale).
    marker : float, optional
        A learning rate to compare against, e.g. the stability limit 2 / lambda_max; the loss
        plot then says where the slider is relative to it.
    marker_label : str
        What the marker is called on the plot.
    config : RunConfig or dict of its fields, optional
        The run (default: the standard demo, 2-16-16-1 tanh on 200 moons points, full-batch
        SGD, 300 epochs).
    trajectory : bool
        Draw the third panel (trajectory on a loss-landscape slice). It costs 13^2 loss
        evaluations (batched) per update and a wider figure to render; False gives a
        two-panel, faster dashboard.
    threaded : see ``Dashboard``

    Controls: ``lr`` (FloatLogSlider, class ``bp-main-control``). Also ``play``,
    ``step_button``, ``reset_button``. State: ``run``, ``model``, ``history``.
    """

    record_health = False  # no gradient-health panel: the runs skip recording it

    def __init__(
        self,
        lr: float = 0.1,
        lr_range: tuple[float, float] = (1e-3, 10.0),
        marker: float | None = None,
        marker_label: str = "2/λmax",
        config: RunConfig | dict | None = None,
        trajectory: bool = True,
        threaded=None,
    ):
        low, high = self.lr_range = check_rate_range(lr_range)
        lr = check_rate(lr, self.lr_range)
        self.base = _base_config(config, lr=lr)
        self.marker, self.marker_label = marker, marker_label
        self.trajectory = bool(trajectory)
        width = 1000 if trajectory else 760
        super().__init__(epochs=self.base.epochs, width_px=width, height_px=340, threaded=threaded)
        self.lr = self.add_control("lr", widgets.FloatLogSlider(
            value=lr, min=np.log10(low), max=np.log10(high), description="learning rate",
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"),
            **_LOG_SLIDER,
        ), main=True)  # fmt: skip
        self.layout(widgets.HBox([self.lr]), self.animation_row)
        with style():
            axes = self.figure.subplots(1, 3 if trajectory else 2)
            self.curves = LossCurves(axes[0], log=True)
            self.loss_title = axes[0].set_title("training loss")
            self.data_panel = DataPanel(axes[1], resolution=80)
            self.slice = SliceView(axes[2]) if trajectory else None
            if trajectory:
                axes[2].set_title("trajectory on a loss slice")
        self.axes = axes
        self.refresh()

    def configs(self) -> list[RunConfig]:
        return [self.base.replace(lr=check_rate(self.lr.value, self.lr_range, "lr.value"))]

    def draw(self) -> None:
        run = self.draw_loss_and_data()
        if self.slice is not None:
            self.slice.update(run.model, run.loss, run.X, run.targets, run.snapshots)
        lr = run.config.lr
        text, color = f"training loss, η = {lr:.3g}", "black"
        if self.marker is not None:
            ratio = lr / self.marker
            text += f" = {ratio:.2g} × {self.marker_label}"
            color = DIVERGED if ratio > 1 else "black"
        self.loss_title.set_text(text)
        self.loss_title.set_color(color)
        h = run.history
        last = f"loss {h.loss[-1]:.4g}" if h.loss and np.isfinite(h.loss[-1]) else ""
        self.show_progress(f"η = {lr:.3g} · {last}" if last else f"η = {lr:.3g}")

    def moving_artists(self) -> list:
        slice_view = self.slice.moving_artists() if self.slice is not None else []
        return [*self.curves.moving_artists(), self.loss_title, *self.data_panel.moving_artists(),
                *slice_view]  # fmt: skip


class LearningRateRace(LiveTraining):
    """Several learning rates from one initialisation: loss curves overlaid, final loss vs rate.

    Parameters
    ----------
    lrs : sequence of floats
        The rates raced (one log slider each; 2 to 6 of them).
    lr_range : (low, high), the sliders' range
    optimizer : starting optimizer name (a dropdown lets the learner switch)
    config : RunConfig or dict, optional; default the standard demo (moons, 2-16-16-1 tanh)
    threaded : see ``Dashboard``

    Controls: ``lr1`` ... ``lrK`` (FloatLogSlider; ``lr1`` has class ``bp-main-control``),
    ``optimizer`` (Dropdown). State: ``runs`` (one Run per rate, same seed).
    """

    record_health = False  # no gradient-health panel: the runs skip recording it

    def __init__(
        self,
        lrs=(0.01, 0.1, 1.0),
        lr_range: tuple[float, float] = (1e-3, 10.0),
        optimizer: str = "sgd",
        config: RunConfig | dict | None = None,
        threaded=None,
    ):
        lrs = list(lrs)
        if not 2 <= len(lrs) <= 6:
            raise ValueError(f"race 2 to 6 learning rates, got {len(lrs)}")
        self.lr_range = check_rate_range(lr_range)
        lrs = [check_rate(v, self.lr_range, f"lrs[{i}]") for i, v in enumerate(lrs)]
        self.base = _base_config(config, optimizer=optimizer, epochs=200)
        super().__init__(epochs=self.base.epochs, width_px=960, height_px=340, threaded=threaded)
        low, high = np.log10(lr_range[0]), np.log10(lr_range[1])
        self.sliders = []
        for k, lr in enumerate(lrs, start=1):
            slider = widgets.FloatLogSlider(
                value=lr, min=low, max=high, description=f"rate {k}",
                layout=widgets.Layout(width="300px"), **_LOG_SLIDER,
            )  # fmt: skip
            self.sliders.append(self.add_control(f"lr{k}", slider, main=(k == 1)))
        self.optimizer = self.add_control("optimizer", widgets.Dropdown(
            options=sorted(OPTIMIZERS), value=self.base.optimizer, description="optimizer",
            layout=widgets.Layout(width="220px"),
        ))  # fmt: skip
        self.layout(widgets.HBox([widgets.VBox(self.sliders), self.optimizer]), self.animation_row)
        with style():
            ax_curves, ax_sweep = self.figure.subplots(1, 2, width_ratios=[1.6, 1])
            labels = [f"rate {k}" for k in range(1, len(lrs) + 1)]
            self.curves = RaceCurves(ax_curves, labels, title="optimizer")
            ax_curves.set_title("training loss, same initialisation")
            self.sweep = ax_sweep.scatter([], [], s=60, zorder=3, edgecolors="white")
            self.sweep_x = ax_sweep.scatter([], [], marker="X", s=90, color=DIVERGED, zorder=3)
            log_axis(ax_sweep, "x")
            log_axis(ax_sweep)
            ax_sweep.set_xlabel("learning rate η")
            ax_sweep.set_ylabel("final loss (nats)")
            ax_sweep.set_title("final loss vs learning rate")
            ax_sweep.set_xlim(10**low, 10**high)
        self.ax_sweep = ax_sweep
        self.refresh()

    def configs(self) -> list[RunConfig]:
        opt = self.optimizer.value
        return [
            self.base.replace(lr=check_rate(s.value, self.lr_range, f"lr{k}.value"), optimizer=opt)
            for k, s in enumerate(self.sliders, start=1)
        ]

    def draw(self) -> None:
        labels = [f"η = {run.config.lr:.3g}" for run in self.runs]
        histories = [run.history for run in self.runs]
        self.curves.update(histories, epochs=self.base.epochs, labels=labels)
        self.curves.legend.set_title(f"{self.optimizer.value}")
        label = loss_label(self.run)  # the dataset decides: cross-entropy or squared error
        if self.run.history.penalty:  # the race draws History.loss: say what is in it
            label = f"data loss + {penalty_name(self.run)}"
        self.curves.ax.yaxis.label.set_text(label)
        self.ax_sweep.yaxis.label.set_text(f"final {label}")
        ok, bad = [], []
        colors = []
        for i, run in enumerate(self.runs):
            h = run.history
            if diverged_message(h) or not h.loss or not np.isfinite(h.loss[-1]):
                bad.append(run.config.lr)
            else:
                ok.append((run.config.lr, h.loss[-1]))
                colors.append(SERIES[i % len(SERIES)])
        finals = np.array([v for _, v in ok]) if ok else np.array([1.0])
        # limits snapped to half-decades (a move of one rate rarely changes them, so the
        # panel's ticks stay and only the points are redrawn), room above for the crosses
        low, high = snapped_log_limits(float(finals.min()), float(finals.max()) * 3)
        top = high / 1.5  # the diverged rates' crosses, below the top edge
        self.sweep.set_offsets(np.array(ok) if ok else np.empty((0, 2)))
        self.sweep.set_facecolors(colors)
        self.sweep_x.set_offsets(np.array([[lr, top] for lr in bad]) if bad else np.empty((0, 2)))
        self.ax_sweep.set_ylim(low, high)
        best = min(ok, key=lambda t: t[1]) if ok else None
        note = f"best η = {best[0]:.3g} (loss {best[1]:.3g})" if best else "every rate diverged"
        self.show_progress(note)

    def moving_artists(self) -> list:
        return [*self.curves.moving_artists(), self.sweep, self.sweep_x]
