"""Mini-batches step by step: the training loop written out, and the noise of a batch gradient.

``run_steps`` is the loop ``fit`` runs, spelled out and recording every *step* (an
iteration: one mini-batch, one update) rather than every epoch (one pass over the data)::

    for epoch in range(epochs):
        for xb, yb in minibatches(X, y, batch_size, rng, shuffle):   # ceil(n / B) steps
            loss.forward(model.forward(xb), yb); optimizer.zero_grad()
            model.backward(loss.backward()); optimizer.step()

so a notebook can show the per-step loss, and training without shuffling (``fit`` always
reshuffles).

The gradient of a mini-batch of B rows is the mean of B per-example gradients g_i, an
estimate of the full gradient g = mean_i g_i. Drawn without replacement from n rows, its
squared error has the exact expectation

    E |g_B - g|^2 = (sigma^2 / B) (n - B) / (n - 1),    sigma^2 = mean_i |g_i - g|^2,

so its typical size shrinks like 1 / sqrt(B) while B << n, and is 0 at B = n.
``per_example_gradients``, ``batch_gradients`` and ``gradient_noise`` measure both sides.
Used by the data notebook (09) and its batch-size dashboard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..checks import as_rng, check_count
from ..data import check_features, check_targets, minibatches
from ..nn.layers import BatchNorm1d, Layer
from ..nn.losses import Loss
from .curvature import flat_gradient

__all__ = [
    "StepLog",
    "batch_gradients",
    "gradient_noise",
    "per_example_gradients",
    "run_steps",
    "steps_per_epoch",
]


def steps_per_epoch(n: int, batch_size: int | None) -> int:
    """How many steps (mini-batches) one epoch over n rows takes: ceil(n / B).

    The last batch holds the n mod B rows left over, if any (torch's ``drop_last=False``, and
    what ``fit`` does). ``batch_size`` None (or >= n) is full-batch gradient descent: 1 step.
    """
    n = check_count(n, "n (the number of rows)")
    if batch_size is None:
        return 1
    batch_size = check_count(batch_size, "batch_size")
    return math.ceil(n / batch_size)


@dataclass
class StepLog:
    """What ``run_steps`` recorded; steps are numbered from 0, epochs from 1.

    Attributes
    ----------
    loss : (steps,) float64, each step's mini-batch loss (measured before its update)
    epoch : (steps,) int64, the epoch each step belongs to
    rows : (steps,) int64, the rows in each step's batch (the last one of an epoch may be short)
    epoch_loss : list of float, the loss on all of X after each epoch (in eval mode)
    steps_per_epoch : int, ceil(n / batch_size)
    diverged : bool, True if a loss became NaN or inf (training stopped there)
    """

    loss: np.ndarray
    epoch: np.ndarray
    rows: np.ndarray
    epoch_loss: list[float] = field(default_factory=list)
    steps_per_epoch: int = 0
    diverged: bool = False


def _full_loss(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    value = float(loss.forward(model.forward(X), y))
    model.train()
    return value


def run_steps(
    model: Layer,
    loss: Loss,
    optimizer,
    X,
    y,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng=None,
) -> StepLog:
    """Train with mini-batches for ``epochs`` epochs and record every step's loss.

    Each epoch visits every row once, in ``ceil(n / batch_size)`` steps: the rows are
    reshuffled every epoch (``shuffle=True``, as ``fit``) or taken in their stored order
    (``shuffle=False``). Each step: forward, loss, zero_grad, backward, optimizer.step().

    Parameters
    ----------
    model, loss, optimizer : as for ``fit``
    X : (n, features); y : targets as for ``fit`` (e.g. (n,) 0/1 labels for BCEWithLogitsLoss)
    epochs : int >= 0
    batch_size : int >= 1, or None for the full batch
    shuffle : bool, reshuffle the rows every epoch
    rng : Generator, int seed or None, draws the shuffling order

    Returns
    -------
    StepLog. A diverging run stops at the first NaN or inf loss and says so (no exception).
    """
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a Layer (e.g. mlp([2, 16, 1])), got {type(model)}")
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss object such as MSELoss(), got {loss!r}")
    if not all(hasattr(optimizer, a) for a in ("step", "zero_grad")):
        raise TypeError("optimizer must have step() and zero_grad(), e.g. SGD(params, lr=0.1)")
    epochs = check_count(epochs, "epochs", 0)
    X = check_features(X, "X", np.float64)
    y = check_targets(y, len(X), "y", loss, np.float64)
    batch = len(X) if batch_size is None else min(check_count(batch_size, "batch_size"), len(X))
    gen = as_rng(rng)
    losses, epoch_of, rows, log = [], [], [], StepLog(np.zeros(0), np.zeros(0, np.int64),
                                                      np.zeros(0, np.int64))  # fmt: skip
    log.steps_per_epoch = steps_per_epoch(len(X), batch)
    model.train()
    with np.errstate(all="ignore"):  # a diverging run is reported, not warned about
        for epoch in range(1, epochs + 1):
            for xb, yb in minibatches(X, y, batch, rng=gen, shuffle=shuffle):
                value = float(loss.forward(model.forward(xb), yb))  # forward pass
                losses.append(value)
                epoch_of.append(epoch)
                rows.append(len(xb))
                if not math.isfinite(value):
                    log.diverged = True
                    break
                optimizer.zero_grad()
                model.backward(loss.backward())  # dL/dW for every W
                optimizer.step()
            if log.diverged:
                break
            log.epoch_loss.append(_full_loss(model, loss, X, y))
    log.loss = np.array(losses, dtype=np.float64)
    log.epoch = np.array(epoch_of, dtype=np.int64)
    log.rows = np.array(rows, dtype=np.int64)
    return log


def per_example_gradients(model: Layer, loss: Loss, X, y) -> np.ndarray:
    """Every example's own gradient g_i = dL(x_i, y_i)/dtheta, one row each: (n, P).

    The loss is a mean over the batch, so any batch's gradient is the mean of its rows' g_i
    (and the full gradient is ``per_example_gradients(...).mean(axis=0)``). The model is left
    as it was. Not for models with ``BatchNorm1d``: there an example's output depends on the
    rest of its batch, so a batch gradient is no mean of per-example ones.
    """
    if any(isinstance(m, BatchNorm1d) for m in model.modules()):
        raise ValueError(
            "per_example_gradients needs a model without BatchNorm1d: batch norm mixes the "
            "examples of a batch, so a batch gradient is not a mean of per-example gradients"
        )
    X = check_features(X, "X", np.float64)
    y = check_targets(y, len(X), "y", loss, np.float64)
    rows = [flat_gradient(model, loss, X[i : i + 1], y[i : i + 1])[1] for i in range(len(X))]
    return np.array(rows)  # (n, P)


def batch_gradients(per_example, batch_size: int, draws: int = 200, rng=None) -> np.ndarray:
    """The gradients of ``draws`` random mini-batches of ``batch_size`` rows: (draws, P).

    Each batch is a uniform random subset of the n rows, without replacement (what a
    shuffled epoch's batches are), and its gradient the mean of its rows of
    ``per_example`` (n, P).
    """
    G = np.asarray(per_example, dtype=np.float64)
    if G.ndim != 2 or len(G) == 0:
        raise ValueError(f"per_example must be (n, P) per-example gradients, got {G.shape}")
    n = len(G)
    B = check_count(batch_size, "batch_size")
    if B > n:
        raise ValueError(f"batch_size {B} is larger than the {n} rows; use at most {n}")
    draws = check_count(draws, "draws")
    idx = np.argsort(as_rng(rng).random((draws, n)), axis=1)[:, :B]  # (draws, B), no repeats
    M = np.zeros((draws, n))
    np.put_along_axis(M, idx, 1.0 / B, axis=1)  # row k averages batch k's rows
    return M @ G  # (draws, P)


def gradient_noise(per_example, batch_size: int) -> float:
    """The exact root-mean-square error of a B-row mini-batch gradient, sqrt(E |g_B - g|^2).

    sqrt(sigma^2 / B * (n - B) / (n - 1)) with sigma^2 = mean_i |g_i - g|^2 over the rows of
    ``per_example`` (n, P) (sampling without replacement; 0 at B = n).
    """
    G = np.asarray(per_example, dtype=np.float64)
    if G.ndim != 2 or len(G) < 2:
        raise ValueError(f"per_example must be (n, P) with n >= 2 rows, got {G.shape}")
    n = len(G)
    B = check_count(batch_size, "batch_size")
    if B > n:
        raise ValueError(f"batch_size {B} is larger than the {n} rows; use at most {n}")
    sigma2 = float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))
    return math.sqrt(sigma2 / B * (n - B) / (n - 1))
