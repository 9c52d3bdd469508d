"""Latency of the sequence explorer (notebook 13): from a slider move to a PNG ready to show.

For ``SequenceExplorer`` at its defaults (tanh, scale 1, no clipping; 256 sequences, RNN with
16 hidden units, 50 full-batch epochs), move the sequence-length slider over several lengths
and report, per length, the median time of training (``compute``), drawing and rendering, and
the whole update, beside the floor: one bare render of the same figure. Also the time of one
RNN forward + backward pass per time step, which is what training costs grow with.

Run: ``python bench/sequences.py [--repeats N]``. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from backprop_lib.data import make_memory_task
from backprop_lib.viz.style import to_png
from backprop_lib.widgets.sequences import SequenceExplorer, hidden_grad_norms, memory_model


def ms(values) -> float:
    return 1000.0 * statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs")
    dash = SequenceExplorer(threaded=False)
    to_png(dash.figure)  # warm caches before timing
    print(f"{'T':>3} {'compute':>9} {'draw':>7} {'render':>8} {'total':>8} {'floor':>7} "
          f"{'total/floor':>11}  one fwd+bwd per step")  # fmt: skip
    for length in [10, 20, 35, 50]:
        parts = {"compute": [], "draw": [], "render": [], "total": []}
        for i in range(args.repeats):
            dash.length.value = length if i % 2 == 0 else length - 1  # always a change
            for key in parts:
                parts[key].append(dash.timings[key])
        floor = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            to_png(dash.figure)
            floor.append(time.perf_counter() - t0)
        X, y = make_memory_task(256, length, rng=0)
        model, rnn = memory_model(1.0)
        passes = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            hidden_grad_norms(model, rnn, X, y)
            passes.append((time.perf_counter() - t0) / length)
        print(f"{length:>3} {ms(parts['compute']):>7.0f}ms {ms(parts['draw']):>5.0f}ms "
              f"{ms(parts['render']):>6.0f}ms {ms(parts['total']):>6.0f}ms {ms(floor):>5.0f}ms "
              f"{ms(parts['total']) / ms(floor):>11.1f}  {ms(passes):.2f}ms")  # fmt: skip
    dash.close()


if __name__ == "__main__":
    main()
