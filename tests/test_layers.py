"""Tests for backprop_lib.nn.layers: Linear, Sequential, Dropout, BatchNorm1d, Residual.

Every backward is checked against central differences (gradcheck_layer) on random shapes and
seeds, with random biases/gamma/beta so that a forgotten term cannot hide behind a zero.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import (
    BatchNorm1d,
    Dropout,
    Layer,
    Linear,
    ReLU,
    Residual,
    Sequential,
    Tanh,
    gradcheck_layer,
)

TOL = 1e-7  # float64 with h = 1e-5: a correct backward is far below this
# Layers whose outputs mix entries (batch norm in training, chains of layers) have gradient
# entries that are near zero by chance in ~0.1-1% of random draws; central differences resolve
# an entry only to ~1e-11 absolute, so such an entry shows a relative error of up to ~5e-6
# from rounding alone (measured over thousands of draws). A wrong backward gives > 1e-2
# (tests/test_gradcheck.py), so this bound still separates right from wrong by 1000x.
MIXING_TOL = 1e-5
dims = st.integers(1, 5)
batches = st.integers(2, 6)
# With N = 2 rows batch norm outputs +-1 (times gamma, plus beta) whatever x is, so its dx is
# of order eps and below what central differences resolve: check it on N >= 3.
bn_batches = st.integers(3, 8)
seeds = st.integers(0, 2**16)
fast = settings(max_examples=20, deadline=None, derandomize=True)  # reproducible examples


def randomize(layer, rng, scale=1.0):
    """Give every parameter random values, so that no term of a gradient is multiplied by 0.

    A moderate ``scale`` keeps tanh units out of saturation: a gradient entry of 1e-6 would
    be below what central differences resolve, and its relative error would mean nothing.
    """
    for name, p in layer.named_parameters():
        if name.endswith("gamma"):  # a scale: keep it away from 0, which would zero dx
            p.data[...] = rng.choice([-1.0, 1.0], p.shape) * rng.uniform(0.5, 1.5, p.shape)
        else:
            p.data[...] = scale * rng.normal(size=p.shape)
    return layer


def state(layer):
    """Copies of everything a call may change: parameters, gradients, buffers."""
    return [a.copy() for p in layer.parameters() for a in (p.data, p.grad)] + [
        b.copy() for _, b in layer.named_buffers()
    ]


def assert_state_unchanged(layer, before):
    after = state(layer)
    assert len(after) == len(before)
    for a, b in zip(after, before, strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- Linear


def test_linear_shapes_names_and_order():
    layer = Linear(3, 4, rng=0)
    assert layer.W.shape == (3, 4) and layer.b.shape == (4,)
    assert layer.parameters() == [layer.W, layer.b]
    assert [n for n, _ in layer.named_parameters()] == ["W", "b"]
    assert layer(np.ones((5, 3))).shape == (5, 4)


def test_linear_forward_is_x_at_w_plus_b():
    rng = np.random.default_rng(1)
    layer = randomize(Linear(3, 2, rng=0), rng)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(layer(x), x @ layer.W.data + layer.b.data)


def test_linear_without_bias_has_only_w():
    layer = Linear(3, 2, bias=False, rng=0)
    assert layer.b is None and layer.parameters() == [layer.W]
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(layer(x), x @ layer.W.data)
    assert gradcheck_layer(layer, x)["W"] < TOL


def test_linear_same_seed_same_weights_other_seed_other_weights():
    np.testing.assert_array_equal(Linear(5, 6, rng=3).W.data, Linear(5, 6, rng=3).W.data)
    assert not np.array_equal(Linear(5, 6, rng=3).W.data, Linear(5, 6, rng=4).W.data)
    assert not Linear(5, 6, rng=3).b.data.any()  # biases start at zero


def test_linear_accepts_an_init_function_and_rejects_unknown_names():
    layer = Linear(2, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype=dtype))
    np.testing.assert_array_equal(layer.W.data, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="unknown init 'hee'.*he"):
        Linear(2, 3, init="hee")
    with pytest.raises(ValueError, match=r"shape \(3,\); expected \(2, 3\)"):
        Linear(2, 3, init=lambda shape, rng, dtype: np.zeros(3))


def test_linear_float32():
    layer = Linear(3, 2, rng=0, dtype=np.float32)
    assert layer.W.data.dtype == layer.b.data.dtype == np.float32
    assert layer(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


@fast
@given(batch=st.integers(1, 6), n_in=dims, n_out=dims, seed=seeds)
def test_linear_gradcheck(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = randomize(Linear(n_in, n_out, rng=seed), rng)
    errors = gradcheck_layer(layer, rng.normal(size=(batch, n_in)), rng=rng)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOL, errors


def test_linear_backward_formulas():
    rng = np.random.default_rng(2)
    layer = randomize(Linear(3, 2, rng=0), rng)
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, dy @ layer.W.data.T)
    np.testing.assert_allclose(layer.W.grad, x.T @ dy)
    np.testing.assert_allclose(layer.b.grad, dy.sum(axis=0))


def test_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(3)
    model = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1))
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model(x)
    model.backward(dy)
    once = [p.grad.copy() for p in model.parameters()]
    assert all(g.any() for g in once)
    model(x)
    model.backward(dy)
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g)
    model.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())


def test_linear_wrong_feature_count_names_the_numbers_and_changes_nothing():
    rng = np.random.default_rng(0)
    layer = Linear(3, 4, rng=0)
    x, dy = rng.normal(size=(8, 3)), rng.normal(size=(8, 4))
    layer(x)
    before = state(layer)
    message = r"Linear\(3 -> 4\) got x with 5 features \(shape \(8, 5\)\); expected \(batch, 3\)"
    with pytest.raises(ValueError, match=message):
        layer(np.ones((8, 5)))
    assert_state_unchanged(layer, before)
    np.testing.assert_allclose(layer.backward(dy), dy @ layer.W.data.T)  # the old cache is used
    np.testing.assert_allclose(layer.W.grad, x.T @ dy)


@pytest.mark.parametrize(
    "shape, fix",
    [((3,), r"reshape\(1, -1\)"), ((2, 3, 1), r"reshape\(x.shape\[0\], -1\)"), ((), "pass an")],
)
def test_linear_rejects_non_2d_input(shape, fix):
    layer = Linear(3, 2, rng=0)
    before = state(layer)
    with pytest.raises(ValueError, match=rf"2-D batch.*shape {re.escape(str(shape))}; .*{fix}"):
        layer(np.ones(shape))
    assert_state_unchanged(layer, before)
    assert layer._x is None


@pytest.mark.parametrize("n_in, n_out", [(0, 3), (3, 0), (-2, 3)])
def test_linear_rejects_non_positive_sizes(n_in, n_out):
    with pytest.raises(
        ValueError, match=r"must be a positive int \(a number of features\), got (0|-2)"
    ):
        Linear(n_in, n_out)


@pytest.mark.parametrize("bad", [2.5, "3", True])
def test_linear_rejects_non_int_sizes(bad):
    with pytest.raises(TypeError, match="must be a positive int"):
        Linear(bad, 3)


def test_linear_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="float array, got dtype <U1"):
        Linear(2, 2)(np.array([["a", "b"]]))
    assert Linear(2, 2, rng=0)(np.array([[1, 2]])).dtype == np.float64  # ints are fine


@pytest.mark.parametrize(
    "bad, problem",
    [
        (np.ones((2, 2), dtype=complex), "float array, got dtype complex128"),
        ([["a", "b"], ["c", "d"]], "could not read x as numbers"),
        ([[1.0, 2.0], [3.0]], "could not read x as numbers"),
        (np.array([[1.0, 2.0]], dtype=object), "float array, got dtype object"),
    ],
    ids=["complex", "strings", "ragged", "object"],
)
def test_linear_bad_input_type_names_the_layer_and_the_fix_and_changes_nothing(bad, problem):
    layer = Linear(2, 2, rng=0)
    layer(np.ones((3, 2)))
    before = state(layer)
    cache = layer._x
    with pytest.raises(TypeError, match=rf"Linear\(2 -> 2\).*{problem}.*np.asarray\(x, dtype="):
        layer(bad)
    assert_state_unchanged(layer, before)
    assert layer._x is cache


def test_linear_wrong_upstream_gradient_shape_changes_nothing():
    layer = Linear(3, 2, rng=0)
    layer(np.ones((4, 3)))
    before = state(layer)
    with pytest.raises(ValueError, match=r"grad_y with shape \(4, 3\).*\(4, 2\)"):
        layer.backward(np.ones((4, 3)))
    assert_state_unchanged(layer, before)


@pytest.mark.parametrize(
    "layer",
    [
        Linear(2, 2),
        BatchNorm1d(2),
        Dropout(0.5),
        Residual(Sequential(Linear(2, 2))),
        Sequential(Linear(2, 2), Tanh()),
    ],
    ids=repr,
)
def test_backward_before_forward_is_a_runtime_error(layer):
    with pytest.raises(RuntimeError, match="before forward.*forward"):
        layer.backward(np.ones((3, 2)))


def test_nan_inputs_do_not_raise_in_layers():
    x = np.array([[np.nan, 1.0], [np.inf, 2.0], [0.5, -1.0]])
    for layer in [Linear(2, 2, rng=0), BatchNorm1d(2), Dropout(0.5, rng=0), Tanh(), ReLU()]:
        with np.errstate(all="ignore"):
            y = layer(x)
        assert not np.isfinite(y).all()


def test_base_layer_methods_raise_not_implemented():
    with pytest.raises(NotImplementedError):
        Layer().forward(np.ones((1, 1)))
    with pytest.raises(NotImplementedError):
        Layer().backward(np.ones((1, 1)))
    assert Layer().parameters() == [] and Layer().named_buffers() == []


# ---------------------------------------------------------------- Sequential


def test_sequential_composes_in_order_and_names_parameters_by_position():
    rng = np.random.default_rng(4)
    a, act, b = Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1)
    model = Sequential(a, act, b)
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(model(x), b(act(a(x))))
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "2.W", "2.b"]
    assert model.parameters() == [a.W, a.b, b.W, b.b]
    assert len(model) == 3 and model[1] is act and list(model) == [a, act, b]
    assert isinstance(model[1:], Sequential) and model[1:][0] is act
    assert Sequential([a, act]).layers == [a, act]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2"]


@fast
@given(
    batch=st.integers(3, 6), sizes=st.lists(st.integers(2, 5), min_size=2, max_size=4), seed=seeds
)
def test_sequential_gradcheck(batch, sizes, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [Linear(n_in, n_out, rng=rng), Tanh()]
    model = randomize(Sequential(*layers), rng, scale=0.5)
    errors = gradcheck_layer(model, rng.normal(size=(batch, sizes[0])), rng=rng)
    assert max(errors.values()) < MIXING_TOL, errors


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="item 1 is a function, not a Layer.*Linear"):
        Sequential(Linear(2, 2), lambda x: x)


def test_sequential_rejects_one_layer_object_used_twice():
    act = Tanh()
    with pytest.raises(ValueError, match="item 3 contains Tanh.*same object as in item 1"):
        Sequential(Linear(2, 2), act, Linear(2, 2), act)
    inner = Linear(2, 2)
    with pytest.raises(ValueError, match="item 1 contains Linear.*item 0"):
        Sequential(inner, Residual(inner))


def test_train_and_eval_reach_every_nested_layer():
    model = Sequential(Linear(2, 2), Residual(Sequential(Linear(2, 2), Dropout(0.1))))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# ---------------------------------------------------------------- Dropout


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan")])
def test_dropout_p_outside_0_1_is_a_value_error(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        Dropout(p)


def test_dropout_p_must_be_a_number():
    with pytest.raises(TypeError, match="number"):
        Dropout("0.5")


def test_dropout_train_drops_about_p_and_scales_kept_units():
    p = 0.3
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 100))
    y = Dropout(p, rng=1)(x)  # not the data's seed: the mask must not follow x
    dropped = y == 0
    assert abs(dropped.mean() - p) < 0.01  # 20000 draws: std of the fraction is 0.003
    np.testing.assert_allclose(y[~dropped], x[~dropped] / (1 - p))
    assert abs(y.mean() / x.mean() - 1) < 0.02  # E[y] = x


def test_dropout_eval_and_p0_are_the_identity():
    x = np.random.default_rng(0).normal(size=(4, 5))
    layer = Dropout(0.5, rng=0).eval()
    np.testing.assert_array_equal(layer(x), x)
    dy = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(dy), dy)
    np.testing.assert_array_equal(Dropout(0.0)(x), x)


def test_dropout_masks_are_fresh_each_call_and_reproducible_by_seed():
    x = np.ones((10, 10))
    a, b = Dropout(0.5, rng=7), Dropout(0.5, rng=7)
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))


def test_dropout_backward_uses_the_forward_mask():
    rng = np.random.default_rng(1)
    x, dy = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    layer = Dropout(0.5, rng=1)
    y = layer(x)
    mask = y / x  # 0 or 2
    np.testing.assert_allclose(layer.backward(dy), dy * mask)


@fast
@given(batch=batches, d=dims, p=st.floats(0.0, 0.9), seed=seeds)
def test_dropout_gradcheck_in_training_mode(batch, d, p, seed):
    rng = np.random.default_rng(seed)
    assert gradcheck_layer(Dropout(p, rng=seed), rng.normal(size=(batch, d)))["x"] < TOL


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_dropout_integer_and_bool_inputs_become_float64_in_training(dtype):
    x = np.ones((50, 4), dtype=dtype)
    y = Dropout(0.5, rng=0)(x)
    assert y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 2.0}  # kept units scaled by 1 / (1 - p)


@pytest.mark.parametrize("bad", [np.array([["a", "b"]]), np.array([[1.0, 2.0]], dtype=object)])
def test_dropout_non_numeric_input_is_a_type_error_naming_the_dtype(bad):
    with pytest.raises(TypeError, match=f"Dropout.*{re.escape(str(bad.dtype))}"):
        Dropout(0.5, rng=0)(bad)


def test_dropout_wrong_upstream_gradient_shape():
    layer = Dropout(0.5, rng=0)
    layer(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        layer.backward(np.ones((2, 3)))


# ---------------------------------------------------------------- BatchNorm1d


def test_batchnorm_parameters_and_buffers():
    bn = BatchNorm1d(3)
    assert [n for n, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    np.testing.assert_array_equal(bn.gamma.data, np.ones(3))
    np.testing.assert_array_equal(bn.beta.data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_mean, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var, np.ones(3))


def test_batchnorm_train_normalises_each_feature():
    rng = np.random.default_rng(5)
    bn = randomize(BatchNorm1d(4), rng)
    x = rng.normal(3.0, 5.0, size=(50, 4))
    y = bn(x)
    np.testing.assert_allclose(y.mean(axis=0), bn.beta.data, atol=1e-10)
    np.testing.assert_allclose(y.std(axis=0), np.abs(bn.gamma.data), rtol=1e-5)


def test_batchnorm_running_statistics_follow_torchs_rule():
    rng = np.random.default_rng(6)
    momentum, eps = 0.2, 1e-3
    bn = BatchNorm1d(3, eps=eps, momentum=momentum)
    mean, var = np.zeros(3), np.ones(3)
    for n in (4, 7, 5):
        x = rng.normal(2.0, 3.0, size=(n, 3))
        y = bn(x)
        batch_var = ((x - x.mean(axis=0)) ** 2).sum(axis=0) / n  # biased: normalises
        np.testing.assert_allclose(y, (x - x.mean(axis=0)) / np.sqrt(batch_var + eps))
        mean = (1 - momentum) * mean + momentum * x.mean(axis=0)
        var = (1 - momentum) * var + momentum * batch_var * n / (n - 1)  # unbiased: running
        np.testing.assert_allclose(bn.running_mean, mean)
        np.testing.assert_allclose(bn.running_var, var)
    # eval: the running statistics, and they stop moving
    bn.eval()
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(bn(x), (x - mean) / np.sqrt(var + eps))
    np.testing.assert_allclose(bn.running_mean, mean)
    assert bn(x[:1]).shape == (1, 3)  # one example is fine in eval mode


@fast
@given(batch=bn_batches, d=dims, training=st.booleans(), seed=seeds)
def test_batchnorm_gradcheck(batch, d, training, seed):
    rng = np.random.default_rng(seed)
    bn = randomize(BatchNorm1d(d), rng).train(training)
    bn.running_mean[:] = rng.normal(size=d)
    bn.running_var[:] = rng.uniform(0.5, 2.0, size=d)
    x = rng.normal(1.0, 2.0, size=(batch, d))
    running = (bn.running_mean.copy(), bn.running_var.copy())
    errors = gradcheck_layer(bn, x, rng=rng)
    assert set(errors) == {"x", "gamma", "beta"}
    # eval is an elementwise affine map; training mixes the rows through the batch statistics
    assert max(errors.values()) < (MIXING_TOL if training else TOL), errors
    np.testing.assert_array_equal(bn.running_mean, running[0])  # gradcheck restored them
    np.testing.assert_array_equal(bn.running_var, running[1])


def test_batchnorm_one_row_in_training_is_an_error_and_changes_nothing():
    bn = BatchNorm1d(3)
    before = state(bn)
    with pytest.raises(ValueError, match=r"at least 2 rows.*shape \(1, 3\).*eval\(\)"):
        bn(np.ones((1, 3)))
    assert_state_unchanged(bn, before)


def test_batchnorm_wrong_features_and_non_2d_change_nothing():
    bn = BatchNorm1d(3)
    before = state(bn)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) got x with 4 features"):
        bn(np.ones((5, 4)))
    with pytest.raises(ValueError, match="2-D batch"):
        bn(np.ones(3))
    assert_state_unchanged(bn, before)


def test_batchnorm_rejects_bad_settings():
    with pytest.raises(ValueError, match=r"positive int \(a number of features\), got 0"):
        BatchNorm1d(0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        BatchNorm1d(3, eps=0.0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got None"):
        BatchNorm1d(3, momentum=None)


@pytest.mark.parametrize("kwargs", [{"eps": "1e-5"}, {"momentum": "0.1"}, {"eps": True}])
def test_batchnorm_settings_of_the_wrong_type_name_the_setting(kwargs):
    (name,) = kwargs
    with pytest.raises(TypeError, match=rf"BatchNorm1d {name} must be a number, got .*default"):
        BatchNorm1d(3, **kwargs)


def test_batchnorm_float32():
    bn = BatchNorm1d(2, dtype=np.float32)
    y = bn(np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32))
    assert y.dtype == bn.running_var.dtype == bn.gamma.data.dtype == np.float32


def test_batchnorm_wrong_upstream_gradient_changes_nothing():
    bn = BatchNorm1d(2)
    bn(np.random.default_rng(0).normal(size=(4, 2)))
    before = state(bn)
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        bn.backward(np.ones((4, 3)))
    assert_state_unchanged(bn, before)


# ---------------------------------------------------------------- Residual


def test_residual_adds_the_input_and_names_the_block():
    rng = np.random.default_rng(8)
    block = Sequential(Linear(3, 3, rng=0), Tanh())
    res = Residual(block)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(res(x), x + block(x))
    assert [n for n, _ in res.named_parameters()] == ["block.0.W", "block.0.b"]
    assert res.parameters() == block.parameters()


def test_residual_backward_adds_both_paths():
    rng = np.random.default_rng(9)
    block = Linear(3, 3, init="zeros")  # the block's path carries nothing back
    res = Residual(block)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    res(x)
    np.testing.assert_allclose(res.backward(dy), dy)  # the skip path alone
    np.testing.assert_allclose(block.W.grad, x.T @ dy)
    block.W.data[...] = rng.normal(size=(3, 3))
    res(x)
    np.testing.assert_allclose(res.backward(dy), dy + dy @ block.W.data.T)


@fast
@given(batch=bn_batches, d=st.integers(2, 5), seed=seeds)
def test_residual_gradcheck(batch, d, seed):
    rng = np.random.default_rng(seed)
    # no bias before batch norm: it would cancel out, its gradient being exactly 0 (and d >= 2:
    # batch norm undoes any scaling of a single column, so Linear(1, 1)'s dW is exactly 0)
    block = Sequential(Linear(d, d, bias=False, rng=0), BatchNorm1d(d), Tanh())
    res = randomize(Residual(block), rng)
    errors = gradcheck_layer(res, rng.normal(size=(batch, d)), rng=rng)
    assert max(errors.values()) < MIXING_TOL, errors


def test_residual_width_mismatch_is_caught_at_construction():
    with pytest.raises(ValueError, match="maps 3 features to 4.*output 3 features"):
        Residual(Sequential(Linear(3, 4), Tanh()))


class _Widen(Layer):
    """A parameter-free layer that changes the width: its mismatch shows at forward time."""

    def forward(self, x):
        return np.concatenate([x, x], axis=1)


def test_residual_shape_mismatch_at_forward_is_a_clear_error():
    res = Residual(_Widen())
    with pytest.raises(ValueError, match=r"shape \(2, 3\) to shape \(2, 6\)"):
        res(np.ones((2, 3)))
    with pytest.raises(RuntimeError):
        res.backward(np.ones((2, 3)))  # the failed forward left nothing to differentiate


def test_residual_wraps_layers_only():
    with pytest.raises(TypeError, match="wraps a Layer"):
        Residual(np.tanh)
