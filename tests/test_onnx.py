"""skbpnet.onnx: what onnxruntime computes from the exported graph equals predict.

skl2onnx, onnx and onnxruntime are test dependencies (the ``onnx`` extra is
part of the ``test`` extra), so these tests fail, rather than skip, without
them.
"""

import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skbpnet.onnx  # noqa: F401  (registers the converters)
from skbpnet import BPNetClassifier, BPNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "gelu"]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _data(dtype=np.float64, n=150):
    X = np.random.RandomState(0).normal(size=(n, 5))
    return X.astype(dtype)


def _targets(X, task, labels="int"):
    a, b = X[:, 0] > 0, X[:, 1] + 0.5 * X[:, 2] > 0
    if task == "binary":
        y = a.astype(int)
    elif task == "multiclass":
        y = a.astype(int) + b.astype(int) + (X[:, 3] > 1)
    else:  # multilabel
        return np.c_[a, b, X[:, 3] > 0].astype(int)
    if labels == "str":
        return np.array(["cat", "dog", "emu", "fox"])[y]
    return y * 3 - 2  # integer labels that are not 0..k-1


def _run(onx, X):
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X})


def _zipmap_to_array(rows, classes):
    return np.array([[row[c] for c in classes] for row in rows])


def _fit_clf(task, activation="tanh", dtype=np.float64, labels="int", **kw):
    X = _data(dtype)
    clf = BPNetClassifier((6, 5), activation, max_iter=25, learning_rate_init=0.01,
                          random_state=0, **kw)
    return clf.fit(X, _targets(X, task, labels)), X


def _check_classifier(clf, X, zipmap=False, options_key=None, tol=None):
    key = id(clf) if options_key is None else options_key
    onx = to_onnx(clf, X[:1], options={key: {"zipmap": zipmap}})
    labels, proba = _run(onx, X)
    expected = clf.predict_proba(X)
    if zipmap:
        keys = [str(c) for c in clf.classes_] if clf.classes_.dtype.kind in "OU" else clf.classes_
        proba = _zipmap_to_array(proba, [k if isinstance(k, str) else int(k) for k in keys])
        tol = 1e-6  # ONNX's ZipMap gives float32 probabilities
    else:
        assert proba.dtype == expected.dtype
    np.testing.assert_array_equal(labels, clf.predict(X))
    assert labels.shape == clf.predict(X).shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=tol or TOL[expected.dtype.type])
    return labels, proba


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_matches_predict_proba(task, activation, dtype):
    clf, X = _fit_clf(task, activation, dtype)
    assert clf.coefs_[0].dtype == dtype
    _check_classifier(clf, X)


@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classifier_labels_int_and_str(task, labels):
    clf, X = _fit_clf(task, labels=labels)
    out, _ = _check_classifier(clf, X)
    if labels == "str":
        assert out.dtype == object and set(out) <= set(clf.classes_)
    else:
        assert out.dtype == np.int64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_zipmap(task, labels, dtype):
    clf, X = _fit_clf(task, dtype=dtype, labels=labels)
    _, proba = _check_classifier(clf, X, zipmap=True, options_key=BPNetClassifier)
    assert proba.shape == (X.shape[0], len(clf.classes_))


def test_zipmap_is_on_by_default():
    clf, X = _fit_clf("multiclass", labels="str")
    labels, rows = _run(to_onnx(clf, X[:1]), X)
    assert isinstance(rows, list) and set(rows[0]) == set(clf.classes_)
    np.testing.assert_array_equal(labels, clf.predict(X))


def test_float_labels_that_are_integers_become_int64():
    clf, X = _fit_clf("multiclass")
    clf.fit(X, clf.predict(X).astype(float))
    labels, _ = _check_classifier(clf, X)
    assert labels.dtype == np.int64


