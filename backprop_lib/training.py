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

There is one implementation of the math: ``Trainer`` calls the model's own ``forward`` and
``backward``, the loss object and the optimizer's ``step()``, so what a learner reads in
``nn/layers.py``, or changes there, is what trains. Speed comes from keeping that one path
lean: the data are checked once, when training starts, and the BLAS thread pool is limited
to one thread (``threads.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .checks import as_rng, check_count
from .data import check_features, check_targets
from .instruments.health import LayerHealth
from .nn.activations import Sigmoid
from .nn.layers import Layer
from .nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    l1_penalty,
    l2_penalty,
)
from .optim.optimizers import Optimizer, clip_grad_norm
from .threads import check_blas_threads, limit_blas_threads

__all__ = [
    "EarlyStopping",
    "History",
    "Trainer",
    "accuracy",
    "confusion_matrix",
    "fit",
    "predict",
    "predict_classes",
]

#: A run has exploded when its loss exceeds this many times the first epoch's loss.
EXPLODE_FACTOR = 1e6


@dataclass
class History:
    """Everything recorded during training, one entry per epoch (epochs are numbered from 1).

    Attributes
    ----------
    loss : list of float
        Mean training objective over the epoch's batches: the data loss plus the weight
        penalty, if any (what the optimizer minimises).
    data_loss : list of float
        The data loss alone (the loss function's mean over the epoch's batches): equal to
        ``loss`` without a penalty; comparable with ``val_loss``, which has no penalty.
    penalty : list of float
        The weight penalty's mean over the epoch's batches; empty when there is no penalty.
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
    data_loss: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
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
        self.patience = check_count(self.patience, "EarlyStopping patience", 1)
        self.min_delta = _number_at_least(self.min_delta, "EarlyStopping min_delta", 0.0, "e.g. 0")


def _number_at_least(value, what: str, low: float, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r} ({type(value).__name__})")
    if not (math.isfinite(value) and value >= low):
        raise ValueError(f"{what} must be a finite number >= {low}, got {value}; {fix}")
    return float(value)


def _check_parts(model, loss, optimizer) -> None:
    """The model, the loss and the optimizer are of the right kinds, and belong together."""
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a Layer (e.g. mlp([2, 16, 1])), got {type(model)}")
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss object such as MSELoss(), got {loss!r}")
    if not all(hasattr(optimizer, a) for a in ("step", "zero_grad", "lr")):
        raise TypeError(
            f"optimizer must have step(), zero_grad() and lr, got {type(optimizer).__name__}; "
            "e.g. SGD(model.parameters(), lr=0.1)"
        )
    if isinstance(optimizer, Optimizer):
        held = {id(p) for p in optimizer.params}
        if not any(id(p) in held for p in model.parameters()):
            raise ValueError(
                "the optimizer holds none of this model's parameters (was the model rebuilt "
                "after the optimizer?); create it with e.g. SGD(model.parameters(), lr=0.1)"
            )


class Trainer:
    """Train ``model`` one epoch at a time; ``fit`` is a loop over ``run_epoch``.

    Everything is checked in the constructor, before any parameter changes: a bad argument
    raises a ValueError or TypeError saying what to fix. The data are checked there once
    (finite, the right shapes, labels in range), so each step can call the model, the loss
    and the optimizer as they are.

    Parameters
    ----------
    model : Layer
        E.g. ``mlp([2, 16, 16, 1])``.
    loss : Loss
        ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``CrossEntropyLoss``, or your own.
    optimizer : Optimizer
        Built on ``model.parameters()`` (or any object with ``step()``, ``zero_grad()``, ``lr``).
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
        ``History.loss`` is then data loss + penalty; ``data_loss`` and ``penalty`` hold each.
    early_stopping : EarlyStopping, int (the patience) or None
    loss_threshold : float or None
        Stop once the epoch's training loss is <= this.
    scheduler : a schedule (``StepLR``, ...) or None; stepped after every epoch.
    clip_grad_norm : float or None
        Rescale the gradient to at most this L2 norm before each step.
    callback : callable(epoch, history) or None
        Called after every epoch; returning True stops training.
    record_health : bool
        True (the default): record ``grad_norms``, ``update_ratios`` and ``saturation`` every
        epoch (a few numpy calls per weight). False: leave those three dicts of the History
        empty; everything else is the same, bit for bit (losses, accuracies, rates,
        divergence detection, early stopping, the loss threshold, the callback).
    blas_threads : int or None
        Threads numpy's BLAS may use while training: 1 (the default; on this series' small
        matrices threads cost more than they give, see ``threads.py``), or None to leave the
        thread pool as it is.

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
        record_health: bool = True,
        blas_threads: int | None = 1,
    ):
        _check_parts(model, loss, optimizer)
        params = model.parameters()
        dtype = params[0].data.dtype if params else np.float64
        self._check_data(X, y, validation_data, loss, dtype)
        self._check_output_shape(model, loss)  # a dry run in eval mode: no state changes
        self._set_rules(
            batch_size, rng, penalty, penalty_strength, early_stopping, loss_threshold,
            scheduler, clip_grad_norm, callback, record_health, blas_threads,
        )  # fmt: skip
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.history = History()
        self.epoch = 0
        self.stopped = False
        self._params = params
        self._weights = [(name, p) for name, p in model.named_parameters() if name.endswith("W")]
        self._health = LayerHealth(self._weights, model, self.history) if record_health else None
        self._set_metrics(loss, dtype)
        self._limit = math.inf  # the explosion limit, set after the first epoch
        self._best_loss, self._wait, self._best_state = math.inf, 0, None

    # ---- the constructor's parts ----

    def _check_data(self, X, y, validation_data, loss: Loss, dtype) -> None:
        """X, y and the validation pair, checked once and copied in the model's dtype."""
        self.X = check_features(X, "X", dtype)
        self.y = check_targets(y, len(self.X), "y", loss, dtype)
        self.validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            X_val = check_features(validation_data[0], "validation X", dtype)
            y_val = check_targets(validation_data[1], len(X_val), "validation y", loss, dtype)
            self.validation = (X_val, y_val)

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

    def _set_rules(
        self, batch_size, rng, penalty, penalty_strength, early_stopping, loss_threshold,
        scheduler, clip_grad_norm, callback, record_health, blas_threads,
    ) -> None:  # fmt: skip
        """The options: batches, penalty, stopping rules, schedule, clipping, callback."""
        self.batch_size = len(self.X)
        if batch_size is not None:
            self.batch_size = min(check_count(batch_size, "batch_size", 1), len(self.X))
        self.rng = as_rng(rng)
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
        self.scheduler = scheduler
        self.clip = None
        if clip_grad_norm is not None:
            self.clip = _number_at_least(clip_grad_norm, "clip_grad_norm", 1e-300, "e.g. 1.0")
        if callback is not None and not callable(callback):
            raise TypeError("callback must be a function callback(epoch, history) or None")
        self.callback = callback
        if not isinstance(record_health, (bool, np.bool_)):
            raise TypeError(f"record_health must be True or False, got {record_health!r}")
        self.blas_threads = check_blas_threads(blas_threads)

    def _set_metrics(self, loss: Loss, dtype) -> None:
        """What accuracy needs: which losses classify, the threshold, the labels."""
        self._classify = isinstance(loss, (CrossEntropyLoss, BCEWithLogitsLoss, BCELoss))
        # a logit > 0 or a probability > 0.5 means 1 (a 0-d array: quicker than a float)
        self._threshold = np.asarray(0.0 if isinstance(loss, BCEWithLogitsLoss) else 0.5, dtype)
        # binary losses score every output (one per row, or several for multi-label targets)
        self._binary = isinstance(loss, (BCEWithLogitsLoss, BCELoss))
        self._per_row = self.y.shape[1] if self._binary else 1
        # the labels accuracy compares with: bool (n, 1) for the binary losses, else ints
        self._labels = self.y > 0.5 if self.y.ndim == 2 else self.y
        self._val_labels = None
        if self.validation is not None:
            y_val = self.validation[1]
            self._val_labels = y_val > 0.5 if y_val.ndim == 2 else y_val

    # ---- one epoch ----

    def run_epoch(self) -> History:
        """Train for one epoch (a pass over every row), append to ``history`` and return it.

        Does nothing once training has stopped (see ``stopped``).
        """
        # overflow is detected and reported, not warned about
        with np.errstate(all="ignore"), limit_blas_threads(self.blas_threads):
            self._epoch()
        return self.history

    def _epoch(self) -> None:
        """One epoch: forward -> loss -> backward -> step on every minibatch, then the record.

        The caller silences numpy's warnings (a diverging run is detected and reported).
        """
        if self.stopped:
            return
        model, loss, opt = self.model, self.loss, self.optimizer
        if not model.training:
            model.train()
        self.history.lr.append(float(opt.lr))
        total, penalties, correct, seen, diverged = 0.0, 0.0, 0, 0, False
        for xb, yb, labels, last in self._batches():
            out = model.forward(xb)  # forward pass: (batch, outputs)
            batch_loss = loss.forward(out, yb)  # one number
            opt.zero_grad()
            model.backward(loss.backward())  # backward pass: dL/dW into every W.grad
            total, seen = total + batch_loss * len(xb), seen + len(xb)
            if self.penalty is not None:
                penalty = self._add_penalty()
                penalties += penalty * len(xb)
                batch_loss += penalty  # the objective: data loss + penalty
            if self._classify:
                correct += self._count_correct(out, labels)
            if not batch_loss < self._limit:  # NaN, inf or exploded: no step from it
                diverged = True
                break
            if last and self._health is not None:
                self._health.keep()  # dL/dW and W before the step, for the History
            if self.clip is not None:
                clip_grad_norm(self._params, self.clip)
            opt.step()  # W <- W - lr * (some function of dL/dW)
        self._record(total / seen, penalties / seen, correct / (seen * self._per_row), diverged)

    def _batches(self) -> list[tuple]:
        """(x, y, labels, is_last) per minibatch; the rows are reshuffled every epoch."""
        n, bs = len(self.X), self.batch_size
        X, y, labels = self.X, self.y, self._labels
        if bs >= n:  # full batch: one step on every row
            return [(X, y, labels, True)]
        order = self.rng.permutation(n)
        X, y, labels = X[order], y[order], labels[order]
        return [
            (
                X[start : start + bs],
                y[start : start + bs],
                labels[start : start + bs],
                start + bs >= n,
            )
            for start in range(0, n, bs)
        ]

    def _record(
        self, data_loss: float, penalty: float, epoch_accuracy: float, diverged: bool
    ) -> None:
        """Append the epoch to the History, validate, then apply the stopping rules."""
        h = self.history
        if self._health is not None:
            finite = self._health.record(stepped=not diverged)
        else:
            finite = True if diverged else self._parameters_finite()
        diverged = diverged or not finite  # the loss or the parameters overflowed
        self.epoch += 1
        epoch_loss = data_loss + penalty
        h.loss.append(epoch_loss)
        h.data_loss.append(data_loss)
        if self.penalty is not None:
            h.penalty.append(penalty)
        if self._classify:
            h.accuracy.append(epoch_accuracy)
        if self.validation is not None:
            self._validate(skip=diverged)
        if self.epoch == 1 and math.isfinite(epoch_loss) and epoch_loss > 0:
            self._limit = EXPLODE_FACTOR * epoch_loss
        h.stopped_epoch = self.epoch
        self._after_epoch(diverged or not epoch_loss < self._limit)

    def _parameters_finite(self) -> bool:
        """True unless a parameter overflowed: the sum of squares of every value is finite."""
        return all(math.isfinite(np.vdot(p.data, p.data)) for p in self._params)

    def _add_penalty(self) -> float:
        """Add the weight penalty's gradient into each W.grad and return the penalty."""
        weights = [p for _, p in self._weights]
        value, grads = self.penalty(weights, self.penalty_strength)
        for p, g in zip(weights, grads, strict=True):
            p.grad += g
        return value

    def _count_correct(self, out: np.ndarray, labels: np.ndarray) -> int:
        """How many predictions are right: bool (n, k) labels (binary) or int (n,) (classes)."""
        if self._binary:
            return int(np.count_nonzero((out > self._threshold) == labels))
        return int(np.count_nonzero(out.argmax(axis=1) == labels))

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
        epochs = check_count(epochs, "epochs", 0)
        # entered once for the whole run; overflow is detected and reported, not warned about
        with np.errstate(all="ignore"), limit_blas_threads(self.blas_threads):
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
    record_health: bool = True,
    blas_threads: int | None = 1,
) -> History:
    """Train ``model`` for ``epochs`` epochs (or until a stop rule fires); return the History.

    Each step: forward, loss, zero_grad, backward, [penalty], [clip], optimizer.step().
    The arguments are those of ``Trainer`` plus ``epochs`` (an int >= 0); all of them are
    checked before any parameter changes. A diverging run stops and is reported in the
    History (``diverged``, ``diverged_epoch``); it never raises.

    Example: ``fit(mlp([2, 16, 16, 1]), BCEWithLogitsLoss(), Adam(params, lr=0.01), X, y, 300)``.
    """
    epochs = check_count(epochs, "epochs", 0)
    trainer = Trainer(
        model, loss, optimizer, X, y, batch_size=batch_size, rng=rng,
        validation_data=validation_data, penalty=penalty, penalty_strength=penalty_strength,
        early_stopping=early_stopping, loss_threshold=loss_threshold, scheduler=scheduler,
        clip_grad_norm=clip_grad_norm, callback=callback, record_health=record_health,
        blas_threads=blas_threads,
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


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: ``M[i, j]`` = rows of class i predicted j.

    Rows are the true classes and columns the predictions, as scikit-learn's; the diagonal
    holds the right answers, so ``M.trace() / M.sum()`` is the accuracy.

    Parameters
    ----------
    y_true, y_pred : (n,) int labels in [0, num_classes)
    num_classes : int or None
        K; None: one more than the largest label in either.

    Returns
    -------
    (K, K) int64 array
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for what, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(
                f"confusion_matrix {what} must be int labels of shape (n,), got {labels.dtype} "
                f"{labels.shape}; e.g. predict_classes(model, X)"
            )
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(
            f"confusion_matrix needs as many predictions as labels (and at least one), got "
            f"{len(y_pred)} and {len(y_true)}"
        )
    k = int(max(y_true.max(), y_pred.max())) + 1 if num_classes is None else num_classes
    k = check_count(k, "confusion_matrix num_classes", 1)
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError(f"confusion_matrix labels must be in [0, {k - 1}] for {k} classes")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)  # one count per (true, predicted) pair
    return counts
