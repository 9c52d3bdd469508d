"""Redrawing only what moved (``widgets.base``): every dashboard's cheap picture is the full one.

For every dashboard class in ``backprop_lib.widgets`` (found by walking the package, so a new
one cannot be left out), a sequence of control changes is driven: the main control across its
range, every other control to its extremes, Play / Step / Reset where the dashboard trains, and
a ``relayout()``. After each change the PNG the update produced (often by blitting: the cached
background plus the moving artists) is compared, pixel by pixel, with a from-scratch full draw
of the same figure. The tolerance is zero: the cheap path replays exactly the drawing
operations of a full draw onto exactly the pixels the full draw had under them, so any
difference is a bug, not rounding. The counters show that ordinary moves took the cheap path
and layout changes the full one.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np
import PIL.Image
import pytest

import backprop_lib.widgets as package
from backprop_lib import small_cnn
from backprop_lib.autograd import Value
from backprop_lib.data import load_digits
from backprop_lib.viz.style import to_png
from backprop_lib.widgets.base import DOM_CLASSES, Dashboard
from backprop_lib.widgets.live import LiveTraining


def dashboard_classes() -> dict[str, type]:
    """Every concrete Dashboard subclass defined in a module of backprop_lib.widgets."""
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            concrete = obj not in (Dashboard, LiveTraining)
            if inspect.isclass(obj) and issubclass(obj, Dashboard) and concrete:
                if obj.__module__ == module.__name__:
                    found[name] = obj
    return found


def _neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh()


def _digits():
    X, y = load_digits()
    return small_cnn(rng=0), X[:12], y[:12]


# how to build each dashboard for a fast test (small epochs where it has them)
FACTORIES = {
    "LearningRateExplorer": lambda c: c(config={"epochs": 40}),
    "LearningRateRace": lambda c: c(config={"epochs": 30}),
    "TrainingDashboard": lambda c: c({"epochs": 40}),
    "GradientFlowExplorer": lambda c: c(config={"epochs": 30}),
    "RegularizationExplorer": lambda c: c({"epochs": 60}),
    "NetworkRace": lambda c: c(epochs=30),
    "StoppingExplorer": lambda c: c(epochs=120),
    "FeatureScaleExplorer": lambda c: c(epochs=40),
    "BatchSizeExplorer": lambda c: c(epochs=5),
    "LossComparison": lambda c: c(epochs=60),
    "SequenceExplorer": lambda c: c(epochs=20),
    "InitExplorer": lambda c: c(epochs=40),
    "FeatureMapExplorer": lambda c: c(*_digits()),
    "StepThrough": lambda c: c(_neuron()),
}


def test_every_dashboard_class_is_found():
    classes = dashboard_classes()
    exported = {
        n for n in package.__all__
        if isinstance(getattr(package, n), type) and issubclass(getattr(package, n), Dashboard)
    } - {"Dashboard", "LiveTraining"}  # fmt: skip
    assert exported <= set(classes)
    assert len(classes) >= 18


def decode(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(bytes(png))).convert("RGB"))


@contextmanager
def reference_draw(dash):
    """A full draw that leaves the dashboard's cached background in place (an outside draw
    would otherwise make the next update a full one, which is what a user's savefig gets)."""
    blitter = dash._blitter
    own, blitter._own_draw = blitter._own_draw, True
    try:
        yield
    finally:
        blitter._own_draw = own


def full_png(dash) -> bytes:
    with reference_draw(dash):
        return to_png(dash.figure)


def check_same(dash, what: str, tmp_path=None) -> None:
    assert dash.error is None, dash.last_traceback
    shown = decode(dash.image.value)
    full = decode(full_png(dash))
    assert shown.shape == full.shape
    diff = np.any(shown != full, axis=-1)
    if diff.any():
        ys, xs = np.nonzero(diff)
        where = f"{diff.sum()} pixels differ in x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}"
        if tmp_path is not None:
            PIL.Image.fromarray(shown).save(tmp_path / "shown.png")
            PIL.Image.fromarray(full).save(tmp_path / "full.png")
        raise AssertionError(f"{type(dash).__name__}, after {what} "
                             f"({dash.timings.get('path')}): {where}")  # fmt: skip


