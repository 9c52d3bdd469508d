"""Network diagram: one line per weight, width ~ |w|, colour = sign; biases shown; every
hidden and output unit's picture over the input plane, in the diagram and in the dashboard."""

import io

import numpy as np
import PIL.Image
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.image import AxesImage, _ImageBase
from matplotlib.transforms import Affine2D, ScaledTranslation

from backprop_lib import widgets
from backprop_lib.data import make_moons, make_xor
from backprop_lib.nn.activations import Tanh
from backprop_lib.nn.layers import Linear, Residual, Sequential
from backprop_lib.nn.models import mlp
from backprop_lib.viz import NetworkDiagram, plot_network
from backprop_lib.viz.boundary import class_probabilities, grid_points, surface_rgb
from backprop_lib.viz.layout import layout_problems
from backprop_lib.viz.network import (
    MAX_LINES,
    MIN_PICTURE_PX,
    _Picture,
    linear_layers,
    picture_rgb,
    unit_values,
)
from backprop_lib.viz.style import CLASS_COLORS, NEGATIVE, POSITIVE, new_figure, to_png


def test_one_line_per_weight_in_row_major_order():
    model = mlp([2, 3, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), model)
    w = np.concatenate([model[0].W.data.ravel(), model[2].W.data.ravel()])
    widths = diagram.edges.get_linewidths()
    assert len(widths) == len(w) == 9
    assert np.argmax(widths) == np.argmax(np.abs(w))  # the widest line is the largest |w|
    colors = diagram.edges.get_colors()
    for c, value in zip(colors, w, strict=True):
        expected = to_rgba(POSITIVE if value >= 0 else NEGATIVE)
        np.testing.assert_allclose(c[:3], expected[:3])
    assert [t.get_text() for t in diagram.labels] == [f"{v:+.2f}" for v in w]


def test_update_moves_widths_colours_and_bias_labels_in_place():
    model = mlp([2, 2, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), model)
    edges = diagram.edges
    model[0].W.data[0, 0] = -10.0
    model[0].b.data[1] = 0.5
    diagram.update(model)
    assert diagram.edges is edges
    assert np.argmax(diagram.edges.get_linewidths()) == 0
    np.testing.assert_allclose(diagram.edges.get_colors()[0][:3], to_rgba(NEGATIVE)[:3])
    assert diagram.bias_labels[1].get_text() == "b +0.50"
    assert np.argmax(diagram.biases.get_sizes()) == 1


def test_activation_names_and_nested_layers():
    model = mlp([2, 4, 4, 1], activation="relu", residual=True, batch_norm=True, rng=0)
    assert len(linear_layers(model)) == 3
    fig = plot_network(model)
    assert to_png(fig).startswith(b"\x89PNG")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("ReLU") == 2


def test_values_hidden_for_big_networks_and_shape_mismatch_is_named():
    big = mlp([2, 16, 16, 1], rng=0)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), big)
    assert diagram.labels == []
    with pytest.raises(ValueError, match="layer sizes"):
        diagram.update(mlp([2, 8, 1], rng=0))
    with pytest.raises(ValueError, match="no Linear"):
        NetworkDiagram(fig.add_subplot(), mlp([2, 1], rng=0)[0:0])


def test_nan_weights_draw_grey():
    model = mlp([2, 2, 1], rng=0)
    model[0].W.data[0, 0] = np.nan
    fig = plot_network(model)
    assert to_png(fig).startswith(b"\x89PNG")


