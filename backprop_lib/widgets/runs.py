"""From a dashboard's settings to a training run: data, model, loss, optimizer, trainer.

``RunConfig`` is a dataclass of everything a dashboard lets a learner change (dataset, noise,
network shape, activation, initialiser, optimizer and its hyperparameters, learning rate,
batch size, epochs, regularisation, seed). ``Run(config)`` builds the run deterministically
from it (same config, same run) and advances it one epoch at a time with
``training.Trainer.run_epoch``, keeping a snapshot of the parameters after each epoch for the
trajectory plot. Used by every training dashboard.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from .. import data
from ..nn import init as _init
from ..nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ..nn.models import mlp
from ..optim import optimizers
from ..training import Trainer
from ..viz.param_slice import flatten_parameters

__all__ = ["RunConfig", "Run", "DATASETS", "OPTIMIZERS", "PENALTIES", "INITS", "DTYPES"]

#: name -> (maker(n, noise, rng) -> X, y, number of classes; 0 means regression)
DATASETS = {
    "moons": (lambda n, noise, rng: data.make_moons(n, noise=noise, rng=rng), 2),
    "circles": (lambda n, noise, rng: data.make_circles(n, noise=noise, rng=rng), 2),
    "xor": (lambda n, noise, rng: data.make_xor(n, noise=noise, rng=rng), 2),
    "spirals": (lambda n, noise, rng: data.make_spirals(n, k=3, noise=noise, rng=rng), 3),
    "blobs": (lambda n, noise, rng: data.make_blobs(n, centers=3, noise=noise, rng=rng), 3),
    "sine": (lambda n, noise, rng: data.make_sine(n, noise=noise, rng=rng), 0),
}

#: the optimizer classes a dashboard offers, by the name shown in its dropdown
OPTIMIZERS = {
    "sgd": optimizers.SGD,
    "adagrad": optimizers.Adagrad,
    "rmsprop": optimizers.RMSprop,
    "adam": optimizers.Adam,
    "adamw": optimizers.AdamW,
}

PENALTIES = ("none", "l1", "l2")
DTYPES = ("float32", "float64")

#: initialiser choices: "auto" lets ``mlp`` pick (Xavier for sigmoid/tanh, He for ReLU);
#: "normal" is N(0, 1) (activations explode or saturate), "small" N(0, 0.01^2) (they vanish)
INITS = {
    "auto": None,
    "xavier": "xavier",
    "he": "he",
    "normal": "normal",
    "small": functools.partial(_init.normal, std=0.01),
}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run; equal configs give identical runs.

    ``hidden`` is the hidden widths, e.g. (16, 16) for a 2-16-16-1 network; ``init`` a key of
    ``INITS``; ``batch_size`` 0 means
    the whole dataset per step; ``momentum`` is SGD's (ignored by the other optimizers);
    ``penalty`` "l1"/"l2" adds ``strength`` * ||W||_1 or ||W||^2 to the loss.

    ``dtype`` is the network's float type, "float32" by default: training then takes about
    two thirds of the float64 time here (``np.tanh`` and the matrix products work on half
    the bytes), which keeps a dashboard responsive, and the pictures cannot tell the
    difference. The library's float64 default exists for gradient checks and Hessian
    estimates by finite differences, which no dashboard does; use "float64" to match a
    float64 ``fit`` or to measure a run's model with ``backprop_lib.instruments.curvature``.
    """

    dataset: str = "moons"
    n: int = 200
    noise: float = 0.2
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    init: str = "auto"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    batch_size: int = 0
    epochs: int = 300
    penalty: str = "none"
    strength: float = 0.0
    batch_norm: bool = False
    residual: bool = False
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self):
        if self.dtype not in DTYPES:
            name = getattr(self.dtype, "__name__", None) or getattr(self.dtype, "name", None)
            if name not in DTYPES:
                raise ValueError(f"dtype must be one of {DTYPES} (or np.float32 / np.float64), "
                                 f"got {self.dtype!r}")  # fmt: skip
            object.__setattr__(self, "dtype", name)  # kept as a name: readable, comparable
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}; use one of {sorted(DATASETS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r}; use one of {sorted(OPTIMIZERS)}"
            )
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; use one of {sorted(INITS)}")
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {self.penalty!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")

    def replace(self, **changes) -> RunConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


class Run:
    """One training run built from a ``RunConfig``, advanced an epoch at a time.

    Attributes: ``config``, ``X``, ``y`` (the data; y (n,) int labels or (n, 1) targets),
    ``classes`` (0 for regression), ``model``, ``loss``, ``optimizer``, ``trainer``,
    ``history`` (the trainer's History), ``snapshots`` ((epochs done + 1, P) array of parameter
    vectors: the initial one, then one per epoch; rows of one preallocated float64 buffer).

    ``record_health=False`` (for a dashboard without a gradient-health panel) leaves the
    History's ``grad_norms``, ``update_ratios`` and ``saturation`` empty, training a little
    quicker; the run is otherwise identical (``training.Trainer``).
    """

    def __init__(self, config: RunConfig, record_health: bool = True):
        self.config = c = config
        make, self.classes = DATASETS[c.dataset]
        self.X, y = make(c.n, c.noise, c.seed)
        out = 1 if self.classes in (0, 2) else self.classes
        init = INITS[c.init]
        self.model = mlp([self.X.shape[1], *c.hidden, out], activation=c.activation, init=init,
                         batch_norm=c.batch_norm, residual=c.residual, rng=c.seed,
                         dtype=np.dtype(c.dtype))  # fmt: skip
        if self.classes == 0:
            self.loss, self.y, self.targets = MSELoss(), y, y
        elif self.classes == 2:
            self.loss, self.y = BCEWithLogitsLoss(), y
            self.targets = y.reshape(-1, 1).astype(float)  # (n, 1), as the logits
        else:
            self.loss, self.y, self.targets = CrossEntropyLoss(), y, y
        hyper = {"momentum": c.momentum} if c.optimizer == "sgd" else {}
        self.optimizer = OPTIMIZERS[c.optimizer](self.model.parameters(), lr=c.lr, **hyper)
        extra = {}
        if c.penalty != "none" and c.strength > 0:
            extra = {"penalty": c.penalty, "penalty_strength": c.strength}
        self.trainer = Trainer(
            self.model, self.loss, self.optimizer, self.X, self.targets,
            batch_size=c.batch_size or None, rng=c.seed + 1, record_health=record_health,
            **extra,
        )  # fmt: skip
        first = flatten_parameters(self.model)
        self._params = self.model.parameters()  # in flatten_parameters' order
        self._snaps = np.empty((c.epochs + 1, len(first)))  # every snapshot the run can take
        self._snaps[0] = first
        self._n_snaps = 1

    @property
    def snapshots(self) -> np.ndarray:
        """The parameter vectors so far, (epochs done + 1, P): a view, not a copy."""
        return self._snaps[: self._n_snaps]

    @property
    def history(self):
        return self.trainer.history

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return len(self.history.loss)

    @property
    def finished(self) -> bool:
        """True once ``config.epochs`` epochs ran or the run diverged (nothing more to do)."""
        return self.epoch >= self.config.epochs or self.trainer.stopped

    def step(self) -> None:
        """Run one epoch (unless finished) and record the parameters."""
        if self.finished:
            return
        with np.errstate(all="ignore"):
            self._epoch()

    def _epoch(self) -> None:
        self.trainer.run_epoch()
        # one concatenate into the buffer's next row (flatten_parameters would allocate twice)
        np.concatenate([p.data.ravel() for p in self._params], out=self._snaps[self._n_snaps])
        self._n_snaps += 1

    def advance(self, target: int, stale=lambda: False) -> bool:
        """Run epochs until ``target`` epochs are done (or the run is finished).

        Returns False if ``stale()`` became true between epochs (the run is left part-way).
        """
        with np.errstate(all="ignore"):  # once, not per epoch
            while self.epoch < min(target, self.config.epochs) and not self.trainer.stopped:
                if stale():
                    return False
                self._epoch()
        return True
