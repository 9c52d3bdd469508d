"""Code a learner might write, for the tests that check the library accepts it."""


class MySGD:
    """A hand-written optimizer: any object with step, zero_grad and lr."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0.0

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad
