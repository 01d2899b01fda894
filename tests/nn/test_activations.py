"""Activations: the registry of names, numerical stability."""

import numpy as np

from skbpnet.nn import ACTIVATIONS, ReLU, Sigmoid


def test_activation_registry():
    assert ACTIVATIONS["logistic"] is Sigmoid
    assert ACTIVATIONS["relu"] is ReLU
    assert set(ACTIVATIONS) == {"identity", "logistic", "tanh", "relu", "leaky_relu", "gelu"}


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = Sigmoid().forward(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    np.testing.assert_array_equal(out[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(out))
