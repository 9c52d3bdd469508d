"""Every dashboard of notebooks 01-05 (and the playground), driven to its controls' extremes:
no tick label, axis label, title or legend is clipped or runs into another, by the window
extents matplotlib computed for the picture the dashboard shows (``viz.layout``).

Each picture is saved (to ``$BP_FIGURE_DIR`` when set, else pytest's tmp dir) so that it can
be looked at; the test fails with the list of problems ``layout_problems`` found.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from backprop_lib.autograd.value import Value
from backprop_lib.viz.layout import layout_problems
from backprop_lib.viz.style import new_figure, to_png
from backprop_lib.widgets import (
    GradientFlowExplorer,
    LearningRateExplorer,
    LearningRateRace,
    QuadraticExplorer,
    TrainingDashboard,
    WeightExplorer,
)
from backprop_lib.widgets.bughunt import BugHunt
from backprop_lib.widgets.stepthrough import StepThrough

SMALL = {"n": 80, "epochs": 40}  # the demo's shape, fewer points and epochs: same layout issues


@pytest.fixture
def save(tmp_path):
    folder = Path(os.environ.get("BP_FIGURE_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def check(dash, name: str) -> None:
        assert dash.wait() and dash.error is None, dash.last_traceback
        (folder / f"{name}.png").write_bytes(dash.image.value)
        assert layout_problems(dash.figure) == [], name

    return check


# ---- the checker itself can fail ------------------------------------------------------------


def test_layout_problems_sees_clipping_overlap_and_a_label_in_the_next_panel():
    fig = new_figure(300, 200)
    fig.set_layout_engine("none")
    left, right = fig.subplots(1, 2)
    left.set_ylabel("a long label that the figure's edge cuts")
    right.set_ylim(0, 1e9)
    right.set_yticks(np.linspace(0, 1e9, 5), [f"{v:,.0f}" for v in np.linspace(0, 1e9, 5)])
    left.set_xticks(np.linspace(0, 1, 40))  # forty labels in 100 px
    to_png(fig)
    problems = "\n".join(layout_problems(fig))
    assert "clipped by the figure's edge" in problems
    assert "x tick labels" in problems and "overlap" in problems
    assert "runs into panel 0" in problems
    fig.set_layout_engine("constrained")  # the dashboards' own remedy
    left.set_xticks([0, 0.5, 1])
    left.set_ylabel("short")
    to_png(fig)
    assert layout_problems(fig) == []


def test_a_dashboard_lays_itself_out_again_when_a_render_has_problems():
    dash = LearningRateExplorer(lr=0.5, config=SMALL)
    dash.reset()  # epoch 0: new limits everywhere, the first layout no longer fits them
    assert layout_problems(dash.figure) == []
    dash.lr.value = 10.0
    assert layout_problems(dash.figure) == []
    dash.close()


# ---- each dashboard at its extremes -----------------------------------------------------------


def test_weight_explorer_extremes(save):
    dash = WeightExplorer(hidden=3)
    save(dash, "weights-start")
    for limit in (-4.0, 4.0):
        dash.config = dict.fromkeys(dash.controls, limit) | {"activation": "identity"}
        save(dash, f"weights-all-{limit:+.0f}-identity")
    dash.config = {"activation": "relu"}
    save(dash, "weights-relu")
    dash.close()


def test_step_through_first_and_last_step(save):
    a, b = Value(2.0), Value(-3.0)
    dash = StepThrough((a * b + a).tanh())
    save(dash, "stepthrough-0")
    dash.step.value = dash.step.max
    save(dash, "stepthrough-last")
    dash.close()


def test_bug_hunt_every_bug_and_seed_extremes(save):
    dash = BugHunt(bug="none", seed=0, run=True)
    save(dash, "bughunt-none")
    for bug in ("missing_transpose", "no_bias_grad", "no_batch_mean", "mystery"):
        dash.bug.value = bug
        dash.run_check()
        save(dash, f"bughunt-{bug}")
    dash.seed.value = dash.seed.max
    dash.run_check()
    save(dash, "bughunt-seed-max")
    dash.close()


@pytest.mark.parametrize("problem", ["parabola", "ravine"])
def test_quadratic_explorer_extremes(save, problem):
    dash = QuadraticExplorer(lr=0.1, problem=problem)
    low, high = dash.lr_range
    for lr in (low, dash.limit, high):
        dash.lr.value = lr
        save(dash, f"quadratic-{problem}-{lr:.3g}")
    dash.close()


def test_learning_rate_explorer_extremes_and_reset(save):
    dash = LearningRateExplorer(lr=0.5, marker=1.5, config=SMALL)
    for lr in (1e-3, 10.0):
        dash.lr.value = lr
        save(dash, f"lr-explorer-{lr:g}")
        dash.reset()
        save(dash, f"lr-explorer-{lr:g}-reset")
        dash.step()
        save(dash, f"lr-explorer-{lr:g}-step")
    dash.close()


def test_race_extremes(save):
    dash = LearningRateRace(lrs=(0.05, 1.0, 10.0), config=SMALL)
    save(dash, "race-notebook")
    dash.config = {"lr1": 1e-3, "lr2": 1e-3, "lr3": 10.0, "optimizer": "adam"}
    save(dash, "race-adam-extremes")
    dash.reset()
    save(dash, "race-reset")
    dash.close()


def test_gradient_flow_extremes(save):
    dash = GradientFlowExplorer(depth=6, config={"epochs": 20})
    for config in (
        {"depth": 1},
        {"depth": 12},
        {"depth": 12, "activation": "relu", "init": "normal"},  # losses in the thousands
        {"depth": 12, "activation": "tanh", "init": "small"},  # gradients of 1e-40
        {"depth": 12, "activation": "sigmoid", "init": "auto", "batch_norm": True},
        {"depth": 12, "batch_norm": False, "residual": True},
    ):
        dash.config = config
        save(dash, "gradflow-" + "-".join(f"{k}={v}" for k, v in config.items()))
    dash.reset()
    save(dash, "gradflow-reset")
    dash.close()


def test_playground_extremes_and_the_penalty_label(save):
    dash = TrainingDashboard(config={"epochs": 30})
    dash.config = {"penalty": "l1", "strength": 1.0}
    save(dash, "playground-l1-1")
    h = dash.history
    status = dash.status.value
    assert f"data loss {h.data_loss[-1]:.4g} nats" in status
    assert f"L1 penalty {h.penalty[-1]:.4g}" in status
    assert f"data loss + penalty {h.loss[-1]:.4g}" in status
    assert h.loss[-1] == pytest.approx(h.data_loss[-1] + h.penalty[-1], rel=1e-6)
    labels = [t.get_text() for t in dash.curves.legend.get_texts()]
    assert labels == ["data loss", "data loss + L1 penalty"]
    np.testing.assert_allclose(dash.curves.train_line.get_ydata(), h.data_loss, rtol=1e-6)
    dash.config = {"dataset": "sine", "layers": 4, "width": 32, "penalty": "none"}
    save(dash, "playground-sine")
    assert "loss" in dash.status.value and "penalty" not in dash.status.value
    dash.config = {"dataset": "spirals", "lr": 10.0, "optimizer": "sgd"}
    save(dash, "playground-spirals-lr10")
    dash.close()


def test_the_cached_check_sees_what_changed_in_one_panel():
    from backprop_lib.viz.layout import new_layout_problems

    fig = new_figure(400, 200)
    left, right = fig.subplots(1, 2)
    left.plot([0, 1], [0, 1])
    right.plot([0, 1], [1, 0])
    to_png(fig)
    assert new_layout_problems(fig) == []
    right.set_title("a title far too long to fit in half of a figure this narrow")
    to_png(fig)  # only the right panel changed: its boxes are measured again
    assert any("clipped" in p or "runs into" in p for p in new_layout_problems(fig))
    right.set_title("short")
    left.set_ylim(0, 123456789.0)  # wide tick labels run into nothing: still clean
    to_png(fig)
    assert new_layout_problems(fig) == layout_problems(fig)
