"""backprop_lib: a small numpy library for learning backpropagation by doing.

The core (this package's top level) imports numpy only. Plots live in
``backprop_lib.viz`` (matplotlib), dashboards in ``backprop_lib.widgets`` (ipywidgets),
exercise checkers in ``backprop_lib.exercises``; import those explicitly.
"""

# Each section re-exports one module's public names; keep one section per module.

# -- parameter.py --
from .parameter import Parameter

# -- layers.py --
from .layers import BatchNorm1d, Dropout, Layer, Linear, Residual, Sequential

# -- activations.py --
from .activations import (
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    d_identity,
    d_leaky_relu,
    d_relu,
    d_sigmoid,
    d_tanh,
    identity,
    leaky_relu,
    relu,
    sigmoid,
    softmax,
    tanh,
)

# -- losses.py --
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MSELoss,
    l1_penalty,
    l2_penalty,
)

# -- init.py (used as a namespace: backprop_lib.init.xavier_uniform(...)) --
from . import init

# -- gradcheck.py --
from .gradcheck import (
    gradcheck,
    gradcheck_layer,
    gradcheck_loss,
    gradcheck_model,
    numerical_gradient,
    rel_error,
)

# -- checkpoint.py (also a namespace: backprop_lib.checkpoint.state_dict(model)) --
from . import checkpoint
from .checkpoint import load, save

# -- optimizers.py (also a namespace: backprop_lib.optimizers.Optimizer) --
from . import optimizers
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, clip_grad_norm

# -- schedules.py --
from . import schedules
from .schedules import CosineAnnealingLR, ExponentialLR, StepLR

# -- training.py --
from . import training
from .training import EarlyStopping, History, Trainer, accuracy, fit, predict, predict_classes

# -- data.py (used as a namespace: backprop_lib.data.make_moons(...)) --
from . import data

# -- autograd.py, value_mlp.py --
from .autograd import Value
from .value_mlp import ValueMLP, value_mlp_from_layers

# -- models.py --
from . import models
from .models import mlp

# -- curvature.py (also a namespace: backprop_lib.curvature.hvp(...)) --
from . import curvature
from .curvature import sharpness, stability_limit

# -- lr_finder.py --
from .lr_finder import LRFinderResult, LRSweepResult, lr_range_test, lr_sweep

__version__ = "0.1.0"
