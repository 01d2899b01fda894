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
    train = hash_split(row_hashes(X), None, 0.25)
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
def test_early_stopping_is_ignored_by_partial_fit_and_lbfgs(cls):
    X, y = make_data(cls)
    est = small(cls, early_stopping=True, solver="lbfgs").fit(X, y)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.best_loss_ is not None


@BOTH
def test_early_stopping_without_enough_distinct_samples(cls):
    X, y = make_data(cls, n=20)
    X = np.repeat(X[:2], 10, axis=0)  # two distinct rows
    y = np.repeat(y[:2], 10, axis=0)
    if cls is BPNetClassifier:
        y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match="validation_fraction"):
        small(cls, early_stopping=True).fit(X, y)
