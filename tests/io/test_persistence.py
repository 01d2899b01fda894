"""Model files: skbpnet's safe format (skbpnet.save / skbpnet.load), joblib and skops.

Round trips must give bitwise-identical predictions and a bitwise-identical
continuation of training, for both estimators, every solver, float32 and
float64, early stopping, dropout, multilabel and string targets. The safe
format must refuse anything it did not write: damaged, truncated and foreign
files, pickled payloads and object arrays, unknown classes and keys. Writes
are atomic.
"""

import io
import json
import math
import os
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

import skbpnet
from skbpnet import (
    BPNetClassifier,
    BPNetRegressor,
    InconsistentSkbpnetVersionWarning,
    ModelFileError,
)
from skbpnet import _atomic
from skbpnet.io import archive
from tests.io._archives import read_archive, write_archive

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- data, configurations, state comparison --------------------------------------------
def make_xy(target, n=120, d=6, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    score = X[:, 0] + 0.5 * X[:, 1] - 0.25 * X[:, 2]
    if target == "int":
        y = np.digitize(score, [-0.5, 0.5])  # 3 classes
    elif target == "str":
        y = np.array(["cat", "dog", "emu"])[np.digitize(score, [-0.5, 0.5])]
    elif target == "bool":
        y = score > 0
    elif target == "multilabel":
        y = np.stack([score > 0, X[:, 3] > 0, X[:, 4] + X[:, 5] > 0], axis=1).astype(int)
    elif target == "reg":
        y = score + 0.1 * X[:, 3]
    elif target == "count":
        y = np.random.default_rng(seed + 1).poisson(np.exp(0.5 * score)).astype(float)
    elif target == "reg2":
        y = np.stack([score, X[:, 3] * X[:, 4]], axis=1)
    else:  # pragma: no cover
        raise ValueError(target)
    return X, y


# (id, estimator class, parameters, target, dtype)
CASES = [
    ("clf-adam-f32-int", BPNetClassifier, dict(solver="adam"), "int", np.float32),
    ("clf-sgd-f64-str-dropout", BPNetClassifier,
     dict(solver="sgd", dropout=0.2, learning_rate="invscaling"), "str", np.float64),
    ("clf-lbfgs-f64", BPNetClassifier, dict(solver="lbfgs", activation="tanh"), "int",
     np.float64),
    ("clf-lbfgs-f32-str", BPNetClassifier, dict(solver="lbfgs"), "str", np.float32),
    ("clf-adam-f32-str-early", BPNetClassifier,
     dict(early_stopping=True, learning_rate="adaptive", n_iter_no_change=2), "str",
     np.float32),
    ("clf-sgd-f32-multilabel-early", BPNetClassifier,
     dict(solver="sgd", early_stopping=True, activation="gelu"), "multilabel", np.float32),
    ("clf-adam-f64-bool-dropout", BPNetClassifier,
     dict(dropout=0.1, activation="leaky_relu", class_weight={False: 1.0, True: 2.0}), "bool",
     np.float64),
    ("reg-adam-f32", BPNetRegressor, dict(hidden_layer_sizes=(8, 4)), "reg", np.float32),
    ("reg-sgd-f64-2out-early", BPNetRegressor,
     dict(solver="sgd", early_stopping=True, learning_rate="cosine", nesterovs_momentum=False),
     "reg2", np.float64),
    ("reg-lbfgs-f32", BPNetRegressor, dict(solver="lbfgs", activation="logistic"), "reg",
     np.float32),
    ("reg-sgd-f32-dropout", BPNetRegressor, dict(solver="sgd", dropout=0.25), "reg", np.float32),
    ("reg-adam-f64-poisson", BPNetRegressor, dict(loss="poisson"), "count", np.float64),
    ("reg-sgd-f32-poisson-early", BPNetRegressor,
     dict(loss="poisson", solver="sgd", early_stopping=True), "count", np.float32),
    ("reg-adam-f64-dropout-early", BPNetRegressor,
     dict(dropout=0.1, early_stopping=True, activation="identity"), "reg", np.float64),
]
CASE_IDS = [c[0] for c in CASES]


def fit_case(case, max_iter=4):
    _, cls, params, target, dtype = case
    X, y = make_xy(target, dtype=dtype)
    base = dict(hidden_layer_sizes=(8,), max_iter=max_iter, random_state=0,
                learning_rate_init=0.01)
    base.update(params)
    return cls(**base).fit(X, y), X, y


def continue_training(est, X, y):
    """A warm-started fit, then (stochastic solvers) two partial_fit calls."""
    est.set_params(warm_start=True, max_iter=3).fit(X, y)
    if est.solver != "lbfgs":
        est.set_params(early_stopping=False)  # partial_fit refuses it, as in scikit-learn
        est.partial_fit(X, y)
        est.partial_fit(X[:50], y[:50])
    return est


def canon(obj):
    """A structure equal for two objects exactly when their saved state is equal.

    Tells apart float from numpy.float64, float32 from float64 arrays, and
    compares random generators by their state and skbpnet objects by what
    they pickle (so caches and buffers do not count).
    """
    if obj is None or type(obj) in (bool, int, str):
        return (type(obj).__name__, obj)
    if type(obj) is float:
        return ("float", repr(obj))
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return ("objects", obj.shape, [canon(x) for x in obj])
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, np.generic):
        return ("scalar", obj.dtype.str, obj.tobytes())
    if type(obj) in (list, tuple):
        return (type(obj).__name__, [canon(x) for x in obj])
    if type(obj) is dict:
        return ("dict", sorted((repr(canon(k)), canon(v)) for k, v in obj.items()))
    if isinstance(obj, np.random.Generator):
        return ("Generator", canon(obj.bit_generator.state))
    if isinstance(obj, np.random.RandomState):
        return ("RandomState", canon(obj.get_state(legacy=False)))
    if type(obj).__module__.startswith("skbpnet"):
        getstate = getattr(obj, "__getstate__", None)  # Python 3.10: not on every object
        state = getstate() if getstate is not None else obj.__dict__
        return (type(obj).__qualname__, canon(dict(state or {})))
    raise TypeError(f"canon does not know {type(obj)}")  # pragma: no cover


