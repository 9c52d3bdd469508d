"""Tests for backprop_lib.fastpath: the fused passes and the health statistics give the numbers
the layers give, and training takes the fused path only where that is guaranteed."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from learner_code import MySGD

from backprop_lib import (
    BCEWithLogitsLoss,
    Identity,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    mlp,
)
from backprop_lib.data import make_moons
from backprop_lib.fastpath import FusedMLP, fused_mlp
from backprop_lib.instruments.health import LayerHealth
from backprop_lib.nn.activations import sigmoid
from backprop_lib.optim.optimizers import SGD, Adam
from backprop_lib.training import History, Trainer, fit

ACTIVATIONS = ["tanh", "sigmoid", "relu", "identity"]


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.1, rng=0)


def _layer_pass(model, x, upstream):
    """The layers' own forward and backward: the output and every gradient."""
    out = model.forward(x).copy()
    model.zero_grad()
    model.backward(upstream.copy())
    return out, [p.grad.copy() for p in model.parameters()]


def _assert_same_pass(model, x, upstream, dtype=np.float64):
    want_out, want_grads = _layer_pass(model, x, upstream)
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    # no absolute slack: a tiny output rounded to 0 (or a wrong formula) must fail
    np.testing.assert_allclose(fused.forward(x), want_out, rtol=rtol, atol=0)
    for p in model.parameters():
        p.grad[...] = np.nan  # the fused backward must write every gradient entry
    given = upstream.copy()
    fused.backward(given)
    np.testing.assert_array_equal(given, upstream)  # only read: the trainer passes the loss's
    for (name, p), g in zip(model.named_parameters(), want_grads, strict=True):
        scale = float(np.max(np.abs(g))) or 1.0  # db may add in another order
        np.testing.assert_allclose(p.grad, g, rtol=rtol, atol=rtol * scale, err_msg=name)


# ---- the fused passes compute what the layers compute ----


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", [[2, 16, 16, 1], [3, 5, 4], [4, 1, 6, 2]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_passes_match_the_layers(activation, sizes, dtype):
    rng = np.random.default_rng(0)
    model = mlp(sizes, activation=activation, rng=1, dtype=dtype)
    assert FusedMLP.supports(model)
    x = rng.normal(size=(7, sizes[0])).astype(dtype)
    upstream = rng.normal(size=(7, sizes[-1])).astype(dtype)
    _assert_same_pass(model, x, upstream, dtype)


@settings(max_examples=30)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5),
    batch=st.integers(1, 12),
    activation=st.sampled_from(ACTIVATIONS),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fused_passes_match_the_layers_for_any_shapes(sizes, batch, activation, bias, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out, bias=bias, rng=rng))
        if k < len(sizes) - 2:
            kinds = {"tanh": Tanh, "sigmoid": Sigmoid, "relu": ReLU, "identity": Identity}
            layers.append(kinds[activation]())
    model = Sequential(*layers)
    x = 3 * rng.normal(size=(batch, sizes[0]))
    _assert_same_pass(model, x, rng.normal(size=(batch, sizes[-1])))


@pytest.mark.parametrize("last", [Tanh, Sigmoid, ReLU])
def test_an_activation_after_the_last_layer_leaves_the_upstream_gradient_unchanged(last):
    """E.g. Sigmoid + BCELoss: the trainer hands the fused backward the loss's own array."""
    rng = np.random.default_rng(3)
    model = Sequential(Linear(3, 5, rng=rng), Tanh(), Linear(5, 2, rng=rng), last())
    assert FusedMLP.supports(model)
    _assert_same_pass(model, rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))


