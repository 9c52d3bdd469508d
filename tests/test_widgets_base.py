"""Dashboard mechanics: synchronous and threaded updates, coalescing, errors, config, clean-up.

Driven through a tiny dashboard whose "training" is a few sleeps, so the tests are fast and
the coalescing is observable.
"""

import gc
import time
import warnings
import weakref

import ipywidgets as widgets
import pytest
from matplotlib import _pylab_helpers

from backprop_lib.viz.style import to_png
from backprop_lib.widgets.base import DOM_CLASSES, Dashboard, in_kernel


class Counter(Dashboard):
    """Shows the slider's value; compute takes ``steps`` * ``delay`` seconds."""

    def __init__(self, delay=0.0, steps=5, fail_at=None, **kwargs):
        super().__init__(width_px=200, height_px=120, **kwargs)
        self.x = self.add_control("x", widgets.IntSlider(value=0, min=0, max=100), main=True)
        self.y = self.add_control("y", widgets.IntSlider(value=0, min=0, max=100))
        self.layout(widgets.HBox([self.x, self.y]))
        self.ax = self.figure.add_subplot()
        (self.line,) = self.ax.plot([0, 1], [0, 0])
        self.delay, self.steps, self.fail_at = delay, steps, fail_at
        self.started, self.computed = [], []
        self.shown = None
        self.refresh()

    def compute(self, stale):
        value = self.x.value
        self.started.append(value)
        for _ in range(self.steps):
            if stale():
                return False
            time.sleep(self.delay)
        if value == self.fail_at:
            raise RuntimeError("boom")
        self.computed.append(value)
        self.shown = value
        return True

    def draw(self):
        self.line.set_ydata([0, self.shown])
        self.ax.set_title(f"x = {self.shown}")
        self.set_status(f"x is {self.shown}")


def test_not_in_a_kernel_so_updates_are_synchronous():
    assert not in_kernel()
    d = Counter()
    assert d.threaded is False
    d.x.value = 5
    assert d.computed[-1] == 5
    assert d.ax.get_title() == "x = 5"
    assert d.status.value == "x is 5"
    d.close()


def test_set_state_fires_the_observer_like_a_browser_change():
    d = Counter()
    d.x.set_state({"value": 7})
    assert d.shown == 7
    d.close()


def test_image_holds_the_png_of_the_current_figure():
    d = Counter()
    d.x.value = 3
    assert bytes(d.image.value).startswith(b"\x89PNG")
    assert d.image.value == to_png(d.figure)
    before = d.image.value
    d.x.value = 60
    assert d.image.value != before
    assert d.updates == 3  # the first picture and the two changes
    d.close()


def test_image_has_a_fixed_size_so_the_page_never_jumps():
    d = Counter()
    assert (d.image.layout.width, d.image.layout.height) == ("200px", "120px")
    d.close()


def test_dom_classes_for_the_browser_test():
    d = Counter()
    assert DOM_CLASSES["root"] in d.root._dom_classes
    assert DOM_CLASSES["main"] in d.x._dom_classes
    assert DOM_CLASSES["main"] not in d.y._dom_classes
    assert DOM_CLASSES["figure"] in d.image._dom_classes
    assert DOM_CLASSES["status"] in d.status._dom_classes
    assert d.root.children[-2:] == (d.image, d.status)
    d.close()


def test_displays_as_its_root_box():
    d = Counter()
    bundle = d._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == d.root.model_id
    d.close()


def test_threaded_rapid_changes_coalesce_and_the_last_value_wins():
    d = Counter(delay=0.01, threaded=True)
    for v in range(1, 51):  # 50 rapid changes: nothing raises, nothing queues up
        d.x.value = v
    assert d.wait(timeout=20)
    assert d.shown == 50
    assert d.computed[-1] == 50
    assert d.ax.get_title() == "x = 50"
    assert d.image.value == to_png(d.figure)
    # far fewer full computations than changes: stale ones were skipped or abandoned
    assert len(d.computed) < 10
    assert d.error is None
    d.close()


def test_threaded_stale_run_is_abandoned_between_steps():
    d = Counter(delay=0.05, steps=20, threaded=True)  # a run takes ~1 s
    d.x.value = 10
    time.sleep(0.2)  # the worker is now inside the run for 10
    d.x.value = 20
    assert d.wait(timeout=20)
    assert 10 in d.started and 10 not in d.computed  # started, then given up
    assert d.computed[-1] == 20
    d.close()


