"""The data notebook's dashboards, driven from Python: feature scale, batch size, stopping."""

import math

import numpy as np
import pytest

from backprop_lib.instruments import batch_noise, curvature, stopping
from backprop_lib.viz.style import to_png
from backprop_lib.widgets import DOM_CLASSES
from backprop_lib.widgets.batches import (
    BATCH_SIZES,
    DEFAULT_RULES,
    LIMIT_FRACTION,
    BatchSizeExplorer,
    FeatureScaleExplorer,
    StoppingExplorer,
    _excess,
    batch_run,
    epochs_to_reach,
    plot_ravines,
    scale_run,
)


@pytest.fixture(scope="module")
def scale_dash():
    d = FeatureScaleExplorer(scale=30.0)
    yield d
    d.close()


@pytest.fixture(scope="module")
def batch_dash():
    d = BatchSizeExplorer(batch_size=8, lr=0.1)
    yield d
    d.close()


@pytest.fixture(scope="module")
def stop_dash():
    d = StoppingExplorer()
    yield d
    d.close()


def test_the_dom_contract(scale_dash, batch_dash, stop_dash):
    for d, main in [(scale_dash, "scale"), (batch_dash, "batch_size"), (stop_dash, "patience")]:
        assert DOM_CLASSES["root"] in d.root._dom_classes
        assert DOM_CLASSES["main"] in d.controls[main]._dom_classes
        assert not any(
            DOM_CLASSES["main"] in c._dom_classes for n, c in d.controls.items() if n != main
        )
        assert d.image in d.root.children and d.status in d.root.children
        assert all(getattr(c, "continuous_update", False) is False for c in d.controls.values())


# ---- the feature-scale explorer ----


@pytest.mark.parametrize("scale", [1.0, 10.0, 1000.0])
def test_fit_follows_gradient_descent_on_the_quadratic_in_closed_form(scale):
    r = scale_run(scale, epochs=40)
    n = len(r.X)
    b = 2.0 / n * r.X.T @ r.y[:, 0]  # L = w^T (H / 2) w - b^T w + const
    expected = curvature.gd_on_quadratic(r.H, b, np.zeros(2), r.lr, 40)
    np.testing.assert_allclose(r.path, expected, rtol=1e-9, atol=1e-12)
    assert r.lr == pytest.approx(LIMIT_FRACTION * 2 / np.linalg.eigvalsh(r.H)[-1])
    assert r.loss[-1] >= r.best - 1e-12 and r.std_loss[-1] >= r.std_best - 1e-12


def test_the_condition_number_grows_like_the_squared_scale_and_standardising_undoes_it():
    runs = [scale_run(s, epochs=30) for s in (1.0, 10.0, 100.0, 1000.0)]
    for r in runs[1:]:
        assert r.kappa / r.scale**2 == pytest.approx(runs[1].kappa / 100.0, rel=0.05)
    for r in runs[1:]:  # the standardised run is the same at every scale
        np.testing.assert_allclose(r.std_loss, runs[0].std_loss, rtol=1e-9)
        assert r.std_kappa == pytest.approx(runs[0].std_kappa)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_scale_slider_retrains_and_redraws(scale_dash, scale, tmp_path):
    before = scale_dash.image.value
    scale_dash.scale.value = scale
    r = scale_dash.run
    assert scale_dash.error is None
    assert r.scale == pytest.approx(scale)
    np.testing.assert_allclose(np.column_stack(scale_dash.path_line.get_data()), r.path)
    x, y = scale_dash.kappa_dot.get_data()
    assert x[0] == pytest.approx(scale) and y[0] == pytest.approx(r.kappa)
    assert f"κ = {r.kappa:.2g}" in scale_dash.ax_surface.get_title()
    assert f"κ = {r.kappa:.3g}" in scale_dash.status.value
    assert scale_dash.image.value != before and scale_dash.image.value == to_png(scale_dash.figure)
    # the start (w = 0) and the minimum are inside the drawn square
    lo, hi = scale_dash.ax_surface.get_xlim()
    assert lo < 0 < hi and lo < r.w_best[0] < hi
    scale_dash.figure.savefig(tmp_path / f"scale_{scale:g}.png")


def test_scale_status_counts_the_epochs_to_one_percent(scale_dash):
    scale_dash.scale.value = 1.0
    r = scale_dash.run
    n = epochs_to_reach(r.loss, r.best)
    assert n is not None and r.loss[n] <= 1.01 * r.best < r.loss[n - 1]
    assert f"raw inputs after {n} epochs" in scale_dash.status.value
    scale_dash.scale.value = 30.0
    assert "raw inputs not within the run" in scale_dash.status.value
    assert epochs_to_reach(np.array([3.0, 2.0]), 1.0) is None


