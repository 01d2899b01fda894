"""Behaviour of BPNetClassifier and BPNetRegressor as scikit-learn estimators.

Pipelines and grid search, cloning and persistence, every kind of target and
input, dtypes, warm starts and partial_fit, reproducibility,
progress output, class and sample weights, metadata routing, callbacks,
interruption, learning-rate schedules and activations. Bad input and
hyperparameters are in ``test_estimator_errors.py``; divergence, rollback and
the early-stopping split in ``tests/solvers/``.

Everything runs on small data with small networks and few epochs.
"""

import pickle
import re
import time
import tracemalloc

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skbpnet.nn
from skbpnet import BPNetClassifier, BPNetRegressor
from skbpnet.nn.hashing import row_hashes

# Few epochs are the point here; "not converged" is expected everywhere.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [BPNetClassifier, BPNetRegressor]
BOTH = pytest.mark.parametrize("cls", ESTIMATORS, ids=["clf", "reg"])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


from tests._estimator_helpers import assert_same_params, make_data, params_of, small  # noqa: E402


def outputs(est, X):
    """What the estimator predicts, with probabilities for a classifier."""
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


# -- meta-estimators ------------------------------------------------------------------
@BOTH
def test_pipeline_fits_and_scores_well(cls):
    if cls is BPNetClassifier:
        X, y = load_digits(return_X_y=True)
        X, y = X[:700], y[:700]
        threshold = 0.9
    else:
        X, y = make_regression(n_samples=400, n_features=10, noise=5.0, random_state=0)
        X = X * 50 + 300  # unscaled: the scaler matters
        threshold = 0.95
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    if cls is BPNetRegressor:
        y_tr, y_te = y_tr / 100, y_te / 100
    pipe = make_pipeline(StandardScaler(), small(cls, hidden_layer_sizes=(32,), max_iter=60))
    pipe.fit(X_tr, y_tr)
    assert pipe.score(X_te, y_te) > threshold


@BOTH
def test_grid_search_parallel_matches_serial(cls):
    X, y = make_data(cls)
    grid = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(2,), (16,)]}
    est = small(cls, max_iter=20)
    serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    parallel = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    assert serial.best_params_ == parallel.best_params_
    np.testing.assert_allclose(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"],
        rtol=1e-12, atol=1e-12,
    )
    # The grid points really differ, or the comparison above would be empty.
    assert len(set(np.round(serial.cv_results_["mean_test_score"], 10))) > 1
    assert_same_params(serial.best_estimator_, parallel.best_estimator_)


# -- cloning and persistence -------------------------------------------------------------
@BOTH
def test_clone_of_fitted_estimator_is_unfitted(cls):
    X, y = make_data(cls)
    est = small(cls).fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(X)
    assert not hasattr(copy, "coefs_")
    est.predict(X)  # the original is untouched


@BOTH
@DTYPES
def test_joblib_round_trip_predicts_identically(cls, dtype, tmp_path):
    X, y = make_data(cls, dtype=dtype)
    est = small(cls).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if cls is BPNetClassifier:
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert_same_params(loaded, est)
    assert loaded.predict(X).dtype == est.predict(X).dtype


@BOTH
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_pickle_restores_flat_buffers_and_training_continues_identically(cls, solver):
    X, y = make_data(cls)
    est = small(cls, solver=solver, max_iter=2, shuffle=True).fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
    # Every weight and bias is a view into the network's one flat buffer again.
    pv = loaded._net.param_vector
    for a in loaded.coefs_ + loaded.intercepts_:
        assert np.shares_memory(a, pv)
    assert sum(a.size for a in loaded.coefs_ + loaded.intercepts_) == pv.size
    before = params_of(loaded)
    for e in (est, loaded):
        e.set_params(warm_start=True).fit(X, y)
    assert_same_params(loaded, est)
    # ... and the continued training did move the weights seen through coefs_.
    assert not np.array_equal(before[0], loaded.coefs_[0])
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


# -- targets -------------------------------------------------------------------------
def test_binary_target():
    X, y = make_data(BPNetClassifier)
    y = np.where(y == 1, 7, -3)
    clf = small(BPNetClassifier, max_iter=60, learning_rate_init=0.05).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [-3, 7])
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    pred = clf.predict(X)
    assert set(np.unique(pred)) <= {-3, 7}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.decision_function(X).shape == (len(X),)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.8


