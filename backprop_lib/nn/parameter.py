"""Parameter: a trainable array and the gradient that backpropagation accumulates into it.

Used by every layer (``layers.py``), every optimizer (``optimizers.py``) and, from the
notebooks, wherever a learner looks at ``.data`` and ``.grad`` side by side.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Parameter"]


class Parameter:
    """A trainable array with its gradient: what an optimizer updates.

    ``grad`` has the same shape and dtype as ``data``. It starts at zero, backward passes
    *add* into it (gradients accumulate, as in PyTorch), and ``zero_grad()`` resets it.

    Parameters
    ----------
    data : array_like of real numbers, any shape
        The initial values. Floating arrays keep their dtype; ints and bools become float64;
        anything else (complex, strings, objects) is a TypeError.
    name : str, optional
        A short label such as ``"W"`` or ``"b"``, shown in gradient checks and plots.
    dtype : numpy dtype, optional
        Force a floating dtype (``np.float32`` trains faster; gradient checks need float64).
    """

    __slots__ = ("data", "grad", "name")

    def __init__(self, data, name: str | None = None, dtype=None):
        try:
            arr = np.asarray(data)
        except ValueError:  # a ragged nested list
            arr = np.asarray(None)  # an object array: rejected just below
        if arr.dtype.kind not in "fiub":
            raise TypeError(
                f"Parameter data must be an array of real numbers, got dtype {arr.dtype}; "
                "convert it first, e.g. np.asarray(data, dtype=np.float64)"
            )
        if dtype is None:
            dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
        elif not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(
                f"Parameter dtype must be a floating type, got {np.dtype(dtype)}; "
                "use np.float64 (default) or np.float32"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Parameter name must be a str or None, got {type(name).__name__}")
        self.data = np.array(arr, dtype=dtype)  # a copy: the caller's array is never aliased
        self.grad = np.zeros_like(self.data)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data`` (and of ``grad``)."""
        return self.data.shape

    def zero_grad(self) -> None:
        """Reset the gradient to zero, in place (the array object is kept)."""
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Parameter({label}shape={self.data.shape}, dtype={self.data.dtype})"
