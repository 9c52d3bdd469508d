"""The claims of section 9 of notebooks/13_sequences.ipynb: the phrase classifier, trained as
the notebook trains it, gets every held-out phrase right after 15 epochs and reads word order."""

import backprop_lib as bl
from backprop_lib.data import encode_texts, load_phrases, train_test_split


def test_phrase_classifier_reaches_full_test_accuracy_and_reads_word_order():
    texts, labels = load_phrases()
    tokens, vocab = encode_texts(texts)
    X_train, X_test, y_train, y_test = train_test_split(tokens, labels, test_size=0.25, rng=0)
    reader = bl.Sequential(
        bl.Embedding(len(vocab), 8, rng=0), bl.LastHidden(bl.RNN(8, 16, rng=1)),
        bl.Linear(16, 2, rng=2),
    )  # fmt: skip
    history = bl.fit(reader, bl.CrossEntropyLoss(), bl.Adam(reader.parameters(), lr=0.02),
                     X_train, y_train, epochs=15, batch_size=64, rng=0,
                     validation_data=(X_test, y_test))  # fmt: skip
    assert len(y_test) == 750 and history.val_accuracy[-1] == 1.0
    first, second = "the plot was dull", "the music was great"
    new = [f"{first} but {second}", f"{second} but {first}", "the acting was not bad"]
    assert not any(p in texts for p in new)
    assert sorted(new[0].split()) == sorted(new[1].split())  # the same words
    ids, _ = encode_texts(new, vocab=vocab, length=tokens.shape[1])
    assert list(bl.predict_classes(reader, ids)) == [1, 0, 1]
