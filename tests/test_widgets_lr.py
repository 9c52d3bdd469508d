"""LearningRateExplorer and LearningRateRace, driven from Python (no browser, no kernel)."""

import numpy as np
import pytest
from matplotlib.colors import same_color

from backprop_lib.viz.style import DIVERGED, to_png
from backprop_lib.widgets import LearningRateExplorer, LearningRateRace

SMALL = {"n": 60, "epochs": 12}


@pytest.fixture(scope="module")
def explorer():
    d = LearningRateExplorer(lr=0.1, marker=0.5, config=SMALL)
    yield d
    d.close()


def test_lr_slider_retrains_with_that_rate(explorer):
    explorer.lr.value = 0.3
    run = explorer.run
    assert run.config.lr == pytest.approx(0.3)
    assert run.optimizer.lr == pytest.approx(0.3)
    assert len(explorer.history.loss) == SMALL["epochs"]
    x, y = explorer.curves.train_line.get_data()
    np.testing.assert_allclose(y, explorer.history.loss)
    assert "η = 0.3" in explorer.loss_title.get_text()
    assert explorer.image.value == to_png(explorer.figure)
    assert explorer.error is None


def test_different_rates_give_different_curves_from_the_same_start(explorer):
    explorer.lr.value = 0.05
    slow = list(explorer.history.loss)
    start = explorer.run.snapshots[0].copy()
    explorer.lr.value = 2.0
    fast = list(explorer.history.loss)
    assert slow[0] == pytest.approx(fast[0])  # same initialisation, same first loss
    assert slow[-1] != pytest.approx(fast[-1])
    np.testing.assert_array_equal(explorer.run.snapshots[0], start)


def test_marker_is_written_on_the_loss_plot_and_turns_red_above_it(explorer):
    explorer.lr.value = 0.1
    assert "2/λmax" in explorer.loss_title.get_text()
    assert "0.2 ×" in explorer.loss_title.get_text()
    assert not same_color(explorer.loss_title.get_color(), DIVERGED)
    explorer.lr.value = 1.0
    assert "2 ×" in explorer.loss_title.get_text()
    assert same_color(explorer.loss_title.get_color(), DIVERGED)


def test_trajectory_is_drawn_on_the_slice(explorer):
    explorer.lr.value = 0.5
    xs, ys = explorer.slice.path.get_data()
    assert len(xs) == len(explorer.run.snapshots) == SMALL["epochs"] + 1
    ex, ey = explorer.slice.end.get_data()  # the slice is centred on the final parameters
    assert ex[0] == pytest.approx(0.0, abs=1e-9) and ey[0] == pytest.approx(0.0, abs=1e-9)


def test_step_reset_and_play_advance_epoch_by_epoch(explorer):
    explorer.reset()
    assert explorer.play.value == 0
    assert explorer.history.loss == []
    run = explorer.run
    explorer.step_button.click()
    assert len(explorer.history.loss) == 1
    explorer.step()
    explorer.step()
    assert len(explorer.history.loss) == 3
    assert explorer.run is run  # continued, not retrained from scratch
    assert explorer.epoch_label.value == f"epoch 3 / {SMALL['epochs']}"
    assert explorer.data_panel.ax.get_title() == "after 3 epochs"
    explorer.play.value = 7  # what a Play tick does
    assert len(explorer.history.loss) == 7
    explorer.reset_button.click()
    assert explorer.history.loss == []
    explorer.lr.value = 0.2  # a new experiment is shown fully trained
    assert explorer.play.value == SMALL["epochs"]
    assert len(explorer.history.loss) == SMALL["epochs"]


def test_config_copies_and_restores_the_experiment(explorer):
    explorer.lr.value = 0.04
    saved = dict(explorer.config)
    losses = list(explorer.history.loss)
    explorer.lr.value = 3.0
    explorer.config = saved
    assert explorer.lr.value == pytest.approx(0.04)
    assert explorer.history.loss == losses  # deterministic: the same run again


def test_a_diverged_run_is_labelled_not_raised():
    d = LearningRateExplorer(lr=1.0, config={"dataset": "sine", "n": 60, "epochs": 30})
    assert d.error is None
    assert d.history.diverged
    epoch = d.history.diverged_epoch
    assert f"diverged at epoch {epoch}" in d.status.value
    assert "learning rate is above" in d.status.value
    assert f"diverged at epoch {epoch}" in d.curves.note.get_text()
    assert len(d.curves.cross.get_data()[0]) == 1
    d.lr.value = 0.01  # and a sane rate clears the label
    assert not d.history.diverged
    assert d.curves.note.get_text() == ""
    assert "diverged" not in d.status.value
    d.close()


