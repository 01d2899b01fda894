"""What save writes, load reads: the limits of skbpnet.io.limits, and the atomic write.

Every limit is checked by the same function on both sides, so a model that is
just within a limit saves and loads, and one just over it is refused by save
before anything is written (and by load, had it been written).
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, ModelFileError
from skbpnet import _atomic
from skbpnet._atomic import remove_orphans, write_atomic
from skbpnet.io import limits
from tests.io._archives import read_archive, write_archive

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def data(n=20, d=3, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, d))
    return X, (X[:, 0] > 0).astype(int)


def net(cls=BPNetClassifier, **kw):
    return cls(hidden_layer_sizes=(5,), max_iter=2, random_state=0, **kw)


def round_trip(model, path, X):
    skbpnet.save(model, path)
    loaded = skbpnet.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    return loaded


# -- the three kinds of model that saved but did not load ---------------------------------
def test_a_classifier_fitted_on_a_single_class_round_trips(tmp_path):
    X, _ = data()
    clf = net().fit(X, np.full(len(X), "only"))
    loaded = round_trip(clf, tmp_path / "m.skbpnet", X)
    assert list(loaded.classes_) == ["only"] and set(loaded.predict(X)) == {"only"}
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_network_wider_than_load_accepts_is_refused_by_save(tmp_path, monkeypatch):
    # 2**24 + 1 inputs would need 128 MiB: the same check with a small limit
    monkeypatch.setattr(limits, "MAX_UNITS", 8)
    X, y = data(d=9)
    with pytest.raises(ValueError, match=r"9 units; a model file's layers have at most 8.*"
                                         r"load would refuse"):
        skbpnet.save(net().fit(X, y), tmp_path / "m.skbpnet")
    assert os.listdir(tmp_path) == []
    round_trip(net().fit(X[:, :8], y), tmp_path / "m.skbpnet", X[:, :8])


def test_save_checks_the_width_before_copying_the_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNITS", 4)  # the hidden layer (5) is the widest
    X, y = data()
    model = make_pipeline(StandardScaler(), net())
    with pytest.raises(ValueError, match="5 units"):
        skbpnet.save(model.fit(X, y), tmp_path / "m.skbpnet")
    assert os.listdir(tmp_path) == []


def test_long_step_names_save_and_load(tmp_path):
    X, y = data()
    steps = [("s" * 5000 + str(i), StandardScaler()) for i in range(5)] + [("net", net())]
    model = Pipeline(steps).fit(X, y)
    path = tmp_path / "m.skbpnet"
    loaded = round_trip(model, path, X)
    assert [name for name, _ in loaded.steps] == [name for name, _ in steps]
    with zipfile.ZipFile(path) as zf:  # the array names are short, whatever the steps'
        assert max(len(n) for n in zf.namelist()) <= 100


# -- every limit: just within saves and loads, just over is refused -----------------------
def json_depth(value):
    children = value.values() if isinstance(value, dict) else value if isinstance(
        value, list) else None
    return 0 if children is None else 1 + max(map(json_depth, children), default=0)


def measure(path):
    """The value of every limit that the file at ``path`` reaches."""
    meta, members = read_archive(path)
    with zipfile.ZipFile(path) as zf:
        raw = zf.read("metadata.json")
        arrays = [np.load(zf.open(n), allow_pickle=False) for n in zf.namelist()
                  if n != "metadata.json"]
    return {
        "MAX_MEMBERS": len(members) + 1,
        "MAX_DIRECTORY_BYTES": limits.directory_bytes(["metadata.json", *members]),
        "MAX_METADATA_BYTES": len(raw),
        "MAX_METADATA_VALUES": limits.json_values(raw),
        "MAX_ARRAY_BYTES": sum(a.nbytes for a in arrays),
        "MAX_NDIM": max(a.ndim for a in arrays),
        "MAX_UNITS": 5,  # 3 inputs, 5 hidden units, 1 output
        "MAX_DEPTH": json_depth(meta),
        "MAX_OBJECTS_DEEP": 3,  # Pipeline > Pipeline > BPNetClassifier
        "MAX_WORK": 1 + 3 * (1 + 3 * 2),  # a Pipeline of a Pipeline of two
    }


@pytest.fixture(scope="module")
def nested(tmp_path_factory):
    X, y = data()
    model = make_pipeline(make_pipeline(StandardScaler(), net())).fit(X, y)
    path = tmp_path_factory.mktemp("ref") / "m.skbpnet"
    skbpnet.save(model, path)
    return model, X, path, measure(path)


@pytest.mark.parametrize("limit", ["MAX_MEMBERS", "MAX_DIRECTORY_BYTES", "MAX_METADATA_BYTES",
                                   "MAX_METADATA_VALUES", "MAX_ARRAY_BYTES", "MAX_NDIM",
                                   "MAX_UNITS", "MAX_DEPTH", "MAX_OBJECTS_DEEP", "MAX_WORK"])
def test_save_and_load_agree_on_every_limit(limit, nested, tmp_path, monkeypatch):
    model, X, reference, values = nested
    value = values[limit]
    assert value < getattr(limits, limit)  # the real limit is far away
    monkeypatch.setattr(limits, limit, value)  # just within: saves and loads
    round_trip(model, tmp_path / "at.skbpnet", X)
    monkeypatch.setattr(limits, limit, value - 1)  # just over: refused, nothing written
    with pytest.raises(ValueError, match=str(value - 1)) as info:
        skbpnet.save(model, tmp_path / "over.skbpnet")
    assert "skbpnet.save cannot store this Pipeline" in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["at.skbpnet"]
    if limit != "MAX_DIRECTORY_BYTES":  # save counts the most a directory takes; load the bytes
        with pytest.raises(ModelFileError):
            skbpnet.load(reference)


def test_the_limits_are_in_one_module():
    from skbpnet.io import archive, codec, schema, sklearn_objects

    for module in (archive, codec, schema, sklearn_objects):
        assert not [n for n in vars(module) if n.startswith("MAX_")], module.__name__


# -- nesting: bounded depth and bounded predict cost --------------------------------------
def chain(levels, X, y):
    model = net(BPNetRegressor)
    for _ in range(levels):
        model = Pipeline([("p", model)])
    return model.fit(X, y)


def test_nesting_that_makes_predict_slow_is_refused_by_save(tmp_path):
    X, y = data()
    # each one-step Pipeline triples scikit-learn's tag lookups: 9 levels predict in
    # about half a second, 12 took 27 s
    skbpnet.save(chain(9, X, y), tmp_path / "nine.skbpnet")
    assert isinstance(skbpnet.load(tmp_path / "nine.skbpnet"), Pipeline)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="predicting would consult them about 88573 times"):
        skbpnet.save(chain(10, X, y), tmp_path / "ten.skbpnet")
    assert time.perf_counter() - start < 1.0  # refused before scikit-learn's checks
    assert os.listdir(tmp_path) == ["nine.skbpnet"]


def forge_chain(path, levels, out):
    """A checksum-valid file holding the file's object wrapped in one-step Pipelines."""
    meta, members = read_archive(path)
    node = meta["object"]  # a one-step Pipeline
    for _ in range(levels):
        node = {**node, "params": {**node["params"], "steps": [{"$tuple": ["p", node]}]}}
    meta["object"] = node
    write_archive(out, meta, members)
    return out


