"""Datasets and data helpers: toy problems to watch a network learn, and one real dataset.

Toy 2-D classification sets (``make_moons``, ``make_circles``, ``make_xor``, ``make_spirals``,
``make_blobs``) return ``X (n, 2) float64`` and ``y (n,) int64``; ``make_sine`` is a 1-D
regression set with ``X (n, 1)`` and ``y (n, 1)``. ``load_digits`` reads the 8x8 handwritten
digits shipped in ``backprop_lib/datasets/`` with numpy only. Helpers: ``train_test_split``,
``standardize``, ``one_hot`` and ``minibatches``; and the checks ``training.fit`` makes on the
X and y it is given. For sequences (notebook 13): ``load_phrases`` (short review phrases
labelled by sentiment, shipped in ``datasets/``), ``encode_texts`` (words to padded token
ids) and ``make_memory_task`` (remember the first token). Every random choice goes through
an explicit ``rng`` (a numpy Generator, an int seed or None), so the same seed gives the
same data. Used by every training notebook and dashboard.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .checks import as_rng, check_count
from .nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss

__all__ = [
    "check_features",
    "check_targets",
    "encode_texts",
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
