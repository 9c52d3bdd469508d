"""From a dashboard's settings to a training run: data, model, loss, optimizer, trainer.

``RunConfig`` is a dataclass of everything a dashboard lets a learner change (dataset, noise,
network shape, activation, initialiser, optimizer and its hyperparameters, learning rate,
batch size, epochs, regularisation, seed, input features, a train/test split, the
learner's own data). ``Run(config)`` builds the run deterministically from it (same config,
same run) and advances it one epoch at a time with
``training.Trainer.run_epoch``, keeping a snapshot of the parameters after each epoch for the
trajectory plot. Used by every training dashboard.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from .. import data
from ..features import InputFeatures, check_features
from ..nn import init as _init
from ..nn.layers import Sequential
from ..nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ..nn.models import mlp
from ..optim import optimizers
from ..training import Trainer
from ..viz.param_slice import flatten_parameters

__all__ = [
    "RunConfig",
    "Run",
    "UserData",
    "DATASETS",
    "OPTIMIZERS",
    "PENALTIES",
    "INITS",
    "DTYPES",
]

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


class UserData:
    """A learner's own data set, checked once, for ``RunConfig(data=...)``.

    Classification: ``y`` (n,) integer labels 0..K-1 with K >= 2 (``classes`` names them);
    regression: ``y`` (n, 1) floats (``classes == ()``). ``X`` is (n, d) float64, finite.
    Two ``UserData`` are equal when their name, task and numbers are (a digest of the bytes),
    so configs that hold the same data compare equal and a dashboard reuses their run.

    Build one with ``UserData.from_any(source, name)`` from an (X, y) pair, a
    ``data.load_csv`` result (``CSVData``) or another ``UserData``.

    Attributes: ``X``, ``y``, ``name`` (the label a dashboard shows, e.g. "uploaded:
    my.csv"), ``feature_names``, ``target_name``, ``classes``, ``task`` ("classification"
    or "regression"), ``n_classes`` (K, 0 for regression), ``summary()``.
    """

    def __init__(self, X, y, name: str = "your data", feature_names=None, target_name="y",
                 classes=None, task: str | None = None, summary: str | None = None):  # fmt: skip
        X = data.check_features(X, f"{name}: X", np.float64)
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{name}: y must be numbers (labels or targets), got dtype {y.dtype}")
        if len(y) != len(X):
            raise ValueError(f"{name}: X has {len(X)} rows but y has {len(y)}; pass matching X, y")
        if len(X) < 4:
            raise ValueError(f"{name}: {len(X)} rows are too few to train on; bring at least 4")
        if task is None:  # (n, 1) or non-integer values: regression; (n,) whole numbers: labels
            whole = y.dtype.kind in "iub" or (np.all(np.isfinite(y)) and np.all(y == np.round(y)))
            task = "regression" if y.ndim == 2 or not whole else "classification"
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name}: y contains NaN or inf; remove those rows first")
        if task == "regression":
            y = np.array(y, dtype=np.float64).reshape(len(X), -1)
            if y.shape[1] != 1:
                raise ValueError(f"{name}: a regression target is one column, got y {y.shape}")
            self.n_classes, classes = 0, ()
        else:
            if y.ndim != 1 or np.any(y != np.round(y)) or y.min() < 0:
                raise ValueError(
                    f"{name}: class labels must be whole numbers 0..K-1 of shape (n,), got "
                    f"{y.dtype} {y.shape}; map them first (data.load_csv does)"
                )
            y = y.astype(np.int64)
            k = int(y.max()) + 1
            if len(np.unique(y)) < 2:
                raise ValueError(f"{name}: every label is {y[0]}; a classifier needs two classes")
            self.n_classes = k
            classes = tuple(classes) if classes else tuple(str(c) for c in range(k))
            if len(classes) != k:
                raise ValueError(f"{name}: {len(classes)} class names for labels 0..{k - 1}")
        d = X.shape[1]
        names = tuple(feature_names) if feature_names else tuple(f"x{i + 1}" for i in range(d))
        if len(names) != d:
            raise ValueError(f"{name}: {len(names)} feature names for {d} columns of X")
        X.setflags(write=False)
        y.setflags(write=False)
        self.X, self.y, self.name, self.task = X, y, str(name), task
        self.feature_names, self.target_name, self.classes = names, str(target_name), classes
        self._summary = summary
        digest = hashlib.sha1(X.tobytes())
        digest.update(y.tobytes())
        digest.update(repr((self.name, task, names, classes, X.shape)).encode())
        self.digest = digest.hexdigest()

    @classmethod
    def from_any(cls, source, name: str | None = None) -> UserData:
        """A ``UserData`` from (X, y), a ``CSVData`` (``data.load_csv``) or a ``UserData``."""
        if isinstance(source, UserData):
            return source if name is None or name == source.name else cls(
                source.X, source.y, name, source.feature_names, source.target_name,
                source.classes or None, source.task, source._summary)  # fmt: skip
        if hasattr(source, "X") and hasattr(source, "feature_names"):  # a CSVData
            summary = source.summary() if hasattr(source, "summary") else None
            return cls(source.X, source.y, name or "your data", source.feature_names,
                       source.target_name, source.classes or None, source.task,
                       summary)  # fmt: skip
        if isinstance(source, (tuple, list)) and len(source) == 2:
            return cls(source[0], source[1], name or "your data")
        raise TypeError(
            f"data must be a pair (X, y), a data.load_csv result or a UserData, got "
            f"{type(source).__name__}"
        )

    def summary(self) -> str:
        """E.g. "200 rows, 2 features (x1, x2), 2 classes (a, b)" (load_csv's own, if any)."""
        if self._summary:
            return self._summary
        n, d = self.X.shape
        what = f"{n} rows, {d} feature{'s' * (d != 1)} ({', '.join(self.feature_names)})"
        if self.task == "regression":
            return f"{what}, target {self.target_name} (regression)"
        return f"{what}, {self.n_classes} classes ({', '.join(self.classes)})"

    def __eq__(self, other) -> bool:
        return isinstance(other, UserData) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"UserData({self.name!r}: {self.summary()})"


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

    ``features`` picks the network's inputs from ``features.FEATURES`` ("x1", "x2", "x1^2",
    "x2^2", "x1*x2", "sin(x1)", "sin(x2)"; data with one column has only the x1 ones); None
    (the default) feeds the data's columns as they are. ``test_ratio`` in [0, 1) holds that
    share of the rows out as a test set (``data.train_test_split``, seeded by ``seed``): the
    History's ``val_loss`` and ``val_accuracy`` are then the test loss and accuracy.

    ``data`` (a ``UserData``) trains on the learner's own data instead of a built-in set;
    ``dataset`` is then only its label (any string, e.g. "uploaded: my.csv") and ``n`` and
    ``noise`` are unused. Its columns are standardised with the training rows' mean and
    standard deviation inside the model (an ``InputFeatures`` layer in front), so pictures
    stay in the data's own units.
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
    features: tuple[str, ...] | None = None
    test_ratio: float = 0.0
    data: UserData | None = None

    def __post_init__(self):
        if self.dtype not in DTYPES:
            name = getattr(self.dtype, "__name__", None) or getattr(self.dtype, "name", None)
            if name not in DTYPES:
                raise ValueError(f"dtype must be one of {DTYPES} (or np.float32 / np.float64), "
                                 f"got {self.dtype!r}")  # fmt: skip
            object.__setattr__(self, "dtype", name)  # kept as a name: readable, comparable
        if self.data is not None and not isinstance(self.data, UserData):
            object.__setattr__(self, "data", UserData.from_any(self.data, self.dataset))
        if self.data is None and self.dataset not in DATASETS:
            raise ValueError(
                f"unknown dataset {self.dataset!r}; use one of {sorted(DATASETS)}, or pass your "
                "own with data=(X, y) or data=data.load_csv(...)"
            )
        if self.features is not None:
            object.__setattr__(self, "features", check_features(self.features, 2))
        ratio = self.test_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.integer, np.floating)):
            raise TypeError(f"test_ratio must be a number in [0, 1), got {ratio!r}")
        if not 0 <= ratio < 1:
            raise ValueError(f"test_ratio must be in [0, 1) (0: no test set), got {ratio}")
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

    Attributes: ``config``, ``X``, ``y`` (the training data; y (n,) int labels or (n, 1)
    targets), ``X_test``, ``y_test`` (the held-out rows, None when ``test_ratio`` is 0),
    ``classes`` (0 for regression), ``column_names`` (the data's column names, None for a
    built-in set), ``input_names`` (the network's input features, None when they are the
    columns as they are), ``model`` (an ``InputFeatures`` layer first when there is one), ``loss``,
    ``optimizer``, ``trainer``,
    ``history`` (the trainer's History), ``snapshots`` ((epochs done + 1, P) array of parameter
    vectors: the initial one, then one per epoch; rows of one preallocated float64 buffer).

    ``record_health=False`` (for a dashboard without a gradient-health panel) leaves the
    History's ``grad_norms``, ``update_ratios`` and ``saturation`` empty, training a little
    quicker; the run is otherwise identical (``training.Trainer``).
    """

    def __init__(self, config: RunConfig, record_health: bool = True):
        self.config = c = config
        if c.data is not None:
            X, y, self.classes = c.data.X, c.data.y, c.data.n_classes
            self.column_names = c.data.feature_names
        else:
            make, self.classes = DATASETS[c.dataset]
            X, y = make(c.n, c.noise, c.seed)
            self.column_names = None
        self.X_test = self.y_test = None
        if c.test_ratio > 0:
            X, self.X_test, y, self.y_test = data.train_test_split(X, y, float(c.test_ratio),
                                                                   rng=c.seed + 2)  # fmt: skip
        self.X = X
        out = 1 if self.classes in (0, 2) else self.classes
        init = INITS[c.init]
        fmap = self._feature_map(c, X)
        self.input_names = list(fmap.names) if fmap is not None and fmap.names else None
        n_in = X.shape[1] if fmap is None else fmap.out_features
        self.model = mlp([n_in, *c.hidden, out], activation=c.activation, init=init,
                         batch_norm=c.batch_norm, residual=c.residual, rng=c.seed,
                         dtype=np.dtype(c.dtype))  # fmt: skip
        if fmap is not None:
            self.model = Sequential(fmap, *self.model.layers)
        self.loss, self.y, self.targets = self._loss_and_targets(y)
        validation = None
        if self.X_test is not None:
            validation = (self.X_test, self._loss_and_targets(self.y_test)[2])
        hyper = {"momentum": c.momentum} if c.optimizer == "sgd" else {}
        self.optimizer = OPTIMIZERS[c.optimizer](self.model.parameters(), lr=c.lr, **hyper)
        extra = {}
        if c.penalty != "none" and c.strength > 0:
            extra = {"penalty": c.penalty, "penalty_strength": c.strength}
        self.trainer = Trainer(
            self.model, self.loss, self.optimizer, self.X, self.targets,
            batch_size=c.batch_size or None, rng=c.seed + 1, record_health=record_health,
            validation_data=validation, **extra,
        )  # fmt: skip
        first = flatten_parameters(self.model)
        self._params = self.model.parameters()  # in flatten_parameters' order
        self._snaps = np.empty((c.epochs + 1, len(first)))  # every snapshot the run can take
        self._snaps[0] = first
        self._n_snaps = 1

    def _loss_and_targets(self, y: np.ndarray):
        """The loss for this many classes, the labels, and the targets the loss compares with."""
        if self.classes == 0:
            return MSELoss(), y, y
        if self.classes == 2:
            return BCEWithLogitsLoss(), y, y.reshape(-1, 1).astype(float)  # (n, 1), as the logits
        return CrossEntropyLoss(), y, y

    @staticmethod
    def _feature_map(c: RunConfig, X: np.ndarray) -> InputFeatures | None:
        """The layer in front of the network: the chosen features, and for the learner's own
        data the standardisation with the training rows' statistics; None when neither."""
        d = X.shape[1]
        names = None if c.features is None else check_features(c.features, d)
        as_is = names is None or names == ("x1", "x2")[:d]
        if c.data is None:
            return None if as_is else InputFeatures(names, d)
        _, _, mean, std = data.standardize(X)
        return InputFeatures(None if as_is else names, d, mean, std)

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