@pytest.mark.parametrize("levels, work, match", [
    (11, 2**16, "predicting would consult them about 88573 times"),  # 12 levels
    (16, 10**12, "estimators are nested more than 16 deep"),  # 17 levels
])
def test_load_refuses_deep_nesting_fast(levels, work, match, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_WORK", work)
    X, y = data()
    skbpnet.save(chain(1, X, y), tmp_path / "one.skbpnet")
    bad = forge_chain(tmp_path / "one.skbpnet", levels, tmp_path / "deep.skbpnet")
    assert bad.stat().st_size < 20_000
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=match):
        skbpnet.load(bad)
    assert time.perf_counter() - start < 1.0


def test_a_forged_chain_within_the_limits_loads(tmp_path):
    X, y = data()
    skbpnet.save(chain(1, X, y), tmp_path / "one.skbpnet")
    ok = forge_chain(tmp_path / "one.skbpnet", 2, tmp_path / "three.skbpnet")
    loaded = skbpnet.load(ok)
    assert type(loaded[0][0]).__name__ == "Pipeline"


# -- the atomic write ---------------------------------------------------------------------
def temps(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def test_save_to_a_249_byte_name(tmp_path):
    X, y = data()
    path = tmp_path / ("m" * 241 + ".skbpnet")
    assert len(path.name) == 249
    round_trip(net().fit(X, y), path, X)
    assert os.listdir(tmp_path) == [path.name]


_WRITER = textwrap.dedent("""
    import importlib.util, sys, time

    spec = importlib.util.spec_from_file_location("_atomic", sys.argv[2])  # not all skbpnet
    atomic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(atomic)

    def write(fh):
        fh.write(b"x" * 4096)
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)

    atomic.write_atomic(sys.argv[1], write)
""")


def start_writer(path):
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), _atomic.__file__],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "writing\n"
    return proc