def assert_same_state(a, b):
    assert type(a) is type(b)
    assert canon(a.get_params(deep=False)) == canon(b.get_params(deep=False))
    assert sorted(a.__dict__) == sorted(b.__dict__)
    for key in a.__dict__:
        assert canon(a.__dict__[key]) == canon(b.__dict__[key]), key
    # The flat buffer and the layers' views into it.
    for est in (a, b):
        pv = est._net.param_vector
        arrays = est.coefs_ + est.intercepts_
        assert all(np.shares_memory(x, pv) for x in arrays)
        assert sum(x.size for x in arrays) == pv.size
    # A dropout layer drawing from the estimator's generator still does.
    for la, lb in zip(a._net.layers, b._net.layers):
        if isinstance(la, skbpnet.nn.Dropout):
            assert (la.rng is a._rng) == (lb.rng is b._rng)


def assert_same_predictions(a, b, X):
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        if hasattr(a, method):
            pa, pb = getattr(a, method)(X), getattr(b, method)(X)
            assert pa.dtype == pb.dtype and pa.shape == pb.shape
            np.testing.assert_array_equal(pa, pb, strict=True)


def round_trip(est, how, tmp_path):
    if how == "safe":
        path = tmp_path / "model.skbpnet"
        skbpnet.save(est, path)
        return skbpnet.load(path)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


FORMATS = pytest.mark.parametrize("how", ["safe", "joblib"])


# -- round trips ---------------------------------------------------------------------------
@FORMATS
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_round_trip_predicts_and_continues_identically(case, how, tmp_path):
    est, X, y = fit_case(case)
    loaded = round_trip(est, how, tmp_path)
    assert_same_state(est, loaded)
    assert_same_predictions(est, loaded, X)
    if est._net.dtype == np.float32:
        assert loaded.coefs_[0].dtype == np.float32
    if isinstance(est, BPNetClassifier):
        assert loaded.classes_.dtype == est.classes_.dtype
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
    before = [c.copy() for c in loaded.coefs_]
    continue_training(est, X, y)
    continue_training(loaded, X, y)
    assert_same_state(est, loaded)
    assert_same_predictions(est, loaded, X)
    assert not all(np.array_equal(b, c) for b, c in zip(before, loaded.coefs_))
    # After a warm start the dropout layers draw from a generator of their own.
    assert_same_state(est, round_trip(est, how, tmp_path))


