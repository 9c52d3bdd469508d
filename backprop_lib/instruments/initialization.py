"""What an initialisation does to a network: copies among its units, and the signal's spread.

Two measurements for the initialisation notebook (08) and its dashboard:

- **symmetry**: ``unit_groups`` / ``distinct_units`` group the hidden units of a layer that
  are copies of each other (same incoming weights, same bias, same outgoing weights), and
  ``distinct_units_per_layer`` does it for every hidden layer of an ``mlp``. Copies compute
  the same function, receive the same gradient and stay copies: a layer of 16 units
  initialised with a constant trains like a layer of 1.
- **scale**: ``activation_spread`` is the standard deviation of each hidden layer's outputs on
  a batch: too small an initialisation makes it shrink layer after layer, too large a one
  saturates tanh/sigmoid (outputs at +-1) or blows a ReLU network up.

A unit is a column of ``W`` (shape ``(in_features, out_features)``, the ``x @ W`` convention
of ``Linear``): column ``j`` holds the weights *into* unit ``j``, row ``j`` of the next
layer's weight the weights *out of* it. Numpy only.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_number
from ..nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.layers import Layer, Linear

__all__ = [
    "activation_spread",
    "distinct_units",
    "distinct_units_per_layer",
    "unit_gap",
    "unit_groups",
]

_ACTIVATIONS = (Sigmoid, Tanh, ReLU, LeakyReLU, Identity)


def _as_matrix(W, what: str) -> np.ndarray:
    try:
        W = np.asarray(W, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an array of numbers, got {type(W).__name__}") from None
    if W.ndim != 2 or 0 in W.shape:
        raise ValueError(
            f"{what} must be a 2-D weight matrix (in_features, out_features), got shape "
            f"{W.shape}; a unit is a column"
        )
    return W


def _unit_vectors(W, b, W_next) -> np.ndarray:
    """Every parameter of each unit in one row: (units, in + [1] + [out_next])."""
    W = _as_matrix(W, "W")
    parts = [W.T]  # (units, in): the weights into each unit
    units = W.shape[1]
    if b is not None:
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (units,):
            raise ValueError(f"b must have shape ({units},), one bias per unit; got {b.shape}")
        parts.append(b[:, None])
    if W_next is not None:
        W_next = _as_matrix(W_next, "W_next")
        if W_next.shape[0] != units:
            raise ValueError(
                f"W_next must have {units} rows (one per unit of W), got shape {W_next.shape}; "
                "pass the next layer's weight, (out_features of W, its own out_features)"
            )
        parts.append(W_next)  # (units, out_next): the weights out of each unit
    return np.concatenate(parts, axis=1)


def unit_groups(W, b=None, W_next=None, tol: float = 1e-9) -> list[list[int]]:
    """The hidden units of a layer grouped into copies of each other.

    Units ``j`` and ``k`` are copies when their incoming weights ``W[:, j]``, ``W[:, k]``
    agree, and so do their biases ``b[j]``, ``b[k]`` and outgoing weights ``W_next[j]``,
    ``W_next[k]`` when given, every entry within ``tol * (1 + max |entry|)``.

    Parameters
    ----------
    W : (in_features, units) array, the layer's weight
    b : (units,) array or None, its bias
    W_next : (units, out_next) array or None, the next layer's weight
    tol : float >= 0, the relative tolerance (0: exact equality)

    Returns
    -------
    list of lists of unit indices, each group in increasing order, groups ordered by their
    first unit: ``[[0, 2], [1]]`` means units 0 and 2 are copies and unit 1 is on its own.
    A unit with a NaN entry is a group of its own.
    """
    tol = check_number(tol, "tol", 1e-9)
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    V = _unit_vectors(W, b, W_next)  # (units, params per unit)
    finite = np.abs(V[np.isfinite(V)])
    limit = tol * (1.0 + (finite.max() if finite.size else 0.0))
    groups: list[list[int]] = []
    leaders: list[int] = []
    for j in range(V.shape[0]):
        for group, lead in zip(groups, leaders, strict=True):
            if np.all(np.abs(V[j] - V[lead]) <= limit):  # False for NaN
                group.append(j)
                break
        else:
            groups.append([j])
            leaders.append(j)
    return groups


def distinct_units(W, b=None, W_next=None, tol: float = 1e-9) -> int:
    """How many different units a layer has: ``len(unit_groups(W, b, W_next, tol))``.

    ``W`` (in_features, units): a layer whose columns are all equal has 1 distinct unit, a
    randomly initialised one has ``units``.
    """
    return len(unit_groups(W, b, W_next, tol))


def unit_gap(W) -> float:
    """How far a layer's units are from being copies: the largest gap between two units'
    weights from the same input, ``max_i (max_j W[i, j] - min_j W[i, j])``.

    ``W`` (in_features, units). 0 exactly when every column is the same; a noise of standard
    deviation s added to a constant gives a gap of a few s.
    """
    W = _as_matrix(W, "W")
    with np.errstate(invalid="ignore"):
        return float(np.max(np.ptp(W, axis=1)))


def _linears(model: Layer) -> list[Linear]:
    modules = model.modules() if hasattr(model, "modules") else [model]
    linears = [m for m in modules if isinstance(m, Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no Linear layer; build one with mlp(...)")
    return linears


def distinct_units_per_layer(model: Layer, tol: float = 1e-9) -> list[int]:
    """Distinct units of every hidden layer of an MLP, first to last.

    For each ``Linear`` but the last (the output layer has no successor and its units are
    the outputs), compares the units' incoming weights, biases and outgoing weights (the next
    ``Linear``'s rows). E.g. ``[16, 16]`` for ``mlp([2, 16, 16, 1])`` with random weights,
    ``[1, 1]`` with constant ones.
    """
    linears = _linears(model)
    counts = []
    for layer, nxt in zip(linears[:-1], linears[1:], strict=True):
        b = layer.b.data if layer.b is not None else None
        counts.append(distinct_units(layer.W.data, b, nxt.W.data, tol))
    return counts


def activation_spread(model: Layer, X) -> list[float]:
    """Standard deviation of each hidden layer's outputs on the batch ``X``, first to last.

    Runs ``model`` (a ``Sequential``, e.g. from ``mlp``) layer by layer in eval mode and
    records ``std`` over every entry (batch x units) after each activation layer; restores
    the training mode. NaN/inf outputs (an exploded network) give ``nan`` or ``inf``.

    Parameters
    ----------
    model : Sequential
    X : (batch, in_features) array

    Returns
    -------
    list of float, one per activation layer.
    """
    layers = list(model) if hasattr(model, "__iter__") else [model]
    x = np.asarray(X, dtype=np.float64)
    was_training = getattr(model, "training", True)
    model.eval()
    spreads = []
    try:
        with np.errstate(all="ignore"):
            for layer in layers:
                x = layer(x)
                if isinstance(layer, _ACTIVATIONS):
                    spreads.append(float(np.std(x)))
    finally:
        model.train(was_training)
    return spreads
