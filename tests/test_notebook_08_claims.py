"""Every number and claim the prose of notebooks/08_initialization.ipynb states, recomputed.

The runs are the notebook's own (same data, sizes, seeds and training recipe); where the prose
writes a number, the test checks that the text still says it, so the two cannot drift apart.
"""

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.instruments import activation_spread, distinct_units_per_layer, unit_gap
from backprop_lib.nn import init
from backprop_lib.widgets.symmetry import InitExplorer, make_init

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08_initialization.ipynb"
PROSE = " ".join(
    " ".join(c["source"]) if isinstance(c["source"], list) else c["source"]
    for c in json.loads(NOTEBOOK.read_text())["cells"]
    if c["cell_type"] == "markdown"
)
PROSE = " ".join(PROSE.split())  # line breaks as spaces

X, Y = bl.data.make_moons(200, noise=0.2, rng=0)
Y = Y.reshape(-1, 1).astype(float)
LOSS = bl.BCEWithLogitsLoss()
SIZES = [2, 8, 8, 1]
CONSTANT = functools.partial(init.constant, value=0.5)


def says(text: str) -> None:
    assert " ".join(text.split()) in PROSE, f"the notebook no longer says {text!r}"


def train(model, epochs, **options):
    opt = bl.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return bl.fit(model, LOSS, opt, X, Y, epochs=epochs, **options)


@pytest.fixture(scope="module")
def clones():
    model = bl.mlp(SIZES, activation="tanh", init=CONSTANT, rng=0)
    return model, train(model, 300)


def test_section_1_clones_learn_what_one_unit_per_layer_learns(clones):
    model, h = clones
    one = train(bl.mlp([2, 1, 1, 1], activation="tanh", init="xavier", rng=0), 300)
    xavier = train(bl.mlp(SIZES, activation="tanh", init="xavier", rng=0), 300)
    says("learn no more than a network with one unit per layer: the same loss")
    assert abs(h.loss[-1] - one.loss[-1]) < 0.005
    assert xavier.loss[-1] < h.loss[-1] / 5
    says("the same accuracy, 7 points in 8")
    assert h.accuracy[-1] == one.accuracy[-1] == 7 / 8
    # the heat-maps: the two rows differ after training, the columns do not
    W = model[0].W.data
    says("after training the two rows")
    assert abs(W[0, 0] - W[1, 0]) > 0.1 and np.all(W == W[:, :1])


def test_section_2_copies_stay_copies_bit_for_bit(clones):
    model, _ = clones
    says("Here the copies are equal to the last bit")
    assert distinct_units_per_layer(model, tol=0.0) == [1, 1]


def test_section_2_zeros_leave_every_parameter_at_zero():
    model = bl.mlp(SIZES, activation="tanh", init="zeros", rng=0)
    h = train(model, 300)
    says("the two classes are equally common, so even it stays at 0 (up to rounding")
    says("comes out as about $10^{-17}$ instead of exactly 0)")
    assert Y.mean() == 0.5
    *hidden, (name, output_bias) = model.named_parameters()
    assert name == "4.b"
    assert all(np.all(p.data == 0) for _, p in hidden)  # no gradient reaches any weight
    assert 0 < abs(output_bias.data[0]) < 1e-16 or output_bias.data[0] == 0
    assert h.loss[-1] == pytest.approx(math.log(2), abs=1e-12)


def test_section_3_tiny_noise_grows_slowly_and_a_larger_one_separates():
    says("it is only sixty to seventy times larger after 2000 epochs")
    says("trains like the clones (loss 0.29)")
    says("From 0.1 the units separate and the loss falls to 0.03, as from Xavier")
    finals = {}
    for noise in (1e-6, 1e-3, 0.1):
        net = bl.mlp(SIZES, activation="tanh", init=make_init("constant", 0.5, noise), rng=0)
        assert distinct_units_per_layer(net) == [8, 8]  # distinct from the start
        before = unit_gap(net[0].W.data)
        finals[noise] = train(net, 2000).loss[-1]
        growth = unit_gap(net[0].W.data) / before
        if noise < 0.1:
            assert 60 <= growth <= 70, growth
            assert round(finals[noise], 2) == 0.29
    xavier = train(bl.mlp(SIZES, activation="tanh", init="xavier", rng=0), 2000).loss[-1]
    assert round(finals[0.1], 2) == round(xavier, 2) == 0.03


def test_section_4_the_scale():
    deep = [2] + [16] * 4 + [1]
    runs = {}
    for activation, scheme in [("tanh", "xavier"), ("relu", "he")]:
        for factor in (0.1, 1.0, 10.0):
            net = bl.mlp(deep, activation=activation, init=make_init(scheme, factor), rng=0)
            spread = activation_spread(net, X)
            runs[activation, factor] = spread, train(net, 200)
    for act in ("tanh", "relu"):
        small, right = runs[act, 0.1], runs[act, 1.0]
        says("each layer multiplies the signal's spread by about 0.1")
        ratios = np.array(small[0][1:]) / np.array(small[0][:-1])
        assert np.all((ratios > 0.07) & (ratios < 0.15)), ratios
        says("after four layers it is $10^{-4}$ of what it should be")
        assert 3e-5 < small[0][-1] / right[0][-1] < 3e-4
        says("it is thousands of times smaller than with the right scale")
        g_small, g_right = small[1].grad_norms["0.W"][0], right[1].grad_norms["0.W"][0]
        assert 1e3 < g_right / g_small < 1e5
        says("the loss never leaves $\\ln 2 \\approx 0.693$")
        assert abs(small[1].loss[-1] - math.log(2)) < 1e-3
        says("the spread stays about the same from layer to layer, and both networks learn")
        assert max(right[0]) / min(right[0]) < 1.5 and right[1].loss[-1] < 0.05
    spread, h = runs["tanh", 10.0]
    says("a spread of 0.96, close to the largest possible, 1")
    assert round(spread[-1], 2) == 0.96 and min(spread[1:]) > 0.9
    says("it still learns, more slowly")
    # learns: well below chance (ln 2), but not as far as the right scale gets
    assert h.loss[-1] < 0.5 * math.log(2) and h.loss[-1] > 1.5 * runs["tanh", 1.0][1].loss[-1]
    spread, h = runs["relu", 10.0]
    says("about ten times larger per layer")
    ratios = np.array(spread[1:]) / np.array(spread[:-1])
    assert np.all((ratios > 7) & (ratios < 14)), ratios
    says("the first step throws the weights so far that the run diverges")
    assert h.diverged and h.diverged_epoch == 2