def test_multiclass_string_labels():
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=0)
    names = np.array(["emu", "cat", "dog"])[y]
    clf = small(BPNetClassifier, hidden_layer_sizes=(16,), max_iter=40).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= {"cat", "dog", "emu"}
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, names) > 0.7


def test_multilabel_indicator_target():
    X, Y = make_multilabel_classification(n_samples=150, n_features=8, n_classes=4,
                                          random_state=0)
    clf = small(BPNetClassifier, hidden_layer_sizes=(16,), max_iter=80,
                learning_rate_init=0.05).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    pred = clf.predict(X)
    assert pred.shape == (150, 4)
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 4)
    assert ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal((proba > 0.5).astype(int), pred)
    baseline = max(Y.mean(), 1 - Y.mean())  # all zeros or all ones
    assert (pred == Y).mean() > baseline + 0.1


@pytest.mark.parametrize("n_outputs", [None, 1, 3], ids=["1d", "column", "3-outputs"])
def test_regression_output_shapes(n_outputs):
    X, y = make_regression(n_samples=120, n_features=6, n_targets=n_outputs or 1,
                           noise=0.1, random_state=0)
    y = y / y.std(axis=0)
    if n_outputs == 1:
        y = y.reshape(-1, 1)
    reg = small(BPNetRegressor, max_iter=60, learning_rate_init=0.05).fit(X, y)
    pred = reg.predict(X)
    if n_outputs == 3:
        assert reg.n_outputs_ == 3 and pred.shape == (120, 3)
    else:
        assert reg.n_outputs_ == 1 and pred.shape == (120,)
    assert reg.score(X, y) > 0.9


