"""Forged but checksum-valid version-3 files whose objects would break at the first predict.

Each file here is a saved pipeline with one fitted value changed and the
checksum recomputed, as a forger can; each loaded without complaint before
the fitted state was checked (and broke later: in ``predict``, by allocating
gigabytes, or by starting processes or calling code). Each must now be
refused by :func:`skbpnet.load` with a :class:`~skbpnet.ModelFileError` that
names the object and the field.
"""

import copy
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (MaxAbsScaler, MinMaxScaler, OneHotEncoder, OrdinalEncoder,
                                   RobustScaler, StandardScaler)

import skbpnet
from skbpnet import BPNetRegressor, ModelFileError
from skbpnet.io.sklearn_objects import ALLOWED, PASSTHROUGH
from tests.io._archives import write_archive
from tests.io.test_pipelines import fitted, frame, net, nodes, numbers, read

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
MiB = 2**20
CT = "Pipeline.steps_preprocess_"  # where the train pipeline's ColumnTransformer is
FLOAT = {"$type": "float64"}  # decodes to numpy.float64: a class, and so a callable


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{case: (metadata, members)} of saved pipelines: one fitted on a DataFrame (named
    columns, encoders), one on an array (slices, masks and indices, passthrough)."""
    out = {}
    for name in ("train_regression", "selections"):
        path = tmp_path_factory.mktemp(name) / "m.skbpnet"
        skbpnet.save(fitted(name)[0], path)
        out[name] = read(path)
    return out


@pytest.fixture
def forge(saved, tmp_path):
    """forge(change, case) -> the path of a copy of a saved file, changed and resealed."""
    def make(change, case="train_regression"):
        meta, members = copy.deepcopy(saved[case])
        change(meta, members)
        write_archive(tmp_path / "forged.skbpnet", meta, members)
        return tmp_path / "forged.skbpnet"
    return make


def node_of(meta, name, fitted=True):
    """The first (fitted) $sklearn node of that class."""
    return next(n for n in nodes(meta) if n["$sklearn"] == name and bool(n["state"]) == fitted)


def set_state(meta, members, name, key, value):
    """Set one fitted value of the first fitted ``name``, dropping the array it replaces."""
    state = node_of(meta, name)["state"]
    old = state.get(key)
    if isinstance(old, dict) and "$array" in old:
        members.pop(old["$array"] + ".npy")
        meta["arrays"].pop(old["$array"])
    state[key] = value


def ct_state(meta):
    return node_of(meta, "ColumnTransformer")["state"]


def entry(entries, name):
    """The $tuple of the named (name, transformer, columns) entry."""
    return next(e["$tuple"] for e in entries if e["$tuple"][0] == name)


def refused(path, *match):
    with pytest.raises(ModelFileError) as info:
        skbpnet.load(path)
    for text in match:
        assert text in str(info.value), str(info.value)
    return str(info.value)


# -- ColumnTransformer: column selections ----------------------------------------------
def callable_selection(where):
    def change(meta, members):
        if where == "transformers":
            columns = node_of(meta, "ColumnTransformer")["params"]["transformers"]
            entry(columns, "text")[2] = FLOAT
        elif where == "_columns":
            ct_state(meta)["_columns"][1] = FLOAT
        else:
            entry(ct_state(meta)["transformers_"], "text")[2] = FLOAT
    return change


@pytest.mark.parametrize("where", ["transformers", "_columns", "transformers_"])
def test_a_callable_in_place_of_a_column_selection_is_refused(forge, where):
    message = refused(forge(callable_selection(where)), "ColumnTransformer", where)
    assert "must select columns with a list, an array or a slice; got a type" in message


@pytest.mark.parametrize("where", ["_columns", "transformers_"])
def test_a_string_in_place_of_a_column_list_is_refused(forge, where):
    def change(meta, members):
        if where == "_columns":
            ct_state(meta)["_columns"][0] = "x"
        else:
            entry(ct_state(meta)["transformers_"], "numeric")[2] = "x"

    refused(forge(change), "ColumnTransformer", f"{where}['numeric'] must select columns "
            "with a list, an array or a slice; got a str")


def test_a_column_list_longer_than_the_input_is_refused(forge):
    def change(meta, members):  # an array input of 5 columns; 'c' passes through column 3
        entry(ct_state(meta)["transformers_"], "c")[2] = [3, 4, 5, 6]

    refused(forge(change, "selections"), "ColumnTransformer", "transformers_['c'] selects "
            "column 5, but the input has 5 columns")


@pytest.mark.parametrize("change, match", [
    (lambda ct: entry(ct["transformers_"], "numeric").__setitem__(2, ["x", "nope"]),
     "transformers_['numeric'] selects column 'nope', which the input lacks"),
    (lambda ct: entry(ct["transformers_"], "numeric").__setitem__(2, ["z"]),
     "transformers_['numeric'] does not select the columns of _transformer_to_input_indices"),
    (lambda ct: ct["_transformer_to_input_indices"].update(numeric=[9]),
     "_transformer_to_input_indices['numeric'] selects column 9, but the input has 4"),
    (lambda ct: ct["_remainder"]["$tuple"].__setitem__(2, []),
     "_remainder['remainder'] does not select the columns of _transformer_to_input_indices"),
    (lambda ct: ct["_transformer_to_input_indices"].update(remainder=[]),
     "the remainder's columns must be those no transformer selects"),
    (lambda ct: ct.update(output_indices_={}),
     "output_indices_ must map each transformer to a slice of the output"),
])
def test_column_selections_that_disagree_are_refused(forge, change, match):
    refused(forge(lambda meta, members: change(ct_state(meta))), "ColumnTransformer", match)


@pytest.mark.parametrize("n_jobs", [6, 10**6, -1])
def test_n_jobs_is_refused_at_load(forge, n_jobs):
    def change(meta, members):
        node_of(meta, "ColumnTransformer")["params"]["n_jobs"] = n_jobs

    refused(forge(change), "ColumnTransformer is stored with n_jobs=None; this file has "
            f"n_jobs={n_jobs}")


def test_n_jobs_is_not_stored(tmp_path):
    """Parallelism is the machine's: saved as None, so the loaded model runs in-process."""
    X, y = frame()
    columns = ColumnTransformer([("num", StandardScaler(), ["x", "z"]),
                                 ("cat", OneHotEncoder(), ["colour"])], n_jobs=2)
    model = Pipeline([("c", columns), ("net", net(BPNetRegressor))]).fit(X.fillna(0), y == "cat")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert model[0].n_jobs == 2 and loaded[0].n_jobs is None
    assert loaded.predict(X.fillna(0)).tobytes() == model.predict(X.fillna(0)).tobytes()


