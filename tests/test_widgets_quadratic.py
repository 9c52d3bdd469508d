"""QuadraticExplorer and lr_regime, driven from Python (no browser, no kernel)."""

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import _pylab_helpers
from matplotlib.colors import same_color

from backprop_lib.instruments import curvature
from backprop_lib.viz.landscape import TOY_FUNCTIONS
from backprop_lib.viz.style import DIVERGED, to_png
from backprop_lib.widgets import DOM_CLASSES, QuadraticExplorer
from backprop_lib.widgets.quadratic import PROBLEMS, lr_regime


@pytest.fixture(scope="module")
def dash():
    d = QuadraticExplorer(lr=0.1, problem="ravine", steps=30)
    yield d
    d.close()


def test_slider_reruns_gradient_descent_and_redraws(dash):
    dash.problem.value = "ravine"
    dash.lr.value = 0.05
    before = dash.image.value
    dash.lr.value = 0.15
    A, w0 = PROBLEMS["ravine"]
    np.testing.assert_allclose(dash.path, curvature.gd_on_quadratic(A, 0.0, w0, 0.15, 30))
    x, y = dash.trajectory.lines["path"].get_data()
    np.testing.assert_allclose(np.c_[x, y], dash.path)
    np.testing.assert_allclose(dash.error_line.get_data()[1], np.linalg.norm(dash.path, axis=1))
    assert dash.image.value != before
    assert dash.image.value == to_png(dash.figure)
    assert "η = 0.15" in dash.ax_path.get_title()
    assert dash.eta_line.get_xdata()[0] == pytest.approx(0.15)
    assert dash.error is None


def test_limit_is_in_the_slider_label_and_a_line_on_the_plots(dash):
    for problem in ("parabola", "ravine"):
        dash.problem.value = problem
        limit = curvature.stability_limit(PROBLEMS[problem][0])
        assert dash.limit == pytest.approx(limit)
        assert f"2/λmax = {limit:.3g}" in dash.lr.description
        limit_lines = [ln for ln in dash.ax_factor.get_lines() if ln.get_xdata()[0] == limit]
        assert len(limit_lines) == 1  # the vertical line at 2 / lambda_max
        e0 = np.linalg.norm(PROBLEMS[problem][1])
        assert dash.limit_line.get_ydata()[0] == pytest.approx(e0)  # rho = 1: no shrinking


def test_bound_is_the_closed_form_contraction(dash):
    dash.problem.value = "ravine"
    dash.lr.value = 0.19
    rho = curvature.contraction_factor(0.19, PROBLEMS["ravine"][0])
    assert dash.rho == pytest.approx(rho)
    t, bound = dash.bound_line.get_data()
    np.testing.assert_allclose(bound, dash.errors[0] * rho ** np.asarray(t, float))
    assert np.all(dash.errors <= bound * (1 + 1e-9))  # the bound holds at every step


def test_switching_problem_swaps_the_landscape(dash):
    dash.problem.value = "parabola"
    assert dash.trajectory is None
    assert dash.path.shape == (31, 1)
    w, L = dash.path_line.get_data()
    np.testing.assert_allclose(L, 2.0 * np.asarray(w) ** 2)  # on the curve L = 4 w^2 / 2
    texts = [t.get_text() for t in dash.ax_factor.get_legend().get_texts()]
    assert texts == ["λ = 4", "2/λmax = 0.5"]  # one curvature, and the limit
    dash.problem.value = "ravine"
    assert dash.trajectory is not None
    assert dash.path.shape == (31, 2)
    texts = [t.get_text() for t in dash.ax_factor.get_legend().get_texts()]
    assert texts == ["flat λ = 1", "steep λ = 10", "2/λmax = 0.2"]


def test_the_regime_shading_has_a_legend_in_the_regimes_words(dash):
    for problem in ("parabola", "ravine"):
        dash.problem.value = problem
        legend = dash.regime_legend
        assert legend.get_title().get_text() == "regime of η"
        names = [t.get_text() for t in legend.get_texts()]
        assert names == ["too small", "about right", "oscillating", "diverging"]
        for lr in (0.01, 0.15, 0.19, 0.3):
            assert lr_regime(lr, dash.A) in names


@pytest.mark.parametrize(
    ("problem", "lr", "regime"),
    [("parabola", 0.02, "too small"), ("parabola", 0.2, "about right"),
     ("parabola", 0.45, "oscillating"), ("parabola", 0.55, "diverging"),
     ("ravine", 0.02, "too small"), ("ravine", 0.18, "about right"),
     ("ravine", 0.195, "oscillating"), ("ravine", 0.205, "diverging")],
)  # fmt: skip
def test_the_notebooks_four_regimes(problem, lr, regime):
    assert lr_regime(lr, PROBLEMS[problem][0]) == regime


def test_regime_is_labelled_in_title_and_status(dash):
    dash.config = {"problem": "parabola", "lr": 0.45}
    assert dash.regime == lr_regime(0.45, PROBLEMS["parabola"][0])
    assert dash.ax_path.get_title().endswith(dash.regime)
    assert f"{dash.regime};" in dash.status.value


