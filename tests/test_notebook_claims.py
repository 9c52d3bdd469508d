"""The numbers and facts that the prose of notebooks 01, 04 and 05 states, computed.

Each test quotes the sentence it checks (the notebooks print some of these numbers too, but
most live in the prose around a widget, where nbval cannot see them). They run the same
configurations the notebooks and their dashboards use.
"""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import make_moons
from backprop_lib.optim.optimizers import SGD
from backprop_lib.training import EXPLODE_FACTOR, fit
from backprop_lib.viz.histograms import layer_activations
from backprop_lib.viz.param_slice import flatten_parameters, set_flat_parameters
from backprop_lib.widgets import GradientFlowExplorer, WeightExplorer
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
    1.3" (sharpness of the explorer's float32 weights, measured in float64)."""
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
    assert round(after, 1) == 1.3 and 2 / after > 1.0  # flatter ground: stable again


def test_04_far_above_the_marker(explorer_runs):
    """ "`3` to `4` ...: the loss jumps up within the first ten epochs, then recovers and ends
    lower than at 0.5." and "`10`: the loss thrashes (in its last 50 epochs it still swings
    between about 0.2 and 6 nats)" """
    for lr in (3.0, 4.0):
        loss = explorer_runs[lr].history.loss
        assert np.max(np.diff(loss[:10])) > 0.5
        assert loss[-1] < explorer_runs[0.5].history.loss[-1]
        assert 3.0 / 1.5 <= lr / 1.5 <= 3.0  # two to three times the marker
    wild = np.asarray(explorer_runs[10.0].history.loss)
    assert round(wild[-50:].min(), 1) == 0.2 and round(wild[-50:].max()) == 6
    assert not explorer_runs[10.0].history.diverged


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


# ---- 05 · vanishing and exploding gradients ----------------------------------------------------

SIZES = [2] + [32] * 10 + [1]


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(200, noise=0.2, rng=0)
    return X, y.reshape(-1, 1).astype(float), bl.BCEWithLogitsLoss()


def test_05_the_wild_network_stops_on_the_million_rule_not_an_overflow(moons):
    """ "the loss of the second epoch is about 4 x 10^41. That is still a finite float64, but it
    is far above a million times the first epoch's loss, so `fit` stops the run there" """
    X, y, loss = moons
    wild = bl.mlp(SIZES, activation="relu", init="normal", rng=0)
    h = fit(wild, loss, SGD(wild.parameters(), lr=0.1), X, y, epochs=50)
    assert len(h.loss) == 2 and h.diverged_epoch == 2 and h.stop_reason == "diverged"
    assert np.isfinite(h.loss[1]) and f"{h.loss[1]:.0e}" == "4e+41"
    assert h.loss[1] > EXPLODE_FACTOR * h.loss[0]


def test_05_what_saturated_means():
    """ "a sigmoid output outside [0.03, 0.97], where sigma' < 0.03 (less than an eighth of its
    best, 1/4), or a tanh output beyond +-0.97, where tanh' < 0.06 (less than a sixteenth of its
    best, 1)" """
    sig = 0.03 * (1 - 0.03)  # sigma' = a (1 - a), largest inside the band at its edges
    assert sig < 0.03 and sig < 0.25 / 8
    tanh = 1 - 0.97**2
    assert tanh < 0.06 and tanh < 1 / 16


@pytest.fixture(scope="module")
def flow():
    explorer = GradientFlowExplorer(depth=6, activation="sigmoid", init="auto")
    yield explorer
    explorer.close()


def _first_epoch_norms(history) -> np.ndarray:
    return np.array([v[0] for v in history.grad_norms.values()])