@FORMATS
@pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor], ids=["clf", "reg"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_round_trip_in_the_middle_of_partial_fit(cls, solver, how, tmp_path):
    X, y = make_xy("int" if cls is BPNetClassifier else "reg", dtype=np.float32)
    kw = {"classes": [0, 1, 2]} if cls is BPNetClassifier else {}
    est = cls(hidden_layer_sizes=(8,), solver=solver, dropout=0.1, random_state=0)
    for chunk in (slice(0, 40), slice(40, 80)):
        est.partial_fit(X[chunk], y[chunk], **kw)
    loaded = round_trip(est, how, tmp_path)
    assert_same_state(est, loaded)
    for chunk in (slice(80, 120), slice(0, 120)):
        for e in (est, loaded):
            e.partial_fit(X[chunk], y[chunk])
    assert_same_state(est, loaded)
    assert_same_predictions(est, loaded, X)


def test_safe_format_keeps_parameter_types(tmp_path):
    X, y = make_xy("int")
    est = BPNetClassifier(
        hidden_layer_sizes=[np.int64(8), 4], alpha=np.float32(1e-3), batch_size=np.int32(32),
        random_state=np.random.RandomState(3), max_iter=2, class_weight={0: 1.0, 1: 2.0, 2: 0.5},
        n_iter_no_change=np.inf, callbacks=[],
    ).fit(X, y)
    loaded = round_trip(est, "safe", tmp_path)
    assert_same_state(est, loaded)
    assert type(loaded.hidden_layer_sizes) is list
    assert type(loaded.alpha) is np.float32
    # The RandomState parameter carries on from where it was.
    assert est.random_state.randint(1000) == loaded.random_state.randint(1000)
    continue_training(est, X, y)
    continue_training(loaded, X, y)
    assert_same_state(est, loaded)
    # Parameters changed after fit are saved as they are; the network keeps the
    # architecture it was fitted with.
    est.set_params(hidden_layer_sizes=(3, 3), activation="tanh", warm_start=False)
    loaded = round_trip(est, "safe", tmp_path)
    assert_same_state(est, loaded)
    assert_same_predictions(est, loaded, X)


def test_safe_format_keeps_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = make_xy("str")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = BPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(df, pd.Series(y, dtype=object))
    assert est.feature_names_in_.dtype == object
    loaded = round_trip(est, "safe", tmp_path)
    assert_same_state(est, loaded)
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X has feature names" warning
        np.testing.assert_array_equal(loaded.predict(df), est.predict(df))


def test_safe_files_are_deterministic_and_stable(tmp_path):
    est, X, y = fit_case(CASES[1])
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    skbpnet.save(est, a)
    skbpnet.save(est, b)
    skbpnet.save(skbpnet.load(a), c)
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()
    # A readable archive: JSON metadata and plain .npy arrays.
    with zipfile.ZipFile(a) as zf:
        meta = json.loads(zf.read("metadata.json"))
        assert meta["format"] == "skbpnet-model" and meta["format_version"] == 2
        assert meta["estimator"] == "BPNetClassifier"
        assert meta["versions"]["skbpnet"] == skbpnet.__version__
        assert meta["optimizer"]["type"] == "SGD"
        assert len(meta["sha256"]) == 64
        assert "net.param_vector.npy" in zf.namelist()
    with np.load(a, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["net.param_vector"], est._net.param_vector)


# -- what the safe format refuses to save ----------------------------------------------
def test_save_refuses_unfitted_and_foreign_estimators(tmp_path):
    path = tmp_path / "m.skbpnet"
    with pytest.raises(NotFittedError, match="not fitted"):
        skbpnet.save(BPNetClassifier(), path)
    assert issubclass(NotFittedError, ValueError)
    X, y = make_xy("int")
    mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    with pytest.raises(TypeError, match="BPNetClassifier and BPNetRegressor"):
        skbpnet.save(mlp, path)

    class Sub(BPNetClassifier):
        pass

    with pytest.raises(TypeError):
        skbpnet.save(Sub(max_iter=1).fit(X, y), path)
    assert not path.exists()


def test_save_refuses_callbacks_with_advice(tmp_path):
    X, y = make_xy("int")
    est = BPNetClassifier(hidden_layer_sizes=(4,), max_iter=2, callbacks=[lambda info: False])
    est.fit(X, y)
    path = tmp_path / "m.skbpnet"
    with pytest.raises(ValueError, match=r"callbacks.*set_params\(callbacks=None\)"):
        skbpnet.save(est, path)
    assert not path.exists()
    callbacks = est.callbacks
    skbpnet.save(est.set_params(callbacks=None), path)
    loaded = skbpnet.load(path).set_params(callbacks=callbacks)
    assert_same_predictions(est, loaded, X)


def test_save_refuses_unknown_attributes(tmp_path):
    est, X, y = fit_case(CASES[0])
    est.my_note_ = "something"
    with pytest.raises(ValueError, match="unexpected attributes.*my_note_"):
        skbpnet.save(est, tmp_path / "m.skbpnet")


# -- atomic writes -------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["array", "fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_intact(where, tmp_path, monkeypatch):
    old, X, y = fit_case(CASES[0])
    path = tmp_path / "model.skbpnet"
    skbpnet.save(old, path)
    original = path.read_bytes()
    new, _, _ = fit_case(CASES[1])

    def fail(*args, **kwargs):
        raise OSError("disk full")

    if where == "array":
        real = archive._write_array

        def write_half_then_fail(fh, array):
            if array.size > 50:
                fh.write(np.ascontiguousarray(array).tobytes()[: array.nbytes // 2])
                raise OSError("disk full")
            real(fh, array)

        monkeypatch.setattr(archive, "_write_array", write_half_then_fail)
    elif where == "fsync":
        monkeypatch.setattr(_atomic.os, "fsync", fail)
    else:
        monkeypatch.setattr(_atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        skbpnet.save(new, path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skbpnet"]  # no temp file left
    assert_same_predictions(old, skbpnet.load(path), X)
    # And a failed first save leaves nothing behind.
    monkeypatch.setattr(_atomic.os, "replace", fail)
    with pytest.raises(OSError):
        skbpnet.save(new, tmp_path / "new.skbpnet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skbpnet"]


def test_save_keeps_the_mode_of_a_replaced_file(tmp_path):
    est, _, _ = fit_case(CASES[0])
    path = tmp_path / "model.skbpnet"
    skbpnet.save(est, path)
    os.chmod(path, 0o600)
    skbpnet.save(est, path)
    if os.name == "posix":
        assert (os.stat(path).st_mode & 0o777) == 0o600


# -- what the safe format refuses to load ------------------------------------------------




@pytest.fixture
def saved(tmp_path):
    est, X, y = fit_case(CASES[1])  # string labels, dropout, SGD
    path = tmp_path / "model.skbpnet"
    skbpnet.save(est, path)
    return est, X, path


CALLS = []


def _record_call():
    CALLS.append("the payload ran")
    return "payload"


class Payload:
    def __reduce__(self):
        return (_record_call, ())


def test_pickles_and_object_arrays_are_refused_and_never_run(saved, tmp_path):
    est, X, path = saved
    CALLS.clear()
    # A joblib (pickle) file.
    jl = tmp_path / "model.joblib"
    joblib.dump([est, Payload()], jl)
    with pytest.raises(ModelFileError, match="not a ZIP archive.*joblib"):
        skbpnet.load(jl)
    # A raw pickle, and a .npy holding one.
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelFileError):
        skbpnet.load(raw)
    # The model file with an object array (a pickle inside .npy) in place of classes_.
    meta, members = read_archive(path)
    buf = io.BytesIO()
    np.save(buf, np.array([Payload(), "dog", "emu"], dtype=object), allow_pickle=True)
    members["attr.classes_.npy"] = buf.getvalue()
    meta["arrays"]["attr.classes_"] = {"dtype": "|O", "shape": [3]}
    bad = tmp_path / "objects.skbpnet"
    write_archive(bad, meta, members, reseal=False)
    with pytest.raises(ModelFileError, match="cannot be read safely"):
        skbpnet.load(bad)
    # ... and with metadata.json replaced by a pickle.
    meta, members = read_archive(path)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("metadata.json", pickle.dumps(Payload()))
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match="metadata.json"):
        skbpnet.load(bad)
    assert CALLS == []


def test_flipped_bytes_are_detected(saved, tmp_path):
    est, X, path = saved
    data = path.read_bytes()
    meta, members = read_archive(path)
    reference = canon(skbpnet.load(path).__dict__)
    damaged = tmp_path / "damaged.skbpnet"
    positions = sorted(set(range(0, len(data), max(1, len(data) // 300))) | {len(data) - 1})
    # Every byte of the weights and of the metadata's JSON must be covered.
    start = data.index(members["net.param_vector.npy"])
    positions += list(range(start + 128, start + len(members["net.param_vector.npy"]), 7))
    start = data.index(b'{\n "arrays"')
    positions += list(range(start, start + 2000, 3))
    refused = 0
    for pos in positions:
        for bit in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[pos] ^= bit
            damaged.write_bytes(bytes(flipped))
            try:
                loaded = skbpnet.load(damaged)
            except ModelFileError:
                refused += 1
            else:
                # Only a byte that no reader looks at (a zip timestamp, say) may change,
                # and then the model is exactly the saved one.
                assert canon(loaded.__dict__) == reference, pos
    assert refused > 0.9 * 2 * len(positions)


def test_truncated_files_are_detected(saved, tmp_path):
    _, _, path = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.skbpnet"
    for size in sorted(set([0, 1, 4, 30, 100, len(data) // 2, len(data) - 22, len(data) - 1]
                           + list(range(0, len(data), max(1, len(data) // 60))))):
        cut.write_bytes(data[:size])
        with pytest.raises(ModelFileError):
            skbpnet.load(cut)


def test_foreign_files_are_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "foreign"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelFileError, match="not a skbpnet model file"):
        skbpnet.load(path)
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="not a skbpnet model file"):
        skbpnet.load(path)
    npz = tmp_path / "weights.npz"
    np.savez(npz, w=np.ones(3))
    with pytest.raises(ModelFileError, match="no metadata.json"):
        skbpnet.load(npz)
    npy = tmp_path / "weights.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ModelFileError, match="not a ZIP"):
        skbpnet.load(npy)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ModelFileError, match="not a skbpnet model file"):
        skbpnet.load(other)
    with pytest.raises(FileNotFoundError):
        skbpnet.load(tmp_path / "missing.skbpnet")


def _edit(meta, members, how):
    if how == "class":
        meta["estimator"] = "os.system"
    elif how == "sklearn-class":
        meta["estimator"] = "MLPClassifier"
    elif how == "param":
        meta["params"]["my_param"] = 1
    elif how == "attribute":
        meta["attributes"]["secret_"] = 1
    elif how == "missing-attribute":
        del meta["attributes"]["classes_"]
    elif how == "entry":
        meta["extra"] = {}
    elif how == "tag":
        meta["attributes"]["n_iter_"] = {"$pickle": "gASVAAAAAAAAAAA="}
    elif how == "generator":
        meta["rng"] = {"$Generator": {"bit_generator": "os.system", "state": {}}}
    elif how == "layer":
        meta["net"]["architecture"]["activation"] = "os.system"
    elif how == "arch":
        meta["net"]["architecture"]["hidden"] = [9]
    elif how == "optimizer":
        meta["optimizer"]["type"] = "builtins.eval"
    elif how == "optimizer-setting":
        meta["optimizer"]["settings"]["momentum"] = 1.5
    elif how == "schedule-setting":
        meta["schedule"]["settings"]["evil"] = 1
    elif how == "classes":
        meta["net"]["architecture"]["n_outputs"] = 5
    elif how == "format-version":
        meta["format_version"] = 99
    elif how == "extra-member":
        members["extra.npy"] = members["net.param_vector.npy"]
    elif how == "shape":
        buf = io.BytesIO()
        np.save(buf, np.zeros(5, np.float64))
        members["net.param_vector.npy"] = buf.getvalue()
        meta["arrays"]["net.param_vector"] = {"dtype": "<f8", "shape": [5]}


EDITS = ["class", "sklearn-class", "param", "attribute", "missing-attribute", "entry", "tag",
         "generator", "layer", "arch", "optimizer", "optimizer-setting", "schedule-setting",
         "classes", "format-version", "extra-member", "shape"]


@pytest.mark.parametrize("how", EDITS)
def test_forged_files_are_refused_even_with_a_valid_checksum(saved, how, tmp_path):
    _, _, path = saved
    meta, members = read_archive(path)
    _edit(meta, members, how)
    forged = tmp_path / "forged.skbpnet"
    write_archive(forged, meta, members, reseal=True)
    with pytest.raises(ModelFileError, match="Cannot load"):
        skbpnet.load(forged)
    # Without resealing, the checksum alone catches the change.
    if how not in ("format-version", "extra-member", "shape"):
        write_archive(forged, meta, members, reseal=False)
        with pytest.raises(ModelFileError, match="checksum"):
            skbpnet.load(forged)


# -- versions --------------------------------------------------------------------------------
def test_files_from_another_version_warn(saved, tmp_path, monkeypatch):
    est, X, path = saved
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentSkbpnetVersionWarning)
        skbpnet.load(path)  # same version: no warning
    # Written by another skbpnet.
    monkeypatch.setattr(skbpnet, "__version__", "0.0.1")
    skbpnet.save(est, tmp_path / "old.skbpnet")
    monkeypatch.undo()
    with pytest.warns(InconsistentSkbpnetVersionWarning, match="written with skbpnet 0.0.1"):
        loaded = skbpnet.load(tmp_path / "old.skbpnet")
    assert_same_predictions(est, loaded, X)
    # Fitted by another skbpnet (then saved by this one).
    est._skbpnet_version = "0.0.2"
    skbpnet.save(est, tmp_path / "fitted.skbpnet")
    with pytest.warns(InconsistentSkbpnetVersionWarning, match="fitted with skbpnet 0.0.2"):
        loaded = skbpnet.load(tmp_path / "fitted.skbpnet")
    assert loaded._skbpnet_version == "0.0.2"


def test_joblib_with_another_version_warns(tmp_path):
    est, X, y = fit_case(CASES[0])
    est._skbpnet_version = "0.0.1"
    path = tmp_path / "old.joblib"
    joblib.dump(est, path)
    with pytest.warns(InconsistentSkbpnetVersionWarning, match="fitted with skbpnet 0.0.1"):
        loaded = joblib.load(path)
    assert_same_predictions(est, loaded, X)


# -- what joblib stores --------------------------------------------------------------------
def _mnist_sized(solver):
    rng = np.random.default_rng(0)
    X = rng.random((256, 784), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    est = BPNetClassifier(hidden_layer_sizes=(256,), solver=solver, random_state=0,
                          batch_size=128)
    return est.partial_fit(X, y, classes=np.arange(10)), X


@pytest.mark.parametrize("solver, slots", [("sgd", 1), ("adam", 2)])
def test_file_sizes_are_close_to_the_parameter_bytes(solver, slots, tmp_path):
    est, X = _mnist_sized(solver)
    n_params = 784 * 256 + 256 + 256 * 10 + 10
    assert est._net.param_vector.size == n_params == 203_530
    param_bytes = n_params * 4
    sizes = {}
    for how in ("joblib", "safe"):
        path = tmp_path / f"model.{how}"
        if how == "joblib":
            joblib.dump(est, path)
        else:
            skbpnet.save(est, path)
        sizes[how] = os.path.getsize(path)
    print(f"\n784-256-10 float32 {solver}: parameters {param_bytes:,} bytes; "
          f"joblib {sizes['joblib']:,} ({sizes['joblib'] / param_bytes:.3f}x); "
          f"safe {sizes['safe']:,} ({sizes['safe'] / param_bytes:.3f}x)")
    for size in sizes.values():
        # the weights, one copy per optimizer slot, and a few kilobytes besides
        assert (1 + slots) * param_bytes < size < (1 + slots + 0.3) * param_bytes


def test_pickled_state_holds_only_arrays_plain_values_and_skbpnet_classes(tmp_path):
    est, X = _mnist_sized("adam")
    est.predict(X)
    instances, globals_ = set(), set()

    class Recorder(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
                globals_.add((getattr(obj, "__module__", None) or "", obj.__qualname__))
            else:
                instances.add((type(obj).__module__, type(obj).__qualname__))
            return NotImplemented

    Recorder(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(est)

    def allowed(module):
        return module.split(".")[0] in ("numpy", "skbpnet", "builtins", "copyreg", "_codecs")

    assert all(allowed(m) for m, _ in instances | globals_), instances | globals_
    assert not any("<locals>" in q or "<lambda>" in q for _, q in globals_)  # no closures
    assert ("skbpnet", "BPNetClassifier") in globals_  # the public path
    assert {m for m, _ in instances if m.startswith("skbpnet")} == {
        "skbpnet", "skbpnet.nn.sequential", "skbpnet.nn.layers", "skbpnet.nn.activations",
        "skbpnet.nn.optim", "skbpnet.nn.schedules",
    }
    # No batch caches, gradients or scratch space travel with the model.
    path = tmp_path / "m.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    cached = ("_X", "_out", "_dX", "_cache", "_mask", "_maskbuf", "_noise")
    for layer in loaded._net.layers:
        assert not set(cached) & set(layer.__dict__), type(layer)
    assert "_scratch" not in loaded._optimizer.__dict__
    # ... and the gradients are rebuilt as views of the flat gradient buffer.
    for layer in loaded._net.layers:
        for g in layer.grads:
            assert np.shares_memory(g, loaded._net.grad_vector)


# -- skops ------------------------------------------------------------------------------------
SKOPS_CASES = [CASES[1], CASES[5], CASES[9]]


@pytest.mark.parametrize("case", SKOPS_CASES, ids=[c[0] for c in SKOPS_CASES])
def test_skops_round_trip_trusts_only_public_skbpnet_classes(case, tmp_path):
    sio = pytest.importorskip("skops.io")
    est, X, y = fit_case(case)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    print("\nskops untrusted types:", untrusted)
    public = {
        "skbpnet.BPNetClassifier", "skbpnet.BPNetRegressor", "skbpnet.TrainingHistory",
        "skbpnet.nn.sequential.Sequential", "skbpnet.nn.layers.Linear",
        "skbpnet.nn.layers.Dropout", "skbpnet.nn.optim.SGD", "skbpnet.nn.optim.Adam",
        *(f"skbpnet.nn.activations.{c.__name__}" for c in skbpnet.nn.ACTIVATIONS.values()),
        *(f"skbpnet.nn.schedules.{c.__name__}" for c in skbpnet.nn.SCHEDULES.values()),
        *(f"skbpnet.nn.losses.{n}" for n in
          ("MSELoss", "SoftmaxCrossEntropyLoss", "SigmoidBinaryCrossEntropyLoss")),
    }
    assert set(untrusted) <= public, set(untrusted) - public
    assert not any(part.startswith("_") for t in untrusted for part in t.split("."))
    loaded = sio.load(path, trusted=untrusted)
    assert_same_state(est, loaded)
    assert_same_predictions(est, loaded, X)
    continue_training(est, X, y)
    continue_training(loaded, X, y)
    assert_same_state(est, loaded)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)


def test_nan_and_inf_values_survive(tmp_path):
    est, X, y = fit_case(CASES[0])
    est._history.loss_curve[-1] = math.nan
    est._history.best_validation_score = -math.inf
    est._history.best_loss = -0.0
    loaded = round_trip(est, "safe", tmp_path)
    assert math.isnan(loaded.loss_)
    assert loaded._history.best_validation_score == -math.inf
    assert math.copysign(1.0, loaded._history.best_loss) == -1.0


def test_save_refuses_metadata_routing_requests_with_advice(tmp_path):
    import sklearn

    X, y = make_xy("int")
    with sklearn.config_context(enable_metadata_routing=True):
        est = BPNetClassifier(hidden_layer_sizes=(4,), max_iter=2)
        est.set_fit_request(sample_weight=True).fit(X, y)
        with pytest.raises(ValueError, match="metadata routing requests"):
            skbpnet.save(est, tmp_path / "m.skbpnet")
