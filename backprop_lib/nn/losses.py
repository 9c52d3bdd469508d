"""Loss functions and weight penalties: where the backward pass starts.

A loss turns a batch of predictions into one number, ``forward(pred, target) -> float``
(the mean over the batch), and ``backward() -> dL/dpred`` gives the gradient that the
network's backward pass carries from there. Names, reductions and numerics follow
``torch.nn``. Used by every training notebook and by the loss-functions chapter.

The gradient has the prediction's dtype (targets are converted to it), so a float32 model
stays float32. NaN or inf in a *target* is a ValueError (bad data); in a *prediction* it
gives a NaN/inf loss, not an error, because that is how a diverging run shows itself.

Every ``forward`` checks its target (a few numpy calls, next to the loss's own).
"""

from __future__ import annotations

import numpy as np

from ..checks import as_float_array, same_shape
from .parameter import Parameter

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Loss",
    "MSELoss",
    "l1_penalty",
    "l2_penalty",
]


def _check_binary_targets(y: np.ndarray, loss: str) -> None:
    """Binary cross-entropy targets are probabilities of the positive class: 0 <= y <= 1."""
    if (y < 0).any() or (y > 1).any():
        raise ValueError(
            f"{loss} targets must be in [0, 1], got values in [{y.min()}, {y.max()}]; "
            "use 0/1 labels (e.g. (y == positive_class).astype(float))"
        )


