"""Datasets and data helpers: toy problems to watch a network learn, and one real dataset.

Toy 2-D classification sets (``make_moons``, ``make_circles``, ``make_xor``, ``make_spirals``,
``make_blobs``) return ``X (n, 2) float64`` and ``y (n,) int64``; ``make_sine`` is a 1-D
regression set with ``X (n, 1)`` and ``y (n, 1)``. ``load_digits`` reads the 8x8 handwritten
digits shipped in ``backprop_lib/datasets/`` with numpy only. Helpers: ``train_test_split``,
``standardize``, ``one_hot`` and ``minibatches``; and the checks ``training.fit`` makes on the
X and y it is given. For sequences (notebook 13): ``load_phrases`` (short review phrases
labelled by sentiment, shipped in ``datasets/``), ``encode_texts`` (words to padded token
ids) and ``make_memory_task`` (remember the first token). Your own data (the playground):
``load_csv`` reads a CSV (a path, a file object or uploaded bytes) into a ``CSVData``, and
``EXAMPLE_CSV`` (a fried egg in a pan, three named classes) is one to try it on. Every
random choice goes through an explicit ``rng`` (a numpy Generator, an int seed or None), so
the same seed gives the same data. Used by every training notebook and dashboard.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import as_rng, check_count
from .nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss

__all__ = [
    "EXAMPLE_CSV",
    "CSVData",
    "check_features",
    "check_targets",
    "encode_texts",
    "load_csv",
    "load_digits",
    "load_phrases",
    "make_blobs",
    "make_circles",
    "make_memory_task",
    "make_moons",
    "make_scaled_regression",
    "make_sine",
    "make_spirals",
    "make_xor",
    "minibatches",
    "one_hot",
    "standardize",
    "train_test_split",
]

_DIGITS = Path(__file__).resolve().parent / "datasets" / "digits.csv.gz"
_PHRASES = Path(__file__).resolve().parent / "datasets" / "phrases.tsv"


def _check_noise(noise, what: str) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} noise must be a number, got {noise!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"{what} noise must be a finite number >= 0, got {noise}; e.g. 0.1")
    return float(noise)


def _split_counts(n: int, k: int) -> list[int]:
    """n points shared among k classes as evenly as possible (sizes differ by at most 1)."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def _shuffled(gen: np.random.Generator, X: np.ndarray, y: np.ndarray):
    order = gen.permutation(len(X))
    return X[order], y[order]


def make_moons(n: int = 200, noise: float = 0.1, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, a classic non-linearly-separable problem.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t), t evenly spaced in [0, pi],
    plus Gaussian noise of standard deviation ``noise`` (as scikit-learn's make_moons).

    Returns X (n, 2) float64 and y (n,) int64 in {0, 1}, rows shuffled; class sizes differ
    by at most 1.
    """
    n = check_count(n, "make_moons n", 2)
    noise = _check_noise(noise, "make_moons")
    gen = as_rng(rng)
    n0, n1 = _split_counts(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    X += noise * gen.standard_normal(X.shape)
    return _shuffled(gen, X, y)


def make_circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1).

    Points evenly spaced in angle, plus Gaussian noise of standard deviation ``noise``.

    Returns X (n, 2) float64 and y (n,) int64 in {0, 1}, rows shuffled.
    """
    n = check_count(n, "make_circles n", 2)
    noise = _check_noise(noise, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles factor must be in (0, 1), got {factor}; e.g. 0.5")
    gen = as_rng(rng)
    n0, n1 = _split_counts(n, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]])
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    X += noise * gen.standard_normal(X.shape)
    return _shuffled(gen, X, y)


