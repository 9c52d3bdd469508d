"""Latency of the regularisation explorer (notebook 10): from a control change to a PNG.

At the explorer's defaults (200 moons points, 40 of them training, a 2-32-32-32-1 tanh
network, 400 full-batch epochs with the test loss measured after each), change each control
in turn and report, per control, the median time of training (``compute``), moving the
artists (``draw``), rendering the PNG (``render``) and the whole update, and the ratio of the
update to one bare render of the same figure (the floor). Dropout takes the layers' own
path (no fused MLP), so its row is the slowest training.

Run: ``python bench/regularization.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from backprop_lib.viz.style import to_png
from backprop_lib.widgets.regularization import RegularizationExplorer

#: control -> two values to alternate between (each move retrains from scratch)
MOVES = {
    "train_fraction": (0.25, 0.2),
    "strength": (0.01, 0.0),
    "penalty": ("l1", "l2"),
    "dropout": (0.2, 0.0),
    "noise": (0.25, 0.3),
    "layers": (2, 3),
    "width": (16, 32),
}


def ms(values) -> float:
    return 1000.0 * statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    dash = RegularizationExplorer(threaded=False)
    to_png(dash.figure)  # warm caches (fonts, glyphs) before timing anything
    floor = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        to_png(dash.figure)
        floor.append(time.perf_counter() - t0)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"median of {args.repeats} moves per control; floor (bare render) {ms(floor):.0f} ms"
    )
    print(f"{'control':<16}{'compute':>9}{'draw':>8}{'render':>8}{'update':>8}  update/floor")
    for name, values in MOVES.items():
        parts = {"compute": [], "draw": [], "render": [], "total": []}
        control = dash.controls[name]
        for i in range(args.repeats):
            control.value = values[i % 2]
            assert dash.error is None, dash.last_traceback
            for key in parts:
                parts[key].append(dash.timings[key])
        control.value = values[1]  # back to the default
        print(f"{name:<16}{ms(parts['compute']):>7.0f}ms{ms(parts['draw']):>6.0f}ms"
              f"{ms(parts['render']):>6.0f}ms{ms(parts['total']):>6.0f}ms"
              f"  {ms(parts['total']) / ms(floor):>5.1f}x")  # fmt: skip
    dash.close()


if __name__ == "__main__":
    main()
