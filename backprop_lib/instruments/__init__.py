"""``backprop_lib.instruments``: what the notebooks measure a network with.

None of this is in torch's ``nn`` or ``optim``; each is a way of looking at training:

- ``gradcheck.py``: analytic gradients against central differences (the relative error).
- ``health.py``: per-layer gradient norms, update ratios and saturation, recorded by ``fit``.
- ``curvature.py``: Hessian-vector products, the sharpness λmax and the stability limit 2/λmax.
- ``lr_finder.py``: the learning-rate range test and sweeps over rates.
- ``bugs.py``: classic backward-pass bugs planted in layers, for the bug hunt.
- ``conditioning.py``: the least-squares Hessian and its condition number (input scaling).
- ``batch_noise.py``: the training loop step by step, and the noise of mini-batch gradients.
- ``stopping.py``: five stopping rules applied after the fact to a recorded run.
"""

from . import batch_noise, bugs, conditioning, curvature, gradcheck, health, lr_finder, stopping
from .curvature import sharpness, stability_limit
from .gradcheck import (
    gradcheck_layer,
    gradcheck_loss,
    gradcheck_model,
    numerical_gradient,
    rel_error,
)
from .health import LayerHealth
from .lr_finder import LRFinderResult, LRSweepResult, lr_range_test, lr_sweep

__all__ = [
    "LRFinderResult",
    "LRSweepResult",
    "LayerHealth",
    "batch_noise",
    "bugs",
    "conditioning",
    "curvature",
    "gradcheck",
    "gradcheck_layer",
    "gradcheck_loss",
    "gradcheck_model",
    "health",
    "lr_finder",
    "lr_range_test",
    "lr_sweep",
    "numerical_gradient",
    "rel_error",
    "sharpness",
    "stability_limit",
    "stopping",
]
