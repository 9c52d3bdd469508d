"""RunConfig -> Run: validation, determinism, epoch-by-epoch advance, stale abandonment."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.viz.param_slice import flatten_parameters
from backprop_lib.widgets.runs import DATASETS, INITS, OPTIMIZERS, Run, RunConfig

SMALL = dict(n=40, epochs=5, hidden=(4,))


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("dataset", "mnist", "unknown dataset"),
        ("optimizer", "lbfgs", "unknown optimizer"),
        ("init", "orthogonal", "unknown init"),
        ("penalty", "l3", "penalty"),
        ("lr", 0.0, "lr must be > 0"),
        ("epochs", -1, "epochs"),
        ("dtype", "float16", "dtype must be one of"),
        ("dtype", np.int64, "dtype must be one of"),
    ],
)
def test_bad_config_values_are_named(field, value, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**{field: value})


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_dataset_builds_and_trains(dataset):
    run = Run(RunConfig(dataset=dataset, **SMALL))
    classes = DATASETS[dataset][1]
    assert run.classes == classes
    assert run.model(run.X).shape == (len(run.X), 1 if classes in (0, 2) else classes)
    run.advance(5)
    assert len(run.history.loss) == 5
    assert len(run.snapshots) == 6


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_is_the_named_class(optimizer):
    run = Run(RunConfig(optimizer=optimizer, lr=0.01, **SMALL))
    assert type(run.optimizer) is OPTIMIZERS[optimizer]
    assert run.optimizer.lr == pytest.approx(0.01)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), init=st.sampled_from(sorted(INITS)))
def test_same_config_same_run(seed, init):
    config = RunConfig(seed=seed, init=init, **SMALL)
    a, b = Run(config), Run(config)
    a.advance(3)
    b.advance(3)
    assert a.history.loss == b.history.loss
    np.testing.assert_array_equal(a.snapshots[-1], b.snapshots[-1])


def test_advance_gives_up_when_stale_and_can_resume():
    run = Run(RunConfig(**SMALL))
    calls = []

    def stale():
        calls.append(1)
        return len(calls) > 2  # stale after two epochs

    assert run.advance(5, stale) is False
    assert run.epoch == 2
    assert run.advance(5) is True
    assert run.epoch == 5


def test_advance_stops_at_the_configured_epochs_and_at_divergence():
    run = Run(RunConfig(**SMALL))
    run.advance(100)
    assert run.epoch == 5 and run.finished
    bad = Run(RunConfig(dataset="sine", lr=1.0, n=40, epochs=50))
    bad.advance(50)
    assert bad.history.diverged and bad.finished
    assert bad.epoch == bad.history.diverged_epoch < 50


def test_penalty_reaches_the_trainer_only_when_chosen():
    assert Run(RunConfig(penalty="none", strength=0.1, **SMALL)).trainer.penalty is None
    run = Run(RunConfig(penalty="l1", strength=0.1, **SMALL))
    assert run.trainer.penalty_strength == pytest.approx(0.1)


def test_replace_makes_a_changed_copy():
    c = RunConfig()
    d = c.replace(lr=0.5)
    assert d.lr == 0.5 and c.lr == 0.1 and d.dataset == c.dataset


def test_dashboards_train_in_float32_unless_asked_for_float64():
    fast = Run(RunConfig(**SMALL))
    exact = Run(RunConfig(dtype=np.float64, **SMALL))  # a numpy type is kept as its name
    assert exact.config.dtype == "float64" and exact.config == RunConfig(dtype="float64", **SMALL)
    assert all(p.data.dtype == np.float32 for p in fast.model.parameters())
    assert all(p.data.dtype == np.float64 for p in exact.model.parameters())
    # the same initial weights (rounded) and, in spirit, the same run
    np.testing.assert_allclose(fast.snapshots[0], exact.snapshots[0], rtol=1e-6)
    fast.advance(5)
    exact.advance(5)
    np.testing.assert_allclose(fast.history.loss, exact.history.loss, rtol=1e-4)


def test_each_snapshot_is_the_parameters_after_that_epoch():
    run = Run(RunConfig(**SMALL))
    expected = [flatten_parameters(run.model)]
    for epoch in range(1, 4):
        run.step()
        expected.append(flatten_parameters(run.model))
        assert run.snapshots.shape == (epoch + 1, len(expected[0]))
    np.testing.assert_array_equal(run.snapshots, np.array(expected))
    assert not np.array_equal(run.snapshots[0], run.snapshots[-1])  # training moved them


@pytest.mark.parametrize("dataset", ["moons", "spirals", "sine"])
def test_a_run_without_health_records_none_and_trains_identically(dataset):
    full = Run(RunConfig(dataset=dataset, **SMALL))
    lean = Run(RunConfig(dataset=dataset, **SMALL), record_health=False)
    full.advance(SMALL["epochs"])
    lean.advance(SMALL["epochs"])
    assert full.history.grad_norms and full.history.saturation
    h = lean.history
    assert h.grad_norms == {} and h.update_ratios == {} and h.saturation == {}
    assert h.loss == full.history.loss and h.accuracy == full.history.accuracy
    np.testing.assert_array_equal(lean.snapshots, full.snapshots)


def test_only_dashboards_without_a_health_panel_skip_recording_it():
    from backprop_lib.widgets import GradientFlowExplorer, LearningRateExplorer, LearningRateRace
    from backprop_lib.widgets.playground import TrainingDashboard

    assert LearningRateExplorer.record_health is False and LearningRateRace.record_health is False
    assert GradientFlowExplorer.record_health is True and TrainingDashboard.record_health is True
