"""Learning-rate schedules: change an optimizer's ``lr`` as training goes on.

``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` follow ``torch.optim.lr_scheduler``:
build one on an optimizer, call ``step()`` once per epoch (after the epoch's optimizer steps),
and read ``get_last_lr()`` (a list, as torch). Each computes its learning rate in closed form
from the epoch counter, so the values are exact, not accumulated. Used by the optimizers
notebook and by ``training.fit(scheduler=...)``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "StepLR"]


def _positive_int(value, what: str) -> int:
    """An int > 0 (a numpy integer too), else a named error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be a positive int (epochs), got {value!r}")
    if value <= 0:
        raise ValueError(f"{what} must be a positive int (epochs), got {value}")
    return int(value)


def _number(value, what: str) -> float:
    """A real number (numpy scalars too, not bools or strings) as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    return float(value)


def _positive(value, what: str, fix: str) -> float:
    value = _number(value, what)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number > 0, got {value}; {fix}")
    return value


class LRScheduler:
    """Base class: ``step()`` advances the epoch counter and sets ``optimizer.lr``.

    Attributes: ``optimizer``; ``base_lr`` (the optimizer's lr when the schedule was built);
    ``last_epoch`` (0 at construction, +1 per ``step()``). Subclasses define ``lr_at(epoch)``.
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr") or not hasattr(optimizer, "step"):
            raise TypeError(
                f"a schedule needs an optimizer with an lr attribute, got "
                f"{type(optimizer).__name__}; e.g. StepLR(SGD(model.parameters(), lr=0.1), 10)"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (0 = before the first ``step()``)."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last ``step()`` (or the initial one), as a list."""
        return [self.lr_at(self.last_epoch)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr:g}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = base_lr * gamma ** (epoch // step_size)

    Parameters: ``optimizer``; ``step_size`` (positive int, epochs per decay); ``gamma``
    (> 0, default 0.1).
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = _positive_int(step_size, "StepLR step_size")
        self.gamma = _positive(gamma, "StepLR gamma", "e.g. gamma=0.1 divides lr by 10")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    lr(epoch) = base_lr * gamma ** epoch

    Parameters: ``optimizer``; ``gamma`` (> 0, e.g. 0.95).
    """

    def __init__(self, optimizer, gamma: float):
        self.gamma = _positive(gamma, "ExponentialLR gamma", "e.g. gamma=0.95")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate along half a cosine, from base_lr to eta_min over T_max epochs.

    lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    (torch's closed form; past T_max the cosine rises again, as in torch.)

    Parameters: ``optimizer``; ``T_max`` (positive int, epochs to reach eta_min);
    ``eta_min`` (>= 0, default 0).
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803 (torch's name)
        self.T_max = _positive_int(T_max, "CosineAnnealingLR T_max")
        eta_min = _number(eta_min, "CosineAnnealingLR eta_min")
        if not (math.isfinite(eta_min) and eta_min >= 0):
            raise ValueError(f"CosineAnnealingLR eta_min must be >= 0, got {eta_min}; e.g. 0")
        self.eta_min = eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0
