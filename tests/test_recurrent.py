"""Tests for backprop_lib.nn.recurrent: RNN (backpropagation through time), Embedding, LastHidden.

Every gradient is compared with central differences (``numerical_gradient``) on random shapes,
lengths and seeds, through both outputs of the RNN (every h_t and h_last) and the initial
state h0; truncated BPTT is compared with training on chunks; Embedding's gradient with the
sum over repeated tokens.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import (
    RNN,
    SGD,
    CrossEntropyLoss,
    Embedding,
    LastHidden,
    Linear,
    Sequential,
    clip_grad_norm,
    fit,
    numerical_gradient,
    rel_error,
)
from backprop_lib.data import make_memory_task

TOL = 1e-7


def grad_error(a, b) -> float:
    """rel_error, except that an entry is measured against the whole gradient's scale.

    Over many steps the gradient that reaches h0 or x_0 vanishes (entries of 1e-6 are common),
    and there central differences (which resolve ~1e-11 absolute on these losses of size ~10)
    give a large elementwise relative error from rounding alone; so each entry's denominator
    is at least 1e-3, or 1e-4 of the largest entry. Rounding then stays below ~1e-8, while a
    wrong backward is off by 1e-3 or more (each test was run against broken backward passes).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    floor = max(1e-3, 1e-4 * float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b)), initial=0.0))


fast = settings(max_examples=20, deadline=None, derandomize=True)
seeds = st.integers(0, 2**16)


def random_rnn(rng, D, H, nonlinearity="tanh", bias=True, truncate=None):
    rnn = RNN(D, H, nonlinearity=nonlinearity, bias=bias, rng=rng, truncate=truncate)
    rnn.W_xh.data[...] = rng.normal(0, 0.6, rnn.W_xh.shape)
    rnn.W_hh.data[...] = rng.normal(0, 1.0 / np.sqrt(H), rnn.W_hh.shape)
    if bias:
        rnn.b.data[...] = rng.normal(0, 0.3, H)
    return rnn


def bptt_errors(rnn, x, h0, d_out, d_last, use_outputs=True, use_last=True):
    """Max relative error of dx, dh0 and every parameter gradient vs central differences.

    L = sum(outputs * d_out) + sum(h_last * d_last) (each term only when used).
    """

    def loss_value(_=None):
        out, last = rnn.forward(x, h0)
        total = 0.0
        if use_outputs:
            total += np.sum(out * d_out)
        if use_last:
            total += np.sum(last * d_last)
        return total

    rnn.zero_grad()
    rnn.forward(x, h0)
    dx = rnn.backward(d_out if use_outputs else None, d_last if use_last else None)
    analytic = {"x": dx, "h0": rnn.grad_h0.copy()}
    analytic.update({name: p.grad.copy() for name, p in rnn.named_parameters()})
    numeric = {"x": numerical_gradient(loss_value, x), "h0": numerical_gradient(loss_value, h0)}
    for name, p in rnn.named_parameters():
        numeric[name] = numerical_gradient(loss_value, p.data)
    return {k: grad_error(analytic[k], numeric[k]) for k in analytic}


@fast
@given(
    batch=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    bias=st.booleans(),
    seed=seeds,
)
def test_bptt_matches_finite_differences(batch, T, D, H, nonlinearity, bias, seed):
    rng = np.random.default_rng(seed)
    rnn = random_rnn(rng, D, H, nonlinearity, bias)
    x, h0 = rng.normal(size=(batch, T, D)), rng.normal(0, 0.5, size=(batch, H))
    d_out, d_last = rng.normal(size=(batch, T, H)), rng.normal(size=(batch, H))
    if nonlinearity == "relu":  # keep every pre-activation away from relu's kink
        a_ok = _relu_margin(rnn, x, h0)
        if not a_ok:
            return
    errors = bptt_errors(rnn, x, h0, d_out, d_last)
    assert max(errors.values()) < TOL, errors


def _relu_margin(rnn, x, h0, margin=1e-3) -> bool:
    h = h0
    for t in range(x.shape[1]):
        a = x[:, t] @ rnn.W_xh.data + h @ rnn.W_hh.data
        if rnn.b is not None:
            a = a + rnn.b.data
        if np.min(np.abs(a)) < margin:
            return False
        h = np.maximum(a, 0)
    return True


