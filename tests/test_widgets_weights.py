"""WeightExplorer driven from Python: every slider is one weight, the figure follows."""

import numpy as np
import pytest

from backprop_lib.data import make_xor
from backprop_lib.viz.style import to_png
from backprop_lib.widgets import WeightExplorer


@pytest.fixture(scope="module")
def dash():
    d = WeightExplorer(hidden=2, activation="tanh")
    yield d
    d.close()


def test_one_slider_per_weight_and_bias():
    d = WeightExplorer(hidden=3)
    names = [k for k in d.controls if k != "activation"]
    assert len(names) == 2 * 3 + 3 + 3 * 1 + 1
    assert "W1[2,3]" in names and "b2[1]" in names
    d.close()


@pytest.mark.parametrize(
    "name, layer, index",
    [
        ("W1[1,1]", 0, (0, 0)),
        ("W1[2,1]", 0, (1, 0)),
        ("W1[1,2]", 0, (0, 1)),
        ("W2[2,1]", 2, (1, 0)),
    ],
)
def test_each_weight_slider_sets_its_weight(dash, name, layer, index):
    dash.controls[name].value = -1.25
    assert dash.model[layer].W.data[index] == pytest.approx(-1.25)
    text = dash.diagram.labels  # the diagram writes every weight on its line
    assert any(t.get_text() == "-1.25" for t in text)


def test_bias_slider_sets_its_bias(dash):
    dash.controls["b1[2]"].value = 0.75
    assert dash.model[0].b.data[1] == pytest.approx(0.75)
    assert any(t.get_text() == "b +0.75" for t in dash.diagram.bias_labels)


def test_activation_dropdown_swaps_the_activation_and_keeps_the_weights(dash):
    dash.controls["W1[1,1]"].value = 2.0
    dash.activation.value = "relu"
    assert type(dash.model[1]).__name__ == "ReLU"
    assert dash.model[0].W.data[0, 0] == pytest.approx(2.0)
    assert "ReLU" in [t.get_text() for t in dash.diagram.act_labels]
    dash.activation.value = "tanh"


def test_hand_solved_xor_is_recognised_in_the_status_and_the_figure():
    X, y = make_xor(120, noise=0.25, rng=0)
    d = WeightExplorer(hidden=2, activation="relu", X=X, y=y)
    # h1 = relu(x1 - x2), h2 = relu(x2 - x1), out = h1 + h2 - 1: positive when signs differ
    d.config = {"W1[1,1]": 1.0, "W1[2,1]": -1.0, "b1[1]": 0.0,
                "W1[1,2]": -1.0, "W1[2,2]": 1.0, "b1[2]": 0.0,
                "W2[1,1]": 1.0, "W2[2,1]": 1.0, "b2[1]": -1.0}  # fmt: skip
    logits = d.model(X)[:, 0]
    expected = np.mean((logits > 0) == (y == 1))
    assert d.accuracy == pytest.approx(expected)
    assert d.accuracy > 0.9
    assert f"accuracy {100 * d.accuracy:.0f}%" in d.status.value
    assert d.image.value == to_png(d.figure)
    d.close()


def test_fifty_rapid_changes_end_on_the_last_value():
    d = WeightExplorer(threaded=True)
    for v in np.linspace(-3, 3, 50):
        d.controls["W2[1,1]"].value = float(v)
    assert d.wait(timeout=60)
    assert d.model[2].W.data[0, 0] == pytest.approx(3.0)
    assert d.diagram.labels[-2].get_text() == "+3.00"  # W2[1,1] is the output layer's first
    assert d.error is None
    d.close()


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="hidden"):
        WeightExplorer(hidden=7)
    with pytest.raises(ValueError, match="activation"):
        WeightExplorer(activation="swish")