def main_control(dash):
    for name, control in dash.controls.items():
        if DOM_CLASSES["main"] in control._dom_classes:
            return name, control
    return next(iter(dash.controls.items()))


def values_of(control, n=3) -> list:
    """n values across a control's range (its options for a menu, both states for a box)."""
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [not control.value, control.value]
    if hasattr(control, "options") and not hasattr(control, "max"):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return [o for o in options if o != control.value][:n] + [control.value]
    if not hasattr(control, "max"):
        return []
    lo, hi = control.min, control.max
    if type(control).__name__ == "FloatLogSlider":
        vals = list(np.geomspace(control.base**lo, control.base**hi, n + 2)[1:-1])
    else:
        vals = list(np.linspace(lo, hi, n))
    if isinstance(control.value, int) and not isinstance(control.value, bool):
        vals = [int(round(v)) for v in vals]
    else:
        vals = [float(v) for v in vals]
    return [v for v in dict.fromkeys(vals) if v != control.value] + [control.value]


def drive(dash):
    """The sequence of changes: yields (what, kind) after each one, kind "main" for an
    ordinary move of the main control, "layout" for a relayout, "repeat" and "again" for the
    main control's moves repeated after it, "other" otherwise."""
    name, main = main_control(dash)
    values = values_of(main, 3)
    for v in values:
        main.value = v
        yield f"{name} = {v!r}", "main"
    if isinstance(dash, LiveTraining):
        dash.reset()
        yield "Reset", "other"
        dash.step()
        yield "Step", "other"
        dash.play.value = dash.play.max
        yield "Play to the end", "other"
    others = [(n, c) for n, c in dash.controls.items() if n != name and values_of(c, 1)]
    for other, control in others[:4]:  # a few, to keep the suite fast
        if values_of(control, 1):
            control.value = values_of(control, 1)[0]
            yield f"{other} = {control.value!r}", "other"
    dash.relayout()
    dash.refresh()
    yield "relayout", "layout"
    # the same moves twice more: the first pass may still meet a panel whose limits leave
    # their window in the state the other controls left (one full redraw, then it is known);
    # by the second, what changes is known
    for kind in ("repeat", "again"):
        for v in values[:2]:
            main.value = v
            yield f"{name} = {v!r} {kind}", kind


@pytest.mark.parametrize("name", sorted(dashboard_classes()))
def test_the_cheap_picture_is_the_full_picture(name, tmp_path):
    cls = dashboard_classes()[name]
    dash = FACTORIES.get(name, lambda c: c())(cls)
    try:
        check_same(dash, "construction", tmp_path)
        paths = []
        for what, kind in drive(dash):
            check_same(dash, what, tmp_path)
            paths.append((kind, dash.timings["path"], dash.redraw_reason, what))
        # a relayout is always drawn in full
        assert all(p == "full" for k, p, _, _ in paths if k == "layout")
        # ordinary moves take the cheap path: every repeated move of the main control, but for
        # one whose labels no longer fit (laid out again, so drawn in full)
        again = [(p, r, w) for k, p, r, w in paths if k == "again"]
        assert all(p == "blit" or r.startswith("the layout") for p, r, _ in again), again
        assert any(p == "blit" for p, _, _ in again), again
        assert dash.blits >= 1 and dash.blits + dash.full_redraws >= dash.updates
    finally:
        dash.close()


# -- the detection, on a small dashboard -------------------------------------------------------
class Toy(Dashboard):
    """A moving line under a legend and a text, a static line drawn after it, and a static
    second panel with its own legend."""

    def __init__(self):
        super().__init__(width_px=420, height_px=200)
        self.k = self.add_control("k", widgets.FloatSlider(value=1.0, min=0.0, max=3.0), main=True)
        self.layout(self.k)
        self.ax, self.ax2 = self.figure.subplots(1, 2)
        (self.line,) = self.ax.plot([0, 1], [0, 1], lw=3, label="moving")
        (self.ref,) = self.ax.plot([0, 1], [0.5, 0.5], color="0.5", label="static")
        self.ax.legend(loc="center")  # drawn over the moving line
        self.note = self.ax.text(0.5, 0.8, "over the line", zorder=5)
        self.ax.set_xlim(0, 1)
        self.ax.set_ylim(0, 1)
        self.ax.set_title("fixed title")
        (self.other,) = self.ax2.plot([0, 1], [1, 0], label="other")
        self.ax2.legend(loc="upper right")
        self.ax2.set_title("second")
        self.ax2.set_xticks([0.0, 0.5, 1.0])
        self.refresh()

    def draw(self):
        k = self.k.value
        self.line.set_ydata([0, min(k, 1.0)])
        self.ax.set_title("fixed title")  # a no-op setter every time: still cheap

    def moving_artists(self):
        return [self.line]


