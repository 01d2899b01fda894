"""The estimators on array API namespaces: training and prediction where the data lives.

Under ``array_api_dispatch=True`` an X of array_api_strict (on its
non-default ``device1``) or PyTorch (CPU) trains the network there. The
results must match a NumPy fit of the same settings to rounding, the
fitted parameters and every prediction must be in X's namespace and on its
device, and everything a fit does (dropout, early stopping, weights, warm
start, partial_fit, divergence, callbacks, chunked prediction) must work
there. scikit-learn's own array API checks run in tests/test_common.py.
"""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits, make_regression

from skbpnet import BPNetClassifier, BPNetRegressor, DivergenceWarning, load, save
from skbpnet.nn._namespace import device_of, get_namespace, to_numpy

from ._array_api_helpers import namespace_for_tests



def dispatch():
    return sklearn.config_context(array_api_dispatch=True)


@pytest.fixture(params=["array_api_strict", "torch", "torch-cuda", "cupy"])
def space(request):
    xp, device = namespace_for_tests(request.param)
    return xp, device, lambda a: xp.asarray(np.asarray(a), device=device)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16).astype(np.float64), y[:600]


def _on(a, xp, device):
    return get_namespace(a) is xp and str(device_of(a)) == str(device)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


CONFIGS = [
    dict(solver="adam"),
    dict(solver="sgd", learning_rate_init=0.05, nesterovs_momentum=True, alpha=1e-3),
    dict(solver="sgd", learning_rate_init=0.05, dropout=0.3, input_dropout=0.1),
    dict(solver="adam", early_stopping=True, validation_fraction=0.2, dropout=0.2),
    dict(solver="adam", learning_rate="cosine_restart", batch_size=64),
    dict(solver="lbfgs", max_iter=15),
    dict(solver="sgd", learning_rate_init=0.2, dropout=0.2, max_norm=1.0),
]


@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()))
def test_classifier_matches_numpy(space, digits, params):
    xp, device, to_xp = space
    X, y = digits
    kw = {"hidden_layer_sizes": (24,), "max_iter": 4, "random_state": 0, **params}
    ref = _quiet(BPNetClassifier(**kw).fit, X, y)
    with dispatch():
        clf = _quiet(BPNetClassifier(**kw).fit, to_xp(X), to_xp(y))
        proba, labels = clf.predict_proba(to_xp(X)), clf.predict(to_xp(X))
        log_proba = clf.predict_log_proba(to_xp(X))
        score = clf.score(to_xp(X), to_xp(y))
    assert all(_on(c, xp, device) for c in clf.coefs_ + clf.intercepts_)
    for out in (proba, labels, log_proba):
        assert _on(out, xp, device)
    np.testing.assert_allclose(to_numpy(clf.coefs_[0]), ref.coefs_[0], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(clf.loss_curve_, ref.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(proba), ref.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(to_numpy(log_proba), ref.predict_log_proba(X), atol=1e-8)
    np.testing.assert_array_equal(to_numpy(labels), ref.predict(X))
    assert isinstance(score, float) and score == pytest.approx(ref.score(X, y), abs=1e-12)
    assert clf.n_iter_ == ref.n_iter_
    if params.get("early_stopping"):
        assert clf.validation_scores_ == pytest.approx(ref.validation_scores_)


def test_weights_binary_and_multilabel(space, digits):
    xp, device, to_xp = space
    X, y = digits
    sw = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y))
    yb = np.where(y > 4, 10, 20)
    kw = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=1, class_weight={10: 2.0, 20: 1.0})
    ref = _quiet(BPNetClassifier(**kw).fit, X, yb, sample_weight=sw)
    with dispatch():
        clf = _quiet(BPNetClassifier(**kw).fit, to_xp(X), to_xp(yb), sample_weight=to_xp(sw))
        labels = clf.predict(to_xp(X))
        decision = clf.decision_function(to_xp(X))
    np.testing.assert_allclose(to_numpy(clf.coefs_[1]), ref.coefs_[1], rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(to_numpy(labels), ref.predict(X))
    assert tuple(decision.shape) == (len(y),) and _on(decision, xp, device)
    Y = np.stack([y % 2, y > 5, y == 0], axis=1).astype(np.int64)
    ref = _quiet(BPNetClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=1).fit, X, Y)
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=1).fit,
                     to_xp(X), to_xp(Y))
        pred = clf.predict(to_xp(X))
    np.testing.assert_array_equal(to_numpy(pred), ref.predict(X))


