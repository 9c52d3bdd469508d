"""Conv2d, MaxPool2d, AvgPool2d, Flatten, Unflatten: gradients, agreement with naive loops, errors.

The naive implementations below are the definitions written as loops (CS231n's
``conv_forward_naive``): the im2col path must agree with them on every shape, stride and
padding hypothesis draws, and every backward must agree with finite differences.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib import AvgPool2d, Conv2d, Flatten, MaxPool2d, Sequential, Unflatten, small_cnn
from backprop_lib.instruments import gradcheck_layer, gradcheck_model

seeds = st.integers(0, 2**16)


# ---- the definitions, as loops ----


def conv_naive(x, W, b, stride, padding):
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (h + 2 * padding - kh) // stride + 1
    wo = (w + 2 * padding - kw) // stride + 1
    y = np.zeros((n, f, ho, wo))
    for i in range(n):
        for k in range(f):
            for r in range(ho):
                for s in range(wo):
                    patch = xp[i, :, r * stride : r * stride + kh, s * stride : s * stride + kw]
                    y[i, k, r, s] = np.sum(patch * W[k]) + b[k]
    return y


def conv_backward_naive(x, W, dy, stride, padding):
    """dx, dW, db by the chain rule, one output entry at a time."""
    f, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    db = dy.sum(axis=(0, 2, 3))
    for i in range(x.shape[0]):
        for k in range(f):
            for r in range(dy.shape[2]):
                for s in range(dy.shape[3]):
                    rows = slice(r * stride, r * stride + kh)
                    cols = slice(s * stride, s * stride + kw)
                    dW[k] += dy[i, k, r, s] * xp[i, :, rows, cols]
                    dxp[i, :, rows, cols] += dy[i, k, r, s] * W[k]
    h, w = x.shape[2:]
    return dxp[:, :, padding : padding + h, padding : padding + w], dW, db


def pool_naive(x, k, stride, reduce):
    n, c, h, w = x.shape
    ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
    y = np.zeros((n, c, ho, wo))
    for r in range(ho):
        for s in range(wo):
            y[:, :, r, s] = reduce(
                x[:, :, r * stride : r * stride + k, s * stride : s * stride + k], axis=(2, 3)
            )
    return y


def maxpool_backward_naive(x, k, stride, dy):
    dx = np.zeros_like(x)
    for i in range(x.shape[0]):
        for c in range(x.shape[1]):
            for r in range(dy.shape[2]):
                for s in range(dy.shape[3]):
                    win = x[i, c, r * stride : r * stride + k, s * stride : s * stride + k]
                    u, v = np.unravel_index(np.argmax(win), win.shape)  # first max, row-major
                    dx[i, c, r * stride + u, s * stride + v] += dy[i, c, r, s]
    return dx


# ---- hypothesis: shapes, strides, paddings, seeds ----


@st.composite
def conv_cases(draw):
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    # pick the number of windows, then the input size that they tile exactly
    ho, wo = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = (ho - 1) * stride + k - 2 * padding
    w = (wo - 1) * stride + k - 2 * padding
    if h < 1 or w < 1:
        h, w, padding = (ho - 1) * stride + k, (wo - 1) * stride + k, 0
    return dict(
        n=draw(st.integers(1, 3)),
        c=draw(st.integers(1, 3)),
        f=draw(st.integers(1, 3)),
        k=k,
        stride=stride,
        padding=padding,
        h=h,
        w=w,
        seed=draw(seeds),
    )


@settings(max_examples=40)
@given(case=conv_cases())
def test_conv_forward_and_backward_match_the_naive_loops(case):
    rng = np.random.default_rng(case["seed"])
    layer = Conv2d(
        case["c"], case["f"], case["k"], case["stride"], case["padding"], rng=case["seed"]
    )
    layer.b.data[...] = rng.normal(size=case["f"])
    x = rng.normal(size=(case["n"], case["c"], case["h"], case["w"]))
    y = layer(x)
    expected = conv_naive(x, layer.W.data, layer.b.data, case["stride"], case["padding"])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    ndx, ndW, ndb = conv_backward_naive(x, layer.W.data, dy, case["stride"], case["padding"])
    np.testing.assert_allclose(dx, ndx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.W.grad, ndW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.b.grad, ndb, rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(case=conv_cases())
def test_conv_gradcheck(case):
    rng = np.random.default_rng(case["seed"])
    layer = Conv2d(
        case["c"], case["f"], case["k"], case["stride"], case["padding"], rng=case["seed"]
    )
    layer.b.data[...] = rng.normal(size=case["f"])
    x = rng.normal(size=(case["n"], case["c"], case["h"], case["w"]))
    errors = gradcheck_layer(layer, x, rng=case["seed"])
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    "kernel, stride, padding, shape",
    [((2, 3), (1, 2), (0, 1), (2, 2, 5, 7)), ((3, 1), (2, 1), (1, 0), (1, 3, 7, 4))],
)
def test_conv_rectangular_kernels_strides_and_paddings(kernel, stride, padding, shape):
    layer = Conv2d(shape[1], 2, kernel, stride, padding, rng=3)
    x = np.random.default_rng(3).normal(size=shape)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    assert layer(x).shape == (
        shape[0],
        2,
        (shape[2] + 2 * ph - kh) // sh + 1,
        (shape[3] + 2 * pw - kw) // sw + 1,
    )
    assert max(gradcheck_layer(layer, x).values()) < 1e-6


def test_conv_without_bias_and_in_float32():
    layer = Conv2d(1, 2, 3, bias=False, rng=0)
    assert [name for name, _ in layer.named_parameters()] == ["W"]
    assert (
        max(gradcheck_layer(layer, np.random.default_rng(0).normal(size=(2, 1, 5, 5))).values())
        < 1e-6
    )
    f32 = Conv2d(1, 2, 3, rng=0, dtype=np.float32)
    y = f32(np.ones((1, 1, 4, 4)))  # float64 input: computed in the layer's float32
    assert y.dtype == np.float32 and f32.backward(np.ones_like(y)).dtype == np.float32


def test_conv_contract_layout_parameters_and_init():
    layer = Conv2d(3, 5, 3, rng=0)
    assert layer.W.data.shape == (5, 3, 3, 3) and layer.b.data.shape == (5,)
    assert layer.parameters() == [layer.W, layer.b]
    assert layer.W.data.flags.c_contiguous
    np.testing.assert_array_equal(layer.b.data, 0)
    # He: std = sqrt(2 / fan_in) with fan_in = C * kh * kw = 27 (torch's fan_in)
    big = Conv2d(8, 64, 3, rng=0)
    assert abs(big.W.data.std() / np.sqrt(2 / 72) - 1) < 0.05
    np.testing.assert_array_equal(Conv2d(3, 5, 3, rng=1).W.data, Conv2d(3, 5, 3, rng=1).W.data)


def test_conv_gradients_accumulate():
    layer = Conv2d(1, 2, 2, rng=0)
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    dy = np.ones((2, 2, 3, 3))
    layer(x)
    layer.backward(dy)
    once = layer.W.grad.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.W.grad, 2 * once)


def test_conv_dx_is_the_full_convolution_with_the_flipped_kernel():
    # stride 1, no padding, one channel: dx = dy zero-padded by k - 1, correlated with W[::-1, ::-1]
    rng = np.random.default_rng(4)
    layer = Conv2d(1, 1, 3, bias=False, rng=4)
    x = rng.normal(size=(1, 1, 6, 6))
    dy = rng.normal(size=layer(x).shape)
    dx = layer.backward(dy)
    flipped = Conv2d(1, 1, 3, padding=2, bias=False)
    flipped.W.data[...] = layer.W.data[:, :, ::-1, ::-1]
    np.testing.assert_allclose(dx, flipped(dy), rtol=1e-12, atol=1e-12)
    # and dW is the correlation of the input with dy (dy used as the kernel)
    corr = Conv2d(1, 1, 4, bias=False)
    corr.W.data[...] = dy
    np.testing.assert_allclose(layer.W.grad, corr(x), rtol=1e-12, atol=1e-12)


# ---- pooling ----


@st.composite
def pool_cases(draw):
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    ho, wo = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return dict(
        n=draw(st.integers(1, 3)),
        c=draw(st.integers(1, 3)),
        k=k,
        stride=stride,
        h=(ho - 1) * stride + k,
        w=(wo - 1) * stride + k,
        seed=draw(seeds),
    )


@settings(max_examples=30)
@given(case=pool_cases())
def test_maxpool_matches_the_loops_and_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(case["n"], case["c"], case["h"], case["w"]))
    pool = MaxPool2d(case["k"], case["stride"])
    y = pool(x)
    np.testing.assert_array_equal(y, pool_naive(x, case["k"], case["stride"], np.max))
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(
        pool.backward(dy), maxpool_backward_naive(x, case["k"], case["stride"], dy), atol=1e-15
    )
    assert gradcheck_layer(pool, x, rng=case["seed"])["x"] < 1e-6


@settings(max_examples=30)
@given(case=pool_cases())
def test_avgpool_matches_the_loops_and_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(case["n"], case["c"], case["h"], case["w"]))
    pool = AvgPool2d(case["k"], case["stride"])
    np.testing.assert_allclose(pool(x), pool_naive(x, case["k"], case["stride"], np.mean))
    assert gradcheck_layer(pool, x, rng=case["seed"])["x"] < 1e-6


def test_maxpool_routes_the_gradient_to_the_first_maximum_on_ties():
    x = np.array([[[[1.0, 5.0, 0.0, 0.0], [5.0, 2.0, 0.0, 0.0]]]])  # window 1: 5 twice; 2: zeros
    pool = MaxPool2d(2)
    np.testing.assert_array_equal(pool(x), [[[[5.0, 0.0]]]])
    dx = pool.backward(np.array([[[[3.0, 7.0]]]]))
    # the first maximum in row-major order (top row first) takes all of it, the other tie none
    np.testing.assert_array_equal(dx, [[[[0.0, 3.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_pools_have_no_parameters_and_default_stride_is_the_kernel():
    for pool in (MaxPool2d(2), AvgPool2d((2, 3))):
        assert pool.parameters() == []
        assert pool.stride == pool.kernel_size
    assert MaxPool2d(2)(np.zeros((1, 1, 8, 8))).shape == (1, 1, 4, 4)
    assert AvgPool2d(3, stride=1)(np.zeros((2, 3, 5, 6))).shape == (2, 3, 3, 4)


def test_overlapping_maxpool_adds_the_gradients_of_the_windows_a_pixel_wins():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0  # the centre is the maximum of all four 2x2 windows
    pool = MaxPool2d(2, stride=1)
    pool(x)
    dx = pool.backward(np.ones((1, 1, 2, 2)))
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


# ---- Flatten, Unflatten, Sequential ----


def test_flatten_and_unflatten_keep_the_batch_axis():
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    flat = Flatten()
    y = flat(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(y[1], x[1].reshape(-1))
    assert flat.backward(y).shape == x.shape and flat.parameters() == []
    un = Unflatten(1, (3, 4, 5))
    np.testing.assert_array_equal(un(y), x)
    np.testing.assert_array_equal(un.backward(x), y)
    assert gradcheck_layer(Flatten(), x)["x"] < 1e-7
    assert gradcheck_layer(Unflatten(1, (3, 4, 5)), y)["x"] < 1e-7


def tiny_cnn(rng=0):
    return Sequential(
        Unflatten(1, (1, 6, 6)),
        Conv2d(1, 3, 3, padding=1, rng=rng),
        bl.Tanh(),
        MaxPool2d(2),
        Conv2d(3, 2, 2, rng=rng),
        bl.Tanh(),
        AvgPool2d(2),
        Flatten(),
        bl.Linear(2, 3, rng=rng),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_whole_cnn_in_sequential_passes_gradcheck(seed):
    rng = np.random.default_rng(seed)
    model = tiny_cnn(seed)
    x, y = rng.normal(size=(4, 36)), rng.integers(0, 3, size=4)
    errors = gradcheck_model(model, bl.CrossEntropyLoss(), x, y)
    assert {"1.W", "1.b", "4.W", "4.b", "8.W", "8.b"} == set(errors)
    assert max(errors.values()) < 1e-6, errors


def test_fit_trains_a_cnn_on_flattened_images():
    X, y = bl.data.load_digits()
    X, y = X[:200], y[:200]
    model = Sequential(
        Unflatten(1, (1, 8, 8)),
        Conv2d(1, 4, 3, padding=1, rng=0),
        bl.ReLU(),
        MaxPool2d(2),
        Flatten(),
        bl.Linear(64, 10, rng=0),
    )
    history = bl.fit(model, bl.CrossEntropyLoss(), bl.Adam(model.parameters(), lr=0.01), X, y,
                     epochs=15, batch_size=50, rng=0)  # fmt: skip
    assert not history.diverged
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] > 0.8


def test_conv_output_size():
    assert bl.conv_output_size(8, 3) == 6
    assert bl.conv_output_size(8, 3, padding=1) == 8
    assert bl.conv_output_size(7, 3, stride=2) == 3
    assert bl.conv_output_size(28, 5, stride=1, padding=2) == 28
    with pytest.raises(ValueError, match="not a whole number"):
        bl.conv_output_size(8, 3, stride=2)


# ---- errors ----


@pytest.mark.parametrize(
    "shape, fix",
    [((1, 8, 8), r"x\[None\]"), ((5, 64), r"reshape\(-1, 1, 8, 8\).*Unflatten"), ((2,), "pass")],
)
def test_conv_wrong_rank_names_the_fix(shape, fix):
    with pytest.raises(ValueError, match=rf"4-D batch of images.*{fix}"):
        Conv2d(1, 2, 3)(np.zeros(shape))


def test_wrong_number_of_channels():
    layer = Conv2d(3, 2, 3)
    with pytest.raises(
        ValueError, match=r"got x with 8 channels.*expected 3.*transpose\(0, 3, 1, 2\)"
    ):
        layer(np.zeros((2, 8, 8, 3)))  # NHWC by mistake
    assert layer._cache is None  # nothing cached: the error came first


@pytest.mark.parametrize(
    "layer, shape",
    [(Conv2d(1, 1, 5), (1, 1, 4, 4)), (Conv2d(1, 1, 7, padding=1), (1, 1, 4, 8)),
     (MaxPool2d(3), (1, 1, 2, 2))],
)  # fmt: skip
def test_kernel_larger_than_the_padded_input(layer, shape):
    with pytest.raises(ValueError, match=r"kernel \(\d\) is larger than the padded input"):
        layer(np.zeros(shape))


@pytest.mark.parametrize(
    "layer, shape, fits",
    [(Conv2d(1, 1, 3, stride=2), (1, 1, 8, 7), r"\[1, 5\]"),
     (MaxPool2d(2), (1, 1, 7, 8), r"\[1, 5\]"),
     (AvgPool2d(2, stride=4), (1, 1, 8, 8), r"\[1, 2, 3, 6\]")],
)  # fmt: skip
def test_non_integer_output_size(layer, shape, fits):
    with pytest.raises(ValueError, match=rf"not a whole number.*stride in {fits}"):
        layer(np.zeros(shape))


@pytest.mark.parametrize("layer", [Conv2d(1, 1, 2), MaxPool2d(2), AvgPool2d(2), Flatten(),
                                   Unflatten(1, (1, 2, 2))])  # fmt: skip
def test_backward_before_forward_is_a_runtime_error(layer):
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 1, 1, 1)))


def test_wrong_gradient_shape():
    layer = Conv2d(1, 2, 3)
    layer(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"grad_y with shape \(2, 3, 3\).*\(2, 2, 3, 3\)"):
        layer.backward(np.zeros((2, 3, 3)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(in_channels=0), ValueError, "in_channels must be a positive int"),
        (dict(kernel_size=0), ValueError, "kernel_size must be an int >= 1"),
        (dict(kernel_size=(3, 3, 3)), ValueError, "kernel_size must be an int or a pair"),
        (dict(stride=1.5), TypeError, "stride must be an int"),
        (dict(padding=-1), ValueError, "padding must be an int >= 0"),
        (dict(init="hee"), ValueError, "unknown init 'hee'"),
        (dict(dtype=np.int32), TypeError, "dtype must be"),
    ],
)
def test_constructor_errors(kwargs, error, message):
    args = dict(in_channels=1, out_channels=2, kernel_size=3) | kwargs
    with pytest.raises(error, match=message):
        Conv2d(**args)


def test_other_input_errors():
    with pytest.raises(TypeError, match="float array, got dtype <U1"):
        Conv2d(1, 1, 1)(np.full((1, 1, 2, 2), "a"))
    with pytest.raises(ValueError, match="at least 2 axes"):
        Flatten()(np.zeros(3))
    with pytest.raises(ValueError, match=r"expects x of shape \(batch, 64\)"):
        Unflatten(1, (1, 8, 8))(np.zeros((2, 63)))
    with pytest.raises(ValueError, match="supports dim=1"):
        Unflatten(2, (2, 2))


def test_small_cnn_is_the_notebook_network():
    model = small_cnn(rng=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Unflatten", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                     "Flatten", "Linear"]  # fmt: skip
    assert sum(p.data.size for p in model.parameters()) == (9 * 8 + 8) + (72 * 16 + 16) + 650
    assert model(np.zeros((5, 64))).shape == (5, 10)
    other = small_cnn((3, 12, 4), channels=(2, 4), classes=3, kernel_size=5, rng=0)
    assert other(np.zeros((2, 3 * 12 * 4))).shape == (2, 3)
    assert other[-1].in_features == 4 * 3 * 1
    np.testing.assert_array_equal(small_cnn(rng=1)[1].W.data, small_cnn(rng=1)[1].W.data)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kernel_size=2), "odd kernel_size"),
        (dict(image_shape=(8, 8)), r"\(channels, height, width\)"),
        (dict(channels=(4, 4, 4, 4)), "cannot be halved"),
        (dict(channels=()), "at least one stage"),
    ],
)
def test_small_cnn_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_cnn(**kwargs)


@pytest.mark.parametrize("k, p", [(3, 0), (3, 1), (5, 2), (2, 1)])
def test_dx_with_channels_and_padding_is_a_correlation_with_the_flipped_kernel(k, p):
    # as the docstring says: pad dy by k - 1 - p, flip W in both axes, swap its channel axes
    rng = np.random.default_rng(k + p)
    layer = Conv2d(2, 3, k, padding=p, rng=k)
    x = rng.normal(size=(2, 2, 6, 7))
    dy = rng.normal(size=layer(x).shape)
    back = Conv2d(3, 2, k, padding=k - 1 - p, bias=False)
    back.W.data[...] = layer.W.data.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    np.testing.assert_allclose(layer.backward(dy), back(dy), rtol=1e-12, atol=1e-12)


def test_a_cnn_saves_and_loads(tmp_path):
    model, other = small_cnn(rng=0), small_cnn(rng=1)
    x = np.random.default_rng(0).random((3, 64))
    bl.save(model, tmp_path / "cnn.npz")
    bl.load(other, tmp_path / "cnn.npz")
    np.testing.assert_array_equal(other(x), model(x))
    assert set(bl.nn.state_dict(model)) == {"1.W", "1.b", "4.W", "4.b", "8.W", "8.b"}


def test_init_function_and_its_shape():
    layer = Conv2d(2, 3, 3, init=lambda shape, rng=None, dtype=None: np.ones(shape))
    np.testing.assert_array_equal(layer.W.data, 1.0)  # drawn as (C*kh*kw, F) = (18, 3)
    with pytest.raises(
        ValueError, match=r"init returned an array of shape \(2, 2\); expected \(18, 3\)"
    ):
        Conv2d(2, 3, 3, init=lambda shape, rng=None, dtype=None: np.ones((2, 2)))
    with pytest.raises(TypeError, match="init must be a name or a function"):
        Conv2d(2, 3, 3, init=3)
