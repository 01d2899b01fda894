"""Estimators never train silently wrong nor lose a model (the trust issue, estimator side)."""

import warnings

import joblib
import numpy as np
import pytest
from scipy import sparse

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, DivergenceWarning
from skbpnet._solvers import stochastic
from tests._estimator_helpers import make_data


def _fitted(cls=BPNetClassifier, **kwargs):
    X, y = make_data(cls)
    params = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**params).fit(X, y), X, y


@pytest.mark.parametrize("fitted", [True, False])
def test_ctrl_c_before_the_first_epoch_restores_the_estimator(fitted, monkeypatch):
    est, X, y = _fitted()
    if not fitted:
        est = BPNetClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(est).items()}
    weights = [w.copy() for w in est.coefs_] if fitted else None

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(stochastic.Trainer, "_step", interrupt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "kept the last complete epoch" warning
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    assert sorted(vars(est)) == sorted(before)
    if fitted:
        assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, weights))
        assert est.n_iter_ == before["n_iter_"] and est._history is before["_history"]
    else:
        assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_class_weight_must_be_finite_and_non_negative(bad):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="class_weight.*non-negative"):
        BPNetClassifier(class_weight={0: 1.0, 1: bad}, max_iter=2).fit(X, y)


def test_sample_weights_that_overflow_or_underflow_are_refused():
    X, y = make_data(BPNetRegressor)
    with pytest.raises(ValueError, match="overflows"):
        BPNetRegressor(max_iter=2).fit(X, y, sample_weight=np.full(len(y), 1e308))
    X32 = X.astype(np.float32)
    with pytest.raises(ValueError, match="smallest normal float32"):
        BPNetRegressor(max_iter=2).fit(X32, y, sample_weight=np.full(len(y), 1e-40))
    # Weights that are merely large are fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BPNetRegressor(max_iter=2).fit(X, y, sample_weight=np.full(len(y), 1e6))


def test_a_loss_that_explodes_without_becoming_inf_warns():
    X, y = make_data(BPNetRegressor)
    est = BPNetRegressor(hidden_layer_sizes=(8,), learning_rate_init=1e6, max_iter=5,
                         random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    messages = [str(w.message) for w in caught if w.category is DivergenceWarning]
    assert messages and "learning_rate_init" in messages[0]


def test_a_well_behaved_fit_does_not_warn_of_divergence():
    X, y = make_data(BPNetClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        BPNetClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)


def test_float64_values_beyond_float32_are_refused_by_a_float32_model():
    X, y = make_data(BPNetClassifier, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = BPNetClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    big = X.astype(np.float64)
    big[0, 0] = 1e300
    with pytest.raises(ValueError, match="beyond the range.*float32"):
        est.predict_proba(big)
    with pytest.raises(ValueError, match="beyond the range"):
        est.predict(sparse.csr_matrix(big))
    assert np.isfinite(est.predict_proba(X.astype(np.float64))).all()


def test_lbfgs_refuses_callbacks():
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="lbfgs.*callbacks"):
        BPNetClassifier(solver="lbfgs", callbacks=[print]).fit(X, y)


@pytest.mark.parametrize("hidden", [iter([3, 4]), {3: 1}, {3, 4}, "34"])
def test_hidden_layer_sizes_must_be_an_int_or_a_sequence(hidden):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        BPNetClassifier(hidden_layer_sizes=hidden, max_iter=2).fit(X, y)


@pytest.mark.parametrize("classes", [[0, 1, np.nan], [[0, 1]], []])
def test_partial_fit_refuses_bad_classes(classes):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="classes"):
        BPNetClassifier().partial_fit(X, y, classes=classes)


def test_sparse_multilabel_targets_train_like_dense_ones():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = (X[:, :3] > 0).astype(int)
    kwargs = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = BPNetClassifier(**kwargs).fit(X, Y)
        sparse_ = BPNetClassifier(**kwargs).fit(X, sparse.csr_matrix(Y))
    np.testing.assert_array_equal(dense.predict_proba(X), sparse_.predict_proba(X))


def test_version_check_reads_the_public_version(tmp_path, monkeypatch):
    est, X, y = _fitted()
    path = tmp_path / "m.joblib"
    joblib.dump(est, path)
    monkeypatch.setattr(skbpnet, "__version__", "99.0")
    with pytest.warns(skbpnet.InconsistentSkbpnetVersionWarning, match="loaded with skbpnet 99.0"):
        joblib.load(path)


def test_a_cosine_schedule_run_to_its_end_is_not_a_convergence_failure():
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_data(BPNetClassifier)
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=3, n_iter_no_change=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        BPNetClassifier(learning_rate="cosine", **kwargs).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        BPNetClassifier(learning_rate="constant", **kwargs).fit(X, y)
