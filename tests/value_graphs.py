"""Small Value graphs shared by the tests of autograd's tracing, drawing and step-through."""

from backprop_lib import Value


def tanh_neuron(backward: bool = False):
    """micrograd's neuron o = tanh(x1*w1 + x2*w2 + b), with b chosen so that o = 1/sqrt(2).

    Returns (o, (x1, x2, w1, w2, b)); with ``backward=True``, ``o.backward()`` has run.
    """
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return o, (x1, x2, w1, w2, b)