@pytest.mark.parametrize("hidden, seed", [(2, 0), (3, 1), (4, 7)])
def test_every_slider_starts_on_a_multiple_of_its_step(hidden, seed):
    # A value between steps is rounded by the browser and sent back: one redraw nobody asked for
    d = WeightExplorer(hidden=hidden, rng=seed)
    sliders = {k: c for k, c in d.controls.items() if k != "activation"}
    for name, s in sliders.items():
        for offset in (s.value, s.value - s.min):
            steps = offset / s.step
            assert steps == pytest.approx(round(steps), abs=1e-9), (name, s.value, s.step)
    assert any(s.value != 0 for s in sliders.values())  # the weights were not all zeroed
    for name, s in sliders.items():  # and the model starts exactly where its sliders are
        layer = 0 if name[1] == "1" else 2
        idx = [int(k) - 1 for k in name[3:-1].split(",")]
        data = d.model[layer].W.data if name[0] == "W" else d.model[layer].b.data
        assert data[tuple(idx)] == s.value
    d.close()


def test_limit_off_the_step_is_a_clear_error():
    with pytest.raises(ValueError, match="multiple of 0.05"):
        WeightExplorer(limit=3.33)


def test_bad_data_is_refused_with_the_fix_before_anything_is_built():
    X, y = make_xor(20, noise=0.25, rng=0)
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf in 1 of its 20 rows.*row 3.*np\.isfinite"):
        WeightExplorer(X=X, y=y)
    with pytest.raises(ValueError, match="features"):
        WeightExplorer(X=np.ones((5, 3)), y=np.zeros(5))
    with pytest.raises(ValueError, match=r"one 0/1 label per row.*\(5,\)"):
        WeightExplorer(X=np.ones((5, 2)), y=np.zeros(4))
    with pytest.raises(ValueError, match=r"only 0 and 1.*\(y > 0\)"):
        WeightExplorer(X=np.ones((3, 2)), y=np.array([-1, 1, 1]))


# ---- the diagram's names and pictures --------------------------------------------------------

SUB = "₀₁₂₃₄₅₆₇₈₉"


@pytest.mark.parametrize("hidden", [1, 2, 4])
def test_every_slider_names_the_line_between_the_units_of_those_names(hidden):
    d = WeightExplorer(hidden=hidden)
    diagram = d.diagram
    segments = diagram.edges.get_segments()
    at = {tuple(t.get_position()): t.get_text() for t in diagram.name_labels.values()}
    weights = [k for k in d.controls if k.startswith("W")]
    assert len(weights) == 2 * hidden + hidden
    for name in weights:
        layer, (i, j) = int(name[1]), map(int, name[3:-1].split(","))
        ends = ("x" + SUB[i], "h" + SUB[j]) if layer == 1 else ("h" + SUB[i], "ŷ")
        k = diagram.edge_index(layer, i - 1, j - 1)
        assert tuple(at[tuple(p)] for p in segments[k]) == ends, name
        d.controls[name].value = 3.9  # and the line named is the one the slider moves
        assert np.argmax(diagram.edges.get_linewidths()) == k, name
        d.controls[name].value = 0.0
    for name in (k for k in d.controls if k.startswith("b")):
        layer, j = int(name[1]), int(name[3:-1])
        centre = tuple(diagram.biases.get_offsets()[(j - 1) if layer == 1 else hidden])
        assert at[centre] == ("h" + SUB[j] if layer == 1 else "ŷ"), name
    d.close()


def test_the_explorer_pictures_its_hidden_units_over_the_output_panels_plane(dash):
    dash.config = {"activation": "tanh", "W1[1,1]": 3.0, "W1[2,1]": 3.0, "b1[1]": 3.0,
                   "W1[1,2]": 3.0, "W1[2,2]": 3.0, "b1[2]": -3.0,
                   "W2[1,1]": 1.0, "W2[2,1]": -1.0, "b2[1]": -1.0}  # fmt: skip
    images = dash.diagram.images
    assert dash.diagram.pictures_shown and len(images) == 2 + 1
    extent = dash.boundary.image.get_extent()
    xs, ys = np.linspace(*extent[:2], 24), np.linspace(*extent[2:], 24)
    # XOR's band is two boundaries: h1 = tanh(3 (x1 + x2) + 3) switches on at x1 + x2 = -1,
    # h2 = tanh(3 (x1 + x2) - 3) at x1 + x2 = +1
    for image, shift in zip(images[:2], (3.0, -3.0), strict=True):
        h = np.tanh(3 * (xs[None, :] + ys[:, None]) + shift)  # (24, 24), row = y
        blue = h > 0.5
        arr = image.get_array()
        assert np.all(arr[blue][:, 2] > arr[blue][:, 0])  # blue where the unit is on
        assert np.all(arr[h < -0.5][:, 0] > arr[h < -0.5][:, 2])  # orange where it is off