def test_static_ravines_figure(tmp_path):
    fig = plot_ravines((1.0, 100.0), epochs=20)
    assert len(fig.axes) == 3
    assert "standardised" in fig.axes[-1].get_title()
    fig.savefig(tmp_path / "ravines.png")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="scale"):
        scale_run(0.0)
    with pytest.raises(ValueError, match="scale must be a number from 1 to 1000"):
        FeatureScaleExplorer(scale=0.5)
    with pytest.raises(ValueError, match="epochs"):
        FeatureScaleExplorer(epochs=0)
    with pytest.raises(TypeError, match="epochs"):
        BatchSizeExplorer(epochs=2.5)


# ---- the batch-size explorer ----


@pytest.mark.parametrize("B", [1, 8, 9, 64, 200])
def test_batch_slider_retrains_with_that_batch(batch_dash, B, tmp_path):
    batch_dash.batch_size.value = B
    r = batch_dash.run
    assert batch_dash.error is None and r.batch_size == B
    spe = math.ceil(200 / B)
    assert r.log.steps_per_epoch == spe and len(r.log.loss) == 20 * spe
    x, y = batch_dash.step_line.get_data()
    np.testing.assert_allclose(y, r.log.loss)
    assert x[-1] == pytest.approx(20.0)  # the last step ends epoch 20
    assert f"{spe} step" in batch_dash.status.value
    if B < 200:
        assert r.noise == pytest.approx(r.expected, rel=0.12)
        assert f"{r.noise:.3g}" in batch_dash.status.value
    else:  # the full batch: every "random" batch is the whole set
        assert r.noise == 0.0 and r.expected == 0.0
        np.testing.assert_allclose(r.cloud, np.tile(r.grad, (len(r.cloud), 1)), atol=1e-12)
        assert len(batch_dash.noise_dot.get_xdata()) == 0
        assert "noise 0 at B = 200" in batch_dash.ax_cloud.get_title()
    batch_dash.figure.savefig(tmp_path / f"batch_{B}.png")


def test_noise_panel_holds_the_measured_and_exact_noise(batch_dash):
    G = batch_dash.per_example
    for B, measured in batch_dash.noise_by_batch.items():
        exact = batch_noise.gradient_noise(G, B)
        assert measured == pytest.approx(exact, rel=0.12, abs=1e-9)
    ratios = [batch_dash.noise_by_batch[b] / batch_dash.noise_by_batch[4 * b] for b in (1, 4)]
    assert ratios == pytest.approx([2.0, 2.0], rel=0.1)  # 1/sqrt(B)


def test_a_large_rate_with_tiny_batches_is_shown_not_raised(batch_dash, tmp_path):
    with batch_dash.hold():
        batch_dash.batch_size.value = 1
        batch_dash.lr.value = 10.0
    assert batch_dash.error is None
    assert batch_dash.run.lr == 10.0
    if batch_dash.run.log.diverged:
        assert "diverged" in batch_dash.status.value
    batch_dash.figure.savefig(tmp_path / "batch_1_lr10.png")
    batch_dash.lr.value = 0.1


