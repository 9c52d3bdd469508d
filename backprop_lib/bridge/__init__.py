"""The bridge to PyTorch: the same network, the same weights, the same gradients.

Everything a learner built here has a PyTorch counterpart of the same name. ``to_torch``
copies a model of ours into ``torch.nn`` layers, weight for weight; ``compare_gradients``
runs one forward and backward pass through both and returns the relative error of the loss
and of every gradient; ``compare_training`` takes a few optimizer steps in both and returns
how far the weights drift apart. Used by the capstone notebook (12).

PyTorch is optional: it is the ``bridge`` extra, never a dependency of the library or of the
notebooks. Nothing here imports it until a function is called; ``torch_available()`` says
whether it is installed, and without it the functions raise an ImportError that says how to
install it. (This package sits above the core's line, like ``viz``: the core imports numpy
only.)

One difference to remember: our ``Linear`` computes ``x @ W + b`` with ``W`` shaped
``(in_features, out_features)``; ``torch.nn.Linear`` stores ``weight`` shaped
``(out_features, in_features)`` and computes ``x @ weight.T + bias``. So ``weight = W.T``.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ..instruments.gradcheck import rel_error
from ..nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..nn.layers import Dropout, Layer, Linear, Sequential
from ..nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from ..optim.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = [
    "INSTALL_HINT",
    "NAMES",
    "compare_gradients",
    "compare_training",
    "require_torch",
    "to_torch",
    "torch_available",
    "torch_loss",
    "torch_optimizer",
]

INSTALL_HINT = (
    "PyTorch is not installed: it is the optional 'bridge' extra. Install PyTorch's CPU build "
    'as its install page describes, then `pip install -e ".[bridge]"` from the repository '
    "(CI installs it with `make bridge`)"
)

#: Our name -> PyTorch's, for everything the series uses (the capstone's table).
NAMES = {
    "bl.Linear(n_in, n_out)": "torch.nn.Linear(n_in, n_out)   (weight = W.T)",
    "bl.Sequential(...)": "torch.nn.Sequential(...)",
    "bl.ReLU(), bl.Tanh(), bl.Sigmoid()": "torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid()",
    "bl.Dropout(p), bl.BatchNorm1d(d)": "torch.nn.Dropout(p), torch.nn.BatchNorm1d(d)",
    "bl.CrossEntropyLoss()": "torch.nn.CrossEntropyLoss()",
    "bl.BCEWithLogitsLoss(), bl.MSELoss()": "torch.nn.BCEWithLogitsLoss(), torch.nn.MSELoss()",
    "bl.nn.init.kaiming_normal": "torch.nn.init.kaiming_normal_",
    "bl.Adam(model.parameters(), lr=1e-3)": "torch.optim.Adam(model.parameters(), lr=1e-3)",
    "optimizer.zero_grad(), optimizer.step()": "optimizer.zero_grad(), optimizer.step()",
    "model.train(), model.eval()": "model.train(), model.eval()",
    "model.backward(loss.backward())": "loss_fn(out, y).backward()   (autograd)",
    "parameter.data, parameter.grad": "parameter.data, parameter.grad",
}


def torch_available() -> bool:
    """True when PyTorch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def require_torch():
    """Import and return ``torch``; an ImportError that says how to install it otherwise."""
    try:
        import torch
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return torch


def _torch_dtype(torch, model: Layer):
    params = model.parameters()
    dtype = params[0].data.dtype if params else np.dtype(np.float64)
    return torch.float32 if dtype == np.float32 else torch.float64


def to_torch(model: Layer):
    """The same network as ``torch.nn`` layers, with a copy of our weights (in our dtype).

    ``Linear`` becomes ``nn.Linear`` with ``weight = W.T`` and ``bias = b``; each activation,
    ``Dropout`` and ``Sequential`` becomes torch's of the same name. Other layers are a
    ValueError that names them. The copy is independent: training one leaves the other.
    """
    torch = require_torch()
    nn = torch.nn
    dtype = _torch_dtype(torch, model)

    def convert(layer: Layer):
        if isinstance(layer, Sequential):
            return nn.Sequential(*[convert(inner) for inner in layer.layers])
        if isinstance(layer, Linear):
            out = nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None)
            out = out.to(dtype)
            with torch.no_grad():
                out.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))  # (out, in) = W.T
                if layer.b is not None:
                    out.bias.copy_(torch.from_numpy(layer.b.data.copy()))
            return out
        simple = {ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid, Identity: nn.Identity}
        for ours, theirs in simple.items():  # a learner's subclass computes the same forward
            if isinstance(layer, ours):
                return theirs()
        if isinstance(layer, LeakyReLU):
            return nn.LeakyReLU(layer.negative_slope)
        if isinstance(layer, Softmax):
            return nn.Softmax(dim=-1)
        if isinstance(layer, Dropout):
            return nn.Dropout(layer.p)
        raise ValueError(
            f"to_torch does not translate {type(layer).__name__} yet; it translates Sequential, "
            "Linear, the activations and Dropout"
        )

    return convert(model).train(model.training)


