"""The numbers and facts that the prose of notebooks 01, 04 and 05 states, computed.

Each test quotes the sentence it checks (the notebooks print some of these numbers too, but
most live in the prose around a widget, where nbval cannot see them). They run the same
configurations the notebooks and their dashboards use.
"""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.viz.param_slice import flatten_parameters, set_flat_parameters
from backprop_lib.widgets import WeightExplorer
from backprop_lib.widgets.runs import Run, RunConfig

# ---- 01 · the forward pass ------------------------------------------------------------------

XOR_SOLUTION = {
    "W1[1,1]": 3, "W1[2,1]": 3, "b1[1]": 3,
    "W1[1,2]": 3, "W1[2,2]": 3, "b1[2]": -3,
    "W2[1,1]": 1, "W2[2,1]": -1, "b2[1]": -1,
}  # fmt: skip


def test_01_identity_with_the_xor_weights_has_no_boundary_at_all():
    """ "with the XOR solution's weights ... y_hat = h1 - h2 - 1 = 5 for every input, and the
    plane is blue everywhere" (section 5), while tanh with the same weights solves XOR."""
    explorer = WeightExplorer(hidden=2, activation="tanh")
    explorer.config = {**XOR_SOLUTION, "activation": "tanh"}
    assert explorer.accuracy > 0.95  # the band: 119 of the 120 points
    explorer.config = {"activation": "identity"}
    grid = np.random.default_rng(0).uniform(-4, 4, size=(500, 2))
    np.testing.assert_allclose(explorer.model(grid), 5.0, atol=1e-9)
    np.testing.assert_allclose(explorer.model(explorer.X), 5.0, atol=1e-9)
    assert explorer.accuracy == pytest.approx(np.mean(explorer.y == 1))  # all called class 1
    explorer.close()


def test_01_identity_networks_draw_straight_lines_or_none():
    """ "for *any* weights it is a straight line or none at all": the logit is affine in x."""
    rng = np.random.default_rng(1)
    for seed in range(20):
        net = bl.Sequential(
            bl.Linear(2, 2, rng=seed), bl.Identity(), bl.Linear(2, 1, rng=seed + 50)
        )
        x = rng.normal(size=(30, 2))
        W = net[0].W.data @ net[2].W.data
        b = net[0].b.data @ net[2].W.data + net[2].b.data
        np.testing.assert_allclose(net(x), x @ W + b, atol=1e-12)


# ---- 04 · the learning rate -------------------------------------------------------------------

DEMO = RunConfig(dataset="moons", n=200, noise=0.2, hidden=(16, 16), activation="tanh", seed=0)


@pytest.fixture(scope="module")
def explorer_runs():
    """The learning-rate explorer's runs (float32, 300 epochs) at the rates the text names."""
    runs = {}
    for lr in (0.05, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 3.0, 4.0, 10.0):
        run = Run(DEMO.replace(lr=lr), record_health=False)
        run.advance(DEMO.epochs)
        runs[lr] = run
    return runs


def _rise(loss) -> np.ndarray:
    """How far the loss is above its best so far, per epoch."""
    loss = np.asarray(loss)
    return loss - np.minimum.accumulate(loss)


def _straight_agreement(run) -> float:
    """Share of the plotted plane where the best straight line (least squares on the logit)
    gives the network's own class: 1.0 for a straight boundary."""
    lo, hi = run.X.min(axis=0), run.X.max(axis=0)
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
    grid = np.c_[g1.ravel(), g2.ravel()]
    z = run.model(grid.astype(np.float32))[:, 0].astype(float)
    A = np.c_[grid, np.ones(len(grid))]
    line = A @ np.linalg.lstsq(A, z, rcond=None)[0]
    return float(np.mean((line > 0) == (z > 0)))


def test_04_the_explorer_trains_the_notebooks_demo_run():
    from backprop_lib.widgets import LearningRateExplorer

    explorer = LearningRateExplorer(lr=0.5, marker=1.5, config=DEMO, trajectory=False)
    assert explorer.configs() == [DEMO.replace(lr=0.5)]
    explorer.close()