def test_fused_sigmoid_keeps_the_negative_tail():
    """sigma(-40) = 4.2e-18, as activations.sigmoid gives; 0.5 + 0.5 tanh(z / 2) gives 0."""
    model = Sequential(Linear(1, 3, rng=0), Sigmoid(), Linear(3, 1, rng=0))
    model[0].W.data[...] = [[1.0, -1.0, 0.5]]
    model[0].b.data[...] = 0.0
    x = np.array([[40.0], [-3.0]])
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    fused.forward(x)
    hidden = fused.output_of(model[1])  # (2, 3)
    assert hidden[0, 1] > 0
    np.testing.assert_array_equal(hidden, sigmoid(x @ model[0].W.data))


def test_output_of_gives_each_activation_its_own_output():
    model = mlp([2, 4, 3, 1], activation="tanh", rng=0)
    x = np.random.default_rng(0).normal(size=(5, 2))
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    assert fused.output_of(model[1]) is None  # nothing ran yet
    fused.forward(x)
    model.forward(x)
    for index in (1, 3):
        np.testing.assert_allclose(fused.output_of(model[index]), model[index]._cache, rtol=1e-12)


# ---- the fused losses compute what the loss classes compute ----


@pytest.mark.parametrize("loss", [BCEWithLogitsLoss(), MSELoss()], ids=["bce_logits", "mse"])
@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("soft", [False, True], ids=["labels", "soft targets"])
def test_fused_losses_match_the_loss_classes(loss, outputs, soft):
    rng = np.random.default_rng(4)
    model = mlp([2, 5, outputs], rng=0)
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    x = rng.normal(size=(9, 2))
    out = fused.forward(x)
    # logits from confident to undecided, and the extremes (e^-z overflows below z = -709)
    out[:5, 0] = [40.0, -40.0, 0.0, 800.0, -800.0]
    target = rng.integers(0, 2, size=out.shape).astype(float)
    if soft:
        target[:, -1] = rng.random(9)  # probabilities in [0, 1] too
    want = loss.forward(out, target)
    want_grad = loss.backward()
    fused_loss = fused.loss_for(loss, target)
    if isinstance(loss, BCEWithLogitsLoss):
        assert fused_loss == (fused.bce_with_logits if soft else fused.bce_with_labels)
    for _ in range(2):  # the second call reuses what bce_with_labels keeps of the targets
        with np.errstate(all="ignore"):
            value, grad = fused_loss(out, target)
        assert value == pytest.approx(want, rel=1e-12, abs=0)
        assert grad.shape == out.shape
        # (the loss class rounds sigmoid(40) - 1 = -4.2e-18 to 0; bce_with_labels keeps it)
        scale = np.max(np.abs(want_grad))
        np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-12 * scale)


def test_bce_with_labels_follows_new_targets():
    model = mlp([2, 3, 1], rng=0)
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    out = fused.forward(np.ones((4, 2)))
    loss = BCEWithLogitsLoss()
    for target in (np.array([[0.0], [1.0], [1.0], [0.0]]), np.array([[1.0], [0.0], [0.0], [1.0]])):
        value, grad = fused.bce_with_labels(out, target)
        assert value == pytest.approx(loss.forward(out, target), rel=1e-12)
        np.testing.assert_allclose(grad, loss.backward(), rtol=1e-12)


def test_fused_bce_keeps_the_loss_of_a_confident_right_answer():
    """log(1 + e^-30) = 9.4e-14: log(1 + e^z) - z y at z = 30, y = 1 would round it away;
    bce_with_labels keeps its gradient as well."""
    model = mlp([1, 1], rng=0)
    fused = FusedMLP(model, SGD(model.parameters(), lr=0.1))
    out = fused.forward(np.zeros((2, 1)))
    out[:, 0] = [30.0, -30.0]
    for bce in (fused.bce_with_logits, fused.bce_with_labels):
        value, grad = bce(out, np.array([[1.0], [0.0]]))
        assert value == pytest.approx(math.log1p(math.exp(-30.0)), rel=1e-12, abs=0)
    # its gradient too (sigmoid(30) - 1 = -9.4e-14: 1 / (1 + e^-30) - 1 keeps 3 digits of it)
    want = sigmoid(np.array([-30.0, -30.0])) / 2  # |sigmoid(z) - y| / 2 = e^-30 / 2 (nearly)
    np.testing.assert_allclose(np.abs(grad[:, 0]), want, rtol=1e-12)


