"""Latency of every dashboard: from a control change to a PNG ready to display.

For each dashboard of the series, at its default settings and at the largest its controls
allow (the most layers, the widest, the most epochs, the smallest batch: the costliest
update a learner can ask for), the main control is moved repeatedly and the median time of
each part of an update is reported:
- ``compute``: training or the dashboard's own computation,
- ``draw``: moving the artists in place, ``render``: bringing the canvas up to date (a blit of
  the moving artists over the cached background, or a full redraw), ``encode``: the PNG,
- ``update``: the whole of it, control change to PNG,
beside ``no blit``: the same moves with every update drawn in full (``Dashboard.blitting =
False``, the code before redrawing only what moved), and ``full``: one full render of the same
figure (an Agg draw of everything and the PNG, no computation). Then the ratios: update/full,
redraw/full (the update without its computation, the part blitting can change), update/no
blit; the share of the update taken by computing; and how many of the timed moves took the
cheap path (after one untimed pass over the same values, in which the base class learns any
panel that changes without being listed). Last, Play on the learning-rate explorer, with and
without blitting: the time of one frame (an epoch trained and drawn) and frames per second.
Ratios, not seconds, carry from one machine to another.
Dashboards train with one BLAS thread (``backprop_lib.threads``); ``--threads N`` lets BLAS use
N threads instead, to see what the pool costs on this machine.

Run: ``python bench/latency.py [--repeats N] [--only NAME] [--play]`` (``--play``: Play alone).
Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backprop_lib import small_cnn
from backprop_lib import widgets as W
from backprop_lib.autograd import Value
from backprop_lib.data import load_digits
from backprop_lib.viz.style import to_png
from backprop_lib.widgets.base import DOM_CLASSES
from backprop_lib.widgets.bughunt import BugHunt
from backprop_lib.widgets.stepthrough import StepThrough


def _digits(n: int = 64):
    """The first n bundled digits and their labels: a feature-map explorer's images."""
    X, y = load_digits()
    return X[:n], y[:n]


