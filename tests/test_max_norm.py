"""max_norm: the max-norm constraint on every unit's incoming weights, after each update."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor
from tests._estimator_helpers import assert_same_params, make_data, small

ESTIMATORS = pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor],
                                     ids=["clf", "reg"])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64])
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

C = 0.6  # small enough to bind on these problems with a large learning rate
FIT = dict(hidden_layer_sizes=(16, 8), solver="sgd", learning_rate_init=0.2, max_iter=15)


def _column_norms(est):
    return [np.linalg.norm(w.astype(np.float64), axis=0) for w in est.coefs_]


@ESTIMATORS
@DTYPES
def test_every_column_norm_is_within_the_limit_after_fit(cls, dtype):
    X, y = make_data(cls, dtype=dtype)
    free = small(cls, **FIT).fit(X, y)
    # Without the constraint, some column of every layer grows beyond C: the
    # constraint below has something to do in each layer.
    assert all(n.max() > C for n in _column_norms(free))
    est = small(cls, max_norm=C, **FIT).fit(X, y)
    assert est.coefs_[0].dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for norms in _column_norms(est):
        assert norms.max() <= C * (1 + tol), norms
    # Many columns sit on the limit: they were scaled back to it.
    at_limit = np.concatenate(_column_norms(est))
    assert np.sum(np.isclose(at_limit, C, rtol=tol)) >= 3


@ESTIMATORS
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_limit_that_never_binds_changes_nothing(cls, solver):
    X, y = make_data(cls)
    a = small(cls, solver=solver, dropout=0.1).fit(X, y)
    b = small(cls, solver=solver, dropout=0.1, max_norm=1e6).fit(X, y)
    assert_same_params(a, b)
    assert a.loss_curve_ == b.loss_curve_


@ESTIMATORS
def test_partial_fit_and_warm_start_apply_it_too(cls):
    X, y = make_data(cls)
    kw = {"classes": np.unique(y)} if cls is BPNetClassifier else {}
    est = small(cls, solver="sgd", learning_rate_init=0.2, max_norm=C)
    est.partial_fit(X, y, **kw)
    assert max(n.max() for n in _column_norms(est)) <= C * (1 + 1e-12)
    # A limit set between calls applies from the next update on.
    est = small(cls, **FIT).fit(X, y)
    est.set_params(warm_start=True, max_iter=1, max_norm=C / 2).fit(X, y)
    assert max(n.max() for n in _column_norms(est)) <= C / 2 * (1 + 1e-12)


@pytest.mark.parametrize("bad", [0, 0.0, -3.0, np.nan, np.inf, "3", True, [3.0]])
@ESTIMATORS
def test_bad_values_are_refused_with_the_parameter_named(cls, bad):
    X, y = make_data(cls)
    with pytest.raises(ValueError, match=r"The 'max_norm' parameter of BPNet\w+ must be None "
                                         r"or a positive, finite number; got .*Pass None"):
        small(cls, max_norm=bad).fit(X, y)


@ESTIMATORS
def test_lbfgs_refuses_it(cls):
    X, y = make_data(cls)
    with pytest.raises(ValueError, match=r"cannot combine solver='lbfgs' with max_norm=3.0.*"
                                         r"solver='adam' or 'sgd', or max_norm=None"):
        small(cls, solver="lbfgs", max_norm=3.0).fit(X, y)
    small(cls, solver="lbfgs", max_norm=None).fit(X, y)  # None is the default and fine


@pytest.mark.parametrize("how", ["safe", "joblib"])
def test_it_round_trips_through_the_model_files(how, tmp_path):
    X, y = make_data(BPNetClassifier, dtype=np.float32)
    est = small(BPNetClassifier, max_norm=C, **FIT).fit(X, y)
    path = tmp_path / f"model.{how}"
    if how == "safe":
        skbpnet.save(est, path)
        loaded = skbpnet.load(path)
    else:
        import joblib

        joblib.dump(est, path)
        loaded = joblib.load(path)
    assert loaded.max_norm == C
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # Training on continues under the same constraint, identically.
    for e in (est, loaded):
        e.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert_same_params(est, loaded)
    assert max(n.max() for n in _column_norms(loaded)) <= C * (1 + 1e-5)


def test_an_old_pickle_without_it_takes_the_default():
    X, y = make_data(BPNetClassifier)
    est = small(BPNetClassifier).fit(X, y)
    state = est.__getstate__()
    del state["max_norm"]  # as in a pickle written before max_norm existed
    old = BPNetClassifier.__new__(BPNetClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: nothing to warn about
        old.__setstate__(state)
    assert old.max_norm is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        old.set_params(warm_start=True, max_iter=1).fit(X, y)  # and trains on