def test_only_the_built_in_bce_and_mse_losses_are_fused(moons):
    X, y = moons

    class MyBCE(BCEWithLogitsLoss):
        """A learner's subclass: it may change the maths, so the loss object runs it."""

    model = mlp([2, 8, 1], rng=0)
    for loss, fused in [(BCEWithLogitsLoss(), True), (MSELoss(), True), (MyBCE(), False)]:
        trainer = Trainer(model, loss, SGD(model.parameters(), lr=0.1), X, y.reshape(-1, 1))
        assert (trainer._fused_loss is not None) == fused
    patched = BCEWithLogitsLoss()
    patched.forward = lambda pred, target: 0.0  # an instance whose method was replaced
    trainer = Trainer(model, patched, SGD(model.parameters(), lr=0.1), X, y)
    assert trainer._fused_loss is None


# ---- who takes the fused path ----


def test_only_plain_mlps_with_our_optimizer_take_the_fused_path(moons):
    from backprop_lib.instruments.bugs import WrongSignLinear

    X, y = moons
    plain = mlp([2, 16, 16, 1], rng=0)
    assert Trainer(plain, BCEWithLogitsLoss(), SGD(plain.parameters(), lr=0.1), X, y)._fast
    patched = mlp([2, 8, 1], rng=0)
    patched[1].forward = lambda x: x  # an instance whose method was replaced
    for model in (
        mlp([2, 8, 1], batch_norm=True, rng=0),
        mlp([2, 8, 1], dropout=0.1, rng=0),
        mlp([2, 8, 1], activation="leaky_relu", rng=0),
        Sequential(WrongSignLinear(2, 8, rng=0), Tanh(), Linear(8, 1, rng=0)),
        Sequential(Tanh(), Linear(2, 1, rng=0)),
        Sequential(Linear(2, 8, rng=0), Tanh(), Tanh(), Linear(8, 1, rng=0)),
        patched,
    ):
        assert not FusedMLP.supports(model)
        trainer = Trainer(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y)
        assert trainer._fast is None


def test_the_fused_path_needs_one_of_our_optimizers_holding_every_parameter():
    model = mlp([2, 8, 1], rng=0)
    params = model.parameters()
    assert isinstance(fused_mlp(model, SGD(params, lr=0.1)), FusedMLP)
    assert fused_mlp(model, SGD(params[:2], lr=0.1)) is None  # zero_grad would miss some
    assert fused_mlp(model, MySGD(params, lr=0.1)) is None


def test_the_fused_path_needs_each_bias_right_after_its_weight():
    """[W; b] is one block of the flat vector only in model.parameters()' order."""
    model = mlp([2, 8, 1], rng=0)
    params = model.parameters()  # W0, b0, W1, b1
    assert fused_mlp(model, SGD(params[::-1], lr=0.1)) is None
    assert fused_mlp(model, SGD([params[0], params[2], params[1], params[3]], lr=0.1)) is None
    assert isinstance(fused_mlp(model, SGD(params, lr=0.1)), FusedMLP)
    extra = Linear(3, 3, rng=0).W  # a parameter the fused backward would never write
    assert fused_mlp(model, SGD([*params, extra], lr=0.1)) is None


# ---- training through either path gives the same run ----


class PlainTanh(Tanh):
    """A subclass: the same maths, but it sends fit through the layers."""


