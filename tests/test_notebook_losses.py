"""notebooks/06_loss_functions.ipynb: every number its prose states is computed here, its
exercise cells hold the solutions the checkers accept, and its student edition (each solution
region replaced by ``raise NotImplementedError()``) is "not attempted", never a traceback."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import make_sine
from backprop_lib.exercises import losses as ex
from backprop_lib.instruments.neuron import LOSSES, neuron_accuracy, neuron_data, train_neuron

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_loss_functions.ipynb"
CELLS = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
PROSE = " ".join(
    " ".join("".join(c["source"]).split()) for c in CELLS if c["cell_type"] == "markdown"
)
X, Y = neuron_data(40, spread=1.0, rng=0)


def says(text: str) -> None:
    """The notebook's prose contains ``text`` (whitespace-insensitive)."""
    text = " ".join(text.split())
    assert text in PROSE, f"the notebook no longer says: {text!r}"


def race(w0: float, lr: float) -> dict:
    return {loss: train_neuron(loss, w0, lr, 200, X, Y) for loss in LOSSES}


# ---- the numbers in the prose ----


def test_the_race_at_the_defaults():
    runs = race(-6.0, 1.0)
    ce, mse = runs["cross_entropy"].learned_epoch, runs["mse"].learned_epoch
    says(f"right after {ce} epochs or after {mse}.")
    says(f"it needs {mse} epochs to cross $w = 0$, where cross-entropy needs {ce}: "
         f"{mse / ce:.0f} times as many.")  # fmt: skip
    says(f"Here that made {mse} epochs against {ce}.")
    says(f"{mse / ce:.0f} times slower in section 6")
    for run in runs.values():  # "most points right" is the crossing of w = 0
        k = run.learned_epoch
        assert run.weights[k - 1] < 0 < run.weights[k]
    first = abs(runs["cross_entropy"].grads[0]) / abs(runs["mse"].grads[0])
    assert 90 < first < 110
    says("MSE's first gradient is about 100 times smaller")


def test_the_mse_plateau_lasts_over_150_epochs():
    mse = race(-6.0, 1.0)["mse"]
    assert mse.losses[150] > 0.9 * mse.losses[0]  # a plateau ...
    assert mse.losses[-1] < 0.1 * mse.losses[0]  # ... and then it drops
    says("MSE's loss falls by less than 10% in 150 epochs")


def test_the_things_to_try():
    runs = race(-2.0, 1.0)
    ce, mse = runs["cross_entropy"].learned_epoch, runs["mse"].learned_epoch
    says(f"MSE is only about {mse / ce:.0f} times slower ({mse} epochs against {ce})")
    runs = race(-10.0, 1.0)
    assert runs["mse"].learned_epoch is None
    says(f"$w_0 = -10$: MSE does not get there within 200 epochs; cross-entropy needs "
         f"{runs['cross_entropy'].learned_epoch}.")  # fmt: skip
    says("not within 200 epochs from $w_0 = -10$")
    runs = race(-6.0, 10.0)
    ce, mse = runs["cross_entropy"].learned_epoch, runs["mse"].learned_epoch
    says(f"a learning rate of 10: MSE now needs {mse} epochs, cross-entropy {ce}.")
    assert mse / ce > 10  # "leaves it far behind"
    runs = race(3.0, 1.0)
    assert all(r.learned_epoch == 0 for r in runs.values())  # "both start on the right side"


def test_the_landscape_claims():
    from backprop_lib.instruments.neuron import neuron_loss

    def slope(loss, w, h=1e-4):
        return (neuron_loss(loss, w + h, X, Y) - neuron_loss(loss, w - h, X, Y)) / (2 * h)

    # MSE flat far on the wrong side, cross-entropy's slope about constant there
    assert abs(slope("mse", -8.0)) < 0.01 * abs(slope("cross_entropy", -8.0))
    assert slope("cross_entropy", -10.0) == pytest.approx(slope("cross_entropy", -4.0), rel=0.1)
    says("the cross-entropy curve is a nearly straight ramp whose slope never fades")


def test_the_best_accuracy_of_the_neuron():
    assert neuron_accuracy(0.5, X, Y) == neuron_accuracy(8.0, X, Y) == 0.925
    assert neuron_accuracy(-0.5, X, Y) == pytest.approx(0.075)
    says("Any $w > 0$ gets most points right (92.5%, all that a boundary at $x = 0$ can get)")


