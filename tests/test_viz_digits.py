"""The digit pictures: a labelled grid and a confusion matrix, with clear errors."""

import numpy as np
import pytest

from backprop_lib.data import load_digits
from backprop_lib.viz import plot_confusion_matrix, plot_digits


def test_plot_digits_titles_each_image_and_marks_the_wrong_guesses():
    X, y = load_digits()
    guesses = y[:10].copy()
    guesses[3] = (guesses[3] + 1) % 10
    fig = plot_digits(X[:10], y[:10], guesses, n=10, ncols=5)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 10
    titles = [ax.title for ax in images]
    assert titles[3].get_text() == f"{y[3]} \u2192 {guesses[3]}"
    assert titles[3].get_color() != titles[0].get_color()  # the wrong one stands out


def test_plot_digits_refuses_what_is_not_8x8():
    with pytest.raises(ValueError, match="rows of 64 pixels"):
        plot_digits(np.zeros((3, 10)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="one label"):
        plot_digits(np.zeros((3, 64)), np.zeros(2, dtype=int))


def test_confusion_matrix_writes_every_nonzero_count():
    m = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    fig = plot_confusion_matrix(m)
    ax = fig.axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(str(v) for v in m.ravel() if v)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
