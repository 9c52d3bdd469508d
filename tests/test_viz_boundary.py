"""Decision boundaries and regression fits: the picture matches the model's predictions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import Linear, Sequential, Sigmoid
from backprop_lib.nn.models import mlp
from backprop_lib.viz import (
    DecisionBoundary,
    RegressionFit,
    plot_decision_boundary,
    plot_regression,
)
from backprop_lib.viz.boundary import boundary_fields, class_probabilities, grid_points, surface_rgb
from backprop_lib.viz.style import new_figure, to_png


def _line_model(w, b, sigmoid=False):
    lin = Linear(2, 1)
    lin.W.data[:] = np.asarray(w, dtype=float).reshape(2, 1)
    lin.b.data[:] = b
    return Sequential(lin, Sigmoid()) if sigmoid else Sequential(lin)


@settings(max_examples=15, deadline=None)
@given(res=st.integers(5, 40), margin=st.floats(0.0, 0.5))
def test_grid_covers_the_data(res, margin):
    X = np.random.default_rng(res).normal(size=(30, 2))
    points, (x0, x1, y0, y1) = grid_points(X, res, margin)
    assert points.shape == (res * res, 2)
    assert x0 <= X[:, 0].min() and x1 >= X[:, 0].max()
    assert y0 <= X[:, 1].min() and y1 >= X[:, 1].max()


def test_logits_and_probabilities_give_the_same_classes():
    pts = np.random.default_rng(0).normal(size=(50, 2))
    p_logit = class_probabilities(_line_model([1, -2], 0.3), pts)  # auto: logits
    p_prob = class_probabilities(_line_model([1, -2], 0.3, sigmoid=True), pts)  # auto: probs
    np.testing.assert_allclose(p_logit, p_prob, atol=1e-12)
    np.testing.assert_allclose(p_logit.sum(axis=1), 1.0)
    z = pts @ np.array([1.0, -2.0]) + 0.3
    np.testing.assert_allclose(p_logit[:, 1], 1 / (1 + np.exp(-z)))


def test_multiclass_softmax_and_eval_mode_restored():
    model = mlp([2, 8, 3], rng=0, batch_norm=True)
    model.train()
    probs = class_probabilities(model, np.random.default_rng(1).normal(size=(20, 2)))
    assert probs.shape == (20, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert model.training  # put back


def test_surface_colours_follow_the_predicted_class():
    probs = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [np.nan, np.nan]])
    rgb = surface_rgb(probs, 2)  # a 2 x 2 image
    orange, blue = rgb[0, 0], rgb[0, 1]
    assert orange[0] > orange[2] and blue[2] > blue[0]  # class 0 orange, class 1 blue
    np.testing.assert_allclose(rgb[1, 0], 1.0)  # p = 0.5: white
    np.testing.assert_allclose(rgb[1, 1], 0.8)  # not finite: grey


def test_boundary_field_changes_sign_at_the_boundary():
    probs = np.array([[0.8, 0.2, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    fields = boundary_fields(probs, 2)
    assert len(fields) == 3
    winners = np.argmax(probs, axis=1).reshape(2, 2)
    for k, f in enumerate(fields):
        assert np.array_equal(f > 0, winners == k)


def test_decision_boundary_image_is_the_model_and_the_line_is_where_it_should_be():
    X = np.random.default_rng(0).uniform(-2, 2, size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    fig = new_figure(300, 300)
    view = DecisionBoundary(fig.add_subplot(), X, y, resolution=41)
    view.update(_line_model([5.0, 0.0], 0.0))  # boundary: x1 = 0
    img = np.asarray(view.image.get_array())
    left, right = img[20, 2], img[20, -3]
    assert left[0] > left[2] and right[2] > right[0]  # orange left, blue right
    (segments,) = view.boundary.get_segments()
    np.testing.assert_allclose(segments[:, 0], 0.0, atol=0.06)
    view.update(_line_model([-5.0, 0.0], 0.0))  # flipped: colours swap in place
    img2 = np.asarray(view.image.get_array())
    assert img2[20, 2][2] > img2[20, 2][0]
    assert len(view.boundary.get_segments()) == 1  # the old boundary line was replaced


def test_points_and_new_data():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    fig = new_figure(300, 300)
    view = DecisionBoundary(fig.add_subplot(), X, y, resolution=20)
    np.testing.assert_allclose(view.points.get_offsets(), X)
    X2 = X * 3
    view.set_data(X2, y)
    np.testing.assert_allclose(view.points.get_offsets(), X2)
    assert view.ax.get_xlim()[1] >= X2[:, 0].max()


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="\\(n, 2\\)"):
        plot_decision_boundary(mlp([3, 1], rng=0), np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="labels"):
        plot_decision_boundary(mlp([2, 1], rng=0), np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="output"):
        class_probabilities(mlp([2, 1], rng=0), np.zeros((2, 2)), output="scores")


def test_diverged_model_draws_grey_not_an_error():
    model = _line_model([np.nan, 1.0], 0.0)
    fig = plot_decision_boundary(model, np.random.default_rng(0).normal(size=(10, 2)),
                                 np.arange(10) % 2, resolution=10)  # fmt: skip
    assert to_png(fig).startswith(b"\x89PNG")


def test_regression_fit_curve_is_the_model():
    X = np.linspace(-3, 3, 40)[:, None]
    y = np.sin(X)
    model = Sequential(Linear(1, 1))
    model[0].W.data[:] = 0.5
    fig = new_figure(300, 200)
    fit = RegressionFit(fig.add_subplot(), X, y, target=np.sin)
    pred = fit.update(model)
    xs, ys = fit.line.get_data()
    np.testing.assert_allclose(ys, 0.5 * xs)
    np.testing.assert_allclose(pred[:, 0], ys)
    assert plot_regression(model, X, y)._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="\\(n, 1\\)"):
        RegressionFit(fig.add_subplot(), np.zeros((4, 2)), np.zeros((4, 1)))


def test_a_float32_network_gives_the_float64_probabilities():
    pts = np.random.default_rng(4).normal(size=(50, 2))
    p64 = class_probabilities(mlp([2, 8, 3], rng=0), pts)
    p32 = class_probabilities(mlp([2, 8, 3], rng=0, dtype=np.float32), pts)
    np.testing.assert_allclose(p32, p64, atol=1e-5)