def test_the_sigma_prime_ratios():
    def ratio(z):  # cross-entropy's dl/dz over MSE's for a label 0: 1 / (2 p (1 - p))
        p = bl.sigmoid(z)
        return p / (2 * p * bl.d_sigmoid(z))

    assert round(ratio(4.0)) == 28
    assert ratio(6.0) == pytest.approx(200, rel=0.02)
    says("At $z = 4$ the MSE gradient is about 28 times smaller than the cross-entropy's, at "
         "$z = 6$ about 200 times.")  # fmt: skip
    z = np.linspace(-10, 10, 2001)
    assert np.max(2 * bl.d_sigmoid(z)) == pytest.approx(0.5)  # "2 p (1 - p) <= 1/2"
    says(r"times $2 p (1 - p) \le 1/2$")


def test_the_batch_mean_claims():
    X_sine, y_sine = make_sine(1000, rng=0)
    grads = []
    for n in [10, 100, 1000]:
        model = bl.Linear(1, 1, bias=False)
        model.W.data[...] = 0.0
        loss = bl.MSELoss()
        loss(model(X_sine[:n]), y_sine[:n])
        model.backward(loss.backward())
        grads.append(model.W.grad.item())
    assert all(-2.0 <= g <= -1.4 for g in grads)
    sums = [g * n for g, n in zip(grads, [10, 100, 1000], strict=True)]
    assert all(8 < b / a < 13 for a, b in zip(sums, sums[1:], strict=False))  # "about tenfold"
    says("the gradient keeps its size, between $-1.4$ and $-2$, whatever the batch size")
    says("with the sum it grows about tenfold with every tenfold batch")


def test_the_units_and_stability_claims():
    assert math.log(2) == pytest.approx(0.693, abs=5e-4)
    says(r"$1 \text{ bit} = \ln 2 \approx 0.693$ nats")
    assert 0 < 1 / (1 + math.exp(40)) < 1e-17  # 1 - sigmoid(40), exactly
    assert bl.sigmoid(40.0) == 1.0
    says(r"$\sigma(40)$ is within $10^{-17}$ of 1, and float64 rounds it to exactly 1.0")
    y = np.zeros((1, 1))
    assert bl.BCELoss()(bl.sigmoid(np.array([[500.0]])), y) == pytest.approx(100.0)
    says("a confident mistake costs at most 100")
    s = bl.sigmoid(bl.sigmoid(np.linspace(-50, 50, 101)))  # a sigmoid, then the loss's own
    assert s.min() >= 0.5
    says(r"no prediction can fall below probability $\sigma(0) = 0.5$")


# ---- the exercises: solutions, and the student edition ----

CHECKERS = {
    "mse_and_grad": ex.check_mse,
    "softmax_ce_grad": ex.check_softmax_ce_grad,
    "log_softmax": ex.check_log_softmax,
    "choose_losses": ex.check_loss_choice,
}
SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?", re.S | re.M)


def _solution_cells():
    return [c for c in CELLS if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def _student(source: str) -> str:
    return SOLUTION.sub(lambda m: f"{m.group(1)}raise NotImplementedError()\n", source)


def test_every_exercise_has_a_marked_solution_and_a_check_cell():
    cells = _solution_cells()
    assert sorted(c["metadata"]["nbgrader"]["grade_id"] for c in cells) == sorted(CHECKERS)
    sources = ["".join(c["source"]) for c in CELLS if c["cell_type"] == "code"]
    for cell in cells:
        source = "".join(cell["source"])
        assert source.count("### BEGIN SOLUTION") == source.count("### END SOLUTION") == 1
        assert _student(source) != source
        name = cell["metadata"]["nbgrader"]["grade_id"]
        assert any(f"ex.{CHECKERS[name].__name__}({name})" in s for s in sources)


@pytest.mark.parametrize(
    "cell", _solution_cells(), ids=lambda c: c["metadata"]["nbgrader"]["grade_id"]
)
def test_solution_passes_and_student_edition_is_not_attempted(cell):
    name = cell["metadata"]["nbgrader"]["grade_id"]
    source = "".join(cell["source"])
    solved = {"np": np, "bl": bl}
    exec(source, solved)  # noqa: S102 - the notebook's own cell
    assert CHECKERS[name](solved[name]).correct
    student = {"np": np, "bl": bl}
    exec(_student(source), student)  # the student build defines the stub without error
    result = CHECKERS[name](student[name])
    assert result.status == "not attempted", result


def test_tagged_cells_show_no_figures_or_widgets():
    for cell in CELLS:
        if "nbval-check-output" not in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            assert "image/png" not in data
            assert "application/vnd.jupyter.widget-view+json" not in data
