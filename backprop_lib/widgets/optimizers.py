"""The optimizer race: several optimizers from one start, on a 2-D surface or on a network.

``OptimizerRace``: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam from one starting point
on a surface of ``backprop_lib.instruments.surfaces`` (a ravine whose condition number and
angle are sliders, Rosenbrock's banana, a saddle, two minima of different depths); their paths
over the contours, and each one's loss gap f - f_min per step on a log axis. Every optimizer
has its own column of controls: a checkbox (race it or not), its learning rate and its own
hyperparameters (momentum's beta, RMSprop's alpha, Adam's beta1 and beta2). Switching the
surface loads settings that suit it (``SURFACE_SETTINGS``).
``NetworkRace``: the same optimizers training one 2-16-16-1 tanh network on the two moons
from the same initialisation, full batch; loss and accuracy per epoch.
The optimizers are the library's own (``backprop_lib.optim``), used through their public API.
Used by the optimizers notebook (07).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib import patheffects

from .. import data
from ..instruments import surfaces
from ..nn.losses import BCEWithLogitsLoss
from ..nn.models import mlp
from ..optim.optimizers import SGD, Adagrad, Adam, RMSprop
from ..training import fit
from ..viz.curves import RaceCurves, loss_label
from ..viz.landscape import TrajectoryPlot
from ..viz.style import DIVERGED, SERIES, log_axis, style
from .base import Dashboard

__all__ = [
    "RACERS",
    "Racer",
    "SURFACES",
    "SURFACE_SETTINGS",
    "MOONS_SETTINGS",
    "GAP",
    "racers_from",
    "surface_for",
    "moons_race",
    "OptimizerRace",
    "NetworkRace",
]

#: a run has arrived once its loss stays this close to the lowest value of the surface
GAP = 1e-3
#: the loss panel's bottom, the same whatever the controls (so the axis holds still): a fifth of
#: 1e-14, eleven decades below GAP; lower gaps run off the bottom
_LOSS_FLOOR = 1e-14 / 5


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race: its label, its class, fixed settings and its own knobs.

    ``knobs`` are (hyperparameter, label, low, high, step) for a FloatSlider each; Adam's
    ``beta1`` and ``beta2`` are passed together as ``betas``.
    """

    key: str
    label: str
    cls: type
    fixed: Mapping
    knobs: tuple[tuple[str, str, float, float, float], ...] = ()


RACERS: tuple[Racer, ...] = (
    Racer("sgd", "SGD", SGD, {}),
    Racer("momentum", "momentum", SGD, {}, (("momentum", "β", 0.0, 0.99, 0.01),)),
    Racer(
        "nesterov", "Nesterov", SGD, {"nesterov": True}, (("momentum", "β", 0.01, 0.99, 0.01),)
    ),  # fmt: skip
    Racer("adagrad", "Adagrad", Adagrad, {}),
    Racer("rmsprop", "RMSprop", RMSprop, {}, (("alpha", "α", 0.5, 0.999, 0.001),)),
    Racer(
        "adam",
        "Adam",
        Adam,
        {},
        (("beta1", "β₁", 0.0, 0.99, 0.01), ("beta2", "β₂", 0.9, 0.9999, 0.0001)),
    ),  # fmt: skip
)
COLORS = dict(zip([r.key for r in RACERS], SERIES, strict=False))

#: the surfaces offered, by the name on their button
SURFACES = ("ravine", "rosenbrock", "saddle", "two minima")


def _settings(steps, sgd, mom, nest, adagrad, rms, adam, beta=0.9) -> dict:
    return {
        "steps": steps, "sgd_lr": sgd, "momentum_lr": mom, "momentum_momentum": beta,
        "nesterov_lr": nest, "nesterov_momentum": beta, "adagrad_lr": adagrad,
        "rmsprop_lr": rms, "rmsprop_alpha": 0.99, "adam_lr": adam, "adam_beta1": 0.9,
        "adam_beta2": 0.999,
    }  # fmt: skip


#: the controls each surface starts with: settings under which every optimizer gets somewhere
SURFACE_SETTINGS = {
    "ravine": _settings(100, 0.15, 0.05, 0.05, 0.5, 0.05, 0.1, beta=0.8),
    "rosenbrock": _settings(500, 1e-3, 1e-3, 1e-3, 1.0, 0.02, 0.2),
    "saddle": _settings(150, 0.1, 0.1, 0.1, 0.5, 0.05, 0.1),
    "two minima": _settings(150, 0.05, 0.05, 0.05, 0.5, 0.05, 0.1),
}
#: the network race's starting controls (200 epochs of full-batch training on the moons)
MOONS_SETTINGS = {
    **_settings(200, 0.5, 0.1, 0.1, 0.05, 0.005, 0.01),
}
del MOONS_SETTINGS["steps"]


