"""Tests for backprop_lib.autograd.value_mlp: the MLP of Values gives the layer network's
outputs and gradients, and refuses what it cannot copy."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib import MSELoss, Sequential, ValueMLP, value_mlp_from_layers
from backprop_lib.nn.activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from backprop_lib.nn.layers import Linear


@pytest.mark.parametrize(
    "build",
    [
        lambda rng: Sequential(Linear(2, 3, rng=rng), Tanh(), Linear(3, 1, rng=rng)),
        lambda rng: Sequential(Linear(2, 2, rng=rng), Tanh(), Linear(2, 1, rng=rng), Tanh()),
        lambda rng: Sequential(Linear(3, 4, rng=rng), Sigmoid(), Linear(4, 2, rng=rng)),
        lambda rng: Sequential(Linear(2, 3, rng=rng), ReLU(), Linear(3, 2, rng=rng), Identity()),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_value_mlp_gives_the_same_gradients_as_the_layer_network(build, seed):
    rng = np.random.default_rng(seed)
    model = build(rng)
    linears = [layer for layer in model if isinstance(layer, Linear)]
    n_in, n_out = linears[0].in_features, linears[-1].out_features
    x = rng.normal(size=(5, n_in))  # (batch, in)
    y = rng.normal(size=(5, n_out))  # (batch, out)
    mlp = value_mlp_from_layers(model)

    loss_fn = MSELoss()
    pred = model(x)
    loss = loss_fn.forward(pred, y)
    model.backward(loss_fn.backward())

    preds = [mlp(row) for row in x.tolist()]
    errors = [
        p - t for ps, ts in zip(preds, y.tolist(), strict=True) for p, t in zip(ps, ts, strict=True)
    ]
    value_loss = sum(e**2 for e in errors) / y.size
    value_loss.backward()

    assert value_loss.data == pytest.approx(loss, rel=1e-12)
    assert np.allclose([[p.data for p in ps] for ps in preds], pred, rtol=1e-12, atol=1e-14)
    for (dW, db), lin in zip(mlp.grads(), linears, strict=True):
        np.testing.assert_allclose(dW, lin.W.grad, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(db, lin.b.grad, rtol=1e-9, atol=1e-12)
    for (W, b), lin in zip(mlp.weights(), linears, strict=True):
        assert np.array_equal(W, lin.W.data) and np.array_equal(b, lin.b.data)


def test_value_mlp_from_layers_refuses_what_it_cannot_copy():
    with pytest.raises(ValueError, match="Softmax at index 1"):
        value_mlp_from_layers(Sequential(Linear(2, 2, rng=0), Softmax()))
    with pytest.raises(ValueError, match="Tanh at index 2"):
        value_mlp_from_layers(Sequential(Linear(2, 2, rng=0), Tanh(), Tanh()))
    with pytest.raises(ValueError, match="at least one Linear"):
        value_mlp_from_layers(Sequential())


def test_value_mlp_labels_parameters_and_zero_grad():
    mlp = ValueMLP([2, 2, 1], rng=0)
    assert len(mlp.parameters()) == 2 * 3 + 3
    assert [p.label for p in mlp.layers[0][1].parameters()] == ["W0[0,1]", "W0[1,1]", "b0[1]"]
    (out,) = mlp([0.5, -1.0])
    assert out.label == "y[0]"
    out.backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())
    with pytest.raises(ValueError, match="2 layers need 2 activations"):
        ValueMLP([2, 2, 1], activations=["tanh"])
    with pytest.raises(ValueError, match="3 inputs"):
        ValueMLP([3, 1], rng=0)([1.0, 2.0])
