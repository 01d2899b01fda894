"""What BPNetClassifier and BPNetRegressor do with bad input, and after failures.

Every error names its cause; a fit that fails leaves a fitted estimator as it
was; a second fit of an estimator being fitted is refused. Divergence and
rollback are in ``tests/solvers/test_divergence.py``; the early-stopping split
in ``tests/solvers/test_validation.py``; fits too large to run in
``tests/test_memory_guard.py``.
"""

import copy
import pickle
import re
import threading

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skbpnet import BPNetClassifier, BPNetRegressor
from skbpnet._guard import ConcurrentFitError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [BPNetClassifier, BPNetRegressor]
BOTH = pytest.mark.parametrize("cls", ESTIMATORS, ids=["clf", "reg"])


from tests._estimator_helpers import assert_unchanged, make_data, small, snapshot  # noqa: E402


# -- bad data ------------------------------------------------------------------------
@BOTH
@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (np.inf, "infinity"),
                                          (-np.inf, "infinity")])
def test_non_finite_X_is_rejected(cls, bad, message):
    X, y = make_data(cls)
    X_bad = X.copy()
    X_bad[3, 2] = bad
    with pytest.raises(ValueError, match=message):
        small(cls).fit(X_bad, y)
    est = small(cls).fit(X, y)
    with pytest.raises(ValueError, match=message):
        est.predict(X_bad)


@BOTH
def test_non_finite_y_is_rejected(cls):
    X, y = make_data(cls)
    y = y.astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small(cls).fit(X, y)


@BOTH
def test_wrong_number_of_features_at_predict(cls):
    X, y = make_data(cls)
    est = small(cls).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 5 features.*expecting 6 features"):
        est.predict(X[:, :5])
    if cls is BPNetClassifier:
        with pytest.raises(ValueError, match="features"):
            est.predict_proba(np.hstack([X, X]))


def test_single_class_is_fitted_and_predicted_as_mlp_classifier_does():
    from sklearn.neural_network import MLPClassifier

    X, _ = make_data(BPNetClassifier)
    y = np.full(len(X), "spam")
    ours = small(BPNetClassifier).fit(X, y)
    theirs = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        theirs.fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.n_outputs_ == theirs.n_outputs_ == 1
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape == (len(X), 2)
    assert ours.score(X, y) == 1.0


def test_continuous_target_is_rejected_by_the_classifier():
    X, y = make_data(BPNetRegressor)
    with pytest.raises(ValueError, match="continuous"):
        small(BPNetClassifier).fit(X, y)


@BOTH
def test_X_and_y_of_different_lengths(cls):
    X, y = make_data(cls)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small(cls).fit(X, y[:-1])


@BOTH
@pytest.mark.parametrize(
    "weights, message",
    [
        (lambda n: np.r_[-1.0, np.ones(n - 1)], r"Negative values.*sample_weight"),
        (lambda n: np.zeros(n), r"(?i)sample.?weights?.*(sums to zero|non-zero)"),
        (lambda n: np.ones(n - 1), r"sample_weight"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], r"NaN"),
    ],
    ids=["negative", "all-zero", "wrong-length", "nan"],
)
def test_bad_sample_weight(cls, weights, message):
    X, y = make_data(cls)
    with pytest.raises(ValueError, match=message):
        small(cls).fit(X, y, sample_weight=weights(len(X)))


def test_class_weight_zeroing_every_sample():
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="zero weight"):
        small(BPNetClassifier, class_weight={0: 0, 1: 0}).fit(X, y)


@BOTH
def test_batch_size_larger_than_data_warns(cls):
    X, y = make_data(cls, n=50)
    with pytest.warns(UserWarning, match="batch_size=500"):
        est = small(cls, batch_size=500, max_iter=2).fit(X, y)
    assert est.t_ == 100


@BOTH
def test_unfitted_estimator(cls):
    X, _ = make_data(cls)
    est = small(cls)
    methods = ["predict", "score"] + (
        ["predict_proba", "predict_log_proba", "decision_function"]
        if cls is BPNetClassifier else []
    )
    for name in methods:
        args = (X, np.zeros(len(X))) if name == "score" else (X,)
        with pytest.raises(NotFittedError):
            getattr(est, name)(*args)
    assert not hasattr(est, "coefs_") and not hasattr(est, "intercepts_")


