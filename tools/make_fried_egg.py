"""Write ``backprop_lib/datasets/fried_egg.csv``: a fried egg in a pan, as a CSV to load.

Each row is a point (x1, x2) of the square [-1, 1]^2 and the part of the egg it lands on:

- ``yolk``: within 0.3 of the yolk's centre (0.12, 0.08), a little off the middle;
- ``white``: outside the yolk, inside the white's wavy rim r < 0.72 + 0.08 sin(3 theta)
  (r and theta about the origin);
- ``pan``: the rest of the square, out to its corners.

A thin band around each boundary is left empty (0.04 wide), so a small network (2-8-3 tanh)
can learn the three parts well; a linear model cannot, since the white surrounds the yolk.
The points are drawn uniformly in the square until each part has its share (67, 67, 66),
then shuffled, and written with three decimals under the header ``x1,x2,part``.

Deterministic: ``python tools/make_fried_egg.py`` rewrites the same file (seed 0). The file
is read by ``backprop_lib.data.load_csv(backprop_lib.data.EXAMPLE_CSV)``; its provenance is
in the datasets README.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_ROWS = 200
SEED = 0
YOLK_CENTRE = (0.12, 0.08)
YOLK_RADIUS = 0.3
GAP = 0.04  # empty band on each side of a boundary: half of it inside, half outside
OUT = Path(__file__).resolve().parents[1] / "backprop_lib" / "datasets" / "fried_egg.csv"


def rim(theta: np.ndarray) -> np.ndarray:
    """The white's wavy edge: its radius at angle theta."""
    return 0.72 + 0.08 * np.sin(3 * theta)


def part(x1: float, x2: float) -> str | None:
    """The part of the egg at (x1, x2), or None inside a boundary's empty band."""
    d_yolk = np.hypot(x1 - YOLK_CENTRE[0], x2 - YOLK_CENTRE[1]) - YOLK_RADIUS
    d_rim = np.hypot(x1, x2) - rim(np.arctan2(x2, x1))
    if abs(d_yolk) < GAP / 2 or abs(d_rim) < GAP / 2:
        return None
    if d_yolk < 0:
        return "yolk"
    return "white" if d_rim < 0 else "pan"


def rows(n: int = N_ROWS, seed: int = SEED) -> list[tuple[float, float, str]]:
    """n rows (x1, x2, part), the parts as even as can be, in shuffled order."""
    gen = np.random.default_rng(seed)
    names = ["yolk", "white", "pan"]
    quota = {name: n // 3 + (1 if j < n % 3 else 0) for j, name in enumerate(names)}
    out: list[tuple[float, float, str]] = []
    while len(out) < n:
        x1, x2 = np.round(gen.uniform(-1, 1, size=2), 3)
        name = part(float(x1), float(x2))
        if name is not None and quota[name] > 0:
            quota[name] -= 1
            out.append((float(x1) + 0.0, float(x2) + 0.0, name))  # + 0.0: no "-0.000"
    order = gen.permutation(n)
    return [out[i] for i in order]


def main() -> None:
    lines = ["x1,x2,part", *(f"{x1:.3f},{x2:.3f},{name}" for x1, x2, name in rows())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