def _neuron() -> Value:
    """The chain-rule notebook's neuron: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh()


@dataclass
class Case:
    """One dashboard: how to build it, and the settings that make its update costliest."""

    name: str
    make: Callable[[], object]
    # settings name -> {control name: value}; empty when no control changes the size
    settings: dict = field(default_factory=dict)


CASES = [
    Case("learning-rate explorer", lambda: W.LearningRateExplorer()),
    Case("learning-rate race", lambda: W.LearningRateRace()),
    Case(
        "training dashboard",
        lambda: W.TrainingDashboard(),
        {
            # the largest network the hidden-widths box takes, default training; then with
            # a test share, the most epochs and the smallest batches
            "6x64": {"hidden": "64, 64, 64, 64, 64, 64"},
            "largest": {
                "hidden": "64, 64, 64, 64, 64, 64",
                "test_ratio": 0.5,
                "epochs": 1000,
                "batch_size": 8,
            },
        },
    ),
    Case(
        "gradient-flow explorer",
        lambda: W.GradientFlowExplorer(),
        {"largest": {"depth": 12, "batch_norm": True, "residual": True}},
    ),
    Case("quadratic explorer", lambda: W.QuadraticExplorer()),
    Case("loss comparison", lambda: W.LossComparison()),
    Case("optimizer race", lambda: W.OptimizerRace(), {"largest": {"steps": "max"}}),
    Case("network race", lambda: W.NetworkRace(), {"largest": {"epochs": "max"}}),
    Case("initialisation explorer", lambda: W.InitExplorer()),
    Case("feature-scale explorer", lambda: W.FeatureScaleExplorer()),
    Case("batch-size explorer", lambda: W.BatchSizeExplorer()),
    Case("stopping explorer", lambda: W.StoppingExplorer()),
    Case(
        "regularisation explorer",
        lambda: W.RegularizationExplorer(),
        {"largest": {"layers": "max", "width": "max", "dropout": 0.5}},
    ),
    Case("sequence explorer", lambda: W.SequenceExplorer()),  # its main control is the length
    Case("feature-map explorer", lambda: W.FeatureMapExplorer(small_cnn(rng=0), *_digits())),
    Case("weight explorer", lambda: W.WeightExplorer()),
    Case("step-through", lambda: StepThrough(_neuron())),
    Case("bug hunt", lambda: BugHunt()),
]


def _main_control(dash):
    """The control the browser test moves (class bp-main-control), else the first slider."""
    for name, control in dash.controls.items():
        if DOM_CLASSES["main"] in control._dom_classes:
            return name, control
    for name, control in dash.controls.items():
        if hasattr(control, "max") and hasattr(control, "min"):
            return name, control
    raise ValueError(f"{type(dash).__name__} has no slider to move")


def _options(control) -> list:
    """A selection control's values, in its order."""
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def _values(control, n: int) -> list:
    """n distinct values across the control's range (options for a selection control)."""
    if hasattr(control, "options") and not hasattr(control, "max"):
        options = _options(control)
        return [options[i % len(options)] for i in range(n)]
    lo, hi = control.min, control.max
    if type(control).__name__ == "FloatLogSlider":  # min and max are exponents
        values = np.geomspace(control.base**lo, control.base**hi, n + 2)[1:-1]
    else:
        values = np.linspace(lo, hi, n + 2)[1:-1]
    if isinstance(control.value, int):
        values = np.round(values).astype(int)
    values = [v.item() for v in values]
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def measure(case: Case, settings: dict, repeats: int) -> dict:
    dash = case.make()
    try:
        for name, value in settings.items():
            control = dash.controls[name]
            if value == "max":  # a slider's maximum, or a menu's last option
                value = control.max if hasattr(control, "max") else _options(control)[-1]
            control.value = value
        name, control = _main_control(dash)
        to_png(dash.figure)  # warm caches (fonts, glyphs) before timing anything
        values = _values(control, max(min(repeats, 4), 2))
        moves = [values[i % len(values)] for i in range(repeats)]
        for value in [*values, values[0]]:  # one untimed pass: what moves is known after it
            control.value = value if value != control.value else values[-1]
        parts = {"compute": [], "draw": [], "render": [], "encode": [], "update": []}
        blits = 0
        for value in moves:
            if value == control.value:
                value = next(v for v in values if v != value)
            t0 = time.perf_counter()
            control.value = value
            wall = time.perf_counter() - t0
            if dash.error is not None:
                raise RuntimeError(f"{case.name}: {dash.last_traceback}")
            for key in ("compute", "draw", "render", "encode"):
                parts[key].append(dash.timings[key])
            parts["update"].append(wall)
            blits += dash.timings["path"] == "blit"
        # the same moves with every update drawn in full (``Dashboard.blitting = False``): the
        # code before blitting, measured in the same run
        dash.blitting = False
        plain = []
        for value in moves:
            if value == control.value:
                value = next(v for v in values if v != value)
            t0 = time.perf_counter()
            control.value = value
            plain.append(time.perf_counter() - t0)
        dash.blitting = True
        floor = []
        for _ in range(repeats):  # one full render of the same figure: draw and encode
            t0 = time.perf_counter()
            to_png(dash.figure)
            floor.append(time.perf_counter() - t0)
        out = {k: 1000 * statistics.median(v) for k, v in parts.items()}
        out["floor"] = 1000 * statistics.median(floor)
        out["plain"] = 1000 * statistics.median(plain)
        out["control"] = name
        out["blits"] = f"{blits}/{repeats}"
        w, h = dash.figure.get_size_inches() * dash.figure.dpi
        out["size"] = f"{w:.0f}x{h:.0f}"
        return out
    finally:
        dash.close()


