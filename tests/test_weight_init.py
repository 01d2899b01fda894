"""``weight_init``: how both estimators draw their first weights (issue 21).

'auto' is what the estimators always did (He for ReLU-like activations,
Glorot otherwise and for Poisson regression); 'he' and 'glorot' force one.
``skbpnet train`` starts its tables from Glorot (``tests/cli/test_cli_train.py``).
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.utils._param_validation import InvalidParameterError

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor

X, Y = make_classification(120, 6, random_state=0)


def _first_weights(est, X=X, y=Y):
    # one Adam step of 1e-12 moves no weight visibly: these are the initial weights
    est.set_params(max_iter=1, learning_rate_init=1e-12, hidden_layer_sizes=(16, 8),
                   random_state=0, dtype="float64")
    with pytest.warns(Warning):  # max_iter=1 ends before convergence
        est.fit(X, y)
    return est.coefs_


def _bound(name, n_in, n_out):
    return np.sqrt(6 / n_in) if name == "he" else np.sqrt(6 / (n_in + n_out))


@pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor])
def test_glorot_draws_the_same_stream_within_its_smaller_bound(cls):
    he, glorot = _first_weights(cls(weight_init="he")), _first_weights(cls(weight_init="glorot"))
    for w_he, w_gl in zip(he, glorot):
        n_in, n_out = w_he.shape
        b_he, b_gl = _bound("he", n_in, n_out), _bound("glorot", n_in, n_out)
        # both are U(-b, b) from the same generator: the same draws, scaled
        np.testing.assert_allclose(w_gl, w_he * (b_gl / b_he), rtol=1e-9, atol=1e-12)
        assert np.abs(w_gl).max() <= b_gl < b_he
        if w_he.size >= 50:  # and they fill it (the output layer's 8 draws need not)
            assert np.abs(w_he).max() > 0.8 * b_he and np.abs(w_gl).max() > 0.8 * b_gl


@pytest.mark.parametrize("activation, expected", [("relu", "he"), ("leaky_relu", "he"),
                                                  ("tanh", "glorot"), ("logistic", "glorot")])
def test_auto_is_the_activations_own_initialisation(activation, expected):
    auto = _first_weights(BPNetClassifier(activation=activation))
    forced = _first_weights(BPNetClassifier(activation=activation, weight_init=expected))
    for a, f in zip(auto, forced):
        np.testing.assert_array_equal(a, f)


def test_auto_is_glorot_for_poisson_regression_and_can_be_overridden():
    Xr, yr = make_regression(120, 6, random_state=0)
    yr = np.exp(yr / yr.std())
    auto = _first_weights(BPNetRegressor(loss="poisson"), Xr, yr)
    glorot = _first_weights(BPNetRegressor(weight_init="glorot"), Xr, yr)
    he = _first_weights(BPNetRegressor(loss="poisson", weight_init="he"), Xr, yr)
    # the same draws (the one step of 1e-12 differs between the losses)
    np.testing.assert_allclose(auto[0], glorot[0], rtol=0, atol=1e-10)
    assert np.abs(he[0]).max() > _bound("glorot", 6, 16)


@pytest.mark.parametrize("value", ["xavier", "", None, 1])
def test_an_unknown_initialisation_is_refused_by_name(value):
    with pytest.raises(InvalidParameterError, match=r"'weight_init' parameter of "
                       r"BPNetClassifier must be one of \['auto', 'he', 'glorot'\]"):
        BPNetClassifier(weight_init=value).fit(X, Y)


def test_a_saved_model_keeps_its_initialisation_and_continues_identically(tmp_path):
    clf = BPNetClassifier((8,), weight_init="glorot", max_iter=5, random_state=0,
                          warm_start=True)
    with pytest.warns(Warning):
        clf.fit(X, Y)
    skbpnet.save(clf, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert loaded.get_params()["weight_init"] == "glorot"
    with pytest.warns(Warning):
        clf.fit(X, Y)
        loaded.fit(X, Y)
    for a, b in zip(clf.coefs_, loaded.coefs_):
        np.testing.assert_array_equal(a, b)


def test_glorot_changes_the_start_not_the_training():
    # the same seed and data: the two fits differ only through their first weights,
    # and both learn the task
    he = BPNetClassifier((16,), weight_init="he", random_state=0, max_iter=300).fit(X, Y)
    gl = BPNetClassifier((16,), weight_init="glorot", random_state=0, max_iter=300).fit(X, Y)
    assert he.score(X, Y) > 0.9 and gl.score(X, Y) > 0.9
    assert not np.array_equal(he.coefs_[0], gl.coefs_[0])
