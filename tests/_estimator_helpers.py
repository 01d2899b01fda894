"""Small data, small estimators and state comparisons shared by the estimator test modules."""

import numpy as np
from sklearn.datasets import make_classification, make_regression

from skbpnet import BPNetClassifier


def make_data(cls, n=120, d=6, seed=0, dtype=None):
    """A small, learnable problem for ``cls``: standardised regression targets."""
    if cls is BPNetClassifier:
        X, y = make_classification(
            n_samples=n, n_features=d, n_informative=4, n_redundant=0, random_state=seed
        )
    else:
        X, y = make_regression(
            n_samples=n, n_features=d, n_informative=4, noise=0.1, random_state=seed
        )
        y = (y - y.mean()) / y.std()
    return (X if dtype is None else X.astype(dtype)), y


def small(cls, **params):
    """An estimator with a small network that trains in milliseconds."""
    base = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0,
            "learning_rate_init": 0.01}
    base.update(params)
    return cls(**base)


def params_of(est):
    """Copies of all weights and biases, in order."""
    return [np.array(a, copy=True) for a in est.coefs_ + est.intercepts_]


def assert_same_params(a, b):
    pa, pb = params_of(a), params_of(b)
    assert len(pa) == len(pb)
    for x, y in zip(pa, pb):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def snapshot(est, X):
    """Everything a failed call must leave as it was, as comparable values."""
    state = {
        "params": [np.array(a, copy=True) for a in est.coefs_ + est.intercepts_],
        "n_features_in_": est.n_features_in_,
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "loss_curve_": list(est.loss_curve_),
        "n_outputs_": est.n_outputs_,
        "has_feature_names": hasattr(est, "feature_names_in_"),
        "predict": est.predict(X),
    }
    if hasattr(est, "classes_"):
        state["classes_"] = np.array(est.classes_, copy=True)
        state["proba"] = est.predict_proba(X)
    return state


def assert_unchanged(est, X, before):
    after = snapshot(est, X)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if key == "params":
            assert len(after[key]) == len(value)
            for a, b in zip(after[key], value):
                np.testing.assert_array_equal(a, b)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value)
        else:
            assert after[key] == value, key
    for a in est.coefs_ + est.intercepts_:  # still views of the flat buffer
        assert np.shares_memory(a, est._net.param_vector)