def make_xor(n: int = 200, noise: float = 0.3, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Four clusters at the corners (+-1, +-1); the label is 1 where the signs differ (XOR).

    Each point is its corner plus Gaussian noise of standard deviation ``noise``; the label is
    the XOR of its corner's signs, so no straight line separates the classes.

    Returns X (n, 2) float64 and y (n,) int64 in {0, 1}, rows shuffled; corner sizes differ
    by at most 1.
    """
    n = check_count(n, "make_xor n", 4)
    noise = _check_noise(noise, "make_xor")
    gen = as_rng(rng)
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]])
    counts = _split_counts(n, 4)
    X = np.repeat(corners, counts, axis=0) + noise * gen.standard_normal((n, 2))
    y = np.repeat(np.array([0, 0, 1, 1], dtype=np.int64), counts)
    return _shuffled(gen, X, y)


def make_spirals(
    n: int = 300, k: int = 3, noise: float = 0.2, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """k interleaved spiral arms, one class each (the CS231n spiral data).

    Arm j: radius r evenly spaced in [0, 1], angle theta = 4 j + 4 r + noise * N(0, 1),
    point = r * (sin theta, cos theta).

    Returns X (n, 2) float64 and y (n,) int64 in {0, ..., k-1}, rows shuffled; class sizes
    differ by at most 1.
    """
    n = check_count(n, "make_spirals n", 2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ValueError(
            f"make_spirals k (the number of classes) must be an int in [2, n], got {k}"
        )
    noise = _check_noise(noise, "make_spirals")
    gen = as_rng(rng)
    counts = _split_counts(n, int(k))
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in counts])  # (n,)
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    theta = 4.0 * y + 4.0 * r + noise * gen.standard_normal(n)
    X = np.c_[r * np.sin(theta), r * np.cos(theta)]
    return _shuffled(gen, X, y)


def make_blobs(
    n: int = 200, centers=3, noise: float = 0.5, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one class each: X = center[y] + noise * N(0, I).

    ``centers`` is an int k (the centers are then evenly spaced on a circle of radius 2) or
    an array (k, 2) of centers. ``noise`` is each cluster's standard deviation.

    Returns X (n, 2) float64 and y (n,) int64 in {0, ..., k-1}, rows shuffled; class sizes
    differ by at most 1.
    """
    n = check_count(n, "make_blobs n", 1)
    noise = _check_noise(noise, "make_blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if not 1 <= centers <= n:
            raise ValueError(f"make_blobs centers must be in [1, n], got {centers}")
        angle = 2 * np.pi * np.arange(centers) / centers
        centers = 2.0 * np.c_[np.cos(angle), np.sin(angle)]
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2 or not 1 <= len(centers) <= n:
        raise ValueError(
            f"make_blobs centers must be an int or an array of shape (k, 2) with k <= n, got "
            f"shape {centers.shape}"
        )
    gen = as_rng(rng)
    counts = _split_counts(n, len(centers))
    y = np.repeat(np.arange(len(centers), dtype=np.int64), counts)
    X = centers[y] + noise * gen.standard_normal((n, 2))
    return _shuffled(gen, X, y)


def make_sine(n: int = 100, noise: float = 0.1, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression problem: y = sin(x) + noise * N(0, 1), x uniform in [-pi, pi].

    Returns X (n, 1) float64 and y (n, 1) float64 (2-D, as ``MSELoss`` against a (n, 1)
    prediction needs).
    """
    n = check_count(n, "make_sine n", 1)
    noise = _check_noise(noise, "make_sine")
    gen = as_rng(rng)
    X = gen.uniform(-np.pi, np.pi, size=(n, 1))
    return X, np.sin(X) + noise * gen.standard_normal((n, 1))


def make_scaled_regression(
    n: int = 200,
    scales=(1000.0, 1.0),
    offsets=(0.0, 0.0),
    weights=(1.0, -2.0),
    noise: float = 0.1,
    rng=None,
) -> tuple[np.ndarray, np.ndarray]:
    """A linear regression whose features live on very different scales (data notebook, 09).

    Z ~ N(0, I) (n, d); X = offsets + scales * Z (feature j has mean ``offsets[j]`` and
    standard deviation ``scales[j]``); y = Z @ weights + noise * N(0, 1). The relationship is
    the same whatever the scales: in raw units the best fit is w_j = weights[j] / scales[j],
    b = -sum_j offsets[j] * weights[j] / scales[j] (up to the noise).

    Returns X (n, d) float64 and y (n, 1) float64 (2-D, as ``MSELoss`` against a (n, 1)
    prediction needs); d = len(scales).
    """
    n = check_count(n, "make_scaled_regression n", 2)
    noise = _check_noise(noise, "make_scaled_regression")
    scales = np.asarray(scales, dtype=np.float64)
    if scales.ndim != 1 or len(scales) == 0 or not np.all(np.isfinite(scales) & (scales > 0)):
        raise ValueError(
            f"make_scaled_regression scales must be positive numbers, one per feature, got "
            f"{scales.tolist()}; e.g. (1000.0, 1.0)"
        )
    d = len(scales)
    offsets = np.asarray(offsets, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    for name, v in (("offsets", offsets), ("weights", weights)):
        if v.shape != (d,) or not np.all(np.isfinite(v)):
            raise ValueError(
                f"make_scaled_regression {name} must be {d} finite numbers (one per feature, "
                f"like scales), got {v.tolist()}"
            )
    gen = as_rng(rng)
    Z = gen.standard_normal((n, d))
    y = Z @ weights + noise * gen.standard_normal(n)
    return offsets + scales * Z, y.reshape(-1, 1)


@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    table = np.loadtxt(_DIGITS, delimiter=",", dtype=np.int64)  # (1797, 65): pixels, label
    table.flags.writeable = False
    return table


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", test set).

    1797 images of the digits 0-9 (about 180 each), each pixel a count 0..16 of "on" pixels
    in a 4x4 block of the original 32x32 bitmap. Source and licence:
    ``backprop_lib/datasets/README.md``.

    Returns
    -------
    X : (1797, 64) float64 in [0, 1]
        The pixels divided by 16, one flattened image per row (``X[i].reshape(8, 8)`` to
        show it).
    y : (1797,) int64 in {0, ..., 9}
        The digit in each image.
    """
    table = _digits_table()
    return table[:, :64] / 16.0, table[:, 64].copy()


def _check_xy(X, y, what: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{what} needs arrays with one row per example, got scalars")
    if len(X) != len(y):
        raise ValueError(
            f"{what} got X with {len(X)} rows and y with {len(y)}; they must have one label "
            "per row of X"
        )
    return X, y


# ---- what training is given: checked once, before any parameter changes ----


def check_features(X, what: str, dtype) -> np.ndarray:
    """X as a finite 2-D array of the model's dtype (a copy the caller cannot change)."""
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numeric, got dtype {X.dtype}")
    if X.ndim != 2 or len(X) == 0:
        fix = "; use X.reshape(-1, 1) for a single feature" if X.ndim == 1 else ""
        raise ValueError(f"{what} must be a 2-D array (examples, features), got {X.shape}{fix}")
    if not np.isfinite(X).all():
        raise ValueError(f"{what} contains NaN or inf; remove or impute those rows first")
    return np.array(X, dtype=dtype)


def check_targets(y, n: int, what: str, loss: Loss, dtype) -> np.ndarray:
    """y as targets for ``loss``: one per row of X, checked, of the model's dtype (a copy).

    Int labels (n,) for CrossEntropyLoss; 0/1 labels (n,) or (n, k) for the binary losses,
    reshaped (n,) -> (n, 1) like the model's output; any finite (n, ...) values otherwise.
    """
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != n:
        raise ValueError(
            f"{what} has {len(y) if y.ndim else 0} entries but X has {n} rows; "
            "give one target per row"
        )
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numeric, got dtype {y.dtype}")
    if not np.isfinite(y).all():
        raise ValueError(f"{what} contains NaN or inf; clean the targets first")
    if isinstance(loss, CrossEntropyLoss):
        if y.dtype.kind not in "iu" or y.ndim != 1:
            raise ValueError(
                f"CrossEntropyLoss needs {what} as int class labels of shape ({n},), got "
                f"{y.dtype} {y.shape}; use y.astype(int) (or argmax of one-hot rows)"
            )
        if y.min() < 0:
            raise ValueError(
                f"{what} has negative class labels (min {y.min()}); labels must be 0, 1, ..., "
                "C - 1, e.g. np.unique(y, return_inverse=True)[1]"
            )
        return y.astype(np.int64)
    if isinstance(loss, (BCELoss, BCEWithLogitsLoss)):
        if y.min() < 0 or y.max() > 1:
            raise ValueError(
                f"{type(loss).__name__} needs {what} in [0, 1], got values in "
                f"[{y.min()}, {y.max()}]; use 0/1 labels"
            )
        if y.ndim == 1:
            y = y.reshape(-1, 1)  # binary labels (n,) -> (n, 1), like the model's output
    return np.array(y, dtype=dtype)


# ---- splitting and scaling ----


def train_test_split(X, y, test_size: float = 0.25, rng=None):
    """Shuffle the rows and split them into a training and a test part.

    ``test_size`` is a fraction in (0, 1) (the test part gets ceil(test_size * n) rows, as
    scikit-learn) or an int number of rows.

    Returns X_train, X_test, y_train, y_test: rows of X (n, ...) and y (n, ...), in shuffled
    order; the two parts do not overlap and together hold every row.
    """
    X, y = _check_xy(X, y, "train_test_split")
    n = len(X)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, (float, np.floating)) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or an int number of rows, got {test_size!r}"
        )
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_test} test rows out of {n}; both parts need at "
            "least one row"
        )
    order = as_rng(rng).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def standardize(X_train, X_test=None):
    """Scale each feature to mean 0 and standard deviation 1, with the *training* statistics.

    X' = (X - mean) / std, where mean and std (per column) come from ``X_train`` only and are
    applied to ``X_test`` too: the test set must not leak into the preprocessing. A constant
    column (std = 0, e.g. an always-blank pixel) is only centred (its std is taken as 1).

    Parameters
    ----------
    X_train : (n, d) array
    X_test : (m, d) array or None

    Returns
    -------
    X_train_std : (n, d) float64
    X_test_std : (m, d) float64, or None when X_test is None
    mean, std : (d,) float64, to apply the same scaling to new data later
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise ValueError(f"standardize expects X_train of shape (n, d), got {X_train.shape}")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    out_test = None
    if X_test is not None:
        X_test = np.asarray(X_test, dtype=np.float64)
        if X_test.ndim != 2 or X_test.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"standardize got X_test of shape {X_test.shape} for X_train {X_train.shape}; "
                f"it needs the same {X_train.shape[1]} columns"
            )
        out_test = (X_test - mean) / std
    return (X_train - mean) / std, out_test, mean, std


def one_hot(y, num_classes: int | None = None) -> np.ndarray:
    """Integer labels to one-hot rows: out[i, y[i]] = 1, every other entry 0.

    y: (n,) ints in [0, num_classes) (num_classes defaults to max(y) + 1). Returns (n, C) float64.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"one_hot expects a 1-D array of int labels, got {y.dtype} {y.shape}")
    if num_classes is None:
        c = int(y.max()) + 1 if len(y) else 0
    else:
        c = check_count(num_classes, "one_hot num_classes")
    if len(y) and (y.min() < 0 or y.max() >= c):
        raise ValueError(
            f"one_hot labels must be in [0, {c - 1}], got [{y.min()}, {y.max()}]; check num_classes"
        )
    out = np.zeros((len(y), c))
    out[np.arange(len(y)), y] = 1.0
    return out


