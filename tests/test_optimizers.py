"""Tests for backprop_lib.optim.optimizers: each rule step by step, defaults, state, errors,
clipping.

The expected values come from each documented equation, written out here per parameter and
per element with Python floats (independently of the library's numpy code), on two
parameters of different shapes and with tiny gradients, where eps matters.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import Parameter
from backprop_lib.optim.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    clip_grad_norm,
)

SHAPES = [(2, 3), (4,)]


def _start(seed=0, scale=1e-6):
    """Two parameters of different shapes and three rounds of tiny gradients for each."""
    rng = np.random.default_rng(seed)
    data = [rng.normal(size=s) for s in SHAPES]
    grads = [[scale * rng.normal(size=s) for s in SHAPES] for _ in range(3)]
    return data, grads


def _run(make_opt, data, grads):
    """Run the library optimizer; returns the parameter values after each step."""
    params = [Parameter(d) for d in data]
    opt = make_opt(params)
    after = []
    for round_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, round_grads, strict=True):
            p.grad += g
        opt.step()
        after.append([p.data.copy() for p in params])
    return after


def _reference(rule, data, grads, **hyper):
    """Apply ``rule(w, g, state, t, **hyper) -> w`` to every element of every parameter."""
    values = [d.ravel().tolist() for d in data]
    states = [[{} for _ in v] for v in values]
    after = []
    for t, round_grads in enumerate(grads, start=1):
        for v, s, g in zip(values, states, round_grads, strict=True):
            flat_g = g.ravel().tolist()
            for k in range(len(v)):
                v[k] = rule(v[k], flat_g[k], s[k], t, **hyper)
        after.append([np.array(v).reshape(d.shape) for v, d in zip(values, data, strict=True)])
    return after


# ---- each rule, written from its docstring's equations, one element at a time ----


def sgd_rule(w, g, s, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = g + weight_decay * w
    if momentum:
        s["b"] = g if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return w - lr * g


def adagrad_rule(w, g, s, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0, init=0.0, eps=1e-10):
    lr_t = lr / (1 + (t - 1) * lr_decay)
    g = g + weight_decay * w
    s["sum"] = s.get("sum", init) + g * g
    return w - lr_t * g / (math.sqrt(s["sum"]) + eps)


def rmsprop_rule(
    w, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
):
    g = g + weight_decay * w
    s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
    v = s["v"]
    if centered:
        s["a"] = alpha * s.get("a", 0.0) + (1 - alpha) * g
        v = v - s["a"] ** 2
    if momentum:
        s["b"] = momentum * s.get("b", 0.0) + g / (math.sqrt(v) + eps)
        return w - lr * s["b"]
    return w - lr * g / (math.sqrt(v) + eps)


def adam_rule(
    w, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
    decoupled=False,
):  # fmt: skip
    b1, b2 = betas
    if decoupled:
        w = w - lr * weight_decay * w
    else:
        g = g + weight_decay * w
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = max(s.get("vmax", 0.0), v)
        v = s["vmax"]
    m_hat, v_hat = s["m"] / (1 - b1**t), v / (1 - b2**t)
    return w - lr * m_hat / (math.sqrt(v_hat) + eps)


CASES = [
    ("SGD plain", lambda p: SGD(p, lr=0.1), sgd_rule, {"lr": 0.1}),
    (
        "SGD momentum+dampening+decay",
        lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
        sgd_rule,
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
    ),
    (
        "SGD nesterov",
        lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True),
        sgd_rule,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    ),
    ("Adagrad defaults", lambda p: Adagrad(p), adagrad_rule, {}),
    (
        "Adagrad all options",
        lambda p: Adagrad(p, lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.2),
        adagrad_rule,
        {"lr": 0.1, "lr_decay": 0.5, "weight_decay": 0.1, "init": 0.2},
    ),
    ("RMSprop defaults", lambda p: RMSprop(p), rmsprop_rule, {}),
    (
        "RMSprop centered momentum",
        lambda p: RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
        rmsprop_rule,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1},
    ),
    ("Adam defaults", lambda p: Adam(p), adam_rule, {}),
    (
        "Adam amsgrad + L2",
        lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
        adam_rule,
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True},
    ),
    ("AdamW defaults", lambda p: AdamW(p), adam_rule, {"weight_decay": 1e-2, "decoupled": True}),
    (
        "AdamW amsgrad",
        lambda p: AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True),
        adam_rule,
        {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "decoupled": True},
    ),
]


@pytest.mark.parametrize("name, make_opt, rule, hyper", CASES, ids=[c[0] for c in CASES])
def test_first_steps_follow_the_documented_rule(name, make_opt, rule, hyper):
    data, grads = _start()
    got = _run(make_opt, data, grads)
    want = _reference(rule, data, grads, **hyper)
    for step_got, step_want in zip(got, want, strict=True):
        for a, b in zip(step_got, step_want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert not np.allclose(got[-1][0], data[0], rtol=0, atol=1e-12)  # something moved


def test_adam_first_step_hand_computed_with_tiny_gradient_where_eps_matters():
    # t = 1: m_hat = g, v_hat = g^2, so w1 = w0 - lr * g / (|g| + eps); with g = eps the step
    # is exactly lr / 2 (and not lr, which ignoring eps would give).
    p = Parameter(np.array([1.0, -2.0]))
    opt = Adam([p], lr=0.1, eps=1e-8)
    p.grad[:] = [1e-8, -1e-8]
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 + 0.05], rtol=1e-9)


def test_adagrad_first_step_hand_computed():
    # s = g^2, so w1 = w0 - lr * g / (|g| + 1e-10) = w0 - 0.01 * 1e-10 / 2e-10 = w0 - 0.005
    p = Parameter(np.array([3.0]))
    opt = Adagrad([p])
    p.grad[:] = 1e-10
    opt.step()
    np.testing.assert_allclose(p.data, [2.995], rtol=1e-12)


def test_sgd_momentum_two_steps_hand_computed():
    # b1 = g1 = 1, w1 = 1 - 0.1 * 1 = 0.9; b2 = 0.9 * 1 + 2 = 2.9, w2 = 0.9 - 0.29 = 0.61
    p = Parameter(np.array([1.0]))
    opt = SGD([p], lr=0.1, momentum=0.9)
    for g in (1.0, 2.0):
        opt.zero_grad()
        p.grad[:] = g
        opt.step()
    np.testing.assert_allclose(p.data, [0.61], rtol=1e-12)


def test_torch_defaults():
    p = [Parameter(np.ones(2))]
    assert SGD(p).lr == 1e-3 and SGD(p).dampening == 0.0
    assert Adagrad(p).lr == 1e-2 and Adagrad(p).eps == 1e-10
    assert Adagrad(p).lr_decay == 0.0 and Adagrad(p).initial_accumulator_value == 0.0
    r = RMSprop(p)
    assert (r.lr, r.alpha, r.eps, r.momentum, r.centered) == (1e-2, 0.99, 1e-8, 0.0, False)
    a = Adam(p)
    assert (a.lr, a.betas, a.eps, a.weight_decay, a.amsgrad) == (1e-3, (0.9, 0.999), 1e-8, 0, False)
    w = AdamW(p)
    assert (w.lr, w.betas, w.eps, w.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 1e-2)


@pytest.mark.parametrize("make_opt", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_state_is_per_parameter_and_does_not_leak(make_opt):
    """Stepping with a zero gradient for one parameter and not the other keeps them apart."""
    data, grads = _start(seed=1)
    for g in grads:
        g[1][:] = 0.0  # the second parameter never gets a gradient
    params = [Parameter(d) for d in data]
    opt = make_opt(params)
    for round_grads in grads:
        opt.zero_grad()
        params[0].grad += round_grads[0]
        opt.step()
    # with a zero gradient only weight decay can move the second parameter
    alone = [Parameter(data[1])]
    opt_alone = make_opt(alone)
    for _ in grads:
        opt_alone.zero_grad()
        opt_alone.step()
    np.testing.assert_array_equal(params[1].data, alone[0].data)
    for i, state in enumerate(opt.state):
        for key, value in state.items():
            assert value.shape == SHAPES[i], key


def test_state_views_are_shaped_like_each_parameter_and_count_steps():
    params = [Parameter(np.ones(s)) for s in SHAPES]
    opt = Adam(params, lr=0.1)
    params[0].grad += 1.0
    opt.step()
    assert opt.state[0]["exp_avg"].shape == (2, 3) and opt.state[1]["exp_avg"].shape == (4,)
    np.testing.assert_allclose(opt.state[0]["exp_avg"], 0.1)  # (1 - 0.9) * 1
    assert not opt.state[1]["exp_avg"].any()
    assert opt.steps == 1


def test_parameters_keep_their_values_shapes_and_dtypes_when_laid_out():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    params = [Parameter(a) for a in arrays]
    params[1].grad += 2.0
    SGD(params, lr=0.1)
    for p, a in zip(params, arrays, strict=True):
        assert p.data.shape == a.shape and p.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, a)
    np.testing.assert_array_equal(params[1].grad, 2.0)  # accumulated gradients are kept


def test_zero_grad_zeroes_every_gradient():
    params = [Parameter(np.ones(s)) for s in SHAPES]
    opt = SGD(params, lr=0.1)
    for p in params:
        p.grad += 5.0
    opt.zero_grad()
    assert not any(p.grad.any() for p in params)


# ---- what a learner does to .data is what step() sees ----


def _mlp_and_data(seed=0):
    from backprop_lib import mlp
    from backprop_lib.data import make_moons

    X, y = make_moons(64, noise=0.1, rng=0)
    return mlp([2, 6, 1], rng=seed), X, y


def test_in_place_edits_after_construction_are_seen_by_step():
    p = Parameter(np.zeros((2, 2)))
    opt = SGD([p], lr=0.5)
    p.data[0, 0] = 4.0  # e.g. a learner setting one weight by hand
    p.data[1] += 1.0
    p.grad[...] = 2.0
    opt.step()
    np.testing.assert_array_equal(p.data, [[3.0, -1.0], [0.0, 0.0]])


@pytest.mark.parametrize("make_opt", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_arrays_fetched_before_construction_are_the_parameters(make_opt):
    """As in torch.optim: building an optimizer never replaces, copies or freezes an array."""
    model, _, _ = _mlp_and_data()
    layer = model[0]
    W, grad = layer.W.data, layer.W.grad  # fetched before the optimizer exists
    opt = make_opt(model.parameters())
    assert layer.W.data is W and layer.W.grad is grad
    W[0, 0] = 1.0  # a learner's edit through the early reference: no "read-only" error
    assert layer.W.data[0, 0] == 1.0
    grad[...] = 0.5
    before = W.copy()
    opt.step()
    assert layer.W.data is W and layer.W.grad is grad  # updated in place
    assert not np.array_equal(W, before)  # ... and the reference saw the step
    opt.zero_grad()
    assert layer.W.grad is grad and not grad.any()


def test_a_replaced_data_array_is_picked_up_by_the_next_step():
    p = Parameter(np.zeros(3))
    opt = SGD([p], lr=1.0)
    p.data = np.array([1.0, 2.0, 3.0])  # e.g. loaded from a checkpoint
    p.grad = np.ones(3)
    opt.step()
    np.testing.assert_array_equal(p.data, [0.0, 1.0, 2.0])
    p.grad[:] = 1.0
    opt.step()
    np.testing.assert_array_equal(p.data, [-1.0, 0.0, 1.0])


def test_a_replaced_array_of_the_same_shape_keeps_the_state():
    p, q = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    opt = SGD([p, q], lr=1.0, momentum=0.5)
    p.grad[:], q.grad[:] = 1.0, 1.0
    opt.step()  # b = g = 1; w = -1
    p.data = np.array([10.0, 10.0])
    opt.zero_grad()
    assert not p.grad.any()
    p.grad[:], q.grad[:] = 1.0, 1.0
    opt.step()  # b = 0.5 * 1 + 1 = 1.5: the momentum survived the replacement
    np.testing.assert_array_equal(p.data, [8.5, 8.5])
    np.testing.assert_array_equal(q.data, [-2.5, -2.5, -2.5])
    assert opt.steps == 2


@pytest.mark.parametrize("make_opt", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_a_parameter_of_a_new_shape_is_a_named_error_before_anything_changes(make_opt):
    p, q = Parameter(np.zeros(2), name="W"), Parameter(np.ones(3))
    opt = make_opt([q, p])
    p.data, p.grad = np.zeros((2, 3)), np.ones((2, 3))  # e.g. a layer widened in a notebook
    q.grad[:] = 1.0
    with pytest.raises(ValueError, match=r"parameter 1 \(W\) has shape \(2, 3\).*was \(2,\).*new"):
        opt.step()
    np.testing.assert_array_equal(q.data, 1.0)  # nothing was updated
    assert opt.steps == 0


def test_two_optimizers_on_the_same_parameters_both_update_them():
    p = Parameter(np.zeros(2))
    first, second = SGD([p], lr=1.0), SGD([p], lr=10.0)
    p.grad[:] = 1.0
    first.step()
    np.testing.assert_array_equal(p.data, [-1.0, -1.0])
    second.step()
    np.testing.assert_array_equal(p.data, [-11.0, -11.0])


def test_two_optimizers_alternating_each_keep_their_own_state():
    """Adam, SGD, Adam on a constant gradient: Adam's second step uses its own moments."""
    g = np.array([0.5, -2.0])
    p = Parameter(np.ones(2))
    adam, sgd = Adam([p], lr=0.1), SGD([p], lr=0.01)
    deltas = []  # Adam's steps alone (they depend on the gradients only, not on w)
    alone = Parameter(np.zeros(2))
    adam_alone = Adam([alone], lr=0.1)
    for _ in range(2):
        before = alone.data.copy()
        alone.grad[...] = g
        adam_alone.step()
        deltas.append(alone.data - before)
    for opt in (adam, sgd, adam):
        opt.zero_grad()
        p.grad[...] = g
        opt.step()
    np.testing.assert_allclose(p.data, 1.0 + deltas[0] - 0.01 * g + deltas[1], rtol=1e-15)
    assert (adam.steps, sgd.steps) == (2, 1)