# -- encoders: declared widths -----------------------------------------------------------
def test_a_one_hot_encoder_declaring_ten_million_outputs_is_refused_in_bounded_memory(forge):
    path = forge(lambda meta, members: node_of(meta, "OneHotEncoder")["state"].update(
        _n_features_outs=[10**7, 3]))
    tracemalloc.start()
    try:
        message = refused(path, "(OneHotEncoder): _n_features_outs must be the output widths "
                                "[3, 3] of the categories")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "Pipeline.steps['preprocess'].transformers_['text'].steps['onehotencoder']" in message
    assert peak < 16 * MiB


@pytest.mark.parametrize("change, match", [
    (lambda s: s.update(categories_=[{"$objects": ["a"]}]), "categories_: must be a list of 2"),
    (lambda s: s.update(categories_=[{"$objects": []}, {"$objects": ["L"]}]),
     "categories_: must hold one 1-D array"),
    (lambda s: s.update(drop_idx_=[5, None]), "drop_idx_: must index each feature's categories"),
    (lambda s: s.update(_infrequent_enabled=True),
     "_infrequent_enabled is set but the infrequent categories are missing"),
    (lambda s: s.update(n_features_in_=10**12), "n_features_in_: must be an integer from 1"),
])
def test_one_hot_encoder_state_that_does_not_fit_its_categories_is_refused(forge, change,
                                                                            match):
    refused(forge(lambda meta, members: change(node_of(meta, "OneHotEncoder")["state"])),
            "OneHotEncoder", match)


