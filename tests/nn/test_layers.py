"""Layers (Linear, Dropout): dropout masks, sparse input, constructor validation."""

import numpy as np
import pytest
import scipy.sparse as sp

from skbpnet.nn import SGD, Adam, Dropout, LeakyReLU, Linear


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------


def test_dropout_is_identity_in_eval_mode():
    X = np.random.default_rng(0).normal(size=(10, 7))
    drop = Dropout(0.5, random_state=0).eval()
    out = drop.forward(X)
    np.testing.assert_array_equal(out, X)
    dY = np.ones_like(X)
    np.testing.assert_array_equal(drop.backward(dY), dY)
    np.testing.assert_array_equal(Dropout(0.0).forward(X), X)  # p = 0 too, in training


def test_dropout_keeps_the_mean_in_training():
    p = 0.3
    drop = Dropout(p, random_state=0)
    X = np.ones((2000, 50))
    out = drop.forward(X)
    dropped = out == 0
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(out[~dropped], 1.0 / (1.0 - p), rtol=1e-15)
    assert abs(out.mean() - 1.0) < 0.02
    # a fresh mask each call
    first = dropped.copy()
    assert np.any((drop.forward(X) == 0) != first)


def test_dropout_float32():
    drop = Dropout(0.5, random_state=0)
    X = np.ones((100, 10), dtype=np.float32)
    out = drop.forward(X)
    assert out.dtype == np.float32
    assert drop.backward(np.ones_like(X)).dtype == np.float32
    assert set(np.unique(out).tolist()) == {0.0, 2.0}


def test_dropout_same_seed_same_mask():
    X = np.ones((20, 20))
    a = Dropout(0.5, random_state=3).forward(X).copy()
    b = Dropout(0.5, random_state=3).forward(X).copy()
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------
# Sparse input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csr_matrix", "csr_array"])
def test_linear_sparse_input_matches_dense(fmt):
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(8, 6)) * (rng.random((8, 6)) < 0.3)
    X = getattr(sp, fmt)(dense)
    dY = rng.normal(size=(8, 4))

    a, b = Linear(6, 4, random_state=0), Linear(6, 4, random_state=0)
    a.bias[...] = b.bias[...] = rng.normal(size=4)
    out_sparse = a.forward(X).copy()
    out_dense = b.forward(dense).copy()
    assert isinstance(out_sparse, np.ndarray)
    np.testing.assert_allclose(out_sparse, out_dense, rtol=1e-13, atol=1e-15)
    dX_sparse = a.backward(dY)
    dX_dense = b.backward(dY)
    assert isinstance(a.grad_weight, np.ndarray)
    np.testing.assert_allclose(a.grad_weight, b.grad_weight, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a.grad_bias, b.grad_bias, rtol=1e-13)
    np.testing.assert_allclose(dX_sparse, dX_dense, rtol=1e-13)



# --------------------------------------------------------------------------
# Constructor validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Linear(0, 3),
        lambda: Linear(3, 0),
        lambda: Linear(-2, 3),
        lambda: Linear(2.5, 3),
        lambda: Linear(3, 2, dtype=np.int64),
        lambda: Linear(3, 2, dtype=np.float16),
        lambda: Linear(3, 2, init="zeros"),
        lambda: Linear(3, 2, random_state="seed"),
        lambda: Dropout(1.0),
        lambda: Dropout(-0.1),
        lambda: LeakyReLU(1.0),
        lambda: LeakyReLU(-0.5),
        lambda: SGD(momentum=1.5),  # 1.0 is allowed, as in MLPClassifier (issue 22)
        lambda: SGD(momentum=-0.1),
        lambda: SGD(learning_rate=-0.1),
        lambda: SGD(learning_rate=0.0),
        lambda: SGD(learning_rate=float("nan")),
        lambda: SGD(learning_rate="0.1"),
        lambda: Adam(beta_1=1.0),
        lambda: Adam(beta_2=1.0),
        lambda: Adam(beta_1=-0.1),
        lambda: Adam(epsilon=0.0),
        lambda: Adam(learning_rate=-1e-3),
    ],
)
def test_invalid_constructor_arguments(make):
    with pytest.raises(ValueError):
        make()


def test_valid_edge_arguments():
    Linear(1, 1)
    Dropout(0.0)
    SGD(momentum=0.0)
    Adam(beta_1=0.0, beta_2=0.0)
    LeakyReLU(0.0)
