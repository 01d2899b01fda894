"""The safe format for scikit-learn Pipelines, ColumnTransformers and TransformedTargetRegressors.

Round trips must be exact (predictions and every step's transform bitwise
equal); anything off the allowlist must be refused when saving and when
loading, forged files included, and the hostile-file limits must hold.
"""

import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import InconsistentVersionWarning, NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler,
                                   OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler)

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, ModelFileError
from skbpnet.cli._tabular import build_pipeline
from skbpnet.io import archive, limits, sklearn_objects
from tests.io._archives import write_archive

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def net(cls=BPNetClassifier, **kw):
    return cls(hidden_layer_sizes=(6,), max_iter=4, random_state=0, **kw)


def numbers(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -1.0, 2.0]
    score = X[:, 0] + 0.1 * X[:, 1] - 5 * X[:, 2]
    return X, score - np.median(score)


def frame(n=80, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "colour": rng.choice(["red", "blue", "green"], n),
                       "z": rng.normal(size=n) * 5, "size": rng.choice(["S", "M", "L"], n)})
    df.loc[[1, 7], "x"] = np.nan
    y = np.array(["cat", "dog", "emu"])[(df["colour"] == "red").to_numpy(int) + (df["z"] > 0).to_numpy(int)]
    return df, y


def case_scaler_classifier():
    X, s = numbers()
    return make_pipeline(StandardScaler(), net()), X, np.digitize(s, [-1, 1])


def case_minmax_robust_regressor():
    X, s = numbers()
    return make_pipeline(MinMaxScaler(), RobustScaler(), MaxAbsScaler(), net(BPNetRegressor)), X, s


def case_column_transformer():
    df, y = frame()
    columns = ColumnTransformer([
        ("text", OneHotEncoder(handle_unknown="ignore"), ["colour", "size"]),
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["x", "z"]),
    ])
    return Pipeline([("columns", columns), ("net", net())]), df, y


def case_ordinal_passthrough():
    df, y = frame()
    df = df.fillna(0.0)
    columns = ColumnTransformer([("ord", OrdinalEncoder(dtype=np.float32), ["colour", "size"])],
                                remainder="passthrough", verbose_feature_names_out=False)
    return make_pipeline(columns, StandardScaler(), net()), df, y


def case_selections():
    X, s = numbers()
    X[3, 1] = np.nan
    columns = ColumnTransformer([
        ("a", StandardScaler(), slice(0, 2)),
        ("b", MinMaxScaler(clip=True), np.array([False, False, True, False, True])),
        ("c", "passthrough", [3]),
        ("d", "drop", [0]),
    ], remainder="drop")
    imputer = SimpleImputer(add_indicator=True)
    return make_pipeline(imputer, columns, net(BPNetRegressor)), X, s


def case_transformed_target():
    X, s = numbers()
    ttr = TransformedTargetRegressor(regressor=net(BPNetRegressor), transformer=StandardScaler())
    return make_pipeline(StandardScaler(), ttr), X, 100 * s + 7


def case_bare_ttr():
    X, s = numbers()
    return TransformedTargetRegressor(regressor=net(BPNetRegressor),
                                      transformer=MinMaxScaler()), X, s


def case_train_classification():
    df, y = frame()
    return build_pipeline(["x", "z"], ["colour", "size"], net()), df, y


def case_train_regression():
    df, _ = frame()
    return build_pipeline(["x"], ["colour", "size"], net(BPNetRegressor)), df, df["z"] * 10.0


CASES = {f.__name__[5:]: f for f in (
    case_scaler_classifier, case_minmax_robust_regressor, case_column_transformer,
    case_ordinal_passthrough, case_selections, case_transformed_target, case_bare_ttr,
    case_train_classification, case_train_regression)}


def fitted(name):
    model, X, y = CASES[name]()
    model.fit(X, y)
    if name.startswith("train"):
        model.target_name_ = "target"
    return model, X, y


def outputs(model, X):
    """Everything the model computes: predictions, probabilities, each step's transform."""
    out = {"predict": model.predict(X)}
    if hasattr(model, "predict_proba"):
        out["proba"] = model.predict_proba(X)
    if isinstance(model, Pipeline):
        for i in range(1, len(model)):
            out[f"transform{i}"] = np.asarray(model[:i].transform(X))
    return out


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.dtype == y.dtype and x.shape == y.shape, key
        assert x.tobytes() == y.tobytes() if x.dtype != object else (x == y).all(), key


