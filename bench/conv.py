"""One CNN epoch on the 8x8 digits: backprop_lib (numpy, im2col) against PyTorch CPU, one run.

The network is the convolution notebook's, ``bl.small_cnn()`` (notebooks/11_convolutions.ipynb):
Unflatten(1, (1, 8, 8)) -> Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2)
-> Conv2d(8, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(64, 10),
trained with CrossEntropyLoss and Adam (lr 1e-3) on all 1797 digits in minibatches of 64,
reshuffled every epoch. Both sides use float32 and one thread (``torch.set_num_threads(1)``
and one BLAS thread for numpy): these layers are far too small for threads to pay off. Both
train and compute each minibatch's loss, nothing more: ours through ``fit(...,
record_health=False)``, torch through its usual loop.

The two take turns, round after round, so a busy machine slows them alike; each round's
ratio (torch time / ours, below 1 when torch is faster) is paired, and the median over the
rounds is the figure. The goal: within 2x of torch (a ratio of at least 0.5). Times are CPU
time of the process (``--wall`` for wall-clock time).

Run: ``.venv/bin/python bench/conv.py`` (``--rounds N``). Without torch it prints a message
and exits 0.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread for numpy, as for torch

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import backprop_lib as bl  # noqa: E402
from backprop_lib.data import load_digits  # noqa: E402

GOAL = 0.5  # torch time / our time: within 2x of torch
BATCH = 64
F32 = np.float32


def time_ours(X, y, clock) -> float:
    model = bl.small_cnn(rng=0, dtype=F32)
    opt = bl.Adam(model.parameters(), lr=1e-3)
    loss = bl.CrossEntropyLoss()
    start = clock()
    bl.fit(model, loss, opt, X, y, epochs=1, batch_size=BATCH, rng=0, record_health=False)
    return clock() - start


def time_torch(torch, X, y, clock) -> float:
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    start = clock()
    order = torch.randperm(len(Xt), generator=gen)
    for i in range(0, len(Xt), BATCH):
        idx = order[i : i + BATCH]
        opt.zero_grad()
        loss = loss_fn(model(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        loss.item()
    return clock() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare with (install a CPU build of torch)")
        return 0
    torch.set_num_threads(1)
    clock = time.perf_counter if args.wall else time.process_time
    X, y = load_digits()
    X = X.astype(F32)
    time_ours(X[:128], y[:128], clock)  # warm-up: imports, caches
    time_torch(torch, X[:128], y[:128], clock)
    ours, theirs, ratios = [], [], []
    for r in range(args.rounds):
        if r % 2:  # take turns at leading
            b, a = time_torch(torch, X, y, clock), time_ours(X, y, clock)
        else:
            a, b = time_ours(X, y, clock), time_torch(torch, X, y, clock)
        ours.append(a)
        theirs.append(b)
        ratios.append(b / a)
    ratio = statistics.median(ratios)
    print(f"one CNN epoch on the digits (1797 images, minibatches of {BATCH}, float32, 1 thread)")
    print(f"  backprop_lib   {statistics.median(ours) * 1e3:6.1f} ms  (best {min(ours) * 1e3:.1f})")
    print(f"  torch {torch.__version__:<8}{statistics.median(theirs) * 1e3:6.1f} ms  "
          f"(best {min(theirs) * 1e3:.1f})")  # fmt: skip
    verdict = "meets" if ratio >= GOAL else "misses"
    print(
        f"  torch time / backprop_lib time: {ratio:.2f} (median of {args.rounds} paired rounds; "
        f"goal >= {GOAL}: within 2x of torch) -> {verdict} the goal"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
