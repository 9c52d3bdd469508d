"""Recurrent layers: ``RNN`` (backpropagation through time) and ``Embedding`` (tokens to vectors).

An RNN applies *one* cell, with *one* set of weights, at every time step:

    h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b),    h_{-1} = h0 (zeros by default).

Unrolled over T steps it is an ordinary computational graph, T copies of the cell that share
their weights, so its backward pass is ordinary backpropagation run through that graph: one
loop over ``reversed(range(T))`` (min-char-rnn's loop), where the gradients of the shared
weights add up over the steps. That is all "backpropagation through time" (BPTT) means.

- ``RNN``: batch first, ``x (batch, time, input_size) -> (outputs (batch, time, hidden),
  h_last (batch, hidden))``, with truncated BPTT as an option (``truncate=k``).
- ``Embedding``: integer tokens ``(batch, time) -> (batch, time, embedding_dim)``, a lookup
  whose gradient adds up over repeated tokens.
- ``LastHidden``: wraps an ``RNN`` so that it returns only ``h_last``, so that a
  ``Sequential`` can hold it: ``Sequential(Embedding(V, 8), LastHidden(RNN(8, 16)),
  Linear(16, 2))`` classifies sequences.

Gradient clipping is not part of the layer: clip after ``backward`` with
``backprop_lib.optim.clip_grad_norm(model.parameters(), max_norm)`` (or
``fit(..., clip_grad_norm=max_norm)``), as in torch. Used by the sequences notebook (13).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_numbers, as_rng, check_count, check_float_dtype, check_grad, check_size
from .layers import Layer
from .parameter import Parameter

__all__ = ["RNN", "Embedding", "LastHidden", "as_sequence", "as_tokens"]

NONLINEARITIES = ("tanh", "relu")


def as_sequence(x, layer: str, features: int, dtype=np.float64) -> np.ndarray:
    """Check that ``x`` is a numeric batch ``(batch, time, features)``; return it as ``dtype``."""
    x = as_numbers(x, layer, f"a 3-D array (batch, time, {features})")
    if x.ndim != 3:
        if x.ndim == 2:
            fix = (
                f"for one sequence use x.reshape(1, -1, {features}); for integer tokens put "
                "an Embedding first"
            )
        else:
            fix = f"pass an array of shape (batch, time, {features})"
        raise ValueError(
            f"{layer} expects a 3-D batch (batch, time, features), got x with shape "
            f"{x.shape}; {fix}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"{layer} got an empty batch or sequence (shape {x.shape}); it needs at least one "
            "sequence of at least one step"
        )
    if x.shape[2] != features:
        raise ValueError(
            f"{layer} got x with {x.shape[2]} features per step (shape {x.shape}); "
            f"expected (batch, time, {features})"
        )
    return x.astype(dtype, copy=False)


def as_tokens(tokens, layer: str, num_embeddings: int) -> np.ndarray:
    """Check that ``tokens`` is a 2-D array of token ids in [0, num_embeddings); return int64.

    Floats are accepted when every value is a whole number (``fit`` passes its X as floats);
    1.5, NaN, bools and strings are a TypeError; ids out of range are a ValueError.
    """
    arr = np.asarray(tokens)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{layer} expects integer token ids, got dtype {arr.dtype}; map each token to an "
            "int first (e.g. with backprop_lib.data.encode_texts)"
        )
    if arr.ndim != 2:
        fix = "use tokens.reshape(1, -1) for one sequence" if arr.ndim == 1 else ""
        raise ValueError(
            f"{layer} expects tokens of shape (batch, time), got shape {arr.shape}"
            + (f"; {fix}" if fix else "")
        )
    if arr.size == 0:
        raise ValueError(f"{layer} got an empty batch of tokens (shape {arr.shape})")
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            bad = float(arr[~whole].flat[0])
            raise TypeError(
                f"{layer} expects integer token ids, got {bad!r}; tokens are indices into the "
                "embedding table, so they must be whole numbers"
            )
    ids = arr.astype(np.int64)
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= num_embeddings:
        bad = low if low < 0 else high
        raise ValueError(
            f"{layer} got token id {bad}, outside [0, {num_embeddings - 1}] (the table has "
            f"{num_embeddings} rows); build the layer with num_embeddings = vocabulary size"
        )
    return ids


class RNN(Layer):
    """A simple (Elman) recurrent layer: h_t = f(x_t @ W_xh + h_{t-1} @ W_hh + b), over time.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of each step's input x_t and of the hidden state h_t.
    nonlinearity : "tanh" (default) or "relu"
        f, as torch's ``nn.RNN(nonlinearity=...)``.
    bias : bool
        Whether to add ``b``.
    rng : numpy Generator, int seed or None
        Draws every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), torch's
        default for ``nn.RNN``.
    dtype : numpy floating dtype
        float64 (default; gradient checks need it) or float32.
    truncate : int or None
        Truncated BPTT: with ``truncate=k`` the backward pass does not carry the gradient from
        step t back to step t - 1 when t (counted from 0) is a positive multiple of k, i.e.
        between steps k - 1 and k, 2k - 1 and 2k, ...; no gradient travels back across those
        boundaries. This is exactly what training on chunks of k steps computes when each
        chunk starts from the previous chunk's last state taken as a constant (torch's
        ``h.detach()``). None (default): full BPTT. It can be changed between backward passes.

    Shapes (batch first, as torch's ``batch_first=True``): x (batch, time, input_size),
    h0 (batch, hidden_size) -> outputs (batch, time, hidden_size) (every h_t) and h_last
    (batch, hidden_size) (= outputs[:, -1]). ``parameters() == [W_xh, W_hh, b]`` with W_xh
    (input_size, hidden_size), W_hh (hidden_size, hidden_size), b (hidden_size,). torch
    stores the transposes, ``weight_ih_l0 = W_xh.T`` and ``weight_hh_l0 = W_hh.T``, and two
    biases whose sum is our b.

    Backward, ``backward(grad_outputs, grad_h_last=None) -> dL/dx``, one loop over reversed
    time. With dh_next the gradient that step t + 1 sends back to h_t (zero, or grad_h_last,
    at the last step):

        dh   = grad_outputs[:, t] + dh_next      dL/dh_t: from the output and from the future
        da   = dh * f'(a_t)                      through the nonlinearity (tanh: 1 - h_t^2)
        dW_xh += x_t.T @ da,   dW_hh += h_{t-1}.T @ da,   db += da.sum(axis=0)
        dx_t = da @ W_xh.T,    dh_next = da @ W_hh.T      to the input, and back to h_{t-1}

    After backward, ``grad_hidden`` (batch, time, hidden) holds every dL/dh_t (the ``dh`` of
    each step) and ``grad_h0`` (batch, hidden) the gradient for h0.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        rng=None,
        dtype=np.float64,
        truncate: int | None = None,
    ):
        self.input_size = check_size(input_size, "RNN input_size")
        self.hidden_size = check_size(hidden_size, "RNN hidden_size")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"RNN nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}"
            )
        check_float_dtype(dtype)
        self.nonlinearity = nonlinearity
        self.truncate = truncate
        gen = as_rng(rng)
        k = 1.0 / math.sqrt(self.hidden_size)
        H = self.hidden_size
        self.W_xh = Parameter(gen.uniform(-k, k, (self.input_size, H)), name="W_xh", dtype=dtype)
        self.W_hh = Parameter(gen.uniform(-k, k, (H, H)), name="W_hh", dtype=dtype)
        self.b = Parameter(gen.uniform(-k, k, H), name="b", dtype=dtype) if bias else None
        self._cache = None  # (x, h0, hs): set by forward
        self.grad_hidden = None
        self.grad_h0 = None

    @property
    def truncate(self) -> int | None:
        """Truncated BPTT's window k (None: full BPTT)."""
        return self._truncate

    @truncate.setter
    def truncate(self, k) -> None:
        self._truncate = None if k is None else check_count(k, "RNN truncate (steps)", 1)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        named = [("W_xh", self.W_xh), ("W_hh", self.W_hh)]
        return named + [("b", self.b)] if self.b is not None else named

    def _name(self) -> str:
        return f"RNN({self.input_size} -> {self.hidden_size})"

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None):
        """Run the cell over every step. Returns ``(outputs, h_last)``; see the class docstring."""
        dtype = self.W_hh.data.dtype
        x = as_sequence(x, self._name(), self.input_size, dtype)  # (B, T, D)
        B, T, _ = x.shape
        H = self.hidden_size
        if h0 is None:
            h0 = np.zeros((B, H), dtype=dtype)
        else:
            h0 = np.asarray(h0)
            if h0.shape != (B, H) or h0.dtype.kind not in "fiub":
                raise ValueError(
                    f"{self._name()} got h0 with shape {h0.shape} (dtype {h0.dtype}); it must be "
                    f"a numeric array of shape (batch, hidden) = ({B}, {H}), or None for zeros"
                )
            h0 = h0.astype(dtype, copy=False)
        W_xh, W_hh = self.W_xh.data, self.W_hh.data
        hs = np.empty((B, T, H), dtype=dtype)  # every h_t
        h = h0
        for t in range(T):
            a = x[:, t] @ W_xh + h @ W_hh  # (B, H) the pre-activation a_t
            if self.b is not None:
                a += self.b.data
            h = np.tanh(a) if self.nonlinearity == "tanh" else np.maximum(a, 0.0)
            hs[:, t] = h
        self._cache = (x, h0, hs)
        return hs.copy(), h.copy()  # copies: the caller may change them, the cache stays

    def __call__(self, x: np.ndarray, h0: np.ndarray | None = None):
        return self.forward(x, h0)

    def backward(self, grad_outputs, grad_h_last=None) -> np.ndarray:
        """Backpropagation through time: dL/d(outputs) and dL/d(h_last) -> dL/dx.

        grad_outputs : (batch, time, hidden) or None (the outputs were not used: zeros)
        grad_h_last : (batch, hidden) or None (h_last was not used)
        Returns dL/dx (batch, time, input_size); adds into W_xh.grad, W_hh.grad and b.grad.
        """
        self._need_forward(self._cache)
        x, h0, hs = self._cache
        B, T, H = hs.shape
        if grad_outputs is None and grad_h_last is None:
            raise ValueError(
                f"{self._name()}.backward needs grad_outputs, grad_h_last or both; got neither"
            )
        if grad_outputs is not None:
            grad_outputs = check_grad(grad_outputs, (B, T, H), self._name())
        dh_next = np.zeros((B, H), dtype=hs.dtype)  # what step t + 1 sends back to h_t
        if grad_h_last is not None:
            dh_next = dh_next + check_grad(grad_h_last, (B, H), f"{self._name()} (grad_h_last)")
        W_xh, W_hh = self.W_xh.data, self.W_hh.data
        dx = np.zeros_like(x)
        grad_hidden = np.zeros_like(hs)
        for t in reversed(range(T)):
            dh = dh_next if grad_outputs is None else grad_outputs[:, t] + dh_next  # dL/dh_t
            grad_hidden[:, t] = dh
            h_prev = hs[:, t - 1] if t > 0 else h0
            if self.nonlinearity == "tanh":
                da = dh * (1.0 - hs[:, t] ** 2)  # tanh'(a_t) = 1 - h_t^2
            else:
                da = dh * (hs[:, t] > 0)  # relu'(a_t) = 1 where h_t > 0
            self.W_xh.grad += x[:, t].T @ da  # (D, H)
            self.W_hh.grad += h_prev.T @ da  # (H, H)
            if self.b is not None:
                self.b.grad += da.sum(axis=0)  # (H,)
            dx[:, t] = da @ W_xh.T  # (B, D)
            dh_next = da @ W_hh.T  # (B, H): back to h_{t-1}
            if self.truncate is not None and t > 0 and t % self.truncate == 0:
                dh_next = np.zeros_like(dh_next)  # truncated BPTT: h_{t-1} taken as a constant
        self.grad_hidden = grad_hidden
        self.grad_h0 = dh_next
        return dx

    def __repr__(self) -> str:
        extra = f", truncate={self.truncate}" if self.truncate is not None else ""
        return (
            f"RNN({self.input_size} -> {self.hidden_size}, nonlinearity={self.nonlinearity!r}, "
            f"bias={self.b is not None}{extra})"
        )


