"""Tests for backprop_lib.instruments.gradcheck, including that it catches planted bugs.

If the gradient checks could not fail, every "gradcheck < 1e-7" assertion in the other test
modules would be vacuous; the planted bugs below show each check failing loudly.
"""

import numpy as np
import pytest

from backprop_lib import (
    BatchNorm1d,
    CrossEntropyLoss,
    Dropout,
    Linear,
    MSELoss,
    Sequential,
    Tanh,
    gradcheck,
    gradcheck_layer,
    gradcheck_loss,
    gradcheck_model,
    numerical_gradient,
    rel_error,
)

TOL = 1e-7
BUG = 1e-2  # a wrong backward is off by far more than this


# ---------------------------------------------------------------- rel_error


def test_rel_error_formula():
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 2.1)
    assert rel_error([1.0, 5.0], [1.0, -5.0]) == pytest.approx(1.0)  # max over entries
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(1e-12, 0.0) == pytest.approx(1e-4)  # the 1e-8 floor
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert np.isnan(rel_error([np.nan], [1.0]))


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


# ---------------------------------------------------------------- numerical_gradient


def test_numerical_gradient_of_a_scalar_function():
    x = np.random.default_rng(0).normal(size=(3, 4))
    x0 = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x0**2) < TOL
    np.testing.assert_array_equal(x, x0)  # perturbed in place, restored exactly


def test_numerical_gradient_along_an_upstream_gradient():
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    # f(x) = sin(x) elementwise: grad of sum(f(x) * dout) is cos(x) * dout
    assert rel_error(numerical_gradient(np.sin, x, dout), np.cos(x) * dout) < TOL


