"""The training loop: ``fit`` (whole runs), ``Trainer`` (epoch by epoch) and ``History``.

One training step is the whole of backpropagation in four lines::

    out = model.forward(xb)                   # forward pass, layers cache what backward needs
    batch_loss = loss.forward(out, yb)        # one number
    optimizer.zero_grad(); model.backward(loss.backward())   # dL/dW for every W
    optimizer.step()                          # W <- W - lr * (some function of dL/dW)

``Trainer`` wraps it with shuffled minibatches, metrics, weight penalties, gradient clipping,
a learning-rate schedule, early stopping and divergence detection, and records everything in a
``History``; ``fit`` runs a ``Trainer`` for a number of epochs. ``predict``,
``predict_classes`` and ``accuracy`` evaluate a trained model. Used by every training notebook;
the dashboards drive ``Trainer.run_epoch`` to animate training one epoch at a time.

Speed: a small network spends its time on the fixed cost of each numpy call, not on
arithmetic. So the optimizer updates one flat vector of all parameters, the health statistics
come from one ``np.add.reduceat``, and a plain MLP (Linear layers with Tanh, Sigmoid, ReLU or
Identity between them) runs its forward and backward passes through ``_FastMLP``: the layers'
own equations, fused into fewer calls on preallocated arrays. Any other model trains through
its layers' ``forward``/``backward``; both paths give the same numbers (tests check it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .init import _rng
from .layers import Layer, Linear, Sequential
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, l1_penalty, l2_penalty
from .optimizers import Optimizer
from .optimizers import clip_grad_norm as _clip

__all__ = ["EarlyStopping", "History", "Trainer", "accuracy", "fit", "predict", "predict_classes"]

#: A run has exploded when its loss exceeds this many times the first epoch's loss.
EXPLODE_FACTOR = 1e6


@dataclass
class History:
    """Everything recorded during training, one entry per epoch (epochs are numbered from 1).

    Attributes
    ----------
    loss : list of float
        Mean training objective over the epoch's batches (data loss + penalty, if any).
    val_loss, accuracy, val_accuracy : list of float
        Validation loss, training and validation accuracy; empty when they do not apply
        (no validation data; a regression loss). Training accuracy is counted on the batches
        as they were seen during the epoch.
    lr : list of float
        The learning rate used in each epoch.
    grad_norms : dict name -> list of float
        For each weight ("0.W", "2.W", ...): ||dL/dW||_2 at the epoch's last step (before
        clipping).
    update_ratios : dict name -> list of float
        ||W_after - W_before|| / ||W_before|| of the epoch's last step (healthy: around 1e-3).
    saturation : dict name -> list of float
        For each activation layer ("1.Tanh", ...), on the epoch's last batch: the fraction of
        saturated values (|tanh| > 0.97; sigmoid outside [0.03, 0.97]) or, for ReLU and
        LeakyReLU, the fraction of units that are off for every example (dead for this batch).
    diverged : bool
        The loss became NaN or inf, exceeded ``EXPLODE_FACTOR`` times the first epoch's loss,
        or the parameters overflowed. Training stops there; nothing raises.
    diverged_epoch : int or None
        The epoch at which that happened.
    stopped_epoch : int
        The number of epochs completed.
    stop_reason : str
        "completed", "early_stopping", "loss_threshold", "diverged" or "callback".
    best_epoch : int or None
        The epoch with the lowest monitored loss (val_loss if given, else loss).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    update_ratios: dict[str, list[float]] = field(default_factory=dict)
    saturation: dict[str, list[float]] = field(default_factory=dict)
    diverged: bool = False
    diverged_epoch: int | None = None
    stopped_epoch: int = 0
    stop_reason: str = "completed"
    best_epoch: int | None = None


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved for ``patience`` epochs.

    An epoch improves when its loss < best - min_delta. The monitored loss is ``val_loss``
    when validation data is given, else the training loss. With ``restore_best``, the
    parameters (and batch-norm statistics) of the best epoch are put back when it stops.
    """

    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self):
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise TypeError(f"EarlyStopping patience must be an int, got {self.patience!r}")
        if self.patience < 1:
            raise ValueError(f"EarlyStopping patience must be >= 1 epoch, got {self.patience}")
        if not (math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ValueError(f"EarlyStopping min_delta must be >= 0, got {self.min_delta}")


def _int_at_least(value, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{what} must be an int >= {low}, got {value}")
    return int(value)


def _number_at_least(value, what: str, low: float, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r} ({type(value).__name__})")
    if not (math.isfinite(value) and value >= low):
        raise ValueError(f"{what} must be a finite number >= {low}, got {value}; {fix}")
    return float(value)


def _features(X, what: str, dtype) -> np.ndarray:
    """X as a finite 2-D array of the model's dtype (a copy the caller cannot change)."""
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numeric, got dtype {X.dtype}")
    if X.ndim != 2 or len(X) == 0:
        fix = "; use X.reshape(-1, 1) for a single feature" if X.ndim == 1 else ""
        raise ValueError(f"{what} must be a 2-D array (examples, features), got {X.shape}{fix}")
    if not np.isfinite(X).all():
        raise ValueError(f"{what} contains NaN or inf; remove or impute those rows first")
    return np.array(X, dtype=dtype)


