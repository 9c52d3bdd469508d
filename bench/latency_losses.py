"""Latency of the loss explorer (notebook 06): from a slider change to a PNG ready to show.

``LossComparison`` at its defaults (one sigmoid neuron, 40 points, 200 epochs of full-batch
SGD, trained twice: with MSE and with cross-entropy). The starting weight is changed
repeatedly; printed are the medians of training both runs (``compute``), moving the artists
(``draw``), rendering the PNG (``render``) and the whole update, beside the floor: one bare
render of the same figure. Ratios, measured in this run, are what carry between machines.

Run: ``python bench/latency_losses.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from backprop_lib.viz.style import to_png
from backprop_lib.widgets.losses import LossComparison


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="slider changes to time")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")  # fmt: skip
    dash = LossComparison()
    to_png(dash.figure)  # warm caches (fonts, glyphs) before timing anything
    starts = [-9.5, -7.0, -4.5, -2.0, 0.5, 3.0, 5.5]
    parts = {"compute": [], "draw": [], "render": [], "wall": []}
    for i in range(args.repeats):
        t0 = time.perf_counter()
        dash.w0.value = starts[i % len(starts)]
        parts["wall"].append(time.perf_counter() - t0)
        assert dash.error is None, dash.last_traceback
        for key in ("compute", "draw", "render"):
            parts[key].append(dash.timings[key])
    floor = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        to_png(dash.figure)
        floor.append(time.perf_counter() - t0)
    dash.close()
    ms = {k: 1000 * statistics.median(v) for k, v in parts.items()}
    ms["floor"] = 1000 * statistics.median(floor)
    print(f"loss explorer, defaults, {args.repeats} changes of the starting weight (medians):")
    print(f"  training (2 runs x 200 epochs) {ms['compute']:7.1f} ms")
    print(f"  drawing  (artists + PNG)       {ms['draw'] + ms['render']:7.1f} ms  "
          f"(artists {ms['draw']:.1f}, PNG {ms['render']:.1f})")  # fmt: skip
    print(f"  update   (change -> PNG)       {ms['wall']:7.1f} ms")
    print(f"  floor    (one bare render)     {ms['floor']:7.1f} ms")
    print(f"  update / floor = {ms['wall'] / ms['floor']:.2f}, "
          f"training share = {ms['compute'] / ms['wall']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