@pytest.mark.parametrize("loss", [BCEWithLogitsLoss(), MSELoss()], ids=["bce_logits", "mse"])
@pytest.mark.parametrize("batch_size", [None, 64])
def test_fused_and_layer_paths_train_alike(moons, batch_size, loss):
    X, y = moons
    y = y.reshape(-1, 1).astype(float)
    fast_model = mlp([2, 16, 16, 1], rng=6)
    slow_model = mlp([2, 16, 16, 1], rng=6)
    slow_model.layers[1] = PlainTanh()
    histories = []
    for model in (fast_model, slow_model):
        opt = Adam(model.parameters(), lr=0.01)
        histories.append(fit(model, loss, opt, X, y, 20, batch_size=batch_size, rng=0))
    fast, slow = histories
    np.testing.assert_allclose(fast.loss, slow.loss, rtol=1e-9)
    assert fast.accuracy == slow.accuracy
    assert len(fast.accuracy) == (20 if isinstance(loss, BCEWithLogitsLoss) else 0)
    for name in fast.grad_norms:
        np.testing.assert_allclose(fast.grad_norms[name], slow.grad_norms[name], rtol=1e-8)
        np.testing.assert_allclose(fast.update_ratios[name], slow.update_ratios[name], rtol=1e-8)
    assert fast.saturation["1.Tanh"] == slow.saturation["1.PlainTanh"]
    assert fast.saturation["3.Tanh"] == slow.saturation["3.Tanh"]
    for p, q in zip(fast_model.parameters(), slow_model.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-9, atol=1e-12)


def test_a_layer_swapped_between_epochs_is_used(moons):
    X, y = moons
    model = mlp([2, 16, 16, 1], rng=0)
    trainer = Trainer(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y)
    trainer.run_epoch()
    model.layers[1] = ReLU()  # e.g. a dashboard changing the activation in place
    trainer.run_epoch()
    assert trainer._fast is None
    assert model[1]._cache is not None  # the new layer ran
    assert list(trainer.history.saturation) == ["1.Tanh", "3.Tanh"]  # the names stay


