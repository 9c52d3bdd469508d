"""When to stop training: five stopping rules, applied after the fact to one recorded run.

Each rule reads a sequence recorded once per epoch (epochs numbered from 1, as in
``History``) and returns the epoch after which it would have stopped, or None if it never
fires in the run:

- a fixed number of epochs E: stop after epoch E (``fixed_epochs``);
- a loss threshold: the first epoch whose training loss is <= threshold (``fit``'s
  ``loss_threshold``: ``loss_threshold_epoch``);
- a relative-improvement tolerance: the first epoch ending ``patience`` epochs in a row
  that each improved the loss by less than ``tol`` of its previous value,
  (L_{t-1} - L_t) / |L_{t-1}| < tol (``relative_improvement_epoch``);
- a small gradient norm: the first epoch with ||dL/dW|| <= eps (``gradient_norm_epoch``);
- early stopping on the validation loss: the first epoch ending ``patience`` epochs
  without a new best (by more than ``min_delta``), the same rule as ``fit``'s
  ``early_stopping`` (``early_stopping_epoch``).

``stopping_epochs(history, ...)`` applies all five to a ``History``. ``fit`` itself has the
loss threshold and early stopping; the others are computed here, so one run shows where
each rule would have ended it. Used by the data notebook (09).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_count, check_number

__all__ = [
    "RULES",
    "StoppingRules",
    "early_stopping_epoch",
    "fixed_epochs",
    "gradient_norm_epoch",
    "loss_threshold_epoch",
    "relative_improvement",
    "relative_improvement_epoch",
    "stopping_epochs",
    "weight_gradient_norms",
]

#: The rules' names, in the order the notebook and its dashboard show them.
RULES = ("fixed epochs", "loss threshold", "relative improvement", "gradient norm",
         "early stopping")  # fmt: skip


def _values(values, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence with one value per epoch, got {v.shape}")
    return v


def _positive(value, what: str, default: float) -> float:
    value = check_number(value, what, default)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number > 0, got {value}; e.g. {default}")
    return value


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) + 1 if len(hits) else None  # epochs are numbered from 1


def fixed_epochs(losses, epochs: int) -> int | None:
    """Stop after ``epochs`` epochs: ``epochs`` if the run got that far, else None."""
    n = len(_values(losses, "losses"))
    epochs = check_count(epochs, "epochs", 1)
    return epochs if epochs <= n else None


def loss_threshold_epoch(losses, threshold: float) -> int | None:
    """The first epoch t with losses[t] <= threshold (as ``fit(loss_threshold=...)``)."""
    v = _values(losses, "losses")
    threshold = check_number(threshold, "threshold", 0.05)
    return _first(v <= threshold)


def relative_improvement(losses) -> np.ndarray:
    """(L_{t-1} - L_t) / |L_{t-1}| for epochs t = 2, 3, ...: (epochs - 1,).

    Positive when the loss fell; negative when it rose. NaN where L_{t-1} is 0 or not finite.
    """
    v = _values(losses, "losses")
    prev, cur = v[:-1], v[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (prev - cur) / np.abs(prev)
    out[~np.isfinite(out)] = np.nan
    return out


def relative_improvement_epoch(losses, tol: float, patience: int = 1) -> int | None:
    """The first epoch t ending ``patience`` epochs in a row of relative improvement < tol.

    An epoch t >= 2 is slow when (L_{t-1} - L_t) / |L_{t-1}| < tol (a rising loss is slow
    too); the rule fires at the ``patience``-th slow epoch in a row.
    """
    tol = _positive(tol, "tol", 1e-3)
    patience = check_count(patience, "patience", 1)
    rel = relative_improvement(losses)
    slow = ~(rel >= tol)  # NaN counts as slow: no measurable progress
    run = 0
    for i, s in enumerate(slow):
        run = run + 1 if s else 0
        if run >= patience:
            return i + 2  # rel[i] compares epochs i + 1 and i + 2
    return None


def gradient_norm_epoch(grad_norms, eps: float) -> int | None:
    """The first epoch t with grad_norms[t] <= eps (the gradient has all but vanished)."""
    v = _values(grad_norms, "grad_norms")
    eps = _positive(eps, "eps", 1e-3)
    return _first(v <= eps)


def early_stopping_epoch(
    monitored, patience: int, min_delta: float = 0.0
) -> tuple[int | None, int | None]:
    """Early stopping on ``monitored`` (usually the validation loss), as ``fit`` does it.

    An epoch improves when its value < best - min_delta; the rule fires after ``patience``
    epochs in a row without improvement. Returns ``(stop_epoch, best_epoch)``: stop_epoch
    None if it never fires; best_epoch the epoch of the best value seen up to the stop (None
    if no value was finite), the one whose parameters ``restore_best`` puts back.
    """
    v = _values(monitored, "monitored")
    patience = check_count(patience, "patience", 1)
    min_delta = check_number(min_delta, "min_delta", 0.0)
    if min_delta < 0:
        raise ValueError(f"min_delta must be >= 0, got {min_delta}; e.g. 0")
    best, best_epoch, wait = math.inf, None, 0
    for t, value in enumerate(v, start=1):
        if value < best - min_delta:
            best, best_epoch, wait = float(value), t, 0
        else:
            wait += 1
            if wait >= patience:
                return t, best_epoch
    return None, best_epoch


def weight_gradient_norms(history) -> np.ndarray:
    """The norm of the gradient over every weight, per epoch: sqrt(sum_layers ||dL/dW||^2).

    From ``history.grad_norms`` (each weight's gradient at the epoch's last step; with
    full-batch training, the gradient of the whole training loss). Biases are not recorded
    there, so they are not in it. Returns (epochs,).
    """
    norms = list(history.grad_norms.values())
    if not norms:
        raise ValueError(
            "history.grad_norms is empty: train with record_health=True (fit's default) to "
            "record the gradient norms"
        )
    return np.sqrt(np.sum(np.square(np.asarray(norms, dtype=np.float64)), axis=0))


@dataclass(frozen=True)
class StoppingRules:
    """The settings of the five rules (see the module docstring)."""

    epochs: int = 200
    threshold: float = 0.1
    tol: float = 1e-3
    tol_patience: int = 5
    grad_eps: float = 1e-2
    patience: int = 20
    min_delta: float = 0.0


def stopping_epochs(history, rules: StoppingRules | None = None) -> dict[str, int | None]:
    """Where each rule of ``RULES`` would have stopped this run: {rule: epoch or None}.

    Training loss for the threshold and the relative improvement, ``weight_gradient_norms``
    for the gradient norm, ``val_loss`` for early stopping (the training loss if the run had
    no validation data, as in ``fit``).
    """
    r = StoppingRules() if rules is None else rules
    monitored = history.val_loss if history.val_loss else history.loss
    return {
        "fixed epochs": fixed_epochs(history.loss, r.epochs),
        "loss threshold": loss_threshold_epoch(history.loss, r.threshold),
        "relative improvement": relative_improvement_epoch(history.loss, r.tol, r.tol_patience),
        "gradient norm": gradient_norm_epoch(weight_gradient_norms(history), r.grad_eps),
        "early stopping": early_stopping_epoch(monitored, r.patience, r.min_delta)[0],
    }