def test_a_layer_of_more_than_max_lines_weights_draws_its_strongest_and_says_so():
    model = mlp([2, 64, 64, 1], rng=0)
    W2 = model[2].W.data
    W2[5, 7], W2[0, 0] = -50.0, np.nan  # the strongest, and a diverged weight
    fig = new_figure(400, 320)
    diagram = NetworkDiagram(fig.add_subplot(), model)
    assert diagram.thinned == [2]  # 64 x 64 = 4,096 > MAX_LINES; 2 x 64 and 64 x 1 are drawn
    assert len(diagram.edges.get_segments()) == len(diagram.shown) == 128 + MAX_LINES + 64
    w = np.concatenate([lin.W.data.ravel() for lin in linear_layers(model)]).astype(float)
    np.testing.assert_array_equal(diagram.shown[:128], np.arange(128))  # W1 whole, in order
    np.testing.assert_array_equal(diagram.shown[-64:], np.arange(128 + 4096, 128 + 4096 + 64))
    middle = diagram.shown[128:-64]
    size = np.nan_to_num(np.abs(w), nan=np.inf)
    np.testing.assert_array_equal(np.sort(size[middle]), np.sort(size[128:4224])[-MAX_LINES:])
    assert np.all(np.diff(size[middle]) >= 0)  # weakest first: the strongest lie on top
    assert middle[-1] == diagram.edge_index(2, 0, 0)  # NaN counts as strongest, drawn grey
    np.testing.assert_allclose(diagram.edges.get_colors()[128 + MAX_LINES - 1], (0.5,) * 3 + (1,))
    strongest = diagram.edge_index(2, 5, 7)
    assert middle[-2] == strongest
    for segment, k in zip(diagram.edges.get_segments(), diagram.shown, strict=True):
        np.testing.assert_allclose(segment, diagram._all_segments[k])  # each on its own units
    colors = diagram.edges.get_colors()
    signs = np.sign(w[diagram.shown])
    blue = colors[:, 2] > colors[:, 0]
    assert np.all(blue[signs > 0]) and not np.any(blue[signs < 0])
    assert "the 64 × 64 layer's 512 strongest weights" in diagram.note.get_text()
    model[2].W.data[:] = -model[2].W.data  # a new set of weights: chosen again
    model[2].W.data[1, 1] = 99.0
    diagram.update(model)
    assert diagram.shown[128 + MAX_LINES - 2] == diagram.edge_index(2, 1, 1)  # under the NaN
    assert to_png(fig).startswith(b"\x89PNG")
    small = NetworkDiagram(new_figure(400, 320).add_subplot(), mlp([2, 16, 16, 1], rng=0))
    assert small.thinned == [] and small.note is None
    np.testing.assert_array_equal(small.shown, np.arange(2 * 16 + 16 * 16 + 16))


# ---- neuron pictures ---------------------------------------------------------------------

ACTS = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def _expected_colour(value, kind):
    """The documented colour scale, written out: -1 orange .. 0 white .. +1 blue at 60%."""
    s = 2 * value - 1 if kind == "sigmoid" else float(np.clip(value, -1, 1))
    hue = np.array(to_rgb(POSITIVE if s >= 0 else NEGATIVE))
    return 1 - 0.6 * abs(s) * (1 - hue)


def _random_mlp(sizes, activation, seed):
    model = mlp(sizes, activation=activation, rng=seed)
    rng = np.random.default_rng(seed + 100)
    for lin in linear_layers(model):
        lin.b.data[:] = rng.normal(size=lin.b.data.shape)
    return model


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
@pytest.mark.parametrize("sizes, seed", [([2, 3, 1], 0), ([2, 4, 2, 1], 5)])
def test_each_picture_is_its_unit_computed_by_hand_on_the_grid(activation, sizes, seed):
    X, _ = make_xor(60, noise=0.25, rng=seed)
    g = 9
    points, extent = grid_points(X, g)
    model = _random_mlp(sizes, activation, seed)
    fig = new_figure(700, 420)
    diagram = NetworkDiagram(fig.add_subplot(), model, pictures=(points, extent))
    assert diagram.pictures_shown
    xs, ys = np.linspace(extent[0], extent[1], g), np.linspace(extent[2], extent[3], g)
    f = ACTS[activation]
    images = iter(diagram.images)
    lins = linear_layers(model)
    for layer in range(1, len(sizes) - 1):  # hidden layers, by hand, pixel by pixel
        for j in range(sizes[layer]):
            image = next(images).get_array()
            for r in (0, 4, g - 1):
                for c in (0, 3, g - 1):
                    a = np.array([xs[c], ys[r]])  # row r is y = ys[r] (origin lower)
                    for lin in lins[:layer]:
                        a = f(a @ lin.W.data + lin.b.data)
                    kind = "sigmoid" if activation == "sigmoid" else "signed"
                    np.testing.assert_allclose(image[r, c], _expected_colour(a[j], kind))
    out = next(images).get_array()
    hidden = f(f(points @ lins[0].W.data + lins[0].b.data) @ lins[1].W.data + lins[1].b.data) \
        if len(sizes) == 4 else f(points @ lins[0].W.data + lins[0].b.data)  # fmt: skip
    logit = hidden @ lins[-1].W.data + lins[-1].b.data  # (g*g, 1)
    p = 1 / (1 + np.exp(-logit[:, 0]))
    expected = np.array([_expected_colour(v, "sigmoid") for v in p]).reshape(g, g, 3)
    np.testing.assert_allclose(out, expected)
    # and that is exactly the decision-boundary panel's colouring of the same grid
    np.testing.assert_allclose(out, surface_rgb(class_probabilities(model, points), g))