def test_a_second_optimizer_after_resetting_the_model_trains_like_a_fresh_one():
    """A notebook trains with Adam, resets the weights, then compares SGD on the same model."""
    from backprop_lib import BCEWithLogitsLoss, fit
    from backprop_lib.nn.checkpoint import load_state_dict, state_dict

    model, X, y = _mlp_and_data()
    start = state_dict(model)
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X, y, 5)
    load_state_dict(model, start)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.3), X, y, 5)
    fresh, _, _ = _mlp_and_data()
    h_fresh = fit(fresh, BCEWithLogitsLoss(), SGD(fresh.parameters(), lr=0.3), X, y, 5)
    assert h.loss == h_fresh.loss
    for p, q in zip(model.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_checkpoint_load_into_a_model_being_optimized_is_seen_by_step(tmp_path):
    from backprop_lib.nn.checkpoint import load, save

    model, X, _ = _mlp_and_data()
    opt = SGD(model.parameters(), lr=0.1)
    path = save(model, tmp_path / "start")
    for p in model.parameters():
        p.grad[...] = 1.0
    opt.step()
    load(model, path)  # back to the saved values, written in place
    saved = np.load(path)
    opt.zero_grad()
    model.parameters()[0].grad[...] = 1.0
    opt.step()
    np.testing.assert_array_equal(model[0].W.data, saved["0.W"] - 0.1)
    np.testing.assert_array_equal(model[0].b.data, saved["0.b"])


def test_lr_finder_and_curvature_leave_the_optimizer_and_its_state_working():
    """Both restore the model in place; training then goes on as if they had not run."""
    from backprop_lib import BCEWithLogitsLoss, fit
    from backprop_lib.instruments.curvature import flat_gradient, sharpness
    from backprop_lib.instruments.lr_finder import lr_range_test, lr_sweep

    histories = []
    for probe in (False, True):
        model, X, y = _mlp_and_data()
        opt = Adam(model.parameters(), lr=0.05)
        fit(model, BCEWithLogitsLoss(), opt, X, y, 3)
        if probe:
            targets = y.reshape(-1, 1).astype(float)
            lr_range_test(model, BCEWithLogitsLoss(), X, targets, steps=10)
            lr_sweep(model, BCEWithLogitsLoss(), X, targets, [0.1, 1.0], epochs=2)
            sharpness(model, BCEWithLogitsLoss(), X, targets, iters=5)
            flat_gradient(model, BCEWithLogitsLoss(), X, targets)
        histories.append(fit(model, BCEWithLogitsLoss(), opt, X, y, 3))
        assert opt.steps == 6
    assert histories[0].loss == histories[1].loss
    assert histories[0].grad_norms == histories[1].grad_norms


def test_lr_is_mutable_and_used_by_the_next_step():
    p = Parameter(np.zeros(1))
    opt = SGD([p], lr=1.0)
    opt.lr = 0.5
    p.grad[:] = 1.0
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.5])
    opt.lr = 0.0  # a schedule may reach 0
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.5])
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0
    assert opt.lr == 0.0


