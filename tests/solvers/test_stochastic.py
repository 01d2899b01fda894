"""The minibatch solver used directly: Trainer and fit_stochastic on a tiny network."""

import numpy as np
import pytest

from skbpnet import BPNetRegressor
from skbpnet._network import Architecture
from skbpnet._solvers import TrainingHistory, TrainResult, fit_stochastic
from skbpnet._solvers.stochastic import Trainer
from skbpnet.nn import SGD, ConstantLR, MSELoss


def tiny_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]))[:, None]
    net = Architecture(3, (5,), "tanh", 0.0, 0.0).build(1, np.float64, np.random.default_rng(1))
    return net, X, y


def make_trainer(net, **kw):
    base = dict(alpha=0.0, batch_size=10, shuffle=True, rng=np.random.default_rng(2),
                tol=1e-4, n_iter_no_change=10)
    base.update(kw)
    return Trainer(net, MSELoss(), SGD(0.05, momentum=0.9), ConstantLR(0.05), **base)


def test_trainer_runs_epochs_and_records_the_history():
    net, X, y = tiny_problem()
    start = net.param_vector.copy()
    history = TrainingHistory()
    result = make_trainer(net).fit(X, y, None, max_iter=4, history=history)
    assert isinstance(result, TrainResult)
    assert result.n_iter == 4
    assert result.n_samples_seen == 4 * len(X)
    assert not result.diverged and not result.interrupted and result.stopped is None
    assert history.n_epochs == 4 and history.t == 4 * len(X)
    assert len(history.loss_curve) == 4 and np.isfinite(history.loss_curve).all()
    assert history.loss_curve[-1] < history.loss_curve[0]
    assert history.best_loss == min(history.loss_curve)
    assert history.validation_scores == []
    assert np.any(net.param_vector != start)
    # a second call continues the count
    result = make_trainer(net).fit(X, y, None, max_iter=2, history=history)
    assert result.n_iter == 2 and result.n_samples_seen == 6 * len(X)
    assert history.n_epochs == 6 and history.t == 6 * len(X) and len(history.loss_curve) == 6


def test_trainer_incremental_runs_one_epoch():
    net, X, y = tiny_problem()
    history = TrainingHistory(n_epochs=2, t=100, loss_curve=[1.0, 0.9], best_loss=0.9)
    result = make_trainer(net).fit(X, y, None, max_iter=5, history=history, incremental=True)
    assert result.n_iter == 1 and result.n_samples_seen == 100 + len(X)
    assert history.n_epochs == 3 and history.t == 100 + len(X) and len(history.loss_curve) == 3


def test_trainer_callback_stops_training():
    net, X, y = tiny_problem()
    seen = []
    trainer = make_trainer(net, callbacks=[lambda info: seen.append(info["epoch"]) or len(seen) == 2])
    history = TrainingHistory()
    result = trainer.fit(X, y, None, max_iter=10, history=history)
    assert seen == [1, 2]
    assert result.n_iter == 2 and result.stopped == "callback"


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_trainer_rolls_back_on_divergence():
    net, X, y = tiny_problem()
    history = TrainingHistory()
    make_trainer(net).fit(X, y, None, max_iter=1, history=history)
    good = net.param_vector.copy()
    result = make_trainer(net).fit(X, y * 1e200, None, max_iter=3, history=history)
    assert result.diverged and result.n_iter == 0 and result.n_samples_seen == len(X)
    np.testing.assert_array_equal(net.param_vector, good)
    assert history.n_epochs == 1 and len(history.loss_curve) == 1


def test_fit_stochastic_holds_out_a_validation_set():
    net, X, y = tiny_problem(n=60)
    params = BPNetRegressor(solver="sgd", early_stopping=True, max_iter=3, batch_size=16,
                            validation_fraction=0.25).get_params()
    history = TrainingHistory()

    def score(scores, y_val, sw):
        return -float(np.mean((scores - y_val) ** 2))

    result = fit_stochastic(net, MSELoss(), SGD(0.01), ConstantLR(0.01), np.random.default_rng(0),
                            X, y, None, history, params=params, incremental=False,
                            dropout_seed=0, score=score)
    n_train = result.n_samples_seen // result.n_iter
    assert result.n_iter == 3
    assert n_train == 60 - 15  # ceil(0.25 * 60) distinct rows held out
    assert history.validated is True
    assert len(history.validation_scores) == len(history.validation_loss_curve) == 3
    assert history.best_validation_score == max(history.validation_scores)
