"""InitExplorer driven from Python: each control reaches the network, the figure shows the
trained state it claims to, and every control survives its extremes (figures saved)."""

import numpy as np
import pytest

from backprop_lib.instruments import activation_spread, distinct_units_per_layer
from backprop_lib.nn.layers import Linear
from backprop_lib.widgets import InitExplorer
from backprop_lib.widgets.symmetry import describe_init, make_init

SMALL = dict(depth=3, width=6, epochs=30)


@pytest.fixture(scope="module")
def dash():
    d = InitExplorer(**SMALL)
    yield d
    d.close()


def _linears(model):
    return [m for m in model.modules() if isinstance(m, Linear)]


def test_default_is_xavier_with_every_unit_distinct(dash):
    assert dash.error is None
    assert dash.config["scheme"] == "xavier" and dash.config["scale"] == 1.0
    assert dash.distinct == [6, 6, 6]
    assert len(dash.history.loss) == 30 and len(dash.snapshots) == 31
    assert "distinct units per hidden layer: 6, 6, 6" in dash.status.value
    assert dash.image.value  # a PNG was rendered


def test_constant_init_keeps_every_column_equal_at_every_epoch(dash):
    dash.config = {"scheme": "constant", "scale": 0.5}
    assert dash.error is None
    for epoch in [0, 1, 10, 30]:
        dash.epoch.value = epoch
        assert dash.distinct == [1, 1, 1]
        W = dash.weights_at(epoch, dash.layer.value)
        assert np.all(W == W[:, :1])  # every column the same, bit for bit
        shown = np.asarray(dash.heat.get_array())
        np.testing.assert_allclose(shown * np.abs(W).max(), W)
        assert f"after {epoch} epochs" in dash.ax_w.get_title()
        assert "1 distinct unit of 6" in dash.ax_w.get_title()
    first, last = dash.weights_at(0, 1), dash.weights_at(30, 1)
    assert not np.allclose(first, last)  # they moved, together
    dash.config = {"noise": 1e-6}
    assert dash.distinct == [6, 6, 6]  # a tiny noise and every unit is its own
    dash.config = {"scheme": "xavier", "scale": 1.0, "noise": 0.0}


def test_zeros_never_move_the_hidden_weights(dash):
    dash.config = {"scheme": "zeros", "epoch": 30}
    for layer in _linears(dash.model)[:-1]:
        assert np.all(layer.W.data == 0)
    assert dash.history.loss[-1] == pytest.approx(np.log(2), abs=1e-3)
    assert dash.distinct == [1, 1, 1]
    dash.config = {"scheme": "xavier"}


def test_spread_bars_show_the_measured_spread(dash):
    dash.config = {"scheme": "xavier", "scale": 0.01, "epoch": 0}
    heights = [bar.get_height() for bar in dash.bars]
    np.testing.assert_allclose(heights, dash.spread)
    start = [bar.get_height() for bar in dash.start_bars]  # epoch 0: the light bars
    np.testing.assert_allclose(start, dash.start_spread)
    np.testing.assert_allclose(dash.start_spread, dash.spread)  # the epoch shown is 0
    dash.epoch.value = 30
    np.testing.assert_allclose([bar.get_height() for bar in dash.start_bars], start)
    assert dash.spread_legend.get_texts()[1].get_text() == "epoch 30"
    dash.epoch.value = 0
    assert all(b < a / 10 for a, b in zip(dash.spread, dash.spread[1:], strict=False))
    labels = [t.get_text() for t in dash.bar_labels]
    assert labels == [str(c) for c in dash.distinct]
    dash.config = {"scale": 1.0, "epoch": 30}


def test_probe_agrees_with_the_trained_model_at_the_last_epoch(dash):
    dash.epoch.value = 30
    assert dash.distinct == distinct_units_per_layer(dash.model)
    np.testing.assert_allclose(dash.spread, activation_spread(dash.model, dash.X))


def test_epoch_and_layer_only_redraw(dash):
    model = dash.model
    dash.epoch.value = 3
    dash.layer.value = 1
    assert dash.model is model  # not retrained
    assert dash.heat.get_array().shape == (2, 6)  # the first layer's W: (2 inputs, 6 units)
    dash.layer.value = 2
    assert dash.heat.get_array().shape == (6, 6)
    dash.epoch.value = 30


def test_a_diverged_run_is_shown_not_raised(dash):
    dash.config = {"scheme": "he", "activation": "relu", "scale": 100.0}
    assert dash.error is None
    assert dash.history.diverged
    assert "diverged at epoch" in dash.status.value
    assert "initial weights" in dash.status.value
    assert dash.shown_epoch() == len(dash.snapshots) - 1  # the slider clamps to the last epoch
    assert "initial weights too large" in dash.curves.note.get_text()
    dash.config = {"scheme": "xavier", "activation": "tanh", "scale": 1.0}
    assert dash.curves.note.get_text() == ""


