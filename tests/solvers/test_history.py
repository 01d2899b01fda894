"""TrainingHistory: its dict form, its checks, and the fitted attributes that are views of it."""

import math

import numpy as np
import pytest

from skbpnet import BPNetClassifier, BPNetRegressor, TrainingHistory
from skbpnet._solvers.history import TrainResult
from tests._estimator_helpers import make_data, small

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def a_history():
    return TrainingHistory(n_epochs=3, t=90, loss_curve=[0.9, 0.7, 0.6],
                           validation_scores=[0.5, 0.75, 0.8],
                           validation_loss_curve=[0.8, 0.6, 0.55], best_loss=0.6,
                           best_validation_score=0.8, best_validation_loss=0.55,
                           no_improvement=1, validated=True)


def test_to_dict_from_dict_round_trip():
    h = a_history()
    d = h.to_dict()
    assert d == {"n_epochs": 3, "t": 90, "loss_curve": [0.9, 0.7, 0.6],
                 "validation_scores": [0.5, 0.75, 0.8],
                 "validation_loss_curve": [0.8, 0.6, 0.55], "best_loss": 0.6,
                 "best_validation_score": 0.8, "best_validation_loss": 0.55,
                 "no_improvement": 1, "validated": True}
    back = TrainingHistory.from_dict(d)
    assert back == h
    # plain copies: changing one does not change the other
    d["loss_curve"].append(0.1)
    assert h.loss_curve == [0.9, 0.7, 0.6] and back.loss_curve == [0.9, 0.7, 0.6]
    back.loss_curve.append(0.2)
    assert h.loss_curve == [0.9, 0.7, 0.6]
    # the defaults round-trip too (infinite best values)
    empty = TrainingHistory()
    assert empty.best_loss == math.inf and empty.best_validation_score == -math.inf
    assert TrainingHistory.from_dict(empty.to_dict()) == empty


def test_from_dict_fills_missing_fields_with_defaults():
    h = TrainingHistory.from_dict({"loss_curve": [1.0], "t": 10})
    assert h == TrainingHistory(loss_curve=[1.0], t=10)


def test_from_dict_refuses_unknown_keys():
    d = a_history().to_dict()
    d["secret"] = 1
    with pytest.raises(ValueError, match="unknown history entries.*secret"):
        TrainingHistory.from_dict(d)


@pytest.mark.parametrize("key, value", [
    ("n_epochs", 1.5), ("n_epochs", -1), ("n_epochs", True), ("t", "90"),
    ("loss_curve", (0.9, 0.7)), ("loss_curve", [0.9, "0.7"]), ("loss_curve", [True]),
    ("validation_scores", None), ("best_loss", "0.6"), ("best_loss", float("nan")),
    ("best_validation_score", None), ("best_validation_loss", True),
    ("no_improvement", 0.0), ("validated", 1),
])
def test_from_dict_refuses_wrong_types(key, value):
    d = a_history().to_dict()
    d[key] = value
    with pytest.raises(ValueError, match=key):
        TrainingHistory.from_dict(d)


def test_train_result_defaults():
    r = TrainResult()
    assert (r.n_iter, r.n_samples_seen, r.diverged, r.interrupted, r.stopped) == (0, 0, False, False, None)


@pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor], ids=["clf", "reg"])
def test_fitted_attributes_are_views_of_the_history(cls):
    X, y = make_data(cls)
    est = small(cls, solver="adam").fit(X, y)
    h = est._history
    assert isinstance(h, TrainingHistory)
    assert est.loss_curve_ == h.loss_curve and len(h.loss_curve) == est.n_iter_ == 5
    assert est.t_ == h.t == 5 * X.shape[0]
    assert est.best_loss_ == h.best_loss == min(h.loss_curve)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    # training on changes the history, and the attributes follow
    est.partial_fit(X, y)
    assert est.loss_curve_ == est._history.loss_curve and len(est.loss_curve_) == 6
    assert est.t_ == est._history.t == 6 * X.shape[0]


@pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor], ids=["clf", "reg"])
def test_early_stopping_attributes_are_views_of_the_history(cls):
    X, y = make_data(cls, n=200)
    est = small(cls, solver="adam", early_stopping=True, max_iter=4).fit(X, y)
    h = est._history
    assert h.validated is True
    assert est.best_loss_ is None
    assert est.validation_scores_ == h.validation_scores and len(h.validation_scores) == 4
    assert est.validation_loss_curve_ == h.validation_loss_curve
    assert est.best_validation_score_ == h.best_validation_score == max(h.validation_scores)
    assert est.loss_curve_ == h.loss_curve
    assert est.t_ == h.t
    assert np.isfinite(est.loss_curve_).all()
