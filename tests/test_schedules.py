"""Tests for backprop_lib.optim.lr_scheduler: the documented learning rates, epoch by epoch."""

import math

import numpy as np
import pytest

from backprop_lib import Parameter
from backprop_lib.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR
from backprop_lib.optim.optimizers import SGD


def _opt(lr=0.1):
    return SGD([Parameter(np.zeros(2))], lr=lr)


def _lrs(schedule, epochs):
    """The optimizer's lr before the first step() and after each of ``epochs`` steps."""
    out = [schedule.optimizer.lr]
    for _ in range(epochs):
        schedule.step()
        out.append(schedule.optimizer.lr)
        assert schedule.get_last_lr() == [schedule.optimizer.lr]
    return out


def test_step_lr_divides_every_step_size_epochs():
    got = _lrs(StepLR(_opt(0.1), step_size=3, gamma=0.5), 7)
    want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_step_lr_default_gamma_is_a_tenth():
    got = _lrs(StepLR(_opt(1.0), step_size=1), 2)
    np.testing.assert_allclose(got, [1.0, 0.1, 0.01], rtol=1e-15)


def test_exponential_lr():
    got = _lrs(ExponentialLR(_opt(0.2), gamma=0.9), 4)
    np.testing.assert_allclose(got, [0.2, 0.18, 0.162, 0.1458, 0.13122], rtol=1e-14)


def test_cosine_annealing_start_middle_end():
    sched = CosineAnnealingLR(_opt(0.1), T_max=10, eta_min=0.01)
    got = _lrs(sched, 10)
    assert got[0] == pytest.approx(0.1)
    assert got[5] == pytest.approx(0.055)  # halfway: the mean of base_lr and eta_min
    assert got[10] == pytest.approx(0.01)
    # epoch 2: eta_min + (base - eta_min) * (1 + cos(pi / 5)) / 2
    assert got[2] == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi / 5)) / 2, rel=1e-14)
    assert (np.diff(got) < 0).all()  # strictly decreasing over T_max


def test_cosine_annealing_reaches_zero_by_default_and_the_optimizer_accepts_it():
    opt = _opt(0.3)
    _lrs(CosineAnnealingLR(opt, T_max=4), 4)
    assert opt.lr == pytest.approx(0.0, abs=1e-17)


def test_get_last_lr_is_a_list_before_any_step():
    sched = ExponentialLR(_opt(0.5), gamma=0.5)
    assert sched.get_last_lr() == [0.5]
    assert sched.last_epoch == 0


def test_numpy_numbers_are_accepted_like_python_ones():
    """E.g. a step size from np.arange or a gamma computed in float32."""
    for ours, kwargs in [
        (StepLR, {"step_size": np.int64(2), "gamma": np.float32(0.5)}),
        (CosineAnnealingLR, {"T_max": np.int32(4), "eta_min": np.float32(0.0)}),
    ]:
        plain = ours(_opt(0.1), **{k: v.item() for k, v in kwargs.items()})
        sched = ours(_opt(0.1), **kwargs)
        for _ in range(5):
            plain.step()
            sched.step()
            assert sched.get_last_lr() == plain.get_last_lr()
            assert type(sched.get_last_lr()[0]) is float


def test_schedule_starts_from_the_optimizers_current_lr():
    opt = _opt(0.1)
    opt.lr = 0.4
    sched = StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    assert opt.lr == pytest.approx(0.2)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "step_size must be a positive int"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size must be a positive int"),
        (lambda o: StepLR(o, step_size="3"), TypeError, "step_size"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min="0"), TypeError, "eta_min must be a"),
        (lambda o: StepLR(o, step_size=2, gamma=0), ValueError, "StepLR gamma"),
        (lambda o: ExponentialLR(o, gamma=-0.5), ValueError, "ExponentialLR gamma"),
        (lambda o: ExponentialLR(o, gamma="0.9"), TypeError, "gamma must be a number"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1), ValueError, "eta_min"),
        (lambda o: StepLR(object(), step_size=2), TypeError, "optimizer with an lr"),
    ],
)
def test_invalid_arguments_raise_and_leave_the_lr_alone(make, error, message):
    opt = _opt(0.1)
    with pytest.raises(error, match=message):
        make(opt)
    assert opt.lr == 0.1


@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [
        (StepLR, "StepLR", {"step_size": 3, "gamma": 0.5}),
        (ExponentialLR, "ExponentialLR", {"gamma": 0.9}),
        (CosineAnnealingLR, "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ],
)
def test_matches_torch_lr_scheduler(ours, theirs, kwargs):
    torch = pytest.importorskip("torch")
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    t_sched = getattr(torch.optim.lr_scheduler, theirs)(t_opt, **kwargs)
    sched = ours(_opt(0.1), **kwargs)
    for _ in range(10):
        t_opt.step()
        t_sched.step()
        sched.step()
        assert sched.get_last_lr()[0] == pytest.approx(t_sched.get_last_lr()[0], rel=1e-12)