def torch_loss(loss: Loss):
    """torch's loss of the same name and reduction (the mean over the batch)."""
    torch = require_torch()
    table = {
        MSELoss: torch.nn.MSELoss,
        BCELoss: torch.nn.BCELoss,
        BCEWithLogitsLoss: torch.nn.BCEWithLogitsLoss,
        CrossEntropyLoss: torch.nn.CrossEntropyLoss,
    }
    if type(loss) not in table:
        raise ValueError(f"no torch counterpart for {type(loss).__name__}; use a built-in loss")
    return table[type(loss)]()


def torch_optimizer(optimizer: Optimizer, torch_model):
    """torch.optim's optimizer of the same name and hyper-parameters, on ``torch_model``."""
    torch = require_torch()
    params, o = list(torch_model.parameters()), optimizer
    if isinstance(o, SGD):
        return torch.optim.SGD(
            params, lr=o.lr, momentum=o.momentum, dampening=o.dampening,
            weight_decay=o.weight_decay, nesterov=o.nesterov,
        )  # fmt: skip
    if isinstance(o, AdamW):
        return torch.optim.AdamW(
            params, lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay,
            amsgrad=o.amsgrad,
        )  # fmt: skip
    if isinstance(o, Adam):
        return torch.optim.Adam(
            params, lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay,
            amsgrad=o.amsgrad,
        )  # fmt: skip
    if isinstance(o, RMSprop):
        return torch.optim.RMSprop(
            params, lr=o.lr, alpha=o.alpha, eps=o.eps, weight_decay=o.weight_decay,
            momentum=o.momentum, centered=o.centered,
        )  # fmt: skip
    if isinstance(o, Adagrad):
        return torch.optim.Adagrad(
            params, lr=o.lr, lr_decay=o.lr_decay, weight_decay=o.weight_decay,
            initial_accumulator_value=o.initial_accumulator_value, eps=o.eps,
        )  # fmt: skip
    raise ValueError(f"no torch counterpart for {type(o).__name__}")


def _torch_target(torch, loss: Loss, y, dtype):
    if isinstance(loss, CrossEntropyLoss):
        return torch.from_numpy(np.asarray(y, dtype=np.int64))
    return torch.from_numpy(np.asarray(y, dtype=np.float64)).to(dtype)


def _in_our_layout(torch, torch_model, grad: bool) -> list[np.ndarray]:
    """torch's parameters (or their gradients) in our layout and order: W = weight.T, then b."""
    arrays = []
    for module in torch_model.modules():
        if isinstance(module, torch.nn.Linear):
            for tensor, transpose in ((module.weight, True), (module.bias, False)):
                if tensor is not None:
                    value = (tensor.grad if grad else tensor).detach().numpy()
                    arrays.append(value.T if transpose else value)
    return arrays


def compare_gradients(model: Layer, loss: Loss, X, y) -> dict[str, float]:
    """One forward and backward pass through ``model`` and its ``to_torch`` copy.

    Returns the relative error (``instruments.gradcheck.rel_error``) of the loss, keyed
    ``"loss"``, and of every parameter's gradient, keyed by our names ("0.W", "0.b", ...).
    In float64, agreement to rounding means errors around 1e-15; above about 1e-10 something
    differs. Our model's gradients are left as this pass computed them.
    """
    torch = require_torch()
    torch_model = to_torch(model)
    X = np.asarray(X)
    dtype = _torch_dtype(torch, model)
    model.zero_grad()
    ours = loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    out = torch_model(torch.from_numpy(X).to(dtype))
    theirs = torch_loss(loss)(out, _torch_target(torch, loss, y, dtype))
    theirs.backward()
    errors = {"loss": rel_error(ours, theirs.item())}
    named = model.named_parameters()
    for (name, p), g in zip(named, _in_our_layout(torch, torch_model, True), strict=True):
        errors[name] = rel_error(p.grad, g)
    return errors


def compare_training(model: Layer, loss: Loss, optimizer: Optimizer, X, y, steps: int = 5):
    """``steps`` full-batch steps in ours and in torch from the same weights.

    Returns, after each step, the largest relative difference between our parameters and
    torch's (a list of ``steps`` floats). ``model`` and ``optimizer`` are trained by it.
    """
    torch = require_torch()
    torch_model = to_torch(model)
    torch_opt = torch_optimizer(optimizer, torch_model)
    dtype = _torch_dtype(torch, model)
    Xt = torch.from_numpy(np.asarray(X)).to(dtype)
    yt, torch_loss_fn = _torch_target(torch, loss, y, dtype), torch_loss(loss)
    drift = []
    for _ in range(steps):
        loss.forward(model.forward(X), y)
        optimizer.zero_grad()
        model.backward(loss.backward())
        optimizer.step()
        torch_opt.zero_grad()
        torch_loss_fn(torch_model(Xt), yt).backward()
        torch_opt.step()
        theirs = _in_our_layout(torch, torch_model, False)
        pairs = zip(model.parameters(), theirs, strict=True)
        drift.append(max(rel_error(p.data, q) for p, q in pairs))
    return drift