def test_float_labels_that_are_not_integers_are_refused():
    # scikit-learn refuses such targets in fit; an edited model may still have them
    clf, X = _fit_clf("binary")
    clf.classes_ = np.array([0.5, 1.5])
    with pytest.raises(NotImplementedError, match="integers or strings"):
        to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_matches_predict(n_outputs, activation, dtype):
    X = _data(dtype)
    y = np.c_[X[:, 0] ** 2, X[:, 1] - X[:, 2], np.sin(X[:, 3])][:, :n_outputs]
    reg = BPNetRegressor(hidden_layer_sizes=(6, 5), activation=activation, max_iter=25,
                         learning_rate_init=0.01,
                         random_state=0).fit(X, y.ravel() if n_outputs == 1 else y)
    (out,) = _run(to_onnx(reg, X[:1]), X)
    assert out.shape == (X.shape[0], n_outputs) and out.dtype == dtype
    expected = reg.predict(X).reshape(-1, n_outputs)
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_exp_output_activation(dtype, monkeypatch):
    # The output activation of the Poisson loss: predict = exp(scores).
    X = _data(dtype)
    reg = BPNetRegressor(hidden_layer_sizes=(6,), max_iter=25, random_state=0).fit(X, X[:, :2])
    scores = reg.predict(X)
    monkeypatch.setattr(BPNetRegressor, "out_activation_", property(lambda self: "exp"))
    (out,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out, np.exp(scores), rtol=TOL[dtype], atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_regressor_matches_predict(dtype):
    X = _data(dtype)
    y = np.random.default_rng(0).poisson(np.exp(0.5 * X[:, 0])).astype(float)
    reg = BPNetRegressor(loss="poisson", hidden_layer_sizes=(6,), max_iter=25,
                         random_state=0).fit(X, y)
    assert reg.out_activation_ == "exp"
    (out,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=TOL[dtype], atol=0)


@pytest.mark.parametrize("model_dtype, input_dtype", [(np.float32, np.float64),
                                                      (np.float64, np.float32)])
def test_input_of_another_dtype_is_cast_to_the_model_dtype(model_dtype, input_dtype):
    clf, X = _fit_clf("multiclass", "gelu", model_dtype)
    Xi = X.astype(input_dtype)
    labels, proba = _run(to_onnx(clf, Xi[:1], options={id(clf): {"zipmap": False}}), Xi)
    assert proba.dtype == model_dtype
    np.testing.assert_array_equal(labels, clf.predict(Xi))
    np.testing.assert_allclose(proba, clf.predict_proba(Xi), rtol=0, atol=TOL[model_dtype])


def test_dropout_leaves_nothing_in_the_graph():
    clf, X = _fit_clf("multiclass", "relu", dropout=0.3, input_dropout=0.2)
    _check_classifier(clf, X)


def test_max_norm_model_exports_and_matches():
    # The constraint acts on training only: the graph is the usual one.
    clf, X = _fit_clf("multiclass", "relu", dropout=0.2, max_norm=0.5)
    assert max(np.linalg.norm(w, axis=0).max() for w in clf.coefs_) <= 0.5 * (1 + 1e-12)
    _check_classifier(clf, X)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_standard_scaler(dtype):
    X = _data(dtype) * 10 + 3
    pipe = make_pipeline(StandardScaler(), BPNetClassifier((8,), "gelu", max_iter=25,
                                                          random_state=0))
    pipe.fit(X, _targets(X - 3, "multiclass", "str"))
    onx = to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    labels, proba = _run(onx, X)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=TOL[dtype])

    reg = make_pipeline(StandardScaler(),
                        BPNetRegressor(hidden_layer_sizes=(8,), max_iter=25, random_state=0))
    reg.fit(X, X[:, 0] - X[:, 1])
    (out,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out[:, 0], reg.predict(X), rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_column_transformer(dtype):
    X = _data(dtype)
    pre = ColumnTransformer([("scaled", StandardScaler(), [0, 1, 2]),
                             ("raw", "passthrough", [3, 4])])
    pipe = make_pipeline(pre, BPNetClassifier((8,), "leaky_relu", max_iter=25,
                                              random_state=0))
    pipe.fit(X, _targets(X, "binary"))
    labels, rows = _run(to_onnx(pipe, X[:1]), X)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    proba = _zipmap_to_array(rows, [int(c) for c in pipe.classes_])
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-6)

    reg = make_pipeline(pre, BPNetRegressor(hidden_layer_sizes=(8,), activation="tanh",
                                           max_iter=25, random_state=0))
    reg.fit(X, X[:, :2])
    (out,) = _run(to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out, reg.predict(X), rtol=0, atol=TOL[dtype])


