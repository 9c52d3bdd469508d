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
    ordinary move of the main control, "layout" for a relayout, "other" otherwise."""
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
    for v in values[:2]:  # the same moves again: the panels that change are known by now
        main.value = v
        yield f"{name} = {v!r} again", "again"


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