def test_numerical_gradient_argument_errors():
    with pytest.raises(TypeError, match="float ndarray"):
        numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(TypeError, match="float ndarray"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_gradient(np.sum, np.ones(3), h=0.0)
    with pytest.raises(ValueError, match="contiguous"):
        numerical_gradient(np.sum, np.ones((3, 4)).T)


# ---------------------------------------------------------------- planted bugs


class BiasMeanLinear(Linear):
    """Bug: averages the bias gradient over the batch instead of summing it."""

    def backward(self, grad_y):
        dx = super().backward(grad_y)
        self.b.grad -= grad_y.sum(axis=0) - grad_y.mean(axis=0)
        return dx


class UntransposedLinear(Linear):
    """Bug: dx = dy @ W instead of dy @ W.T (only runs for square W)."""

    def backward(self, grad_y):
        super().backward(grad_y)
        return grad_y @ self.W.data


class WrongTanh(Tanh):
    """Bug: tanh' taken as 1 - y instead of 1 - y^2."""

    def backward(self, grad_y):
        y = self.output
        return grad_y * (1.0 - y)


class ShortBatchNorm(BatchNorm1d):
    """Bug: drops the -xhat * sum(dxhat * xhat) term of batch norm's dx.

    With an all-ones upstream gradient that term is 0, so the bug hides; a random one shows it.
    """

    def backward(self, grad_y):
        xhat, inv_std, _ = self._cache
        self.gamma.grad += (grad_y * xhat).sum(axis=0)
        self.beta.grad += grad_y.sum(axis=0)
        dxhat = grad_y * self.gamma.data
        n = xhat.shape[0]
        return inv_std / n * (n * dxhat - dxhat.sum(axis=0))


class HalfMSE(MSELoss):
    """Bug: the gradient forgets the factor 2 of d(e^2)/de."""

    def backward(self):
        return super().backward() / 2


def randomized(layer, seed=0):
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.normal(size=p.shape)
    return layer


X = np.random.default_rng(7).normal(size=(5, 3))


def test_gradcheck_catches_a_bias_gradient_bug_and_names_it():
    errors = gradcheck_layer(randomized(BiasMeanLinear(3, 2)), X)
    assert errors["b"] > BUG
    assert errors["W"] < TOL and errors["x"] < TOL


def test_gradcheck_catches_a_wrong_input_gradient():
    errors = gradcheck_layer(randomized(UntransposedLinear(3, 3)), X)
    assert errors["x"] > BUG and errors["W"] < TOL


def test_gradcheck_catches_a_wrong_activation_derivative():
    assert gradcheck_layer(WrongTanh(), X)["x"] > BUG


def test_random_upstream_gradient_exposes_a_bug_that_ones_would_hide():
    bn = randomized(ShortBatchNorm(3))
    ones = np.ones((5, 3))
    bn(X)
    numeric = numerical_gradient(lambda x: bn.forward(x), X.copy())  # dout = ones
    # with dout = ones the missing term is 0 and the true dx is 0 too: the bug is invisible
    np.testing.assert_allclose(bn.backward(ones), numeric, atol=1e-8)
    assert gradcheck_layer(bn, X)["x"] > BUG  # gradcheck_layer's random dout finds it


def test_gradcheck_model_points_at_the_broken_layer():
    model = randomized(Sequential(Linear(3, 4), WrongTanh(), Linear(4, 2)), seed=1)
    errors = gradcheck_model(model, CrossEntropyLoss(), X, np.array([0, 1, 1, 0, 1]))
    assert list(errors) == ["0.W", "0.b", "2.W", "2.b"]
    assert errors["0.W"] > BUG and errors["0.b"] > BUG  # below the wrong backward
    assert errors["2.W"] < TOL and errors["2.b"] < TOL  # above it, still right


def test_gradcheck_loss_catches_a_wrong_loss_gradient():
    rng = np.random.default_rng(2)
    pred, target = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    assert gradcheck_loss(MSELoss(), pred, target) < TOL
    assert gradcheck_loss(HalfMSE(), pred, target) == pytest.approx(1 / 3)  # |g - g/2| / 1.5 g


# ---------------------------------------------------------------- state is restored


def test_gradcheck_layer_restores_parameters_gradients_and_buffers():
    rng = np.random.default_rng(3)
    model = randomized(Sequential(Linear(3, 4), Tanh(), BatchNorm1d(4), Linear(4, 2)))
    for p in model.parameters():
        p.grad[...] = rng.normal(size=p.shape)  # gradients from an earlier backward
    model[2].running_mean[:] = rng.normal(size=4)
    before = [a.copy() for p in model.parameters() for a in (p.data, p.grad)]
    buffers = [b.copy() for _, b in model.named_buffers()]
    x = X.copy()
    errors = gradcheck_layer(model, x)
    assert max(errors.values()) < TOL, errors
    for a, b in zip([a for p in model.parameters() for a in (p.data, p.grad)], before, strict=True):
        np.testing.assert_array_equal(a, b)
    for (_, a), b in zip(model.named_buffers(), buffers, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, X)  # the caller's input is untouched


def test_dropout_is_checked_with_one_mask_and_its_generator_is_restored():
    layer = Dropout(0.5, rng=4)
    twin = Dropout(0.5, rng=4)
    assert gradcheck_layer(layer, X)["x"] < TOL
    # the next mask is the one it would have drawn had the check not run
    np.testing.assert_array_equal(layer(np.ones((5, 3))), twin(np.ones((5, 3))))


def test_state_is_restored_even_when_the_check_raises():
    layer = Linear(3, 2, rng=0)
    w = layer.W.data.copy()

    class Boom(Linear):
        def backward(self, grad_y):
            self.W.data += 1.0  # a misbehaving backward that also corrupts the weights
            raise ArithmeticError("boom")

    bad = Boom(3, 2, rng=0)
    with pytest.raises(ArithmeticError):
        gradcheck_layer(bad, X)
    np.testing.assert_array_equal(bad.W.data, w)
    np.testing.assert_array_equal(layer.W.data, w)


def test_a_tied_weight_is_checked_once_with_both_contributions():
    first, second = Linear(3, 3, rng=0), Linear(3, 3, rng=1)
    second.W = first.W  # tied weights: dL/dW collects both uses
    model = randomized(Sequential(first, Tanh(), second))
    errors = gradcheck_layer(model, X)
    assert list(errors) == ["x", "0.W", "0.b", "2.b"]
    assert max(errors.values()) < TOL, errors


# ---------------------------------------------------------------- the one-call form


def test_gradcheck_one_call_for_layers_losses_and_models():
    rng = np.random.default_rng(5)
    layer = randomized(Linear(3, 2))
    assert gradcheck(layer, X) == max(gradcheck_layer(layer, X).values())
    assert gradcheck(CrossEntropyLoss(), rng.normal(size=(5, 3)), rng.integers(0, 3, 5)) < TOL
    y = rng.integers(0, 2, size=5)
    assert gradcheck(layer, X, y, loss=CrossEntropyLoss()) < TOL
    assert gradcheck(Sequential(Linear(3, 2), WrongTanh()), X, y, loss=CrossEntropyLoss()) > BUG
    with pytest.raises(ValueError, match="needs the target"):
        gradcheck(MSELoss(), X)
    with pytest.raises(ValueError, match="needs the targets y"):
        gradcheck(layer, X, loss=MSELoss())


def test_wrong_objects_are_type_errors():
    with pytest.raises(TypeError, match="checks a Layer"):
        gradcheck_layer(np.tanh, X)
    with pytest.raises(TypeError, match="checks a Loss"):
        gradcheck_loss(Tanh(), X, X)
    with pytest.raises(TypeError, match="needs a Loss"):
        gradcheck_model(Tanh(), Tanh(), X, X)


# ---------------------------------------------------------------- bad data


def _tiny_model():
    return Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 1, rng=1))


def test_gradcheck_model_refuses_nan_in_x_before_touching_the_model():
    model = _tiny_model()
    x = np.random.default_rng(0).normal(size=(5, 3))
    x[2, 1] = np.nan
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"x with 1 NaN or inf.*\(2, 1\).*np\.isfinite"):
        gradcheck_model(model, MSELoss(), x, np.zeros((5, 1)))
    assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters(), strict=True))
    assert all(not p.grad.any() for p in model.parameters())


def test_gradcheck_model_refuses_nan_targets_and_a_nan_loss():
    model, x = _tiny_model(), np.ones((4, 3))
    with pytest.raises(ValueError, match="y with 1 NaN"):
        gradcheck_model(model, MSELoss(), x, np.array([[0.0], [np.nan], [1.0], [2.0]]))
    model[0].W.data[0, 0] = np.nan  # finite data, broken weights: the loss itself is NaN
    with pytest.raises(ValueError, match="the loss is nan at the model's current weights"):
        gradcheck_model(model, MSELoss(), x, np.zeros((4, 1)))
    assert np.isnan(model[0].W.data[0, 0])  # left as it was


def test_gradcheck_layer_and_loss_refuse_nan():
    with pytest.raises(ValueError, match="gradcheck_layer got x with 1 NaN"):
        gradcheck_layer(Linear(2, 2, rng=0), [[1.0, np.nan]])
    with pytest.raises(ValueError, match="gradcheck_loss got pred with 1 NaN"):
        gradcheck_loss(MSELoss(), [[np.inf]], [[1.0]])
