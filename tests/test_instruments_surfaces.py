"""The 2-D test surfaces and the path recorder (instruments/surfaces.py), and the numbers
notebooks/07_optimizers.ipynb states about races on them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.instruments import surfaces
from backprop_lib.instruments.surfaces import (
    TOY_FUNCTIONS,
    OptimizerPath,
    busy_and_idle,
    race,
    ravine,
    record_path,
)
from backprop_lib.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from backprop_lib.viz import landscape
from backprop_lib.widgets.optimizers import SURFACE_SETTINGS, racers_from


def _central(fn, x, y, h=1e-6):
    return (fn(x + h, y) - fn(x - h, y)) / (2 * h), (fn(x, y + h) - fn(x, y - h)) / (2 * h)


def _hessian(fn, x, y, h=1e-4):
    gx = lambda a, b: fn.grad(a, b)[0]  # noqa: E731
    gy = lambda a, b: fn.grad(a, b)[1]  # noqa: E731
    return np.array(
        [
            [(gx(x + h, y) - gx(x - h, y)) / (2 * h), (gx(x, y + h) - gx(x, y - h)) / (2 * h)],
            [(gy(x + h, y) - gy(x - h, y)) / (2 * h), (gy(x, y + h) - gy(x, y - h)) / (2 * h)],
        ]
    )


ALL = {**TOY_FUNCTIONS, "ravine 300 at 35°": ravine(300, 35), "busy and idle": busy_and_idle()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_gradients_match_central_differences_and_minima_are_flat(name):
    fn = ALL[name]
    rng = np.random.default_rng(0)
    x, y = rng.uniform(*fn.xlim, 7), rng.uniform(*fn.ylim, 7)
    gx, gy = fn.grad(x, y)
    nx, ny = _central(fn, x, y)
    np.testing.assert_allclose(gx, nx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gy, ny, rtol=1e-5, atol=1e-5)
    for m in fn.minima + fn.saddles:
        assert np.allclose(fn.grad(*m), 0.0, atol=1e-4)  # Himmelblau: given to 6 digits
    for m in fn.minima:  # a minimum curves up (or stays flat) in every direction
        assert np.linalg.eigvalsh(_hessian(fn, *m)).min() > -1e-6
    assert fn.lowest == pytest.approx(min(float(fn(*m)) for m in fn.minima))


@pytest.mark.parametrize("name", ["saddle", "two minima"])
def test_saddles_curve_up_and_down(name):
    fn = TOY_FUNCTIONS[name]
    for s in fn.saddles:
        lams = np.linalg.eigvalsh(_hessian(fn, *s))
        assert lams[0] < -0.1 and lams[1] > 0.1


def test_saddle_hessian_and_the_deeper_minimum():
    np.testing.assert_allclose(
        _hessian(TOY_FUNCTIONS["saddle"], 0.0, 0.0), np.diag([1, -1]), atol=1e-6
    )
    fn = TOY_FUNCTIONS["two minima"]
    left, right = fn.minima
    assert left[0] < 0 < right[0] and fn(*left) < fn(*right)


@settings(max_examples=30)
@given(st.floats(1.0, 1000.0), st.floats(-90.0, 90.0), st.integers(0, 1000))
def test_ravine_has_the_condition_number_and_angle_asked_for(kappa, angle, seed):
    fn = ravine(kappa, angle)
    A = np.array(fn.hessian)
    lams, vecs = np.linalg.eigh(A)
    np.testing.assert_allclose(lams, [10.0 / kappa, 10.0], rtol=1e-9)
    assert fn.lambda_max == 10.0
    w = np.random.default_rng(seed).normal(size=2)
    assert fn(*w) == pytest.approx(0.5 * w @ A @ w)
    np.testing.assert_allclose(fn.grad(*w), A @ w, atol=1e-12)
    if kappa > 1.01:  # the floor (flattest direction) points along the angle
        floor = vecs[:, 0]
        theta = np.radians(angle)
        assert abs(floor @ [np.cos(theta), np.sin(theta)]) == pytest.approx(1.0, abs=1e-6)


def test_ravine_10_is_notebook_04s_ravine():
    fn = TOY_FUNCTIONS["ravine"]
    assert fn.name == "ravine" and fn.start == (-1.6, 1.2)
    assert fn(1.0, 1.0) == pytest.approx((1 + 10) / 2)
    np.testing.assert_allclose(np.array(fn.hessian), np.diag([1.0, 10.0]))


@pytest.mark.parametrize(
    "kwargs, error",
    [({"condition": 0.5}, ValueError), ({"condition": "10"}, TypeError),
     ({"angle": float("nan")}, ValueError), ({"steep": 0.0}, ValueError)],
)  # fmt: skip
def test_ravine_rejects_bad_settings(kwargs, error):
    with pytest.raises(error):
        ravine(**kwargs)


def test_record_path_is_gradient_descent_step_by_step():
    fn = ravine(100, 30)
    A = np.array(fn.hessian)
    path = record_path(fn, SGD, start=(1.0, -0.5), steps=7, lr=0.15)
    w = np.array([1.0, -0.5])
    expected = [w]
    for _ in range(7):
        w = w - 0.15 * A @ w
        expected.append(w)
    np.testing.assert_allclose(path.points, expected)
    np.testing.assert_allclose(path.losses, [fn(*p) for p in expected])
    np.testing.assert_allclose(path.gaps, path.losses - fn.lowest)
    assert not path.diverged and path.steps == 7
    np.testing.assert_allclose(landscape.optimizer_path(fn, SGD, start=(1.0, -0.5), steps=7,
                                                        lr=0.15), path.points)  # fmt: skip


def test_record_path_uses_the_optimizers_own_rule():
    fn = TOY_FUNCTIONS["rosenbrock"]
    path = record_path(fn, Adam, steps=3, lr=0.1)
    m = v = np.zeros(2)
    w = np.array(fn.start)
    for t in range(1, 4):
        g = np.array(fn.grad(*w))
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w = w - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(path.points[t], w, rtol=1e-12)


def test_a_diverging_run_stops_and_is_marked():
    fn = TOY_FUNCTIONS["ravine"]  # limit 2 / 10 = 0.2
    above = record_path(fn, SGD, steps=500, lr=0.21)
    below = record_path(fn, SGD, steps=500, lr=0.19)
    assert above.diverged and len(above.points) < 501 and np.all(np.isfinite(above.points))
    assert above.steps_to(1e-3) is None
    assert not below.diverged and len(below.points) == 501 and below.steps_to(1e-3) is not None
    assert record_path(fn, SGD, steps=0, lr=0.1).points.shape == (1, 2)


def test_steps_to_waits_until_the_loss_stays_close():
    gaps = np.array([1.0, 1e-4, 0.5, 1e-4, 1e-5, 1e-6])  # passes through, swings out, settles
    path = OptimizerPath(np.zeros((6, 2)), gaps, gaps, False, 5)
    assert path.steps_to(1e-3) == 3
    assert OptimizerPath(np.zeros((2, 2)), gaps[:2], gaps[:2], False, 1).steps_to(1e-3) == 1
    swinging = OptimizerPath(np.zeros((3, 2)), gaps[:3], gaps[:3], False, 2)
    assert swinging.steps_to(1e-3) is None
    assert OptimizerPath(np.zeros((1, 2)), gaps[4:5], gaps[4:5], False, 0).steps_to(1e-3) == 0


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: record_path("banana", SGD, lr=0.1), ValueError, "unknown toy function"),
        (lambda: record_path(np.eye(2), SGD, lr=0.1), TypeError, "ToyFunction"),
        (lambda: record_path("ravine", SGD, start=(1.0,), lr=0.1), ValueError, "start"),
        (lambda: record_path("ravine", SGD, start=(np.nan, 1), lr=0.1), ValueError, "finite"),
        (lambda: record_path("ravine", SGD, steps=-1, lr=0.1), ValueError, "steps"),
        (lambda: record_path("ravine", SGD, steps=2.5, lr=0.1), TypeError, "steps"),
        (lambda: record_path("ravine", "SGD", lr=0.1), TypeError, "optimizer class"),
        (lambda: record_path("ravine", SGD, lr=-1.0), ValueError, "lr"),
        (lambda: race("ravine", {}), ValueError, "non-empty"),
        (lambda: race("ravine", {"SGD": SGD}), ValueError, "SGD"),
    ],
)
def test_bad_arguments_name_the_problem(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_race_starts_every_optimizer_at_the_same_point():
    paths = race("saddle", {"SGD": (SGD, {"lr": 0.1}), "Adam": (Adam, {"lr": 0.1})}, steps=5)
    assert list(paths) == ["SGD", "Adam"]
    for p in paths.values():
        np.testing.assert_array_equal(p.points[0], TOY_FUNCTIONS["saddle"].start)
    np.testing.assert_allclose(
        paths["SGD"].points, record_path("saddle", SGD, steps=5, lr=0.1).points
    )


def test_the_core_module_imports_numpy_only():
    assert "matplotlib" not in surfaces.__dict__ and "ipywidgets" not in surfaces.__dict__


# ---- the numbers notebook 07 states ----


def test_nb07_sgd_covers_part_of_the_kappa_100_floor_in_60_steps():
    fn = ravine(100)
    path = record_path(fn, SGD, steps=60, lr=2 / (0.1 + 10))
    assert -1.0 < path.end[0] < -0.2  # moved from -1.6, far from the minimum at 0
    assert abs(path.end[1]) < 1.0


def test_nb07_damping_with_four_betas():
    fn = ravine(100)
    arrivals = {b: record_path(fn, SGD, steps=100, lr=0.1, momentum=b).steps_to(1e-3)
                for b in [0.0, 0.5, 0.9, 0.99]}  # fmt: skip
    assert arrivals[0.0] is None and arrivals[0.5] is None and arrivals[0.99] is None
    assert arrivals[0.9] == 85


def test_nb07_nesterov_against_momentum():
    fn = ravine(100)
    run = lambda b, n: record_path(fn, SGD, steps=100, lr=0.1, momentum=b, nesterov=n)  # noqa: E731
    mom, nest = run(0.9, False).steps_to(1e-3), run(0.9, True).steps_to(1e-3)
    assert nest / mom == pytest.approx(0.5, abs=0.05)  # "about half the steps"
    assert run(0.99, False).steps_to(1e-3) is None and run(0.99, True).steps_to(1e-3) is None
    ratio = run(0.99, False).gaps[-1] / run(0.99, True).gaps[-1]
    assert 20 < ratio < 40  # "about thirty times smaller"


def test_nb07_per_parameter_methods_fix_only_the_aligned_ravine():
    racers = racers_from(SURFACE_SETTINGS["ravine"])
    aligned = {k: p.steps_to(1e-3) for k, p in race(ravine(100, 0), racers, steps=200).items()}
    turned = {k: p.steps_to(1e-3) for k, p in race(ravine(100, 30), racers, steps=200).items()}
    assert aligned["Adagrad"] <= 12 and aligned["RMSprop"] <= 12  # "about a dozen steps"
    others = [aligned[k] for k in ("SGD", "momentum", "Nesterov", "Adam")]
    assert min(others) > 5 * max(aligned["Adagrad"], aligned["RMSprop"])  # "far ahead"
    assert turned["Adagrad"] is None and turned["Adam"] > 150  # "only near the end"
    firsts = sorted(turned, key=lambda k: turned[k] or 10**9)[:2]
    assert set(firsts) == {"momentum", "Nesterov"}
    assert turned["Adam"] > turned["momentum"]  # the misconception section: momentum beat Adam


def test_nb07_saddle_escapes():
    paths = race("saddle", racers_from(SURFACE_SETTINGS["saddle"]), steps=150)
    arrived = {k: p.steps_to(1e-3) for k, p in paths.items()}
    assert arrived["Adagrad"] == min(arrived.values())  # "escapes at once"
    assert arrived["SGD"] > arrived["momentum"] > arrived["Nesterov"]
    rms = paths["RMSprop"]
    first = int(np.flatnonzero(rms.gaps <= 1e-3)[0])
    assert first < 30 and arrived["RMSprop"] > 100  # early arrival, long overshooting
    # near the ridge the y-gradient is -y (1 - y^2): plain GD multiplies y by 1 + lr per step
    y = paths["SGD"].points[:5, 1]
    np.testing.assert_allclose(y[1:] / y[:-1], 1.1, rtol=1e-4)


def test_nb07_only_nesterov_reaches_the_deeper_minimum():
    paths = race("two minima", racers_from(SURFACE_SETTINGS["two minima"]), steps=150)
    left = {k for k, p in paths.items() if p.end[0] < 0}
    assert left == {"Nesterov"}


def test_nb07_l2_under_adam_does_not_depend_on_lambda_but_adamw_does():
    fn = busy_and_idle()
    idle_l2 = [record_path(fn, Adam, steps=50, lr=0.01, weight_decay=lam).end[1]
               for lam in (0.01, 0.1, 1.0)]  # fmt: skip
    assert np.ptp(idle_l2) < 1e-3 and round(idle_l2[0], 3) == 0.537
    for lam in (0.01, 0.1, 1.0):
        y = record_path(fn, AdamW, steps=50, lr=0.01, weight_decay=lam).end[1]
        assert y == pytest.approx((1 - 0.01 * lam) ** 50, rel=1e-9)
    # the loss never moves the idle weight: without decay it stays where it started
    assert record_path(fn, Adam, steps=50, lr=0.01).end[1] == 1.0


def test_nb07_settings_let_every_optimizer_get_somewhere():
    for name in ("ravine", "saddle"):
        paths = race(
            name, racers_from(SURFACE_SETTINGS[name]), steps=SURFACE_SETTINGS[name]["steps"]
        )
        assert all(not p.diverged for p in paths.values())
        assert all(p.gaps[-1] < p.gaps[0] for p in paths.values())
    for cls in (Adagrad, RMSprop):  # both are offered in the race
        assert cls.__name__ in {
            c.__name__ for c, _ in racers_from(SURFACE_SETTINGS["ravine"]).values()
        }
