"""The backprop core alone (no estimator) learns small problems.

Each test writes its own training loop: Sequential + loss + optimizer, the
way the package docstring of :mod:`skbpnet.nn` shows it.
"""

import time

import numpy as np
import pytest
from sklearn.datasets import make_moons

from skbpnet.nn import (
    SGD,
    Adam,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    SigmoidBinaryCrossEntropyLoss,
    SoftmaxCrossEntropyLoss,
    Tanh,
)

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def train(net, loss, opt, X, y, *, epochs, batch_size=None, l2=0.0, seed=0):
    """Minibatch training; returns the list of epoch-mean losses."""
    net.train()
    net.input_grad = False  # nobody needs dL/dX when training
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    batch_size = batch_size or n
    k = net.n_penalized
    params = [net.param_vector[:k], net.param_vector[k:]]
    grads = [net.grad_vector[:k], net.grad_vector[k:]]
    history = []
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            total += loss.forward(net.forward(X[idx]), y[idx]) * len(idx)
            net.backward(loss.backward())
            opt.step(params, grads, l2=[l2, 0.0])
        history.append(total / n)
    return history


def accuracy(net, X, y):
    net.eval()
    scores = net.forward(X)
    net.train()
    if scores.shape[1] == 1:
        return float(np.mean((scores[:, 0] > 0) == y))
    return float(np.mean(scores.argmax(axis=1) == y))


@pytest.mark.parametrize(
    "make_opt",
    [lambda: Adam(learning_rate=0.05), lambda: SGD(learning_rate=0.2, momentum=0.9)],
    ids=["adam", "sgd-momentum"],
)
def test_xor_softmax(make_opt):
    net = Sequential(Linear(2, 8, init="glorot", random_state=0), Tanh(), Linear(8, 2, init="glorot", random_state=1))
    history = train(net, SoftmaxCrossEntropyLoss(), make_opt(), XOR_X, XOR_Y, epochs=500)
    assert accuracy(net, XOR_X, XOR_Y) == 1.0
    assert history[-1] < 0.05 < history[0]


def test_xor_sigmoid_single_output():
    net = Sequential(Linear(2, 8, init="glorot", random_state=2), Tanh(), Linear(8, 1, init="glorot", random_state=3))
    history = train(
        net, SigmoidBinaryCrossEntropyLoss(), Adam(learning_rate=0.05), XOR_X, XOR_Y.reshape(-1, 1), epochs=500
    )
    assert accuracy(net, XOR_X, XOR_Y) == 1.0
    assert history[-1] < 0.05


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda: Adam(learning_rate=0.01),
        lambda: SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    ],
    ids=["adam", "sgd-nesterov"],
)
def test_moons(make_opt):
    X, y = make_moons(n_samples=500, noise=0.2, random_state=0)
    net = Sequential(
        Linear(2, 32, random_state=0),
        ReLU(),
        Linear(32, 32, random_state=1),
        ReLU(),
        Linear(32, 2, random_state=2),
    )
    start = time.perf_counter()
    history = train(net, SoftmaxCrossEntropyLoss(), make_opt(), X, y, epochs=60, batch_size=32, l2=1e-4)
    elapsed = time.perf_counter() - start
    acc = accuracy(net, X, y)
    assert acc > 0.95, acc
    assert history[-1] < 0.5 * history[0]
    assert elapsed < 5.0  # generous: the whole run is a fraction of a second


def test_regression_mse():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(200, 1))
    y = np.sin(X)
    net = Sequential(Linear(1, 32, init="glorot", random_state=0), Tanh(), Linear(32, 1, init="glorot", random_state=1))
    loss = MSELoss()
    history = train(net, loss, Adam(learning_rate=0.01), X, y, epochs=300, batch_size=50)
    net.eval()
    final = loss.forward(net.forward(X), y)
    assert final < 5e-3, final  # variance of sin on [-3, 3] is ~0.5; half squared error
    assert history[-1] < 0.05 * history[0]


def test_float32_network_learns_moons():
    X, y = make_moons(n_samples=500, noise=0.2, random_state=0)
    X = X.astype(np.float32)
    net = Sequential(
        Linear(2, 32, dtype=np.float32, random_state=0),
        ReLU(),
        Linear(32, 2, dtype=np.float32, random_state=1),
    )
    train(net, SoftmaxCrossEntropyLoss(), Adam(learning_rate=0.01), X, y, epochs=60, batch_size=32)
    assert net.param_vector.dtype == np.float32
    assert accuracy(net, X, y) > 0.95
