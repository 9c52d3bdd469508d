"""The numbers and facts that the prose of notebooks 01, 04 and 05 states, computed.

Each test quotes the sentence it checks (the notebooks print some of these numbers too, but
most live in the prose around a widget, where nbval cannot see them). They run the same
configurations the notebooks and their dashboards use.
"""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import make_moons, make_sine
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
