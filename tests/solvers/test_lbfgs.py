"""The L-BFGS solver used directly: fit_lbfgs on a tiny network."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skbpnet._network import Architecture
from skbpnet._solvers import TrainingHistory, TrainResult, fit_lbfgs
from skbpnet.nn import MSELoss

PARAMS = {"alpha": 1e-4, "verbose": False, "max_fun": 15000, "max_iter": 200, "tol": 1e-6}


def tiny_problem(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.tanh(X @ np.array([1.0, -2.0, 0.5]))[:, None]
    net = Architecture(3, (4,), "tanh", 0.0, 0.0).build(1, np.float64, np.random.default_rng(1))
    return net, X, y


def test_fit_lbfgs_returns_a_train_result_and_updates_the_history():
    net, X, y = tiny_problem()
    start = net.param_vector.copy()
    history = TrainingHistory(n_epochs=2, t=7, loss_curve=[5.0, 4.0], best_loss=4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = fit_lbfgs(net, MSELoss(), X, y, None, history, params=PARAMS)
    assert isinstance(result, TrainResult)
    assert 1 <= result.n_iter <= PARAMS["max_iter"]
    assert result.n_samples_seen == 7 + result.n_iter * len(X)
    assert not result.diverged
    assert history.n_epochs == 2 + result.n_iter
    assert history.t == result.n_samples_seen
    assert len(history.loss_curve) == 2 + result.n_iter
    assert history.loss_curve[-1] < history.loss_curve[2]  # the loss went down
    assert history.best_loss == min(history.loss_curve)
    assert history.validated is False
    assert np.any(net.param_vector != start)


def test_fit_lbfgs_stopped_by_max_iter_warns_and_says_so():
    net, X, y = tiny_problem()
    history = TrainingHistory()
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 3 iteration"):
        result = fit_lbfgs(net, MSELoss(), X, y, None, history, params={**PARAMS, "max_iter": 3})
    assert result.n_iter == 3 and result.n_samples_seen == 3 * len(X)
    assert result.stopped == "lbfgs"
    assert history.n_epochs == 3 and history.t == 3 * len(X) and len(history.loss_curve) == 3


def test_fit_lbfgs_with_sample_weight_equals_repeated_rows():
    net_w, X, y = tiny_problem()
    net_r, _, _ = tiny_problem()
    w = np.ones(len(X))
    w[:5] = 2.0
    Xr, yr = np.concatenate([X, X[:5]]), np.concatenate([y, y[:5]])
    params = {**PARAMS, "max_iter": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_lbfgs(net_w, MSELoss(), X, y, w, TrainingHistory(), params=params)
        fit_lbfgs(net_r, MSELoss(), Xr, yr, None, TrainingHistory(), params=params)
    np.testing.assert_allclose(net_w.param_vector, net_r.param_vector, rtol=1e-6, atol=1e-9)
