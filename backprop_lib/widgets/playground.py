"""TrainingDashboard: every setting of a training run on a control, TensorFlow-Playground style.

Dataset and noise (or your own data: a CSV upload or ``data=(X, y)``), a train/test split,
the input features (x1, x2, x1², x2², x1·x2, sin x1, sin x2), a width per hidden layer,
activation, initialiser, optimizer with its learning rate (log slider) and momentum, batch
size, epochs, regularisation type and strength, and the seed. The figure shows the loss
curves (training data loss, test loss, the penalty apart), what the model does on the data
(decision boundary or fitted curve) and the network's weights. ``config`` copies and restores
the whole experiment, so an instructor can hand out an exact setting. The series' free-play
sandbox (notebook 00).

Uploaded data is not a control value: ``config["dataset"]`` names it ("uploaded: my.csv")
and the data itself is ``dashboard.data``; a config alone cannot recreate it, so pass both,
``TrainingDashboard(config, data=dashboard.data)``.
"""

from __future__ import annotations

import dataclasses
import re

import ipywidgets as widgets
import numpy as np

from .. import data as datasets
from ..features import FEATURE_LABELS, FEATURES, check_features
from ..nn.models import ACTIVATIONS
from ..viz.boundary import grid_points
from ..viz.curves import LossCurves
from ..viz.network import PICTURE_RESOLUTION, NetworkDiagram, linear_layers
from ..viz.style import style
from .base import Dashboard
from .live import DataPanel, LiveTraining, loss_label, penalty_name
from .runs import DATASETS, INITS, OPTIMIZERS, PENALTIES, RunConfig, UserData

__all__ = ["TrainingDashboard", "parse_hidden", "MAX_LAYERS", "MAX_WIDTH"]

MAX_LAYERS, MAX_WIDTH = 6, 64  # the largest network the hidden-widths box accepts
#: RunConfig fields without a control; ``config`` carries those that differ from the default
_FIXED = ("n", "batch_norm", "residual", "dtype")
_WARN = "#D55E00"
_UPLOAD_HELP = (
    "a config cannot recreate data that was loaded into a dashboard: pass the data too, "
    "TrainingDashboard(config, data=dashboard.data) (or data=load_csv(...))"
)


def parse_hidden(text) -> tuple[int, ...]:
    """Hidden widths from "16, 8, 4" (commas or spaces; "" or "0": no hidden layer) or a tuple.

    Raises ValueError unless there are at most ``MAX_LAYERS`` whole numbers from 1 to
    ``MAX_WIDTH``.
    """
    if isinstance(text, (tuple, list)):
        items = list(text)
    else:
        body = str(text).strip()
        items = [] if body in ("", "0", "none") else re.split(r"[,;\s]+", body.strip(",; "))
    try:
        widths = tuple(int(w) for w in items)
        whole = all(float(w) == int(w) for w in items)
    except (TypeError, ValueError):
        whole, widths = False, ()
    if not whole or not all(1 <= w <= MAX_WIDTH for w in widths) or len(widths) > MAX_LAYERS:
        raise ValueError(
            f"hidden widths {text!r}: give up to {MAX_LAYERS} whole numbers from 1 to "
            f"{MAX_WIDTH}, one per hidden layer, e.g. 16, 8 (empty: no hidden layer)"
        )
    return widths


def _legacy_hidden(values: dict, hidden: tuple[int, ...]) -> tuple[int, ...]:
    """Pop the older config keys ``layers`` and ``width`` (that many layers of one width),
    so experiments saved before the per-layer widths still load; ``hidden`` otherwise."""
    if "layers" not in values and "width" not in values:
        return hidden
    layers = values.pop("layers", len(hidden))
    width = values.pop("width", hidden[0] if hidden else 8)
    return parse_hidden((width,) * int(layers))


def _hidden_text(widths) -> str:
    return ", ".join(str(w) for w in widths)