def test_ordinary_moves_blit_and_match_the_full_draw(tmp_path):
    d = Toy()
    assert d.timings["path"] == "full" and d.redraw_reason  # the first picture is a full one
    for k in (0.2, 0.5, 0.9):
        d.k.value = k
        assert d.timings["path"] == "blit", d.redraw_reason
        check_same(d, f"k = {k}", tmp_path)
    assert d.blits == 3
    # what is drawn over the moving line is redrawn with it, so changing it is cheap too
    assert d.ref in d._blitter.background.foreground
    assert d.ax.get_legend() in d._blitter.background.foreground
    d.ref.set_color("red")
    d.ax.get_legend().get_texts()[1].set_text("steady")  # as wide as "static"
    d.k.value = 0.1
    assert d.timings["path"] == "blit"
    check_same(d, "changes to artists drawn over the moving one", tmp_path)
    d.close()


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d.ax.set_ylim(0, 2), "limits of the moving line's panel"),
        (lambda d: d.ax2.set_xlim(0, 5), "another panel's limits"),
        (lambda d: d.other.set_color("red"), "a static line's colour"),
        (lambda d: d.ax2.set_title("a new title"), "a title"),
        (lambda d: d.ax2.yaxis.label.set_text("y"), "an axis label (no stale callback)"),
        (lambda d: d.ax2.get_legend().get_texts()[0].set_text("renamed"), "a legend's text"),
        (lambda d: d.ax2.plot([0, 1], [1, 1]), "a new artist"),
        (lambda d: d.ax2.set_xticks([0, 0.3, 1]), "fixed ticks"),
        (lambda d: d.ax2.tick_params(labelsize=5), "tick parameters"),
        (lambda d: d.figure.set_size_inches(5, 2), "the figure's size"),
        (lambda d: d.relayout(), "a relayout"),
    ],
)
def test_any_other_change_is_detected_and_drawn_in_full(change, expected, tmp_path):
    d = Toy()
    d.k.value = 0.3
    assert d.timings["path"] == "blit"
    change(d)
    d.k.value = 0.6
    assert d.timings["path"] == "full", f"not detected: {expected}"
    check_same(d, expected, tmp_path)
    d.k.value = 0.7  # and then cheap again
    check_same(d, f"after {expected}", tmp_path)
    d.close()


def test_same_values_set_again_stay_cheap():
    d = Toy()
    d.k.value = 0.3
    for _ in range(2):
        d.ax2.set_ylim(*d.ax2.get_ylim())  # the same limits: a stale flag, not a change
        d.ax2.set_xticks([0.0, 0.5, 1.0])  # a new FixedLocator with the same ticks
        d.ax2.set_title("second")  # the same title: its font is set again
        d.k.value += 0.1
        assert d.timings["path"] == "blit", d.redraw_reason
    d.close()


def test_a_draw_by_someone_else_drops_the_background():
    d = Toy()
    d.k.value = 0.3
    d.other.set_color("red")
    to_png(d.figure)  # clears the stale flags the next update would have read
    d.k.value = 0.6
    assert d.timings["path"] == "full"
    assert decode(d.image.value)[..., 0].max() == 255
    check_same(d, "an outside draw")
    d.close()


class Unlisted(Toy):
    def moving_artists(self):
        return []  # list nothing: the line is found changing