def test_unsorted_categories_are_refused(forge):
    """Fitting sorts them; transform searches them as sorted, so unsorted ones would encode
    silently wrong rather than fail."""
    def change(meta, members):
        node_of(meta, "OneHotEncoder")["state"]["categories_"][0]["$objects"].reverse()

    refused(forge(change), "(OneHotEncoder).categories_: must be sorted without repeats")


# -- wrong-typed, missing and unknown fitted state ----------------------------------------
@pytest.mark.parametrize("name, key, value, match", [
    ("StandardScaler", "mean_", "abc", "must be an array of 1 numbers (dtype kind f), not a str"),
    ("StandardScaler", "scale_", [1.0, 2.0], "must be an array of 1 numbers (dtype kind f), "
                                             "not a list"),
    ("StandardScaler", "n_samples_seen_", "80", "must be a number from 0"),
    ("SimpleImputer", "indicator_", "yes", "must be a fitted estimator, not a str"),
    ("SimpleImputer", "_fit_dtype", 3, "must be a NumPy dtype"),
    ("ColumnTransformer", "sparse_output_", "no", "must be True or False, not a str"),
])
def test_wrong_typed_fitted_state_is_refused(forge, name, key, value, match):
    refused(forge(lambda meta, members: set_state(meta, members, name, key, value)),
            f"({name}).{key}: {match}")


def test_a_width_that_the_file_does_not_pay_for_is_refused_at_load_and_save(tmp_path):
    """A MissingIndicator stores only its columns with missing values, so a forged
    n_features_in_ of 2**24 would cost a 128 MiB dry run (and every predict): refused
    before, in bounded memory; and save refuses the same model, so load reads what it writes."""
    X = np.zeros((2, 3))
    X[0, 1] = np.nan
    skbpnet.save(MissingIndicator().fit(X), tmp_path / "m.skbpnet")
    meta, members = read(tmp_path / "m.skbpnet")
    meta["object"]["state"].update(n_features_in_=2**24, _n_features=2**24)
    write_archive(tmp_path / "forged.skbpnet", meta, members)
    tracemalloc.start()
    try:
        refused(tmp_path / "forged.skbpnet", "MissingIndicator: its input is 16777216 columns "
                "wide, but the file holds only")
        assert tracemalloc.get_traced_memory()[1] < 4 * MiB
    finally:
        tracemalloc.stop()
    wide = np.zeros((2, 70_000))
    wide[0, 1] = np.nan
    with pytest.raises(ValueError, match="input is 70000 columns wide"):
        skbpnet.save(MissingIndicator().fit(wide), tmp_path / "wide.skbpnet")
    assert not (tmp_path / "wide.skbpnet").exists()


@pytest.mark.parametrize("change, match", [
    (lambda meta: node_of(meta, "Pipeline")["params"]["steps"].append(
        {"$tuple": ["odd", 3]}), "(Pipeline): steps must be (name, estimator or 'passthrough')"),
    (lambda meta: entry(node_of(meta, "ColumnTransformer")["params"]["transformers"],
                        "text").__setitem__(1, 3),
     "transformers['text'] must be an estimator, 'drop' or 'passthrough'"),
])
def test_estimators_where_they_do_not_belong_are_refused(forge, change, match):
    refused(forge(lambda meta, members: change(meta)), match)