def test_unit_values_are_the_forward_pass_and_residual_units_include_the_skip():
    model = mlp([2, 3, 3, 1], activation="tanh", residual=True, rng=2)
    points = np.random.default_rng(0).normal(size=(16, 2))
    hidden, out = unit_values(model, points)
    lin = linear_layers(model)
    h1 = np.tanh(points @ lin[0].W.data + lin[0].b.data)
    h2 = h1 + np.tanh(h1 @ lin[1].W.data + lin[1].b.data)  # what the last layer multiplies
    np.testing.assert_allclose(hidden[0], h1)
    np.testing.assert_allclose(hidden[1], h2)
    np.testing.assert_allclose(out, h2 @ lin[2].W.data + lin[2].b.data)


def test_several_outputs_are_class_probabilities_in_their_class_colours():
    X, _ = make_moons(50, rng=0)
    points, _ = grid_points(X, 6)
    model = _random_mlp([2, 3, 3], "relu", 1)
    _, outputs = picture_rgb(model, points)
    z = model(points)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    for k, rgb in enumerate(outputs):
        hue = np.array(to_rgb(CLASS_COLORS[k]))
        expected = 1 - 0.6 * p[:, k, None] * (1 - hue)
        np.testing.assert_allclose(rgb.reshape(-1, 3), expected)


def test_a_sigmoid_after_dropout_keeps_the_sigmoid_scale_and_nan_is_grey():
    model = mlp([2, 2, 1], activation="sigmoid", dropout=0.5, rng=0)
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    hidden, _ = picture_rgb(model, points)
    h = 1 / (1 + np.exp(-(points @ model[0].W.data + model[0].b.data)))  # dropout is off
    for j in range(2):
        expected = [_expected_colour(v, "sigmoid") for v in h[:, j]]
        np.testing.assert_allclose(hidden[0][j].reshape(-1, 3), expected)
    model[0].W.data[0, 0] = np.nan
    hidden, outputs = picture_rgb(model, points)
    np.testing.assert_allclose(hidden[0][0].reshape(-1, 3)[1], 0.8)  # x1 = 1 meets the NaN
    np.testing.assert_allclose(outputs[0].reshape(-1, 3)[1], 0.8)


