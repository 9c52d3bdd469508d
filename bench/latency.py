"""Latency of a dashboard update: from a control change to a PNG ready to display.

For the learning-rate explorer on the standard demo (2-16-16-1 tanh, 200 moons points, 300
epochs, full-batch SGD, float32 as in every dashboard; ``--dtype float64`` for comparison),
change the learning rate repeatedly and report the median time of
- training (``compute``: 300 epochs with ``Trainer.run_epoch``),
- drawing (moving the artists in place: ``draw``, incl. the decision surface and the loss
  slice) and rendering to PNG as the inline backend would (``render``),
- the whole update,
beside the floor: one bare render of the same figure (no training, nothing moved).
Targets: update <= 1.5 x floor, and training <= 1/3 of the update.

Run: ``python bench/latency.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from backprop_lib.viz.style import to_png
from backprop_lib.widgets import LearningRateExplorer

DEMO = {"dataset": "moons", "n": 200, "noise": 0.2, "hidden": (16, 16), "activation": "tanh",
        "epochs": 300}  # fmt: skip


def median_ms(values) -> float:
    return 1000.0 * statistics.median(values)


def min_ms(values) -> float:
    return 1000.0 * min(values)


def measure(trajectory: bool, repeats: int, dtype: str = "float32") -> dict[str, float]:
    dash = LearningRateExplorer(lr=0.1, config={**DEMO, "dtype": dtype}, trajectory=trajectory)
    rates = np.geomspace(0.02, 2.0, 7)
    to_png(dash.figure)  # warm caches (fonts, glyphs) before timing anything
    parts = {"compute": [], "draw": [], "render": [], "total": [], "wall": []}
    for i in range(repeats):
        t0 = time.perf_counter()
        dash.lr.value = float(rates[i % len(rates)] * (1 + 1e-6 * i))  # always a change
        wall = time.perf_counter() - t0
        assert dash.error is None, dash.last_traceback
        for key in ("compute", "draw", "render", "total"):
            parts[key].append(dash.timings[key])
        parts["wall"].append(wall)
    floor = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        to_png(dash.figure)
        floor.append(time.perf_counter() - t0)
    size = dash.figure.get_size_inches() * dash.figure.dpi
    dash.close()
    out = {k: median_ms(v) for k, v in parts.items()}
    out["floor"] = median_ms(floor)
    out["min_wall"], out["min_floor"], out["min_compute"] = (
        min_ms(parts["wall"]), min_ms(floor), min_ms(parts["compute"]),
    )  # fmt: skip
    out["width"], out["height"] = size
    return out


def report(name: str, r: dict[str, float]) -> None:
    draw = r["draw"] + r["render"]
    print(f"\n{name}: figure {r['width']:.0f} x {r['height']:.0f} px (medians)")
    print(f"  training (300 epochs)      {r['compute']:7.1f} ms")
    print(f"  drawing  (artists + PNG)   {draw:7.1f} ms  (artists {r['draw']:.1f}, "
          f"PNG {r['render']:.1f})")  # fmt: skip
    print(f"  update   (change -> PNG)   {r['wall']:7.1f} ms")
    print(f"  floor    (one bare render) {r['floor']:7.1f} ms")
    ratio, share = r["wall"] / r["floor"], r["compute"] / r["wall"]
    ok1 = "ok" if ratio <= 1.5 else "MISSED"
    ok2 = "ok" if share <= 1 / 3 else "MISSED"
    print(f"  update / floor = {ratio:.2f}  (target <= 1.5: {ok1})")
    print(f"  training share = {share:.2f}  (target <= 0.33: {ok2})")
    fastest = (
        f"training {r['min_compute']:.1f} ms, update {r['min_wall']:.1f} ms, "
        f"floor {r['min_floor']:.1f} ms, update / floor = {r['min_wall'] / r['min_floor']:.2f}"
    )
    print(f"  fastest runs (less sensitive to a busy machine): {fastest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="changes per measurement")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="the network's float type (dashboards use float32)")  # fmt: skip
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")  # fmt: skip
    print("learning-rate explorer, standard demo: 2-16-16-1 tanh, 200 moons points, 300 epochs, "
          f"{args.dtype}")  # fmt: skip
    report("three panels (loss, boundary, trajectory)", measure(True, args.repeats, args.dtype))
    report("two panels (loss, boundary)", measure(False, args.repeats, args.dtype))


if __name__ == "__main__":
    main()