@pytest.mark.parametrize("scheme", ["zeros", "constant", "normal", "xavier", "he"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_every_scheme_and_activation_at_the_scale_extremes(dash, scheme, activation, tmp_path):
    for scale in (dash.scale.min, dash.scale.max):
        scale = 10.0**scale
        dash.config = {"scheme": scheme, "activation": activation, "scale": scale}
        assert dash.error is None, dash.last_traceback
        assert len(dash.distinct) == 3 and len(dash.spread) == 3
    if activation == "tanh":  # look at a few of them
        dash.figure.savefig(tmp_path / f"init_{scheme}.png")


def test_the_full_size_default_and_its_extremes(tmp_path):
    d = InitExplorer()
    try:
        assert d.distinct == [16, 16, 16, 16]
        assert d.history.loss[-1] < 0.1  # Xavier trains the moons
        d.figure.savefig(tmp_path / "default.png")
        for config in [
            {"scheme": "constant", "scale": 0.5, "layer": 1, "epoch": 0},
            {"scheme": "xavier", "scale": 0.001, "layer": 4, "epoch": 200},
            {"scheme": "normal", "scale": 100.0, "noise": 0.1},
        ]:
            d.config = config
            assert d.error is None
            d.figure.savefig(tmp_path / f"{config['scheme']}.png")
    finally:
        d.close()


def test_config_round_trip(dash):
    dash.config = {"scheme": "normal", "scale": 0.1, "activation": "sigmoid"}
    saved = dash.config
    loss = list(dash.history.loss)
    dash.config = {"scheme": "he", "activation": "relu"}
    dash.config = saved
    assert dash.config == saved and dash.history.loss == loss
    dash.config = {"scheme": "xavier", "scale": 1.0, "activation": "tanh"}


# ---- the initialisers behind the dropdown ----


def test_make_init_draws_what_it_says():
    rng = np.random.default_rng(0)
    assert np.all(make_init("zeros")((3, 4), rng=rng) == 0)
    assert np.all(make_init("constant", 0.3)((3, 4), rng=rng) == 0.3)
    w = make_init("normal", 0.2)((400, 500), rng=rng)
    assert w.std() == pytest.approx(0.2, rel=0.01)
    w = make_init("xavier", 3.0)((400, 500), rng=rng)
    assert w.std() == pytest.approx(3.0 * np.sqrt(2 / 900), rel=0.01)
    w = make_init("he", 0.5)((400, 500), rng=rng)
    assert w.std() == pytest.approx(0.5 * np.sqrt(2 / 400), rel=0.01)
    w = make_init("constant", 0.5, noise=1e-3)((400, 500), rng=rng)
    assert w.mean() == pytest.approx(0.5, abs=1e-4) and w.std() == pytest.approx(1e-3, rel=0.01)
    assert make_init("he")((3, 4), rng=rng, dtype=np.float32).dtype == np.float32
    a = make_init("xavier")((3, 4), rng=np.random.default_rng(5))
    b = make_init("xavier")((3, 4), rng=np.random.default_rng(5))
    assert np.array_equal(a, b)


def test_describe_init():
    assert describe_init("zeros", 1.0) == "W = 0"
    assert describe_init("constant", 0.5) == "W = 0.5 everywhere"
    assert (
        describe_init("xavier", 0.1, 1e-3) == "W ~ N(0, (0.1 × Xavier std)²) + N(0, 0.001²) noise"
    )


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: make_init("glorot"), ValueError, "unknown scheme"),
        (lambda: make_init("normal", -1.0), ValueError, "scale must be"),
        (lambda: make_init("normal", float("nan")), ValueError, "scale must be"),
        (lambda: make_init("normal", 1.0, noise="big"), TypeError, "noise must be a number"),
        (lambda: InitExplorer(scheme="orthogonal"), ValueError, "unknown scheme"),
        (lambda: InitExplorer(activation="gelu"), ValueError, "unknown activation"),
        (lambda: InitExplorer(noise=0.5), ValueError, "noise must be one of"),
        (lambda: InitExplorer(depth=0), ValueError, "depth must be"),
        (lambda: InitExplorer(lr=0), ValueError, "lr must be"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- redrawing only what moved ----


@pytest.fixture(scope="module")
def still_dash():
    """The notebook's explorer (4 x 16), on its own: nothing else moves it to an extreme."""
    d = InitExplorer(epochs=60)
    yield d
    d.close()


def _still(dash) -> None:
    """The last update blitted the declared artists over a background that holds every axes:
    nothing learned, no axes redrawn whole."""
    assert dash.error is None, dash.last_traceback
    assert dash.timings["path"] == "blit", dash.redraw_reason
    assert dash._blitter.learned == []
    assert dash._blitter.background.moving_axes == frozenset()


@pytest.mark.parametrize(
    ("control", "value"),
    [("scale", 0.01), ("scale", 0.1), ("scale", 10.0), ("scale", 1.0), ("epoch", 0),
     ("epoch", 30), ("scheme", "normal"), ("scheme", "he"), ("scheme", "xavier"),
     ("noise", 1e-3), ("noise", 0.0), ("epoch", 60)],
)  # fmt: skip
def test_an_ordinary_move_redraws_no_axes_whole(still_dash, control, value):
    still_dash.controls[control].value = value
    _still(still_dash)
    # the bars are inside the spread panel's view, the losses inside the loss panel's
    shown = np.array([*still_dash.spread, *still_dash.start_spread])
    lo, hi = still_dash.ax_spread.get_ylim()
    assert np.all((lo < shown) & (shown < hi))
    loss = np.array(still_dash.history.loss)
    lo, hi = still_dash.ax_loss.get_ylim()
    assert np.all((lo < loss) & (loss < hi))


def test_the_spread_view_widens_outward_for_a_spread_outside_it():
    from backprop_lib.widgets.symmetry import _SPREAD_VIEW, _spread_limits

    assert _spread_limits(np.array([0.3, 0.5])) == _SPREAD_VIEW
    assert _spread_limits(np.array([])) == _SPREAD_VIEW
    bottom, top = _spread_limits(np.array([1e-16, 1e9]))
    assert bottom < 1e-16 / 4 and top > 1e9 * 40
    assert bottom <= _SPREAD_VIEW[0] and top >= _SPREAD_VIEW[1]