def minibatches(
    X, y, batch_size: int, rng=None, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An iterator of (X_batch, y_batch) pairs covering every row once, in shuffled order.

    Each batch has ``batch_size`` rows, the last one possibly fewer. With ``shuffle=False``
    the rows keep their order (and the batches are views, not copies). Arguments are checked
    when it is called, before any batch is drawn.
    """
    X, y = _check_xy(X, y, "minibatches")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle:
        X, y = _shuffled(as_rng(rng), X, y)
    return ((X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size))


# ---- sequences (the sequences notebook, 13) ----

PAD = "<pad>"  # the padding token of encode_texts: always id 0


def load_phrases() -> tuple[list[str], np.ndarray]:
    """Short review phrases labelled by sentiment, e.g. "the plot was not very dull" -> 1.

    3000 distinct phrases of 4 to 13 words from a small grammar written for this project
    (``tools/make_phrases.py``; provenance and licence in ``backprop_lib/datasets/README.md``):
    ``the <noun> <verb> [not] [very|really|quite|so] <adjective>``, optionally followed by
    ``but`` and a second such clause. The label is the sentiment of the *last* clause
    (a "not" flips its adjective's), so the words' order matters.

    Returns
    -------
    texts : list of 3000 str, lower-case words separated by single spaces
    y : (3000,) int64, 1 positive, 0 negative (about half each)
    """
    lines = _PHRASES.read_text(encoding="utf-8").splitlines()[1:]  # skip the header
    labels, texts = zip(*(line.split("\t") for line in lines), strict=True)
    return list(texts), np.array([int(v) for v in labels], dtype=np.int64)


def encode_texts(
    texts, vocab: list[str] | None = None, length: int | None = None
) -> tuple[np.ndarray, list[str]]:
    """Split each text into words and map them to token ids, padded on the left to one length.

    Padding goes on the *left* (``<pad>`` is id 0), so the last step of every row is the
    text's last word and an RNN's h_last has just read it. A longer text keeps its last
    ``length`` words.

    Parameters
    ----------
    texts : list of str (words separated by whitespace)
    vocab : list of str, optional
        The id of each word is its index here, and ``vocab[0]`` must be ``"<pad>"``; None
        builds it from ``texts`` (``<pad>``, then the words sorted). Pass the training set's
        vocabulary when encoding the test set; an unknown word is a ValueError.
    length : int, optional
        Steps per row; None: the longest text's number of words.

    Returns
    -------
    tokens : (len(texts), length) int64
    vocab : list of str, ``vocab[i]`` is the word with id i
    """
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("encode_texts takes a list of strings, e.g. ['the plot was dull', ...]")
    words = [t.split() for t in texts]
    if not words or not all(words):
        raise ValueError("encode_texts needs at least one text, and no empty text")
    if vocab is None:
        vocab = [PAD, *sorted({w for ws in words for w in ws} - {PAD})]
    else:
        vocab = list(vocab)
        if not vocab or vocab[0] != PAD:
            raise ValueError(f"vocab[0] must be the padding token {PAD!r}, got {vocab[:1]}")
    index = {w: i for i, w in enumerate(vocab)}
    unknown = sorted({w for ws in words for w in ws} - set(index))
    if unknown:
        raise ValueError(
            f"encode_texts found words that are not in vocab: {unknown[:5]}; build the vocab "
            "from texts that contain them (or drop those texts)"
        )
    if length is None:
        length = max(len(ws) for ws in words)
    length = check_count(length, "encode_texts length")
    tokens = np.zeros((len(words), length), dtype=np.int64)  # 0 = <pad>
    for i, ws in enumerate(words):
        ids = [index[w] for w in ws[-length:]]
        tokens[i, length - len(ids) :] = ids
    return tokens, vocab


def make_memory_task(
    n: int = 256, length: int = 20, vocab_size: int = 8, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Sequences whose label is their *first* token: the simplest test of memory over time.

    Each row starts with token 0 or 1 (the label, half each), followed by ``length - 1``
    distractor tokens drawn uniformly from 2..vocab_size - 1. To classify a row from its
    last hidden state, an RNN must carry one bit across ``length - 1`` steps, and the gradient
    that teaches it to must travel back just as far.

    Returns
    -------
    tokens : (n, length) int64
    y : (n,) int64 in {0, 1}, equal to tokens[:, 0]
    """
    n = check_count(n, "make_memory_task n")
    length = check_count(length, "make_memory_task length")
    vocab_size = check_count(vocab_size, "make_memory_task vocab_size", 3)
    gen = as_rng(rng)
    y = np.arange(n, dtype=np.int64) % 2  # half each
    gen.shuffle(y)
    tokens = gen.integers(2, vocab_size, size=(n, length), dtype=np.int64)
    tokens[:, 0] = y
    return tokens, y.copy()


# ---- your own data: CSV files (the playground's upload) ----

EXAMPLE_CSV = Path(__file__).resolve().parent / "datasets" / "fried_egg.csv"
"""The example CSV: 200 points of a fried egg in a pan, header ``x1,x2,part``, three named
classes (pan, white, yolk); written by ``tools/make_fried_egg.py``."""

MIN_CSV_ROWS = 4  # fewer data rows than this is an error: too few to train and test on
_DELIMITERS = ("\t", ";", "|", ",")  # tried in this order; the first that fits every row wins
_MISSING = {"", "na", "n/a", "nan", "null", "?"}  # cells read as a missing value (any case)
_TASKS = ("classification", "regression")


@dataclass(frozen=True, eq=False)
class CSVData:
    """A table loaded by ``load_csv``: features, targets, and what they were called.

    ``X, y = data`` unpacks it (``__iter__`` yields X then y).

    Attributes
    ----------
    X : (n, d) float64, the feature columns in the file's order
    y : (n,) int64 class ids 0..K-1 (classification) or (n, 1) float64 (regression)
    feature_names : d names, the header's (or x1, x2, ... without a header)
    target_name : the target column's name (its header cell, or "y" without a header)
    classes : ``classes[i]`` is the file's label of class i, in sorted order (numbers sorted
        as numbers and given as int); an empty tuple for regression
    task : "classification" or "regression"
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    classes: tuple
    task: str

    def __iter__(self):
        yield self.X
        yield self.y

    def summary(self) -> str:
        """One line: "200 rows, 2 features (x1, x2), 2 classes (0, 1)"."""
        n, d = self.X.shape
        features = f"{d} feature{'s' if d != 1 else ''} ({_listed(self.feature_names)})"
        if self.task == "regression":
            return f"{n} rows, {features}, regression target {self.target_name}"
        return f"{n} rows, {features}, {len(self.classes)} classes ({_listed(self.classes)})"


def _listed(items, most: int = 6) -> str:
    """Items joined by commas, the middle elided past ``most``: "a, b, c, d, ..., z"."""
    names = [str(item) for item in items]
    if len(names) > most:
        names = [*names[: most - 2], "...", names[-1]]
    return ", ".join(names)


def load_csv(source, target=-1, *, task: str = "classification", delimiter=None) -> CSVData:
    """Read a table of numbers from a CSV: numeric feature columns and one target column.

    A header row is detected: the first row is taken as column names when it has no number
    in the columns where later rows have numbers. Without one, the features are named x1,
    x2, ... and the target y. Rows are numbered as the file's lines (the header is row 1),
    as a spreadsheet shows them. Blank lines are skipped; cells are stripped of spaces.

    Parameters
    ----------
    source : a path (str or os.PathLike), a file-like object (text or binary), or the bytes
        of a file (bytes, bytearray or memoryview, as ipywidgets' FileUpload gives:
        ``upload.value[0]["content"]``). Text is read as UTF-8 (a byte-order mark is fine).
    target : the target column, an index (negative counts from the end; -1 is the last
        column) or a header name
    task : "classification": the target's labels (strings or integers) become class ids
        0..K-1 in their sorted order, and ``classes`` maps them back; at least 2 classes.
        "regression": the target is a number, y of shape (n, 1).
    delimiter : one character, or None to pick the first of tab, ";", "|", "," that splits
        every row into the same number (> 1) of cells (a comma otherwise)

    Returns
    -------
    CSVData with X (n, d) float64 and y (n,) int64 or (n, 1) float64, the names and classes.

    Raises
    ------
    ValueError naming the row, the column and the fix, before anything is returned: a
    missing or non-number value (or NaN, inf) where a number is needed, rows of different
    lengths, an empty file, a header and no data, fewer than 4 data rows, a single class,
    a target that is out of range or not a column's name.
    TypeError for a source, target or delimiter of the wrong type.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer, str)):
        raise TypeError(
            f"target must be a column index (int) or a header name (str), got {target!r}"
        )
    if delimiter is not None:
        if not isinstance(delimiter, str):
            raise TypeError(f"delimiter must be a one-character str or None, got {delimiter!r}")
        if len(delimiter) != 1 or delimiter in "\r\n\"' ":
            raise ValueError(
                f"delimiter must be one character such as ',' ';' or '\\t', got {delimiter!r}"
            )
    text = _csv_text(source)
    rows = _csv_rows(text, delimiter or _guess_delimiter(text))
    if not rows:
        raise ValueError("the CSV is empty (no rows); give a file with a header and data rows")
    width = len(rows[0][1])
    header = _has_header(rows)
    data = rows[1:] if header else rows
    if header and not data:
        raise ValueError(
            f"the CSV has only a header row ({', '.join(rows[0][1])}) and no data rows; "
            "add rows of numbers below it"
        )
    for line, cells in rows:
        if len(cells) != width:
            first = "the header has" if header else "row 1 has"
            raise ValueError(
                f"row {line} has {len(cells)} values but {first} {width}; every row needs one "
                "value per column (look for a missing value or an extra delimiter there)"
            )
    if width < 2:
        raise ValueError(
            "the CSV has a single column; it needs at least one feature column and a target "
            "column (if it uses another delimiter, pass delimiter=..., e.g. delimiter=';')"
        )
    if len(data) < MIN_CSV_ROWS:
        raise ValueError(
            f"the CSV has {len(data)} data row{'s' if len(data) != 1 else ''}; load_csv needs "
            f"at least {MIN_CSV_ROWS} (and a network learns something from about 100)"
        )
    t = _target_index(target, rows[0][1] if header else None, width)
    features = [j for j in range(width) if j != t]
    if header:
        names = [cell or f"column {j + 1}" for j, cell in enumerate(rows[0][1])]
    else:
        names = [""] * width
        for k, j in enumerate(features):
            names[j] = f"x{k + 1}"
        names[t] = "y"
    X = np.empty((len(data), len(features)))  # (n, d)
    for i, (line, cells) in enumerate(data):
        for k, j in enumerate(features):
            X[i, k] = _cell_number(cells[j], line, names[j], "a feature")
    if task == "regression":
        y = np.array([_cell_number(c[t], line, names[t], "the target") for line, c in data])
        return CSVData(X, y.reshape(-1, 1), tuple(names[j] for j in features), names[t], (), task)
    y, classes = _class_ids([(line, cells[t]) for line, cells in data], names[t])
    return CSVData(X, y, tuple(names[j] for j in features), names[t], classes, task)


