"""``label_smoothing``: the classifier's option of its cross-entropy (issue 21).

The loss itself (value, gradient, optimum) is checked in
``tests/nn/test_gradients.py``; here the estimator: what it trains, what it
stores, what it refuses, and the array API path.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification
from sklearn.utils._param_validation import InvalidParameterError

import skbpnet
from skbpnet import BPNetClassifier
from skbpnet.nn import SigmoidBinaryCrossEntropyLoss, SoftmaxCrossEntropyLoss
from skbpnet.nn._namespace import to_numpy

from ._array_api_helpers import namespace_for_tests


def _fit(X, y, eps, **kw):
    params = dict(hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01,
                  random_state=0, tol=0, n_iter_no_change=10**6)
    params.update(kw)
    return BPNetClassifier(label_smoothing=eps, **params).fit(X, y)


def test_smoothing_keeps_probabilities_away_from_0_and_1_and_accuracy_high():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    plain, smooth = _fit(X, y, 0.0), _fit(X, y, 0.2)
    # the plain fit drives the training probabilities to 1; the smoothed one stops
    # near its targets' 1 - 0.2 + 0.2 / 3 = 0.867 (a few outlying rows beyond)
    top_plain, top_smooth = plain.predict_proba(X).max(1), smooth.predict_proba(X).max(1)
    assert np.median(top_plain) > 0.99
    assert abs(np.median(top_smooth) - 0.867) < 0.03
    assert np.quantile(top_smooth, 0.9) < 0.95 < np.quantile(top_plain, 0.1)
    assert smooth.score(X, y) > 0.93
    # the smoothed loss cannot reach zero: its floor is the targets' entropy
    t = np.array([1 - 0.2 + 0.2 / 3, 0.2 / 3, 0.2 / 3])
    assert smooth.loss_curve_[-1] > -(t * np.log(t)).sum() - 1e-3 > plain.loss_curve_[-1]


@pytest.mark.parametrize("kind", ["binary", "multilabel"])
def test_sigmoid_outputs_are_smoothed_towards_one_half(kind):
    if kind == "binary":
        X, y = make_classification(200, 6, random_state=0, class_sep=3.0)
    else:
        X, y = make_multilabel_classification(200, 6, n_classes=3, random_state=0)
        X = X / X.std()
    plain, smooth = _fit(X, y, 0.0), _fit(X, y, 0.3)
    assert isinstance(smooth._make_loss(), SigmoidBinaryCrossEntropyLoss)
    assert smooth._make_loss().label_smoothing == 0.3
    # each output's target is 0.15 or 0.85: most probabilities stay inside that band,
    # where the plain fit's go past it
    margin_smooth = np.abs(smooth.predict_proba(X) - 0.5)
    margin_plain = np.abs(plain.predict_proba(X) - 0.5)
    assert np.quantile(margin_smooth, 0.8) < 0.37 < np.quantile(margin_plain, 0.8)


def test_the_multiclass_loss_carries_the_setting():
    X, y = load_iris(return_X_y=True)
    clf = _fit(X, y, 0.1, max_iter=2)
    loss = clf._make_loss()
    assert isinstance(loss, SoftmaxCrossEntropyLoss) and loss.label_smoothing == 0.1


def test_zero_smoothing_is_bitwise_the_plain_loss():
    X, y = load_iris(return_X_y=True)
    a = _fit(X, y, 0.0, max_iter=20)
    b = BPNetClassifier(hidden_layer_sizes=(32,), max_iter=20, learning_rate_init=0.01,
                        random_state=0, tol=0, n_iter_no_change=10**6).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "0.1", float("nan")])
def test_an_invalid_value_is_refused_by_name(bad):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="'label_smoothing' parameter of "
                                                    "BPNetClassifier must be a number in"):
        BPNetClassifier(label_smoothing=bad).fit(X, y)


def test_the_safe_format_stores_it_and_training_continues_the_same(tmp_path):
    X, y = load_iris(return_X_y=True)
    clf = _fit(X, y, 0.15, max_iter=5, warm_start=True)
    skbpnet.save(clf, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert loaded.label_smoothing == 0.15
    clf.fit(X, y)
    loaded.fit(X, y)
    assert loaded.loss_curve_ == clf.loss_curve_


def test_the_array_api_path_gives_the_numpy_values():
    xp, device = namespace_for_tests("array_api_strict")
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 3))
    w = rng.uniform(0.5, 2, size=5)
    cases = [(SoftmaxCrossEntropyLoss(0.2), rng.integers(0, 3, size=5)),
             (SoftmaxCrossEntropyLoss(0.2), rng.dirichlet(np.ones(3), size=5)),
             (SigmoidBinaryCrossEntropyLoss(0.2), rng.integers(0, 2, size=(5, 3)).astype(float))]
    for loss, y in cases:
        value = loss.forward(scores, y, w)
        grad = loss.backward().copy()
        value_xp = loss.forward_xp(xp.asarray(scores, device=device), y, w)
        assert value_xp == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(to_numpy(loss.backward()), grad, rtol=1e-12, atol=1e-15)


def test_a_file_written_before_the_option_existed_loads_with_none(tmp_path):
    """Format 2 files of 0.2.0.dev0 written before ``label_smoothing`` lack the parameter:
    they load with 0.0, the loss they were trained with (format 2 is not released yet,
    so the option needed no new format version; 0.1.0's format 1 files are checked in
    ``tests/io/test_compat.py``)."""
    from .io._archives import read_archive, write_archive

    X, y = load_iris(return_X_y=True)
    clf = _fit(X, y, 0.0, max_iter=3)
    skbpnet.save(clf, tmp_path / "new.skbpnet")
    meta, members = read_archive(tmp_path / "new.skbpnet")
    assert "label_smoothing" in meta["params"]
    del meta["params"]["label_smoothing"]
    write_archive(tmp_path / "old.skbpnet", meta, members)
    old = skbpnet.load(tmp_path / "old.skbpnet")
    assert old.label_smoothing == 0.0
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))
