"""The convolution plots: what each panel shows is the computation it claims to show."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.viz import conv as vc
from backprop_lib.viz.style import new_figure

IMAGE = bl.data.load_digits()[0][0].reshape(8, 8)
EDGE = np.array([[1.0, 0.0, -1.0]] * 3) / 3


def _data(ax, k=0):
    return np.asarray(ax.images[k].get_array(), dtype=float)


def test_convolution_steps_fill_the_output_in_row_major_order(tmp_path):
    fig = vc.plot_convolution_steps(IMAGE, EDGE, positions=[(0, 0), (2, 5), (5, 5)])
    axes = np.array(fig.axes).reshape(2, 4)
    full = _data(axes[1, 0])
    layer = bl.Conv2d(1, 1, 3, bias=False)
    layer.W.data[...] = EDGE
    np.testing.assert_allclose(full, layer(IMAGE[None, None])[0, 0])  # the same numbers
    partial = _data(axes[1, 2])  # after position (2, 5): cells 0 .. 2*6 + 5 computed
    assert np.isfinite(partial.reshape(-1)[:18]).all() and np.isnan(partial.reshape(-1)[18:]).all()
    assert np.isfinite(_data(axes[1, 3])).all()  # the last position: all done
    assert f"= {full[2, 5]:.2f}" in axes[1, 2].get_title()
    window = axes[0, 2].patches[0]
    assert window.get_xy() == (4.5, 1.5) and window.get_width() == 3
    fig.savefig(tmp_path / "steps.png")
    with pytest.raises(ValueError, match="outside"):
        vc.plot_convolution_steps(IMAGE, EDGE, positions=[(6, 0)])


def test_pool_backward_panels(tmp_path):
    x = np.array([[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 1.0, 0.0], [4.0, 1.0, 0.0, 5.0],
                  [2.0, 4.0, 5.0, 1.0]])  # fmt: skip
    dy = np.array([[0.5, -1.0], [2.0, 1.5]])
    fig = vc.plot_pool_backward(x, dy)
    pool = bl.MaxPool2d(2)
    pool(x[None, None])
    np.testing.assert_array_equal(_data(fig.axes[2]), pool.backward(dy[None, None])[0, 0])
    avg = bl.AvgPool2d(2)
    avg(x[None, None])
    np.testing.assert_allclose(_data(fig.axes[3]), avg.backward(dy[None, None])[0, 0])
    texts = [t.get_text() for t in fig.axes[3].texts]
    assert "0.125" in texts and "0.375" in texts
    fig.savefig(tmp_path / "pool.png")
    with pytest.raises(ValueError, match="even sides"):
        vc.plot_pool_backward(np.zeros((3, 4)), np.zeros((1, 2)))


def test_feature_maps_and_filters(tmp_path):
    maps = np.random.default_rng(0).normal(size=(5, 4, 4))
    fig = vc.plot_feature_maps(maps, "five maps", columns=4)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 5 and shown[4].get_title() == "channel 4"
    np.testing.assert_array_equal(_data(shown[2]), maps[2])
    lim = np.abs(maps).max()
    assert shown[0].images[0].get_clim() == (-lim, lim)  # one scale for all, 0 is white
    fig.savefig(tmp_path / "maps.png")
    W = bl.Conv2d(1, 3, 3, rng=0).W.data
    fig = vc.plot_filters(W, "filters")
    assert [ax.get_title() for ax in fig.axes] == ["filter 0", "filter 1", "filter 2"]
    with pytest.raises(ValueError, match="out_channels, in_channels"):
        vc.plot_filters(W[0])


def test_feature_map_grid_updates_in_place():
    fig = new_figure(400, 300)
    fig.set_layout_engine("none")
    grid = vc.FeatureMapGrid(fig, (0.1, 0.1, 0.8, 0.8), rows=2, cols=2)
    grid.update(np.ones((3, 5, 5)), "three")
    assert [ax.axison for ax in grid.axes] == [True, True, True, False]
    assert grid.title.get_text() == "three"
    first = grid.images[0]
    grid.update(np.zeros((4, 2, 2)))
    assert grid.images[0] is first and all(ax.axison for ax in grid.axes)
    with pytest.raises(ValueError, match="do not fit"):
        grid.update(np.zeros((5, 2, 2)))