def _csv_text(source) -> str:
    """The text of a path, a file-like object or bytes (UTF-8, an optional BOM dropped)."""
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        raise ValueError(
            "load_csv reads a str as a file path, and this one has line breaks; to load CSV "
            "text, pass io.StringIO(text) or text.encode()"
        )
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no CSV file at {str(path)!r}; check the path")
        raw = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif callable(getattr(source, "read", None)):
        raw = source.read()
        if isinstance(raw, str):
            return raw.removeprefix("\ufeff")
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(f"source.read() returned {type(raw).__name__}, not str or bytes")
        raw = bytes(raw)
    else:
        hint = ""
        if isinstance(source, dict) and "content" in source:
            hint = '; for an ipywidgets FileUpload, pass upload.value[0]["content"]'
        raise TypeError(
            "load_csv reads a path (str or os.PathLike), a file-like object or bytes, got "
            f"{type(source).__name__}{hint}"
        )
    if b"\x00" in raw:
        raise ValueError(
            "the file holds binary data (a NUL byte), not CSV text; if it is a spreadsheet, "
            "save it as CSV first"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"the file is not UTF-8 text (byte {raw[e.start]:#04x} at position {e.start}); "
            "save it as 'CSV UTF-8'"
        ) from None


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise ValueError(f"row {reader.line_num}: the CSV cannot be read ({e})") from None
    return rows