BAD = [
    (lambda p: SGD(p, lr=0), ValueError, "lr must be a finite number > 0"),
    (lambda p: SGD(p, lr=-0.1), ValueError, "lr"),
    (lambda p: SGD(p, lr=float("nan")), ValueError, "lr"),
    (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, "SGD momentum must be in"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.1), ValueError, "SGD momentum"),
    (lambda p: SGD(p, lr=0.1, dampening=2.0), ValueError, "SGD dampening"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1.0), ValueError, "SGD weight_decay"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda p: Adagrad(p, eps=0.0), ValueError, "Adagrad eps"),
    (lambda p: Adagrad(p, lr_decay=-1.0), ValueError, "Adagrad lr_decay"),
    (lambda p: Adagrad(p, initial_accumulator_value=-1), ValueError, "initial_accumulator"),
    (lambda p: RMSprop(p, alpha=1.0), ValueError, "RMSprop alpha"),
    (lambda p: RMSprop(p, eps=-1e-8), ValueError, "RMSprop eps"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"beta2 \(betas\[1\]\)"),
    (lambda p: Adam(p, betas=(-0.1, 0.999)), ValueError, r"beta1 \(betas\[0\]\)"),
    (lambda p: Adam(p, betas=0.9), ValueError, "betas must be a pair"),
    (lambda p: AdamW(p, weight_decay=-1e-2), ValueError, "AdamW weight_decay"),
    (lambda p: Adam(p, eps=0), ValueError, "Adam eps"),
]