@pytest.mark.skipif(_atomic.fcntl is None, reason="no flock: orphans are not cleaned")
def test_an_orphan_of_a_killed_writer_is_removed_and_a_live_one_kept(tmp_path):
    killed, live = start_writer(tmp_path / "a.bin"), start_writer(tmp_path / "b.bin")
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        left = temps(tmp_path)
        assert len(left) == 2 and all(len(n) < 50 for n in left)
        orphan = f".skbpnet-{killed.pid}-"
        write_atomic(tmp_path / "c.bin", lambda fh: fh.write(b"c"))
        kept = temps(tmp_path)
        assert kept == [n for n in left if not n.startswith(orphan)]
        assert kept[0].startswith(f".skbpnet-{live.pid}-")
    finally:
        live.kill()
        live.wait()
        killed.stdout.close()
        live.stdout.close()
    assert not (tmp_path / "a.bin").exists() and not (tmp_path / "b.bin").exists()


@pytest.mark.skipif(_atomic.fcntl is None, reason="no flock")
def test_remove_orphans_keeps_what_a_live_process_may_hold(tmp_path):
    dead = 2**31 - 1  # no such process
    held = tmp_path / f".skbpnet-{dead}-{'a' * 16}.tmp"  # pid unknown here, lock held
    mine = tmp_path / f".skbpnet-{os.getpid()}-{'b' * 16}.tmp"  # live pid, not yet locked
    other = tmp_path / f".skbpnet-{dead}-{'c' * 16}.tmp.keep"  # not our pattern
    orphan = tmp_path / f".skbpnet-{dead}-{'d' * 16}.tmp"
    for p in (held, mine, other, orphan):
        p.write_bytes(b"x")
    os.symlink(tmp_path / "target", tmp_path / f".skbpnet-{dead}-{'e' * 16}.tmp")
    with open(held, "rb") as fh:
        _atomic.fcntl.flock(fh.fileno(), _atomic.fcntl.LOCK_EX)
        assert remove_orphans(tmp_path) == [orphan.name]
    assert held.exists() and mine.exists() and other.exists()


def test_a_temp_file_removed_before_it_is_locked_is_made_again(tmp_path, monkeypatch):
    real, calls = os.fstat, []

    def fstat(fd):  # a clean-up elsewhere removes the new file before it is locked
        if not calls:
            calls.append(temps(tmp_path))
            os.unlink(tmp_path / calls[0][0])
        return real(fd)

    monkeypatch.setattr(_atomic.os, "fstat", fstat)
    write_atomic(tmp_path / "a.bin", lambda fh: fh.write(b"a"))
    monkeypatch.undo()
    assert (tmp_path / "a.bin").read_bytes() == b"a" and os.listdir(tmp_path) == ["a.bin"]
    assert len(calls[0]) == 1


@pytest.mark.skipif(_atomic.fcntl is None, reason="no flock")
def test_a_file_system_without_locks_writes_and_keeps_what_it_cannot_lock(tmp_path, monkeypatch):
    import errno
    import types

    def flock(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    fcntl = _atomic.fcntl
    monkeypatch.setattr(_atomic, "fcntl", types.SimpleNamespace(
        flock=flock, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB))
    orphan = tmp_path / f".skbpnet-{2**31 - 1}-{'a' * 16}.tmp"
    orphan.write_bytes(b"x")
    write_atomic(tmp_path / "a.bin", lambda fh: fh.write(b"a"))
    assert (tmp_path / "a.bin").read_bytes() == b"a"
    assert orphan.exists()  # not provably abandoned: kept