class Embedding(Layer):
    """A lookup table: token id i -> row i of W. y[n, t] = W[tokens[n, t]].

    Parameters
    ----------
    num_embeddings : int
        The vocabulary size V: token ids go from 0 to V - 1.
    embedding_dim : int
        The size D of each token's vector.
    rng : numpy Generator, int seed or None
        W is drawn from N(0, 1), torch's default for ``nn.Embedding``.
    dtype : numpy floating dtype

    Shapes: tokens (batch, time) of ints -> y (batch, time, D); W (V, D).
    ``parameters() == [W]``. Looking up row i is the same as multiplying a one-hot vector
    by W, so the gradient of row i is the sum of the upstream gradients of every position
    that holds token i: ``np.add.at(W.grad, tokens, grad_y)`` (a plain ``W.grad[tokens] +=``
    would keep only one of the repeats). ``backward`` returns None: there is no gradient for
    integer ids (as in torch).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, rng=None, dtype=np.float64):
        self.num_embeddings = check_size(num_embeddings, "Embedding num_embeddings")
        self.embedding_dim = check_size(embedding_dim, "Embedding embedding_dim")
        check_float_dtype(dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        self.W = Parameter(as_rng(rng).standard_normal(shape), name="W", dtype=dtype)
        self._tokens = None

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("W", self.W)]

    def forward(self, tokens) -> np.ndarray:
        name = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        ids = as_tokens(tokens, name, self.num_embeddings)  # (B, T)
        self._tokens = ids
        return self.W.data[ids]  # (B, T, D): a new array

    def backward(self, grad_y: np.ndarray) -> None:
        ids = self._tokens
        self._need_forward(ids)
        name = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        grad_y = check_grad(grad_y, (*ids.shape, self.embedding_dim), name)
        np.add.at(self.W.grad, ids, grad_y)  # repeated tokens: their gradients add up
        return None

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


class LastHidden(Layer):
    """An adapter that keeps only an RNN's last hidden state: x -> h_last.

    ``RNN.forward`` returns a pair ``(outputs, h_last)``, and a ``Sequential`` passes one
    array from layer to layer; ``LastHidden(rnn)`` returns ``h_last`` alone (batch, hidden),
    and its backward calls ``rnn.backward(None, grad_h_last)``. For a classifier of whole
    sequences: ``Sequential(Embedding(V, D), LastHidden(RNN(D, H)), Linear(H, C))``.
    Its parameters are the RNN's, named ``"rnn.W_xh"``, ...
    """

    def __init__(self, rnn: RNN):
        if not isinstance(rnn, RNN):
            raise TypeError(f"LastHidden wraps an RNN, got {type(rnn).__name__}")
        self.rnn = rnn

    def named_children(self) -> list[tuple[str, Layer]]:
        return [("rnn", self.rnn)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.rnn.forward(x)[1]  # (B, H)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return self.rnn.backward(None, grad_y)  # (B, T, D)

    def __repr__(self) -> str:
        return f"LastHidden({self.rnn!r})"
