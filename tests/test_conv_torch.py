"""Conv2d, MaxPool2d, AvgPool2d and Flatten against torch (float64), forward and backward.

The weight layout is torch's, so W and b are copied over unchanged. Max-pool ties are
checked too: both send the gradient to the first maximum of the window. Skipped when torch is
not installed (CI does not install it).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop_lib import AvgPool2d, Conv2d, Flatten, MaxPool2d  # noqa: E402 (after the skip)

F = torch.nn.functional


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "c, f, k, stride, padding, shape",
    [(1, 4, 3, 1, 1, (3, 8, 8)), (3, 2, 3, 2, 1, (2, 9, 7)),
     (2, 3, (2, 3), (1, 2), (0, 1), (2, 5, 7)), (2, 2, 5, 3, 2, (1, 10, 13))],
)  # fmt: skip
def test_conv2d_matches_torch(c, f, k, stride, padding, shape):
    rng = np.random.default_rng(0)
    layer = Conv2d(c, f, k, stride, padding, rng=0)
    layer.b.data[...] = rng.normal(size=f)
    x = rng.normal(size=(shape[0], c, *shape[1:]))
    xt, Wt, bt = t(x, True), t(layer.W.data, True), t(layer.b.data, True)
    yt = F.conv2d(xt, Wt, bt, stride=stride, padding=padding)
    y = layer(x)
    close(y, yt)
    dy = rng.normal(size=y.shape)
    yt.backward(t(dy))
    close(layer.backward(dy), xt.grad)
    close(layer.W.grad, Wt.grad)
    close(layer.b.grad, bt.grad)


@pytest.mark.parametrize("k, stride", [(2, None), (3, 1), (2, 1), (3, 2)])
@pytest.mark.parametrize("ties", [False, True])
def test_pools_match_torch(k, stride, ties):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 7, 7))
    if ties:  # few distinct values: most windows hold their maximum more than once
        x = rng.integers(0, 3, size=x.shape).astype(float)
    if (7 - k) % (stride or k):
        x = x[:, :, :6, :6]
    for ours, theirs in [
        (MaxPool2d(k, stride), F.max_pool2d),
        (AvgPool2d(k, stride), F.avg_pool2d),
    ]:
        xt = t(x, True)
        yt = theirs(xt, k, stride)
        y = ours(x)
        close(y, yt)
        dy = rng.normal(size=y.shape)
        yt.backward(t(dy))
        close(ours.backward(dy), xt.grad)


def test_flatten_matches_torch():
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    close(Flatten()(x), torch.nn.Flatten()(t(x)))