# -- bad hyperparameters ----------------------------------------------------------------
INVALID = [
    ("hidden_layer_sizes", 0),
    ("hidden_layer_sizes", (10, 0)),
    ("hidden_layer_sizes", (10, 2.5)),
    ("hidden_layer_sizes", "ten"),
    ("hidden_layer_sizes", None),
    ("activation", "foo"),
    ("solver", "foo"),
    ("alpha", -1),
    ("alpha", np.nan),
    ("batch_size", 0),
    ("batch_size", "big"),
    ("learning_rate", "foo"),
    ("learning_rate_init", 0),
    ("learning_rate_init", -0.1),
    ("power_t", -1),
    ("max_iter", 0),
    ("max_iter", 2.5),
    ("shuffle", "yes"),
    ("tol", -1),
    ("verbose", "loud"),
    ("warm_start", 1),
    ("momentum", 1.5),
    ("momentum", -0.1),
    ("nesterovs_momentum", None),
    ("early_stopping", "yes"),
    ("validation_fraction", 1.0),
    ("beta_1", 1),
    ("beta_2", -0.1),
    ("epsilon", 0),
    ("n_iter_no_change", 0),
    ("n_iter_no_change", 1.5),
    ("max_fun", 0),
    ("dropout", 1.0),
    ("dropout", -0.5),
    ("callbacks", "print"),
    ("callbacks", [1]),
]


@BOTH
@pytest.mark.parametrize("name, value", INVALID, ids=[f"{n}={v!r}" for n, v in INVALID])
def test_invalid_hyperparameter_is_named(cls, name, value):
    X, y = make_data(cls)
    est = small(cls, **{name: value})  # no error before fit, as in scikit-learn
    assert est.get_params()[name] is value
    with pytest.raises(ValueError, match=re.escape(f"'{name}'")):
        est.fit(X, y)


@pytest.mark.parametrize("value", ["foo", ["balanced"], 1.0])
def test_invalid_class_weight_is_named(value):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="'class_weight'"):
        small(BPNetClassifier, class_weight=value).fit(X, y)


@BOTH
def test_invalid_hyperparameter_is_reported_by_partial_fit_too(cls):
    X, y = make_data(cls)
    extra = {"classes": [0, 1]} if cls is BPNetClassifier else {}
    with pytest.raises(ValueError, match="'alpha'"):
        small(cls, alpha=-1).partial_fit(X, y, **extra)


@BOTH
def test_lbfgs_with_dropout_is_refused(cls):
    X, y = make_data(cls)
    with pytest.raises(ValueError, match=r"lbfgs.*dropout"):
        small(cls, solver="lbfgs", dropout=0.5).fit(X, y)


@BOTH
def test_valid_edge_values_are_accepted(cls):
    X, y = make_data(cls)
    for params in ({"n_iter_no_change": np.inf}, {"hidden_layer_sizes": ()},
                   {"hidden_layer_sizes": 3}, {"hidden_layer_sizes": [4, 3]}, {"alpha": 0},
                   {"momentum": 0}, {"tol": 0}, {"batch_size": 1, "max_iter": 1},
                   {"verbose": 0}, {"dropout": 0.0}, {"callbacks": []}):
        est = small(cls, **params).fit(X, y)
        assert est.n_iter_ >= 1
    assert small(cls, hidden_layer_sizes=()).fit(X, y).n_layers_ == 2
    assert len(small(cls, hidden_layer_sizes=[4, 3]).fit(X, y).coefs_) == 3


# -- partial_fit ------------------------------------------------------------------------
def test_partial_fit_needs_classes_on_the_first_call():
    X, y = make_data(BPNetClassifier)
    clf = small(BPNetClassifier)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "n_features_in_")
    clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 1