def _saturation_probes(model: Layer) -> list[tuple[str, Layer]]:
    """The activation layers whose saturation is recorded, named like "1.Tanh"."""
    kinds = (Tanh, Sigmoid, ReLU, LeakyReLU)
    return [
        (f"{name}.{type(m).__name__}" if name else type(m).__name__, m)
        for name, m in model.named_modules()
        if isinstance(m, kinds)
    ]


def _saturated_fraction(layer: Layer, cache: np.ndarray | None) -> float:
    """The saturated share of an activation layer's output ``cache`` (see ``History``).

    ``cache`` is what the layer keeps from its last forward: its output (LeakyReLU: its input).
    """
    if cache is None:
        return math.nan
    if isinstance(layer, Tanh):
        return np.count_nonzero(np.abs(cache) > 0.97) / cache.size
    if isinstance(layer, Sigmoid):
        return np.count_nonzero(np.abs(cache - 0.5) > 0.47) / cache.size
    alive = (cache > 0).any(axis=0)  # ReLU family: a unit is dead if off for every example
    return 1.0 - np.count_nonzero(alive) / alive.size


class _FastMLP:
    """``model.forward`` and ``model.backward`` of a plain MLP, fused into fewer numpy calls.

    The equations are the layers' own (Linear: z = h @ W + b, dW = h.T @ dz, db = sum of dz's
    rows, dh = dz @ W.T; Tanh: dz = dh * (1 - a^2); Sigmoid: dz = dh * a * (1 - a); ReLU:
    dz = dh * (a > 0)), computed into arrays allocated once (``np.dot(..., out=...)``, the
    quickest call for small matrices), without the checks the layers make for learners, and
    without dL/dx for the input, which training never uses. A network this
    small spends its time on the fixed cost of each numpy call, so this is what makes ``fit``
    fast. Only used for a ``Sequential`` of exactly ``Linear`` layers, each followed by at most
    one ``Tanh``, ``Sigmoid``, ``ReLU`` or ``Identity``; anything else (other layers, a subclass
    such as a planted bug from ``bugs.py``) trains through the layers' own methods.
    ``backward`` *writes* the gradients: the trainer calls it right after
    ``optimizer.zero_grad()``, where writing and adding give the same result.
    """

    KINDS = {Linear: "linear", Tanh: "tanh", Sigmoid: "sigmoid", ReLU: "relu", Identity: None}

    def __init__(self, model: Sequential, dtype):
        self.layers = list(model.layers)  # to notice if the model is changed afterwards
        self.blocks: list[tuple[Linear, str | None]] = []  # (Linear, activation kind)
        self._block_of: dict[int, int] = {}  # id(activation layer) -> its block
        for layer in self.layers:
            if self.KINDS[type(layer)] == "linear":
                self.blocks.append((layer, None))
            else:
                self.blocks[-1] = (self.blocks[-1][0], self.KINDS[type(layer)])
                self._block_of[id(layer)] = len(self.blocks) - 1
        self.dtype = dtype
        self._arrays: dict[int, tuple] = {}  # batch size -> work arrays
        self.x = self.outputs = None

    @classmethod
    def supports(cls, model: Layer) -> bool:
        """True for a Sequential of Linear layers each followed by at most one activation."""
        if type(model) is not Sequential or not model.layers:
            return False
        previous = None
        for layer in model.layers:
            kind = cls.KINDS.get(type(layer), "other")
            if kind == "other" or {"forward", "backward"} & vars(layer).keys():
                return False
            if kind != "linear" and previous != "linear":  # one activation after each Linear
                return False
            previous = kind
        return type(model.layers[0]) is Linear

    def _work(self, n: int) -> tuple:
        """Per batch size: each block's output, dL/d(output), a scratch array, and ones (n,)."""
        if n not in self._arrays:
            shapes = [(n, lin.out_features) for lin, _ in self.blocks]
            self._arrays[n] = (
                [np.empty(s, self.dtype) for s in shapes],
                [np.empty(s, self.dtype) for s in shapes],
                [np.empty(s, self.dtype) for s in shapes],
                np.ones(n, self.dtype),
            )
        return self._arrays[n]

    def forward(self, x: np.ndarray) -> np.ndarray:
        outputs = self._work(len(x))[0]
        h = self.x = x
        for (lin, act), a in zip(self.blocks, outputs, strict=True):
            np.dot(h, lin.W.data, out=a)  # z = h @ W + b, (batch, out)
            if lin.b is not None:
                a += lin.b.data
            if act == "tanh":
                np.tanh(a, out=a)
            elif act == "sigmoid":  # sigma(z) = 0.5 + 0.5 tanh(z / 2), as activations.sigmoid
                a *= 0.5
                np.tanh(a, out=a)
                a *= 0.5
                a += 0.5
            elif act == "relu":
                np.maximum(a, 0.0, out=a)
            h = a
        self.outputs = outputs
        return h  # overwritten by the next forward of the same batch size

    def backward(self, grad_out: np.ndarray) -> None:
        outputs, grads, scratch, ones = self._work(len(grad_out))
        d = grad_out  # dL/d(output of the current block), (batch, out)
        for k in range(len(self.blocks) - 1, -1, -1):
            (lin, act), a, tmp = self.blocks[k], outputs[k], scratch[k]
            if act == "tanh":  # dz = d * (1 - a^2)
                np.multiply(a, a, out=tmp)
                np.subtract(1.0, tmp, out=tmp)
                d *= tmp
            elif act == "sigmoid":  # dz = d * a * (1 - a)
                np.subtract(1.0, a, out=tmp)
                tmp *= a
                d *= tmp
            elif act == "relu":  # dz = d * (a > 0)
                d *= a > 0
            h = outputs[k - 1] if k > 0 else self.x
            np.dot(h.T, d, out=lin.W.grad)  # dW = h.T @ dz, (in, out)
            if lin.b is not None:
                np.dot(ones, d, out=lin.b.grad)  # db = sum of the rows of dz, (out,)
            if k > 0:  # dh = dz @ W.T, (batch, in); not needed for the input itself
                if lin.out_features == 1:  # an outer product: a broadcast multiply is faster
                    np.multiply(d, lin.W.data[:, 0], out=grads[k - 1])
                else:
                    np.dot(d, lin.W.data.T, out=grads[k - 1])
                d = grads[k - 1]

    def output_of(self, layer: Layer) -> np.ndarray | None:
        """What activation ``layer`` output in the last forward (its cache in the layer path)."""
        return None if self.outputs is None else self.outputs[self._block_of[id(layer)]]


