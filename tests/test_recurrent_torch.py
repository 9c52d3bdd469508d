"""Same numbers as PyTorch for the recurrent layers: RNN and Embedding vs torch (float64).

torch's ``nn.RNN(batch_first=True)`` stores ``weight_ih_l0 = W_xh.T`` and
``weight_hh_l0 = W_hh.T``, and two biases ``bias_ih_l0 + bias_hh_l0`` whose sum is our ``b``
(both get our db as their gradient). Skipped when torch is not installed (CI does not
install it).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop_lib import RNN, Embedding  # noqa: E402 (after the skip)

SEEDS = [0, 1, 2]


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def close(actual, expected):
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_matches_torch(seed, nonlinearity):
    rng = np.random.default_rng(seed)
    B, T, D, H = 3, 6, 4, 5
    rnn = RNN(D, H, nonlinearity=nonlinearity, rng=seed)
    ref = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
    b_ih = rng.normal(0, 0.3, H)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(t(rnn.W_xh.data.T))
        ref.weight_hh_l0.copy_(t(rnn.W_hh.data.T))
        ref.bias_ih_l0.copy_(t(b_ih))
        ref.bias_hh_l0.copy_(t(rnn.b.data - b_ih))  # the two biases add up to our b
    x, h0 = rng.normal(size=(B, T, D)), rng.normal(size=(B, H))
    d_out, d_last = rng.normal(size=(B, T, H)), rng.normal(size=(B, H))
    xt, h0t = t(x, grad=True), t(h0[None], grad=True)  # torch's h0 is (layers, batch, hidden)
    out_t, last_t = ref(xt, h0t)
    ((out_t * t(d_out)).sum() + (last_t[0] * t(d_last)).sum()).backward()
    out, last = rnn(x, h0)
    close(out, out_t)
    close(last, last_t[0])
    close(rnn.backward(d_out, d_last), xt.grad)
    close(rnn.grad_h0, h0t.grad[0])
    close(rnn.W_xh.grad, ref.weight_ih_l0.grad.T)
    close(rnn.W_hh.grad, ref.weight_hh_l0.grad.T)
    close(rnn.b.grad, ref.bias_ih_l0.grad)
    close(rnn.b.grad, ref.bias_hh_l0.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_embedding_matches_torch(seed):
    rng = np.random.default_rng(seed)
    emb = Embedding(7, 3, rng=seed)
    ref = torch.nn.Embedding(7, 3, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(t(emb.W.data))  # the same layout: (num_embeddings, dim)
    tokens = rng.integers(0, 7, size=(4, 9))  # repeats certain
    g = rng.normal(size=(4, 9, 3))
    yt = ref(torch.tensor(tokens))
    yt.backward(t(g))
    close(emb(tokens), yt)
    emb.backward(g)
    close(emb.W.grad, ref.weight.grad)