@pytest.mark.parametrize("make_opt, error, message", BAD)
def test_invalid_hyperparameters_raise_named_errors_and_change_nothing(make_opt, error, message):
    params = [Parameter(np.arange(3.0)), Parameter(np.ones((2, 2)))]
    data_before = [p.data for p in params]
    with pytest.raises(error, match=message):
        make_opt(params)
    for p, before in zip(params, data_before, strict=True):
        assert p.data is before  # not even laid out anew
    np.testing.assert_array_equal(params[0].data, [0.0, 1.0, 2.0])


def test_bad_parameter_lists():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="not a Parameter; pass model.parameters"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="same Parameter twice"):
        SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="mix dtypes"):
        SGD([p, Parameter(np.ones(2, dtype=np.float32))], lr=0.1)
    with pytest.raises(TypeError, match="list of Parameters"):
        SGD(3, lr=0.1)


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer([Parameter(np.ones(1))], lr=0.1).step()


# ---- clip_grad_norm ----


def test_clip_grad_norm_returns_the_total_norm_and_rescales_to_max_norm():
    a, b = Parameter(np.zeros((2, 2))), Parameter(np.zeros(3))
    a.grad[:] = 3.0  # sum of squares 36
    b.grad[:] = [0.0, 8.0, 0.0]  # 64; total norm 10
    total = clip_grad_norm([a, b], max_norm=5.0)
    assert total == pytest.approx(10.0)
    scale = 5.0 / (10.0 + 1e-6)
    np.testing.assert_allclose(a.grad, 3.0 * scale)
    np.testing.assert_allclose(b.grad, [0.0, 8.0 * scale, 0.0])


