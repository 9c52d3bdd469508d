"""``backprop_lib.instruments``: what the notebooks measure a network with.

None of this is in torch's ``nn`` or ``optim``; each is a way of looking at training:

- ``gradcheck.py``: analytic gradients against central differences (the relative error).
- ``health.py``: per-layer gradient norms, update ratios and saturation, recorded by ``fit``.
- ``curvature.py``: Hessian-vector products, the sharpness λmax and the stability limit 2/λmax.
- ``lr_finder.py``: the learning-rate range test and sweeps over rates.
- ``neuron.py``: one sigmoid neuron trained with MSE or cross-entropy (the loss chapter).
- ``bugs.py``: classic backward-pass bugs planted in layers, for the bug hunt.
- ``surfaces.py``: 2-D test surfaces for optimizers and the path recorder (``record_path``).
- ``update_rules.py``: closed forms about momentum on a quadratic and Adam's bias correction.
- ``initialization.py``: copies among a layer's units (symmetry) and the activations' spread.
- ``saliency.py``: every layer's output (feature maps), and d(class score)/d(input).
- ``conditioning.py``: the least-squares Hessian and its condition number (input scaling).
- ``batch_noise.py``: the training loop step by step, and the noise of mini-batch gradients.
- ``stopping.py``: five stopping rules applied after the fact to a recorded run.
"""

from . import (
    batch_noise,
    bugs,
    conditioning,
    curvature,
    gradcheck,
    health,
    initialization,
    lr_finder,
    neuron,
    saliency,
    stopping,
    surfaces,
    update_rules,
)
from .curvature import sharpness, stability_limit
from .gradcheck import (
    gradcheck_layer,
    gradcheck_loss,
    gradcheck_model,
    numerical_gradient,
    rel_error,
)
from .health import LayerHealth
from .initialization import (
    activation_spread,
    distinct_units,
    distinct_units_per_layer,
    unit_gap,
    unit_groups,
)
from .lr_finder import LRFinderResult, LRSweepResult, lr_range_test, lr_sweep
from .saliency import input_gradient, layer_outputs

__all__ = [
    "LRFinderResult",
    "LRSweepResult",
    "LayerHealth",
    "activation_spread",
    "batch_noise",
    "bugs",
    "conditioning",
    "curvature",
    "distinct_units",
    "distinct_units_per_layer",
    "gradcheck",
    "gradcheck_layer",
    "gradcheck_loss",
    "gradcheck_model",
    "health",
    "initialization",
    "input_gradient",
    "layer_outputs",
    "lr_finder",
    "neuron",
    "lr_range_test",
    "lr_sweep",
    "numerical_gradient",
    "rel_error",
    "saliency",
    "sharpness",
    "stability_limit",
    "surfaces",
    "update_rules",
    "unit_gap",
    "unit_groups",
    "stopping",
]
