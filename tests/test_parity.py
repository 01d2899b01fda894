"""BPNet beside scikit-learn's MLP: what must be the same, checked side by side.

Weights differ by construction (He initialisation, another random stream), so
these tests compare what does not depend on them: signatures, attributes and
their types, epoch counts on problems whose stopping is forced, the
learning-rate sequence as a function of ``t_``, warnings, messages and the
verbose lines. The differences that remain are listed in
docs/user_guide/estimators.rst.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skbpnet import BPNetClassifier, BPNetRegressor

PAIRS = [(BPNetClassifier, MLPClassifier), (BPNetRegressor, MLPRegressor)]
PAIR_IDS = ["classifier", "regressor"]


# -- signatures ------------------------------------------------------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_every_scikit_learn_parameter_exists_with_the_same_default(ours, theirs):
    ours_sig = inspect.signature(ours).parameters
    for name, param in inspect.signature(theirs).parameters.items():
        assert name in ours_sig, f"{ours.__name__} lacks {theirs.__name__}'s {name!r}"
        assert ours_sig[name].default == param.default, name
        assert ours_sig[name].kind == param.kind, name
    # The positional parameters come in the same order: MLPRegressor("poisson", (8,)).
    positional = [n for n, p in inspect.signature(theirs).parameters.items()
                  if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert list(ours_sig)[:len(positional)] == positional


# -- loss='poisson' --------------------------------------------------------------------
def poisson_data(seed, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    rate = np.exp(0.6 * X[:, 0] - 0.4 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3])
    return X, rng.poisson(rate).astype(float)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_poisson_deviance_is_no_worse_than_mlp_regressor():
    ours, theirs = [], []
    for seed in range(3):
        X, y = poisson_data(seed)
        kw = dict(loss="poisson", solver="sgd", hidden_layer_sizes=(16,), max_iter=100,
                  learning_rate_init=0.01, random_state=0)
        ours.append(mean_poisson_deviance(
            y[400:], BPNetRegressor(**kw).fit(X[:400], y[:400]).predict(X[400:])))
        theirs.append(mean_poisson_deviance(
            y[400:], MLPRegressor(**kw).fit(X[:400], y[:400]).predict(X[400:])))
    assert np.mean(ours) <= 1.05 * np.mean(theirs), (ours, theirs)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_output_loss_scale_and_prediction(solver):
    X, y = poisson_data(0, n=200)
    kw = dict(loss="poisson", solver=solver, hidden_layer_sizes=(8,), max_iter=5,
              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = BPNetRegressor(**kw).fit(X, y), MLPRegressor(**kw).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    pred = ours.predict(X)
    assert pred.shape == y.shape and (pred > 0).all()
    np.testing.assert_allclose(pred, np.exp(ours._decision(X).ravel()))
    # loss_ is half the mean Poisson deviance plus the L2 penalty, as in scikit-learn.
    from sklearn.neural_network._base import poisson_loss

    penalty = 0.5 * ours.alpha * sum((c ** 2).sum() for c in ours.coefs_) / len(y)
    if solver == "lbfgs":
        assert ours.loss_ == pytest.approx(poisson_loss(y[:, None], pred[:, None]) + penalty)
    assert 0 < ours.loss_ < 5 and 0 < theirs.loss_ < 5


@pytest.mark.parametrize("cls", [BPNetRegressor, MLPRegressor])
def test_poisson_refuses_negative_targets_only_here(cls):
    X, y = poisson_data(0, n=50)
    y[3] = -1.0
    if cls is MLPRegressor:  # scikit-learn 1.9 trains on them: a documented difference
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(loss="poisson", max_iter=2).fit(X, y)
        return
    with pytest.raises(ValueError, match="not allowed for Poisson regression"):
        cls(loss="poisson", max_iter=2).fit(X, y)


def test_regressor_loss_is_validated_with_a_hint_for_positional_sizes():
    with pytest.raises(ValueError, match="'loss' parameter.*pass hidden_layer_sizes by keyword"):
        BPNetRegressor((8,)).fit(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="'loss' parameter"):
        BPNetRegressor(loss="huber").fit(np.zeros((4, 1)), np.zeros(4))