def play_fps(frames: int, blitting: bool = True) -> dict:
    """Play on the learning-rate explorer: Reset, then one epoch per frame, each trained and
    drawn as the Play button's ticks ask (synchronously, so every frame is drawn)."""
    dash = W.LearningRateExplorer()
    dash.blitting = blitting
    try:
        dash.reset()
        dash.step()  # the first frames lay the figure out: not what a learner watches
        dash.step()
        times, blits = [], 0
        for _ in range(frames):
            t0 = time.perf_counter()
            dash.step()
            times.append(time.perf_counter() - t0)
            blits += dash.timings["path"] == "blit"
        frame = statistics.median(times)
        return {"frame": 1000 * frame, "fps": 1 / frame, "interval": dash.play.interval,
                "blits": f"{blits}/{frames}"}  # fmt: skip
    finally:
        dash.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="control changes per figure")
    parser.add_argument("--only", default=None, help="measure the dashboards whose name has this")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads during updates")
    parser.add_argument("--frames", type=int, default=30, help="Play frames to time")
    parser.add_argument("--play", action="store_true", help="time Play only, no control moves")
    args = parser.parse_args()
    W.Dashboard.blas_threads = args.threads
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f}; BLAS threads during updates: {args.threads}; medians of "
          f"{args.repeats} moves of each dashboard's main control")  # fmt: skip
    print(f"\n{'dashboard':24s} {'settings':8s} {'control':8s} {'size':9s} {'compute':>8s} "
          f"{'draw':>6s} {'render':>7s} {'encode':>7s} {'update':>7s} {'no blit':>7s} "
          f"{'full':>6s}  update/full  redraw/full  update/no blit  compute share  "
          "blits")  # fmt: skip
    for case in CASES:
        if args.play or (args.only and args.only not in case.name):
            continue
        for settings, values in {"default": {}, **case.settings}.items():
            r = measure(case, values, args.repeats)
            redraw = r["update"] - r["compute"]
            print(f"{case.name:24s} {settings:8s} {r['control']:8s} {r['size']:9s} "
                  f"{r['compute']:6.0f}ms {r['draw']:4.0f}ms {r['render']:5.0f}ms "
                  f"{r['encode']:5.0f}ms {r['update']:5.0f}ms {r['plain']:5.0f}ms "
                  f"{r['floor']:4.0f}ms  {r['update'] / r['floor']:11.2f}  "
                  f"{redraw / r['floor']:11.2f}  {r['update'] / r['plain']:14.2f}  "
                  f"{r['compute'] / r['update']:13.2f}  {r['blits']:>5s}")  # fmt: skip
    if args.play or not args.only or args.only in "learning-rate explorer":
        p = play_fps(args.frames)
        q = play_fps(args.frames, blitting=False)
        print(f"\nPlay on the learning-rate explorer: {p['frame']:.0f} ms a frame (one epoch "
              f"trained and drawn), {p['fps']:.1f} frames per second ({p['blits']} frames "
              f"blitted); without blitting {q['frame']:.0f} ms, {q['fps']:.1f} frames per "
              f"second. The Play widget ticks every {p['interval']} ms, at most "
              f"{1000 / p['interval']:.1f} frames per second")  # fmt: skip
    print(
        "\nupdate/full: a move against one full render; redraw/full: the same without its "
        "computation (what redrawing only what moved can change); update/no blit: a move "
        "against the same move with every update drawn in full (Dashboard.blitting = False)."
    )
    print("No 'largest' row: the dashboard has no control that changes its size. 6x64: six "
          "hidden layers of 64 units (the most the hidden-widths box takes), other settings at "
          "their defaults; largest: also half the points held out as a test set and 1000 "
          "epochs of minibatches of 8")  # fmt: skip


# ---- neuron pictures (the network diagram's per-unit heat-maps) ------------------------------