def test_an_indicator_of_another_class_is_refused(forge):
    def change(meta, members):
        scaler = copy.deepcopy(node_of(meta, "StandardScaler"))
        for key, value in scaler["state"].items():  # a copy of each of its arrays
            if isinstance(value, dict) and "$array" in value:
                name = value["$array"] + ".copy"
                members[name + ".npy"] = members[value["$array"] + ".npy"]
                meta["arrays"][name] = meta["arrays"][value["$array"]]
                value["$array"] = name
        node_of(meta, "SimpleImputer")["state"]["indicator_"] = scaler

    refused(forge(change), "(SimpleImputer).indicator_: must be a fitted MissingIndicator, "
            "not a StandardScaler")


def test_missing_and_unknown_fitted_state_is_refused(forge):
    def drop(meta, members):
        set_state(meta, members, "StandardScaler", "var_", None)
        node_of(meta, "StandardScaler")["state"].pop("var_")

    refused(forge(drop), "the state does not match a fitted StandardScaler", "missing: ['var_']")
    refused(forge(lambda meta, members: node_of(meta, "StandardScaler")["state"].update(
        _evil=1)), "unknown: ['_evil']")


def test_an_unfitted_object_is_refused(forge):
    def unfit(meta, members):
        meta["object"] = node_of(meta, "StandardScaler", fitted=False)
        meta["estimator"] = "StandardScaler"
        members.clear()
        meta["arrays"] = {}

    refused(forge(unfit), "its StandardScaler is not fitted")


def test_objects_that_do_not_fit_together_fail_the_dry_run(forge):
    """Each object valid on its own, but the encoder's width (one more category) is not what
    the network takes: refused at load, not at the first predict."""
    def change(meta, members):
        state = node_of(meta, "OneHotEncoder")["state"]
        state["categories_"][1]["$objects"].append("XL")
        state["_n_features_outs"] = [3, 4]

    refused(forge(change), "Pipeline: a predict of one row of 4 columns fails",
            "X has 8 features, but BPNetRegressor is expecting 7 features")


# -- BPNet estimators: callbacks are code ---------------------------------------------------
@pytest.mark.parametrize("callbacks, shown", [
    (FLOAT, "a type"), ([FLOAT], "a list"),
    ({"$sklearn": "StandardScaler", "params": {}, "state": {}}, "a StandardScaler")])
@pytest.mark.parametrize("which", ["regressor", "regressor_"])
def test_callbacks_in_a_pipeline_are_refused(forge, callbacks, shown, which):
    """On the fitted network and on the template that a refit clones."""
    def change(meta, members):
        ttr = node_of(meta, "TransformedTargetRegressor")
        (ttr["params"] if which == "regressor" else ttr["state"])[which]["params"][
            "callbacks"] = callbacks

    refused(forge(change), f"Pipeline.steps['network'].{which}: params.callbacks is {shown}; "
            "a model file stores no callbacks (None), because callbacks are code")


def test_callbacks_in_a_bare_model_file_are_refused(tmp_path):
    X, s = numbers()
    skbpnet.save(net(BPNetRegressor).fit(X, s), tmp_path / "m.skbpnet")
    meta, members = read(tmp_path / "m.skbpnet")
    meta["params"]["callbacks"] = FLOAT
    write_archive(tmp_path / "forged.skbpnet", meta, members)
    refused(tmp_path / "forged.skbpnet", "params.callbacks is a type")


# -- what still loads ---------------------------------------------------------------------
def test_every_allowlisted_class_has_a_spec():
    from skbpnet.io.fitted_state import SPECS

    assert set(SPECS) == set(ALLOWED) | {PASSTHROUGH}


