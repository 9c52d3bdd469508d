"""Tests for the sequence data: load_phrases, encode_texts and make_memory_task (data.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop_lib.data import PAD, encode_texts, load_phrases, make_memory_task

ROOT = Path(__file__).resolve().parents[1]


def test_load_phrases_shape_balance_and_labels_follow_the_grammar():
    texts, y = load_phrases()
    assert len(texts) == len(set(texts)) == 3000 and y.shape == (3000,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1} and 0.45 < y.mean() < 0.55
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) == 4 and max(lengths) == 13
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_phrases as g
    finally:
        sys.path.pop(0)
    for text, label in zip(texts, y, strict=True):
        last = text.split(" but ")[-1].split()
        positive = last[-1] in g.POSITIVE
        assert last[-1] in g.POSITIVE + g.NEGATIVE
        assert label == int(positive != ("not" in last)), text


def test_the_shipped_file_is_what_the_generator_writes(tmp_path):
    shipped = (ROOT / "backprop_lib" / "datasets" / "phrases.tsv").read_text(encoding="utf-8")
    code = (
        "import sys, pathlib; sys.path.insert(0, 'tools'); import make_phrases as g; "
        f"g.OUT = pathlib.Path({str(tmp_path / 'p.tsv')!r}); g.main()"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    assert (tmp_path / "p.tsv").read_text(encoding="utf-8") == shipped


def test_encode_texts_pads_on_the_left_and_reuses_a_vocab():
    tokens, vocab = encode_texts(["the plot was dull", "the music was not great"])
    assert vocab[0] == PAD == "<pad>" and vocab[1:] == sorted(vocab[1:])
    assert tokens.shape == (2, 5) and tokens.dtype == np.int64
    assert tokens[0, 0] == 0 and [vocab[i] for i in tokens[0, 1:]] == "the plot was dull".split()
    assert [vocab[i] for i in tokens[1]] == "the music was not great".split()
    again, same = encode_texts(["was dull"], vocab=vocab, length=4)
    assert same == vocab and [vocab[i] for i in again[0]] == [PAD, PAD, "was", "dull"]
    cut, _ = encode_texts(["the music was not great"], vocab=vocab, length=2)
    assert [vocab[i] for i in cut[0]] == ["not", "great"]  # the last words are kept


def test_encode_texts_errors():
    _, vocab = encode_texts(["a b"])
    with pytest.raises(ValueError, match=r"not in vocab: \['c'\]"):
        encode_texts(["a c"], vocab=vocab)
    with pytest.raises(ValueError, match="vocab\\[0\\] must be the padding token"):
        encode_texts(["a"], vocab=["a", "<pad>"])
    with pytest.raises(TypeError, match="list of strings"):
        encode_texts("a b")
    with pytest.raises(ValueError, match="no empty text"):
        encode_texts(["a", " "])
    with pytest.raises(ValueError, match="length"):
        encode_texts(["a"], length=0)


def test_make_memory_task_label_is_the_first_token():
    X, y = make_memory_task(50, 7, vocab_size=5, rng=0)
    assert X.shape == (50, 7) and y.shape == (50,) and X.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0], y)
    assert y.sum() == 25 and X[:, 1:].min() >= 2 and X[:, 1:].max() <= 4
    np.testing.assert_array_equal(make_memory_task(50, 7, vocab_size=5, rng=0)[0], X)
    with pytest.raises(ValueError, match="vocab_size"):
        make_memory_task(10, 3, vocab_size=2)
    with pytest.raises(ValueError, match="length"):
        make_memory_task(10, 0)
