"""Input features, TensorFlow-Playground style: what the network is given to look at.

A network fed only the two coordinates x1, x2 has to build every curved boundary out of its
hidden units; fed x1² + x2² (through the features x1², x2²) a circle is a straight cut, and
with sin x1 a sine is one weight. ``FEATURES`` names the seven features TFP offers:

    x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)

``feature_map(X, names)`` computes them; ``InputFeatures(names)`` is the same map as a layer
without parameters, put in front of a network (``Sequential(InputFeatures(...), *mlp)``) so the
network's input is still the point (x1, x2): a decision boundary, a fitted curve or a hidden
unit's picture is drawn over the plane of the data, and ``fit`` trains through it as through
any layer. The layer can first standardise its inputs, z = (x - mean) / std, with statistics
fixed when it is built (from the training rows: see ``data.standardize``), so data in any
units can use the same features. Used by the playground dashboard
(``widgets.playground.TrainingDashboard``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .checks import as_batch, check_grad, check_size
from .nn.layers import Layer

__all__ = ["FEATURES", "FEATURE_LABELS", "check_features", "feature_map", "InputFeatures"]

#: the feature names, in TFP's order (the order a network's input columns take)
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

#: how each feature is written in a figure or on a toggle
FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁·x₂",
    "sin(x1)": "sin x₁",
    "sin(x2)": "sin x₂",
}

_USES_X2 = {"x2", "x2^2", "x1*x2", "sin(x2)"}


def check_features(names, n_inputs: int = 2) -> tuple[str, ...]:
    """``names`` as a tuple in ``FEATURES`` order, checked against the number of inputs.

    Features of x2 need two input columns; with one column (e.g. the sine data) only x1,
    x1^2 and sin(x1) exist. Raises ValueError for an unknown or repeated name, an empty
    list, or a feature of x2 on one-column data.
    """
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown input features {unknown}; use some of {list(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"input features {list(names)} name one feature twice; list each once")
    if not names:
        raise ValueError(f"at least one input feature is needed, e.g. ('x1', 'x2'); got {names}")
    n_inputs = check_size(n_inputs, "the number of input columns")
    if n_inputs > 2:
        raise ValueError(
            f"the features {list(FEATURES)} are functions of two inputs x1, x2; the data has "
            f"{n_inputs} columns: use features=None to give the network every column as it is"
        )
    if n_inputs == 1 and _USES_X2 & set(names):
        raise ValueError(
            f"the data has one input column (x1), so {sorted(_USES_X2 & set(names))} do not "
            "exist; use x1, x1^2 and sin(x1)"
        )
    return tuple(n for n in FEATURES if n in names)


def _columns(z: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The features of standardised inputs z (batch, 1 or 2): (batch, len(names))."""
    x1 = z[:, 0]
    x2 = z[:, 1] if z.shape[1] > 1 else None
    values = {
        "x1": lambda: x1,
        "x2": lambda: x2,
        "x1^2": lambda: x1 * x1,
        "x2^2": lambda: x2 * x2,
        "x1*x2": lambda: x1 * x2,
        "sin(x1)": lambda: np.sin(x1),
        "sin(x2)": lambda: np.sin(x2),
    }
    return np.column_stack([values[n]() for n in names])


def feature_map(X, names) -> np.ndarray:
    """The features ``names`` of the rows of X (n, 1 or 2): (n, len(names)), X's dtype.

    E.g. ``feature_map(X, ("x1", "x2", "x1^2"))`` is ``[x1, x2, x1**2]`` row by row.
    """
    X = np.asarray(X)
    X = as_batch(X, "feature_map", dtype=X.dtype if X.dtype.kind == "f" else np.float64)
    names = check_features(names, X.shape[1])
    return _columns(X, names)


class InputFeatures(Layer):
    """A layer without parameters: inputs x (batch, d) -> features (batch, k).

    y = features(z) with z = (x - mean) / std (mean 0 and std 1 when not given). With
    ``names=None`` the features are the d standardised columns themselves (any d); otherwise
    ``names`` picks from ``FEATURES`` (d = 1 or 2).

    backward: dL/dz_i = sum_k dL/dy_k * dy_k/dz_i (d/dz of z^2 is 2z, of z1*z2 is z2 and z1,
    of sin z is cos z), then dL/dx = dL/dz / std. Nothing is trained; the gradient only
    passes through (``Sequential`` calls every layer's backward).

    Parameters
    ----------
    names : sequence of feature names, or None (every column, standardised)
    n_inputs : int, the number of input columns d
    mean, std : (d,) arrays, or None (no standardisation); std entries must be > 0
    """

    def __init__(self, names, n_inputs: int = 2, mean=None, std=None):
        self.n_inputs = check_size(n_inputs, "InputFeatures n_inputs")
        self.names = None if names is None else check_features(names, self.n_inputs)
        d = self.n_inputs
        self.mean = np.zeros(d) if mean is None else np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.ones(d) if std is None else np.asarray(std, dtype=np.float64).reshape(-1)
        if self.mean.shape != (d,) or self.std.shape != (d,):
            raise ValueError(
                f"InputFeatures mean and std need one value per input column ({d}), got shapes "
                f"{self.mean.shape} and {self.std.shape}"
            )
        if not (np.all(np.isfinite(self.std)) and np.all(self.std > 0)):
            raise ValueError(f"InputFeatures std must be finite and > 0, got {self.std}")
        self.out_features = d if self.names is None else len(self.names)
        self._z = None

    @property
    def feature_names(self) -> list[str]:
        """The name of each output column ("x1", "x1^2", ...; "x1".."xd" with names=None)."""
        return list(self.names) if self.names else [f"x{i + 1}" for i in range(self.n_inputs)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.float64  # float32 stays float32
        x = as_batch(x, "InputFeatures", self.n_inputs, dtype)
        z = (x - self.mean.astype(x.dtype)) / self.std.astype(x.dtype)  # (batch, d)
        self._z = z
        return z if self.names is None else _columns(z, self.names)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        if self._z is None:
            raise RuntimeError("InputFeatures.backward called before forward")
        z = self._z
        grad_y = check_grad(grad_y, (len(z), self.out_features), "InputFeatures")
        if self.names is None:
            grad_z = grad_y
        else:
            grad_z = np.zeros_like(z, dtype=np.result_type(z, grad_y))
            x1 = z[:, 0]
            x2 = z[:, 1] if z.shape[1] > 1 else None
            for k, name in enumerate(self.names):
                g = grad_y[:, k]
                if name == "x1":
                    grad_z[:, 0] += g
                elif name == "x2":
                    grad_z[:, 1] += g
                elif name == "x1^2":
                    grad_z[:, 0] += 2 * x1 * g
                elif name == "x2^2":
                    grad_z[:, 1] += 2 * x2 * g
                elif name == "x1*x2":
                    grad_z[:, 0] += x2 * g
                    grad_z[:, 1] += x1 * g
                elif name == "sin(x1)":
                    grad_z[:, 0] += np.cos(x1) * g
                else:  # sin(x2)
                    grad_z[:, 1] += np.cos(x2) * g
        return grad_z / self.std.astype(grad_z.dtype)

    def __repr__(self) -> str:
        scaled = "" if np.all(self.mean == 0) and np.all(self.std == 1) else ", standardised"
        return f"InputFeatures({self.feature_names}{scaled})"