@pytest.mark.parametrize("use_outputs, use_last", [(True, False), (False, True)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bptt_through_either_output_alone(use_outputs, use_last, seed):
    rng = np.random.default_rng(seed)
    rnn = random_rnn(rng, 3, 4)
    x, h0 = rng.normal(size=(2, 7, 3)), rng.normal(size=(2, 4))
    d_out, d_last = rng.normal(size=(2, 7, 4)), rng.normal(size=(2, 4))
    errors = bptt_errors(rnn, x, h0, d_out, d_last, use_outputs, use_last)
    assert max(errors.values()) < TOL, errors


def test_forward_is_the_recurrence_written_out():
    rng = np.random.default_rng(3)
    rnn = random_rnn(rng, 2, 3)
    x, h0 = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 3))
    out, last = rnn(x, h0)
    h = h0
    for t in range(5):
        h = np.tanh(x[:, t] @ rnn.W_xh.data + h @ rnn.W_hh.data + rnn.b.data)
        np.testing.assert_allclose(out[:, t], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(last, h, rtol=1e-12, atol=1e-14)
    out0, _ = rnn(x)  # h0 = 0 by default
    np.testing.assert_allclose(out0[:, 0], np.tanh(x[:, 0] @ rnn.W_xh.data + rnn.b.data))


def test_parameters_shapes_and_order_follow_the_contract():
    rnn = RNN(3, 5, rng=0)
    assert [p.name for p in rnn.parameters()] == ["W_xh", "W_hh", "b"]
    assert [p.shape for p in rnn.parameters()] == [(3, 5), (5, 5), (5,)]
    assert [n for n, _ in RNN(3, 5, bias=False, rng=0).named_parameters()] == ["W_xh", "W_hh"]
    k = 1 / np.sqrt(5)  # torch's U(-1/sqrt(hidden), 1/sqrt(hidden))
    assert all(np.abs(p.data).max() <= k for p in rnn.parameters())
    np.testing.assert_array_equal(RNN(3, 5, rng=0).W_hh.data, rnn.W_hh.data)  # seeded
    assert RNN(3, 5, dtype=np.float32, rng=0)(np.ones((1, 2, 3)))[0].dtype == np.float32


def test_gradients_accumulate_over_calls():
    rng = np.random.default_rng(4)
    rnn = random_rnn(rng, 2, 3)
    x, g = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 3))
    rnn(x)
    rnn.backward(g)
    once = rnn.W_hh.grad.copy()
    rnn(x)
    rnn.backward(g)
    np.testing.assert_allclose(rnn.W_hh.grad, 2 * once)


def test_grad_hidden_is_dL_dh_for_every_step():
    rng = np.random.default_rng(5)
    rnn = random_rnn(rng, 2, 3)
    x, d_last = rng.normal(size=(2, 6, 2)), rng.normal(size=(2, 3))
    rnn(x)
    rnn.backward(None, d_last)
    np.testing.assert_allclose(rnn.grad_hidden[:, -1], d_last)
    # dL/dh_2 by finite differences: perturb h_2 by running the rest of the sequence from it
    out, _ = rnn(x)
    h2 = out[:, 2].copy()

    def tail(h):
        return rnn.forward(x[:, 3:], h)[1]

    num = numerical_gradient(tail, h2, dout=d_last)
    assert rel_error(rnn.grad_hidden[:, 2], num) < TOL


# ---- truncated BPTT ----