def test_moving_artists_are_what_a_slider_changes(dash):
    from backprop_lib.viz.style import to_png as render

    render(dash.figure)
    moving = dash.moving_artists()
    assert dash.diagram.edges in moving and dash.boundary.image in moving
    assert all(im in moving for im in dash.diagram.images)
    still = [a for ax in dash.figure.axes for a in ax.get_children() if a not in moving]

    def state(artist):
        parts = [type(artist).__name__]
        for getter in ("get_text", "get_offsets", "get_sizes", "get_facecolors",
                       "get_linewidths", "get_segments", "get_array", "get_position"):  # fmt: skip
            if hasattr(artist, getter):
                value = getattr(artist, getter)()
                parts.append(repr(np.asarray(value, dtype=object).tolist()))
        return parts

    before = [state(a) for a in still]
    dash.controls["W1[1,1]"].value = -2.0
    dash.controls["b2[1]"].value = 1.5
    assert [state(a) for a in still] == before


def test_pictures_off_and_the_same_settings_give_the_same_picture():
    bare = WeightExplorer(pictures=False)
    assert bare.diagram.images == [] and not bare.diagram.pictures_shown
    a, b = WeightExplorer(), WeightExplorer()
    a.controls["W1[1,2]"].value = b.controls["W1[1,2]"].value = 1.35
    assert a.image.value == b.image.value
    for d in (bare, a, b):
        d.close()


@pytest.mark.parametrize("pictures", [True, False])
@pytest.mark.parametrize("hidden", [1, 2, 3, 4])
def test_no_label_covers_another_or_a_unit(hidden, pictures, tmp_path):
    from backprop_lib.viz.layout import layout_problems

    d = WeightExplorer(hidden=hidden, activation="sigmoid", pictures=pictures, rng=hidden)
    d.figure.savefig(tmp_path / f"explorer_{hidden}_{pictures}.png")  # looked at by hand
    assert layout_problems(d.figure) == []
    renderer = d.figure.canvas.get_renderer()
    diagram = d.diagram
    texts = [*diagram.labels, *diagram.bias_labels, *diagram.name_labels.values()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    pictures_ = [im.get_window_extent(renderer) for im in diagram.images]

    def overlap(a, b, slack=1.0):
        return (a.x0 + slack < b.x1 and b.x0 + slack < a.x1
                and a.y0 + slack < b.y1 and b.y0 + slack < a.y1)  # fmt: skip

    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1 :], start=i + 1):
            assert not overlap(a, b), (texts[i].get_text(), texts[j].get_text())
        assert not any(overlap(a, p) for p in pictures_), texts[i].get_text()
    d.close()


def test_slider_moves_redraw_only_the_moving_artists_over_still_panels():
    """Ordinary moves take the cheap path with nothing learned and no panel redrawn whole:
    the diagram's and the output panel's limits are fixed, their ticks and titles cached."""
    d = WeightExplorer(hidden=2, activation="tanh")
    try:
        limits = [(ax.get_xlim(), ax.get_ylim()) for ax in d.figure.axes]
        for name, value in [("W1[1,1]", -1.5), ("W1[1,1]", 2.0), ("b1[2]", 0.5),
                            ("W2[1,1]", -3.0), ("W1[1,1]", 0.25)]:  # fmt: skip
            d.controls[name].value = value
            assert d.error is None and d.timings["path"] == "blit", (name, d.redraw_reason)
        assert d._blitter.learned == []
        assert d._blitter.background.moving_axes == frozenset()
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in d.figure.axes] == limits
    finally:
        d.close()
