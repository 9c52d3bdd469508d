"""Write ``backprop_lib/datasets/phrases.tsv``: short review phrases labelled by sentiment.

The phrases come from a small grammar written for this project (no outside text):

    phrase := clause | clause "but" clause
    clause := "the" noun verb ["not"] [intensifier] adjective

A clause is positive when its adjective is positive and there is no "not", or negative with
a "not"; a phrase takes the sentiment of its *last* clause ("the plot was dull but the music
was great" is positive). The same words in another order can flip the label, so a model
must read the order, which is what a recurrent network does and a bag of words cannot.

Deterministic: ``python tools/make_phrases.py`` rewrites the same file (seed 0). The file is
read by ``backprop_lib.data.load_phrases``; its provenance is in the datasets README.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NOUNS = ["movie", "film", "plot", "acting", "music", "ending", "story", "cast", "script",
         "dialogue"]  # fmt: skip
VERBS = ["was", "is", "seemed", "felt"]
INTENSIFIERS = ["very", "really", "quite", "so"]
POSITIVE = ["good", "great", "fun", "lovely", "clever", "moving", "superb", "charming"]
NEGATIVE = ["bad", "dull", "boring", "awful", "silly", "weak", "bland", "poor"]

N_PHRASES = 3000
SEED = 0
OUT = Path(__file__).resolve().parents[1] / "backprop_lib" / "datasets" / "phrases.tsv"


def clause(gen: np.random.Generator) -> tuple[list[str], int]:
    """One clause and its sentiment (1 positive, 0 negative)."""
    positive = bool(gen.integers(2))
    negated = gen.random() < 0.4
    words = ["the", str(gen.choice(NOUNS)), str(gen.choice(VERBS))]
    if negated:
        words.append("not")
    if gen.random() < 0.4:
        words.append(str(gen.choice(INTENSIFIERS)))
    words.append(str(gen.choice(POSITIVE if positive else NEGATIVE)))
    return words, int(positive != negated)


def phrase(gen: np.random.Generator) -> tuple[str, int]:
    words, label = clause(gen)
    if gen.random() < 0.4:
        second, label = clause(gen)
        words += ["but", *second]
    return " ".join(words), label


def main() -> None:
    gen = np.random.default_rng(SEED)
    rows: dict[str, int] = {}
    while len(rows) < N_PHRASES:  # distinct phrases, in the order first drawn
        text, label = phrase(gen)
        rows.setdefault(text, label)
    lines = ["label\tphrase"] + [f"{label}\t{text}" for text, label in rows.items()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} phrases to {OUT}")


if __name__ == "__main__":
    main()