def test_an_unlisted_change_is_learned_after_one_full_redraw():
    d = Unlisted()
    d.k.value = 0.3
    assert d.timings["path"] == "full" and "Line2D" in d.redraw_reason
    d.k.value = 0.6
    assert d.timings["path"] == "blit"
    check_same(d, "a learned line")
    d.close()


def test_a_broken_detection_is_caught_by_the_pixel_comparison(monkeypatch):
    import backprop_lib.widgets.blit as blit

    d = Toy()
    d.k.value = 0.3
    monkeypatch.setattr(blit.Blitter, "_clean", lambda self, bg: "")  # ignore stale flags
    d.other.set_color("red")
    d.k.value = 0.6
    assert d.timings["path"] == "blit", d.redraw_reason  # wrongly cheap: the old line is shown
    with pytest.raises(AssertionError, match="pixels differ"):
        check_same(d, "a change the broken check missed")
    d.close()


def test_a_panel_whose_limits_hold_still_is_static_again(tmp_path):
    from backprop_lib.widgets.blit import _SETTLE

    d = Toy()
    d.k.value = 0.3
    d.ax.set_ylim(0, 2)  # the moving line's panel rescales once: drawn whole from now on
    d.k.value = 0.4
    assert d.timings["path"] == "full" and any(a is d.ax for a in d._blitter.learned)
    for i in range(_SETTLE):  # its limits then hold still
        d.k.value = 0.5 + 0.1 * i
        check_same(d, f"still limits, move {i}", tmp_path)
    assert not any(a is d.ax for a in d._blitter.learned)
    assert "held still" in d.redraw_reason
    d.k.value = 0.2  # and only the line is drawn over the background again
    assert d.timings["path"] == "blit", d.redraw_reason
    check_same(d, "static again", tmp_path)
    d.close()


def test_blitting_off_draws_everything_and_gives_the_same_picture():
    d = Toy()
    try:
        d.k.value = 0.4
        assert d.timings["path"] == "blit"
        cheap = decode(d.image.value)
        d.blitting = False
        blits = d.blits
        d.k.value = 0.7
        d.k.value = 0.4
        assert d.blits == blits and d.timings["path"] == "full"
        assert d.redraw_reason == "blitting is off"
        assert np.array_equal(decode(d.image.value), cheap)
        d.blitting = True
        d.k.value = 0.7  # a fresh background first, then cheap again
        d.k.value = 0.4
        assert d.timings["path"] == "blit"
        assert np.array_equal(decode(d.image.value), cheap)
    finally:
        d.close()


class Reach(Dashboard):
    """A point that moves across a panel, towards a static text it ends up under (unclipped:
    a clipped artist is taken to cover its whole clip box, so the text would be drawn with it
    from the start)."""

    def __init__(self):
        super().__init__(width_px=420, height_px=200)
        self.k = self.add_control("k", widgets.FloatSlider(value=0.1, min=0.0, max=1.0), main=True)
        self.layout(self.k)
        self.ax = self.figure.subplots()
        (self.point,) = self.ax.plot([0.1], [0.5], "o", ms=14, clip_on=False)
        self.label = self.ax.text(0.85, 0.5, "here", ha="center", va="center", zorder=5)
        self.ax.set_xlim(0, 1)
        self.ax.set_ylim(0, 1)
        self.refresh()

    def draw(self):
        self.point.set_xdata([self.k.value])

    def moving_artists(self):
        return [self.point]


def test_a_static_artist_a_moving_one_reaches_joins_it_and_the_panel_stays_static(tmp_path):
    d = Reach()
    try:
        assert d.label not in d._blitter.background.foreground
        d.k.value = 0.85  # now under the text, which is painted after it
        assert d.timings["path"] == "full"
        assert d.redraw_reason == "the set of static artists changed"
        check_same(d, "the point under the text", tmp_path)
        # the text is drawn with the point from now on; the rest of the panel stays cached
        assert any(a is d.label for a in d._blitter.learned)
        assert not any(a is d.ax for a in d._blitter.learned)
        assert id(d.ax) not in d._blitter.background.moving_axes
        for k in (0.2, 0.86, 0.5):
            d.k.value = k
            assert d.timings["path"] == "blit", d.redraw_reason
            check_same(d, f"k = {k}", tmp_path)
    finally:
        d.close()