def test_04_too_small_is_under_fitted_and_nearly_straight(explorer_runs):
    """ "`0.05`, *too small*: ... Its loss is 0.30 (against 0.06 at 0.5) and its boundary is
    nearly a straight line." """
    slow, right = explorer_runs[0.05], explorer_runs[0.5]
    assert round(slow.history.loss[-1], 2) == 0.30
    assert round(right.history.loss[-1], 2) == 0.06
    assert _straight_agreement(slow) > 0.97  # a line gives its class on 98% of the plane
    assert _straight_agreement(right) < 0.9  # the curved boundary of a trained network


def test_04_about_right_never_rises(explorer_runs):
    """ "`0.5`, *about right*: fast and smooth; the loss never rises." """
    assert np.all(np.diff(explorer_runs[0.5].history.loss) <= 0)


@pytest.mark.parametrize("lr", [0.8, 0.9, 1.0, 1.1, 1.2])
def test_04_below_the_marker_the_loss_still_spikes(explorer_runs, lr):
    """ "`0.8` to `1.2`, still below the marker: ... somewhere between epochs 80 and 140, the
    loss jumps up by more than a nat above its best so far, and recovers." """
    rise = _rise(explorer_runs[lr].history.loss)
    epoch = int(np.argmax(rise)) + 1
    assert rise.max() > 1.0 and 80 <= epoch <= 140
    assert lr < 1.5  # the marker, 2 / lambda_max at the start (computed in the notebook)
    assert explorer_runs[lr].history.loss[-1] < 0.1  # recovered


def test_04_edge_of_stability_arrives_early():
    """ "at eta = 1 the sharpness grows from 1.3 to about 3.2 by epoch 95, so the limit falls from
    1.5 to about 0.6 ... the spike, around epoch 100 ... right after it the sharpness is about
    1.1" (sharpness of the explorer's float32 weights, measured in float64)."""
    run = Run(DEMO.replace(lr=1.0), record_health=False)
    probe = Run(DEMO.replace(dtype="float64"), record_health=False)

    def sharpness_at(epoch):
        run.advance(epoch)
        set_flat_parameters(probe.model, flatten_parameters(run.model))
        return bl.sharpness(probe.model, probe.loss, probe.X, probe.targets)

    start, before, after = sharpness_at(0), sharpness_at(95), sharpness_at(105)
    assert round(start, 1) == 1.3 and round(2 / start, 1) == 1.5
    assert round(before, 1) == 3.2 and round(2 / before, 1) == 0.6 and 2 / before < 1.0
    run.advance(300)
    spike = int(np.argmax(_rise(run.history.loss))) + 1
    assert 95 < spike < 105
    assert round(after, 1) == 1.1


def test_04_far_above_the_marker(explorer_runs):
    """ "`3` to `4` ...: the loss jumps up within the first ten epochs, then recovers and ends
    lower than at 0.5." and "`10`: the loss thrashes (it ends near 7 nats)" """
    for lr in (3.0, 4.0):
        loss = explorer_runs[lr].history.loss
        assert np.max(np.diff(loss[:10])) > 0.5
        assert loss[-1] < explorer_runs[0.5].history.loss[-1]
        assert 3.0 / 1.5 <= lr / 1.5 <= 3.0  # two to three times the marker
    wild = np.asarray(explorer_runs[10.0].history.loss)
    assert round(wild[-1]) == 7
    assert wild[-50:].max() / wild[-50:].min() > 2  # still thrashing at the end


def test_04_the_race_is_a_u_and_5_beats_1():
    """ "With 0.05, 1 and 10 the right panel shows the classic U" and "try 5 for the third one,
    which here ends *lower* than 1" (150 epochs)."""
    final = {}
    for lr in (0.05, 1.0, 5.0, 10.0):
        run = Run(DEMO.replace(lr=lr, epochs=150), record_health=False)
        run.advance(150)
        assert not run.history.diverged
        final[lr] = run.history.loss[-1]
    assert final[0.05] > final[1.0] < final[10.0]
    assert final[5.0] < final[1.0]


def test_04_the_diverging_parabola_run_leaves_the_picture_at_its_third_step():
    from backprop_lib.instruments import curvature

    w = curvature.gd_on_quadratic(4.0, 0.0, w0=1.5, lr=0.55, steps=12)[:, 0]
    inside = (np.abs(w) <= 2.2) & (2 * w**2 <= 10)  # the panels' xlim and ylim
    assert inside[:3].all() and not inside[3:].any()
