"""Latency of the data notebook's three dashboards (notebook 09), per slider move.

For each dashboard, move its main control back and forth between two values and report the
median time of the update's parts (``compute``: training or applying the rules; ``draw``;
``render`` to PNG) and of the whole update, beside the floor: one bare render of the same
figure. Ratios (update / floor) carry from one machine to another; milliseconds do not.

Run: ``python bench/latency_batches.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from backprop_lib.viz.style import to_png
from backprop_lib.widgets.batches import BatchSizeExplorer, FeatureScaleExplorer, StoppingExplorer

CASES = [
    ("FeatureScaleExplorer", lambda: FeatureScaleExplorer(scale=30.0), "scale", (30.0, 33.7)),
    ("BatchSizeExplorer", lambda: BatchSizeExplorer(batch_size=8), "batch_size", (8, 9)),
    ("StoppingExplorer", lambda: StoppingExplorer(), "patience", (30, 31)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    print(f"{'dashboard':<22}{'compute':>9}{'draw':>8}{'render':>8}{'update':>8}{'floor':>8}"
          f"{'update/floor':>14}   (median ms over {args.repeats} moves)")  # fmt: skip
    for name, make, control, values in CASES:
        dash = make()
        parts = {"compute": [], "draw": [], "render": [], "total": []}
        floor = []
        for i in range(args.repeats):
            dash.controls[control].value = values[(i + 1) % 2]
            for key in parts:
                parts[key].append(dash.timings[key])
            t0 = time.perf_counter()
            to_png(dash.figure)
            floor.append(time.perf_counter() - t0)
        med = {k: 1000 * statistics.median(v) for k, v in parts.items()}
        bare = 1000 * statistics.median(floor)
        print(f"{name:<22}{med['compute']:9.1f}{med['draw']:8.1f}{med['render']:8.1f}"
              f"{med['total']:8.1f}{bare:8.1f}{med['total'] / bare:14.2f}")  # fmt: skip
        dash.close()


if __name__ == "__main__":
    main()
