"""Divergence and rollback in the solvers (skbpnet._solvers), seen from the estimators.

Training that diverges warns or raises, never leaves nan or inf weights, and a
diverging continuation (warm_start, partial_fit) keeps the state from before
the call.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from skbpnet import BPNetClassifier, BPNetRegressor, DivergenceWarning

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [BPNetClassifier, BPNetRegressor]
BOTH = pytest.mark.parametrize("cls", ESTIMATORS, ids=["clf", "reg"])


from tests._estimator_helpers import make_data, small, snapshot  # noqa: E402


# -- divergence ---------------------------------------------------------------------------
# Overflow on the way to inf is expected here; the DivergenceWarning reports it.
DIVERGES = pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:invalid value encountered:RuntimeWarning",
)

def _unscaled_regression():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    return X * 10, y


@pytest.mark.parametrize("learning_rate_init", [1e3, 1e6, 1.0])
@DIVERGES
def test_divergence_warns_or_raises_naming_learning_rate_init(learning_rate_init):
    X, y = _unscaled_regression()
    est = BPNetRegressor(hidden_layer_sizes=(8,), solver="sgd",
                         learning_rate_init=learning_rate_init,
                         batch_size=50, max_iter=50, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            raised = str(exc)
        else:
            raised = None
    diverged = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    if raised is not None:
        assert "learning_rate_init" in raised and "No epoch finished" in raised
        assert not diverged
        assert not hasattr(est, "coefs_")  # nothing was committed
        return
    assert len(diverged) == 1 and "learning_rate_init" in diverged[0]
    assert 1 <= est.n_iter_ < 50
    assert len(est.loss_curve_) == est.n_iter_
    assert np.isfinite(est.loss_curve_).all()
    for a in est.coefs_ + est.intercepts_:
        assert np.isfinite(a).all()
    assert np.isfinite(est.predict(X)).all()
    assert f"epoch {est.n_iter_}" in diverged[0]


@DIVERGES
def test_divergence_in_the_first_epoch_raises():
    X, y = _unscaled_regression()
    est = BPNetRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e3,
                         batch_size=50,
                         random_state=0)
    with pytest.raises(ValueError, match=r"learning_rate_init \(now 1000.0\)"):
        est.fit(X, y)
    assert not hasattr(est, "n_features_in_")


@DIVERGES
def test_divergence_after_some_epochs_warns_and_keeps_last_finite_epoch():
    X, y = _unscaled_regression()
    params = {"solver": "sgd", "learning_rate_init": 1.0, "batch_size": 50,
              "random_state": 0}
    with pytest.warns(DivergenceWarning, match="learning_rate_init") as record:
        est = BPNetRegressor(hidden_layer_sizes=(8,), max_iter=50, **params).fit(X, y)
    assert est.n_iter_ >= 1
    kept = BPNetRegressor(hidden_layer_sizes=(8,), max_iter=est.n_iter_, **params).fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, kept.coefs_ + kept.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert f"epoch {est.n_iter_}" in str(record[0].message)


@DIVERGES
@BOTH
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_diverging_continuation_keeps_the_state_before_the_call(cls, how):
    X, y = make_data(cls)
    est = small(cls, solver="sgd", batch_size=20, max_iter=5).fit(X, y)
    before = snapshot(est, X)
    huge = X * 1e150  # finite, but the activations overflow
    with pytest.warns(DivergenceWarning, match="state it had before this call"):
        if how == "partial_fit":
            est.partial_fit(huge, y)
        else:
            est.set_params(warm_start=True).fit(huge, y)
    for a in est.coefs_ + est.intercepts_:
        assert np.isfinite(a).all()
    np.testing.assert_array_equal(est.predict(X), before["predict"])
    for a, b in zip(est.coefs_ + est.intercepts_, before["params"]):
        np.testing.assert_array_equal(a, b)
    assert est.loss_curve_ == before["loss_curve_"]
    assert est.n_iter_ == 0
    # ... and training goes on from there as if the call had not happened.
    twin = small(cls, solver="sgd", batch_size=20, max_iter=5).fit(X, y)
    if how == "partial_fit":
        est.partial_fit(X, y)
        twin.partial_fit(X, y)
    else:
        est.fit(X, y)
        twin.set_params(warm_start=True).fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, twin.coefs_ + twin.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=0)