def test_batch_run_is_deterministic_and_checks_its_batch_size():
    a, b = batch_run(16, epochs=2), batch_run(16, epochs=2)
    np.testing.assert_array_equal(a.log.loss, b.log.loss)
    np.testing.assert_array_equal(a.cloud, b.cloud)
    for bad in (0, 201, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            BatchSizeExplorer(batch_size=bad)
    assert BATCH_SIZES[-1] == 200


# ---- the stopping explorer ----


def test_stopping_markers_are_the_rules_epochs(stop_dash, tmp_path):
    stops = stopping.stopping_epochs(stop_dash.history, stop_dash.rules)
    assert stop_dash.stops == stops
    texts = [t.get_text() for t in stop_dash.ax_loss.get_legend().get_texts()]
    for rule, epoch in stops.items():
        line = stop_dash.rule_lines[rule]
        if epoch is None:
            assert not line.get_visible() and f"{rule}: never" in texts
        else:
            assert line.get_visible() and line.get_xdata()[0] == epoch
            assert any(t.startswith(f"{rule}: epoch {epoch} ") for t in texts)
    stop_dash.figure.savefig(tmp_path / "stopping.png")


@pytest.mark.parametrize(
    ("control", "value"),
    [("patience", 1), ("patience", 100), ("threshold", 0.01), ("threshold", 1.0),
     ("tol", 1e-5), ("tol", 0.1), ("tol_patience", 30), ("grad_eps", 1e-4), ("grad_eps", 1.0),
     ("epochs", 1), ("epochs", 600)],
)  # fmt: skip
def test_every_control_at_its_extremes_moves_its_rule(stop_dash, control, value, tmp_path):
    start = dict(stop_dash.config)
    stop_dash.controls[control].value = value
    assert stop_dash.error is None
    assert stop_dash.stops == stopping.stopping_epochs(stop_dash.history, stop_dash.rules)
    assert stop_dash.tol_line.get_ydata()[0] == pytest.approx(stop_dash.tol.value)
    assert stop_dash.eps_line.get_ydata()[0] == pytest.approx(stop_dash.grad_eps.value)
    stop_dash.figure.savefig(tmp_path / f"stop_{control}_{value:g}.png")
    stop_dash.config = start


def test_stopping_defaults_are_the_notebooks():
    d = StoppingExplorer(threaded=False)
    r = d.rules
    assert (r.epochs, r.threshold, r.tol, r.tol_patience, r.grad_eps, r.patience) == (
        DEFAULT_RULES.epochs, DEFAULT_RULES.threshold, DEFAULT_RULES.tol,
        DEFAULT_RULES.tol_patience, DEFAULT_RULES.grad_eps, DEFAULT_RULES.patience,
    )  # fmt: skip
    d.close()


# ---- redrawing only what moved ----
# (dashboards of their own: the ones above are also moved to extremes that rescale an axes)


@pytest.fixture(scope="module")
def still_scale_dash():
    d = FeatureScaleExplorer(scale=30.0)
    yield d
    d.close()


@pytest.fixture(scope="module")
def still_batch_dash():
    d = BatchSizeExplorer(batch_size=8, lr=0.1)
    yield d
    d.close()


@pytest.fixture(scope="module")
def still_stop_dash():
    d = StoppingExplorer()
    yield d
    d.close()


def _still(dash) -> None:
    """The last update blitted its declared artists over a background that holds every axes:
    nothing learned, no axes redrawn whole."""
    assert dash.error is None, dash.last_traceback
    assert dash.timings["path"] == "blit", dash.redraw_reason
    assert dash._blitter.learned == []
    assert dash._blitter.background.moving_axes == frozenset()


@pytest.mark.parametrize("scale", [1.0, 2.0, 5.0, 30.0, 100.0, 400.0, 1000.0, 30.0])
def test_a_scale_move_redraws_only_the_contours_path_lines_and_dot(still_scale_dash, scale):
    still_scale_dash.scale.value = scale
    _still(still_scale_dash)
    assert still_scale_dash.ax_surface.title in still_scale_dash._blitter.background.foreground
    # the window holds the start and the minimum at every scale, and is the same for all
    lo, hi = still_scale_dash.ax_surface.get_xlim()
    assert lo < 0 < hi and lo < still_scale_dash.run.w_best[0] < hi
    lo, hi = still_scale_dash.ax_surface.get_ylim()
    assert lo < 0 < hi and lo < still_scale_dash.run.w_best[1] < hi


def test_the_surface_excess_is_the_mean_squared_error_above_the_minimum():
    r = scale_run(30.0, epochs=5)
    points = np.random.default_rng(0).normal(size=(50, 2))
    direct = np.mean((r.X @ points.T - r.y) ** 2, axis=0) - r.best
    np.testing.assert_allclose(_excess(r.X, r.w_best, points), direct, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("B", [9, 16, 41, 81, 120, 160, 190, 200, 8])
def test_a_batch_move_redraws_only_the_lines_cloud_dot_and_titles(still_batch_dash, B):
    still_batch_dash.batch_size.value = B
    _still(still_batch_dash)
    if B < 200:  # the dot on the noise panel is inside its fixed limits
        lo, hi = still_batch_dash.ax_noise.get_ylim()
        assert lo < still_batch_dash.run.noise < hi


@pytest.mark.parametrize(
    ("control", "value"),
    [("patience", 1), ("patience", 50), ("patience", 100), ("threshold", 0.01),
     ("tol", 1e-5), ("grad_eps", 1e-4), ("epochs", 600), ("patience", 30)],
)  # fmt: skip
def test_a_rule_move_redraws_only_the_markers_and_the_legend(still_stop_dash, control, value):
    start = dict(still_stop_dash.config)
    legend = still_stop_dash.ax_loss.get_legend()
    still_stop_dash.controls[control].value = value
    _still(still_stop_dash)
    assert still_stop_dash.ax_loss.get_legend() is legend  # set in place, not made again
    still_stop_dash.config = start


def test_the_noise_panel_holds_the_smallest_noise_the_slider_reaches(still_batch_dash):
    smallest = batch_noise.gradient_noise(still_batch_dash.per_example, 199)  # B = n - 1
    lo, _ = still_batch_dash.ax_noise.get_ylim()
    assert lo < smallest / 1.5