def test_fifty_rapid_changes_leave_the_last_value_on_screen():
    d = LearningRateExplorer(config=SMALL, threaded=True)
    values = np.geomspace(0.01, 3.0, 50)
    for v in values:
        d.lr.value = float(v)
    assert d.wait(timeout=60)
    assert d.error is None
    assert d.run.config.lr == pytest.approx(d.lr.value)
    assert f"η = {d.lr.value:.3g}" in d.loss_title.get_text()
    assert d.image.value == to_png(d.figure)
    assert d.updates < 50
    d.close()


def test_two_panel_variant_without_trajectory():
    d = LearningRateExplorer(config=SMALL, trajectory=False)
    assert d.slice is None
    assert len(d.figure.axes) == 2
    d.close()


def test_bad_range_is_a_clear_error():
    with pytest.raises(ValueError, match="lr_range"):
        LearningRateExplorer(lr_range=(1.0, 0.1))


def test_race_trains_every_rate_from_one_initialisation():
    d = LearningRateRace(lrs=(0.01, 0.3, 3.0), config=SMALL)
    assert [run.config.lr for run in d.runs] == pytest.approx([0.01, 0.3, 3.0])
    first = d.runs[0].snapshots[0]
    for run in d.runs[1:]:
        np.testing.assert_array_equal(run.snapshots[0], first)
    texts = [t.get_text() for t in d.curves.legend.get_texts()]
    assert texts[0].startswith("η = 0.01")
    d.controls["lr2"].value = 1.0
    assert d.runs[1].config.lr == pytest.approx(1.0)
    assert d.curves.legend.get_texts()[1].get_text().startswith("η = 1")
    for run, line in zip(d.runs, d.curves.lines.values(), strict=True):
        np.testing.assert_allclose(line.get_data()[1], run.history.loss)
    assert len(d.sweep.get_offsets()) + len(d.sweep_x.get_offsets()) == 3
    d.optimizer.value = "adam"
    assert all(type(run.optimizer).__name__ == "Adam" for run in d.runs)
    assert d.config["optimizer"] == "adam"
    d.close()


def test_race_marks_diverged_rates():
    d = LearningRateRace(lrs=(0.01, 1.0), config={"dataset": "sine", "n": 60, "epochs": 20})
    assert d.runs[1].history.diverged
    assert "(diverged)" in d.curves.legend.get_texts()[1].get_text()
    assert len(d.sweep_x.get_offsets()) == 1
    assert d.curves.ax.get_ylabel() == "loss (mean squared error)"  # sine: a regression
    assert d.ax_sweep.get_ylabel() == "final loss (mean squared error)"
    d.close()


def test_race_needs_two_to_six_rates():
    with pytest.raises(ValueError, match="2 to 6"):
        LearningRateRace(lrs=(0.1,))


def test_rates_outside_the_sliders_are_refused_not_moved_to_the_end():
    with pytest.raises(
        ValueError, match=r"lrs\[2\] = 15 is outside the slider's range \[0.001, 10\]"
    ):
        LearningRateRace(lrs=(0.05, 1.0, 15.0), config=SMALL)
    race = LearningRateRace(lrs=(0.05, 1.0, 15.0), lr_range=(1e-3, 30.0), config=SMALL)
    assert [s.value for s in race.sliders] == pytest.approx([0.05, 1.0, 15.0])
    race.close()
    with pytest.raises(ValueError, match="lr = 20 is outside"):
        LearningRateExplorer(lr=20.0, config=SMALL)
    with pytest.raises(ValueError, match="positive, finite"):
        LearningRateExplorer(lr=float("nan"), config=SMALL)


def test_race_with_a_penalty_says_its_loss_includes_it():
    race = LearningRateRace(lrs=(0.1, 1.0), config={**SMALL, "penalty": "l2", "strength": 0.01})
    assert race.curves.ax.get_ylabel() == "data loss + L2 penalty"
    assert race.ax_sweep.get_ylabel() == "final data loss + L2 penalty"
    race.close()