def test_weights_replaced_between_epochs_are_used_by_both_paths(moons):
    """A learner assigns new arrays to .data mid-run: the next epoch trains those values."""
    X, y = moons
    loss = BCEWithLogitsLoss()
    runs = []
    for layer in (Tanh, PlainTanh):
        model = mlp([2, 8, 1], rng=3)
        model.layers[1] = layer()
        trainer = Trainer(model, loss, SGD(model.parameters(), lr=0.2), X, y)
        trainer.run_epoch()
        model[0].W.data = np.full((2, 8), 0.1)  # a new array, not a write into the old one
        model[2].b.data = np.array([0.5])
        want = loss.forward(model.forward(X), y.reshape(-1, 1).astype(float))  # the new weights'
        trainer.run_epoch()
        assert trainer.history.loss[1] == pytest.approx(want, rel=1e-12)
        assert not np.any(model[0].W.data == 0.1)  # and the step moved the new array
        runs.append((trainer.history.loss, [p.data.copy() for p in model.parameters()]))
    (fast_loss, fast_params), (slow_loss, slow_params) = runs
    np.testing.assert_allclose(fast_loss, slow_loss, rtol=1e-12)
    for p, q in zip(fast_params, slow_params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


# ---- LayerHealth: one reduceat or one weight at a time, the same numbers ----


@pytest.mark.parametrize("make_opt", [SGD, MySGD], ids=["flat", "per-parameter"])
def test_layer_health_measures_the_step_and_the_saturation(make_opt):
    rng = np.random.default_rng(1)
    model = mlp([3, 6, 6, 2], activation="tanh", rng=2)
    weights = [(n, p) for n, p in model.named_parameters() if n.endswith("W")]
    opt = make_opt(model.parameters(), lr=0.5)
    history = History()
    health = LayerHealth(weights, model, opt, history)
    assert health._flat == (make_opt is SGD)
    loss = MSELoss()
    x = 4 * rng.normal(size=(10, 3))
    loss.forward(model.forward(x), rng.normal(size=(10, 2)))
    opt.zero_grad()
    model.backward(loss.backward())
    before = {n: (p.grad.copy(), p.data.copy()) for n, p in weights}
    health.keep()
    opt.step()
    assert health.record(stepped=True, fused=None) is True
    for name, p in weights:
        g, w = before[name]
        assert history.grad_norms[name] == [pytest.approx(np.linalg.norm(g), rel=1e-12)]
        want_ratio = np.linalg.norm(p.data - w) / np.linalg.norm(w)
        assert history.update_ratios[name] == [pytest.approx(want_ratio, rel=1e-10)]
    for index in (1, 3):
        want = np.mean(np.abs(model[index]._cache) > 0.97)
        assert history.saturation[f"{index}.Tanh"] == [pytest.approx(want)]
    assert 0 < history.saturation["1.Tanh"][0] < 1  # the check means something


@pytest.mark.parametrize("make_opt", [SGD, MySGD], ids=["flat", "per-parameter"])
@pytest.mark.parametrize("case", ["no biases", "parameters in reverse"])
def test_layer_health_reads_each_weights_own_slice(make_opt, case):
    """Weights back to back in the flat vector (no bias between), or laid out last to first
    (an optimizer given the parameters in reverse): each weight's numbers are its own."""
    rng = np.random.default_rng(5)
    bias = case != "no biases"
    model = Sequential(Linear(3, 4, bias=bias, rng=0), Tanh(), Linear(4, 2, bias=bias, rng=1))
    params = model.parameters()
    weights = [(n, p) for n, p in model.named_parameters() if n.endswith("W")]
    opt = make_opt(params if case == "no biases" else params[::-1], lr=0.1)
    history = History()
    health = LayerHealth(weights, model, opt, history)
    for p in params:
        p.grad[...] = rng.normal(size=p.grad.shape)
    grad_norms = [np.linalg.norm(p.grad) for _, p in weights]
    ratios = [0.1 * np.linalg.norm(p.grad) / np.linalg.norm(p.data) for _, p in weights]
    health.keep()
    opt.step()  # plain SGD: W moves by -0.1 dL/dW
    assert health.record(stepped=True, fused=None) is True
    assert list(history.grad_norms) == ["0.W", "2.W"]
    assert [v[0] for v in history.grad_norms.values()] == pytest.approx(grad_norms, rel=1e-12)
    assert [v[0] for v in history.update_ratios.values()] == pytest.approx(ratios, rel=1e-10)


def test_fit_with_the_parameters_in_reverse_records_health(moons):
    X, y = moons
    model = mlp([2, 3, 1], rng=0)
    opt = SGD(model.parameters()[::-1], lr=0.1)  # trains through the layers, W0 laid out last
    history = fit(model, BCEWithLogitsLoss(), opt, X, y, 2)
    assert all(len(v) == 2 and v[0] > 0 for v in history.grad_norms.values())


def test_a_model_without_weights_records_no_gradient_health():
    """E.g. a lone BatchNorm1d: its gamma and beta are no weights, only its activations count."""
    from backprop_lib import BatchNorm1d

    model = Sequential(BatchNorm1d(1))
    X = np.random.default_rng(0).normal(size=(20, 1))
    history = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, X > 0, 3)
    assert history.grad_norms == {} and history.update_ratios == {}
    assert len(history.loss) == 3 and not history.diverged


def test_layer_health_records_nan_without_a_step_and_flags_overflow():
    model = mlp([2, 3, 1], rng=0)
    weights = [(n, p) for n, p in model.named_parameters() if n.endswith("W")]
    opt = SGD(model.parameters(), lr=1.0)
    history = History()
    health = LayerHealth(weights, model, opt, history)
    assert health.record(stepped=False, fused=None) is False
    assert all(math.isnan(v[0]) for v in history.grad_norms.values())
    assert math.isnan(history.saturation["1.Tanh"][0])  # no forward ran yet
    model[0].W.grad[...] = np.inf
    health.keep()
    with np.errstate(all="ignore"):
        opt.step()
        assert health.record(stepped=True, fused=None) is False
    assert history.grad_norms["0.W"][1] == math.inf