class Loss:
    """Base class: ``forward(pred, target) -> float`` then ``backward() -> dL/dpred``."""

    _grad_cache = None

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def forward(self, pred, target) -> float:
        """The loss of a batch, a float (mean over the batch); caches dL/dpred for backward."""
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dL/dpred for the last ``forward``, same shape as ``pred`` (a new array each call)."""
        if self._grad_cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward; "
                "compute the loss with forward(pred, target) first"
            )
        return self._grad_cache.copy()  # a fresh array each call, as torch gives

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error over all elements: L = mean((pred - target)^2).

    pred, target: the same shape, e.g. (batch, outputs). dL/dpred = 2 (pred - target) / n,
    n = pred.size. (Unlike torch, mismatched shapes raise instead of broadcasting: a (N, 1)
    prediction against a (N,) target silently broadcasts to (N, N) there.)
    """

    def forward(self, pred, target) -> float:
        pred, target = same_shape(pred, target, "MSELoss")
        diff = pred - target
        self._grad_cache = diff * (2.0 / diff.size)
        return float((diff * diff).sum()) / diff.size  # the mean (np.mean is slower)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: L = -mean(y log p + (1 - y) log(1 - p)).

    pred p in [0, 1] and target y in [0, 1], the same shape. As in torch, each log is clamped
    at -100 so p = 0 or 1 gives a large finite loss, not inf. dL/dp = (p - y) / (p (1 - p)) / n.
    Prefer ``BCEWithLogitsLoss`` on raw scores: it is stable where a sigmoid saturates.
    """

    def forward(self, pred, target) -> float:
        p, y = same_shape(pred, target, "BCELoss")
        # NaN predictions (a diverged model) give a NaN loss, not an error: fit() reports them
        if (p < 0).any() or (p > 1).any():
            raise ValueError(
                f"BCELoss expects probabilities in [0, 1], got values in [{p.min():.3g}, "
                f"{p.max():.3g}]; apply Sigmoid first, or use BCEWithLogitsLoss on raw scores"
            )
        _check_binary_targets(y, "BCELoss")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log1p(-p), -100.0)
        self._grad_cache = (p - y) / np.maximum(p * (1.0 - p), 1e-12) / p.size
        return -float((y * log_p + (1.0 - y) * log_1mp).sum()) / p.size  # minus the mean


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z (raw scores), computed stably.

    L = mean(max(z, 0) - z y + log(1 + exp(-|z|))), which equals BCE(sigmoid(z), y) without
    ever forming exp of a large number. pred z and target y in [0, 1] have the same shape,
    e.g. (N, 1). (torch accepts any target; here a target outside [0, 1], such as -1/+1
    labels, raises a ValueError, as in ``BCELoss``.)
    dL/dz = (sigmoid(z) - y) / n.
    """

    def forward(self, pred, target) -> float:
        z, y = same_shape(pred, target, "BCEWithLogitsLoss")
        _check_binary_targets(y, "BCEWithLogitsLoss")  # torch does not: -1/+1 labels slip by
        e = np.exp(-np.abs(z))  # exp(-|z|), in (0, 1]: shared by sigmoid(z) and the loss
        p = np.exp(np.minimum(z, 0.0)) / (1.0 + e)  # sigmoid(z), as activations.sigmoid
        self._grad_cache = (p - y) / z.size
        per_item = np.maximum(z, 0.0) - z * y + np.log1p(e)
        return float(per_item.sum()) / z.size  # the mean (np.mean is slower)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits with integer class labels, computed stably.

    pred: logits (N, C); target: int labels (N,) in [0, C).
    L = mean_i(logsumexp(z_i) - z_i[y_i]); dL/dz = (softmax(z) - one_hot(y)) / N.
    Subtracting each row's max before exp keeps logits of magnitude 1000 finite.
    """

    def forward(self, pred, target) -> float:
        z = as_float_array(pred, "pred (logits)", "CrossEntropyLoss")
        y = np.asarray(target)
        if z.ndim != 2:
            raise ValueError(
                f"CrossEntropyLoss expects logits of shape (batch, classes), got {z.shape}"
            )
        if y.dtype.kind not in "iu":
            raise TypeError(
                f"CrossEntropyLoss expects integer class labels, got dtype {y.dtype}; "
                "use target.astype(int) (not one-hot vectors or floats)"
            )
        if y.shape != (z.shape[0],):
            raise ValueError(
                f"CrossEntropyLoss got labels with shape {y.shape} for logits {z.shape}; "
                f"expected ({z.shape[0]},): one class index per row"
            )
        n, c = z.shape
        if n == 0:
            raise ValueError("CrossEntropyLoss got an empty batch")
        if y.min() < 0 or y.max() >= c:
            raise ValueError(
                f"CrossEntropyLoss labels must be in [0, {c - 1}] for {c} classes, got values "
                f"in [{y.min()}, {y.max()}]; check the label encoding or the output size"
            )
        shifted = z - z.max(axis=1, keepdims=True)  # (N, C), max of each row is 0
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)  # (N, 1)
        rows = np.arange(n)
        log_prob = shifted[rows, y] - np.log(total[:, 0])  # (N,)
        grad = exp / total  # softmax, (N, C)
        grad[rows, y] -= 1.0
        grad /= n
        self._grad_cache = grad
        return -float(log_prob.sum()) / n  # minus the mean (np.mean is slower)


def _weights(params) -> list[Parameter]:
    params = list(params)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(
                f"penalties take Parameters, got {type(p).__name__}; pass model.parameters()"
            )
    return params


def _check_strength(strength) -> float:
    if isinstance(strength, bool) or not isinstance(
        strength, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"penalty strength must be a number, got {strength!r}; e.g. 1e-4 (0 switches it off)"
        )
    if not (np.isfinite(strength) and strength >= 0):
        raise ValueError(
            f"penalty strength must be >= 0 (a finite number), got {strength}; "
            "e.g. 1e-4 (0 switches it off)"
        )
    return float(strength)


def l2_penalty(params, strength: float) -> tuple[float, list[np.ndarray]]:
    """L2 (ridge) penalty: P = strength / 2 * sum_w w^2; dP/dw = strength * w.

    The 1/2 makes the gradient ``strength * w``, exactly what SGD's ``weight_decay=strength``
    adds. Returns ``(penalty, grads)``, one gradient per parameter, shaped like it.
    """
    strength = _check_strength(strength)
    params = _weights(params)
    penalty = 0.5 * strength * sum(float(np.sum(p.data * p.data)) for p in params)
    return penalty, [strength * p.data for p in params]


def l1_penalty(params, strength: float) -> tuple[float, list[np.ndarray]]:
    """L1 (lasso) penalty: P = strength * sum_w |w|; dP/dw = strength * sign(w) (0 at w = 0).

    Returns ``(penalty, grads)``, one gradient per parameter, shaped like it.
    """
    strength = _check_strength(strength)
    params = _weights(params)
    penalty = strength * sum(float(np.sum(np.abs(p.data))) for p in params)
    return penalty, [strength * np.sign(p.data) for p in params]