def test_section_5_the_clones_sit_at_a_saddle(clones):
    model, h = clones
    says("their loss fell from 1.51 to 0.29")
    assert f"{h.loss[0]:.2f}" == "1.51" and f"{h.loss[-1]:.2f}" == "0.29"
    nudged = bl.mlp(SIZES, activation="tanh", init="zeros")
    rng = np.random.default_rng(1)
    for p, trained in zip(nudged.parameters(), model.parameters(), strict=True):
        p.data[...] = trained.data + rng.normal(0.0, 0.01, size=trained.data.shape)
    after = train(nudged, 1000)
    says("training goes on downhill from there")
    assert abs(after.loss[0] - h.loss[-1]) < 1e-3
    assert after.loss[-1] < h.loss[-1] - 0.002
    assert np.all(np.diff(after.loss[100:]) <= 1e-9)  # downhill, epoch after epoch


def test_section_5_seeds():
    finals = {}
    for hidden in ([3], [8, 8]):
        finals[len(hidden)] = [
            train(bl.mlp([2, *hidden, 1], activation="tanh", init="xavier", rng=s), 1000).loss[-1]
            for s in range(10)
        ]
    small, ours = np.array(finals[1]), np.array(finals[2])
    says("one seed ends at a loss more than five times that of most others")
    assert small.max() > 5 * np.median(small)
    assert np.sum(small > 5 * np.median(small)) == 1
    says("With 8 + 8 units every seed ends at about the same loss")
    assert ours.max() - ours.min() < 0.005
    says("$8! = 40320$")
    assert math.factorial(8) == 40320


# ---- the explorer's "things to try" ----


@pytest.fixture(scope="module")
def explorer():
    d = InitExplorer()
    yield d
    d.close()


def test_try_1_constant_columns_stay_equal(explorer):
    explorer.config = {"scheme": "constant", "scale": 10**-0.25, "layer": 1}
    says("`constant` (scale 0.562, say)")
    assert f"{explorer.scale.value:.3g}" == "0.562"  # a value the slider can take
    says("The colours change, the columns stay equal: 1 distinct unit in every layer")
    for epoch in (0, 50, 200):
        explorer.epoch.value = epoch
        assert explorer.distinct == [1, 1, 1, 1]
    assert not np.allclose(explorer.weights_at(0, 1), explorer.weights_at(200, 1))


def test_try_2_noise_gives_distinct_units_but_not_yet_xavier_loss(explorer):
    explorer.config = {"scheme": "xavier", "scale": 1.0, "noise": 0.0, "epoch": 200}
    xavier = explorer.history.loss[-1]
    says("16 distinct units at once, and yet after 200 epochs the loss is still far above")
    for noise in (1e-6, 0.1):
        explorer.config = {"scheme": "constant", "scale": 10**-0.25, "noise": noise}
        assert explorer.distinct == [16] * 4
        assert explorer.history.loss[-1] > 10 * xavier
    explorer.config = {"noise": 0.0}


def test_try_3_zeros(explorer):
    explorer.config = {"scheme": "zeros"}
    says("the weights stay white (zero) for ever, the spread is 0")
    assert explorer.spread == [0.0] * 4 and explorer.start_spread == [0.0] * 4
    weights = explorer.snapshots[-1][0::2]  # W, b, W, b, ...: every weight matrix
    assert all(np.all(w == 0) for w in weights)
    assert explorer.history.loss[-1] == pytest.approx(math.log(2), abs=1e-6)


def test_try_4_xavier_scales(explorer):
    explorer.config = {"scheme": "xavier", "scale": 0.01}
    says("fall by a factor of about 100 per layer, and the loss does not move")
    ratios = np.array(explorer.start_spread[1:]) / np.array(explorer.start_spread[:-1])
    assert np.all((ratios > 0.005) & (ratios < 0.02)), ratios
    assert np.ptp(explorer.history.loss) < 1e-3
    says("Then up to 10 and 100: they pile up just below 1")
    for scale in (10.0, 100.0):
        explorer.config = {"scale": scale}
        assert all(0.8 < s < 1 for s in explorer.start_spread)


def test_try_5_he_relu_grows_and_diverges(explorer):
    explorer.config = {"scheme": "he", "activation": "relu", "scale": 10**0.5}
    says("scale 3.16 or 10: the light bars grow by roughly that factor per layer")
    assert f"{explorer.scale.value:.3g}" == "3.16"
    ratios = np.array(explorer.start_spread[1:]) / np.array(explorer.start_spread[:-1])
    assert np.all((ratios > 1.5) & (ratios < 6)), ratios
    assert not explorer.history.diverged
    explorer.config = {"scale": 10.0}
    ratios = np.array(explorer.start_spread[1:]) / np.array(explorer.start_spread[:-1])
    assert np.all((ratios > 5) & (ratios < 20)), ratios
    says("at 10 the run diverges")
    assert explorer.history.diverged
    explorer.config = {"scheme": "xavier", "activation": "tanh", "scale": 1.0}