def test_05_explorer_things_to_try(flow):
    """Cell "Things to try" of the gradient-flow explorer, item by item."""
    ln2 = np.log(2)
    # 1. sigmoid, 6 layers: four orders of magnitude, from about 1e-4 to about 1; loss ln 2
    g = _first_epoch_norms(flow.history)
    assert round(np.log10(g[0])) == -4 and round(np.log10(g[-1])) == 0
    assert abs(flow.history.loss[-1] - ln2) < 1e-3 and "ln 2" in flow.status.value
    spread_sigmoid = g.max() / g.min()
    # 2. relu: the lines bunch together and the loss falls
    flow.activation.value = "relu"
    g = _first_epoch_norms(flow.history)
    assert g.max() / g.min() < 3 and flow.history.loss[-1] < 0.3
    # 3. sigmoid with batch norm, then with residual: both pull the lines together; residual
    #    sigmoid blocks still struggle, tanh with residual learns
    flow.config = {"activation": "sigmoid", "batch_norm": True}
    assert _first_epoch_norms(flow.history).max() / _first_epoch_norms(flow.history).min() < 100
    flow.config = {"batch_norm": False, "residual": True}
    g = _first_epoch_norms(flow.history)
    assert g.max() / g.min() < spread_sigmoid / 100 and flow.history.loss[-1] > ln2
    flow.activation.value = "tanh"
    assert flow.history.loss[-1] < 0.2
    # 4. relu with normal: gradients of about 100 in every layer; stuck at ln 2; units died
    flow.config = {"residual": False, "activation": "relu", "init": "normal"}
    g = _first_epoch_norms(flow.history)
    assert np.all((50 < g) & (g < 200))
    assert abs(flow.history.loss[-1] - ln2) < 1e-3
    assert max(v[-1] for v in flow.history.saturation.values()) > 0.5
    # 5. tanh with small: every gradient is tiny, in every layer
    flow.config = {"activation": "tanh", "init": "small"}
    assert _first_epoch_norms(flow.history).max() < 1e-4


def test_05_batch_norm_helps_by_dividing_by_sigma_b(moons):
    """ "sigma_B between about 0.15 and 0.25 in every layer, so each layer's division multiplies
    the gradient by 4 to 7" (and sigma' is still at most 1/4)."""
    X, y, loss = moons
    model = bl.mlp(SIZES, activation="sigmoid", batch_norm=True, rng=0)
    loss.forward(model(X), y)
    model.backward(loss.backward())
    sigma_b = []
    for layer in model.layers:
        if isinstance(layer, bl.BatchNorm1d):
            z = layer._cache[0]  # x_hat of this forward: unit spread by construction
            assert np.median(z.std(axis=0)) > 0.99  # unit spread (eps lowers a narrow unit)
            sigma_b.append(float(np.median(1 / layer._cache[1])))
    assert len(sigma_b) == 10 and 0.15 <= min(sigma_b) and max(sigma_b) <= 0.25
    assert 4 <= 1 / max(sigma_b) and 1 / min(sigma_b) <= 7
    for _, a in layer_activations(model, X):
        assert (a * (1 - a)).max() <= 0.25


def test_05_the_baseline_is_not_a_coin_toss(moons):
    """ "Its accuracy is not 50% but 87%: every predicted probability stays within 1e-6 of 0.5
    ... (they differ between points by less than 1e-6)" """
    X, y, loss = moons
    base = bl.mlp(SIZES, activation="sigmoid", rng=0)
    h = fit(base, loss, SGD(base.parameters(), lr=0.1), X, y, epochs=60)
    assert round(h.loss[-1], 2) == 0.69 and round(h.accuracy[-1], 2) == 0.87
    p = bl.sigmoid(base(X))
    assert np.abs(p - 0.5).max() < 1e-6
    _, last_hidden = layer_activations(base, X)[-1]
    assert last_hidden.std(axis=0).max() < 1e-6  # nearly the same for every input
    assert last_hidden.mean(axis=0).std() > 0.01  # ... though the units differ from each other


def test_05_clipping_keeps_the_wild_network_alive(moons):
    """ "It trains: no divergence, and after 200 epochs 96% ... The gradient's norm stays above
    10^4 all along ... the loss is still hundreds of nats, where He initialisation reached 0.21
    in 60 epochs." """
    X, y, loss = moons
    wild = bl.mlp(SIZES, activation="relu", init="normal", rng=0)
    h = fit(wild, loss, SGD(wild.parameters(), lr=0.1), X, y, epochs=200, clip_grad_norm=1.0)
    norms = np.sqrt(sum(np.square(g) for g in h.grad_norms.values()))
    assert not h.diverged and round(h.accuracy[-1], 2) == 0.96
    assert norms.min() > 1e4
    assert 100 < h.loss[-1] < 1000
    he = bl.mlp(SIZES, activation="relu", rng=0)
    h_he = fit(he, loss, SGD(he.parameters(), lr=0.1), X, y, epochs=60)
    assert round(h_he.loss[-1], 2) == 0.21