def test_plain_attributes_of_the_users_own_are_kept(tmp_path):
    """Like skbpnet train's target_name_: public and plain data, which scikit-learn never
    reads; anything else outside a class's spec is refused when saving."""
    X, s = numbers()
    model = make_pipeline(StandardScaler(), net(BPNetRegressor)).fit(X, s)
    model.notes_ = {"source": ["a.csv", 3], "weights": np.arange(3.0)}
    skbpnet.save(model, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert loaded.notes_["source"] == ["a.csv", 3]
    assert loaded.notes_["weights"].tolist() == [0.0, 1.0, 2.0]
    model[0].notes_ = StandardScaler()
    with pytest.raises(ValueError, match=r"StandardScaler\): the state does not match a "
                                         r"fitted StandardScaler.*unknown: \['notes_'\]"):
        skbpnet.save(model, tmp_path / "again.skbpnet")


def test_the_dry_run_leaves_the_loaded_model_as_saved(tmp_path):
    """The loaded model's state after the dry run is that of the saved one: its next fit
    and predictions are the saved model's, bit for bit (the pipeline tests check the
    bytes of a second save)."""
    model, X, y = fitted("train_classification")
    skbpnet.save(model, tmp_path / "m.skbpnet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert sorted(vars(loaded[-1])) == sorted(vars(model[-1]))
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()


def _variants():
    X, _ = numbers(40)
    Xn = X.copy()
    Xn[[2, 5], 1] = np.nan
    df, _ = frame(40)
    df = df.fillna(0.0)
    cats, holes = df[["colour", "size"]], df[["colour", "size"]].astype(object)
    holes.iloc[3, 0] = None
    numeric = np.array([[1.0], [2.0], [np.nan], [2.0]] * 10)
    selections = ColumnTransformer([
        ("s", StandardScaler(), slice(0, 1)), ("o", OneHotEncoder(), ["colour"]),
        ("d", "drop", "size")], remainder=MinMaxScaler(), transformer_weights={"s": 2.0})
    return {
        "scaler-without-mean-and-std": (StandardScaler(with_mean=False, with_std=False), X),
        "scaler-with-missing-values": (StandardScaler(), Xn),
        "robust-without-centering": (RobustScaler(with_centering=False), X),
        "minmax-maxabs": (make_pipeline(MinMaxScaler(clip=True), MaxAbsScaler()), X),
        "onehot-drop-first": (OneHotEncoder(drop="first"), cats),
        "onehot-if-binary-dense": (OneHotEncoder(drop="if_binary", sparse_output=False), cats),
        "onehot-infrequent": (OneHotEncoder(min_frequency=14,
                                            handle_unknown="infrequent_if_exist"), cats),
        "onehot-numbers-and-nan": (OneHotEncoder(handle_unknown="ignore"), numeric),
        "ordinal-missing": (OrdinalEncoder(handle_unknown="use_encoded_value",
                                           unknown_value=-1), holes),
        "ordinal-infrequent": (OrdinalEncoder(max_categories=2), cats),
        "imputer-indicator": (SimpleImputer(add_indicator=True), Xn),
        "indicator-all": (MissingIndicator(features="all"), Xn),
        "imputer-strings": (SimpleImputer(strategy="most_frequent"), holes),
        "columns-named": (selections, df),
        "columns-pandas-output": (ColumnTransformer([("o", OneHotEncoder(sparse_output=False),
                                                      ["size"])]).set_output(transform="pandas"),
                                  df),
        "columns-array": (ColumnTransformer([("a", StandardScaler(), np.array([0, 2])),
                                             ("p", "passthrough", [1])]), X),
        "pipeline-passthrough-step": (Pipeline([("s", StandardScaler()), ("p", "passthrough"),
                                                ("m", MinMaxScaler())]), X),
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_fitted_variants_of_each_class_still_round_trip(name, tmp_path):
    """What save writes, load reads: the specs accept every fitted form of each class (with
    and without optional state), bit for bit."""
    model, X = _variants()[name]
    model.fit(X)
    skbpnet.save(model, tmp_path / "m.skbpnet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = skbpnet.load(tmp_path / "m.skbpnet")
    a, b = (np.asarray(m.transform(X).toarray() if hasattr(m.transform(X), "toarray")
                       else m.transform(X)) for m in (model, loaded))
    assert repr(loaded) == repr(model) and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes() if a.dtype != object else (a == b).all()
    skbpnet.save(loaded, tmp_path / "again.skbpnet")
    assert (tmp_path / "again.skbpnet").read_bytes() == (tmp_path / "m.skbpnet").read_bytes()
