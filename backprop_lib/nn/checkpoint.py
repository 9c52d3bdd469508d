"""Saving and loading a model's weights (and batch norm's running statistics).

A checkpoint is a plain ``.npz`` file with one array per name from
``model.named_parameters()`` and ``model.named_buffers()`` ("0.W", "0.b",
"1.running_mean", ...), written with ``np.savez`` and read with
``np.load(allow_pickle=False)``, so loading never runs code from the file. It stores values,
not the architecture: build the same model, then ``load`` into it (as torch's
``load_state_dict``). Used by the training notebooks (keep the best model) and early stopping.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .layers import Layer

__all__ = ["load", "load_state_dict", "save", "state_dict"]


def _entries(model: Layer) -> dict[str, np.ndarray]:
    """name -> the live array (parameters' data, then buffers), checking names are unique."""
    if not isinstance(model, Layer):
        raise TypeError(f"expected a Layer (e.g. a Sequential), got {type(model).__name__}")
    entries: dict[str, np.ndarray] = {}
    named = [(n, p.data) for n, p in model.named_parameters()] + model.named_buffers()
    for name, arr in named:
        if name in entries and entries[name] is not arr:
            raise ValueError(f"two different arrays are both named {name!r}; names must be unique")
        entries[name] = arr
    return entries


def state_dict(model: Layer) -> dict[str, np.ndarray]:
    """Copies of every parameter and buffer: ``{"0.W": array (in, out), ...}``.

    A snapshot in memory (e.g. the best weights so far); ``load_state_dict`` puts it back.
    """
    return {name: arr.copy() for name, arr in _entries(model).items()}


def load_state_dict(model: Layer, state: dict[str, np.ndarray]) -> None:
    """Copy ``state`` (name -> array) into the model's parameters and buffers, in place.

    Every name must match and every shape must agree; otherwise a ValueError lists the
    differences and nothing is changed. Values are cast to each parameter's dtype; gradients
    are left as they are. The Parameter objects stay the same, so an optimizer built on
    ``model.parameters()`` keeps working.
    """
    entries = _entries(model)
    state = {str(k): np.asarray(v) for k, v in state.items()}
    missing = sorted(set(entries) - set(state))
    unexpected = sorted(set(state) - set(entries))
    problems = []
    if missing:
        problems.append(f"missing from the checkpoint: {', '.join(missing)}")
    if unexpected:
        problems.append(f"not in the model: {', '.join(unexpected)}")
    for name in sorted(set(entries) & set(state)):
        if state[name].shape != entries[name].shape:
            problems.append(
                f"{name}: checkpoint shape {state[name].shape}, model shape {entries[name].shape}"
            )
        elif state[name].dtype.kind not in "fiub":
            problems.append(f"{name}: checkpoint dtype {state[name].dtype} is not numeric")
    if problems:
        raise ValueError(
            "the checkpoint does not fit this model (" + "; ".join(problems) + "); build the "
            "model with the same sizes and layers as the one that was saved"
        )
    for name, arr in entries.items():
        arr[...] = state[name]


def save(model: Layer, path: str | os.PathLike) -> Path:
    """Write the model's parameters and buffers to an ``.npz`` file.

    ``np.savez(path, **state_dict(model))``; ".npz" is appended if ``path`` lacks it.
    Returns the path written.
    """
    state = state_dict(model)
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, **state)
    return path


def load(model: Layer, path: str | os.PathLike) -> Layer:
    """Read a checkpoint written by ``save`` into ``model`` (in place) and return the model.

    Uses ``np.load(path, allow_pickle=False)``. Mismatched names or shapes raise a ValueError
    before any parameter changes (see ``load_state_dict``).
    """
    path = Path(path)
    if not path.exists() and path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with np.load(path, allow_pickle=False) as data:
        state = {name: data[name] for name in data.files}
    load_state_dict(model, state)
    return model