def test_clip_grad_norm_leaves_small_gradients_alone_and_accepts_an_optimizer():
    p = Parameter(np.zeros(2))
    p.grad[:] = [0.3, 0.4]
    assert clip_grad_norm([p], 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad, [0.3, 0.4])
    opt = SGD([p], lr=0.1)
    assert clip_grad_norm(opt, 0.1) == pytest.approx(0.5)
    assert np.linalg.norm(p.grad) == pytest.approx(0.1, rel=1e-5)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([p], 0.0)


@settings(max_examples=25, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
    lr=st.floats(1e-3, 1.0),
)
def test_plain_sgd_is_w_minus_lr_g_for_any_shapes(shapes, seed, lr):
    rng = np.random.default_rng(seed)
    params = [Parameter(rng.normal(size=s)) for s in shapes]
    grads = [rng.normal(size=s) for s in shapes]
    before = [p.data.copy() for p in params]
    opt = SGD(params, lr=lr)
    for p, g in zip(params, grads, strict=True):
        p.grad += g
    opt.step()
    for p, w, g in zip(params, before, grads, strict=True):
        np.testing.assert_allclose(p.data, w - lr * g, rtol=1e-12, atol=1e-15)


# ---- optional: the same numbers as torch.optim ----

TORCH_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict()),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict()),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict()),
]


@pytest.mark.parametrize("name, hyper", TORCH_CASES)
def test_matches_torch_optim(name, hyper):
    torch = pytest.importorskip("torch")
    import backprop_lib.optim.optimizers as ours

    data, grads = _start(seed=3, scale=1e-3)
    got = _run(lambda p: getattr(ours, name)(p, **hyper), data, grads)[-1]
    tensors = [torch.tensor(d, requires_grad=True) for d in data]
    opt = getattr(torch.optim, name)(tensors, **hyper)
    for round_grads in grads:
        for t, g in zip(tensors, round_grads, strict=True):
            t.grad = torch.tensor(g)
        opt.step()
    for a, t in zip(got, tensors, strict=True):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("cls", "typical"),
    [(SGD, "0.1"), (Adagrad, "0.01"), (RMSprop, "0.01"), (Adam, "0.001"), (AdamW, "0.001")],
)
def test_nonpositive_lr_error_suggests_this_optimizers_typical_rate(cls, typical):
    with pytest.raises(ValueError, match=rf"lr={typical} for {cls.__name__}\b"):
        cls([Parameter(np.ones(2))], lr=-1.0)