# -- inputs --------------------------------------------------------------------------
@BOTH
def test_dataframe_feature_names(cls):
    X, y = make_data(cls)
    columns = [f"feat_{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)
    est = small(cls).fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, columns)
    assert est.n_features_in_ == X.shape[1]
    assert not hasattr(small(cls).fit(X, y), "feature_names_in_")
    np.testing.assert_array_equal(est.predict(df), small(cls).fit(X, y).predict(X))
    renamed = df.rename(columns={"feat_0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)
    reordered = df[columns[::-1]]
    with pytest.raises(ValueError, match="feature names"):
        est.predict(reordered)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        pred = est.predict(X)
    np.testing.assert_array_equal(pred, est.predict(df))


@BOTH
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "params",
    [{"solver": "adam", "max_iter": 10}, {"solver": "lbfgs", "max_iter": 30},
     {"solver": "sgd", "max_iter": 10, "early_stopping": True, "dropout": 0.2,
      "n_iter_no_change": 100}],
    ids=["adam", "lbfgs", "sgd-early-stopping-dropout"],
)
def test_sparse_input_matches_dense(cls, fmt, params):
    # With early stopping and dropout, the split and the masks come from a hash
    # of each row's values: it must be the same for a sparse row.
    X, y = make_data(cls)
    X[np.abs(X) < 0.8] = 0.0  # about half the entries
    Xs = sparse.csr_matrix(X).asformat(fmt)
    np.testing.assert_array_equal(row_hashes(Xs), row_hashes(X))
    dense = small(cls, **params).fit(X, y)
    sp = small(cls, **params).fit(Xs, y)
    assert sp.n_iter_ == dense.n_iter_
    for a, b in zip(params_of(sp), params_of(dense)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(outputs(sp, Xs), outputs(dense, X), rtol=1e-8, atol=1e-10)
    # A sparse model predicts dense data and vice versa.
    np.testing.assert_allclose(outputs(sp, X), outputs(dense, Xs), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "cls, params",
    [
        (BPNetClassifier, {}),
        (BPNetRegressor, {}),
        (BPNetClassifier, {"early_stopping": True}),
        (BPNetClassifier, {"dropout": 0.2}),
    ],
    ids=["clf", "reg", "clf-early-stopping", "clf-dropout"],
)
def test_large_very_sparse_input_is_not_densified(cls, params):
    # 2000 x 50000 with density 1e-4: 10,000 stored values; dense it is 800 MB.
    # (Built by hand: sparse.random takes seconds to draw positions out of 1e8.)
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 2000, 10_000), rng.integers(0, 50_000, 10_000)
    X = sparse.csr_matrix((rng.random(10_000), (rows, cols)), shape=(2000, 50_000))
    y = rng.integers(0, 2, 2000) if cls is BPNetClassifier else rng.normal(size=2000)
    est = small(cls, hidden_layer_sizes=(4,), max_iter=2, **params)
    clone(est).fit(rng.normal(size=(100, 20)), y[:100])  # first calls: not traced
    tracemalloc.start()
    tic = time.perf_counter()
    try:
        est.fit(X, y)
        pred = est.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - tic
    assert pred.shape == (2000,)
    # The first layer's weights and Adam's two moments are 3 x 1.6 MB; far
    # below one dense block of X.
    assert peak < 100e6, f"peak memory {peak / 1e6:.0f} MB: X was densified"
    assert seconds < 20


# -- dtypes --------------------------------------------------------------------------
@BOTH
@pytest.mark.parametrize(
    "kind, expected",
    [("float32", np.float32), ("float64", np.float64), ("int64", np.float64),
     ("csr-float32", np.float32)],
)
def test_dtype_follows_X(cls, kind, expected):
    X, y = make_data(cls)
    if kind == "int64":
        X = np.round(X * 3).astype(np.int64)
    elif kind == "csr-float32":
        X = sparse.csr_matrix(X.astype(np.float32))
    else:
        X = X.astype(kind)
    est = small(cls).fit(X, y)
    for a in est.coefs_ + est.intercepts_:
        assert a.dtype == expected
    if cls is BPNetClassifier:
        assert est.predict_proba(X).dtype == expected
        assert est.decision_function(X).dtype == expected
    else:
        assert est.predict(X).dtype == expected
    # Data of the other float dtype is accepted at predict time.
    other = X.astype(np.float64 if expected == np.float32 else np.float32)
    assert outputs(est, other).dtype == expected


# -- warm starts and partial_fit -------------------------------------------------------
@BOTH
@pytest.mark.parametrize("solver", ["sgd", "adam"])
# Only 'constant': like scikit-learn, a warm-started fit restarts 'invscaling' and
# 'adaptive' from learning_rate_init (tests/test_parity.py checks those rates).
@pytest.mark.parametrize("learning_rate", ["constant"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@DTYPES
def test_warm_start_continues_optimizer_state(cls, solver, learning_rate, shuffle, dtype):
    X, y = make_data(cls, dtype=dtype)
    params = {"solver": solver, "learning_rate": learning_rate, "shuffle": shuffle,
              "batch_size": 32, "learning_rate_init": 0.05}
    once = small(cls, max_iter=4, **params).fit(X, y)
    twice = small(cls, max_iter=2, **params).fit(X, y)
    twice.set_params(warm_start=True).fit(X, y)
    assert_same_params(twice, once)
    assert twice.n_iter_ == 2 and once.n_iter_ == 4
    assert twice.t_ == once.t_ == 4 * len(X)
    np.testing.assert_array_equal(twice.loss_curve_, once.loss_curve_)

    # The equality above needs the optimizer's state: without it the result differs.
    reset = small(cls, max_iter=2, **params).fit(X, y)
    reset._optimizer = type(reset._optimizer).from_config(reset._optimizer.get_config())
    reset.set_params(warm_start=True).fit(X, y)
    assert not np.array_equal(reset.coefs_[0], once.coefs_[0])


@BOTH
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@DTYPES
def test_partial_fit_equals_fit_epochs(cls, solver, dtype):
    X, y = make_data(cls, dtype=dtype)
    params = {"solver": solver, "shuffle": True, "batch_size": 32}
    fitted = small(cls, max_iter=3, **params).fit(X, y)
    inc = small(cls, **params)
    extra = {"classes": np.unique(y)} if cls is BPNetClassifier else {}
    for _ in range(3):
        inc.partial_fit(X, y, **extra)
        assert inc.n_iter_ == 1
    assert_same_params(inc, fitted)
    assert inc.t_ == fitted.t_ == 3 * len(X)
    np.testing.assert_array_equal(inc.loss_curve_, fitted.loss_curve_)


def test_partial_fit_classes_with_chunks_missing_some_classes():
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=0)
    labels = np.array(["a", "b", "c"])[y]
    clf = small(BPNetClassifier)
    first = labels != "c"
    clf.partial_fit(X[first], labels[first], classes=["c", "b", "a"])
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    assert clf.predict_proba(X).shape == (150, 3)
    clf.partial_fit(X, labels)  # classes may be left out after the first call
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])


