"""Same numbers as PyTorch: layers and losses compared with torch autograd (float64).

What learners practise here should carry over to torch unchanged, so forward values,
gradients and batch norm's running statistics are compared with torch's. Skipped when torch
is not installed (CI does not install it).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop_lib import (  # noqa: E402 (after the skip)
    BatchNorm1d,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    LeakyReLU,
    Linear,
    MSELoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from backprop_lib.nn import init  # noqa: E402

SEEDS = [0, 1, 2]


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def close(actual, expected, **kw):
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, **kw)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_matches_torch(seed):
    rng = np.random.default_rng(seed)
    layer = Linear(4, 3, rng=seed)
    layer.b.data[...] = rng.normal(size=3)
    ref = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(t(layer.W.data.T))  # torch stores (out, in)
        ref.bias.copy_(t(layer.b.data))
    x, dy = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    xt = t(x, grad=True)
    yt = ref(xt)
    yt.backward(t(dy))
    close(layer(x), yt)
    close(layer.backward(dy), xt.grad)
    close(layer.W.grad, ref.weight.grad.T)
    close(layer.b.grad, ref.bias.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_batchnorm_matches_torch_in_train_and_eval(seed):
    rng = np.random.default_rng(seed)
    bn = BatchNorm1d(3, eps=1e-3, momentum=0.2)
    ref = torch.nn.BatchNorm1d(3, eps=1e-3, momentum=0.2, dtype=torch.float64)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    bn.gamma.data[...], bn.beta.data[...] = gamma, beta
    with torch.no_grad():
        ref.weight.copy_(t(gamma))
        ref.bias.copy_(t(beta))
    for n in (4, 6, 5):  # several batches: the running statistics follow the same rule
        x, dy = rng.normal(1.0, 2.0, size=(n, 3)), rng.normal(size=(n, 3))
        xt = t(x, grad=True)
        yt = ref(xt)
        yt.backward(t(dy))
        close(bn(x), yt)
        close(bn.backward(dy), xt.grad)
    close(bn.gamma.grad, ref.weight.grad)
    close(bn.beta.grad, ref.bias.grad)
    close(bn.running_mean, ref.running_mean)
    close(bn.running_var, ref.running_var)
    bn.eval()
    ref.eval()
    x, dy = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    xt = t(x, grad=True)
    yt = ref(xt)
    yt.backward(t(dy))
    close(bn(x), yt)
    close(bn.backward(dy), xt.grad)


def loss_and_grad_torch(fn, pred, target):
    pt = t(pred, grad=True)
    value = fn(pt, target)
    value.backward()
    return value.item(), pt.grad.numpy()


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_matches_torch(seed, scale):
    rng = np.random.default_rng(seed)
    z, y = scale * rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    expected, grad = loss_and_grad_torch(torch.nn.CrossEntropyLoss(), z, torch.tensor(y))
    loss = CrossEntropyLoss()
    assert loss(z, y) == pytest.approx(expected, rel=1e-12)
    close(loss.backward(), grad)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_bce_with_logits_matches_torch(seed, scale):
    rng = np.random.default_rng(seed)
    z, y = scale * rng.normal(size=(6, 2)), rng.integers(0, 2, size=(6, 2)).astype(float)
    expected, grad = loss_and_grad_torch(torch.nn.BCEWithLogitsLoss(), z, t(y))
    loss = BCEWithLogitsLoss()
    assert loss(z, y) == pytest.approx(expected, rel=1e-12)
    close(loss.backward(), grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_mse_and_bce_match_torch(seed):
    rng = np.random.default_rng(seed)
    pred, target = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    expected, grad = loss_and_grad_torch(torch.nn.MSELoss(), pred, t(target))
    loss = MSELoss()
    assert loss(pred, target) == pytest.approx(expected, rel=1e-12)
    close(loss.backward(), grad)
    p = np.concatenate([rng.uniform(0.01, 0.99, size=(4, 2)), [[0.0, 1.0]]])  # incl. the clamp
    y = rng.integers(0, 2, size=(5, 2)).astype(float)
    expected, grad = loss_and_grad_torch(torch.nn.BCELoss(), p, t(y))
    loss = BCELoss()
    assert loss(p, y) == pytest.approx(expected, rel=1e-12)
    # at p = 0 or 1 both divide by eps = 1e-12, which torch holds as a float32 (9.99999996e-13)
    np.testing.assert_allclose(loss.backward(), grad, rtol=1e-8)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (Sigmoid(), torch.nn.Sigmoid()),
        (Tanh(), torch.nn.Tanh()),
        (ReLU(), torch.nn.ReLU()),
        (LeakyReLU(), torch.nn.LeakyReLU()),  # the same default slope, 0.01
        (Softmax(), torch.nn.Softmax(dim=-1)),
    ],
    ids=lambda m: type(m).__name__,
)
def test_activations_match_torch(ours, theirs):
    rng = np.random.default_rng(3)
    x, dy = rng.normal(0, 3, size=(4, 5)), rng.normal(size=(4, 5))
    xt = t(x, grad=True)
    yt = theirs(xt)
    yt.backward(t(dy))
    close(ours(x), yt)
    close(ours.backward(dy), xt.grad)


@pytest.mark.parametrize(
    "name, param", [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", 0.2)]
)
def test_gains_match_torch(name, param):
    expected = torch.nn.init.calculate_gain(name, param)
    assert init.calculate_gain(name, param) == pytest.approx(expected)
