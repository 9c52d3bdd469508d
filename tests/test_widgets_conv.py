"""FeatureMapExplorer driven from Python: each control shows what it should, at its extremes."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.instruments import input_gradient, layer_outputs
from backprop_lib.widgets import FeatureMapExplorer

X, Y = bl.data.load_digits()


@pytest.fixture(scope="module")
def model():
    m = bl.small_cnn(rng=0)
    bl.fit(m, bl.CrossEntropyLoss(), bl.Adam(m.parameters(), lr=3e-3), X[:400], Y[:400],
           epochs=4, batch_size=50, rng=0)  # fmt: skip
    return m


@pytest.fixture
def dash(model):
    d = FeatureMapExplorer(model, X[400:460], Y[400:460])
    yield d
    d.close()


def test_starts_on_the_first_convolution(dash, model):
    assert dash.layer.value == "1 Conv2d"
    assert dash.layer.options == ("1 Conv2d", "2 ReLU", "3 MaxPool2d", "4 Conv2d", "5 ReLU",
                                  "6 MaxPool2d")  # fmt: skip
    assert "bp-main-control" in dash.index._dom_classes
    assert dash.error is None and dash.updates == 1


def test_the_image_slider_moves_the_whole_figure(dash, model, tmp_path):
    for i in (dash.index.min, 17, dash.index.max):
        dash.index.value = i
        x = X[400 + i][None]
        np.testing.assert_array_equal(dash.image_art.get_array(), X[400 + i].reshape(8, 8))
        maps = layer_outputs(model, x)[1][1][0]
        np.testing.assert_allclose(dash.maps.images[3].get_array(), maps[3])
        pred = int(np.argmax(model.eval()(x)))
        assert dash.prediction == pred and f"predicted {pred}" in dash.ax_image.get_title()
        np.testing.assert_allclose(dash.saliency, input_gradient(model, x, pred).reshape(8, 8))
        assert f"label {Y[400 + i]}" in dash.status.value
        dash.figure.savefig(tmp_path / f"image_{i}.png")
    assert dash.error is None


def test_every_layer_shows_its_maps(dash, model, tmp_path):
    x = X[400][None]
    outs = dict(layer_outputs(model, x))
    for name in dash.layer.options:
        dash.layer.value = name
        maps = outs[name][0]
        shown = [ax for ax in dash.maps.axes if ax.axison]
        assert len(shown) == maps.shape[0]
        np.testing.assert_allclose(dash.maps.images[0].get_array(), maps[0])
        assert dash.maps.title.get_text().startswith(f"{name}: {maps.shape[0]} feature maps of")
        dash.figure.savefig(tmp_path / f"layer_{name.replace(' ', '_')}.png")
    assert dash.error is None


def test_the_saliency_class_can_be_chosen(dash, model):
    x = X[400][None]
    for target in (0, 9):
        dash.target.value = target
        assert dash.target_class == target
        np.testing.assert_allclose(dash.saliency, input_gradient(model, x, target).reshape(8, 8))
        assert f"score of {target}" in dash.ax_saliency.get_title()
    dash.target.value = "predicted class"
    assert dash.target_class == dash.prediction


def test_the_model_is_left_as_it_was(dash, model):
    grads = [p.grad.copy() for p in model.parameters()]
    model.train()
    dash.index.value = 5
    assert model.training
    for p, g in zip(model.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_config_round_trip(dash):
    dash.config = {"index": 3, "layer": "4 Conv2d", "target": 2}
    assert dash.config == {"index": 3, "layer": "4 Conv2d", "target": 2}
    assert dash.target_class == 2 and dash.feature_maps().shape == (16, 4, 4)


def test_bad_arguments(model):
    with pytest.raises(TypeError, match="Sequential CNN"):
        FeatureMapExplorer(bl.Linear(64, 10), X[:5])
    with pytest.raises(ValueError, match="does not hold the 64 pixels"):
        FeatureMapExplorer(model, X[:5], image_shape=(4, 4))
    with pytest.raises(ValueError, match="unknown layer"):
        FeatureMapExplorer(model, X[:5], layer="8 Linear")
    with pytest.raises(ValueError, match="index must be in"):
        FeatureMapExplorer(model, X[:5], index=5)
    with pytest.raises(ValueError, match="no layer with feature maps"):
        FeatureMapExplorer(bl.mlp([64, 10]), X[:5])


def test_moves_of_the_image_redraw_only_the_pictures_and_titles(dash):
    for index in (5, 17, 33, 48, 2):
        dash.index.value = index
    bg = dash._blitter.background
    assert dash.timings["path"] == "blit" and dash._blitter.learned == []
    assert set(bg.moving_axes) == set()
    # the saliency colour scale is fixed, and the colour bar sits clear of the changing title
    assert [a for a in bg.foreground if type(a).__name__ in ("XAxis", "YAxis", "QuadMesh")] == []
    lim = np.abs(dash.saliency).max()
    np.testing.assert_allclose(dash.saliency_art.get_array(), dash.saliency / lim)
    assert dash.saliency_art.get_clim() == (-1, 1)


def test_relayout_keeps_the_fixed_positions_without_a_warning(dash):
    import warnings

    boxes = [ax.get_position().bounds for ax in dash.figure.axes]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constrained layout warned: no gridspec to lay out
        dash.relayout()
        dash.index.value = 9
    assert dash.timings["path"] == "full" and dash.error is None
    assert [ax.get_position().bounds for ax in dash.figure.axes] == boxes