def test_drawing_the_pictures_disturbs_nothing_training_relies_on():
    model = mlp([2, 4, 4, 1], activation="tanh", batch_norm=True, dropout=0.2, rng=3)
    X, y = make_moons(32, rng=1)
    points, _ = grid_points(X, 8)
    fig = new_figure(500, 300)
    diagram = NetworkDiagram(fig.add_subplot(), model, pictures=points)

    def grads(draw):
        model.zero_grad()
        out = model(X)  # the training batch's forward
        if draw:
            diagram.update(model)  # a forward of the grid in between
        model.backward(np.ones_like(out))
        return [p.grad.copy() for p in model.parameters()]

    drops = [m for m in model.modules() if type(m).__name__ == "Dropout"]
    states = [m.rng.bit_generator.state for m in drops]
    plain = grads(False)
    for m, state in zip(drops, states, strict=True):  # the same dropout masks again
        m.rng.bit_generator.state = state
    drawn = grads(True)
    for a, b in zip(plain, drawn, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    diagram.update(model)
    assert not any(m.training for m in model.modules())  # eval stays eval


def test_update_only_sets_image_data():
    X, _ = make_xor(40, rng=0)
    model = mlp([2, 3, 1], rng=0)
    fig = new_figure(600, 360)
    ax = fig.add_subplot()
    diagram = NetworkDiagram(ax, model, pictures=grid_points(X, 12))
    to_png(fig)
    children = list(ax.get_children())
    images = list(diagram.images)
    before = [im.get_array().copy() for im in images]
    extents = [im.get_extent() for im in images]
    others = {id(t): t.get_text() for t in ax.texts if t not in diagram.moving_artists()}
    model[0].W.data[0, 0] = -3.0
    diagram.update(model)
    assert list(ax.get_children()) == children  # no artist added or removed
    assert diagram.images == images and len(images) == 3 + 1
    assert [im.get_extent() for im in images] == extents
    changed = [not np.allclose(a, im.get_array()) for a, im in zip(before, images, strict=True)]
    assert changed == [True, False, False, True]  # unit h1 (its weight moved) and the output
    assert {id(t): t.get_text() for t in ax.texts if id(t) in others} == others
    assert set(map(id, images)) <= set(map(id, diagram.moving_artists()))
    assert diagram.edges in diagram.moving_artists()


def _overlaps(a, b, slack=1.0):
    return (a.x0 + slack < b.x1 and b.x0 + slack < a.x1
            and a.y0 + slack < b.y1 and b.y0 + slack < a.y1)  # fmt: skip


@pytest.mark.parametrize(
    "name, sizes, activation, size_px",
    [
        ("one_hidden_unit", [2, 1, 1], "tanh", (500, 320)),
        ("xor_2_2_1", [2, 2, 1], "tanh", (500, 320)),
        ("four_hidden", [2, 4, 1], "relu", (450, 330)),
        ("six_layers", [2, 8, 8, 8, 8, 8, 8, 1], "relu", (400, 340)),
        ("five_inputs", [5, 6, 3], "sigmoid", (450, 340)),
        ("wide_16", [2, 16, 16, 1], "sigmoid", (380, 360)),
        ("wide_64", [2, 64, 64, 1], "tanh", (360, 300)),
    ],
)
def test_extremes_are_drawn_without_clipped_or_overlapping_names(
    name, sizes, activation, size_px, tmp_path
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, sizes[0]))
    plane = grid_points(X[:, :2], 24)[0]
    points = np.column_stack([plane, np.zeros((len(plane), sizes[0] - 2))])
    model = _random_mlp(sizes, activation, 0)
    fig = new_figure(*size_px)
    diagram = NetworkDiagram(fig.add_subplot(), model, pictures=points)
    to_png(fig)
    fig.savefig(tmp_path / f"network_{name}.png")  # looked at: pytest --basetemp=DIR
    assert layout_problems(fig) == []
    renderer = fig.canvas.get_renderer()
    side = 2 * diagram._half * fig.dpi / 72
    boxes = [im.get_window_extent(renderer) for im in diagram.images]
    if diagram.pictures_shown:
        assert side >= MIN_PICTURE_PX
        assert len(diagram.images) == sum(sizes[1:])
        assert diagram.note is None
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert not _overlaps(a, b)
    else:  # 64 in a column: too small to read, so left out, and the figure says so
        assert sizes[1] == 64 and diagram.images == []
        assert diagram.note is not None and "pictures" in diagram.note.get_text()
    names = [t.get_window_extent(renderer) for t in diagram.name_labels.values()]
    names += [t.get_window_extent(renderer) for t in diagram.bias_labels]
    for i, a in enumerate(names):  # a name or bias label covers no picture and no other
        assert not any(_overlaps(a, b) for b in boxes), name
        assert not any(_overlaps(a, b) for b in names[i + 1 :]), name
    if sizes[0] > 2:
        assert [diagram.name_labels[0, i].get_text() for i in range(5)] == [
            "x₁", "x₂", "x₃", "x₄", "x₅"
        ]  # fmt: skip


def test_several_hidden_layers_name_units_by_layer_and_index():
    model = mlp([2, 2, 3, 1], rng=0)
    fig = new_figure(600, 400)
    diagram = NetworkDiagram(fig.add_subplot(), model, hidden_names=True)
    assert diagram.names == [["x₁", "x₂"], ["h¹₁", "h¹₂"], ["h²₁", "h²₂", "h²₃"], ["ŷ"]]
    assert diagram.name_labels[2, 2].get_text() == "h²₃"
    assert diagram.edge_index(2, 1, 2) == 2 * 2 + 1 * 3 + 2
    segment = diagram.edges.get_segments()[diagram.edge_index(2, 1, 2)]
    np.testing.assert_allclose(segment[0], diagram.name_labels[1, 1].get_position())
    np.testing.assert_allclose(segment[1], diagram.name_labels[2, 2].get_position())


