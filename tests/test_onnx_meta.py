"""skbpnet.onnx inside scikit-learn's meta-estimators, beside MLPClassifier.

skl2onnx converts CalibratedClassifierCV, OneVsRestClassifier, VotingClassifier,
StackingClassifier, BaggingClassifier and TunedThresholdClassifierCV by calling
the converter of their inner classifier, with options of its own (``raw_scores``
where scikit-learn calls ``decision_function``). Each case fits the same
meta-estimator around BPNetClassifier and around MLPClassifier, on float64 and on
int64 data, exports it with a float and with an integer input, and compares
onnxruntime's probabilities with ``predict_proba``. Where skl2onnx itself fails
for MLPClassifier, the case says so: it fails the same way for both, or (a
tolerance MLP misses too) it is skipped with MLP's error as the reason.
"""

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import to_onnx
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier

import skbpnet.onnx  # noqa: F401  (registers the converters)
from skbpnet import BPNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TOL = 1e-4
META = {
    "calibrated_sigmoid": lambda b: CalibratedClassifierCV(b, cv=2, method="sigmoid"),
    "calibrated_isotonic": lambda b: CalibratedClassifierCV(b, cv=2, method="isotonic"),
    "one_vs_rest": OneVsRestClassifier,
    # skl2onnx converts VotingClassifier only with flatten_transform=False
    "voting_soft": lambda b: VotingClassifier([("net", b), ("lr", LogisticRegression())],
                                              voting="soft", flatten_transform=False),
    "stacking": lambda b: StackingClassifier([("net", b), ("lr", LogisticRegression())], cv=2),
    "bagging": lambda b: BaggingClassifier(b, n_estimators=3, random_state=0),
    "tuned_threshold": lambda b: TunedThresholdClassifierCV(b, cv=2),
}
CASES = [(m, k) for m in META for k in (2, 3) if m != "tuned_threshold" or k == 2]


def _data(fit_dtype, n_classes):
    X = np.random.RandomState(0).normal(size=(120, 4)) * 2
    if fit_dtype == "int64":
        X = np.round(X).astype(np.int64)
    s = X[:, 0] + X[:, 1]
    y = (s > 0).astype(int) if n_classes == 2 else np.digitize(s, [-1, 1])
    return X, y * 3 + 1  # labels that are not 0..k-1


def _export(model, X):
    """onnxruntime's labels and probabilities, or the exception on the way."""
    try:
        onx = to_onnx(model, X[:1], options={id(model): {"zipmap": False}})
        sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, {sess.get_inputs()[0].name: X})
    except Exception as exc:  # noqa: BLE001 - compared with MLP's below
        return exc


@pytest.mark.parametrize("input_dtype", [np.float32, np.int64])
@pytest.mark.parametrize("fit_dtype", ["float64", "int64"])
@pytest.mark.parametrize("meta, n_classes", CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_meta_estimator_exports_as_with_mlp(meta, n_classes, fit_dtype, input_dtype):
    X, y = _data(fit_dtype, n_classes)
    Xe = X.astype(input_dtype)
    out = {}
    for cls in (MLPClassifier, BPNetClassifier):
        model = META[meta](cls((5,), max_iter=30, random_state=0)).fit(X, y)
        out[cls] = model, _export(model, Xe)
    (mlp, mlp_out), (ours, our_out) = out[MLPClassifier], out[BPNetClassifier]
    if isinstance(mlp_out, Exception):
        # a skl2onnx limit (stacking with an integer input): the same failure for both
        assert type(our_out) is type(mlp_out), our_out
        assert str(our_out).split(":")[:3] == str(mlp_out).split(":")[:3]
        return
    assert not isinstance(our_out, Exception), our_out
    labels, proba = our_out
    # the output type of skl2onnx's converters: float32 for an integer input
    assert proba.dtype == mlp_out[1].dtype == (np.float64 if input_dtype == np.float64
                                               else np.float32)
    assert proba.shape == ours.predict_proba(Xe).shape
    mlp_err = np.abs(mlp_out[1] - mlp.predict_proba(Xe)).max()
    if mlp_err > TOL:
        pytest.skip(f"skl2onnx's {meta} differs from scikit-learn for MLPClassifier too "
                    f"(max |proba - predict_proba| = {mlp_err:.1e})")
    np.testing.assert_allclose(proba, ours.predict_proba(Xe), rtol=0, atol=TOL)
    if np.array_equal(mlp_out[0], mlp.predict(Xe)):
        np.testing.assert_array_equal(labels, ours.predict(Xe))
    else:  # TunedThresholdClassifierCV: skl2onnx drops the tuned threshold
        assert meta == "tuned_threshold"


@pytest.mark.parametrize("n_classes", [2, 3])
def test_calibration_is_fed_the_decision_function(n_classes):
    # The silent bug of issue 22: scikit-learn calibrates BPNet's decision_function,
    # so the converter must hand the calibrator raw scores, not probabilities.
    X, y = _data("float64", n_classes)
    cal = CalibratedClassifierCV(BPNetClassifier((5,), max_iter=30, random_state=0), cv=2)
    labels, proba = _export(cal.fit(X, y), X)
    np.testing.assert_allclose(proba, cal.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(labels, cal.predict(X))


@pytest.mark.parametrize("meta", ["one_vs_rest", "bagging"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_raw_scores_of_the_meta_estimator_are_its_decision_function(meta, n_classes):
    # raw_scores=True on the meta-estimator asks raw scores of every inner model;
    # LogisticRegression beside it shows skl2onnx's layout ([-s, s] when binary).
    X, y = _data("float64", n_classes)
    Xe = X.astype(np.float32)
    for base in (LogisticRegression(), BPNetClassifier((5,), max_iter=30, random_state=0)):
        model = META[meta](base).fit(X, y)
        onx = to_onnx(model, Xe[:1], options={id(model): {"zipmap": False, "raw_scores": True}})
        sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        scores = sess.run(None, {"X": Xe})[1]
        expected = model.decision_function(Xe)
        expected = np.c_[-expected, expected] if expected.ndim == 1 else expected
        np.testing.assert_allclose(scores, expected, rtol=0, atol=TOL)
