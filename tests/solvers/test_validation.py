"""The early-stopping validation split (skbpnet._solvers.validation) seen from the estimators.

The held-out rows are chosen by hashing the rows; the best epoch is restored;
partial_fit and L-BFGS do not hold out anything; too few distinct rows are refused.
"""

import numpy as np
import pytest

from skbpnet import BPNetClassifier, BPNetRegressor
from skbpnet._solvers.validation import hash_split
from skbpnet.nn.hashing import row_hashes

# Few epochs are the point here; "not converged" is expected everywhere.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [BPNetClassifier, BPNetRegressor]
BOTH = pytest.mark.parametrize("cls", ESTIMATORS, ids=["clf", "reg"])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


from tests._estimator_helpers import assert_same_params, make_data, small  # noqa: E402


# -- early stopping ------------------------------------------------------------------
@BOTH
@DTYPES
def test_early_stopping_restores_the_best_epoch(cls, dtype):
    X, y = make_data(cls, n=200, dtype=dtype)
    params = {"early_stopping": True, "validation_fraction": 0.25, "n_iter_no_change": 3,
              "learning_rate_init": 0.05, "hidden_layer_sizes": (32,)}
    est = small(cls, max_iter=200, **params).fit(X, y)
    n = est.n_iter_
    assert n < 200, "early stopping should have stopped training"
    assert len(est.validation_scores_) == n
    assert len(est.validation_loss_curve_) == n
    assert len(est.loss_curve_) == n
    assert est.best_loss_ is None
    assert est.best_validation_score_ == max(est.validation_scores_)
    # The held-out rows, recomputed: the final model scores best_validation_score_ there.
    strata = np.searchsorted(np.unique(y), y) if cls is BPNetClassifier else None
    train = hash_split(row_hashes(X), None, 0.25, strata)
    if strata is None:
        assert (~train).sum() == np.ceil(0.25 * len(np.unique(row_hashes(X))))
    score = est.score(X[~train], y[~train])
    assert score == pytest.approx(est.best_validation_score_, rel=1e-6, abs=1e-12)
    # The best epoch was not the last, so weights were really restored: those
    # of a run stopped at the best epoch.
    best = max(i for i, s in enumerate(est.validation_scores_)
               if s == est.best_validation_score_) + 1
    assert est.validation_scores_[-1] < est.best_validation_score_
    shorter = small(cls, max_iter=best, **params).fit(X, y)
    assert shorter.validation_scores_ == est.validation_scores_[:best]
    assert_same_params(est, shorter)


@BOTH
def test_early_stopping_is_ignored_by_lbfgs_and_refused_by_partial_fit(cls):
    X, y = make_data(cls)
    est = small(cls, early_stopping=True, solver="lbfgs").fit(X, y)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.best_loss_ is not None
    extra = {"classes": np.unique(y)} if cls is BPNetClassifier else {}
    est = small(cls, early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        est.partial_fit(X, y, **extra)
    est.fit(X, y)  # after a fit with early stopping too, and nothing changes
    before = [c.copy() for c in est.coefs_]
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        est.partial_fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, est.coefs_))


@BOTH
def test_early_stopping_without_enough_distinct_samples(cls):
    X, y = make_data(cls, n=20)
    X = np.repeat(X[:2], 10, axis=0)  # two distinct rows
    y = np.repeat(y[:2], 10, axis=0)
    if cls is BPNetClassifier:
        y = np.repeat([0, 1], 10)
    match = "least populated classes in y" if cls is BPNetClassifier else "validation set is too small"
    with pytest.raises(ValueError, match=match):
        small(cls, early_stopping=True).fit(X, y)


# -- the stratified split of classifiers -------------------------------------------------
def _counts(train, y):
    return {c: (int((~train & (y == c)).sum()), int((train & (y == c)).sum()))
            for c in np.unique(y)}


def test_stratified_split_takes_each_class_share():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.repeat([0, 1, 2], [150, 40, 10])
    train = hash_split(row_hashes(X), None, 0.2, y)
    assert _counts(train, y) == {0: (30, 120), 1: (8, 32), 2: (2, 8)}


def test_stratified_split_keeps_the_hash_split_properties():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = rng.integers(0, 3, size=60)
    h = row_hashes(X)
    train = hash_split(h, None, 0.25, y)
    # Order does not matter.
    perm = rng.permutation(60)
    np.testing.assert_array_equal(hash_split(h[perm], None, 0.25, y[perm]), train[perm])
    # Duplicates fall on one side, and a weight of 3 splits like 3 copies.
    Xd, yd = np.vstack([X, X[:5], X[:5]]), np.concatenate([y, y[:5], y[:5]])
    dup = hash_split(row_hashes(Xd), None, 0.25, yd)
    np.testing.assert_array_equal(dup[:60], train)
    np.testing.assert_array_equal(dup[60:65], train[:5])
    w = np.ones(60)
    w[:5] = 3.0
    np.testing.assert_array_equal(hash_split(h, w, 0.25, y), train)
    # Zero-weight rows do not count.
    w[5] = 0.0
    assert hash_split(h, w, 0.25, y)[5]


def test_stratified_split_refuses_a_class_with_one_sample():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0] * 9 + [1])
    with pytest.raises(ValueError, match="The least populated classes in y have only 1 member"):
        BPNetClassifier(early_stopping=True, max_iter=2).fit(X, y)


def test_a_multiclass_class_of_one_sample_stays_in_training():
    # scikit-learn does not stratify multiclass targets, so it does not refuse them.
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 3))
    y = np.r_[np.zeros(15), np.ones(14), 2]
    train = hash_split(row_hashes(X), None, 0.2, y)
    assert train[-1] and _counts(train, y) == {0.0: (3, 12), 1.0: (3, 11), 2.0: (0, 1)}
    small(BPNetClassifier, early_stopping=True, validation_fraction=0.2).fit(X, y)


def test_regressors_keep_the_plain_split():
    X, y = make_data(BPNetRegressor, n=100)
    est = small(BPNetRegressor, early_stopping=True, max_iter=1, validation_fraction=0.2).fit(X, y)
    train = hash_split(row_hashes(X), None, 0.2)
    assert est.validation_scores_[0] == pytest.approx(est.score(X[~train], y[~train]), rel=1e-6)