def test_partial_fit_label_outside_classes_is_named():
    X, y = make_data(BPNetClassifier)
    labels = np.array(["ant", "bee"], dtype=object)[y]
    labels[7] = "zebra"
    clf = small(BPNetClassifier)
    with pytest.raises(ValueError, match="zebra"):
        clf.partial_fit(X, labels, classes=["ant", "bee"])
    assert not hasattr(clf, "coefs_")
    clf.partial_fit(X[labels != "zebra"], labels[labels != "zebra"], classes=["ant", "bee"])
    before = snapshot(clf, X)
    with pytest.raises(ValueError, match="zebra"):
        clf.partial_fit(X, labels)
    assert_unchanged(clf, X, before)


@BOTH
def test_partial_fit_is_not_available_with_lbfgs(cls):
    X, y = make_data(cls)
    est = small(cls, solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as excinfo:
        est.partial_fit(X, y)
    assert "lbfgs" in str(excinfo.value)  # the reason, in the error itself
    assert hasattr(est.set_params(solver="sgd"), "partial_fit")
    assert hasattr(small(cls, solver="adam"), "partial_fit")


def test_partial_fit_refuses_balanced_class_weight():
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="balanced"):
        small(BPNetClassifier, class_weight="balanced").partial_fit(X, y, classes=[0, 1])


@BOTH
def test_partial_fit_with_other_feature_count_or_outputs_is_refused(cls):
    X, y = make_data(cls)
    extra = {"classes": [0, 1]} if cls is BPNetClassifier else {}
    est = small(cls).partial_fit(X, y, **extra)
    before = snapshot(est, X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :4], y)
    y2 = np.c_[y, y] if cls is BPNetRegressor else np.c_[y, 1 - y]  # 2 outputs / labels
    with pytest.raises(ValueError):
        est.partial_fit(X, y2)
    assert_unchanged(est, X, before)


# -- a failed fit changes nothing -------------------------------------------------------
def _failures(cls, X, y):
    """(name, set_params, X, y) of calls to fit that must fail."""
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    X_wide = np.hstack([X, X])
    bad_y = np.linspace(0.5, 1.5, len(X)) if cls is BPNetClassifier else np.r_[np.nan, y[1:]]
    return [
        ("nan-in-X", {}, X_nan, y),
        ("wider-X-and-short-y", {}, X_wide, y[:-3]),
        ("wider-X-and-bad-y", {}, X_wide, bad_y),
        ("bad-hyperparameter", {"alpha": -1}, X_wide, y),
        ("warm-start-other-architecture", {"warm_start": True, "hidden_layer_sizes": (5,)}, X, y),
        ("warm-start-wider-X", {"warm_start": True}, X_wide, y),
    ]


@BOTH
@pytest.mark.parametrize("case", range(6), ids=[name for name, *_ in _failures(
    BPNetRegressor, np.zeros((4, 2)), np.zeros(4))])
def test_failed_fit_leaves_fitted_state_unchanged(cls, case):
    X, y = make_data(cls)
    name, params, X_bad, y_bad = _failures(cls, X, y)[case]
    est = small(cls).fit(X, y)
    before = snapshot(est, X)
    est.set_params(**params)
    with pytest.raises(ValueError):
        est.fit(X_bad, y_bad)
    assert_unchanged(est, X, before)


def test_failed_warm_start_with_new_classes_leaves_state_unchanged():
    X, y = make_data(BPNetClassifier)
    clf = small(BPNetClassifier).fit(X, y)
    before = snapshot(clf, X)
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X, np.where(y == 1, 2, 0))
    assert_unchanged(clf, X, before)


def test_failed_fit_with_dataframe_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = make_data(BPNetClassifier)
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    clf = small(BPNetClassifier).fit(df, y)
    with pytest.raises(ValueError):
        clf.fit(np.hstack([X, X]), y[:-1])
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    assert clf.n_features_in_ == X.shape[1]


