"""BLAS threads: how many threads numpy's matrix products may use while training.

A matrix product of the sizes this series trains (a 200 x 16 batch times a 16 x 16 weight) is
over in microseconds; handing it to a pool of threads costs more than it saves, and on a
machine whose few cores are busy with other work (a learner's laptop is never idle) waiting
for the pool's threads can turn a slider move of 0.2 s into seconds. ``fit`` and the
dashboards therefore train with the pool limited to one thread (``bench/threads.py`` measures
what that changes).

``threadpoolctl`` (a small, pure-Python package numpy's and scikit-learn's developers keep) is
the one package besides numpy the core uses: it is imported on first use, so
``import backprop_lib`` still loads numpy alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["check_blas_threads", "limit_blas_threads"]

_controller = None  # a threadpoolctl.ThreadpoolController, made on first use


def check_blas_threads(threads) -> int | None:
    """``threads`` as a positive int, or None (leave the pool as it is); else a ValueError."""
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise ValueError(
            f"BLAS threads must be a positive int or None, got {threads!r}; "
            "e.g. 1 (the default), or None to leave numpy's thread pool as it is"
        )
    return threads


@contextmanager
def limit_blas_threads(threads: int | None = 1) -> Iterator[None]:
    """A context in which numpy's BLAS uses at most ``threads`` threads.

    ``with limit_blas_threads(1): fit(...)``. ``threads=None`` leaves the pool as it is (for a
    model large enough to gain from threads). On leaving, the limits in force before are back.
    """
    global _controller
    if check_blas_threads(threads) is None:
        yield
        return
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=threads, user_api="blas"):
        yield