@pytest.mark.parametrize("T, k", [(6, 2), (7, 3), (5, 1), (4, 4), (4, 9)])
def test_truncated_bptt_equals_training_on_detached_chunks(T, k):
    rng = np.random.default_rng(T * 10 + k)
    full = random_rnn(rng, 2, 3)
    x, h0 = rng.normal(size=(3, T, 2)), rng.normal(size=(3, 3))
    d_out, d_last = rng.normal(size=(3, T, 3)), rng.normal(size=(3, 3))
    full.truncate = k
    full(x, h0)
    dx = full.backward(d_out, d_last)
    # reference: one RNN per chunk of k steps, sharing the weights; each chunk starts from the
    # previous chunk's last state as a constant (no gradient flows into it)
    chunk = RNN(2, 3, rng=0)
    chunk.W_xh, chunk.W_hh, chunk.b = full.W_xh, full.W_hh, full.b
    ref_grads = {name: np.zeros(p.shape) for name, p in full.named_parameters()}
    ref_dx = np.zeros_like(x)
    h = h0
    starts = list(range(0, T, k))
    for start in starts:
        sl = slice(start, min(start + k, T))
        saved = [p.grad.copy() for p in full.parameters()]
        for p in full.parameters():
            p.zero_grad()
        out, last = chunk(x[:, sl], h)
        g_last = d_last if start == starts[-1] else None
        ref_dx[:, sl] = chunk.backward(d_out[:, sl], g_last)
        for (name, p), s in zip(full.named_parameters(), saved, strict=True):
            ref_grads[name] += p.grad
            p.grad[...] = s
        h = last
    # full's own grads were restored after each chunk: they hold the truncated backward's
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12)
    for name, p in full.named_parameters():
        np.testing.assert_allclose(p.grad, ref_grads[name], rtol=1e-10, atol=1e-12)


def test_truncation_stops_the_gradient_k_steps_back():
    rng = np.random.default_rng(6)
    rnn = random_rnn(rng, 2, 3, truncate=3)
    x, d_last = rng.normal(size=(2, 9, 2)), rng.normal(size=(2, 3))
    rnn(x)
    dx = rnn.backward(None, d_last)  # loss on h_last only: the last chunk is steps 6, 7, 8
    assert np.all(dx[:, :6] == 0) and np.all(np.abs(dx[:, 6:]) > 0)
    assert np.all(rnn.grad_h0 == 0)
    rnn.truncate = None  # full BPTT reaches every step
    rnn(x)
    assert np.all(np.abs(rnn.backward(None, d_last)) > 0)


def test_truncate_must_be_a_positive_int():
    with pytest.raises(ValueError, match="truncate"):
        RNN(2, 3, truncate=0)
    with pytest.raises(TypeError, match="truncate"):
        RNN(2, 3, truncate=2.5)


# ---- errors ----


def test_rnn_errors_name_the_problem_before_any_state_changes():
    rnn = RNN(3, 4, rng=0)
    with pytest.raises(ValueError, match=re.escape("expects a 3-D batch (batch, time, features)")):
        rnn(np.ones((5, 3)))
    with pytest.raises(ValueError, match="got x with 2 features per step"):
        rnn(np.ones((5, 6, 2)))
    with pytest.raises(ValueError, match="empty"):
        rnn(np.ones((5, 0, 3)))
    with pytest.raises(TypeError, match="float array"):
        rnn(np.array([[["a", "b", "c"]]]))
    with pytest.raises(ValueError, match=re.escape("h0 with shape (4,)")):
        rnn(np.ones((2, 3, 3)), h0=np.zeros(4))
    with pytest.raises(RuntimeError, match="before forward"):
        rnn.backward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        RNN(3, 0)
    rnn(np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match=re.escape("must match the output of the last forward")):
        rnn.backward(np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="grad_h_last"):
        rnn.backward(None, np.ones((2, 5)))
    with pytest.raises(ValueError, match="got neither"):
        rnn.backward(None)
    assert np.all(rnn.W_hh.grad == 0)  # nothing was accumulated by the failed calls


# ---- Embedding ----


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_embedding_gradient_adds_up_over_repeated_tokens(seed):
    rng = np.random.default_rng(seed)
    emb = Embedding(5, 3, rng=seed)
    tokens = np.array([[1, 1, 4, 1], [0, 4, 1, 2]])  # token 1 four times, 4 twice, 3 never
    g = rng.normal(size=(2, 4, 3))
    emb(tokens)
    assert emb.backward(g) is None
    np.testing.assert_allclose(emb.W.grad[1], g[0, 0] + g[0, 1] + g[0, 3] + g[1, 2])
    np.testing.assert_allclose(emb.W.grad[4], g[0, 2] + g[1, 1])
    np.testing.assert_array_equal(emb.W.grad[3], 0)

    def f(_):
        return emb.forward(tokens)

    assert rel_error(emb.W.grad, numerical_gradient(f, emb.W.data, dout=g)) < TOL


