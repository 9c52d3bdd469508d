"""``backprop_lib.nn``: what ``torch.nn`` holds, written out in numpy.

- ``parameter.py``: ``Parameter``, a trainable array and its gradient.
- ``layers.py``: ``Layer`` (the base class), ``Linear``, ``Sequential``, ``Dropout``,
  ``BatchNorm1d``, ``Residual``.
- ``activations.py``: ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Softmax``,
  ``Identity``, and the same as plain functions with their derivatives.
- ``losses.py``: ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``CrossEntropyLoss``, and
  the L1/L2 weight penalties.
- ``init.py``: weight initialisers (``backprop_lib.nn.init.xavier_uniform(...)``, as
  ``torch.nn.init``).
- ``conv.py``: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``Unflatten`` (images,
  (batch, channels, height, width)), and ``small_cnn()``, a CNN in one call.
- ``models.py``: ``mlp([2, 16, 1])``, a multi-layer perceptron in one call.
- ``checkpoint.py``: ``state_dict``, ``load_state_dict``, ``save``, ``load``.
- ``recurrent.py``: ``RNN`` (backpropagation through time), ``Embedding``, ``LastHidden``.
"""

from . import init
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
from .checkpoint import load, load_state_dict, save, state_dict
from .conv import (
    AvgPool2d,
    Conv2d,
    Flatten,
    MaxPool2d,
    Unflatten,
    conv_output_size,
    small_cnn,
)
from .layers import BatchNorm1d, Dropout, Layer, Linear, Residual, Sequential
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MSELoss,
    l1_penalty,
    l2_penalty,
)
from .models import mlp
from .parameter import Parameter
from .recurrent import RNN, Embedding, LastHidden

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "Flatten",
    "MaxPool2d",
    "Unflatten",
    "conv_output_size",
    "small_cnn",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Identity",
    "LastHidden",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "Parameter",
    "RNN",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "d_identity",
    "d_leaky_relu",
    "d_relu",
    "d_sigmoid",
    "d_tanh",
    "identity",
    "init",
    "l1_penalty",
    "l2_penalty",
    "leaky_relu",
    "load",
    "load_state_dict",
    "mlp",
    "relu",
    "save",
    "sigmoid",
    "softmax",
    "state_dict",
    "tanh",
]