# -- reproducibility -----------------------------------------------------------------
@BOTH
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd"},
        {"solver": "adam"},
        {"solver": "lbfgs"},
        {"dropout": 0.3},
        {"early_stopping": True, "validation_fraction": 0.2},
        {"solver": "sgd", "dropout": 0.2, "early_stopping": True, "learning_rate": "cosine"},
    ],
    ids=["sgd", "adam", "lbfgs", "dropout", "early_stopping", "sgd-dropout-early-cosine"],
)
def test_same_seed_gives_bitwise_identical_weights(cls, params):
    X, y = make_data(cls)
    a = small(cls, random_state=3, max_iter=8, **params).fit(X, y)
    b = small(cls, random_state=3, max_iter=8, **params).fit(X, y)
    assert_same_params(a, b)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    c = small(cls, random_state=4, max_iter=8, **params).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_random_state_instance_is_accepted_and_reproducible():
    X, y = make_data(BPNetClassifier)
    a = small(BPNetClassifier, random_state=np.random.RandomState(5)).fit(X, y)
    b = small(BPNetClassifier, random_state=np.random.RandomState(5)).fit(X, y)
    assert_same_params(a, b)


# -- progress output -------------------------------------------------------------------
@BOTH
@pytest.mark.parametrize("early_stopping", [False, True], ids=["plain", "early-stopping"])
def test_verbose_prints_one_line_per_epoch(cls, early_stopping, capsys):
    X, y = make_data(cls)
    est = small(cls, max_iter=4, verbose=True, early_stopping=early_stopping,
                n_iter_no_change=100).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    # scikit-learn's lines, with our figures after them on the same line.
    lines = [line for line in out if line.startswith("Iteration ")]
    scores = [line for line in out if line.startswith("Validation score: ")]
    assert len(out) == len(lines) + len(scores)
    assert len(lines) == est.n_iter_ == 4
    assert len(scores) == (4 if early_stopping else 0)
    for epoch, (line, loss) in enumerate(zip(lines, est.loss_curve_), start=1):
        match = re.match(rf"Iteration {epoch}, loss = ([0-9.]+), ([0-9.]+) s$", line)
        assert match, line
        assert float(match.group(1)) == pytest.approx(loss, rel=1e-7, abs=1e-8)
    for line, score in zip(scores, est.validation_scores_ or []):
        shown = float(re.match(r"Validation score: (-?[0-9.]+), validation loss = ", line)[1])
        assert shown == pytest.approx(score, abs=1e-6)


@BOTH
def test_not_verbose_prints_nothing(cls, capsys):
    X, y = make_data(cls)
    small(cls).fit(X, y)
    assert capsys.readouterr().out == ""


# -- class weights -------------------------------------------------------------------
def _imbalanced():
    return make_classification(n_samples=400, n_features=6, n_informative=3, n_redundant=0,
                               weights=[0.9, 0.1], class_sep=0.5, flip_y=0, random_state=0)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1, 1: 10}])