def test_refresh_is_synchronous_in_threaded_mode_too():
    d = Counter(threaded=True)
    d.x.value = 42
    d.refresh()
    assert d.shown == 42
    d.close()


@pytest.mark.parametrize("threaded", [False, True])
def test_an_exception_in_an_update_is_shown_not_raised(threaded):
    d = Counter(fail_at=3, threaded=threaded)
    d.x.value = 3  # raises inside compute
    d.wait()
    assert isinstance(d.error, RuntimeError)
    assert "RuntimeError: boom" in d.status.value
    assert "boom" in d.last_traceback
    d.x.value = 4  # the next good update clears it
    d.wait()
    assert d.error is None
    assert d.status.value == "x is 4"
    d.close()


def test_config_round_trips_and_restores_with_one_update():
    d = Counter()
    d.config = {"x": 11, "y": 22}
    saved = d.config
    assert saved == {"x": 11, "y": 22}
    d.x.value = 1
    n = d.updates
    d.config = saved
    assert d.updates == n + 1
    assert d.shown == 11
    d.close()


def test_unknown_config_key_is_a_clear_error_and_changes_nothing():
    d = Counter()
    with pytest.raises(ValueError, match="unknown config keys \\['z'\\]"):
        d.config = {"x": 5, "z": 1}
    assert d.x.value == 0
    d.close()


def test_hold_batches_changes_into_one_update():
    d = Counter()
    n = d.updates
    with d.hold():
        d.x.value = 8
        d.y.value = 9
    assert d.updates == n + 1
    assert d.shown == 8
    d.close()


def test_duplicate_control_name_is_rejected():
    d = Counter()
    with pytest.raises(ValueError, match="already exists"):
        d.add_control("x", widgets.IntSlider())
    d.close()


def test_no_figures_leak_and_a_closed_dashboard_is_freed():
    managers = _pylab_helpers.Gcf.get_num_fig_managers()
    d = Counter(threaded=True)
    d.x.value = 2
    d.wait()
    worker = d._worker
    ref = weakref.ref(d.figure)
    d.close()
    if worker is not None:
        worker.join(timeout=5)
        assert not worker.is_alive()
    del d
    gc.collect()
    assert ref() is None
    assert _pylab_helpers.Gcf.get_num_fig_managers() == managers


def test_relayout_lays_the_figure_out_once_more_then_freezes_it():
    d = Counter()
    assert d.figure.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"
    d.relayout()
    assert d.figure.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    d.x.value = 9
    assert d.figure.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"
    assert d.image.value == to_png(d.figure)
    d.close()


def test_every_dashboard_imports_from_the_package():
    import backprop_lib.widgets as package

    for name in package.__all__:  # StepThrough and BugHunt load on first use
        assert getattr(package, name) is not None
    from backprop_lib.widgets import BugHunt, QuadraticExplorer, StepThrough

    assert {"StepThrough", "BugHunt", "QuadraticExplorer"} <= set(dir(package))
    assert StepThrough.__module__.endswith("stepthrough") and BugHunt.__module__.endswith("bughunt")
    assert issubclass(QuadraticExplorer, Dashboard)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        package.Nope  # noqa: B018


class Placed(Dashboard):
    """Axes placed by hand (no layout engine), as the step-through and feature maps are."""

    def __init__(self):
        super().__init__(width_px=200, height_px=120)
        self.x = self.add_control("x", widgets.IntSlider(value=0, min=0, max=10), main=True)
        self.layout(self.x)
        self.figure.set_layout_engine("none")
        self.ax = self.figure.add_axes((0.1, 0.2, 0.5, 0.6))
        self.refresh()


def test_relayout_keeps_the_engine_the_figure_was_built_with():
    placed, laid_out = Placed(), Counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # constrained layout on hand-placed axes warns
            placed.relayout()
            placed.refresh()
        assert placed.error is None
        assert tuple(placed.ax.get_position().bounds) == pytest.approx((0.1, 0.2, 0.5, 0.6))
        before = laid_out.ax.get_position().bounds
        laid_out.ax.set_ylabel("a long label\nover two lines")
        laid_out.relayout()  # constrained layout again, as the figure was built
        laid_out.refresh()
        assert laid_out.ax.get_position().bounds != before
    finally:
        placed.close()
        laid_out.close()
