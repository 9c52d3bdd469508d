"""``backprop_lib.optim``: what ``torch.optim`` holds.

- ``optimizers.py``: ``SGD`` (momentum, Nesterov, weight decay), ``Adagrad``, ``RMSprop``,
  ``Adam``, ``AdamW``, each with torch's update rule and defaults, and ``clip_grad_norm``.
- ``lr_scheduler.py``: ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, as
  ``torch.optim.lr_scheduler``.
"""

from . import lr_scheduler
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "clip_grad_norm",
    "lr_scheduler",
]