def _render_one_picture(cls, grid, centre):
    fig = new_figure(120, 120)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    image = cls(ax, interpolation="bilinear", origin="lower", extent=(-19.3, 19.3, -19.3, 19.3))
    image.set_data(grid)
    points = Affine2D().scale(1 / 72) + fig.dpi_scale_trans
    image.set_transform(points + ScaledTranslation(*centre, ax.transData))
    ax.add_image(image)
    fig.set_layout_engine("none")
    return np.asarray(PIL.Image.open(io.BytesIO(to_png(fig))).convert("RGB")).astype(int)


@pytest.mark.parametrize("centre", [(0.5, 0.5), (0.437, 0.561)])
def test_a_picture_is_drawn_as_matplotlib_draws_the_image_without_its_general_path(
    centre, monkeypatch
):
    """Each neuron picture resamples its grid itself (cheaper than matplotlib's image path):
    the same pixel box, the same orientation, every colour within one level of 255."""
    grid = np.random.default_rng(3).uniform(size=(6, 6, 3))
    grid[0, 0], grid[-1, -1] = (1, 0, 0), (0, 0, 1)  # bottom left red, top right blue
    expected = _render_one_picture(AxesImage, grid, centre)
    monkeypatch.setattr(_ImageBase, "_make_image", _raises)  # the general path is not taken
    drawn = _render_one_picture(_Picture, grid, centre)
    assert np.abs(drawn - expected).max() <= 1
    ys, xs = np.nonzero((expected != 255).any(axis=2))
    assert drawn[ys.max(), xs.min()].tolist() == [255, 0, 0]
    assert drawn[ys.min(), xs.max()].tolist() == [0, 0, 255]


def _raises(*args, **kwargs):
    raise AssertionError("matplotlib's general image path was taken")


def test_pictures_are_deterministic():
    X, _ = make_moons(80, rng=0)
    pngs = []
    for _ in range(2):
        fig = plot_network(mlp([2, 5, 1], rng=4), pictures=grid_points(X, 24))
        pngs.append(to_png(fig))
    assert pngs[0] == pngs[1]


def test_bad_pictures_are_clear_errors():
    model = mlp([2, 3, 1], rng=0)
    fig = new_figure(400, 300)
    ax = fig.add_subplot()
    with pytest.raises(ValueError, match=r"\(G\*G, 2\).*grid_points"):
        NetworkDiagram(ax, model, pictures=np.zeros((16, 3)))
    with pytest.raises(ValueError, match="square grid.*15 points"):
        NetworkDiagram(ax, model, pictures=np.zeros((15, 2)))
    with pytest.raises(ValueError, match="NaN or inf"):
        NetworkDiagram(ax, model, pictures=np.full((16, 2), np.nan))
    with pytest.raises(ValueError, match="output must be"):
        NetworkDiagram(ax, model, pictures=np.zeros((16, 2)), output="classes")
    two_in_one = Sequential(Linear(2, 3), Residual(Sequential(Linear(3, 3), Tanh(), Linear(3, 3))),
                            Linear(3, 1))  # fmt: skip
    with pytest.raises(ValueError, match="holds 2 Linear layers.*pictures=None"):
        NetworkDiagram(ax, two_in_one, pictures=np.zeros((16, 2)))
    plain = NetworkDiagram(ax, model)
    with pytest.raises(ValueError, match="built without pictures"):
        plain.update(model, pictures=np.zeros((16, 2)))
    pictured = NetworkDiagram(ax, model, pictures=np.zeros((16, 2)))
    with pytest.raises(ValueError, match="keep the resolution"):
        pictured.update(model, pictures=np.zeros((25, 2)))


# ---- in the training dashboard -------------------------------------------------------------


@pytest.fixture(scope="module")
def playground():
    d = widgets.TrainingDashboard()
    yield d
    d.close()