class TrainingDashboard(LiveTraining):
    """A full training run on controls: config -> retrain -> losses, data panel, network.

    Parameters
    ----------
    config : RunConfig, or a dict of its fields and/or of this dashboard's ``config`` keys
        The starting experiment (default ``RunConfig()``: moons, 2-16-16-1 tanh, SGD lr 0.1,
        full batch, 300 epochs, no test set). ``hidden`` may be a tuple or the text "16, 8".
    data : (X, y), a ``data.load_csv`` result, or a ``UserData``, optional
        Your own data: X (n, d) numbers; y (n,) integer labels 0..K-1 (classification) or
        (n, 1) floats (regression). Shown first unless ``config`` names a built-in dataset.
    threaded : see ``Dashboard``

    Controls (``config`` keys): ``dataset``, ``noise``, ``test_ratio`` (share of the rows
    held out as a test set), ``seed``, ``epochs``, ``hidden`` (text "16, 8": one width per
    hidden layer), ``activation``, ``init``, ``optimizer``, ``lr`` (FloatLogSlider, class
    ``bp-main-control``), ``momentum``, ``batch_size`` (0 = full batch), ``penalty``,
    ``strength``, ``plot_x``, ``plot_y`` (the two inputs the boundary is drawn over when the
    data has more; one for a regression curve), and ``features``, a tuple of the toggled
    input features (``feature_toggles``, one ToggleButton each). ``config`` also carries the
    settings without a control (``n``, ``batch_norm``, ``residual``, ``dtype``) when they
    differ from RunConfig's defaults. The older keys ``layers`` and ``width`` (equal widths)
    are still accepted when setting ``config``.

    Input features are functions of the two inputs x1, x2 (of x1 alone for one-column data
    such as the sine); at least one stays on (switching off the last one switches it back on,
    with a note in the status line). Data of more than two columns feeds every column as it
    is (the toggles are disabled), and the boundary panel shows the plane of ``plot_x`` and
    ``plot_y`` with the other inputs held at their training means.

    Your own data is standardised inside the model with the training rows' mean and standard
    deviation (``runs.UserData``), so the panels keep its units. Uploading: ``upload``
    (FileUpload, ``.csv``) loads through ``data.load_csv`` with the ``target`` column (by
    default the last) and the ``task`` (classification or regression); a file that cannot be
    read leaves the previous data in place and says why in the status line. ``load(source,
    name)`` does the same from Python. State: ``run``, ``model``, ``history``, ``data``.
    """

    def __init__(self, config: RunConfig | dict | None = None, data=None, threaded=None):
        if isinstance(config, RunConfig):
            values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        else:
            values = dict(config or {})
        if data is None:
            data = values.pop("data", None)
        else:
            values.pop("data", None)
        features = values.pop("features", None)
        plot = {k: values.pop(k) for k in ("plot_x", "plot_y") if k in values}
        hidden = _legacy_hidden(values, parse_hidden(values.pop("hidden", RunConfig.hidden)))
        dataset = values.pop("dataset", None)
        self._user = None
        if data is not None:
            named = dataset if dataset is not None and dataset not in DATASETS else None
            keep = isinstance(data, UserData) and named is None
            self._user = data if keep else UserData.from_any(data, named or "your data")
        if dataset is None:
            dataset = self._user.name if self._user is not None else RunConfig.dataset
        if dataset not in DATASETS and (self._user is None or dataset != self._user.name):
            raise ValueError(f"config names the data {dataset!r}, which is not built in; "
                             f"{_UPLOAD_HELP}")  # fmt: skip
        fields = {f.name for f in dataclasses.fields(RunConfig)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; use RunConfig fields or "
                             "this dashboard's config keys")  # fmt: skip
        features = check_features(features) if features is not None else ("x1", "x2")
        base = RunConfig(hidden=hidden, **values)
        self.base = base
        self._notices: list[str] = []
        self._csv = None  # (bytes, file name, column names) of the loaded CSV file
        self._pending = None  # (bytes, file name, target) of a file that did not load
        super().__init__(epochs=base.epochs, width_px=1000, height_px=340, threaded=threaded)
        W = widgets.Layout
        short, wide = {"description_width": "95px"}, W(width="270px")

        def add(name, control, main=False):
            control.style = short
            control.layout = wide
            return self.add_control(name, control, main=main)

        self.dataset = widgets.Dropdown(options=self._dataset_options(), value=dataset,
                                        description="dataset")  # fmt: skip
        self.dataset.observe(self._on_dataset, names="value")  # before the retrain it causes
        add("dataset", self.dataset)
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
        self.test_ratio = add(
            "test_ratio",
            widgets.FloatSlider(
                value=base.test_ratio,
                min=0.0,
                max=0.9,
                step=0.05,
                description="test share",
                readout_format=".0%",
                continuous_update=False,
            ),
        )
        self._hidden = hidden  # the widths in use (the box's last valid value)
        self.hidden = widgets.Text(value=_hidden_text(hidden), description="hidden widths",
                                   placeholder="e.g. 16, 8", continuous_update=False)  # fmt: skip
        self.hidden.observe(self._on_hidden, names="value")  # checks before the retrain
        add("hidden", self.hidden)
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
        names = self._column_names(dataset)
        self.plot_x = add("plot_x", widgets.Dropdown(options=names, value=names[0],
                                                     description="plot across"))  # fmt: skip
        self.plot_y = add("plot_y", widgets.Dropdown(options=names, value=names[-1],
                                                     description="plot up"))  # fmt: skip
        # the input features: one toggle each, in TFP's order; config["features"] holds them
        self.feature_toggles = {}
        for name in FEATURES:
            toggle = widgets.ToggleButton(value=name in features, description=FEATURE_LABELS[name],
                                          tooltip=f"feed {name} to the network",
                                          layout=W(width="72px"))  # fmt: skip
            toggle.observe(self._on_feature, names="value")
            self.feature_toggles[name] = toggle
        # your own data: a CSV upload, its target column and its task (not config values)
        self.upload = widgets.FileUpload(accept=".csv", multiple=False, description="upload CSV",
                                         layout=W(width="150px"))  # fmt: skip
        self.upload.add_class("bp-upload")
        self.upload.observe(self._on_upload, names="value")
        self.target = widgets.Dropdown(options=[], description="target", disabled=True,
                                       style=short, layout=W(width="240px"))  # fmt: skip
        self.target.observe(self._on_target, names="value")
        self.task = widgets.ToggleButtons(options=["classification", "regression"],
                                          value="classification",
                                          style={"button_width": "110px"})  # fmt: skip
        self.task.observe(self._on_target, names="value")
        with self._quiet():
            for name, value in plot.items():
                self.controls[name].value = value
            self._sync_to_data()
        column = widgets.VBox
        label = widgets.Label
        self.layout(
            widgets.HBox([
                column([self.dataset, self.noise, self.test_ratio, self.seed]),
                column([self.hidden, self.activation, self.init, self.epochs]),
                column([self.optimizer, self.lr, self.momentum, self.batch_size]),
                column([self.penalty, self.strength, self.plot_x, self.plot_y]),
            ], layout=W(flex_flow="row wrap")),  # a narrow page wraps, nothing overlaps
            widgets.HBox([label("input features", layout=W(width="95px")),
                          *self.feature_toggles.values()]),
            widgets.HBox([self.upload, self.target, self.task]),
            self.animation_row,
        )  # fmt: skip
        with style():
            axes = self.figure.subplots(1, 3, width_ratios=[1, 1, 1.15])
            self.curves = LossCurves(axes[0], log=True, val_label="test", show_penalty=True)
            axes[0].set_title("loss per epoch")
            self.data_panel = DataPanel(axes[1])
        self.axes = axes
        self.diagram = None
        self._sizes = None
        self.refresh()

    # -- the data -----------------------------------------------------------------------------
    @property
    def data(self) -> UserData | None:
        """Your own data (uploaded or passed in), as a ``UserData``; None before any."""
        return self._user

    def _dataset_options(self) -> list[str]:
        return list(DATASETS) + ([self._user.name] if self._user is not None else [])

    def _user_selected(self, name: str | None = None) -> UserData | None:
        name = self.dataset.value if name is None else name
        return self._user if self._user is not None and name == self._user.name else None

    def _column_names(self, name: str) -> list[str]:
        user = self._user_selected(name)
        if user is not None:
            return list(user.feature_names)
        return ["x1"] if DATASETS[name][1] == 0 else ["x1", "x2"]  # the sine is 1-D

    def _quiet(self):
        """Change controls without any update (the caller's own change brings one)."""
        return _Quiet(self)

    def _sync_to_data(self) -> None:
        """Make the controls fit the selected data: the plot choices, the feature toggles
        that exist for it, the noise slider (unused by your own data). No update."""
        name = self.dataset.value
        names = self._column_names(name)
        user = self._user_selected(name)
        regression = (user.task == "regression") if user else DATASETS[name][1] == 0
        need = 1 if regression else 2
        for control, default in ((self.plot_x, names[0]), (self.plot_y, names[-1])):
            if list(control.options) != names:
                keep = control.value if control.value in names else default
                control.options = names
                control.value = keep
        if self.plot_x.value == self.plot_y.value and len(names) > 1 and need == 2:
            self.plot_y.value = next(n for n in names if n != self.plot_x.value)
        self.plot_x.disabled = len(names) <= need
        self.plot_y.disabled = len(names) <= need or need == 1
        for fname, toggle in self.feature_toggles.items():
            toggle.disabled = len(names) > 2 or (len(names) == 1 and "x2" in fname)
        self.noise.disabled = user is not None

    def _on_dataset(self, change) -> None:
        with self._quiet():
            self._sync_to_data()

    def set_data(self, data, name: str | None = None) -> UserData:
        """Train on ``data`` ((X, y), a ``load_csv`` result or a ``UserData``) from now on,
        shown under ``name`` (default "your data") in the dataset list. Returns it."""
        user = UserData.from_any(data, name or getattr(data, "name", None) or "your data")
        if user.name in DATASETS:
            raise ValueError(f"{user.name!r} is a built-in dataset's name; name your data apart")
        with self.hold():
            with self._quiet():
                self._user = user
                self.dataset.options = self._dataset_options()
                self.dataset.value = user.name
                self._sync_to_data()
        return user

    def load(self, source, name: str = "data.csv", target=-1) -> bool:
        """Load a CSV (a path, bytes, a file-like object) through ``data.load_csv`` with the
        ``task`` toggle's task and train on it. A file that cannot be read leaves the data as
        it was and puts load_csv's message in the status line; the file is kept, so choosing
        the other ``task`` tries it again. Returns True if loaded."""
        if isinstance(source, memoryview):
            source = source.tobytes()
        elif callable(getattr(source, "read", None)):
            source = source.read()  # read once: a reload (another target) reads these bytes
        try:
            csv = datasets.load_csv(source, target, task=self.task.value)
            user = UserData.from_any(csv, f"uploaded: {name}")
        except Exception as exc:  # every failure is a message, never a traceback
            self._pending = (source, name, target)
            kind = "" if isinstance(exc, ValueError) else f"{type(exc).__name__}: "
            self._say(f"could not load {name}: {kind}{exc}; the previous data is kept")
            return False
        self._pending = None
        same_file = self._csv is not None and self._csv[:2] == (source, name)
        columns = self._csv[2] if same_file else None
        if columns is None or csv.target_name not in columns:
            # the file's columns in its order: the target back at its index (a named target
            # goes last, its place unknown)
            features = list(csv.feature_names)
            at = target % (len(features) + 1) if isinstance(target, int) else len(features)
            columns = [*features[:at], csv.target_name, *features[at:]]
        self._csv = (source, name, columns)
        with self._quiet():
            self.target.options = columns
            self.target.value = csv.target_name
            self.target.disabled = False
        self.set_data(user)
        return True

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.load(bytes(upload["content"]), upload["name"])

    def _on_target(self, change) -> None:
        """Another target column or task: load the file again (a file that failed to load
        is tried again with the other task)."""
        if self._muted:
            return
        if change["owner"] is self.task and self._pending is not None:
            self.load(*self._pending)
            return
        if self._csv is None:
            return
        source, name, columns = self._csv
        previous = self._user.target_name if self._user is not None else None
        if not self.load(source, name, target=columns.index(self.target.value)):
            with self._quiet():  # back to the choices of what is loaded
                if previous in columns:
                    self.target.value = previous
                if change["owner"] is self.task:
                    self.task.value = change["old"]
            self._pending = None  # nothing new to retry: the loaded file stays

    def _say(self, notice: str) -> None:
        """Show ``notice`` in the status line now and with the next picture."""
        self._notices.append(notice)
        self.set_status(notice, color=_WARN)
        self.request()

    # -- the controls that check themselves ---------------------------------------------------
    def _on_hidden(self, change) -> None:
        try:
            widths = parse_hidden(change["new"])
        except ValueError as exc:
            self._notices.append(f"{exc}; kept {_hidden_text(self._hidden) or 'none'}")
            with self._quiet():
                self.hidden.value = change["old"]
            return
        self._hidden = widths

    def _usable_features(self) -> list[str]:
        d = len(self._column_names(self.dataset.value))
        if d > 2:
            return []
        return [n for n in FEATURES if d == 2 or "x2" not in n]

    def _on_feature(self, change) -> None:
        if self._muted:
            return
        usable = self._usable_features()
        if usable and not any(self.feature_toggles[n].value for n in usable):
            with self._quiet():
                change["owner"].value = True
            self._say(f"at least one input feature stays on: {change['owner'].description} "
                      "is on again")  # fmt: skip
            return
        self._on_change(change)

    def _features(self) -> tuple[str, ...] | None:
        """The features the network gets: the toggled ones that exist for the data (x1 when
        none does); None for data of more than two columns (every column as it is)."""
        usable = self._usable_features()
        if not usable:
            return None
        on = tuple(n for n in usable if self.feature_toggles[n].value)
        return on or ("x1",)

    # -- sharing an experiment ----------------------------------------------------------------
    @property
    def config(self) -> dict:
        """The controls' values plus ``features`` (the toggled ones): one experiment."""
        values = Dashboard.config.fget(self)
        values["features"] = tuple(n for n in FEATURES if self.feature_toggles[n].value)
        default = RunConfig()
        for name in _FIXED:  # settings without a control, e.g. n=80 given at construction
            if getattr(self.base, name) != getattr(default, name):
                values[name] = getattr(self.base, name)
        return values

    @config.setter
    def config(self, values: dict) -> None:
        values = dict(values)
        features = values.pop("features", None)
        if features is not None:
            features = check_features(features)
        fixed = {name: values.pop(name) for name in _FIXED if name in values}
        base = self.base.replace(**fixed) if fixed else self.base  # checked before any change
        if "hidden" in values or "layers" in values or "width" in values:
            hidden = parse_hidden(values.pop("hidden", self._hidden))
            values["hidden"] = _hidden_text(_legacy_hidden(values, hidden))
        if "dataset" in values and values["dataset"] not in self.dataset.options:
            raise ValueError(f"config names the data {values['dataset']!r}, which this "
                             f"dashboard does not hold; {_UPLOAD_HELP}")  # fmt: skip
        # the dataset first: it decides which plot choices exist
        ordered = dict(sorted(values.items(), key=lambda kv: kv[0] != "dataset"))
        with self.hold():
            self.base = base
            if features is not None:
                for name, toggle in self.feature_toggles.items():
                    toggle.value = name in features
            Dashboard.config.fset(self, ordered)

    # -- the run --------------------------------------------------------------------------------
    def configs(self) -> list[RunConfig]:
        return [
            self.base.replace(
                dataset=self.dataset.value,
                data=self._user_selected(),
                noise=float(self.noise.value),
                hidden=self._hidden,
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
                features=self._features(),
                test_ratio=float(self.test_ratio.value),
            )
        ]

    def data_columns(self, run):
        """The input columns the data panel draws: ``plot_x`` (and ``plot_y``)."""
        names = self._column_names(self.dataset.value)
        x, y = names.index(self.plot_x.value), names.index(self.plot_y.value)
        if x == y and len(names) > 1:
            y = (x + 1) % len(names)
        return (x,) if run.classes == 0 else (x, y)

    def draw(self) -> None:
        run = self.draw_loss_and_data()
        d, need = run.X.shape[1], 1 if run.classes == 0 else 2
        if d > need:
            self.data_panel.ax.title.set_text(
                f"after {run.epoch} epochs; other inputs at their means"
            )
        names = [FEATURE_LABELS[n] for n in run.input_names] if run.input_names else None
        sizes = ([linear_layers(self.model)[0].in_features]
                 + [lin.out_features for lin in linear_layers(self.model)], names)  # fmt: skip
        if sizes != self._sizes:  # a new shape: a new diagram (same axes)
            self.axes[2].clear()
            with style():
                self.diagram = NetworkDiagram(
                    self.axes[2],
                    self.model,
                    max_width=4.0,
                    input_names=names,
                    pictures=self._picture_grid(run),
                    output="values" if run.classes == 0 else "auto",
                )
            self._sizes = sizes
            if self.updates:  # a rebuilt panel, its note above it perhaps: laid out anew, so
                self.relayout()  # drawn in full once and nothing learned as moving
        else:
            self.diagram.update(self.model, pictures=self._picture_grid(run))
        self.show_progress(" · ".join(self._notices + self._status_parts(run)))
        self._notices = []

    def _picture_grid(self, run) -> np.ndarray:
        """The raw inputs of the diagram's neuron pictures: a 24 x 24 grid over the plane the
        data panel draws (``plot_x``, ``plot_y``), the other inputs held at their training
        means, as in that panel; one input (the sine data): a strip along it, left to right.
        The model's first layer derives its input features (x1², sin x1...) from these."""
        X = run.X
        columns = self.data_columns(run)
        if len(columns) == 1:
            column = X[:, columns[0]]
            line = grid_points(np.column_stack([column, column]), PICTURE_RESOLUTION)[0][:, 0]
            points = np.broadcast_to(X.mean(axis=0), (len(line), X.shape[1])).copy()
            points[:, columns[0]] = line
            return points
        plane = grid_points(X[:, list(columns)], PICTURE_RESOLUTION)[0]
        points = np.broadcast_to(X.mean(axis=0), (len(plane), X.shape[1])).copy()
        points[:, list(columns)] = plane
        return points

    def _status_parts(self, run) -> list[str]:
        h = run.history
        parts = []
        user = run.config.data
        if user is not None:
            parts.append(f"{user.name}: {user.summary()}")
            if run.X.shape[1] > 2:
                parts.append(f"all {run.X.shape[1]} columns feed the network (the feature "
                             "toggles are for one- or two-column data)")  # fmt: skip
        unit = " nats" if "nats" in loss_label(run) else ""
        if h.penalty and h.data_loss and np.isfinite(h.loss[-1]):
            # the three numbers apart: a penalty is not a cross-entropy and has no unit
            parts.append(f"data loss {h.data_loss[-1]:.4g}{unit}")
            parts.append(f"{penalty_name(run)} {h.penalty[-1]:.4g}")
            parts.append(f"data loss + penalty {h.loss[-1]:.4g}")
        elif h.loss and np.isfinite(h.loss[-1]):
            parts.append(f"loss {h.loss[-1]:.4g}{unit}")
        if h.val_loss and np.isfinite(h.val_loss[-1]):
            parts.append(f"test loss {h.val_loss[-1]:.4g}{unit}")
        if h.accuracy:
            parts.append(f"training accuracy {100 * h.accuracy[-1]:.1f}%")
        if h.val_accuracy and np.isfinite(h.val_accuracy[-1]):
            parts.append(f"test accuracy {100 * h.val_accuracy[-1]:.1f}%")
        return parts

    def moving_artists(self) -> list:
        """What a control move changes: the loss lines, the surface or curve and the panel's
        title, and the network diagram's lines, bias squares, values and neuron pictures
        (``NetworkDiagram.moving_artists``). The diagram's axes holds still: its limits follow
        the layer sizes alone, and a new shape is a new diagram, drawn in full once."""
        return [*self.curves.moving_artists(), *self.data_panel.moving_artists(),
                *self.diagram.moving_artists()]  # fmt: skip


class _Quiet:
    """Context manager: control changes inside it trigger no update and no retrain."""

    def __init__(self, dash: TrainingDashboard):
        self.dash = dash

    def __enter__(self):
        self.dash._muted += 1

    def __exit__(self, *exc):
        self.dash._muted -= 1