def _guess_delimiter(text: str) -> str:
    """The first delimiter that splits every non-blank row into the same number (> 1) of cells;
    else the first that splits the first row; else a comma."""
    for d in _DELIMITERS:
        try:
            widths = {len(cells) for _, cells in _csv_rows(text, d)}
        except ValueError:
            continue
        if len(widths) == 1 and widths.pop() > 1:
            return d
    first = next((line for line in text.splitlines() if line.strip()), "")
    return next((d for d in _DELIMITERS if d in first), ",")


def _number(cell: str) -> float | None:
    """The cell as a float, or None when it is not a number."""
    try:
        return float(cell)
    except ValueError:
        return None


def _has_header(rows: list[tuple[int, list[str]]]) -> bool:
    """The first row names the columns: no number where later rows have numbers (and, for a
    lone row, no number at all)."""
    first = rows[0][1]
    if len(rows) == 1:
        return all(_number(cell) is None for cell in first)
    numeric = {j for _, cells in rows[1:] for j, c in enumerate(cells) if _number(c) is not None}
    numeric &= set(range(len(first)))
    return bool(numeric) and all(_number(first[j]) is None for j in numeric)


def _target_index(target, header: list[str] | None, width: int) -> int:
    """The target column's index in [0, width)."""
    if isinstance(target, str):
        if header is None:
            raise ValueError(
                f"target={target!r} is a column name, but this CSV has no header row (its "
                "first row is numbers); give the target's index, e.g. target=-1, or add a "
                "header row"
            )
        where = [j for j, name in enumerate(header) if name == target]
        if not where:
            close = [name for name in header if name.lower() == target.lower()]
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"target={target!r} is not a column of this CSV; its columns are "
                f"{', '.join(map(repr, header))}{hint}"
            )
        if len(where) > 1:
            raise ValueError(
                f"target={target!r} names {len(where)} columns ({', '.join(str(j) for j in where)}"
                "); give the target's index instead, e.g. target=-1"
            )
        return where[0]
    if not -width <= target < width:
        names = f" ({', '.join(map(repr, header))})" if header else ""
        raise ValueError(
            f"target={target} is out of range for a CSV of {width} columns{names}; use 0 to "
            f"{width - 1}, or -1 to -{width} from the end"
        )
    return int(target) % width