def racers_from(values: Mapping, keys=None) -> dict[str, tuple[type, dict]]:
    """``{label: (optimizer class, hyperparameters)}`` from control values such as
    ``{"sgd_lr": 0.1, "adam_lr": 0.01, "adam_beta1": 0.9, ...}`` (the names of
    ``SURFACE_SETTINGS``), for the racers in ``keys`` (default: all of ``RACERS``)."""
    keys = [r.key for r in RACERS] if keys is None else list(keys)
    unknown = sorted(set(keys) - {r.key for r in RACERS})
    if unknown:
        raise ValueError(f"unknown racers {unknown}; use some of {[r.key for r in RACERS]}")
    out = {}
    for racer in RACERS:
        if racer.key not in keys:
            continue
        hyper = {"lr": float(values[f"{racer.key}_lr"]), **racer.fixed}
        knobs = {name: float(values[f"{racer.key}_{name}"]) for name, *_ in racer.knobs}
        if "beta1" in knobs:
            hyper["betas"] = (knobs.pop("beta1"), knobs.pop("beta2"))
        hyper.update(knobs)
        out[racer.label] = (racer.cls, hyper)
    return out


def surface_for(name: str, condition: float = 10.0, angle: float = 0.0):
    """The ToyFunction a race runs on: ``ravine(condition, angle)`` or ``TOY_FUNCTIONS[name]``."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; use one of {list(SURFACES)}")
    if name == "ravine":
        return surfaces.ravine(condition, angle)
    return surfaces.TOY_FUNCTIONS[name]


def moons_race(
    racers: Mapping[str, tuple[type, Mapping]],
    epochs: int = 200,
    n: int = 200,
    noise: float = 0.2,
    seed: int = 0,
) -> dict:
    """Train one 2-16-16-1 tanh network per racer on the moons, all from one initialisation.

    Each run builds ``mlp([2, 16, 16, 1], activation="tanh", rng=seed)`` (so every run starts
    from the same weights) and trains it full batch with ``fit`` and ``BCEWithLogitsLoss``.

    Returns
    -------
    {label: History}
    """
    X, y = data.make_moons(n, noise=noise, rng=seed)
    targets = y.reshape(-1, 1).astype(float)  # (n, 1), as the logits
    out = {}
    for label, (cls, hyper) in racers.items():
        model = mlp([2, 16, 16, 1], activation="tanh", rng=seed)
        opt = cls(model.parameters(), **hyper)
        out[label] = fit(model, BCEWithLogitsLoss(), opt, X, targets, epochs, record_health=False)
    return out


def _log_slider(value, low, high, description) -> widgets.FloatLogSlider:
    return widgets.FloatLogSlider(
        value=value, min=np.log10(low), max=np.log10(high), step=0.05, readout_format=".2g",
        description=description, continuous_update=False,
        style={"description_width": "28px"}, layout=widgets.Layout(width="165px"),
    )  # fmt: skip


class _RacerColumns:
    """The per-optimizer columns of controls, registered on a dashboard: a checkbox, a
    learning-rate log slider and the racer's own knobs, named ``{key}_on``, ``{key}_lr``,
    ``{key}_{knob}``."""

    def __init__(self, dash: Dashboard, settings: Mapping, lr_range=(1e-4, 10.0), main=None):
        self.dash, self.columns = dash, []
        for racer in RACERS:
            swatch = f'<b style="color:{COLORS[racer.key]}">━━</b> {racer.label}'
            on = dash.add_control(f"{racer.key}_on", widgets.Checkbox(
                value=True, description=swatch, description_allow_html=True, indent=False,
                layout=widgets.Layout(width="160px"),
            ))  # fmt: skip
            slider = _log_slider(settings[f"{racer.key}_lr"], *lr_range, "lr")
            lr = dash.add_control(f"{racer.key}_lr", slider, main=(racer.key == main))
            knobs = []
            for name, label, low, high, step in racer.knobs:
                knobs.append(dash.add_control(f"{racer.key}_{name}", widgets.FloatSlider(
                    value=settings[f"{racer.key}_{name}"], min=low, max=high, step=step,
                    description=label, continuous_update=False,
                    readout_format=".4g", style={"description_width": "28px"},
                    layout=widgets.Layout(width="165px"),
                )))  # fmt: skip
            self.columns.append(widgets.VBox([on, lr, *knobs],
                                             layout=widgets.Layout(width="170px")))  # fmt: skip

    @property
    def box(self) -> widgets.HBox:
        return widgets.HBox(self.columns)

    def chosen(self) -> list[str]:
        """The keys of the racers whose checkbox is ticked."""
        return [r.key for r in RACERS if self.dash.controls[f"{r.key}_on"].value]

    def racers(self) -> dict[str, tuple[type, dict]]:
        return racers_from(self.dash.config, self.chosen())


def _decades_around(low: float, high: float) -> tuple[float, float]:
    """The power of ten at or below ``low`` and the one at or above ``high`` (both > 0).

    The loss gaps span up to 18 decades, so a whole decade of slack costs little room and
    keeps a log axis still while the curves move within it (half-decades would move with
    the ravine's starting loss, which changes with its condition)."""
    return 10.0 ** np.floor(np.log10(low)), 10.0 ** np.ceil(np.log10(high))


def _outline(artist) -> None:
    """A thin white outline, so a coloured path reads on dark and light contours alike."""
    artist.set_path_effects([patheffects.withStroke(linewidth=3.2, foreground="white")])


class OptimizerRace(Dashboard):
    """Several optimizers from one start on a 2-D surface: paths over contours, loss per step.

    Parameters
    ----------
    surface : one of ``SURFACES``
    condition : the ravine's condition number kappa (1 to 1000, log slider)
    angle : the ravine's angle in degrees (0 to 90)
    threaded : see ``Dashboard``

    Controls: ``surface`` (ToggleButtons), ``condition`` (FloatLogSlider, class
    ``bp-main-control``; only the ravine uses it, and it is disabled otherwise), ``angle``,
    ``steps``, and for each racer ``{key}_on``, ``{key}_lr`` and its knobs (see ``RACERS``).
    Changing the surface loads ``SURFACE_SETTINGS[surface]``.

    State: ``fn`` (the ToyFunction), ``paths`` ({label: OptimizerPath}), ``arrivals``
    ({label: first step within ``GAP`` of the lowest loss, or None}).
    """

    def __init__(
        self, surface: str = "ravine", condition: float = 10.0, angle: float = 0.0, threaded=None
    ):
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}; use one of {list(SURFACES)}")
        super().__init__(width_px=1020, height_px=420, threaded=threaded)
        settings = SURFACE_SETTINGS[surface]
        self.surface = widgets.ToggleButtons(options=list(SURFACES), value=surface,
                                             style={"button_width": "92px"})  # fmt: skip
        self.surface.observe(self._load_settings, names="value")  # before the redraw request
        self.add_control("surface", self.surface)
        self.condition = self.add_control("condition", widgets.FloatLogSlider(
            value=condition, min=0, max=3, step=0.05, readout_format=".3g",
            description="ravine κ", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="300px"),
        ), main=True)  # fmt: skip
        self.angle = self.add_control("angle", widgets.FloatSlider(
            value=angle, min=0, max=90, step=5, description="angle °", readout_format=".0f",
            continuous_update=False, layout=widgets.Layout(width="260px"),
        ))  # fmt: skip
        self.steps = self.add_control("steps", widgets.IntSlider(
            value=settings["steps"], min=10, max=1000, step=10, description="steps",
            continuous_update=False, layout=widgets.Layout(width="300px"),
        ))  # fmt: skip
        self.racer_controls = _RacerColumns(self, settings, main=None)
        self.layout(
            self.surface,
            widgets.HBox([self.condition, self.angle, self.steps]),
            self.racer_controls.box,
        )
        with style():
            self.ax_path, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1, 1.25])
            self.loss_lines, self.loss_ends = {}, {}
            for racer in RACERS:
                color = COLORS[racer.key]
                (self.loss_lines[racer.label],) = self.ax_loss.plot([], [], color=color,
                                                                    label=racer.label)  # fmt: skip
                (self.loss_ends[racer.label],) = self.ax_loss.plot(
                    [], [], "X", color=DIVERGED, ms=10, mec="white", zorder=5
                )
            log_axis(self.ax_loss)
            self.ax_loss.set_ylim(1e-6, 10.0)
            self.ax_loss.set_autoscale_on(False)  # limits are set in draw
            self.ax_loss.set_xlabel("step")
            self.ax_loss.set_ylabel("f − f_min (loss still to lose)")
            self.ax_loss.set_title("loss per step")
            self.ax_loss.axhline(GAP, color="0.5", lw=1, ls=":")
            self.gap_text = self.ax_loss.text(
                0.01, GAP, f" {GAP:g}: arrived", fontsize=8, color="0.4", va="bottom",
                transform=self.ax_loss.get_yaxis_transform(),
            )  # fmt: skip
            # under the curves (which stay below it unless a run diverges): a move redraws the
            # curves alone, not the legend over them
            self.legend = self.ax_loss.legend(loc="upper right", ncols=3, fontsize=8.5)
            self.legend.set_zorder(1.5)
        self.trajectory = None
        self._fn_key = None
        self.refresh()

    def _load_settings(self, change) -> None:
        """A new surface starts from its own settings (one redraw, by the surface control)."""
        self._muted += 1
        try:
            for name, value in SURFACE_SETTINGS[change["new"]].items():
                self.controls[name].value = value
        finally:
            self._muted -= 1

    # -- state ----------------------------------------------------------------------------------
    def compute(self, stale) -> bool:
        name = self.surface.value
        self.condition.disabled = self.angle.disabled = name != "ravine"
        key = (name, float(self.condition.value), float(self.angle.value))
        if key != self._fn_key:  # the same surface is kept (its contours are drawn once)
            self.fn, self._fn_key = surface_for(*key), key
        self.racers = self.racer_controls.racers()
        self.paths = {}
        for label, (cls, hyper) in self.racers.items():
            if stale():
                return False
            self.paths[label] = surfaces.record_path(self.fn, cls, steps=int(self.steps.value),
                                                     **hyper)  # fmt: skip
        self.arrivals = {label: p.steps_to(GAP) for label, p in self.paths.items()}
        return True

    # -- drawing --------------------------------------------------------------------------------
    def _build_surface(self) -> None:
        """The path panel, built once: the contours of the first surface, a path per racer."""
        with style():
            self.trajectory = TrajectoryPlot(
                self.ax_path, self.fn, labels=[r.label for r in RACERS], resolution=110,
                colors=[COLORS[r.key] for r in RACERS], outline="white",
            )  # fmt: skip
            for head in self.trajectory.heads.values():
                _outline(head)
            self.ax_path.get_legend().remove()
            self.ax_path.set_aspect("auto")
        self.relayout()

    def _show_surface(self) -> None:
        """Contours of the new surface under the same paths. Only a surface with another
        window changes the panel's ticks (a new layout); a ravine of another condition or
        angle keeps the window, so only the contours and the title are drawn again."""
        window = (self.trajectory.fn.xlim, self.trajectory.fn.ylim)
        self.trajectory.set_function(self.fn)
        if (self.fn.xlim, self.fn.ylim) != window:
            self.relayout()

    def draw(self) -> None:
        if self.trajectory is None:
            self._build_surface()
        elif self.trajectory.fn is not self.fn:
            self._show_surface()
        self.trajectory.update({label: p.points for label, p in self.paths.items()})
        steps = int(self.steps.value)
        highs = []
        for racer in RACERS:
            label = racer.label
            path = self.paths.get(label)
            line, end = self.loss_lines[label], self.loss_ends[label]
            if path is None:
                line.set_data([], [])
                end.set_data([], [])
                continue
            t = np.arange(len(path.gaps))
            ok = path.gaps > 0
            line.set_data(t[ok], path.gaps[ok])
            if ok.any():
                highs.append(float(path.gaps[ok].max()))
            last = path.gaps[ok][-1:] if ok.any() else []
            end.set_data(t[ok][-1:] if path.diverged else [], last if path.diverged else [])
        for text, racer in zip(self.legend.get_texts(), RACERS, strict=True):
            path = self.paths.get(racer.label)
            if path is None:
                name = f"{racer.label} (off)"
            elif path.diverged:
                name = f"{racer.label} (diverged)"
            else:
                name = racer.label
            if text.get_text() != name:
                text.set_text(name)
        start_gap = max((float(p.gaps[0]) for p in self.paths.values()), default=1.0)
        hi = min(max(highs) if highs else 1.0, 1e4 * max(start_gap, 1e-12))
        # the bottom is fixed; the top snaps to a decade above the highest gap, with room for
        # the legend
        self.ax_loss.set_ylim(*_decades_around(_LOSS_FLOOR, max(hi * 300, _LOSS_FLOOR * 1e3)))
        self.ax_loss.set_xlim(0, steps)
        self.set_status(self.summary())

    def moving_artists(self) -> list:
        """The paths and their loss curves; the contours, minima and title of the surface (a
        move of the ravine's condition or angle reshapes it). The loss axis snaps to whole
        decades, so it holds still while the curves move within them."""
        loss = [*self.loss_lines.values(), *self.loss_ends.values()]
        surface = [*self.trajectory.surface_artists(), self.ax_path.title]
        return [*surface, *self.trajectory.moving_artists(), *loss]

    def summary(self) -> str:
        """One line: when each optimizer came within GAP of the lowest loss (or did not)."""
        if not self.paths:
            return "tick at least one optimizer to race it"
        parts = []
        for label, path in self.paths.items():
            n = self.arrivals[label]
            if path.diverged:
                parts.append(f"{label} diverged")
            elif n is None:
                parts.append(f"{label} not yet (f − f_min = {path.gaps[-1]:.2g})")
            else:
                parts.append(f"{label} {n}")
        return f"steps until the loss stays within {GAP:g} of the lowest: " + " · ".join(parts)