class Trainer:
    """Train ``model`` one epoch at a time; ``fit`` is a loop over ``run_epoch``.

    Everything is checked in the constructor, before any parameter changes: a bad argument
    raises a ValueError or TypeError saying what to fix.

    Parameters
    ----------
    model : Layer
        E.g. ``mlp([2, 16, 16, 1])``.
    loss : Loss
        ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``.
    optimizer : Optimizer
        Built on ``model.parameters()``.
    X : (n, features) array
    y : targets: (n,) int labels for ``CrossEntropyLoss``; (n,) or (n, 1) 0/1 labels for the
        binary losses; (n, outputs) for ``MSELoss``.
    batch_size : int or None
        Rows per step; None (or >= n) means full-batch gradient descent, one step per epoch.
        With minibatches, the rows are reshuffled every epoch.
    rng : numpy Generator, int seed or None
        Draws the shuffling order; the same seed gives a bit-identical History.
    validation_data : (X_val, y_val) or None
        Evaluated (in eval mode) after every epoch.
    penalty, penalty_strength : "l1", "l2" or None, and lambda >= 0
        Adds lambda * sum|W| or lambda / 2 * sum W^2 over the weights (names ending in "W").
    early_stopping : EarlyStopping, int (the patience) or None
    loss_threshold : float or None
        Stop once the epoch's training loss is <= this.
    scheduler : a schedule (``StepLR``, ...) or None; stepped after every epoch.
    clip_grad_norm : float or None
        Rescale the gradient to at most this L2 norm before each step.
    callback : callable(epoch, history) or None
        Called after every epoch; returning True stops training.

    Attributes: ``history`` (the History), ``epoch`` (epochs completed), ``stopped``.
    """

    def __init__(
        self,
        model: Layer,
        loss: Loss,
        optimizer: Optimizer,
        X,
        y,
        batch_size: int | None = None,
        rng=None,
        validation_data=None,
        penalty: str | None = None,
        penalty_strength: float = 0.0,
        early_stopping: EarlyStopping | int | None = None,
        loss_threshold: float | None = None,
        scheduler=None,
        clip_grad_norm: float | None = None,
        callback: Callable | None = None,
    ):
        if not isinstance(model, Layer):
            raise TypeError(f"model must be a Layer (e.g. mlp([2, 16, 1])), got {type(model)}")
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a Loss object such as MSELoss(), got {loss!r}")
        if not all(hasattr(optimizer, a) for a in ("step", "zero_grad", "lr")):
            raise TypeError(
                f"optimizer must have step(), zero_grad() and lr, got {type(optimizer).__name__}; "
                "e.g. SGD(model.parameters(), lr=0.1)"
            )
        params = model.parameters()
        if isinstance(optimizer, Optimizer):
            held = {id(p) for p in optimizer.params}
            if not any(id(p) in held for p in params):
                raise ValueError(
                    "the optimizer holds none of this model's parameters (was the model rebuilt "
                    "after the optimizer?); create it with e.g. SGD(model.parameters(), lr=0.1)"
                )
        dtype = params[0].data.dtype if params else np.float64
        self.X = _features(X, "X", dtype)
        self.y = self._targets(y, len(self.X), "y", loss, dtype)
        self.validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            X_val = _features(validation_data[0], "validation X", dtype)
            y_val = self._targets(validation_data[1], len(X_val), "validation y", loss, dtype)
            self.validation = (X_val, y_val)
        self.batch_size = len(self.X)
        if batch_size is not None:
            self.batch_size = min(_int_at_least(batch_size, "batch_size", 1), len(self.X))
        self.rng = _rng(rng)
        if penalty not in (None, "l1", "l2"):
            raise ValueError(f"penalty must be None, 'l1' or 'l2', got {penalty!r}")
        self.penalty_strength = _number_at_least(
            penalty_strength, "penalty_strength", 0.0, "e.g. 1e-3"
        )
        if self.penalty_strength > 0 and penalty is None:
            raise ValueError("penalty_strength > 0 needs penalty='l1' or penalty='l2'")
        self.penalty = {"l1": l1_penalty, "l2": l2_penalty}.get(penalty)
        if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
            early_stopping = EarlyStopping(patience=int(early_stopping))
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError("early_stopping must be an EarlyStopping, an int patience or None")
        self.early_stopping = early_stopping
        self.loss_threshold = None
        if loss_threshold is not None:
            self.loss_threshold = _number_at_least(loss_threshold, "loss_threshold", 0.0, "")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError("scheduler must have a step() method, e.g. StepLR(optimizer, 10)")
        self.clip = None
        # our optimizers clip their flat gradient in one go; any other: the model's parameters
        self._clip_target = optimizer if isinstance(optimizer, Optimizer) else params
        if clip_grad_norm is not None:
            self.clip = _number_at_least(clip_grad_norm, "clip_grad_norm", 1e-300, "e.g. 1.0")
        if callback is not None and not callable(callback):
            raise TypeError("callback must be a function callback(epoch, history) or None")
        self._check_output_shape(model, loss)  # a dry run in eval mode: no state changes

        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.scheduler, self.callback = scheduler, callback
        self.history = History()
        self.epoch = 0
        self.stopped = False
        self._weights = [(name, p) for name, p in model.named_parameters() if name.endswith("W")]
        self._probes = _saturation_probes(model)
        for name, _ in self._weights:
            self.history.grad_norms[name] = []
            self.history.update_ratios[name] = []
        for name, _ in self._probes:
            self.history.saturation[name] = []
        self._classify = isinstance(loss, (CrossEntropyLoss, BCEWithLogitsLoss, BCELoss))
        self._threshold = 0.0 if isinstance(loss, BCEWithLogitsLoss) else 0.5
        # binary losses score every output (one per row, or several for multi-label targets)
        self._binary = isinstance(loss, (BCEWithLogitsLoss, BCELoss))
        self._per_row = self.y.shape[1] if self._binary else 1
        # the labels accuracy compares with: bool (n, 1) for the binary losses, else ints
        self._labels = self.y > 0.5 if self.y.ndim == 2 else self.y
        self._val_labels = None
        if self.validation is not None:
            y_val = self.validation[1]
            self._val_labels = y_val > 0.5 if y_val.ndim == 2 else y_val
        self._limit = math.inf  # the explosion limit, set after the first epoch
        self._best_loss, self._wait, self._best_state = math.inf, 0, None
        # health statistics read the optimizer's flat vectors when it holds every weight
        self._flat_index, self._buf = None, None
        if isinstance(optimizer, Optimizer):
            index = {id(p): i for i, p in enumerate(optimizer.params)}
            if all(id(p) in index for _, p in self._weights):
                self._flat_index = [index[id(p)] for _, p in self._weights]
        # a plain MLP whose parameters the optimizer all holds takes the fused fast path
        self._fast = None
        if _FastMLP.supports(model) and isinstance(optimizer, Optimizer):
            held = {id(p) for p in optimizer.params}
            if all(id(p) in held for p in params):
                self._fast = _FastMLP(model, dtype)

    @staticmethod
    def _targets(y, n: int, what: str, loss: Loss, dtype) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != n:
            raise ValueError(
                f"{what} has {len(y) if y.ndim else 0} entries but X has {n} rows; "
                "give one target per row"
            )
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{what} must be numeric, got dtype {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError(f"{what} contains NaN or inf; clean the targets first")
        if isinstance(loss, CrossEntropyLoss):
            if y.dtype.kind not in "iu" or y.ndim != 1:
                raise ValueError(
                    f"CrossEntropyLoss needs {what} as int class labels of shape ({n},), got "
                    f"{y.dtype} {y.shape}; use y.astype(int) (or argmax of one-hot rows)"
                )
            if y.min() < 0:
                raise ValueError(
                    f"{what} has negative class labels (min {y.min()}); labels must be 0, 1, ..., "
                    "C - 1, e.g. np.unique(y, return_inverse=True)[1]"
                )
            return y.astype(np.int64)
        if isinstance(loss, (BCELoss, BCEWithLogitsLoss)):
            if y.min() < 0 or y.max() > 1:
                raise ValueError(
                    f"{type(loss).__name__} needs {what} in [0, 1], got values in "
                    f"[{y.min()}, {y.max()}]; use 0/1 labels"
                )
            if y.ndim == 1:
                y = y.reshape(-1, 1)  # binary labels (n,) -> (n, 1), like the model's output
        return np.array(y, dtype=dtype)

    def _check_output_shape(self, model: Layer, loss: Loss) -> None:
        was_training = model.training
        model.eval()  # eval mode: dropout draws nothing, batch norm updates nothing
        try:
            out = np.asarray(model.forward(self.X[:2]))
        finally:
            model.train(was_training)
        targets = [(self.y, "y")]
        if self.validation is not None:
            targets.append((self.validation[1], "validation y"))
        for y, what in targets:
            if isinstance(loss, CrossEntropyLoss):
                if out.ndim != 2 or y.max() >= out.shape[1]:
                    raise ValueError(
                        f"{what} has labels up to {y.max()} but the model outputs "
                        f"{out.shape[-1]} scores per row; make the last layer output "
                        f"{int(y.max()) + 1} classes"
                    )
            elif out.shape[1:] != y.shape[1:]:
                raise ValueError(
                    f"the model outputs rows of shape {out.shape[1:]} but {what} has rows of "
                    f"shape {y.shape[1:]}; make the last layer output {y.shape[1:] or 1} values "
                    "or reshape y (e.g. y.reshape(-1, 1))"
                )

    # ---- one epoch ----

    def run_epoch(self) -> History:
        """Train for one epoch (a pass over every row), append to ``history`` and return it.

        Does nothing once training has stopped (see ``stopped``).
        """
        with np.errstate(all="ignore"):  # overflow is detected and reported, not warned about
            self._epoch()
        return self.history

    def _epoch(self) -> None:
        """One epoch of training and its record (the caller silences numpy's warnings)."""
        if self.stopped:
            return
        h, model, loss, opt = self.history, self.model, self.loss, self.optimizer
        fast = self._fast
        if fast is not None and fast.layers != model.layers:  # the model was changed
            fast = self._fast = None
        forward = model.forward if fast is None else fast.forward
        backward = model.backward if fast is None else fast.backward
        n, bs = len(self.X), self.batch_size
        X, y, labels = self.X, self.y, self._labels
        if bs < n:  # minibatches: a new order every epoch
            order = self.rng.permutation(n)
            X, y, labels = X[order], y[order], labels[order]
        total, correct, seen, diverged = 0.0, 0, 0, False
        h.lr.append(float(opt.lr))
        if not model.training:
            model.train()
        for start in range(0, n, bs):
            xb, yb = X[start : start + bs], y[start : start + bs]
            out = forward(xb)  # (batch, outputs)
            batch_loss = loss.forward(out, yb)
            opt.zero_grad()
            backward(loss.backward())
            if self.penalty is not None:
                batch_loss += self._add_penalty()
            total += batch_loss * len(xb)
            seen += len(xb)
            if self._classify:
                correct += self._count_correct(out, labels[start : start + bs])
            if not batch_loss < self._limit:  # NaN, inf or exploded
                diverged = True
                break
            if start + bs >= n:  # the last step: keep what the health statistics need
                self._before_last_step()
            if self.clip is not None:
                _clip(self._clip_target, self.clip)
            opt.step()
        epoch_loss = total / seen
        diverged = not self._record_health(diverged) or diverged
        for name, layer in self._probes:
            cache = fast.output_of(layer) if fast is not None else layer._cache
            h.saturation[name].append(float(_saturated_fraction(layer, cache)))
        self.epoch += 1
        h.loss.append(epoch_loss)
        if self._classify:
            h.accuracy.append(correct / (seen * self._per_row))
        if self.validation is not None:
            self._validate(skip=diverged)
        if self.epoch == 1 and math.isfinite(epoch_loss) and epoch_loss > 0:
            self._limit = EXPLODE_FACTOR * epoch_loss
        h.stopped_epoch = self.epoch
        self._after_epoch(diverged or not epoch_loss < self._limit)

    def _add_penalty(self) -> float:
        """Add the weight penalty's gradient into each W.grad and return the penalty."""
        weights = [p for _, p in self._weights]
        value, grads = self.penalty(weights, self.penalty_strength)
        for p, g in zip(weights, grads, strict=True):
            p.grad += g
        return value

    def _count_correct(self, out: np.ndarray, labels: np.ndarray) -> int:
        """How many predictions are right: bool (n, k) labels (binary) or int (n,) (classes)."""
        if self._binary:  # a logit > 0 or a probability > 0.5 means 1
            return int(np.count_nonzero((out > self._threshold) == labels))
        return int(np.count_nonzero(out.argmax(axis=1) == labels))

    def _before_last_step(self) -> None:
        """Keep dL/dW and W from before the epoch's last optimizer step."""
        opt = self.optimizer
        if self._flat_index is not None:  # rows: grad, (later) delta, weights before
            if self._buf is None or self._buf.shape[1] != opt.data.size:
                self._buf = np.empty((3, opt.data.size), dtype=opt.data.dtype)
            np.copyto(self._buf[0], opt.grad)
            np.copyto(self._buf[2], opt.data)
        else:
            self._before = [(p.grad.copy(), p.data.copy()) for _, p in self._weights]

    def _record_health(self, diverged: bool) -> bool:
        """Append gradient norms and update ratios; False if the parameters overflowed."""
        h = self.history
        if diverged:  # the epoch stopped before its last step
            for name, _ in self._weights:
                h.grad_norms[name].append(math.nan)
                h.update_ratios[name].append(math.nan)
            return False
        opt = self.optimizer
        if self._flat_index is not None:  # one reduceat gives every parameter's three sums
            buf = self._buf
            np.subtract(opt.data, buf[2], out=buf[1])  # the step's change of every parameter
            np.square(buf, out=buf)
            g2, d2, w2 = np.add.reduceat(buf, opt.offsets, axis=1).tolist()
            rows = self._flat_index
        else:
            g2, d2, w2 = [], [], []
            for (_, p), (g, w) in zip(self._weights, self._before, strict=True):
                g2.append(float(np.vdot(g, g)))
                d2.append(float(np.vdot(p.data - w, p.data - w)))
                w2.append(float(np.vdot(w, w)))
            rows = range(len(self._weights))
        finite = True
        for (name, _), i in zip(self._weights, rows, strict=True):
            h.grad_norms[name].append(math.sqrt(g2[i]))
            h.update_ratios[name].append(math.sqrt(d2[i] / w2[i]) if w2[i] > 0 else math.inf)
            finite = finite and math.isfinite(d2[i]) and math.isfinite(g2[i])
        return finite

    def _validate(self, skip: bool) -> None:
        h = self.history
        if skip:  # the model has diverged: its outputs mean nothing
            h.val_loss.append(math.nan)
            if self._classify:
                h.val_accuracy.append(math.nan)
            return
        X_val, y_val = self.validation
        self.model.eval()
        out = self.model.forward(X_val)
        h.val_loss.append(self.loss.forward(out, y_val))
        if self._classify:
            correct = self._count_correct(out, self._val_labels)
            h.val_accuracy.append(correct / (len(X_val) * self._per_row))
        self.model.train()

    def _after_epoch(self, diverged: bool) -> None:
        """Divergence, early stopping, the loss threshold, the schedule and the callback."""
        h = self.history
        reason = None
        monitored = h.val_loss[-1] if self.validation is not None else h.loss[-1]
        es = self.early_stopping
        if diverged:
            h.diverged, h.diverged_epoch, reason = True, self.epoch, "diverged"
        elif monitored < self._best_loss - (es.min_delta if es else 0.0):
            self._best_loss, self._wait, h.best_epoch = monitored, 0, self.epoch
            if es is not None and es.restore_best:
                self._best_state = [a.copy() for a in self._state_arrays()]
        else:
            self._wait += 1
            if es is not None and self._wait >= es.patience:
                reason = "early_stopping"
                if es.restore_best and self._best_state is not None:
                    for a, saved in zip(self._state_arrays(), self._best_state, strict=True):
                        a[...] = saved
        if reason is None and self.loss_threshold is not None:
            if h.loss[-1] <= self.loss_threshold:
                reason = "loss_threshold"
        if reason != "diverged" and self.scheduler is not None:
            self.scheduler.step()
        if self.callback is not None and self.callback(self.epoch, h) is True:
            reason = reason or "callback"
        if reason is not None:
            h.stop_reason, self.stopped = reason, True

    def _state_arrays(self) -> list[np.ndarray]:
        """The arrays early stopping saves and restores: parameters and buffers, in place."""
        return [p.data for p in self.model.parameters()] + [
            b for _, b in self.model.named_buffers()
        ]

    def run(self, epochs: int) -> History:
        """Run up to ``epochs`` more epochs (fewer if training stops) and return the History."""
        epochs = _int_at_least(epochs, "epochs", 0)
        with np.errstate(all="ignore"):  # entered once for the whole run
            for _ in range(epochs):
                if self.stopped:
                    break
                self._epoch()
        return self.history


def fit(
    model: Layer,
    loss: Loss,
    optimizer: Optimizer,
    X,
    y,
    epochs: int,
    batch_size: int | None = None,
    rng=None,
    validation_data=None,
    penalty: str | None = None,
    penalty_strength: float = 0.0,
    early_stopping: EarlyStopping | int | None = None,
    loss_threshold: float | None = None,
    scheduler=None,
    clip_grad_norm: float | None = None,
    callback: Callable | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs (or until a stop rule fires); return the History.

    Each step: forward, loss, zero_grad, backward, [penalty], [clip], optimizer.step().
    The arguments are those of ``Trainer`` plus ``epochs`` (an int >= 0); all of them are
    checked before any parameter changes. A diverging run stops and is reported in the
    History (``diverged``, ``diverged_epoch``); it never raises.

    Example: ``fit(mlp([2, 16, 16, 1]), BCEWithLogitsLoss(), Adam(params, lr=0.01), X, y, 300)``.
    """
    epochs = _int_at_least(epochs, "epochs", 0)
    trainer = Trainer(
        model, loss, optimizer, X, y, batch_size=batch_size, rng=rng,
        validation_data=validation_data, penalty=penalty, penalty_strength=penalty_strength,
        early_stopping=early_stopping, loss_threshold=loss_threshold, scheduler=scheduler,
        clip_grad_norm=clip_grad_norm, callback=callback,
    )  # fmt: skip
    return trainer.run(epochs)


# ---- evaluating a trained model ----


def predict(model: Layer, X) -> np.ndarray:
    """The model's output for X (n, features) in eval mode: (n, outputs).

    Dropout and batch norm behave as at test time; the model's mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        return model.forward(np.asarray(X))
    finally:
        model.train(was_training)


def _ends_with_sigmoid(model: Layer) -> bool:
    modules = model.modules()
    leaves = [m for m in modules if not m.named_children()]
    return bool(leaves) and isinstance(leaves[-1], Sigmoid)


def predict_classes(model: Layer, X) -> np.ndarray:
    """Predicted class per row, (n,) int64.

    Several outputs: the argmax (logits or probabilities alike). One output: 1 where it is
    > 0.5 if the model ends with a Sigmoid (a probability), else > 0 (a logit), otherwise 0.
    """
    out = predict(model, X)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1).astype(np.int64)
    threshold = 0.5 if _ends_with_sigmoid(model) else 0.0
    return (out.reshape(len(out)) > threshold).astype(np.int64)


def accuracy(model: Layer, X, y) -> float:
    """The fraction of rows whose predicted class equals the label y ((n,) or (n, 1) ints)."""
    y = np.asarray(y)
    pred = predict_classes(model, X)
    if y.size != len(pred):
        raise ValueError(f"accuracy got {y.size} labels for {len(pred)} rows of X")
    return float(np.mean(pred == y.reshape(len(pred))))
