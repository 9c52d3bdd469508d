"""Weight initialisers: the starting point of training.

Each function takes a ``shape`` (a tuple, e.g. ``(in_features, out_features)``), an explicit
``rng`` (Generator, int seed or None) and a ``dtype``, and returns a new array of that shape
and dtype. For a ``Linear`` weight of shape ``(in_features, out_features)`` the fans are
``fan_in = shape[0]`` and ``fan_out = shape[1]`` (PyTorch stores the transpose, so its code
reads the other index; the numbers are the same); the fan-based initialisers (xavier_*,
he_*/kaiming_*) need every size positive. Names and formulas follow
``torch.nn.init``. Used by ``Linear(init=...)`` and by the initialisation and
vanishing-gradient notebooks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..checks import as_rng

__all__ = [
    "get_initializer",
    "INITIALIZERS",
    "calculate_gain",
    "constant",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "normal",
    "ones",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]


def _fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (in_features, out_features)."""
    shape = tuple(shape)
    if len(shape) < 1:
        raise ValueError("cannot compute fans of a scalar shape; give (in_features, out_features)")
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    if fan_in <= 0 or fan_out <= 0:
        raise ValueError(
            f"cannot compute the fans of shape {shape}: they need positive sizes, "
            "e.g. (in_features, out_features) = (3, 4)"
        )
    return fan_in, fan_out


def calculate_gain(nonlinearity: str = "linear", param: float | None = None) -> float:
    """The recommended gain for an activation, as in ``torch.nn.init.calculate_gain``.

    linear/identity/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + a^2)).
    """
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + a * a))
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; use one of "
        "'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu'"
    )


def zeros(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All zeros: w = 0. (Every unit then computes the same thing: symmetry is never broken.)"""
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All ones: w = 1."""
    return np.ones(shape, dtype=dtype)


def constant(shape, value: float = 0.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Every entry equal to ``value``: w = c."""
    return np.full(shape, value, dtype=dtype)


def normal(shape, mean: float = 0.0, std: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Gaussian: w ~ N(mean, std^2). torch's defaults (mean 0, std 1)."""
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return as_rng(rng).normal(mean, std, size=shape).astype(dtype, copy=False)


def uniform(shape, a: float = 0.0, b: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Uniform: w ~ U(a, b). torch's defaults (a=0, b=1)."""
    if b < a:
        raise ValueError(f"uniform needs a <= b, got a={a}, b={b}")
    return as_rng(rng).uniform(a, b, size=shape).astype(dtype, copy=False)


def xavier_uniform(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier uniform: w ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -a, a, rng=rng, dtype=dtype)


def xavier_normal(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier normal: w ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal(shape, 0.0, std, rng=rng, dtype=dtype)


def kaiming_uniform(
    shape, a: float = 0.0, nonlinearity: str = "relu", rng=None, dtype=np.float64
) -> np.ndarray:
    """He/Kaiming uniform (fan_in mode): w ~ U(-bound, bound), bound = gain * sqrt(3 / fan_in).

    ``gain = calculate_gain(nonlinearity, a)``: sqrt(2) for ReLU.
    """
    fan_in, _ = _fans(shape)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return uniform(shape, -bound, bound, rng=rng, dtype=dtype)


def kaiming_normal(
    shape, a: float = 0.0, nonlinearity: str = "relu", rng=None, dtype=np.float64
) -> np.ndarray:
    """He/Kaiming normal (fan_in mode): w ~ N(0, std^2), std = gain / sqrt(fan_in).

    ``gain = calculate_gain(nonlinearity, a)``: sqrt(2) for ReLU, so std = sqrt(2 / fan_in).
    """
    fan_in, _ = _fans(shape)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in)
    return normal(shape, 0.0, std, rng=rng, dtype=dtype)


he_uniform = kaiming_uniform
he_normal = kaiming_normal

#: The names ``Linear(init=...)`` accepts, each a function ``(shape, rng, dtype) -> array``.
#: "he" means He normal (std = sqrt(2 / fan_in)), "xavier" means Xavier uniform, "normal" is
#: N(0, 1) and "uniform" is U(0, 1) as in torch (pass a callable for other settings).
INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "zeros": zeros,
    "ones": ones,
    "normal": normal,
    "uniform": uniform,
    "xavier": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "he": kaiming_normal,
    "he_normal": kaiming_normal,
    "he_uniform": kaiming_uniform,
    "kaiming": kaiming_normal,
    "kaiming_normal": kaiming_normal,
    "kaiming_uniform": kaiming_uniform,
}


def get_initializer(init) -> Callable[..., np.ndarray]:
    """The initialiser ``init`` names (a key of ``INITIALIZERS``), or ``init`` itself if callable.

    What ``Linear(init=...)`` and ``Conv2d(init=...)`` accept; anything else is a named error.
    """
    if isinstance(init, str):
        if init not in INITIALIZERS:
            names = ", ".join(sorted(INITIALIZERS))
            raise ValueError(f"unknown init {init!r}; use one of: {names}, or a function")
        return INITIALIZERS[init]
    if callable(init):
        return init
    raise TypeError(f"init must be a name or a function, got {type(init).__name__}")
