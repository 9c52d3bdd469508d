"""Ready-made networks: ``mlp`` builds the multilayer perceptrons the notebooks train.

One call gives a ``Sequential`` of ``Linear`` layers with activations in between, and
optionally batch norm, residual connections and dropout, so a notebook or a dashboard can
switch any of them on with a keyword. Used by the training, initialisation,
vanishing-gradient and regularisation notebooks and by the dashboards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..checks import as_rng
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .layers import BatchNorm1d, Dropout, Layer, Linear, Residual, Sequential

__all__ = ["ACTIVATIONS", "mlp"]

#: The activation names ``mlp`` accepts, each a layer class built with no arguments.
ACTIVATIONS: dict[str, type[Layer]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
}

# Xavier keeps the variance of sigmoid/tanh/linear layers steady; He does it for the ReLU family.
_DEFAULT_INIT = {
    "sigmoid": "xavier",
    "tanh": "xavier",
    "identity": "xavier",
    "relu": "he",
    "leaky_relu": "he",
}


def mlp(
    sizes: Sequence[int],
    activation: str = "tanh",
    init: str | Callable[..., np.ndarray] | None = None,
    batch_norm: bool = False,
    residual: bool = False,
    dropout: float = 0.0,
    rng=None,
    dtype=np.float64,
) -> Sequential:
    """A multilayer perceptron: y = Linear_L(... act(Linear_2(act(Linear_1(x))))).

    ``sizes = [2, 16, 16, 1]`` gives Linear(2, 16), act, Linear(16, 16), act, Linear(16, 1):
    an activation after every hidden Linear and none after the last (the loss decides what
    the outputs mean: logits for ``CrossEntropyLoss``/``BCEWithLogitsLoss``, values for MSE).

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        Widths from input to output: [in_features, hidden..., out_features].
    activation : str
        One of "sigmoid", "tanh", "relu", "leaky_relu", "identity".
    init : str, callable or None
        Passed to every ``Linear``; None picks "xavier" (uniform) for sigmoid/tanh/identity
        and "he" (normal, std = sqrt(2 / fan_in)) for relu/leaky_relu.
    batch_norm : bool
        Put ``BatchNorm1d`` after each hidden Linear, before its activation. Those Linears
        then have no bias (``beta`` plays its part; a bias before batch norm cancels out).
    residual : bool
        Wrap each hidden block whose input and output widths are equal as
        ``Residual(Sequential(Linear, [BatchNorm1d], act))``, i.e. h = x + act(Linear(x)).
    dropout : float in [0, 1)
        If > 0, a ``Dropout(dropout)`` after each hidden block (after its activation).
    rng : numpy Generator, int seed or None
        Draws every weight and seeds the dropout masks; the same seed gives the same network,
        None a different one each time (fresh entropy).
    dtype : numpy floating dtype
        float64 (default) or float32.

    Returns
    -------
    Sequential
        Maps x (batch, sizes[0]) to y (batch, sizes[-1]). Parameter names follow the layer
        positions: "0.W", "0.b", "2.W", ... (inside a residual block: "2.block.0.W").
    """
    sizes = list(sizes) if not isinstance(sizes, (str, bytes)) else sizes
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise ValueError(
            f"mlp needs at least two sizes [in_features, ..., out_features], got {sizes!r}; "
            "e.g. mlp([2, 16, 1])"
        )
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"mlp sizes must be positive ints, got sizes[{i}] = {n!r}")
    if activation not in ACTIVATIONS:
        names = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; use one of {names}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"mlp dropout must be a number in [0, 1), got {dropout!r}; 0 means no dropout"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp dropout must be in [0, 1), got {dropout!r}; 0 means no dropout")
    gen = as_rng(rng)
    if init is None:
        init = _DEFAULT_INIT[activation]

    layers: list[Layer] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):  # the hidden blocks
        # batch norm subtracts the mean, so a bias before it would do nothing (its gradient
        # is exactly 0): leave it out, as torch models do
        linear = Linear(n_in, n_out, init=init, bias=not batch_norm, rng=gen, dtype=dtype)
        block: list[Layer] = [linear]
        if batch_norm:
            block.append(BatchNorm1d(n_out, dtype=dtype))
        block.append(ACTIVATIONS[activation]())
        if residual and n_in == n_out:
            layers.append(Residual(Sequential(*block)))
        else:
            layers.extend(block)
        if dropout > 0:
            layers.append(Dropout(dropout, rng=np.random.default_rng(gen.integers(2**63))))
    layers.append(Linear(sizes[-2], sizes[-1], init=init, rng=gen, dtype=dtype))
    return Sequential(*layers)
