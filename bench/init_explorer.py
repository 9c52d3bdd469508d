"""Latency of the initialisation explorer (notebook 08): a scale change against an epoch move.

A change of scale re-trains (4 x 16 tanh units, 200 moons points, 200 epochs of full-batch
SGD, a parameter snapshot after each) and redraws; moving the epoch slider only redraws from
the snapshots. Both are reported as medians beside the floor, one bare render of the same
figure, and as ratios to it.

Run: ``python bench/init_explorer.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from backprop_lib.viz.style import to_png
from backprop_lib.widgets import InitExplorer


def median_ms(values) -> float:
    return 1000.0 * statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    dash = InitExplorer()
    to_png(dash.figure)  # warm caches (fonts, glyphs) before timing anything
    scales = 10.0 ** np.arange(-1.0, 1.01, 0.25)
    retrain, redraw, compute, floor = [], [], [], []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        dash.scale.value = float(scales[i % len(scales)])
        retrain.append(time.perf_counter() - t0)
        compute.append(dash.timings["compute"])
        assert dash.error is None, dash.last_traceback
        t0 = time.perf_counter()
        dash.epoch.value = int(dash.epochs * (i % 4) / 4)
        redraw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        to_png(dash.figure)
        floor.append(time.perf_counter() - t0)
    dash.close()
    base = median_ms(floor)
    print(f"InitExplorer, {args.repeats} repeats (medians)")
    print(f"  scale change (re-train + redraw): {median_ms(retrain):7.1f} ms "
          f"= {median_ms(retrain) / base:4.1f} x the bare render, of which training "
          f"{median_ms(compute):.1f} ms")  # fmt: skip
    print(f"  epoch move (redraw only):         {median_ms(redraw):7.1f} ms "
          f"= {median_ms(redraw) / base:4.1f} x the bare render")  # fmt: skip
    print(f"  bare render:                      {base:7.1f} ms")


if __name__ == "__main__":
    main()
