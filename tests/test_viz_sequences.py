"""viz/sequences.py: the unrolled RNN and the gradient over time draw at every size allowed."""

import numpy as np
import pytest

from backprop_lib.viz.sequences import GradOverTime, plot_grad_over_time, plot_unrolled
from backprop_lib.viz.style import new_figure


@pytest.mark.parametrize("steps", [1, 4, 8])
def test_plot_unrolled_draws_one_cell_per_step(steps, tmp_path):
    fig = plot_unrolled(steps)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum(t.startswith("x") for t in texts) == steps
    assert sum(t == "W_hh" for t in texts) == steps  # the same matrix on every arrow
    assert sum(t.startswith("∂L/∂h") for t in texts) == steps
    assert f"unrolled over {steps} steps" in fig.axes[0].get_title()
    fig.savefig(tmp_path / f"unrolled_{steps}.png")


@pytest.mark.parametrize("steps", [0, 9, 2.0, True])
def test_plot_unrolled_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        plot_unrolled(steps)


def test_grad_over_time_skips_what_a_log_axis_cannot_show(tmp_path):
    fig = new_figure(500, 300)
    ax = fig.add_subplot()
    plot = GradOverTime(ax, ["a", "b"], styles=["o-", "s--"])
    plot.update({"a": np.array([1e-3, 0.0, np.nan, 1.0]), "b": np.array([np.inf, 2.0, 4.0, 8.0])})
    x, y = plot.lines["a"].get_data()
    assert list(x) == [1, 4] and list(y) == [1e-3, 1.0]
    assert list(plot.lines["b"].get_data()[0]) == [2, 3, 4]
    lo, hi = ax.get_ylim()
    assert lo <= 1e-3 and hi >= 8.0 and ax.get_xlim() == (0.5, 4.5)
    fig.savefig(tmp_path / "grads.png")
    assert all(float(t).is_integer() for t in ax.get_xticks())  # whole time steps only
    assert plot_grad_over_time({"c": np.geomspace(1e-40, 1, 50)}).axes[0].get_ylim()[0] > 1e-35


def test_grad_over_time_with_fixed_axes_holds_still_and_snaps_out_beyond_them():
    fig = new_figure(500, 300)
    ax = fig.add_subplot()
    plot = GradOverTime(ax, ["a"], t_max=50, y_range=(1e-35, 1e5), legend_loc="lower right")
    for T, low in ((12, 0.2), (21, 1e-46), (40, 1e-20)):
        plot.update({"a": np.geomspace(low, 1.0, T)})
        assert ax.get_xlim() == (0.5, 50.5) and ax.get_ylim() == (1e-35, 1e5)
    plot.update({"a": np.geomspace(1.0, 6e13, 50)})  # an exploding gradient still shows
    assert ax.get_ylim() == (1e-35, 1e15)
    assert plot.moving_artists() == [plot.lines["a"]]  # the fixed legend is under the lines
    assert plot.legend.get_zorder() < plot.lines["a"].get_zorder()
