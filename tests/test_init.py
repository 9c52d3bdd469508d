"""Tests for backprop_lib.nn.init: the statistics each initialiser promises, determinism, gains."""

import math

import numpy as np
import pytest

from backprop_lib import Linear
from backprop_lib.nn import init

FAN_IN, FAN_OUT = 400, 300  # 120,000 draws: a sample std is within ~0.5% of the true one
SHAPE = (FAN_IN, FAN_OUT)


def test_he_normal_std_is_sqrt_2_over_fan_in():
    w = init.he_normal(SHAPE, rng=0)
    assert abs(w.mean()) < 0.01 * math.sqrt(2 / FAN_IN)
    assert w.std() == pytest.approx(math.sqrt(2 / FAN_IN), rel=0.01)
    assert init.kaiming_normal is init.he_normal


def test_he_uniform_bound_and_std():
    w = init.he_uniform(SHAPE, rng=0)
    bound = math.sqrt(2) * math.sqrt(3 / FAN_IN)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(math.sqrt(2 / FAN_IN), rel=0.01)  # U(-a, a): std a/sqrt 3


def test_xavier_uniform_and_normal():
    a = math.sqrt(6 / (FAN_IN + FAN_OUT))
    w = init.xavier_uniform(SHAPE, rng=1)
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.99 * a
    assert w.std() == pytest.approx(math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=0.01)
    w = init.xavier_normal(SHAPE, gain=2.0, rng=1)
    assert w.std() == pytest.approx(2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=0.01)


def test_normal_uniform_constant_zeros_ones():
    assert init.normal(SHAPE, mean=1.0, std=0.5, rng=2).std() == pytest.approx(0.5, rel=0.01)
    assert init.normal(SHAPE, mean=1.0, std=0.5, rng=2).mean() == pytest.approx(1.0, abs=0.01)
    u = init.uniform(SHAPE, -2.0, 3.0, rng=2)
    assert u.min() >= -2.0 and u.max() < 3.0 and u.mean() == pytest.approx(0.5, abs=0.02)
    np.testing.assert_array_equal(init.constant((2, 3), 0.7), np.full((2, 3), 0.7))
    np.testing.assert_array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.ones((2,)), np.ones(2))


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_every_named_initialiser_is_deterministic_shaped_and_typed(name):
    fn = init.INITIALIZERS[name]
    a = fn((5, 4), rng=np.random.default_rng(3), dtype=np.float64)
    b = fn((5, 4), rng=3, dtype=np.float64)  # an int seed is the same as a Generator from it
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 4) and a.dtype == np.float64
    assert fn((5, 4), rng=3, dtype=np.float32).dtype == np.float32
    if name not in ("zeros", "ones"):
        assert not np.array_equal(a, fn((5, 4), rng=4, dtype=np.float64))


def test_calculate_gain_matches_torch():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


def test_kaiming_with_leaky_relu_gain():
    w = init.kaiming_normal(SHAPE, a=0.2, nonlinearity="leaky_relu", rng=5)
    assert w.std() == pytest.approx(math.sqrt(2 / 1.04) / math.sqrt(FAN_IN), rel=0.01)


def test_bad_arguments():
    with pytest.raises(TypeError, match="default_rng"):
        init.normal((2, 2), rng="seed")
    with pytest.raises(TypeError, match="Generator, an int seed or None"):
        init.normal((2, 2), rng=True)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal((2, 2), std=-1.0)
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform((2, 2), 1.0, 0.0)
    with pytest.raises(ValueError, match="scalar shape"):
        init.xavier_uniform(())


@pytest.mark.parametrize("fn", [init.kaiming_normal, init.kaiming_uniform, init.xavier_normal])
@pytest.mark.parametrize("shape", [(0, 3), (0, 0), (-2, 3)])
def test_fans_of_an_empty_or_negative_shape_are_a_value_error(fn, shape):
    with pytest.raises(ValueError, match=r"fans of shape .*positive sizes"):
        fn(shape, rng=0)


def test_linear_uses_its_init():
    layer = Linear(FAN_IN, FAN_OUT, rng=6)  # default "he": He normal
    assert layer.W.data.std() == pytest.approx(math.sqrt(2 / FAN_IN), rel=0.01)
    layer = Linear(FAN_IN, FAN_OUT, init="xavier", rng=6)
    assert np.abs(layer.W.data).max() <= math.sqrt(6 / (FAN_IN + FAN_OUT))
