"""backprop_lib: a small numpy library for learning backpropagation by doing.

The package is laid out like PyTorch, so the layout transfers too:

- ``backprop_lib.nn``: parameters, layers, activations, losses, initialisers (``torch.nn``);
- ``backprop_lib.optim``: optimizers and learning-rate schedules (``torch.optim``);
- ``backprop_lib.autograd``: ``Value``, scalar reverse-mode autodiff, and its tracing;
- ``backprop_lib.instruments``: what the notebooks measure with (gradient checks, gradient
  health, curvature, the learning-rate finder, planted bugs);
- ``backprop_lib.data`` (toy and bundled datasets) and ``backprop_lib.training`` (``fit``).
- ``backprop_lib.features``: TensorFlow Playground's input features (x1², x1·x2, sin x1, ...).

All of the above import numpy only. The most used names are re-exported here
(``bl.Linear``, ``bl.SGD``, ``bl.fit``). Plots live in ``backprop_lib.viz`` (matplotlib),
dashboards in ``backprop_lib.widgets`` (ipywidgets) and exercise checkers in
``backprop_lib.exercises``; import those explicitly.
"""

from . import autograd, data, features, instruments, nn, optim, training
from .autograd import Value, ValueMLP, value_mlp_from_layers
from .data import CSVData, load_csv
from .features import InputFeatures, feature_map
from .instruments import (
    LRFinderResult,
    LRSweepResult,
    gradcheck_layer,
    gradcheck_loss,
    gradcheck_model,
    lr_range_test,
    lr_sweep,
    numerical_gradient,
    rel_error,
    sharpness,
    stability_limit,
)
from .instruments.gradcheck import gradcheck
from .nn import (
    AvgPool2d,
    Conv2d,
    Flatten,
    MaxPool2d,
    Unflatten,
    conv_output_size,
    small_cnn,
    BatchNorm1d,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Identity,
    LastHidden,
    Layer,
    LeakyReLU,
    Linear,
    Loss,
    MSELoss,
    Parameter,
    RNN,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    d_identity,
    d_leaky_relu,
    d_relu,
    d_sigmoid,
    d_tanh,
    identity,
    l1_penalty,
    l2_penalty,
    leaky_relu,
    load,
    mlp,
    relu,
    save,
    sigmoid,
    softmax,
    tanh,
)
from .optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    RMSprop,
    StepLR,
    clip_grad_norm,
)
from .training import (
    EarlyStopping,
    History,
    Trainer,
    accuracy,
    confusion_matrix,
    fit,
    predict,
    predict_classes,
)

__all__ = [
    # sub-packages and modules
    "autograd",
    "data",
    "features",
    "instruments",
    "nn",
    "optim",
    "training",
    # nn
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
    "l1_penalty",
    "l2_penalty",
    "leaky_relu",
    "load",
    "mlp",
    "relu",
    "save",
    "sigmoid",
    "softmax",
    "tanh",
    # optim
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "RMSprop",
    "StepLR",
    "clip_grad_norm",
    # training
    "EarlyStopping",
    "History",
    "Trainer",
    "accuracy",
    "confusion_matrix",
    "fit",
    "predict",
    "predict_classes",
    # data
    "CSVData",
    "load_csv",
    # input features (the playground's x1², x1·x2, sin x1, ...)
    "InputFeatures",
    "feature_map",
    # autograd
    "Value",
    "ValueMLP",
    "value_mlp_from_layers",
    # instruments
    "LRFinderResult",
    "LRSweepResult",
    "gradcheck",
    "gradcheck_layer",
    "gradcheck_loss",
    "gradcheck_model",
    "lr_range_test",
    "lr_sweep",
    "numerical_gradient",
    "rel_error",
    "sharpness",
    "stability_limit",
]

__version__ = "0.1.0"