def test_class_weight_raises_minority_recall(class_weight):
    X, y = _imbalanced()
    params = {"max_iter": 30, "hidden_layer_sizes": (16,)}
    plain = small(BPNetClassifier, **params).fit(X, y)
    weighted = small(BPNetClassifier, class_weight=class_weight, **params).fit(X, y)
    r_plain = recall_score(y, plain.predict(X))
    r_weighted = recall_score(y, weighted.predict(X))
    assert r_weighted > r_plain + 0.1
    # ... and the model predicts the minority class more often.
    assert (weighted.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_unit_class_weight_equals_none(solver):
    X, y = _imbalanced()
    plain = small(BPNetClassifier, solver=solver, max_iter=10).fit(X, y)
    unit = small(BPNetClassifier, solver=solver, max_iter=10, class_weight={0: 1, 1: 1}).fit(X, y)
    for a, b in zip(params_of(unit), params_of(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_class_weight_dict_with_string_labels():
    X, y = _imbalanced()
    labels = np.array(["common", "rare"])[y]
    weighted = small(BPNetClassifier, max_iter=30, hidden_layer_sizes=(16,),
                     class_weight={"common": 1, "rare": 10}).fit(X, labels)
    as_ints = small(BPNetClassifier, max_iter=30, hidden_layer_sizes=(16,),
                    class_weight={0: 1, 1: 10}).fit(X, y)
    assert_same_params(weighted, as_ints)


# -- sample weights ------------------------------------------------------------------
@BOTH
def test_integer_sample_weight_equals_repeated_samples(cls):
    X, y = make_data(cls, n=80)
    w = np.random.default_rng(0).integers(1, 4, len(X))
    params = {"solver": "lbfgs", "max_iter": 50, "tol": 1e-10}
    weighted = small(cls, **params).fit(X, y, sample_weight=w)
    repeated = small(cls, **params).fit(np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))
    for a, b in zip(params_of(weighted), params_of(repeated)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(outputs(weighted, X), outputs(repeated, X), rtol=1e-6, atol=1e-8)
    # The weights matter: unweighted data gives another model.
    plain = small(cls, **params).fit(X, y)
    assert not np.allclose(outputs(plain, X), outputs(weighted, X), rtol=1e-4, atol=1e-6)


@BOTH
def test_zero_sample_weight_equals_removing_samples(cls):
    X, y = make_data(cls, n=100)
    keep = np.random.default_rng(1).random(len(X)) < 0.7
    params = {"solver": "lbfgs", "max_iter": 50}
    weighted = small(cls, **params).fit(X, y, sample_weight=keep.astype(float))
    removed = small(cls, **params).fit(X[keep], y[keep])
    np.testing.assert_allclose(outputs(weighted, X), outputs(removed, X), rtol=1e-6, atol=1e-8)


# -- metadata routing ------------------------------------------------------------------
@pytest.fixture
def metadata_routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield
    assert not sklearn.get_config()["enable_metadata_routing"]


@BOTH
def test_metadata_routing_sends_sample_weight_to_fit(cls, metadata_routing):
    X, y = make_data(cls, n=90)
    sw = np.random.default_rng(0).integers(0, 4, len(X)).astype(float)
    est = small(cls, solver="lbfgs", max_iter=30)
    est = est.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
    cv = KFold(3)
    res = cross_validate(est, X, y, cv=cv, params={"sample_weight": sw}, return_estimator=True)
    for fitted, score, (train, test) in zip(res["estimator"], res["test_score"], cv.split(X)):
        manual = clone(est).fit(X[train], y[train], sample_weight=sw[train])
        assert_same_params(fitted, manual)
        assert score == manual.score(X[test], y[test], sample_weight=sw[test])
        unweighted = clone(est).fit(X[train], y[train])
        assert not np.array_equal(fitted.coefs_[0], unweighted.coefs_[0])

    grid = GridSearchCV(est, {"alpha": [1e-4, 1.0]}, cv=cv).fit(X, y, sample_weight=sw)
    manual = clone(est).set_params(**grid.best_params_).fit(X, y, sample_weight=sw)
    assert_same_params(grid.best_estimator_, manual)

    # Without the request, passing sample_weight is an error, not silently dropped.
    with pytest.raises(ValueError, match="sample_weight"):
        cross_validate(small(cls, solver="lbfgs"), X, y, cv=cv, params={"sample_weight": sw})


# -- callbacks and interruption --------------------------------------------------------
@BOTH
def test_callbacks_receive_one_dict_per_epoch(cls):
    X, y = make_data(cls)
    seen_a, seen_b = [], []
    est = small(cls, max_iter=4, early_stopping=True, n_iter_no_change=100,
                callbacks=[seen_a.append, lambda info: seen_b.append(dict(info))]).fit(X, y)
    assert len(seen_a) == len(seen_b) == est.n_iter_ == 4
    assert [info["epoch"] for info in seen_b] == [1, 2, 3, 4]
    for info, loss, score in zip(seen_b, est.loss_curve_, est.validation_scores_):
        assert isinstance(info, dict)
        assert info["loss"] == loss
        assert info["validation_score"] == score
        assert info["seconds"] >= 0
        assert "validation_loss" in info


@BOTH
@pytest.mark.parametrize("stop_at", [1, 3])
def test_callback_returning_true_stops_training(cls, stop_at):
    X, y = make_data(cls)
    calls = []

    def stop(info):
        calls.append(info["epoch"])
        return info["epoch"] == stop_at

    est = small(cls, max_iter=20, callbacks=[stop]).fit(X, y)
    assert est.n_iter_ == stop_at
    assert len(est.loss_curve_) == stop_at
    assert calls == list(range(1, stop_at + 1))
    reference = small(cls, max_iter=stop_at).fit(X, y)
    assert_same_params(est, reference)


@BOTH
def test_keyboard_interrupt_during_epoch_keeps_last_complete_epoch(cls, monkeypatch):
    # 120 samples in batches of 40: 3 steps per epoch; interrupt step 8, inside epoch 3.
    X, y = make_data(cls)
    params = {"batch_size": 40, "max_iter": 10, "shuffle": True}
    reference = small(cls, **{**params, "max_iter": 2}).fit(X, y)
    step = skbpnet.nn.Adam.step
    count = [0]

    def interrupting_step(self, *args, **kwargs):
        count[0] += 1
        if count[0] == 8:
            raise KeyboardInterrupt
        return step(self, *args, **kwargs)

    monkeypatch.setattr(skbpnet.nn.Adam, "step", interrupting_step)
    est = small(cls, **params)
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    assert count[0] == 8
    assert_same_params(est, reference)
    assert est.n_iter_ == 2
    np.testing.assert_array_equal(est.loss_curve_, reference.loss_curve_)
    np.testing.assert_array_equal(outputs(est, X), outputs(reference, X))


@BOTH
def test_keyboard_interrupt_in_callback(cls):
    # A callback runs after its epoch has been trained. Interrupting there must
    # leave a consistent model: the weights, n_iter_ and loss_curve_ of one and
    # the same run. The epoch the callback reports on (3) has completed, so the
    # model keeps it (the last complete epoch; see the mid-epoch test above).
    X, y = make_data(cls)

    def interrupt(info):
        if info["epoch"] == 3:
            raise KeyboardInterrupt

    est = small(cls, max_iter=10, callbacks=[interrupt])
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    reference = small(cls, max_iter=est.n_iter_).fit(X, y)
    assert est.n_iter_ in (2, 3)
    assert len(est.loss_curve_) == est.n_iter_
    assert_same_params(est, reference)
    np.testing.assert_array_equal(est.loss_curve_, reference.loss_curve_)


# -- learning-rate schedules -----------------------------------------------------------
@BOTH
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "cosine"])
def test_learning_rate_schedules_run(cls, solver, schedule):
    X, y = make_data(cls)
    est = small(cls, solver=solver, learning_rate=schedule, max_iter=10,
                learning_rate_init=0.05, power_t=0.25).fit(X, y)
    assert est.n_iter_ >= 1 and np.isfinite(est.loss_curve_).all()
    lr = est._schedule.learning_rate
    if schedule == "constant":
        assert lr == 0.05
    elif schedule == "invscaling":
        assert lr == pytest.approx(0.05 / (est.t_ + 1) ** 0.25)
    elif schedule == "cosine":
        assert lr == pytest.approx(0.0, abs=1e-12)
    # The optimizer holds the rate of the next epoch, as scikit-learn's does.
    assert est._optimizer.learning_rate == lr


def test_adaptive_schedule_divides_by_five_on_plateaus():
    X, y = make_data(BPNetClassifier)
    # tol is so large that no epoch after the first counts as progress: with
    # n_iter_no_change=1 a plateau ends epochs 3, 5 and 7.
    est = small(BPNetClassifier, solver="sgd", learning_rate="adaptive", tol=1e3,
                n_iter_no_change=1, max_iter=7, learning_rate_init=0.05).fit(X, y)
    assert est.n_iter_ == 7
    assert est._schedule.learning_rate == pytest.approx(0.05 / 5**3)
    # The constant schedule stops at the first plateau instead.
    const = small(BPNetClassifier, solver="sgd", tol=1e3, n_iter_no_change=1,
                  max_iter=7).fit(X, y)
    assert const.n_iter_ == 3


# -- activations -----------------------------------------------------------------------
@BOTH
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "leaky_relu",
                                        "gelu"])
def test_every_activation_learns(cls, activation):
    if cls is BPNetClassifier:  # one cluster per class: a linear model can learn it too
        X, y = make_classification(n_samples=150, n_features=6, n_informative=3,
                                   n_redundant=0, n_clusters_per_class=1, random_state=0)
    else:
        X, y = make_data(cls, n=150)
    est = small(cls, activation=activation, hidden_layer_sizes=(16,), max_iter=60,
                learning_rate_init=0.05).fit(X, y)
    assert est.score(X, y) > 0.9
