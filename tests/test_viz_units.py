"""plot_unit_weights: one heat-map per matrix, titled with its distinct units, scaled to its
own largest weight."""

import numpy as np
import pytest

from backprop_lib import viz


def test_one_panel_per_matrix_titled_with_its_distinct_units(tmp_path):
    rng = np.random.default_rng(0)
    copies = np.repeat(rng.normal(size=(3, 1)), 5, axis=1)  # 5 copies of one unit
    fig = viz.plot_unit_weights({"copies": copies, "random": rng.normal(size=(3, 5)),
                                 "zeros": np.zeros((2, 4))})  # fmt: skip
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("copies\n1 distinct of 5 units")
    assert "5 distinct of 5 units" in titles[1]
    assert titles[2].endswith("all 0")
    image = fig.axes[0].images[0]
    top = np.abs(copies).max()
    assert image.get_clim() == pytest.approx((-top, top))
    assert image.get_array().shape == (3, 5)
    fig.savefig(tmp_path / "units.png")


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one"):
        viz.plot_unit_weights({})
    with pytest.raises(ValueError, match="must be 2-D"):
        viz.plot_unit_weights({"v": np.ones(3)})
