"""input_dropout: inverted dropout on the input features."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits

from skbpnet import BPNetClassifier, BPNetRegressor, nn


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16)[:400], y[:400]


def test_builds_a_dropout_before_the_first_layer(digits):
    X, y = digits
    clf = BPNetClassifier(hidden_layer_sizes=(16,), input_dropout=0.2, max_iter=30,
                          learning_rate_init=0.01, random_state=0).fit(X, y)
    first = clf._net.layers[0]
    assert isinstance(first, nn.Dropout) and first.p == 0.2
    assert clf.score(X, y) > 0.9
    # prediction is deterministic: dropout is off outside training
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    plain = BPNetClassifier(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01,
                            random_state=0).fit(X, y)
    assert not np.array_equal(plain.coefs_[0], clf.coefs_[0])


def test_integer_weights_equal_repeated_samples(digits):
    # Keyed masks: a sample's mask depends on its values, not its batch, so a
    # weight of k is k copies (full batches, as in scikit-learn's check).
    X, y = digits[0][:60], digits[1][:60]
    sw = np.random.default_rng(0).integers(0, 3, size=len(y))
    kw = dict(hidden_layer_sizes=(8,), input_dropout=0.3, max_iter=10, batch_size=500,
              random_state=0, shuffle=False)
    a = BPNetClassifier(**kw).fit(X, y, sample_weight=sw)
    b = BPNetClassifier(**kw).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-7, atol=1e-12)


def test_sparse_input(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(8,), input_dropout=0.2, max_iter=5, random_state=0)
    dense = BPNetRegressor(**kw).fit(X, y.astype(float))
    sparse = BPNetRegressor(**kw).fit(sp.csr_matrix(X), y.astype(float))
    np.testing.assert_allclose(dense.predict(X), sparse.predict(sp.csr_matrix(X)),
                               rtol=1e-6, atol=1e-9)


def test_refused_with_lbfgs_and_out_of_range(digits):
    X, y = digits
    with pytest.raises(ValueError, match="input_dropout"):
        BPNetClassifier(solver="lbfgs", input_dropout=0.1).fit(X, y)
    with pytest.raises(ValueError, match="input_dropout"):
        BPNetClassifier(input_dropout=1.0).fit(X, y)


def test_warm_start_refuses_a_changed_input_dropout(digits):
    X, y = digits
    clf = BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="input_dropout"):
        clf.set_params(warm_start=True, input_dropout=0.2).fit(X, y)
