"""The bridge to PyTorch: the same network, weights, gradients and optimizer steps.

Skipped without torch (the optional 'bridge' extra); CI installs it and runs these with
`make bridge`, which fails if torch is missing.
"""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import bridge
from backprop_lib.data import load_digits, make_moons


def test_without_torch_every_function_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    model = bl.mlp([2, 3, 1], rng=0)
    for call in (
        lambda: bridge.require_torch(),
        lambda: bridge.to_torch(model),
        lambda: bridge.compare_gradients(model, bl.MSELoss(), np.ones((2, 2)), np.ones((2, 1))),
    ):
        with pytest.raises(ImportError, match="bridge"):
            call()


torch = pytest.importorskip("torch")


def _digits(n=64):
    X, y = load_digits()
    return X[:n], y[:n]


def test_to_torch_copies_the_weights_transposed_and_computes_the_same_outputs():
    model = bl.mlp([64, 16, 10], activation="relu", rng=0)
    net = bridge.to_torch(model)
    assert tuple(net[0].weight.shape) == (16, 64)  # torch: (out, in) = W.T
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), model[0].W.data.T)
    X, _ = _digits()
    out = net(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(out, model.forward(X), rtol=1e-12, atol=1e-12)
    assert net[0].weight.dtype == torch.float64


def test_the_copy_is_independent():
    model = bl.mlp([2, 4, 1], rng=0)
    net = bridge.to_torch(model)
    before = model[0].W.data.copy()
    with torch.no_grad():
        net[0].weight.add_(1.0)
    np.testing.assert_array_equal(model[0].W.data, before)


@pytest.mark.parametrize(
    ("sizes", "activation", "loss", "data"),
    [
        ([64, 32, 16, 10], "relu", bl.CrossEntropyLoss(), "digits"),
        ([2, 8, 1], "tanh", bl.BCEWithLogitsLoss(), "moons"),
        ([2, 5, 1], "sigmoid", bl.MSELoss(), "moons"),
    ],
)
def test_every_gradient_agrees_to_float64_rounding(sizes, activation, loss, data):
    model = bl.mlp(sizes, activation=activation, rng=1)
    if data == "digits":
        X, y = _digits(48)
    else:
        X, labels = make_moons(40, noise=0.2, rng=0)
        y = labels.reshape(-1, 1).astype(float)
    errors = bridge.compare_gradients(model, loss, X, y)
    assert set(errors) == {"loss"} | {name for name, _ in model.named_parameters()}
    assert max(errors.values()) < 1e-10, errors


def test_a_wrong_backward_is_caught_by_the_comparison():
    model = bl.Sequential(bl.Linear(2, 4, rng=0), bl.Tanh(), bl.Linear(4, 1, rng=1))
    X, labels = make_moons(30, noise=0.2, rng=0)
    y = labels.reshape(-1, 1).astype(float)

    class Wrong(bl.Tanh):
        def backward(self, grad_y):
            return grad_y  # forgets the factor 1 - y^2

    model.layers[1] = Wrong()
    errors = bridge.compare_gradients(model, bl.BCEWithLogitsLoss(), X, y)
    assert errors["2.W"] < 1e-10  # the last layer's gradient does not go through the bug
    assert errors["0.W"] > 1e-3


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: bl.Adam(p, lr=1e-2),
        lambda p: bl.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        lambda p: bl.AdamW(p, lr=1e-2),
        lambda p: bl.RMSprop(p, lr=1e-2, momentum=0.5),
        lambda p: bl.Adagrad(p, lr=0.1),
    ],
    ids=["adam", "sgd-nesterov", "adamw", "rmsprop", "adagrad"],
)
def test_optimizer_trajectories_agree(make_opt):
    model = bl.mlp([64, 16, 10], activation="relu", rng=2)
    X, y = _digits(40)
    drift = bridge.compare_training(
        model, bl.CrossEntropyLoss(), make_opt(model.parameters()), X, y
    )
    assert len(drift) == 5 and max(drift) < 1e-9, drift


def test_torch_loss_and_optimizer_names_match():
    assert type(bridge.torch_loss(bl.CrossEntropyLoss())).__name__ == "CrossEntropyLoss"
    model = bl.mlp([2, 3, 1], rng=0)
    opt = bridge.torch_optimizer(bl.Adam(model.parameters(), lr=3e-4), bridge.to_torch(model))
    assert type(opt).__name__ == "Adam" and opt.defaults["lr"] == 3e-4


def test_untranslatable_layers_are_named():
    model = bl.Sequential(bl.Linear(3, 3, rng=0), bl.BatchNorm1d(3))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        bridge.to_torch(model)
