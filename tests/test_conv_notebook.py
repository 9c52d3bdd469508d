"""The numbers notebooks/11_convolutions.ipynb states in its prose, computed the notebook's way.

The notebook prints them; these tests make sure the sentences around the printouts stay true:
the CNN has about 2.5 times fewer weights than the MLP, costs several times its multiply-adds
per image, and both land near 97% on the held-out quarter of the digits.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import load_digits
from backprop_lib.instruments import layer_outputs

X, Y = load_digits()


def parameters(model):
    return sum(p.data.size for p in model.parameters())


def multiply_adds(model):  # as in the notebook: a conv weight works at every output position
    total = 0
    for layer, (_, out) in zip(model, layer_outputs(model, X[:1]), strict=True):
        if isinstance(layer, bl.Conv2d):
            total += layer.W.data.size * out[0, 0].size
        elif isinstance(layer, bl.Linear):
            total += layer.W.data.size
    return total


def models():
    return bl.small_cnn(rng=0), bl.mlp([64, 64, 10], activation="relu", rng=0)


def test_sizes_stated_in_the_prose():
    cnn, mlp = models()
    assert parameters(cnn) == 1898 and parameters(mlp) == 4810
    assert parameters(mlp) / parameters(cnn) == pytest.approx(2.5, abs=0.1)  # "about 2.5 times"
    assert multiply_adds(cnn) == 64 * 72 + 16 * 1152 + 640  # conv1, conv2, the Linear
    assert multiply_adds(cnn) / multiply_adds(mlp) > 4  # "several times the MLP's"
    assert 64 * 36 == 2304 and bl.Conv2d(1, 1, 3, bias=False).W.data.size == 9


# The notebook's training cell, run as the notebook runs it: its setup cell gives numpy's BLAS
# one thread before numpy is imported, which only a fresh process can do (on a busy machine a
# multi-threaded BLAS makes these small products many times slower).
TRAIN = """
import json
import backprop_lib as bl
from backprop_lib.data import load_digits, train_test_split
X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0)
cnn, mlp = bl.small_cnn(rng=0), bl.mlp([64, 64, 10], activation="relu", rng=0)
accuracies = []
for model in (cnn, mlp):
    opt = bl.Adam(model.parameters(), lr=3e-3)
    bl.fit(model, bl.CrossEntropyLoss(), opt, X_train, y_train, epochs=20, batch_size=64,
           rng=0, record_health=False)
    accuracies.append(bl.accuracy(model, X_test, y_test))
print(json.dumps(accuracies))
"""


def test_both_land_near_97_percent():
    done = subprocess.run([sys.executable, "-c", TRAIN], capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    cnn, mlp = accuracies = json.loads(done.stdout)
    assert 0.955 <= cnn <= 0.985 and 0.955 <= mlp <= 0.985, accuracies  # "near 97%"
    assert abs(cnn - mlp) <= 0.015, accuracies  # "gets as far as the MLP"


def test_the_zero_digit_and_its_edges():
    # section 1: the edge kernel's map is positive on the right edges of the zero's strokes
    digit = X[0].reshape(8, 8)
    assert Y[0] == 0
    conv = bl.Conv2d(1, 1, 3, bias=False)
    conv.W.data[...] = np.array([[1.0, 0.0, -1.0]] * 3) / 3
    out = conv(digit[None, None])[0, 0]
    assert out.shape == (6, 6)
    assert (out[:, 0] < 0).all()  # left edge of the left stroke: orange
    assert (out[1:5, -1] > 0).all()  # right edge of the right stroke: purple
