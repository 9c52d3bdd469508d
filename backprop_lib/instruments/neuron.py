"""One sigmoid neuron with one weight: how the choice of loss sets the speed of learning.

The model is p = sigmoid(w x), a ``Linear(1, 1, bias=False)`` followed by a sigmoid, on
1-D data of two overlapping classes (class 0 around x = -1, class 1 around x = +1). It is
trained by full-batch gradient descent with ``fit``, in one of two ways:

- ``"mse"``: ``Sequential(Linear, Sigmoid)`` and ``MSELoss`` on the probability p,
  dL/dz = 2 (p - y) sigma'(z) / N per example;
- ``"cross_entropy"``: ``Linear`` alone and ``BCEWithLogitsLoss`` on the logit z = w x,
  dL/dz = (p - y) / N per example.

Started confidently wrong (w far below 0, so every point gets the wrong class with p near 0
or 1), the MSE run crawls, because sigma'(z) is nearly 0 there, while cross-entropy moves at
once. ``train_neuron`` records the weight, the loss, dL/dw and the accuracy per epoch;
``neuron_loss`` gives either loss as a function of the weight (the landscape the runs walk).
Used by the loss-functions notebook (06) and its dashboard (``widgets.losses``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_rng, check_count, check_number
from ..nn.activations import Sigmoid
from ..nn.layers import Linear, Sequential
from ..nn.losses import BCEWithLogitsLoss, MSELoss
from ..optim.optimizers import SGD
from ..training import fit

__all__ = [
    "LOSSES",
    "NeuronRun",
    "neuron_accuracy",
    "neuron_data",
    "neuron_loss",
    "neuron_model",
    "train_neuron",
]

#: the two ways to train the neuron, and how the notebook names them
LOSSES = {"mse": "MSE on sigmoid(z)", "cross_entropy": "cross-entropy on z"}


def _check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; use one of {sorted(LOSSES)}")
    return loss


def neuron_data(n: int = 40, spread: float = 1.0, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping classes on a line: x = -1 (class 0) or +1 (class 1) plus noise.

    x = (2 y - 1) + spread * N(0, 1), the first n // 2 points class 0, the rest class 1.

    Returns X (n, 1) float64 and y (n, 1) float64 in {0, 1}: the shapes ``MSELoss`` and
    ``BCEWithLogitsLoss`` take against a (n, 1) output.
    """
    n = check_count(n, "neuron_data n", 2)
    spread = check_number(spread, "neuron_data spread", 1.0)
    if not (np.isfinite(spread) and spread >= 0):
        raise ValueError(f"neuron_data spread must be a finite number >= 0, got {spread}")
    gen = as_rng(rng)
    y = (np.arange(n) >= n // 2).astype(np.float64)[:, None]  # (n, 1)
    X = (2.0 * y - 1.0) + spread * gen.standard_normal((n, 1))  # (n, 1)
    return X, y


def neuron_model(loss: str, w0: float) -> tuple[Sequential, MSELoss | BCEWithLogitsLoss]:
    """The neuron with weight ``w0`` and its loss: (model, loss object).

    "mse": ``Sequential(Linear(1, 1, bias=False), Sigmoid())`` with ``MSELoss`` (the model
    outputs p); "cross_entropy": ``Sequential(Linear(1, 1, bias=False))`` with
    ``BCEWithLogitsLoss`` (the model outputs the logit z; the loss applies the sigmoid).
    """
    _check_loss(loss)
    w0 = check_number(w0, "w0 (the starting weight)", -6.0)
    if not np.isfinite(w0):
        raise ValueError(f"w0 (the starting weight) must be finite, got {w0}; e.g. w0=-6.0")
    linear = Linear(1, 1, bias=False)
    linear.W.data[...] = w0
    if loss == "mse":
        return Sequential(linear, Sigmoid()), MSELoss()
    return Sequential(linear), BCEWithLogitsLoss()


def neuron_accuracy(weights, X, y) -> np.ndarray:
    """Training accuracy of p = sigmoid(w x) for each weight w (class 1 where w x > 0).

    weights: any shape; X, y (n, 1) with 0/1 labels. Returns an array shaped like ``weights``.
    """
    w = np.asarray(weights, dtype=np.float64)
    x = np.asarray(X, dtype=np.float64)[:, 0]  # (n,)
    t = np.asarray(y)[:, 0] > 0.5  # (n,) True for class 1
    z = w[..., None] * x  # (..., n)
    return np.mean((z > 0) == t, axis=-1)


def neuron_loss(loss: str, weights, X, y) -> np.ndarray:
    """Either loss of p = sigmoid(w x) as a function of the weight, for each w in ``weights``.

    "mse": mean((sigmoid(w x) - y)^2); "cross_entropy": mean(log(1 + e^z) - y z), z = w x
    (the stable form of -mean(y log p + (1 - y) log(1 - p))).
    weights: any shape; X, y (n, 1). Returns an array shaped like ``weights``.
    """
    _check_loss(loss)
    w = np.asarray(weights, dtype=np.float64)
    x = np.asarray(X, dtype=np.float64)[:, 0]  # (n,)
    t = np.asarray(y, dtype=np.float64)[:, 0]  # (n,)
    z = w[..., None] * x  # (..., n)
    if loss == "mse":
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return np.mean((p - t) ** 2, axis=-1)
    return np.mean(np.logaddexp(0.0, z) - t * z, axis=-1)


@dataclass(frozen=True)
class NeuronRun:
    """One training run of the neuron.

    Attributes
    ----------
    loss : "mse" or "cross_entropy"
    lr : the learning rate
    weights : (epochs + 1,) the weight before training and after each epoch
    losses : (epochs,) the loss at the weight each epoch started from (History.loss)
    grads : (epochs,) dL/dw at that weight, with its sign (what SGD multiplied by lr)
    accuracy : (epochs + 1,) the training accuracy at each weight in ``weights``
    diverged : True if ``fit`` stopped the run because the loss blew up
    """

    loss: str
    lr: float
    weights: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    accuracy: np.ndarray
    diverged: bool

    @property
    def learned_epoch(self) -> int | None:
        """The first epoch after which most points are classified right (0: from the start).

        None if that never happened in the run.
        """
        right = np.flatnonzero(self.accuracy > 0.5)
        return int(right[0]) if len(right) else None


def train_neuron(loss: str, w0: float, lr: float, epochs: int, X, y) -> NeuronRun:
    """Train the neuron from weight ``w0`` with full-batch SGD (rate ``lr``) for ``epochs``.

    Goes through the library: ``neuron_model``, ``SGD`` and ``fit``; a callback reads the
    weight and its gradient after every epoch (one step per epoch). X, y (n, 1) as from
    ``neuron_data``.
    """
    _check_loss(loss)
    lr = check_number(lr, "lr", 1.0)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr}; e.g. lr=1.0")
    epochs = check_count(epochs, "epochs", 1)
    model, loss_fn = neuron_model(loss, w0)
    W = model[0].W
    weights, grads = [float(W.data[0, 0])], []

    def record(epoch, history):
        grads.append(float(W.grad[0, 0]))  # dL/dw of this epoch's step (full batch: one)
        weights.append(float(W.data[0, 0]))

    history = fit(model, loss_fn, SGD(model.parameters(), lr=lr), X, y, epochs,
                  callback=record, record_health=False)  # fmt: skip
    done = len(history.loss)
    w = np.array(weights[: done + 1])
    return NeuronRun(
        loss=loss,
        lr=lr,
        weights=w,
        losses=np.array(history.loss, dtype=np.float64),
        grads=np.array(grads[:done]),
        accuracy=neuron_accuracy(w, X, y),
        diverged=bool(history.diverged),
    )