def _cell_number(cell: str, line: int, column: str, what: str) -> float:
    """A finite float from one cell, or a ValueError naming its row and column."""
    where = f"row {line}, column {column!r}"
    if cell.lower() in _MISSING:
        shown = "is empty" if cell == "" else f"holds {cell!r}"
        raise ValueError(
            f"{where} {shown}: a missing value; fill it in or delete the row ({what} needs a "
            "number in every row)"
        )
    value = _number(cell)
    if value is None:
        comma = (
            " (write decimals with a point: 1.5, not 1,5)"
            if _number(cell.replace(",", ".")) is not None
            else ""
        )
        raise ValueError(
            f"{where}: {cell!r} is not a number{comma}; {what} must be numeric, so fix the "
            "cell or delete the row"
        )
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: {cell!r} is infinite (or too large for a float); {what} must be a "
            "finite number, so fix the cell or delete the row"
        )
    return value


def _class_ids(labels: list[tuple[int, str]], column: str) -> tuple[np.ndarray, tuple]:
    """Labels to class ids 0..K-1 in sorted order, and the sorted labels (the classes)."""
    for line, label in labels:
        if label.lower() in _MISSING:
            shown = "is empty" if label == "" else f"holds {label!r}"
            raise ValueError(
                f"row {line}, column {column!r} {shown}: a missing label; fill it in or "
                "delete the row"
            )
    numbers = [_number(label) for _, label in labels]
    if all(v is not None for v in numbers):  # numeric labels: compared and sorted as numbers
        for (line, label), v in zip(labels, numbers, strict=True):
            if not (math.isfinite(v) and v == round(v)):
                raise ValueError(
                    f"row {line}, column {column!r}: {label!r} is not a whole number, so it "
                    "cannot be a class label; for a numeric target, use task='regression'"
                )
        keys = [int(v) for v in numbers]
    else:
        keys = [label for _, label in labels]
    classes = tuple(sorted(set(keys)))
    if len(classes) < 2:
        raise ValueError(
            f"column {column!r} has a single class ({classes[0]!r}) in all {len(keys)} rows; "
            "a classifier needs at least 2 classes (check target=..., or use "
            "task='regression' for a numeric target)"
        )
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[k] for k in keys], dtype=np.int64), classes
