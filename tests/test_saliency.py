"""layer_outputs and input_gradient: right shapes, the gradient agrees with finite differences,
and the model is left as it was (training mode, every parameter's gradient)."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.instruments import input_gradient, layer_outputs, numerical_gradient


def test_layer_outputs_of_the_small_cnn():
    model = bl.small_cnn(rng=0)
    x = np.random.default_rng(0).random((3, 64))
    outs = layer_outputs(model, x)
    assert [name for name, _ in outs][:3] == ["0 Unflatten", "1 Conv2d", "2 ReLU"]
    shapes = [a.shape for _, a in outs]
    assert shapes == [(3, 1, 8, 8), (3, 8, 8, 8), (3, 8, 8, 8), (3, 8, 4, 4), (3, 16, 4, 4),
                      (3, 16, 4, 4), (3, 16, 2, 2), (3, 64), (3, 10)]  # fmt: skip
    np.testing.assert_allclose(outs[-1][1], model(x))
    with pytest.raises(TypeError, match="needs a Sequential"):
        layer_outputs(bl.Linear(2, 2), x)


@pytest.mark.parametrize("seed", [0, 1])
def test_input_gradient_is_the_derivative_of_the_class_score(seed):
    rng = np.random.default_rng(seed)
    model = bl.small_cnn(channels=(3,), rng=seed)
    x = rng.random((2, 64))
    target = np.array([3, 7])
    grad = input_gradient(model, x, target)
    assert grad.shape == x.shape

    def scores(inp):
        return model.eval()(inp)[np.arange(2), target]

    numeric = numerical_gradient(scores, x.copy())
    assert bl.rel_error(grad, numeric) < 1e-6
    # one int target applies to every example
    np.testing.assert_allclose(input_gradient(model, x, 3)[0], grad[0])


def test_input_gradient_leaves_the_model_as_it_was():
    model = bl.small_cnn(rng=0).train()
    for p in model.parameters():
        p.grad[...] = 0.5
    input_gradient(model, np.ones((1, 64)), 0)
    assert model.training and all(m.training for m in model.modules())
    assert all(np.all(p.grad == 0.5) for p in model.parameters())


def test_input_gradient_errors():
    model = bl.small_cnn(rng=0)
    with pytest.raises(ValueError, match="target 10 is not a class: the model has 10 outputs"):
        input_gradient(model, np.ones((1, 64)), 10)
    with pytest.raises(ValueError, match="must be an int >= 0"):
        input_gradient(model, np.ones((1, 64)), -1)
    with pytest.raises(TypeError, match="needs a Layer"):
        input_gradient("model", np.ones((1, 64)), 0)