def neuron_pictures(repeats: int = 7) -> None:
    """What the neuron pictures cost a slider move, as ratios to a bare render.

    Weight explorer (default 2-2-1 tanh): moves of its main slider with pictures on, against
    one bare render (no computation, nothing moved) of the same dashboard built with
    ``pictures=False``. Training dashboard (default 2-16-16-1): moves of its learning rate
    with pictures on (each move retrains 300 epochs), against a bare render of a second one
    whose diagram is drawn again without pictures; and the redraw alone (draw + render)
    against that floor, the part of a move the pictures can change. The four timings are
    taken in turn, move by move. Runs with the other dashboards, or alone with
    ``--only pictures``.
    """
    import argparse
    import statistics
    import time

    from backprop_lib import widgets as W
    from backprop_lib.viz.network import NetworkDiagram
    from backprop_lib.viz.style import style, to_png

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--only", default=None)
    args, _ = parser.parse_known_args()
    if args.only and args.only not in "neuron pictures":
        return
    n = args.repeats

    def render_ms(fig, dash=None) -> float:
        """One full render of ``fig``; of a dashboard's own figure without dropping its cached
        background (a draw by anyone else would make the next move a full redraw)."""
        blitter = dash._blitter if dash is not None else None
        if blitter is not None:
            blitter._own_draw = True
        try:
            t0 = time.perf_counter()
            to_png(fig)
            return 1000 * (time.perf_counter() - t0)
        finally:
            if blitter is not None:
                blitter._own_draw = False

    def interleaved(dash, control, values, bare) -> tuple[float, float, float, float]:
        """Medians (ms) of a move, its draw + render, a bare render of ``bare`` (the figure
        without pictures) and of the dashboard's own figure, taken in turn, so a busy
        machine slows all four alike."""
        to_png(dash.figure)
        to_png(bare)  # warm caches
        move, redraw, floor, floor_pics = [], [], [], []
        for i in range(n):
            t0 = time.perf_counter()
            control.value = values[i % len(values)]
            move.append(1000 * (time.perf_counter() - t0))
            if dash.error is not None:
                raise RuntimeError(dash.last_traceback)
            redraw.append(1000 * (dash.timings["draw"] + dash.timings["render"]))
            floor.append(render_ms(bare))
            floor_pics.append(render_ms(dash.figure, dash))
        return tuple(statistics.median(v) for v in (move, redraw, floor, floor_pics))

    print("\nneuron pictures: medians of", n, "moves; floor = one bare render without pictures")
    print(f"{'dashboard':24s} {'move':>7s} {'redraw':>7s} {'floor':>6s} {'floor+pics':>10s}  "
          "move/floor  redraw/floor  pictures' render cost")  # fmt: skip
    rows = []
    bare = W.WeightExplorer(pictures=False)
    dash = W.WeightExplorer()
    try:
        values = [-1.5, 1.0, -0.5, 2.0, 0.25, -2.5, 1.75]
        rows.append(("weight explorer", *interleaved(dash, dash.controls["W1[1,1]"], values,
                                                      bare.figure)))  # fmt: skip
    finally:
        bare.close()
        dash.close()
    bare = W.TrainingDashboard()  # its diagram drawn again without pictures
    dash = W.TrainingDashboard()
    try:
        bare.axes[2].clear()
        with style():
            NetworkDiagram(bare.axes[2], bare.model, max_width=4.0)
        values = [0.05, 0.2, 0.08, 0.15, 0.03, 0.3, 0.12]
        rows.append(("training dashboard", *interleaved(dash, dash.lr, values, bare.figure)))
    finally:
        bare.close()
        dash.close()
    for name, move, redraw, base, with_pics in rows:
        cost = with_pics / base - 1
        print(f"{name:24s} {move:5.0f}ms {redraw:5.0f}ms {base:4.0f}ms {with_pics:8.0f}ms  "
              f"{move / base:10.2f}  {redraw / base:12.2f}  {cost:+21.0%}")  # fmt: skip
    print("move/floor <= 1.5 is the aim; the training dashboard's move includes its retraining")


if __name__ == "__main__":
    main()
    neuron_pictures()