def test_diverging_run_is_labelled_not_raised(dash):
    dash.config = {"problem": "ravine", "lr": 0.5}
    assert dash.error is None
    assert dash.regime == "diverging"
    assert dash.errors[-1] > dash.errors[0]
    assert same_color(dash.ax_path.title.get_color(), DIVERGED)
    assert DIVERGED in dash.status.value and "never shrinks" in dash.status.value
    x, _ = dash.trajectory.lines["path"].get_data()
    assert len(x) < len(dash.path)  # drawn only until it leaves the view
    dash.lr.value = 0.1
    assert DIVERGED not in dash.status.value


def test_ravine_matches_the_drawn_toy_function():
    A, _ = PROBLEMS["ravine"]
    w = np.array([0.7, -1.3])
    np.testing.assert_allclose(TOY_FUNCTIONS["ravine"].grad(*w), A @ w)


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(1e-4, 10.0),
    lams=st.lists(st.floats(0.1, 20.0), min_size=1, max_size=3),
)
def test_regime_agrees_with_the_contraction_factors(lr, lams):
    A = np.diag(lams)
    regime = lr_regime(lr, A)
    rho = curvature.contraction_factor(lr, A)
    lo, hi = min(lams), max(lams)
    if regime == "diverging":
        assert rho > 1
    else:
        assert rho <= 1 + 1e-9
    if regime == "oscillating":  # the steep direction flips sign and is the slowest
        assert 1 - lr * hi < 0 and abs(1 - lr * hi) >= abs(1 - lr * lo) - 1e-12
    if regime in ("too small", "about right"):
        assert rho == pytest.approx(1 - lr * lo)  # the flat direction sets the pace
    if regime == "too small":  # a rate twice as large would still converge faster
        assert curvature.contraction_factor(2 * lr, A) < rho


def test_dom_classes_and_config(dash):
    assert DOM_CLASSES["main"] in dash.lr._dom_classes
    dash.config = {"lr": 0.3, "problem": "parabola"}
    assert dash.config == {"lr": pytest.approx(0.3), "problem": "parabola"}
    assert dash.path.shape[1] == 1


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown problem"):
        QuadraticExplorer(problem="bowl-ish")
    with pytest.raises(ValueError, match="lr_range"):
        QuadraticExplorer(lr_range=(1.0, 0.1))
    with pytest.raises(ValueError, match="steps"):
        QuadraticExplorer(steps=0)


def test_no_figure_leaks_and_a_closed_dashboard_is_freed():
    managers = _pylab_helpers.Gcf.get_num_fig_managers()
    d = QuadraticExplorer(problem="parabola")
    d.lr.value = 0.3
    ref = weakref.ref(d.figure)
    d.close()
    del d
    gc.collect()
    assert ref() is None
    assert _pylab_helpers.Gcf.get_num_fig_managers() == managers


def test_a_nan_learning_rate_is_refused_by_name():
    with pytest.raises(ValueError, match="lr must be a positive, finite learning rate, got nan"):
        QuadraticExplorer(lr=float("nan"))
    with pytest.raises(ValueError, match=r"outside the slider's range \[0.001, 1\].*lr_range"):
        QuadraticExplorer(lr=3.0)
    with pytest.raises(TypeError, match="lr must be a number"):
        QuadraticExplorer(lr="0.1")
    d = QuadraticExplorer(lr=0.1)
    path = d.path.copy()
    d.lr.value = float("nan")  # what a learner might type: shown, and nothing changes
    assert isinstance(d.error, ValueError) and "positive, finite" in d.status.value
    assert np.array_equal(d.path, path)
    d.lr.value = 0.05
    assert d.error is None and d.path.shape == path.shape
    d.close()


# ---- redrawing only what moved (widgets.base): counters, not timings ----


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_lr_moves_redraw_only_what_moved_and_the_error_axis_holds_still(problem):
    d = QuadraticExplorer(problem=problem)
    try:
        limits = set()
        rates = np.geomspace(1e-3, 1.0, 9)[1:-1]
        for lr in [*rates, *rates[:3]]:
            d.lr.value = float(lr)
            assert d.timings["path"] == "blit", d.redraw_reason
            assert d._blitter.learned == []
            assert d._blitter.background.moving_axes == frozenset()
            limits.add(d.ax_error.get_ylim())
            bottom, top = d.ax_error.get_ylim()
            shown = d.errors[np.isfinite(d.errors) & (d.errors > 0)]
            e0 = d.errors[0]
            assert bottom <= max(shown.min(), 1e-12 * e0)  # every error down to the floor
            assert top >= min(shown.max(), 1e6 * e0)  # and up to the cap of a blow-up
        assert len(limits) == 1
        assert d.ax_error.get_legend() not in d._blitter.background.foreground
    finally:
        d.close()


def test_a_run_beyond_the_slider_positions_window_still_shows_whole():
    from backprop_lib.widgets.quadratic import _error_span

    d = QuadraticExplorer(problem="ravine")
    try:
        d._error_window = (0.5, 2.0)  # as if no slider position reached beyond these
        d.lr.value = 0.15  # a run that falls far below 0.5
        bottom, top = d.ax_error.get_ylim()
        lo, hi = _error_span(d.errors)
        assert lo < 0.5 and bottom <= lo and top >= hi
    finally:
        d.close()