class NetworkRace(Dashboard):
    """The optimizers on a real network: the moons, one initialisation, loss and accuracy.

    Parameters
    ----------
    epochs : full-batch epochs per run (the ``epochs`` slider's start)
    seed : the data's and the initial weights' seed
    threaded : see ``Dashboard``

    Controls: ``epochs`` (IntSlider), and for each racer ``{key}_on``, ``{key}_lr`` (the SGD
    one has class ``bp-main-control``) and its knobs. Each racer's last run is kept while its
    settings stay the same, so moving one slider re-trains one network (a setting moved back
    to an earlier value trains again).

    State: ``histories`` ({label: History}).
    """

    def __init__(self, epochs: int = 200, seed: int = 0, threaded=None):
        super().__init__(width_px=1020, height_px=360, threaded=threaded)
        self.seed = int(seed)
        self.epochs = self.add_control("epochs", widgets.IntSlider(
            value=epochs, min=10, max=1000, step=10, description="epochs",
            continuous_update=False, layout=widgets.Layout(width="320px"),
        ))  # fmt: skip
        self.racer_controls = _RacerColumns(self, MOONS_SETTINGS, lr_range=(1e-4, 10.0),
                                            main="sgd")  # fmt: skip
        self.layout(self.epochs, self.racer_controls.box)
        labels = [r.label for r in RACERS]
        with style():
            ax_loss, self.ax_acc = self.figure.subplots(1, 2)
            self.curves = RaceCurves(ax_loss, labels, title="optimizer",
                                     ylabel=loss_label(BCEWithLogitsLoss()))  # fmt: skip
            ax_loss.set_title("training loss, same initialisation")
            self.acc_lines = {}
            for label, color in zip(labels, SERIES, strict=False):
                (self.acc_lines[label],) = self.ax_acc.plot([], [], color=color, label=label)
            self.ax_acc.set(xlabel="epoch", ylabel="training accuracy", ylim=(0.4, 1.01))
            self.ax_acc.set_title("training accuracy")
        self._runs: dict = {}  # label -> (its settings, its History): the last run of each
        self.refresh()

    def compute(self, stale) -> bool:
        epochs = int(self.epochs.value)
        racers = self.racer_controls.racers()
        histories = {}
        for label, (cls, hyper) in racers.items():
            settings = (epochs, tuple(sorted(hyper.items())))
            last = self._runs.get(label)
            if last is None or last[0] != settings:
                if stale():
                    return False
                run = moons_race({label: (cls, hyper)}, epochs, seed=self.seed)[label]
                last = self._runs[label] = (settings, run)
            histories[label] = last[1]
        self.histories = histories
        return True

    def draw(self) -> None:
        epochs = int(self.epochs.value)
        self.curves.update({k: h for k, h in self.histories.items()}, epochs=epochs)
        for label, line in self.acc_lines.items():
            h = self.histories.get(label)
            acc = np.asarray(h.accuracy if h is not None else [], dtype=float)
            line.set_data(np.arange(1, len(acc) + 1), acc)
        self.ax_acc.set_xlim(0, epochs + 0.5)
        parts = []
        for label, h in self.histories.items():
            if h.diverged:
                parts.append(f"{label} diverged")
            elif h.loss:
                parts.append(f"{label} {h.loss[-1]:.3g}")
        head = f"training loss after {epochs} epochs: "
        self.set_status(head + " · ".join(parts) if parts else "tick at least one optimizer")

    def moving_artists(self) -> list:
        """The loss curves and their crosses, and the accuracy lines; the loss axis snaps to
        half-decades and the accuracy axis is fixed. The loss legend is drawn over the curves,
        so it is redrawn with them anyway; listed as moving it would be given room to grow
        (``widgets.base``), which reaches the accuracy panel's tick labels: redrawn too."""
        curves = [*self.curves.lines.values(), *self.curves.crosses.values()]
        return [*curves, *self.acc_lines.values()]
