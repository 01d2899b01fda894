"""The estimator's stored state: one table of keys per format version, the optimizer's
state slots through ``Optimizer.get_state``/``set_state`` (forged slots refused)."""

import json
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skbpnet
from skbpnet import BPNetClassifier, ModelFileError
from skbpnet.io import file_keys
from skbpnet.io.schema import HEADER, PARTS
from tests.io._archives import read_archive, write_archive

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    X = np.random.default_rng(0).normal(size=(12, 3))
    return X, (X[:, 0] > 0).astype(int)


def _meta(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("metadata.json"))


def test_a_file_and_a_nested_estimator_hold_exactly_the_parts_of_the_table(data, tmp_path):
    X, y = data
    clf = BPNetClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    skbpnet.save(clf.fit(X, y), tmp_path / "a.skbpnet")
    assert set(_meta(tmp_path / "a.skbpnet")) - {"sha256"} == file_keys(2) == {*HEADER, *PARTS}
    pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)]).fit(X, y)
    skbpnet.save(pipe, tmp_path / "p.skbpnet")
    meta = _meta(tmp_path / "p.skbpnet")
    assert set(meta) - {"sha256"} == file_keys(3)
    node = meta["object"]["params"]["steps"][1]["$tuple"][1]
    assert set(node) == {"$bpnet", *PARTS}


@pytest.mark.parametrize("solver, how, message", [
    ("sgd", "extra-slot", "optimizer.state: SGD keeps 1 state slot"),
    ("adam", "missing-slot", "optimizer.state: Adam keeps 2 state slot"),
    ("adam", "shape", r"must hold, per state slot, a list of finite float32 arrays"),
])
def test_forged_optimizer_state_is_refused(data, tmp_path, solver, how, message):
    X, y = data
    clf = BPNetClassifier(hidden_layer_sizes=(4,), solver=solver, max_iter=2, random_state=0,
                          dtype="float32").fit(X, y)
    path, forged = tmp_path / "a.skbpnet", tmp_path / "forged.skbpnet"
    skbpnet.save(clf, path)
    meta, members = read_archive(path)
    slots = meta["optimizer"]["state"]
    if how == "extra-slot":  # a second slot, of valid arrays
        slots.append([])
        for j in (0, 1):
            src, dst = f"optimizer.state.0.{j}", f"optimizer.state.1.{j}"
            meta["arrays"][dst], members[dst + ".npy"] = meta["arrays"][src], members[src + ".npy"]
            slots[1].append({"$array": dst})
    elif how == "missing-slot":
        del slots[1]
        for name in ("optimizer.state.1.0", "optimizer.state.1.1"):
            del meta["arrays"][name], members[name + ".npy"]
    else:
        slots[0] = slots[0][:1]  # the biases' array missing
        del meta["arrays"]["optimizer.state.0.1"], members["optimizer.state.0.1.npy"]
    write_archive(forged, meta, members, reseal=True)
    with pytest.raises(ModelFileError, match=message):
        skbpnet.load(forged)


def test_the_optimizer_state_round_trips_through_get_state(data, tmp_path):
    X, y = data
    clf = BPNetClassifier(hidden_layer_sizes=(4,), solver="adam", max_iter=2,
                          random_state=0).fit(X, y)
    skbpnet.save(clf, tmp_path / "a.skbpnet")
    loaded = skbpnet.load(tmp_path / "a.skbpnet")
    a, b = clf._optimizer.get_state(), loaded._optimizer.get_state()
    assert a["n_steps"] == b["n_steps"] > 0
    assert [[x.tolist() for x in s] for s in a["slots"]] == \
        [[x.tolist() for x in s] for s in b["slots"]]
