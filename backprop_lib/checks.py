"""Argument checks shared across the library: each returns the value cleaned, or raises.

Every public function of the library checks its input before it changes any state, and a
bad value gets a ``ValueError`` or ``TypeError`` that names the thing and the fix. The checks
that several modules make live here, once:

- ``as_rng``: a Generator, an int seed or None, as a numpy Generator;
- ``check_count``, ``check_size``, ``check_number``, ``check_float_dtype``: arguments;
- ``as_numbers``, ``as_batch``, ``check_grad``: a layer's input and the gradient its backward
  gets;
- ``as_float_array``, ``same_shape``: a loss's predictions and targets.

A new layer or loss uses these, so its errors read like every other one's.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_numbers",
    "check_float_dtype",
    "as_batch",
    "as_float_array",
    "as_rng",
    "check_count",
    "check_grad",
    "check_number",
    "check_size",
    "same_shape",
]


def as_rng(rng) -> np.random.Generator:
    """``rng`` as a Generator: a Generator (used as it is), an int seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}; "
        "pass rng=np.random.default_rng(0)"
    )


def check_count(n, what: str, minimum: int = 1) -> int:
    """``n`` as an int >= ``minimum`` (a count: examples, epochs, a patience, a batch size)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {n!r} ({type(n).__name__})")
    if n < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {n}")
    return int(n)


def check_size(value, what: str) -> int:
    """``value`` as a positive int (a number of features, units or channels)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be a positive int, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{what} must be a positive int (a number of features), got {value}")
    return int(value)


def check_number(value, what: str, default: float) -> float:
    """A real number (not a bool, not a string), as a float; the range is checked by the caller."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{what} must be a number, got {value!r} ({type(value).__name__}); "
            f"the default is {default}"
        )
    return float(value)


def as_numbers(x, layer: str, expected: str) -> np.ndarray:
    """``x`` as a numeric array (ints, bools and floats; lists are read as float64).

    ``expected`` describes the shape the layer wants, e.g. "a 2-D array (batch, features)",
    for the message when ``x`` cannot be read as numbers. Shapes are checked by the caller.
    """
    fix_type = "convert it with np.asarray(x, dtype=np.float64)"
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:  # strings, ragged nested lists, ...
            raise TypeError(
                f"{layer} could not read x as numbers ({err}); pass {expected} of numbers: "
                f"{fix_type}"
            ) from None
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{layer} expects a float array, got dtype {x.dtype}; {fix_type}")
    return x


def as_batch(x, layer: str, features: int | None = None, dtype=np.float64) -> np.ndarray:
    """Check that ``x`` is a 2-D numeric batch ``(batch, features)``; return it as ``dtype``.

    ``dtype`` is the layer's own (its parameters'), so a float32 layer computes in float32
    even when it is given the float64 arrays the datasets hold (and vice versa).
    """
    x = as_numbers(x, layer, "a 2-D array (batch, features)")
    if x.ndim != 2:
        if x.ndim == 1:
            fix = "use x.reshape(1, -1) for one example, or x.reshape(-1, 1) for N numbers"
        elif x.ndim > 2:
            fix = "use x.reshape(x.shape[0], -1) to flatten each example into a row"
        else:
            fix = "pass an array of shape (batch, features)"
        raise ValueError(
            f"{layer} expects a 2-D batch (batch, features), got x with shape {x.shape}; {fix}"
        )
    if features is not None and x.shape[1] != features:
        raise ValueError(
            f"{layer} got x with {x.shape[1]} features (shape {x.shape}); "
            f"expected (batch, {features})"
        )
    return x.astype(dtype, copy=False)  # no copy when x already has the layer's dtype


def check_grad(grad_y, expected: tuple[int, ...], layer: str) -> np.ndarray:
    """``grad_y`` as an array, checked to have the shape of the layer's last output."""
    grad_y = np.asarray(grad_y)
    if grad_y.shape != expected:
        raise ValueError(
            f"{layer}.backward got grad_y with shape {grad_y.shape}; it must match the output of "
            f"the last forward, {expected}"
        )
    return grad_y


def as_float_array(a, what: str, loss: str) -> np.ndarray:
    """``a`` as a floating array (ints and bools become float64); other dtypes are a TypeError."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{loss} {what} must be numeric, got dtype {arr.dtype}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def same_shape(pred, target, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """``(pred, target)`` as floating arrays of one shape, target in pred's dtype and finite."""
    pred = as_float_array(pred, "pred", loss)
    target = as_float_array(target, "target", loss)
    if pred.shape != target.shape:
        fix = ""
        if target.ndim == 1 and pred.shape == (target.shape[0], 1):
            fix = "; reshape it with target.reshape(-1, 1)"
        raise ValueError(
            f"{loss} got pred with shape {pred.shape} and target with shape {target.shape}; "
            f"they must have the same shape{fix}"
        )
    if pred.size == 0:
        raise ValueError(f"{loss} got an empty batch (pred shape {pred.shape})")
    target = target.astype(pred.dtype, copy=False)  # float32 predictions: a float32 gradient
    if not np.isfinite(target).all():
        raise ValueError(f"{loss} target contains NaN or inf; clean the labels before training")
    return pred, target


def check_float_dtype(dtype) -> np.dtype:
    """``dtype`` as a numpy floating dtype (float64, float32); anything else is a TypeError."""
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype must be np.float64 or np.float32, got {np.dtype(dtype)}")
    return np.dtype(dtype)
