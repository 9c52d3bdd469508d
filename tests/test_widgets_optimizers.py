"""OptimizerRace and NetworkRace, driven from Python (no browser, no kernel), and the numbers
notebooks/07_optimizers.ipynb states about the network race."""

import os

import numpy as np
import pytest
from matplotlib.colors import same_color

from backprop_lib.instruments import surfaces
from backprop_lib.nn.models import mlp
from backprop_lib.viz.param_slice import flatten_parameters
from backprop_lib.viz.style import to_png
from backprop_lib.widgets import DOM_CLASSES
from backprop_lib.widgets.optimizers import (
    MOONS_SETTINGS,
    RACERS,
    SURFACE_SETTINGS,
    SURFACES,
    NetworkRace,
    OptimizerRace,
    moons_race,
    racers_from,
    surface_for,
)

FIGS = os.environ.get("BP_FIGURE_DIR")  # set it to save every extreme's figure for a look


def _save(dash, name):
    if FIGS:
        dash.figure.savefig(os.path.join(FIGS, f"{name}.png"))


@pytest.fixture(scope="module")
def race():
    d = OptimizerRace(threaded=False)
    yield d
    d.close()


def test_dom_contract(race):
    assert DOM_CLASSES["root"] in race.root._dom_classes
    assert DOM_CLASSES["main"] in race.condition._dom_classes
    assert race.image.value == to_png(race.figure) and race.error is None


def test_paths_are_the_recorded_runs_and_are_drawn(race):
    race.surface.value = "ravine"
    race.condition.value = 50.0
    fn = surfaces.ravine(50.0, float(race.angle.value))
    expected = surfaces.race(fn, racers_from(race.config), steps=int(race.steps.value))
    assert race.fn.name == fn.name
    for label, path in expected.items():
        np.testing.assert_allclose(race.paths[label].points, path.points)
        x, y = race.trajectory.lines[label].get_data()
        np.testing.assert_allclose(np.c_[x, y], path.points)
        lx, ly = race.loss_lines[label].get_data()
        ok = path.gaps > 0
        np.testing.assert_allclose(ly, path.gaps[ok])
    assert race.ax_path.get_title() == fn.name
    assert "steps until the loss stays within" in race.status.value
    assert race.error is None


def test_each_racer_has_its_own_controls_and_they_reach_the_optimizer(race):
    race.surface.value = "ravine"
    race.controls["adam_beta2"].value = 0.9
    race.controls["momentum_momentum"].value = 0.5
    _, hyper = race.racers["Adam"]
    assert hyper["betas"] == (0.9, 0.9)
    assert race.racers["momentum"][1]["momentum"] == 0.5
    assert race.racers["Nesterov"][1]["nesterov"] is True
    direct = surfaces.record_path(race.fn, race.racers["momentum"][0], steps=int(race.steps.value),
                                  **race.racers["momentum"][1])  # fmt: skip
    np.testing.assert_allclose(race.paths["momentum"].points, direct.points)
    race.surface.value = "saddle"  # a new surface loads its own settings
    race.surface.value = "ravine"
    assert race.controls["adam_beta2"].value == pytest.approx(0.999)


@pytest.mark.parametrize("surface", SURFACES)
def test_switching_the_surface_loads_its_settings(race, surface):
    race.surface.value = surface
    for name, value in SURFACE_SETTINGS[surface].items():
        assert race.controls[name].value == pytest.approx(value, rel=1e-9)
    assert race.condition.disabled == (surface != "ravine")
    assert race.fn is not None and race.ax_path.get_title() == race.fn.name
    assert race.error is None
    _save(race, f"race_{surface.replace(' ', '_')}")


def test_unticking_removes_a_racer(race):
    race.surface.value = "saddle"
    race.controls["adagrad_on"].value = False
    assert "Adagrad" not in race.paths
    assert race.trajectory.lines["Adagrad"].get_data()[0].size == 0
    assert "Adagrad (off)" in [t.get_text() for t in race.legend.get_texts()]
    race.controls["adagrad_on"].value = True
    assert "Adagrad" in race.paths


