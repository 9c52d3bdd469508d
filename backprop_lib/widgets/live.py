"""LiveTraining: the base of every dashboard that trains, with Play / Step / Reset.

The state a dashboard shows is declarative: "the runs described by the controls, trained for
``play.value`` epochs". A control change sets ``play.value`` to the last epoch (retrain and
show the result); Reset sets it to 0 (the untrained network); Play (``ipywidgets.Play``)
advances it one epoch per tick and Step by one. ``compute`` then brings each run to that
epoch, reusing a run whose config is unchanged and only training the missing epochs (with
``training.Trainer.run_epoch``), so animation costs one epoch per frame and coalescing is
trivially right: whatever the latest state is, that is what gets computed. Used by the
learning-rate, race, gradient-flow and general training dashboards.
"""

from __future__ import annotations

from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np

from ..viz.boundary import DecisionBoundary, PlaneSlice
from ..viz.curves import diverged_message
from ..viz.curves import loss_label as label_for_loss
from ..viz.regression import RegressionFit
from ..viz.regularization import SplitBoundary
from ..viz.style import style
from .base import Dashboard
from .runs import Run, RunConfig

__all__ = ["LiveTraining", "DataPanel", "loss_label", "penalty_name"]


def loss_label(run) -> str:
    """The loss axis label for a run: its loss and unit (``viz.curves.loss_label``)."""
    return label_for_loss(run.loss)


def penalty_name(run) -> str:
    """What the run adds to its data loss: "L1 penalty", "L2 penalty" or "penalty"."""
    kind = getattr(run.config, "penalty", "none")
    return f"{kind.upper()} penalty" if kind in ("l1", "l2") else "penalty"


class DataPanel:
    """What the model does on the data: a decision boundary (classification) or the fitted
    curve (regression, e.g. the sine dataset), switching kind when the dataset does.

    ``update(run)`` replaces the points only when the run's data changed, then redraws the
    model's surface or curve in place. A run with a test set (``run.X_test``) shows its test
    points as hollow rings. Data of more inputs than the panel has axes (a boundary needs
    two, a curve one) is drawn on the plane (or line) of ``columns``, the other inputs held
    at the training rows' means (``viz.boundary.PlaneSlice``); classification data of a
    single column gets a note instead of a boundary.
    """

    def __init__(self, ax, resolution: int = 100):
        self.ax = ax
        self.resolution = resolution
        self.view = None
        self.message = None  # the note shown instead of a plot, or None
        self._X = self._y = self._X_test = None  # the data shown (compared by identity, values)
        self._key = None

    def update(self, run, columns=None) -> None:
        """Draw ``run``; ``columns`` (two indices, one for regression) picks the plotted inputs."""
        regression = run.classes == 0
        need = 1 if regression else 2
        d = run.X.shape[1]
        if d < need:
            self._note(
                "a decision boundary needs two input columns;\n"
                f"this data has {d}: see the loss and accuracy curves"
            )
            return
        columns = tuple(range(need)) if columns is None else tuple(int(c) for c in columns)
        columns = columns[:need]
        X_test = getattr(run, "X_test", None)
        split = X_test is not None
        kind = RegressionFit if regression else SplitBoundary if split else DecisionBoundary
        same = self._X is run.X and (not split or self._X_test is X_test)
        key = (kind, columns)
        rebuild = key != self._key or (regression and not same)
        if rebuild:
            title = self.ax.get_title()
            with style():
                self.ax.clear()
                self.ax.set_axis_on()
                self.message = None
                self.view = self._build(kind, run, columns)
                self.ax.set_title(title)  # fmt: skip
            self._key = key
        elif not same:
            # a new Run of the same data (e.g. only the learning rate changed) keeps the points,
            # the grid and the axis limits: no work, and no tick labels to lay out again
            if split:
                self.view.set_split(run.X[:, columns], run.y, X_test[:, columns], run.y_test)
            elif not (np.array_equal(self._X, run.X) and np.array_equal(self._y, run.y)):
                self.view.set_data(run.X[:, columns], run.y)
        if rebuild or not same:
            self._label_axes(run, columns)
        self._X, self._X_test, self._y = run.X, X_test, run.y
        model = run.model
        if d > need:  # the other inputs held at the training rows' means
            model = PlaneSlice(run.model, columns, run.X.mean(axis=0))
        self.view.update(model)

    def _build(self, kind, run, columns):
        X = run.X[:, columns]
        if kind is RegressionFit:
            X_test = getattr(run, "X_test", None)
            X_test = None if X_test is None else X_test[:, columns]
            return RegressionFit(self.ax, X, run.y, X_test=X_test,
                                 y_test=getattr(run, "y_test", None))  # fmt: skip
        if kind is SplitBoundary:
            return SplitBoundary(self.ax, X, run.y, run.X_test[:, columns], run.y_test,
                                 self.resolution)  # fmt: skip
        return DecisionBoundary(self.ax, X, run.y, self.resolution)

    def _label_axes(self, run, columns) -> None:
        """Name the axes after the data's columns (x₁, x₂ or x for the built-in sets)."""
        names = getattr(run, "column_names", None)
        if len(columns) == 1:
            self.ax.set_xlabel(f"input {names[columns[0]]}" if names else "input x")
            return
        default = ("input x₁", "input x₂")
        for axis, j, fallback in zip((self.ax.xaxis, self.ax.yaxis), columns, default, strict=True):
            axis.set_label_text(f"input {names[j]}" if names else fallback)

    def _note(self, text: str) -> None:
        if self.message is None or self.message.get_text() != text:
            title = self.ax.get_title()
            self.ax.clear()
            self.ax.set_axis_off()
            self.message = self.ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10,
                                        color="0.25", transform=self.ax.transAxes)  # fmt: skip
            self.ax.set_title(title)
        self.view = self._key = None
        self._X = self._y = self._X_test = None

    def moving_artists(self) -> list:
        """What ``update`` changes, and the title a LiveTraining gives it (for a dashboard's
        ``moving_artists``, see ``widgets.base``)."""
        view = self.view.moving_artists() if self.view is not None else []
        return [*view, self.ax.title]


