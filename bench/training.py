"""Training speed of backprop_lib against PyTorch (CPU) and scikit-learn, measured in one run.

Two workloads:
- the dashboard network: 2-16-16-1 tanh on 200 moons points, 300 full-batch epochs,
  BCEWithLogitsLoss, with SGD (lr 0.5) and with Adam (lr 0.01): time per 300-epoch run;
- a digits network: 64-128-64-10 ReLU on the 1797 8x8 digits, Adam (lr 1e-3), minibatches
  of 32 reshuffled every epoch: time per epoch.

Every implementation gets its fastest settings: one thread each (``torch.set_num_threads(1)``,
and one BLAS thread for numpy and scikit-learn: these networks are far too small for threads
to pay off), scikit-learn's MLPClassifier with its own stopping rules switched off. Each
workload runs twice: in float32 (torch's default, and the verdict against the targets) and in
float64 (this library's default, which gradient checks need), every implementation in the
same dtype.

Like for like: torch's loop and scikit-learn's ``fit`` train and compute each epoch's loss,
nothing more, so the headline "backprop_lib" row is ``fit(..., record_health=False)``: it
trains, and records each epoch's loss, accuracy and learning rate and checks for divergence
(what the learning-rate explorer re-runs on every slider move). Its ratios carry the verdict
against the targets. The "+ health" row is ``fit``'s default, which also records each
layer's gradient norm, update ratio and saturation every epoch (what the gradient-health
dashboards show; torch and scikit-learn compute nothing like it), with its ratios alongside.
``fit`` has one path: the layers' own forward and backward, the loss object, the optimizer's
``step()``.

The implementations take turns, round after round (each leads in turn), so a busy machine
slows them alike. The times shown are medians over the rounds (the best round in brackets).
The speed-ups (other time / backprop_lib time) are what carries from one machine to another,
and they are paired: each round's runs follow one another within a second or so, while a
shared machine's speed can drift by 1.5x over a minute, so the ratio is taken within each
round and its median over the rounds is the figure, and the verdict; the ratios of the
median and of the best times are printed after it. Times are CPU time of the process by
default (on a machine shared with other work, wall-clock time also counts the waits for a
free core); ``--wall`` measures wall-clock time instead.

Run: ``.venv/bin/python bench/training.py`` (``--rounds N`` for more or fewer rounds).
Without torch or scikit-learn, their rows print "skipped: ... not installed".
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread for numpy and scikit-learn, as for torch

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import backprop_lib as bl  # noqa: E402
from backprop_lib.data import load_digits, make_moons  # noqa: E402

F32 = np.float32
CLOCK = time.process_time  # CPU time of this process; --wall switches to wall-clock time
TARGETS = {  # the speed-ups backprop_lib aims for (other / ours)
    ("moons", "torch"): 3.0,
    ("moons", "sklearn"): 3.0,
    ("digits", "torch"): 2.5,
    ("digits", "sklearn"): 1.8,
}


# ---- backprop_lib ----


def ours_moons(opt_name: str, X, y, epochs: int, record_health: bool = False) -> float:
    model = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0, dtype=X.dtype)
    if opt_name == "sgd":
        opt = bl.SGD(model.parameters(), lr=0.5)
    else:
        opt = bl.Adam(model.parameters(), lr=0.01)
    start = CLOCK()
    bl.fit(model, bl.BCEWithLogitsLoss(), opt, X, y, epochs, rng=0, record_health=record_health)
    return CLOCK() - start


def ours_digits(X, y, epochs: int, record_health: bool = False) -> float:
    model = bl.mlp([64, 128, 64, 10], activation="relu", rng=0, dtype=X.dtype)
    opt = bl.Adam(model.parameters(), lr=1e-3)
    start = CLOCK()
    bl.fit(
        model, bl.CrossEntropyLoss(), opt, X, y, epochs, batch_size=32, rng=0,
        record_health=record_health,
    )  # fmt: skip
    return (CLOCK() - start) / epochs


# ---- PyTorch ----


def torch_moons(torch, opt_name: str, X, y, epochs: int) -> float:
    nn = torch.nn
    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == F32 else torch.float64
    Xt = torch.tensor(X, dtype=dtype)
    yt = torch.tensor(y.reshape(-1, 1), dtype=dtype)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
    ).to(dtype)
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.BCEWithLogitsLoss()
    start = CLOCK()
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        loss.item()  # the epoch's loss, as fit records it
    return CLOCK() - start


def torch_digits(torch, X, y, epochs: int) -> float:
    nn = torch.nn
    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == F32 else torch.float64
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    ).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = CLOCK()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        Xs, ys = Xt[order], yt[order]
        for i in range(0, len(Xs), 32):
            opt.zero_grad()
            loss = loss_fn(model(Xs[i : i + 32]), ys[i : i + 32])
            loss.backward()
            opt.step()
            loss.item()
    return (CLOCK() - start) / epochs


# ---- scikit-learn ----


def sklearn_run(MLPClassifier, X, y, epochs: int, **kw) -> float:
    from sklearn.exceptions import ConvergenceWarning

    clf = MLPClassifier(
        max_iter=epochs, tol=0.0, n_iter_no_change=10**9, alpha=0.0, random_state=0, **kw
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it ran the epochs it was told
        start = CLOCK()
        clf.fit(X, y)
        return CLOCK() - start


def sklearn_moons(MLPClassifier, opt_name: str, X, y, epochs: int) -> float:
    if opt_name == "sgd":
        hyper = {"learning_rate_init": 0.5, "momentum": 0.0}  # plain SGD, as ours and torch's
    else:
        hyper = {"learning_rate_init": 0.01}
    return sklearn_run(
        MLPClassifier, X, y, epochs, hidden_layer_sizes=(16, 16), activation="tanh",
        solver=opt_name, batch_size=len(X), shuffle=False, **hyper,
    )  # fmt: skip


def sklearn_digits(MLPClassifier, X, y, epochs: int) -> float:
    total = sklearn_run(
        MLPClassifier, X, y, epochs, hidden_layer_sizes=(128, 64), activation="relu",
        solver="adam", learning_rate_init=1e-3, batch_size=32,
    )  # fmt: skip
    return total / epochs


# ---- the comparison ----


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds per workload")
    parser.add_argument("--digits-epochs", type=int, default=3, help="epochs per digits round")
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        MLPClassifier = None

    (X64, y), (Xd64, yd) = make_moons(200, noise=0.1, rng=0), load_digits()
    E = args.digits_epochs

    workloads = {}
    for dtype in (np.float32, np.float64):
        X, Xd = X64.astype(dtype), Xd64.astype(dtype)
        name = np.dtype(dtype).name
        for opt_name in ("sgd", "adam"):
            runs = {
                "backprop_lib": lambda o=opt_name, X=X: ours_moons(o, X, y, 300),
                "health": lambda o=opt_name, X=X: ours_moons(o, X, y, 300, record_health=True),
            }
            if torch is not None:
                runs["torch"] = lambda o=opt_name, X=X: torch_moons(torch, o, X, y, 300)
            if MLPClassifier is not None:
                runs["sklearn"] = lambda o=opt_name, X=X: sklearn_moons(MLPClassifier, o, X, y, 300)
            title = f"moons 2-16-16-1 tanh, 300 full-batch epochs, {opt_name.upper()}, {name}"
            workloads[title] = ("moons", "per run", runs, dtype)
        runs = {
            "backprop_lib": lambda Xd=Xd: ours_digits(Xd, yd, E),
            "health": lambda Xd=Xd: ours_digits(Xd, yd, E, record_health=True),
        }
        if torch is not None:
            runs["torch"] = lambda Xd=Xd: torch_digits(torch, Xd, yd, E)
        if MLPClassifier is not None:
            runs["sklearn"] = lambda Xd=Xd: sklearn_digits(MLPClassifier, Xd, yd, E)
        title = f"digits 64-128-64-10 ReLU, Adam, batch 32, {name}"
        workloads[title] = ("digits", "per epoch", runs, dtype)

    print(f"numpy {np.__version__}", end="")
    print(f", torch {torch.__version__} (1 thread)" if torch else ", torch: not installed", end="")
    if MLPClassifier is not None:
        import sklearn

        print(f", scikit-learn {sklearn.__version__}")
    else:
        print(", scikit-learn: not installed")
    clock = "wall-clock" if args.wall else "CPU"
    print(f"{clock} time, {args.rounds} interleaved rounds, one thread each")
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")

    for title, (kind, unit, runs, dtype) in workloads.items():
        for fn in runs.values():  # warm-up: imports, caches, first-call costs
            fn()
        names = list(runs)
        times = {name: [] for name in names}
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:  # each leads in turn
                times[name].append(runs[name]())
        median = {name: statistics.median(ts) for name, ts in times.items()}
        best = {name: min(ts) for name, ts in times.items()}

        def paired(name, base="backprop_lib", times=times):
            """The median over the rounds of name's time / base's time in the same round."""
            return statistics.median(t / b for t, b in zip(times[name], times[base], strict=True))

        print(title)
        ours, ours_best = median["backprop_lib"], best["backprop_lib"]
        print(f"  {'backprop_lib':13s} {ours * 1e3:8.2f} ms {unit} (best {ours_best * 1e3:.2f})"
              "   fit(record_health=False): training, loss, accuracy (like for like)")  # fmt: skip
        what = "fit's default, also recording per-layer gradient health"
        print(f"  {'  + health':13s} {median['health'] * 1e3:8.2f} ms {unit} (best "
              f"{best['health'] * 1e3:.2f})   {paired('health'):.2f}x the time: "
              f"{what}")  # fmt: skip
        for name in ("torch", "sklearn"):
            if name not in median:
                print(f"  {name:13s} skipped: {name if name == 'torch' else 'scikit-learn'} "
                      "not installed")  # fmt: skip
                continue
            ratio = paired(name)
            target = TARGETS[(kind, name)]
            verdict = "meets" if ratio >= target else "BELOW"
            if dtype != np.float32:  # the targets are set in torch's default dtype
                verdict = "float64: no target for"
            print(f"  {name:13s} {median[name] * 1e3:8.2f} ms {unit} (best {best[name] * 1e3:.2f})"
                  f"   backprop_lib is {ratio:.2f}x faster ({verdict} the {target}x target); "
                  f"ratio of the medians {median[name] / ours:.2f}x, of the bests "
                  f"{best[name] / ours_best:.2f}x; with the health record "
                  f"{paired(name, 'health'):.2f}x")  # fmt: skip
        print()


if __name__ == "__main__":
    main()