def test_string_labels_come_back_as_numpy(space, digits):
    xp, device, to_xp = space
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])[y]
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit,
                     to_xp(X), names)
        pred = clf.predict(to_xp(X[:5]))
    assert isinstance(pred, np.ndarray) and pred.dtype.kind == "U"  # strings cannot live there
    assert set(pred) <= set(names)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_matches_numpy(space, loss):
    xp, device, to_xp = space
    X, y = make_regression(n_samples=300, n_features=6, n_targets=2, noise=1.0, random_state=0)
    X = X / X.std(0)
    y = np.abs(y) / 50 if loss == "poisson" else y / y.std()
    kw = dict(loss=loss, hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    ref = _quiet(BPNetRegressor(**kw).fit, X, y)
    with dispatch():
        reg = _quiet(BPNetRegressor(**kw).fit, to_xp(X), to_xp(y))
        pred = reg.predict(to_xp(X))
        score = reg.score(to_xp(X), to_xp(y))
    assert _on(pred, xp, device) and tuple(pred.shape) == (300, 2)
    np.testing.assert_allclose(to_numpy(pred), ref.predict(X), rtol=1e-8, atol=1e-10)
    assert score == pytest.approx(ref.score(X, y), abs=1e-8)


def test_warm_start_and_partial_fit(space, digits):
    xp, device, to_xp = space
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=2, random_state=0, warm_start=True)
    ref = _quiet(BPNetClassifier(**kw).fit, X, y)
    _quiet(ref.fit, X, y)
    _quiet(ref.partial_fit, X[:100], y[:100])
    with dispatch():
        clf = _quiet(BPNetClassifier(**kw).fit, to_xp(X), to_xp(y))
        _quiet(clf.fit, to_xp(X), to_xp(y))
        _quiet(clf.partial_fit, to_xp(X[:100]), to_xp(y[:100]))
    assert clf.t_ == ref.t_
    assert _on(clf._optimizer.state[0][0], xp, device)
    np.testing.assert_allclose(to_numpy(clf.coefs_[0]), ref.coefs_[0], rtol=1e-9, atol=1e-11)
    with dispatch():
        first = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), random_state=0).partial_fit,
                       to_xp(X[:50]), to_xp(y[:50]), classes=to_xp(np.arange(10)))
    assert _on(first.coefs_[0], xp, device)


def test_a_numpy_model_continues_on_the_device_and_back(space, digits):
    xp, device, to_xp = space
    X, y = digits
    clf = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                                 warm_start=True).fit, X, y)
    with dispatch():
        _quiet(clf.fit, to_xp(X), to_xp(y))
    assert _on(clf.coefs_[0], xp, device)
    _quiet(clf.fit, X, y)  # and back: the NumPy path again
    assert isinstance(clf.coefs_[0], np.ndarray) and clf.t_ == 3 * 2 * len(y)


def test_divergence_rolls_back_on_the_device(space, digits):
    xp, device, to_xp = space
    X, y = digits
    kw = dict(solver="sgd", learning_rate_init=1e6, momentum=0.0, hidden_layer_sizes=(8,),
              max_iter=3, random_state=0)
    with pytest.warns(DivergenceWarning):
        ref = BPNetClassifier(**kw).fit(X, y)
    with dispatch(), pytest.warns(DivergenceWarning):
        clf = BPNetClassifier(**kw).fit(to_xp(X), to_xp(y))
    assert clf.n_iter_ == ref.n_iter_
    assert np.isfinite(to_numpy(clf._net.param_vector)).all()
    np.testing.assert_allclose(to_numpy(clf.coefs_[0]), ref.coefs_[0], rtol=1e-9, atol=1e-11)