def test_unknown_activations_are_refused(monkeypatch):
    clf, X = _fit_clf("binary")
    clf.activation = "swish"
    with pytest.raises(NotImplementedError, match="swish"):
        to_onnx(clf, X[:1])
    reg = BPNetRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, X[:, 0])
    monkeypatch.setattr(BPNetRegressor, "out_activation_", property(lambda self: "softplus"))
    with pytest.raises(NotImplementedError, match="softplus"):
        to_onnx(reg, X[:1])


def test_raw_scores_option_gives_the_decision_function():
    for task, width in (("binary", 2), ("multiclass", 4), ("multilabel", 3)):
        clf, X = _fit_clf(task)
        onx = to_onnx(clf, X[:1], options={id(clf): {"zipmap": False, "raw_scores": True}})
        labels, scores = _run(onx, X)
        expected = clf.decision_function(X)
        if expected.ndim == 1:  # skl2onnx's binary layout: [-score, score]
            expected = np.c_[-expected, expected]
        assert scores.shape == (X.shape[0], width)
        np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(labels, clf.predict(X))


@pytest.mark.parametrize("input_dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_boolean_inputs_give_float32_outputs_as_skl2onnx(input_dtype):
    # skl2onnx's convention (guess_tensor_type): an integer input gives float32
    # outputs; the network still computes in the model's dtype, as predict does.
    clf, X = _fit_clf("multiclass")
    Xi = (X > 0).astype(input_dtype) if input_dtype is np.bool_ else np.round(X * 3).astype(
        input_dtype)
    labels, proba = _run(to_onnx(clf, Xi[:1], options={id(clf): {"zipmap": False}}), Xi)
    assert clf.coefs_[0].dtype == np.float64 and proba.dtype == np.float32
    np.testing.assert_array_equal(labels, clf.predict(Xi))
    np.testing.assert_allclose(proba, clf.predict_proba(Xi), rtol=0, atol=1e-6)
    reg = BPNetRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, X[:, 0])
    (out,) = _run(to_onnx(reg, Xi[:1]), Xi)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], reg.predict(Xi), rtol=1e-6, atol=1e-6)


def test_labels_beyond_int64_are_refused_and_uint64_within_exported_exactly():
    clf, X = _fit_clf("binary")
    y = np.where(X[:, 0] > 0, 7, 2**63 + 5).astype(np.uint64)
    clf.fit(X, y)
    with pytest.raises(NotImplementedError, match=r"\[9223372036854775813\].*int64"):
        to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})
    clf.fit(X, np.where(X[:, 0] > 0, 7, 2**63 - 1).astype(np.uint64))
    labels, _ = _check_classifier(clf, X)
    assert labels.dtype == np.int64 and set(labels) == {7, 2**63 - 1}


def test_single_class_classifier_exports_correctly():
    X = _data()
    clf = BPNetClassifier((4,), max_iter=5, random_state=0).fit(X, np.full(len(X), 5))
    assert clf.predict_proba(X).shape == (len(X), 2)  # as MLPClassifier's
    labels, _ = _check_classifier(clf, X)
    assert set(labels) == {5}
    # ZipMap cannot name two columns after one class: refused, with the way out
    with pytest.raises(NotImplementedError, match=r"single class.*zipmap=False"):
        to_onnx(clf, X[:1])


def test_unfitted_models_raise_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    X = _data()
    for est in (BPNetClassifier(), BPNetRegressor()):
        with pytest.raises(NotFittedError, match="not fitted"):
            to_onnx(est, X[:1])


def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_import_skbpnet_does_not_import_skl2onnx():
    res = _python(
        "import sys, skbpnet, skbpnet.nn, skbpnet.datasets\n"
        "bad = [m for m in ('skl2onnx', 'onnx', 'onnxruntime') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "import skbpnet.onnx\n"
        "assert 'skl2onnx' in sys.modules\n"
    )
    assert res.returncode == 0, res.stderr


def test_missing_skl2onnx_gives_an_install_hint():
    res = _python(
        "import sys\n"
        "sys.modules['skl2onnx'] = None\n"
        "try:\n"
        "    import skbpnet.onnx\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    assert res.returncode == 0, res.stderr
    assert 'pip install "skbpnet[onnx]"' in res.stdout
