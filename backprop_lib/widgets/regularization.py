"""RegularizationExplorer: overfitting and its cures on a train/test split you can see.

TensorFlow Playground's controls for the question "does it generalise?": the share of the
points used for training (the rest are the test set), the noise, the network's capacity
(hidden layers and width), the penalty (L2 or L1) and its strength, and the dropout rate.
Three panels: the training data loss, the test loss and the penalty per epoch (apart, so the
gap between the first two is the overfitting), the decision boundary with the training points
filled and the test points hollow (the status line counts them), and the histogram of the
weights. Play / Step / Reset
animate the run epoch by epoch. Used by notebooks/10_regularization.ipynb.

A run (``RegularizationRun``) is fully determined by its ``RegularizationConfig``: the data
are drawn once from the seed, then split, so changing the split moves points between the two
sets without redrawing them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..data import make_moons
from ..nn.losses import BCEWithLogitsLoss
from ..nn.models import mlp
from ..optim.optimizers import SGD
from ..training import Trainer
from ..viz.curves import loss_label
from ..viz.regularization import SplitBoundary, SplitLossCurves, WeightHistogram, best_epoch
from ..viz.style import style
from .live import LiveTraining

__all__ = ["RegularizationConfig", "RegularizationRun", "RegularizationExplorer", "STRENGTHS"]

#: the penalty strengths the slider offers (0 switches the penalty off)
STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
PENALTIES = ("l2", "l1")
#: the widths the dropdown offers; wider layers gain nothing here (32 already overfits 40
#: points) and their matrix products are where a multi-threaded BLAS starts costing more
#: than it gives on a machine with few cores
WIDTHS = (2, 4, 8, 16, 32)


@dataclass(frozen=True)
class RegularizationConfig:
    """Everything that defines one run of the explorer; equal configs give identical runs.

    ``n`` points of the two moons with Gaussian ``noise`` are drawn from ``seed``; a share
    ``train_fraction`` of them (rounded to whole points) trains the network, the rest is the
    test set. The network is ``mlp([2] + [width] * layers + [1], "tanh")`` with ``Dropout(
    dropout)`` after every hidden layer when ``dropout > 0``, trained full-batch with SGD
    (``lr``, ``momentum``) on the cross-entropy plus ``strength`` times the ``penalty``
    ("l2": 1/2 sum W^2, "l1": sum |W|, on the weights only) for ``epochs`` epochs.
    """

    n: int = 200
    noise: float = 0.3
    train_fraction: float = 0.2
    layers: int = 3
    width: int = 32
    penalty: str = "l2"
    strength: float = 0.0
    dropout: float = 0.0
    lr: float = 0.1
    momentum: float = 0.9
    epochs: int = 400
    seed: int = 0

    def __post_init__(self):
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {self.penalty!r}")
        if not 0.0 < self.train_fraction < 1.0:
            raise ValueError(
                f"train_fraction must be in (0, 1), got {self.train_fraction}; e.g. 0.2 trains "
                "on a fifth of the points and tests on the rest"
            )
        n_train = self.n_train
        if not 1 <= n_train <= self.n - 1:
            raise ValueError(
                f"train_fraction={self.train_fraction} of n={self.n} points leaves {n_train} "
                "training points; both sets need at least one"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not (np.isfinite(self.strength) and self.strength >= 0):
            raise ValueError(f"strength must be >= 0, got {self.strength}; 0 switches it off")
        if self.layers < 1 or self.width < 1:
            raise ValueError(f"layers and width must be >= 1, got {self.layers}, {self.width}")
        if self.epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")

    @property
    def n_train(self) -> int:
        """The number of training points: round(train_fraction * n)."""
        return int(round(self.train_fraction * self.n))

    def replace(self, **changes) -> RegularizationConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def split_moons(config: RegularizationConfig):
    """The config's data: X_train (k, 2), X_test (n - k, 2), y_train, y_test ((., 1) floats).

    The points are drawn once from ``seed`` (already in random order) and the first
    ``n_train`` train: a larger share keeps the same training points and adds more.
    """
    X, y = make_moons(config.n, noise=config.noise, rng=config.seed)
    y = y.reshape(-1, 1).astype(float)  # (n, 1) 0/1 targets, shaped like the logits
    k = config.n_train
    return X[:k], X[k:], y[:k], y[k:]


class RegularizationRun:
    """One run built from a ``RegularizationConfig``, advanced an epoch at a time.

    Attributes: ``config``, ``X_train``, ``X_test``, ``y_train``, ``y_test``, ``model``,
    ``loss``, ``optimizer``, ``trainer``, ``history`` (with ``data_loss``, ``penalty``,
    ``val_loss`` = the test loss, ``accuracy``, ``val_accuracy``).
    """

    def __init__(self, config: RegularizationConfig):
        self.config = c = config
        self.X_train, self.X_test, self.y_train, self.y_test = split_moons(c)
        self.model = mlp([2, *([c.width] * c.layers), 1], activation="tanh", dropout=c.dropout,
                         rng=c.seed)  # fmt: skip
        self.loss = BCEWithLogitsLoss()
        self.optimizer = SGD(self.model.parameters(), lr=c.lr, momentum=c.momentum)
        extra = {"penalty": c.penalty, "penalty_strength": c.strength} if c.strength > 0 else {}
        self.trainer = Trainer(
            self.model, self.loss, self.optimizer, self.X_train, self.y_train,
            validation_data=(self.X_test, self.y_test), rng=c.seed + 1, record_health=False,
            **extra,
        )  # fmt: skip

    @property
    def history(self):
        return self.trainer.history

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return len(self.history.loss)

    def advance(self, target: int, stale=lambda: False) -> bool:
        """Train until ``target`` epochs are done (or the run stopped); False if abandoned."""
        with np.errstate(all="ignore"):
            while self.epoch < min(target, self.config.epochs) and not self.trainer.stopped:
                if stale():
                    return False
                self.trainer.run_epoch()
        return True


def _strength_label(value: float) -> str:
    return "0 (off)" if value == 0 else f"{value:g}"


class RegularizationExplorer(LiveTraining):
    """Split, noise, capacity, penalty and dropout -> train and test loss, boundary, weights.

    Parameters
    ----------
    config : RegularizationConfig or dict of its fields, optional (the defaults overfit: 40
        training points, noise 0.3, three hidden layers of 32 tanh units, 400 epochs)
    threaded : see ``Dashboard``

    Controls (attributes, also in ``controls``): ``train_fraction`` (FloatSlider, the share
    of the points that trains, class ``bp-main-control``: TensorFlow Playground's first
    control), ``noise``, ``dropout`` (FloatSliders), ``layers`` (IntSlider), ``width``
    (Dropdown), ``strength`` (SelectionSlider over ``STRENGTHS``; 0 is off), ``penalty``
    (Dropdown "l2"/"l1"). State: ``run`` (a ``RegularizationRun``), ``model``, ``history``; panels
    ``curves`` (``SplitLossCurves``), ``boundary`` (``SplitBoundary``), ``weights``
    (``WeightHistogram``).
    """

    record_health = False

    def __init__(self, config: RegularizationConfig | dict | None = None, threaded=None):
        base = config if isinstance(config, RegularizationConfig) else (
            RegularizationConfig(**(config or {}))
        )  # fmt: skip
        if base.strength not in STRENGTHS:
            raise ValueError(f"strength must be one of {STRENGTHS}, got {base.strength}")
        if base.width not in WIDTHS:
            raise ValueError(f"width must be one of {WIDTHS}, got {base.width}")
        self.base = base
        super().__init__(epochs=base.epochs, width_px=1000, height_px=340, threaded=threaded)
        wide = {"description_width": "initial"}
        self.strength = self.add_control("strength", widgets.SelectionSlider(
            options=[(_strength_label(s), s) for s in STRENGTHS], value=base.strength,
            description="penalty strength λ", continuous_update=False, style=wide,
            layout=widgets.Layout(width="330px"),
        ))  # fmt: skip
        self.penalty = self.add_control("penalty", widgets.Dropdown(
            options=[("L2 (weight decay)", "l2"), ("L1 (sparsity)", "l1")], value=base.penalty,
            description="penalty", layout=widgets.Layout(width="230px"),
        ))  # fmt: skip
        self.dropout = self.add_control("dropout", widgets.FloatSlider(
            value=base.dropout, min=0.0, max=0.7, step=0.05, description="dropout rate p",
            continuous_update=False, style=wide, layout=widgets.Layout(width="300px"),
        ))  # fmt: skip
        self.train_fraction = self.add_control("train_fraction", widgets.FloatSlider(
            value=base.train_fraction, min=0.1, max=0.9, step=0.05, description="training share",
            readout_format=".2f", continuous_update=False, style=wide,
            layout=widgets.Layout(width="300px"),
        ), main=True)  # fmt: skip
        self.noise = self.add_control("noise", widgets.FloatSlider(
            value=base.noise, min=0.0, max=0.5, step=0.05, description="noise",
            continuous_update=False, layout=widgets.Layout(width="260px"),
        ))  # fmt: skip
        self.layers = self.add_control("layers", widgets.IntSlider(
            value=base.layers, min=1, max=4, description="hidden layers",
            continuous_update=False, style=wide, layout=widgets.Layout(width="250px"),
        ))  # fmt: skip
        self.width = self.add_control("width", widgets.Dropdown(
            options=list(WIDTHS), value=base.width, description="width",
            layout=widgets.Layout(width="150px"),
        ))  # fmt: skip
        self.layout(
            widgets.HBox([self.train_fraction, self.noise, self.layers, self.width]),
            widgets.HBox([self.strength, self.penalty, self.dropout]),
            self.animation_row,
        )
        with style():
            axes = self.figure.subplots(1, 3, width_ratios=[1.15, 1.0, 0.9])
            self.curves = SplitLossCurves(axes[0], ylabel=loss_label(BCEWithLogitsLoss()))
            axes[0].set_title("loss per epoch")
            X_train, X_test, y_train, y_test = split_moons(base)
            self.boundary = SplitBoundary(axes[1], X_train, y_train, X_test, y_test,
                                          legend=False)  # fmt: skip
            # a title that never changes: the counts of points are in the status line (a
            # changing title this wide would reach the weights panel's tick labels)
            axes[1].set_title("filled: training points, rings: test points")
            self.weights = WeightHistogram(axes[2])
        self.axes = axes
        self._shown_data = (base.n, base.noise, base.train_fraction, base.seed)
        self.refresh()

    # -- what to train ----------------------------------------------------------------------
    def configs(self) -> list[RegularizationConfig]:
        return [
            self.base.replace(
                strength=float(self.strength.value),
                penalty=self.penalty.value,
                dropout=round(float(self.dropout.value), 4),
                train_fraction=round(float(self.train_fraction.value), 4),
                noise=round(float(self.noise.value), 4),
                layers=int(self.layers.value),
                width=int(self.width.value),
            )
        ]

    def compute(self, stale) -> bool:
        target = int(self.play.value)
        runs = []
        for i, config in enumerate(self.configs()):
            old = self.runs[i] if i < len(self.runs) else None
            reuse = old is not None and old.config == config and old.epoch <= target
            runs.append(old if reuse else RegularizationRun(config))
        self.runs = runs
        return all(run.advance(target, stale) for run in self.runs)

    # -- drawing ----------------------------------------------------------------------------
    def draw(self) -> None:
        run, h = self.run, self.run.history
        c = run.config
        best = self.curves.update(h, epochs=c.epochs)
        data = (c.n, c.noise, c.train_fraction, c.seed)
        if data != self._shown_data:
            self.boundary.set_split(run.X_train, run.y_train, run.X_test, run.y_test)
            self._shown_data = data
        self.boundary.update(run.model)
        self.weights.update(run.model)
        self.axes[2].title.set_text(
            f"weights: {self.weights.share_near_zero:.0%} within {self.weights.near:g} of 0"
        )
        parts = [f"{c.n_train} training, {c.n - c.n_train} test points"]
        if h.data_loss:
            parts.append(f"training data loss {h.data_loss[-1]:.3f}")
            if h.penalty:
                parts.append(f"penalty {h.penalty[-1]:.3f}")
            parts.append(f"test loss {h.val_loss[-1]:.3f}")
            parts.append(f"accuracy: training {h.accuracy[-1]:.0%}, test {h.val_accuracy[-1]:.0%}")
            if best is not None:
                parts.append(f"lowest test loss {h.val_loss[best - 1]:.3f} at epoch {best}")
        self.show_progress(" · ".join(parts))

    def moving_artists(self) -> list:
        """What a control move changes: the three panels' lines, surface, points and bars, and
        the weights' title (its share changes). The axes hold still: the loss axis spans at
        least ``viz.regularization.LOSS_RANGE``, the weights' top snaps to round shares, and
        the boundary's grid covers every point of every split (see ``widgets.base``)."""
        return [*self.curves.moving_artists(), *self.boundary.moving_artists(),
                *self.weights.moving_artists(), self.axes[2].title]  # fmt: skip

    def summary(self) -> dict:
        """The shown run's last numbers: data loss, penalty, test loss, accuracies, best epoch.

        (``nan`` for a quantity not recorded yet, e.g. at epoch 0 or without a penalty.)
        """
        h = self.history

        def last(values):
            return float(values[-1]) if values else float("nan")

        return {
            "epoch": len(h.loss),
            "data_loss": last(h.data_loss),
            "penalty": last(h.penalty),
            "test_loss": last(h.val_loss),
            "accuracy": last(h.accuracy),
            "test_accuracy": last(h.val_accuracy),
            "best_epoch": best_epoch(h.val_loss),
        }