class LiveTraining(Dashboard):
    """A Dashboard whose state is a list of training runs, animated epoch by epoch.

    Subclasses implement ``configs() -> list[RunConfig]`` (read from the controls) and
    ``draw()``; they read ``self.runs`` (``Run`` objects: ``.model``, ``.history``, ...).

    Attributes
    ----------
    play : ipywidgets.Play, its value the number of epochs shown (0 .. epochs). It ticks
        every ``interval_ms`` (40 ms: up to 25 frames a second); when a frame takes longer,
        the ticks in between are coalesced (see ``Dashboard``: the next frame trains the
        epochs they asked for), so frames come as fast as training and drawing allow.
    step_button, reset_button : ipywidgets.Button
    runs : list of Run, the state drawn

    Class attribute ``record_health``: False in a dashboard that never shows gradient health
    (its runs then skip recording it, ``Run(config, record_health=False)``).
    """

    record_health: bool = True

    def __init__(self, epochs: int, interval_ms: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.play = widgets.Play(value=epochs, min=0, max=epochs, step=1, interval=interval_ms,
                                 show_repeat=False, description="play")  # fmt: skip
        self.step_button = widgets.Button(description="Step", icon="step-forward",
                                          layout=widgets.Layout(width="90px"))  # fmt: skip
        self.reset_button = widgets.Button(description="Reset", icon="undo",
                                           layout=widgets.Layout(width="90px"))  # fmt: skip
        self.epoch_label = widgets.Label(value="")
        self.play.observe(self._on_play, names="value")
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.runs: list[Run] = []

    @property
    def animation_row(self) -> widgets.HBox:
        """Play, Step, Reset and the epoch counter, in one row."""
        return widgets.HBox([self.play, self.step_button, self.reset_button, self.epoch_label])

    # -- what to train ------------------------------------------------------------------------
    def configs(self) -> list[RunConfig]:
        """The runs the controls describe (one for most dashboards, several for a race)."""
        raise NotImplementedError

    def follow_epochs(self, control: widgets.Widget) -> None:
        """Make Play's range follow ``control`` (an epochs slider). Call before add_control."""

        def set_max(change) -> None:
            self._muted += 1
            try:
                self.play.max = max(int(change["new"]), 0)
                self.play.value = self.play.max
            finally:
                self._muted -= 1

        control.observe(set_max, names="value")

    @contextmanager
    def hold(self):
        """Change several controls with one update at the end, shown fully trained."""
        self._muted += 1
        try:
            yield
        finally:
            self.play.value = self.play.max
            self._muted -= 1
        if not self._muted:
            self.request()

    # -- Play / Step / Reset ------------------------------------------------------------------
    def _on_change(self, change) -> None:
        if self._muted:
            return
        self._muted += 1  # a changed experiment is shown fully trained: jump to the end
        try:
            self.play.value = self.play.max
        finally:
            self._muted -= 1
        self.request()

    def _on_play(self, change) -> None:
        if not self._muted:
            self.request()

    def step(self) -> None:
        """Advance the shown state by one epoch (the Step button)."""
        if self.play.value < self.play.max:
            self.play.value += 1

    def reset(self) -> None:
        """Back to the untrained network, epoch 0 (the Reset button); stops playing."""
        self.play.playing = False
        if self.play.value == 0:
            self.request()
        else:
            self.play.value = 0

    # -- the update -----------------------------------------------------------------------------
    def compute(self, stale) -> bool:
        target = int(self.play.value)
        runs = []
        for i, config in enumerate(self.configs()):
            old = self.runs[i] if i < len(self.runs) else None
            reuse = old is not None and old.config == config and old.epoch <= target
            runs.append(old if reuse else Run(config, record_health=self.record_health))
        self.runs = runs
        return all(run.advance(target, stale) for run in self.runs)

    @property
    def run(self) -> Run:
        """The first (for most dashboards the only) run."""
        return self.runs[0]

    @property
    def model(self):
        """The model of the first run."""
        return self.runs[0].model

    @property
    def history(self):
        """The History of the first run."""
        return self.runs[0].history

    def data_columns(self, run):
        """The input columns ``draw_loss_and_data`` shows in the data panel (None: the first
        two, or the first for a regression curve); a subclass with a choice overrides it."""
        return None

    def draw_loss_and_data(self) -> Run:
        """Draw the first run into ``self.curves`` (a LossCurves) and ``self.data_panel``, and
        title the data panel with the epoch; returns the run, for what a subclass adds."""
        run = self.run
        self.curves.update(run.history, epochs=run.config.epochs,
                           penalty_name=penalty_name(run))  # fmt: skip
        self.curves.ax.yaxis.label.set_text(loss_label(run))
        self.data_panel.update(run, self.data_columns(run))
        self.data_panel.ax.title.set_text(f"after {run.epoch} epochs")
        return run

    def show_progress(self, extra: str = "") -> None:
        """Update the epoch counter and the status line (divergence first, in vermillion)."""
        epoch = max(run.epoch for run in self.runs) if self.runs else 0
        self.epoch_label.value = f"epoch {epoch} / {self.play.max}"
        messages = [m for m in (diverged_message(run.history) for run in self.runs) if m]
        if messages:
            self.set_status(messages[0] + (f" · {extra}" if extra else ""), color="#D55E00")
        else:
            self.set_status(extra)