def test_extremes_show_divergence_and_stay_readable(race):
    race.surface.value = "ravine"
    with race.hold():
        race.condition.value = 1000.0
        race.angle.value = 90.0
        race.steps.value = 1000
        race.controls["sgd_lr"].value = 10.0  # far above 2 / lambda_max = 0.2
    assert race.paths["SGD"].diverged and "SGD diverged" in race.status.value
    assert "SGD (diverged)" in [t.get_text() for t in race.legend.get_texts()]
    assert race.loss_ends["SGD"].get_data()[0].size == 1
    bottom, top = race.ax_loss.get_ylim()
    assert 0 < bottom < top and np.isfinite(top)
    _save(race, "race_extreme_high")
    with race.hold():
        race.condition.value = 1.0
        race.angle.value = 0.0
        race.steps.value = 10
        for r in RACERS:
            race.controls[f"{r.key}_lr"].value = 1e-4
    assert not any(p.diverged for p in race.paths.values())
    assert all(race.arrivals[label] is None for label in race.paths)
    assert race.error is None
    _save(race, "race_extreme_low")
    with race.hold():
        for r in RACERS:
            race.controls[f"{r.key}_on"].value = False
    assert race.paths == {} and "tick at least one" in race.status.value
    with race.hold():
        for r in RACERS:
            race.controls[f"{r.key}_on"].value = True
        race.config = {**race.config, **SURFACE_SETTINGS["ravine"], "condition": 10.0}
    assert race.error is None


def test_colours_match_between_the_panels(race):
    for r in RACERS:
        assert same_color(
            race.trajectory.lines[r.label].get_color(), race.loss_lines[r.label].get_color()
        )


def test_surface_for_and_racers_from_reject_unknown_names():
    with pytest.raises(ValueError, match="unknown surface"):
        surface_for("banana")
    with pytest.raises(ValueError, match="unknown racers"):
        racers_from(SURFACE_SETTINGS["ravine"], ["lbfgs"])
    with pytest.raises(ValueError, match="unknown surface"):
        OptimizerRace(surface="banana", threaded=False)


def test_threaded_updates_land(race):
    d = OptimizerRace(surface="saddle", threaded=True)
    try:
        d.controls["adam_lr"].value = 0.05
        assert d.wait(30) and d.error is None
        assert d.racers["Adam"][1]["lr"] == pytest.approx(0.05, rel=0.02)
    finally:
        d.close()


# ---- the network race ----


@pytest.fixture(scope="module")
def net():
    d = NetworkRace(epochs=100, threaded=False)
    yield d
    d.close()


def test_network_race_runs_every_optimizer_from_the_same_weights(net):
    assert DOM_CLASSES["main"] in net.controls["sgd_lr"]._dom_classes
    assert set(net.histories) == {r.label for r in RACERS}
    expected = moons_race(racers_from(net.config), epochs=100, seed=0)
    for label, h in expected.items():
        np.testing.assert_allclose(net.histories[label].loss, h.loss)
    a, b = (
        mlp([2, 16, 16, 1], activation="tanh", rng=0),
        mlp([2, 16, 16, 1], activation="tanh", rng=0),
    )
    np.testing.assert_array_equal(flatten_parameters(a), flatten_parameters(b))
    # the same first-epoch loss for every optimizer: one initialisation
    firsts = {round(h.loss[0], 12) for h in net.histories.values()}
    assert len(firsts) == 1
    assert net.error is None and "training loss after 100 epochs" in net.status.value


def test_moving_one_slider_retrains_one_network(net):
    before = dict(net.histories)
    net.controls["adam_lr"].value = 0.05
    changed = [k for k in before if net.histories[k] is not before[k]]
    assert changed == ["Adam"]
    x, y = net.curves.lines["Adam"].get_data()
    np.testing.assert_allclose(y, net.histories["Adam"].loss)


def test_network_race_extremes(net):
    with net.hold():
        net.controls["sgd_lr"].value = 10.0
        net.controls["adam_lr"].value = 10.0
        net.epochs.value = 10
    assert net.error is None
    _save(net, "network_high")
    with net.hold():
        net.epochs.value = 1000
        net.controls["sgd_lr"].value = 1e-4
    assert len(net.histories["SGD"].loss) == 1000 and net.error is None
    _save(net, "network_long")
    with net.hold():
        net.config = {**net.config, **MOONS_SETTINGS, "epochs": 100}
    assert net.error is None


def test_nb07_network_race_numbers():
    histories = moons_race(racers_from(MOONS_SETTINGS), epochs=200, seed=0)
    assert all(h.accuracy[-1] >= 0.96 for h in histories.values())  # "at least 96%"
    lowest = sorted(histories, key=lambda k: histories[k].loss[-1])[:2]
    assert set(lowest) == {"momentum", "Nesterov"}
    assert MOONS_SETTINGS["sgd_lr"] == 0.5 and MOONS_SETTINGS["adam_lr"] == 0.01


