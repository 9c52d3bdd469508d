"""Gradient checking: compare a backward pass with central finite differences.

The numerical gradient of f at x along an upstream gradient dout is
sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h) for each entry i; its error is O(h^2), so in
float64 with h = 1e-5 a correct backward agrees to a relative error of about 1e-8 or better,
while a wrong one is off by 1e-2 or more. Every layer, activation and loss test uses these,
and so do the notebooks' "check your backward pass" cells (CS231n's ``gradient_check.py`` is
the model).

Relative error (elementwise, then the max): |a - b| / max(1e-8, |a| + |b|).
Rule of thumb in float64: < 1e-7 correct; 1e-7 to 1e-4 suspicious; > 1e-2 a bug. Two
harmless causes land in between: a ReLU input within h of its kink, and a gradient entry
that is (nearly) 0, where the numerical gradient is only rounding (central differences
resolve an entry to ~1e-11), e.g. in a whole network with dropout or after batch norm. Use
float64: float32 rounding alone gives errors ~1e-3.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..checks import as_rng
from ..nn.layers import Layer
from ..nn.losses import Loss
from ..nn.parameter import Parameter

__all__ = [
    "gradcheck",
    "gradcheck_layer",
    "gradcheck_loss",
    "gradcheck_model",
    "numerical_gradient",
    "rel_error",
]


def rel_error(a, b) -> float:
    """Max relative error: max over entries of |a - b| / max(1e-8, |a| + |b|).

    a, b: arrays (or numbers) of the same shape. Returns a float in [0, 1] (0 for empty
    arrays); NaN if either holds a NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error got arrays of shapes {a.shape} and {b.shape}; compare gradients of "
            "the same shape (e.g. the analytic and numerical gradient of one parameter)"
        )
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float], x: np.ndarray, dout=None, h: float = 1e-5
) -> np.ndarray:
    """Central-difference gradient of sum(f(x) * dout) with respect to x.

    grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h).

    Parameters
    ----------
    f : function of x returning an array (any shape) or a number
        Called 2 * x.size times; it should read ``x`` (which is perturbed in place).
    x : float ndarray, any shape
        Perturbed in place, one entry at a time, and restored exactly afterwards; pass the
        array that ``f`` reads (e.g. ``layer.W.data``) to differentiate with respect to it.
    dout : array shaped like f(x), optional
        The upstream gradient dL/df(x); None means ones (the gradient of sum(f)).
    h : float
        The step; 1e-5 suits float64.

    Returns
    -------
    ndarray shaped like x, dtype float64.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            "numerical_gradient perturbs x in place, so x must be a float ndarray, got "
            f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of ' + str(x.dtype)}"
            "; use np.asarray(x, dtype=np.float64)"
        )
    if not h > 0:
        raise ValueError(f"the step h must be > 0, got {h}; 1e-5 suits float64")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view when x is contiguous
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous x; pass np.ascontiguousarray(x)")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.array(f(x), dtype=np.float64)  # a copy: f may return a cached array
        flat[i] = old - h
        minus = np.array(f(x), dtype=np.float64)
        flat[i] = old
        diff = plus - minus
        if dout is None:
            gflat[i] = np.sum(diff) / (2.0 * h)
        else:
            gflat[i] = np.sum(diff * dout) / (2.0 * h)
    return grad


# ---- saving and restoring everything a forward pass can change ----


def _finite(a, what: str, check: str) -> np.ndarray:
    """``a`` as a float64 copy, refused with a ValueError when it holds NaN or inf.

    Central differences of a NaN are NaN, so every relative error would come out NaN and
    read as "wrong" (``err < 1e-7`` is False) although the backward pass may be right.
    """
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{check} could not read {what} as numbers ({err}); pass an array of numbers"
        ) from None
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{check} got {what} with {int(bad.sum())} NaN or inf entries (the first at index "
            f"{first}); every relative error would be NaN. Check on clean data: drop or fill "
            "the bad rows first (e.g. keep = np.isfinite(X).all(axis=1); X, y = X[keep], y[keep])"
        )
    return arr


def _snapshot(layer: Layer) -> dict:
    """Copies of parameters, their grads, buffers and random generator states."""
    gens = []
    for m in layer.modules():
        gen = getattr(m, "rng", None)
        if isinstance(gen, np.random.Generator):
            gens.append((gen, gen.bit_generator.state))
    return {
        "params": [(p, p.data.copy(), p.grad.copy()) for p in layer.parameters()],
        "buffers": [(b, b.copy()) for _, b in layer.named_buffers()],
        "gens": gens,
    }


def _restore(snap: dict, params: bool = True) -> None:
    """Write a snapshot back in place (so optimizers' references stay valid)."""
    for buf, saved in snap["buffers"]:
        buf[...] = saved
    for gen, state in snap["gens"]:
        gen.bit_generator.state = state
    if params:
        for p, data, grad in snap["params"]:
            p.data[...] = data
            p.grad[...] = grad


def _unique_names(layer: Layer) -> list[tuple[str, Parameter]]:
    named = layer.named_parameters()
    seen: dict[int, str] = {}
    out = []
    for name, p in named:
        if id(p) in seen:  # a shared parameter: check it once, under its first name
            continue
        seen[id(p)] = name
        out.append((name, p))
    return out


def gradcheck_layer(layer: Layer, x, rng=0, h: float = 1e-5) -> dict[str, float]:
    """Check a layer's backward against central differences, input and every parameter.

    With a random upstream gradient dout (so no term can cancel), compares
    dx = layer.backward(dout) and each dL/dparam it accumulates with the numerical gradient
    of sum(layer.forward(x) * dout).

    The layer is checked in its current mode (``train()`` for batch norm's batch
    statistics). Before every forward the layer's buffers and random generators are restored,
    so ``BatchNorm1d``'s running statistics do not drift and ``Dropout`` draws the same mask
    each time (it reuses ``layer.rng``'s state). Afterwards every parameter, gradient, buffer
    and generator is back as it was (the forward cache holds a perturbed input: run forward
    again before calling backward yourself).

    Parameters
    ----------
    layer : Layer
    x : array (batch, features)
        Converted to a float64 copy; the caller's array is not changed.
    rng : numpy Generator, int seed or None
        Draws dout (standard normal, shaped like the output). Default 0: reproducible.
    h : float
        The finite-difference step.

    Returns
    -------
    dict
        ``{"x": error, "W": error, "b": error, ...}``: the max relative error of dL/dx and of
        each parameter's gradient, keyed by ``named_parameters()`` names.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"gradcheck_layer checks a Layer, got {type(layer).__name__}")
    x = _finite(x, "x", "gradcheck_layer")  # our own copy, perturbed in place
    snap = _snapshot(layer)
    try:
        y = np.array(layer.forward(x.copy()), dtype=np.float64)
        dout = as_rng(rng).standard_normal(y.shape)  # (same shape as y)

        # analytic: one forward and backward from the saved state, with zeroed gradients
        _restore(snap)
        layer.zero_grad()
        layer.forward(x.copy())
        dx = layer.backward(dout.copy())
        named = _unique_names(layer)
        analytic = {name: p.grad.copy() for name, p in named}

        def run(inp):  # a forward from the saved buffers and generator states
            _restore(snap, params=False)
            return layer.forward(inp)

        errors = {"x": rel_error(dx, numerical_gradient(run, x.copy(), dout, h))}
        _restore(snap)
        for name, p in named:  # numerical_gradient perturbs p.data in place
            errors[name] = rel_error(
                analytic[name], numerical_gradient(lambda _: run(x), p.data, dout, h)
            )
        return errors
    finally:
        _restore(snap)


def gradcheck_loss(loss: Loss, pred, target, h: float = 1e-5) -> float:
    """Check a loss's backward against central differences: max relative error of dL/dpred.

    Compares ``loss.backward()`` after ``loss.forward(pred, target)`` with the numerical
    gradient of the scalar loss, grad[i] = (L(pred + h e_i) - L(pred - h e_i)) / (2h).
    Afterwards the loss holds the gradient of the unperturbed ``pred`` again.

    Parameters
    ----------
    loss : Loss
    pred : array, e.g. (batch, outputs) or logits (batch, classes); used as a float64 copy
    target : array as ``loss`` expects (same shape, or int labels (batch,) for cross-entropy)
    h : float

    Returns
    -------
    float: the max relative error over the entries of dL/dpred.
    """
    if not isinstance(loss, Loss):
        raise TypeError(f"gradcheck_loss checks a Loss, got {type(loss).__name__}")
    pred = _finite(pred, "pred", "gradcheck_loss")
    loss.forward(pred.copy(), target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda p: loss.forward(p, target), pred, None, h)
    loss.forward(pred, target)  # leave the cache for the unperturbed prediction
    return rel_error(analytic, numeric)


def gradcheck_model(model: Layer, loss: Loss, x, y, h: float = 1e-5) -> dict[str, float]:
    """Check a whole network's backpropagation, one entry per named parameter.

    L = loss(model(x), y); compares the gradients that ``model.backward(loss.backward())``
    accumulates with (L(w + h) - L(w - h)) / (2h) for every weight w. A large error for one
    name (e.g. "2.b") points at the layer whose backward is wrong. State is restored as in
    ``gradcheck_layer`` (dropout reuses one mask; batch norm checks its batch statistics in
    training mode).

    Parameters
    ----------
    model : Layer, e.g. a Sequential
    loss : Loss
    x : array (batch, features); y : targets as ``loss`` expects
    h : float

    Returns
    -------
    dict ``{"0.W": error, "0.b": error, ...}`` of max relative errors.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"gradcheck_model checks a Layer, got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"gradcheck_model needs a Loss, got {type(loss).__name__}")
    x = _finite(x, "x", "gradcheck_model")
    if np.asarray(y).dtype.kind in "fc":
        _finite(y, "y", "gradcheck_model")
    snap = _snapshot(model)
    try:
        model.zero_grad()
        value = loss.forward(model.forward(x), y)
        if not np.isfinite(value):
            raise ValueError(
                f"gradcheck_model: the loss is {value} at the model's current weights, so every "
                "relative error would be NaN; check a model whose weights and outputs are finite "
                "(re-initialise it, or use a smaller learning rate before checking)"
            )
        model.backward(loss.backward())
        named = _unique_names(model)
        analytic = {name: p.grad.copy() for name, p in named}

        def f(_):
            _restore(snap, params=False)
            return loss.forward(model.forward(x), y)

        return {
            name: rel_error(analytic[name], numerical_gradient(f, p.data, None, h))
            for name, p in named
        }
    finally:
        _restore(snap)


def gradcheck(obj: Layer | Loss, x, y=None, loss: Loss | None = None, h: float = 1e-5) -> float:
    """One call for a notebook cell: the worst relative error of a layer, loss or model.

    - ``gradcheck(layer, x)``: max of ``gradcheck_layer(layer, x)`` (input and parameters);
    - ``gradcheck(loss, pred, target)``: ``gradcheck_loss(loss, pred, target)``;
    - ``gradcheck(model, x, y, loss=loss)``: max of ``gradcheck_model(model, loss, x, y)``.

    Returns a float; below 1e-7 in float64 means the backward pass is right.
    """
    if isinstance(obj, Loss):
        if y is None:
            raise ValueError("gradcheck(loss, pred, target) needs the target")
        return gradcheck_loss(obj, x, y, h=h)
    if loss is not None:
        if y is None:
            raise ValueError("gradcheck(model, x, y, loss=...) needs the targets y")
        errors = gradcheck_model(obj, loss, x, y, h=h)
    else:
        errors = gradcheck_layer(obj, x, h=h)
    return max(errors.values(), default=0.0)