def test_callbacks_get_host_floats_and_can_stop(space, digits):
    xp, device, to_xp = space
    X, y = digits
    seen = []

    def callback(info):
        seen.append(info)
        return info["epoch"] == 2

    with dispatch():
        clf = BPNetClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0,
                              early_stopping=True, callbacks=[callback]).fit(to_xp(X), to_xp(y))
    assert clf.n_iter_ == 2 and len(seen) == 2
    for info in seen:
        for key in ("loss", "validation_score", "validation_loss", "seconds"):
            assert type(info[key]) is float, key


def test_interrupt_keeps_the_last_epoch_on_the_device(space, digits):
    xp, device, to_xp = space
    X, y = digits

    def interrupt(info):
        if info["epoch"] == 2:
            raise KeyboardInterrupt

    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, callbacks=[interrupt])
    with pytest.warns(UserWarning, match="interrupted"):
        ref = BPNetClassifier(**kw).fit(X, y)
    with dispatch(), pytest.warns(UserWarning, match="interrupted"):
        clf = BPNetClassifier(**kw).fit(to_xp(X), to_xp(y))
    assert clf.n_iter_ == ref.n_iter_ == 2
    assert _on(clf.coefs_[0], xp, device)
    np.testing.assert_allclose(to_numpy(clf._net.param_vector), ref._net.param_vector,
                               rtol=1e-9, atol=1e-11)


def test_chunked_prediction(space):
    xp, device, to_xp = space
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9000, 4)).astype(np.float32)  # more rows than one prediction chunk
    y = (X[:, 0] > 0).astype(np.int64)
    ref = _quiet(BPNetClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit, X, y)
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit,
                     to_xp(X), to_xp(y))
        proba = clf.predict_proba(to_xp(X))
    assert tuple(proba.shape) == (9000, 2) and _on(proba, xp, device)
    np.testing.assert_allclose(to_numpy(proba), ref.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_other_namespace_or_no_dispatch_is_refused(space, digits):
    xp, device, to_xp = space
    X, y = digits
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit,
                     to_xp(X), to_xp(y))
        with pytest.raises(ValueError, match=r"BPNetClassifier.predict_proba\(\) must use the "
                                             r"same namespace.*move_estimator_to"):
            clf.predict_proba(X)
    with pytest.raises(ValueError, match=r"must use the same namespace.*array_api_dispatch"):
        clf.predict(X)


def test_move_estimator_to_and_back(space, digits):
    from sklearn.utils._array_api import move_estimator_to

    xp, device, to_xp = space
    X, y = digits
    ref = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit, X, y)
    with dispatch():
        moved = move_estimator_to(ref, xp, device)
        proba = moved.predict_proba(to_xp(X))
    assert isinstance(ref.coefs_[0], np.ndarray)  # the original stays where it was
    assert _on(moved.coefs_[0], xp, device)
    np.testing.assert_allclose(to_numpy(proba), ref.predict_proba(X), atol=1e-12)
    with dispatch():
        back = move_estimator_to(moved, np, "cpu")
    np.testing.assert_array_equal(back.predict_proba(X), ref.predict_proba(X))