def test_nb07_things_to_try_in_the_ravine():
    from backprop_lib.optim import SGD

    racers = racers_from(SURFACE_SETTINGS["ravine"])
    k100 = surfaces.race(surfaces.ravine(100), racers, steps=100)
    assert k100["SGD"].steps_to(1e-3) is None
    assert k100["momentum"].steps_to(1e-3) and k100["Nesterov"].steps_to(1e-3)
    k1000 = surfaces.race(surfaces.ravine(1000), racers, steps=100)
    assert k1000["momentum"].steps_to(1e-3) is None and k1000["Nesterov"].steps_to(1e-3) is None
    fn = surfaces.ravine(1000)
    assert surfaces.record_path(fn, SGD, steps=300, lr=0.05, momentum=0.95).steps_to(1e-3)
    assert surfaces.record_path(fn, SGD, steps=300, lr=0.15).steps_to(1e-3) is None


def test_the_races_are_exported():
    import backprop_lib.widgets as w

    assert w.OptimizerRace is OptimizerRace and w.NetworkRace is NetworkRace


# ---- redrawing only what moved (widgets.base): counters, not timings ----


def _assert_cheap(dash):
    """The last update was blitted, nothing was learned and no panel is drawn whole."""
    assert dash.timings["path"] == "blit", dash.redraw_reason
    assert dash._blitter.learned == []
    assert dash._blitter.background.moving_axes == frozenset()


def test_moving_the_ravines_condition_redraws_only_what_moved():
    d = OptimizerRace(threaded=False)
    try:
        d.condition.value = 3.16  # the first move may still lay out the figure
        before = d.full_redraws
        filled = d.trajectory.filled
        for kappa in (10.0, 31.6, 100.0, 316.0, 10.0, 1000.0):
            d.condition.value = kappa
            _assert_cheap(d)
            assert d.ax_path.get_title() == surfaces.ravine(kappa).name
        assert d.full_redraws == before  # no relayout, no rescaled axis
        assert d.trajectory.filled is not filled  # the contours of the new ravine
        assert d.trajectory.filled in d.moving_artists()
        d.angle.value = 45.0  # a turned ravine: the same window, drawn cheaply too
        _assert_cheap(d)
    finally:
        d.close()


def test_the_loss_axis_holds_still_over_the_condition_and_shows_every_run():
    d = OptimizerRace(threaded=False)
    try:
        limits = set()
        for kappa in (1.0, 3.16, 10.0, 100.0, 1000.0):
            d.condition.value = kappa
            limits.add(d.ax_loss.get_ylim())
            bottom, top = d.ax_loss.get_ylim()
            for path in d.paths.values():
                gaps = path.gaps[(path.gaps > 0) & np.isfinite(path.gaps)]
                assert top >= gaps.max()  # nothing above the top is lost
                assert bottom <= max(gaps.min(), 1e-14)  # the floor the axis always had
        assert len(limits) == 1
    finally:
        d.close()


def test_paths_are_outlined_by_a_line_under_them_not_a_path_effect_per_dot():
    d = OptimizerRace(threaded=False)
    try:
        d.steps.value = 1000
        for label, line in d.trajectory.lines.items():
            outline = d.trajectory.outlines[label]
            assert line.get_path_effects() == []
            np.testing.assert_array_equal(outline.get_xydata(), line.get_xydata())
            assert outline.get_zorder() == line.get_zorder()
            children = d.ax_path.get_children()
            assert children.index(outline) < children.index(line)  # drawn just before it
    finally:
        d.close()


def test_network_race_moves_redraw_only_what_moved_and_train_again():
    d = NetworkRace(epochs=30, threaded=False)
    try:
        lr = d.controls["sgd_lr"]
        for value in (0.01, 0.1, 1.0, 0.01, 0.1):
            lr.value = value
            _assert_cheap(d)
        first = d.histories["SGD"]
        lr.value = 1.0
        lr.value = 0.1  # back to an earlier value: trained again, not remembered
        assert d.histories["SGD"] is not first
        np.testing.assert_allclose(d.histories["SGD"].loss, first.loss)
        _assert_cheap(d)
    finally:
        d.close()