@pytest.mark.parametrize("name", list(CASES))
def test_exact_round_trip(name, tmp_path):
    model, X, y = fitted(name)
    path = tmp_path / "m.skbpnet"
    skbpnet.save(model, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same versions: no warning
        loaded = skbpnet.load(path)
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert_same(outputs(model, X), outputs(loaded, X))
    if hasattr(model, "feature_names_in_"):
        assert list(loaded.feature_names_in_) == list(model.feature_names_in_)
    if name.startswith("train"):
        assert loaded.target_name_ == "target"
    skbpnet.save(loaded, tmp_path / "again.skbpnet")  # the same bytes
    assert (tmp_path / "again.skbpnet").read_bytes() == path.read_bytes()
    meta = json.loads(zipfile.ZipFile(path).read("metadata.json"))
    assert meta["format_version"] == 3 and meta["estimator"] == type(model).__name__


def test_unseen_categories_and_string_labels(tmp_path):
    model, X, _ = fitted("column_transformer")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    new, _ = frame(seed=1)
    new.loc[0, "colour"] = "purple"  # ignored by handle_unknown='ignore'
    assert_same(outputs(model, new), outputs(loaded, new))
    assert loaded.classes_.tolist() == ["cat", "dog", "emu"]
    ohe = loaded[0].named_transformers_["text"]
    assert [c.tolist() for c in ohe.categories_] == [["blue", "green", "red"], ["L", "M", "S"]]


def test_a_transformer_of_an_empty_selection_round_trips(tmp_path):
    # scikit-learn leaves it unfitted (`skbpnet train` on a table without text columns).
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [3.0, 4.0, 5.0, 7.0]})
    ct = ColumnTransformer([("num", StandardScaler(), ["a", "b"]),
                            ("text", make_pipeline(OneHotEncoder()), [])])
    model = make_pipeline(ct, BPNetClassifier(max_iter=3, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, [0, 1, 0, 1])
    skbpnet.save(model, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert_same(outputs(model, X), outputs(loaded, X))


def test_continued_fit(tmp_path):
    """A loaded pipeline fits again, and continues training (warm_start) exactly."""
    for name in ("train_classification", "train_regression"):
        model, X, y = fitted(name)
        skbpnet.save(model, tmp_path / "m.skbpnet")
        loaded = skbpnet.load(tmp_path / "m.skbpnet")
        assert_same(outputs(model.fit(X, y), X), outputs(loaded.fit(X, y), X))
    model, X, y = fitted("train_classification")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    for pipe in (model, loaded):
        pipe.set_params(network__warm_start=True, network__max_iter=2).fit(X, y)
    assert loaded[-1].n_iter_ == 2 and loaded[-1].t_ == model[-1].t_
    assert_same(outputs(model, X), outputs(loaded, X))


def test_bare_estimator_files_are_unchanged(tmp_path):
    X, s = numbers()
    clf = net().fit(X, np.digitize(s, [-1, 1]))
    skbpnet.save(clf, tmp_path / "m.skbpnet")
    meta = json.loads(zipfile.ZipFile(tmp_path / "m.skbpnet").read("metadata.json"))
    assert meta["format_version"] == 2 and "object" not in meta
    assert sorted(meta["arrays"]) == ["attr.classes_", "net.param_vector", "optimizer.state.0.0",
                                      "optimizer.state.0.1", "optimizer.state.1.0",
                                      "optimizer.state.1.1"]


def test_older_readers_refuse_pipeline_files(tmp_path):
    model, _, _ = fitted("scaler_classifier")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    with pytest.raises(ModelFileError, match="format version 3"):
        archive.read_archive(tmp_path / "m.skbpnet", versions=(1, 2))


# -- refusals when saving ----------------------------------------------------------------
class Custom(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize("step, shown", [
    (FunctionTransformer(np.log1p), "FunctionTransformer"),
    (FunctionTransformer(), "FunctionTransformer"),
    (Custom(), "Custom"),
])
def test_save_refuses_steps_off_the_allowlist(step, shown, tmp_path):
    X, s = numbers()
    model = Pipeline([("odd", step), ("net", net())]).fit(np.abs(X), np.digitize(s, [-1, 1]))
    with pytest.raises(ValueError, match=rf"'odd'.*{shown}.*allowlist.*skops") as info:
        skbpnet.save(model, tmp_path / "m.skbpnet")
    assert not isinstance(info.value, ModelFileError)
    assert not (tmp_path / "m.skbpnet").exists()


def test_save_refuses_functions_unfitted_and_subclasses(tmp_path):
    X, s = numbers()
    path = tmp_path / "m.skbpnet"
    ttr = TransformedTargetRegressor(regressor=net(BPNetRegressor), func=np.log1p,
                                     inverse_func=np.expm1, check_inverse=False)
    with pytest.raises(ValueError, match="func.*allowlist.*skops"):
        skbpnet.save(make_pipeline(StandardScaler(), ttr).fit(X, np.abs(s)), path)
    with pytest.raises(NotFittedError):
        skbpnet.save(make_pipeline(StandardScaler(), net()), path)

    class MyPipeline(Pipeline):
        pass

    with pytest.raises(TypeError, match="skops"):
        skbpnet.save(MyPipeline([("net", net())]).fit(X, s > 0), path)
    with pytest.raises(ValueError, match="callbacks"):
        skbpnet.save(make_pipeline(net(callbacks=[print])).fit(X, s > 0), path)
    assert not path.exists()


def test_save_refuses_excessive_nesting(tmp_path, monkeypatch):
    # (scikit-learn's own tags take exponential time on deep pipelines: keep them shallow)
    monkeypatch.setattr(limits, "MAX_OBJECTS_DEEP", 3)
    X, s = numbers()
    model = make_pipeline(make_pipeline(make_pipeline(StandardScaler(), net())))
    model.fit(X, s > 0)
    with pytest.raises(ValueError, match="nested more than 3 deep"):
        skbpnet.save(model, tmp_path / "m.skbpnet")
    skbpnet.save(model[0], tmp_path / "m.skbpnet")  # one level less
    monkeypatch.setattr(limits, "MAX_DEPTH", 12)  # the JSON nesting, checked too
    with pytest.raises(ValueError, match="nested more than 12 deep"):
        skbpnet.save(model[0], tmp_path / "m.skbpnet")


# -- refusals when loading: forged files ------------------------------------------------
def read(path):
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("metadata.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "metadata.json"}
    return meta, members




def nodes(value, tag="$sklearn"):
    """Every tagged node in the metadata, depth first."""
    if isinstance(value, dict):
        if tag in value:
            yield value
        for v in value.values():
            yield from nodes(v, tag)
    elif isinstance(value, list):
        for v in value:
            yield from nodes(v, tag)


@pytest.fixture
def forge(tmp_path):
    """forge(change) -> path: a saved train pipeline, changed and resealed."""
    model, _, _ = fitted("train_regression")
    skbpnet.save(model, tmp_path / "m.skbpnet")

    def make(change):
        meta, members = read(tmp_path / "m.skbpnet")
        change(meta, members)
        write_archive(tmp_path / "forged.skbpnet", meta, members)
        return tmp_path / "forged.skbpnet"

    return make


def rename(old, new):
    def change(meta, members):
        for node in nodes(meta):
            if node["$sklearn"] == old:
                node["$sklearn"] = new
    return change


@pytest.mark.parametrize("name", ["os.system", "FunctionTransformer", "builtins.eval",
                                  "sklearn.preprocessing.FunctionTransformer", "Custom", 3])
def test_load_refuses_classes_off_the_allowlist(forge, name):
    with pytest.raises(ModelFileError, match="allowlist"):
        skbpnet.load(forge(rename("StandardScaler", name)))


def test_pipeline_memory_is_refused(forge, tmp_path):
    X, s = numbers()
    model = Pipeline([("scale", StandardScaler()), ("net", net())], memory=str(tmp_path))
    with pytest.raises(ValueError, match="memory"):
        skbpnet.save(model.fit(X, s > 0), tmp_path / "m.skbpnet")

    def change(meta, members):
        meta["object"]["params"]["memory"] = str(tmp_path)

    with pytest.raises(ModelFileError, match="memory"):
        skbpnet.load(forge(change))


def test_load_refuses_a_function_in_a_passthrough(forge):
    def change(meta, members):
        node = next(n for n in nodes(meta) if n["$sklearn"] == "SimpleImputer")
        node["$sklearn"] = "PassthroughTransformer"
        node["params"] = {**sklearn_objects._PASSTHROUGH_PARAMS, "func": "os.system"}

    with pytest.raises(ModelFileError, match="fixed parameters"):
        skbpnet.load(forge(change))


@pytest.mark.parametrize("key, value, match", [
    ("transform", 1, "cannot set"),
    ("__class__", 1, "cannot set"),
    ("__reduce__", 1, "cannot set"),
    ("with_mean", False, "cannot set"),
])
def test_load_refuses_state_that_shadows_the_class(forge, key, value, match):
    def change(meta, members):
        next(n for n in nodes(meta) if n["$sklearn"] == "StandardScaler")["state"][key] = value

    with pytest.raises(ModelFileError, match=match):
        skbpnet.load(forge(change))


@pytest.mark.parametrize("params, match", [
    ({"evil": 1}, "unknown parameters"),
    ({"with_mean": "yes"}, "invalid parameters"),
    ({"copy": {"$sklearn": "os.system", "params": {}, "state": {}}}, "allowlist"),
])
def test_load_refuses_bad_parameters(forge, params, match):
    def change(meta, members):
        next(n for n in nodes(meta) if n["$sklearn"] == "StandardScaler")["params"].update(params)

    with pytest.raises(ModelFileError, match=match):
        skbpnet.load(forge(change))


@pytest.mark.parametrize("change, match", [
    (lambda m, a: m.update(estimator="os.system"), "says it holds"),
    (lambda m, a: m.update(extra=1), "entries"),
    (lambda m, a: next(nodes(m)).update(extra=1), "holds \\$sklearn, params and state"),
    (lambda m, a: next(nodes(m, "$bpnet")).update({"$bpnet": "MLPRegressor"}),
     "not a BPNet estimator"),
    (lambda m, a: next(n for n in nodes(m, "$bpnet") if "rng" in n).pop("rng"),
     "\\$bpnet node holds"),
    (lambda m, a: next(nodes(m)).update(state={"x": {"$eval": "1"}}), "unknown tag"),
    (lambda m, a: next(nodes(m)).update(state={"x": {"$type": "os.system"}}), "\\$type"),
    (lambda m, a: next(nodes(m)).update(state={"x": {"$dtype": "V8"}}), "\\$dtype"),
    (lambda m, a: next(nodes(m)).update(state={"x": {"$slice": [0, "a", None]}}), "\\$slice"),
])
def test_load_refuses_forged_structure(forge, change, match):
    with pytest.raises(ModelFileError, match=match):
        skbpnet.load(forge(change))


def test_load_refuses_excessive_nesting(forge, tmp_path):
    def deep(n):
        def change(meta, members):
            node = {"$sklearn": "StandardScaler", "params": {}, "state": {}}
            for _ in range(n):
                node = {"$sklearn": "Pipeline", "params": {"steps": [
                    {"$tuple": ["s", node]}]}, "state": {}}
            meta["object"]["state"]["deep"] = node
        return change

    with pytest.raises(ModelFileError, match="nested more than"):
        skbpnet.load(forge(deep(limits.MAX_DEPTH)))

    meta, members = read(tmp_path / "m.skbpnet")  # too deep for JSON itself
    meta["object"]["state"]["deep"] = "DEEP"
    with zipfile.ZipFile(tmp_path / "deep.skbpnet", "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta).replace('"DEEP"', "[" * 10**5 + "]" * 10**5))
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match="damaged"):
        skbpnet.load(tmp_path / "deep.skbpnet")


def test_load_warns_when_scikit_learn_differs(forge):
    path = forge(lambda meta, members: meta["versions"].update({"scikit-learn": "0.1"}))
    with pytest.warns(InconsistentVersionWarning, match="0.1"):
        model = skbpnet.load(path)
    assert isinstance(model, Pipeline)


def test_tampering_without_resealing_is_detected(tmp_path):
    model, _, _ = fitted("scaler_classifier")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    meta, members = read(tmp_path / "m.skbpnet")
    next(nodes(meta))["$sklearn"] = "FunctionTransformer"
    with zipfile.ZipFile(tmp_path / "bad.skbpnet", "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match="checksum"):
        skbpnet.load(tmp_path / "bad.skbpnet")


def test_load_warns_when_skbpnet_differs(forge):
    path = forge(lambda meta, members: meta["versions"].update({"skbpnet": "0.0.1"}))
    with pytest.warns(skbpnet.InconsistentSkbpnetVersionWarning, match="written with skbpnet "
                      "0.0.1"):
        assert isinstance(skbpnet.load(path), Pipeline)