def test_device_models_save_as_numpy(space, digits, tmp_path):
    xp, device, to_xp = space
    X, y = digits
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                                     dropout=0.1).fit, to_xp(X), to_xp(y))
        expected = to_numpy(clf.predict_proba(to_xp(X)))
    pickled = pickle.loads(pickle.dumps(clf))
    assert isinstance(pickled._net.param_vector, np.ndarray)
    assert isinstance(pickled._optimizer.state[0][0], np.ndarray)
    np.testing.assert_allclose(pickled.predict_proba(X), expected, atol=1e-12)
    assert _on(clf.coefs_[0], xp, device)  # pickling did not move the original
    save(clf, tmp_path / "m.skbpnet")
    loaded = load(tmp_path / "m.skbpnet")
    assert isinstance(loaded.coefs_[0], np.ndarray)
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-12)
    import copy

    twin = copy.deepcopy(clf)  # copies stay on the device
    assert _on(twin.coefs_[0], xp, device)
    assert twin._net is not clf._net
    assert _on(copy.copy(clf).coefs_[0], xp, device)


def test_device_models_export_with_skops_and_onnx(space, digits):
    xp, device, to_xp = space
    X, y = digits
    with dispatch():
        clf = _quiet(BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit,
                     to_xp(X), to_xp(y))
        expected = to_numpy(clf.predict_proba(to_xp(X)))
    sio = pytest.importorskip("skops.io", reason="skops is not installed (the [test] extra "
                                                 "brings it)")
    blob = sio.dumps(clf)
    restored = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    assert isinstance(restored.coefs_[0], np.ndarray)
    np.testing.assert_allclose(restored.predict_proba(X), expected, atol=1e-12)
    pytest.importorskip("skl2onnx", reason="skl2onnx is not installed (the [onnx] extra)")
    rt = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (the [onnx] "
                                                   "extra)")
    import skl2onnx

    import skbpnet.onnx  # noqa: F401 - registers the converters

    onx = skl2onnx.to_onnx(clf, X[:1].astype(np.float64), options={"zipmap": False})
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    _, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(proba, expected, atol=1e-10)


@pytest.mark.parametrize("bad", ["short", "negative", "2-D"])
def test_sample_weights_of_a_device_fit_are_checked_as_on_the_host(space, digits, bad):
    # the weights are checked on the host against y's rows: the same refusal as a NumPy fit
    xp, device, to_xp = space
    X, y = digits
    sw = {"short": np.ones(len(y) - 1), "negative": -np.ones(len(y)),
          "2-D": np.ones((len(y), 2))}[bad]
    with pytest.raises(ValueError) as on_host:
        BPNetClassifier(max_iter=1).fit(X, y, sample_weight=sw)
    with pytest.raises(ValueError) as on_device, dispatch():
        BPNetClassifier(max_iter=1).fit(to_xp(X), to_xp(y), sample_weight=to_xp(sw))
    assert str(on_device.value) == str(on_host.value)
    assert "sample_weight" in str(on_host.value) or "Sample weights" in str(on_host.value)


def test_zero_weight_batches_are_skipped_as_on_the_host(space, digits):
    xp, device, to_xp = space
    X, y = digits
    sw = np.ones(len(y))
    sw[:100] = 0.0  # with shuffle=False, the first two batches of 50 weigh nothing
    kw = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0, shuffle=False, batch_size=50,
              solver="sgd", learning_rate_init=0.05, alpha=1e-3)
    ref = _quiet(BPNetClassifier(**kw).fit, X, y, sample_weight=sw)
    with dispatch():
        clf = _quiet(BPNetClassifier(**kw).fit, to_xp(X), to_xp(y), sample_weight=to_xp(sw))
    np.testing.assert_allclose(clf.loss_curve_, ref.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(clf.coefs_[0]), ref.coefs_[0], rtol=1e-9, atol=1e-11)


def test_sparse_tensors_are_refused_clearly(digits):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: its sparse tensors "
                                                "are not tested here")
    X, y = digits
    with dispatch(), pytest.raises(ValueError, match="sparse tensors.*SciPy sparse matrix"):
        BPNetClassifier(max_iter=1).fit(torch.asarray(X).to_sparse(), torch.asarray(y))