@BOTH
@pytest.mark.parametrize("warm_start", [False, True], ids=["refit", "warm-start"])
def test_exception_during_training_leaves_state_unchanged(cls, warm_start):
    # A callback raising in epoch 2 aborts a call that has already trained an epoch.
    X, y = make_data(cls)
    params = {"shuffle": True, "solver": "sgd", "max_iter": 3, "batch_size": 20}
    est = small(cls, **params).fit(X, y)
    twin = small(cls, **params).fit(X, y)
    before = snapshot(est, X)

    def fail(info):
        if info["epoch"] >= 2 + (3 if warm_start else 0):
            raise RuntimeError("callback failed")

    est.set_params(warm_start=warm_start, callbacks=[fail])
    with pytest.raises(RuntimeError, match="callback failed"):
        est.fit(X, y)
    assert_unchanged(est, X, before)
    # Continuing afterwards gives what it gives without the failed call: the
    # optimizer state, the schedule and the shuffling generator are unchanged too.
    est.set_params(warm_start=True, callbacks=None).fit(X, y)
    twin.set_params(warm_start=True).fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, twin.coefs_ + twin.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert est.t_ == twin.t_


def test_failed_first_fit_leaves_estimator_unfitted():
    X, y = make_data(BPNetClassifier)
    clf = small(BPNetClassifier)
    with pytest.raises(ValueError):
        clf.fit(X, y[:-1])
    assert not hasattr(clf, "n_features_in_") and not hasattr(clf, "classes_")
    with pytest.raises(NotFittedError):
        clf.predict(X)


# -- one fit at a time ------------------------------------------------------------------
def _fit_in_a_thread(method, *args, **kwargs):
    """Run ``method(*args, **kwargs)`` in another thread, wait for it; its exception or None."""
    outcome = []

    def run():
        try:
            method(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_second_concurrent_fit_is_refused_and_the_first_is_intact(method):
    # From inside the first fit (a callback after its first epoch), a second
    # call on the same estimator runs in another thread: it is refused, and
    # touches nothing. Main let it commit (classes of one, weights of the other).
    X, y = make_data(BPNetClassifier)
    y_other = y + 5  # other classes: a mixed model would show them
    twin = small(BPNetClassifier, solver="sgd").fit(X, y)
    refused, started = [], []

    def second_fit(info):
        if info["epoch"] == 1 and not started:  # once: were it not refused, it would recurse
            started.append(True)
            args = (X, y_other) if method == "fit" else (X, y_other, None, [5, 6])
            state = dict(est.__dict__)
            refused.append(_fit_in_a_thread(getattr(est, method), *args))
            assert est.__dict__.keys() == state.keys()  # the refused call touched nothing
            assert all(est.__dict__[k] is v for k, v in state.items())

    est = small(BPNetClassifier, solver="sgd", callbacks=[second_fit])
    est.fit(X, y)
    assert len(refused) == 1 and isinstance(refused[0], ConcurrentFitError)
    message = str(refused[0])
    assert f"BPNetClassifier.{method} was called while another fit" in message
    assert "clone" in message
    np.testing.assert_array_equal(est.classes_, [0, 1])
    for a, b in zip(est.coefs_ + est.intercepts_, twin.coefs_ + twin.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert est.n_iter_ == twin.n_iter_ and est.t_ == twin.t_
    # The first call over, the estimator fits again (and so does a clone meanwhile)
    est.set_params(callbacks=None).fit(X, y_other)
    np.testing.assert_array_equal(est.classes_, [5, 6])


@BOTH
def test_a_fit_from_its_own_callback_is_refused_and_the_lock_is_released(cls):
    X, y = make_data(cls)
    est = small(cls)
    seen = []

    def refit(info):
        if seen:  # once: were the inner fit not refused, it would recurse
            return
        seen.append("refit")
        with pytest.raises(ConcurrentFitError):
            est.fit(X, y)
        seen.append(copy.deepcopy(est).get_params()["max_iter"])
        other = clone(est).set_params(callbacks=None).fit(X, y)  # a clone is free to fit
        seen.append(other.n_iter_)
        raise RuntimeError("stop here")

    est.set_params(callbacks=[refit])
    with pytest.raises(RuntimeError, match="stop here"):
        est.fit(X, y)
    assert seen == ["refit", 5, 5]
    assert not hasattr(est, "coefs_")
    est.set_params(callbacks=None).fit(X, y)  # the failed call released the estimator
    assert est.n_iter_ == 5
    assert pickle.loads(pickle.dumps(est)).n_iter_ == 5  # no lock on the estimator
