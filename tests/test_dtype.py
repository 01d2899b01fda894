"""The dtype hyperparameter: float32 on request, converted once."""

import warnings

import numpy as np
import pytest

from skbpnet import BPNetClassifier, BPNetRegressor
from tests._estimator_helpers import make_data


@pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor])
@pytest.mark.parametrize("dtype, X_dtype, expected", [
    (None, np.float64, np.float64), (None, np.float32, np.float32),
    ("float32", np.float64, np.float32), ("float64", np.float32, np.float64),
])
def test_dtype_sets_the_precision_of_the_network(cls, dtype, X_dtype, expected):
    X, y = make_data(cls, dtype=X_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(hidden_layer_sizes=(5,), max_iter=3, random_state=0, dtype=dtype).fit(X, y)
    assert est._net.dtype == expected
    assert all(w.dtype == expected for w in est.coefs_)
    out = est.predict_proba(X) if cls is BPNetClassifier else est.predict(X)
    assert out.dtype == expected


def test_float32_on_request_equals_training_on_float32_data():
    X, y = make_data(BPNetClassifier)
    kwargs = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = BPNetClassifier(dtype="float32", **kwargs).fit(X, y)
        b = BPNetClassifier(**kwargs).fit(X.astype(np.float32), y)
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)


def test_a_continued_fit_keeps_the_dtype_of_the_network():
    X, y = make_data(BPNetClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = BPNetClassifier(hidden_layer_sizes=(5,), max_iter=2, dtype="float32").fit(X, y)
        est.set_params(dtype="float64", warm_start=True).fit(X, y)
    assert est._net.dtype == np.float32


@pytest.mark.parametrize("bad", ["float16", np.float32, "half"])
def test_dtype_is_validated(bad):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="'dtype'"):
        BPNetClassifier(dtype=bad).fit(X, y)
