"""Toy loss landscapes, optimizer paths, and the 2-D slice through a network's parameters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from backprop_lib.nn.models import mlp
from backprop_lib.optim.optimizers import SGD, Adam
from backprop_lib.viz import (
    TOY_FUNCTIONS,
    SliceView,
    optimizer_path,
    plot_landscape,
    plot_param_slice,
)
from backprop_lib.viz.param_slice import (
    flatten_parameters,
    loss_on_plane,
    pca_plane,
    random_plane,
    set_flat_parameters,
)
from backprop_lib.viz.style import new_figure, to_png


@pytest.mark.parametrize("name", sorted(TOY_FUNCTIONS))
def test_toy_gradients_match_central_differences(name):
    fn = TOY_FUNCTIONS[name]
    rng = np.random.default_rng(0)
    x, y = rng.uniform(*fn.xlim, 5), rng.uniform(*fn.ylim, 5)
    h = 1e-6
    gx, gy = fn.grad(x, y)
    np.testing.assert_allclose(gx, (fn(x + h, y) - fn(x - h, y)) / (2 * h), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gy, (fn(x, y + h) - fn(x, y - h)) / (2 * h), rtol=1e-5, atol=1e-6)
    for m in fn.minima:
        assert np.allclose(fn.grad(*m), 0.0, atol=1e-4)


def test_gradient_descent_path_is_the_update_rule():
    fn = TOY_FUNCTIONS["ravine"]  # f = (x^2 + 10 y^2) / 2
    path = optimizer_path(fn, SGD, start=(1.0, 1.0), steps=3, lr=0.05)
    expected = [np.array([1.0, 1.0])]
    for _ in range(3):
        p = expected[-1]
        expected.append(p - 0.05 * np.array(fn.grad(*p)))
    np.testing.assert_allclose(path, expected)


def test_stability_limit_two_over_lambda_max():
    fn = TOY_FUNCTIONS["ravine"]
    limit = 2 / fn.lambda_max
    below = optimizer_path(fn, SGD, steps=200, lr=0.9 * limit)
    above = optimizer_path(fn, SGD, steps=200, lr=1.1 * limit)
    assert np.abs(below[-1]).max() < 1e-3
    assert len(above) < 201 or np.abs(above[-1]).max() > 1e3  # left the finite range: stopped


def test_landscape_plot_draws_paths_in_place():
    fig = plot_landscape("rosenbrock", {"SGD": np.array([[-1.5, 2.0], [-1.0, 1.5]])})
    ax = fig.axes[0]
    assert ax.get_title() == "rosenbrock"
    assert to_png(fig).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="unknown toy function"):
        plot_landscape("eggholder")


def test_adam_path_on_himmelblau_reaches_a_minimum():
    fn = TOY_FUNCTIONS["himmelblau"]
    path = optimizer_path(fn, Adam, steps=600, lr=0.05)
    end = path[-1]
    assert min(np.linalg.norm(end - np.array(m)) for m in fn.minima) < 0.05


@pytest.fixture(scope="module")
def net():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, :1] > 0).astype(float)
    return mlp([2, 6, 6, 1], rng=0), X, y


def test_flatten_and_set_round_trip(net):
    model, _, _ = net
    theta = flatten_parameters(model)
    assert theta.shape == (sum(p.data.size for p in model.parameters()),)
    set_flat_parameters(model, theta * 2)
    np.testing.assert_allclose(flatten_parameters(model), theta * 2)
    set_flat_parameters(model, theta)
    with pytest.raises(ValueError, match="entries"):
        set_flat_parameters(model, theta[:-1])


@pytest.mark.parametrize(
    "sizes, loss, target",
    [([2, 5, 1], BCEWithLogitsLoss(), "binary"), ([2, 5, 3], CrossEntropyLoss(), "classes"),
     ([2, 5, 1], MSELoss(), "values")],
)  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_on_plane_matches_one_forward_per_point(sizes, loss, target, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = {"binary": (X[:, :1] > 0).astype(float), "classes": rng.integers(0, 3, 30),
         "values": rng.normal(size=(30, 1))}[target]  # fmt: skip
    model = mlp(sizes, rng=0, dtype=dtype)  # a float32 network is evaluated in float32
    origin, d1, d2 = random_plane(model, rng=2)
    grid = np.linspace(-1, 1, 4)
    Z = loss_on_plane(model, loss, X, y, origin, d1, d2, grid, grid[:3])
    assert Z.shape == (3, 4)
    for i, b in enumerate(grid[:3]):
        for j, a in enumerate(grid):
            set_flat_parameters(model, origin + a * d1 + b * d2)
            expected = loss.forward(model(X.astype(dtype)), y)
            assert Z[i, j] == pytest.approx(expected, rel=1e-12 if dtype == np.float64 else 1e-5)
    set_flat_parameters(model, origin)


def test_loss_on_plane_restores_parameters_and_handles_batch_norm():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 2)), (rng.normal(size=(20, 1)) > 0).astype(float)
    model = mlp([2, 4, 4, 1], batch_norm=True, rng=0)  # not batchable: the fallback loop
    before = flatten_parameters(model)
    origin, d1, d2 = random_plane(model, rng=0)
    Z = loss_on_plane(model, BCEWithLogitsLoss(), X, y, origin, d1, d2, [0.0, 0.5], [0.0])
    np.testing.assert_array_equal(flatten_parameters(model), before)
    assert np.isfinite(Z).all()


@settings(max_examples=10, deadline=None)
@given(k=st.integers(3, 80), seed=st.integers(0, 1000))
def test_pca_plane_finds_the_main_directions(k, seed):
    rng = np.random.default_rng(seed)
    P = 12
    a, b = np.zeros(P), np.zeros(P)
    a[0], b[1] = 1.0, 1.0
    t = np.linspace(0, 1, k)
    snaps = [5 * ti * a + np.sin(3 * ti) * b + 1e-3 * rng.normal(size=P) for ti in t]
    origin, d1, d2, coords = pca_plane(snaps)
    np.testing.assert_array_equal(origin, snaps[-1])
    assert abs(d1 @ a) > 0.95
    assert abs(d1 @ d2) < 1e-8 and np.isclose(np.linalg.norm(d2), 1.0)
    assert coords.shape == (k, 2)
    np.testing.assert_allclose(coords[-1], 0.0, atol=1e-12)


def test_slice_view_draws_the_trajectory(net):
    model, X, y = net
    snaps = [flatten_parameters(model) * s for s in np.linspace(1.5, 1.0, 10)]
    fig = new_figure(300, 300)
    view = SliceView(fig.add_subplot(), resolution=9)
    Z = view.update(model, BCEWithLogitsLoss(), X, y, snaps)
    assert Z.shape == (9, 9)
    assert len(view.path.get_data()[0]) == 10
    assert to_png(fig).startswith(b"\x89PNG")


def test_random_slice_plot(net):
    model, X, y = net
    fig = plot_param_slice(model, BCEWithLogitsLoss(), X, y, rng=0, resolution=7)
    assert to_png(fig).startswith(b"\x89PNG")


def test_slice_view_marks_start_and_end_not_a_minimum_and_has_a_colour_bar(net):
    model, X, y = net
    snaps = [flatten_parameters(model) * s for s in np.linspace(1.5, 1.0, 10)]
    fig = new_figure(400, 300)
    view = SliceView(fig.add_subplot(), resolution=9)
    Z = view.update(model, BCEWithLogitsLoss(), X, y, snaps)
    assert view.end.get_marker() == "s" and view.start.get_marker() == "o"  # no star
    assert [t.get_text() for t in view.legend.get_texts()] == ["start", "end of training"]
    assert "direction 1" in view.ax.get_xlabel() and "travel" in view.ax.get_xlabel()
    assert view.colorbar.ax.get_ylabel() == "loss (log scale)"
    finite = Z[np.isfinite(Z)]
    # the bar spans the slice, snapped out to half-decades (no more than a factor sqrt(10))
    vmin, vmax = view.image.norm.vmin, view.image.norm.vmax
    assert finite.min() / 10**0.5 <= vmin * (1 + 1e-9) and vmin <= finite.min() * (1 + 1e-9)
    assert finite.max() <= vmax * (1 + 1e-9) <= finite.max() * 10**0.5 * (1 + 1e-6)
    for v in (vmin, vmax):
        assert 2 * np.log10(v) == pytest.approx(round(2 * np.log10(v)))
    lo, hi = view.ax.get_xlim()  # the path's window, out to a round step
    path_x = view.path.get_data()[0]
    assert lo < path_x.min() and hi > path_x.max()
    to_png(fig)
    labels = [t.get_text() for t in view.colorbar.ax.yaxis.get_ticklabels(which="both")]
    assert not any("times" in t or "^" in t for t in labels)  # plain labels, no mathtext


def test_slice_view_of_one_point_gets_a_readable_window(net):
    model, X, y = net
    fig = new_figure(400, 300)
    view = SliceView(fig.add_subplot(), resolution=5)
    view.update(model, BCEWithLogitsLoss(), X, y, [flatten_parameters(model)])  # epoch 0
    lo, hi = view.ax.get_xlim()
    assert hi - lo >= 0.2  # not a window 1e-4 wide, whose tick labels collide


def test_trajectory_plot_swaps_the_surface_under_the_same_paths():
    from backprop_lib.instruments.surfaces import ravine
    from backprop_lib.viz.landscape import TrajectoryPlot

    fig = new_figure(400, 300)
    ax = fig.add_subplot()
    plot = TrajectoryPlot(ax, ravine(10.0), labels=["a", "b"], outline="white")
    path = np.array([[-1.5, 1.0], [-1.0, 0.5], [0.0, 0.0]])
    plot.update({"a": path})
    old = plot.surface_artists()
    plot.set_function(ravine(100.0, 30.0))
    new = plot.surface_artists()
    assert new[0] is not old[0] and new[1] is not old[1]
    assert old[0] not in ax.get_children() and old[1] not in ax.get_children()
    assert new[2:] == old[2:]  # the same star at the same minimum
    assert ax.get_title() == ravine(100.0, 30.0).name
    np.testing.assert_array_equal(plot.lines["a"].get_xydata(), path)
    np.testing.assert_array_equal(plot.outlines["a"].get_xydata(), path)
    assert plot.lines["b"].get_xydata().size == 0
    assert len(to_png(fig)) > 1000