def test_embedding_is_a_lookup_in_the_contract_shapes():
    emb = Embedding(6, 2, rng=0)
    tokens = np.array([[5, 0, 3]])
    y = emb(tokens)
    assert y.shape == (1, 3, 2)
    np.testing.assert_array_equal(y[0], emb.W.data[[5, 0, 3]])
    np.testing.assert_array_equal(emb(tokens.astype(float)), y)  # whole floats, as fit passes
    assert emb.parameters() == [emb.W] and emb.W.shape == (6, 2)


def test_embedding_errors():
    emb = Embedding(4, 2, rng=0)
    with pytest.raises(ValueError, match=re.escape("token id 4, outside [0, 3]")):
        emb(np.array([[0, 4]]))
    with pytest.raises(ValueError, match="token id -1"):
        emb(np.array([[-1, 2]]))
    with pytest.raises(TypeError, match="integer token ids, got 1.5"):
        emb(np.array([[1.5, 2.0]]))
    with pytest.raises(TypeError, match="integer token ids"):
        emb(np.array([[np.nan, 2.0]]))
    with pytest.raises(TypeError, match="dtype bool"):
        emb(np.array([[True, False]]))
    with pytest.raises(TypeError, match="dtype <U"):
        emb(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=re.escape("tokens.reshape(1, -1)")):
        emb(np.array([1, 2]))
    with pytest.raises(RuntimeError, match="before forward"):
        Embedding(4, 2).backward(np.ones((1, 2, 2)))
    emb(np.array([[0, 1]]))
    with pytest.raises(ValueError, match="grad_y with shape"):
        emb.backward(np.ones((1, 2, 3)))


# ---- composing: LastHidden in a Sequential, trained by fit, with clipping ----


def test_last_hidden_in_a_sequential_matches_finite_differences():
    rng = np.random.default_rng(7)
    rnn = random_rnn(rng, 3, 4)
    model = Sequential(Embedding(6, 3, rng=1), LastHidden(rnn), Linear(4, 2, rng=2))
    tokens = rng.integers(0, 6, size=(5, 7))
    y = rng.integers(0, 2, size=5)
    loss = CrossEntropyLoss()
    model.zero_grad()
    loss.forward(model(tokens), y)
    model.backward(loss.backward())
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.W", "1.rnn.W_xh", "1.rnn.W_hh", "1.rnn.b", "2.W", "2.b"]
    for name, p in model.named_parameters():

        def f(_):
            return loss.forward(model.forward(tokens), y)

        analytic = p.grad.copy()
        assert rel_error(analytic, numerical_gradient(f, p.data)) < TOL, name


def test_fit_trains_a_sequence_classifier_and_clipping_tames_an_explosion():
    X, y = make_memory_task(128, 12, rng=0)

    def model_with_scale(scale):
        rng = np.random.default_rng(0)
        rnn = RNN(4, 16, nonlinearity="relu", rng=rng)
        q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
        rnn.W_hh.data[...] = scale * q
        return Sequential(Embedding(8, 4, rng=rng), LastHidden(rnn), Linear(16, 2, rng=rng))

    runs = {}
    for clip in [None, 1.0]:
        model = model_with_scale(3.0)
        opt = SGD(model.parameters(), lr=0.5, momentum=0.9)
        runs[clip] = fit(model, CrossEntropyLoss(), opt, X, y, epochs=60, clip_grad_norm=clip)
    assert runs[None].diverged
    assert not runs[1.0].diverged and runs[1.0].accuracy[-1] == 1.0


def test_clip_grad_norm_applies_to_the_rnn_parameters():
    rng = np.random.default_rng(8)
    rnn = random_rnn(rng, 2, 3)
    rnn(rng.normal(size=(2, 5, 2)))
    rnn.backward(100 * rng.normal(size=(2, 5, 3)))
    before = clip_grad_norm(rnn.parameters(), 1.0)
    after = np.sqrt(sum(np.sum(p.grad**2) for p in rnn.parameters()))
    assert before > 1.0 and after == pytest.approx(1.0, rel=1e-5)