def test_the_dashboard_pictures_every_unit_of_its_trained_network(playground):
    d = playground
    run = d.run
    assert d.diagram.pictures_shown and len(d.diagram.images) == 16 + 16 + 1
    points, extent = grid_points(run.X, 24)  # the data panel's plane, 24 x 24
    lin = linear_layers(d.model)
    W = [(m.W.data.astype(float), m.b.data.astype(float)) for m in lin]
    h1 = np.tanh(points @ W[0][0] + W[0][1])
    h2 = np.tanh(h1 @ W[1][0] + W[1][1])
    p = 1 / (1 + np.exp(-(h2 @ W[2][0] + W[2][1])))
    expected = [*h1.T, *h2.T]
    for image, h in zip(d.diagram.images, expected, strict=False):
        rgb = np.array([_expected_colour(v, "signed") for v in h]).reshape(24, 24, 3)
        np.testing.assert_allclose(image.get_array(), rgb, atol=1e-5)  # float32 network
    out = np.array([_expected_colour(v, "sigmoid") for v in p[:, 0]]).reshape(24, 24, 3)
    np.testing.assert_allclose(d.diagram.images[-1].get_array(), out, atol=1e-5)


def test_a_new_learning_rate_sets_new_picture_data_on_the_same_images(playground):
    d = playground
    images = list(d.diagram.images)
    before = [im.get_array().copy() for im in images]
    d.lr.value = 0.3
    assert d.error is None and d.diagram.images == images
    assert any(not np.allclose(a, im.get_array()) for a, im in zip(before, images, strict=True))


def test_the_dashboard_pictures_follow_the_data_and_switch_off_when_too_many(playground):
    d = playground
    d.config = {"dataset": "circles"}  # same shape: same diagram, a grid over the new data
    diagram = d.diagram
    d.config = {"dataset": "xor"}
    assert d.diagram is diagram
    lin = linear_layers(d.model)[0]
    points, _ = grid_points(d.run.X, 24)
    h = np.tanh(points @ lin.W.data.astype(float) + lin.b.data)
    rgb = np.array([_expected_colour(v, "signed") for v in h[:, 0]]).reshape(24, 24, 3)
    np.testing.assert_allclose(diagram.images[0].get_array(), rgb, atol=1e-5)
    d.config = {"dataset": "sine", "lr": 0.1}  # one input: each picture is a strip along x
    for image in d.diagram.images:
        strip = image.get_array()
        np.testing.assert_allclose(strip, np.broadcast_to(strip[:1], strip.shape))
    fit = d.diagram.images[-1].get_array()[0]  # y-hat ~ sin x, on the -1..1 scale
    xs = np.linspace(*grid_points(np.repeat(d.run.X, 2, axis=1), 24)[1][:2], 24)
    low, high = np.argmin(abs(xs + np.pi / 2)), np.argmin(abs(xs - np.pi / 2))
    assert fit[low, 0] > fit[low, 2] and fit[high, 2] > fit[high, 0]  # orange low, blue high
    d.config = {"dataset": "moons", "width": 64}
    assert not d.diagram.pictures_shown and d.diagram.images == []
    assert layout_problems(d.figure) == []
    d.config = {"width": 16}
    assert d.diagram.pictures_shown


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=3, max_size=5),
    activation=st.sampled_from(["tanh", "sigmoid", "relu", "leaky_relu", "identity"]),
    seed=st.integers(0, 10_000),
)
def test_unit_values_match_numpy_for_any_shape_and_leave_the_caches(widths, activation, seed):
    model = _random_mlp(widths, activation, seed)
    X = np.random.default_rng(seed).normal(size=(7, widths[0]))
    model(X)  # a training forward: the caches a backward would read
    caches = [dict(vars(m)) for m in model.modules()]
    points = np.random.default_rng(seed + 1).normal(size=(9, widths[0]))
    hidden, out = unit_values(model, points)
    f = {**ACTS, "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}[activation]
    a = points
    for k, lin in enumerate(linear_layers(model)):
        a = a @ lin.W.data + lin.b.data
        if k < len(widths) - 2:
            a = f(a)
            np.testing.assert_allclose(hidden[k], a, atol=1e-12)
    np.testing.assert_allclose(out, a, atol=1e-12)
    for m, before in zip(model.modules(), caches, strict=True):
        assert vars(m).keys() == before.keys()
        assert all(vars(m)[k] is v for k, v in before.items())
