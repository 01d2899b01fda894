"""Tests of skbpnet.datasets: load_mnist and its array cache; and of the tests' idx reader.

The tests that need the real MNIST data use the session fixtures of
``conftest.py`` (one ARFF parse per session, 10-30 s); the others run
anywhere, with a stand-in for ``fetch_openml`` that returns random data of
MNIST's shape the way scikit-learn returns MNIST (float64 pixels, string
labels).
"""

import gzip
import hashlib
import os
import socket
import time
import warnings
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

import skbpnet.datasets as datasets
from skbpnet.datasets import DatasetUnavailableError, load_mnist
from tests._idx import read_idx as _read_idx

N_TRAIN, N_TEST, N_FEATURES = 60_000, 10_000, 784
CACHE_RELPATH = Path("skbpnet") / "mnist_784_v1.npz"
ARFF_RELPATH = Path("openml/openml.org/data/v1/download/52667/mnist_784.arff.gz")

# Label counts of the original files (LeCun, Cortes and Burges).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# --------------------------------------------------------------------------
# Helpers


class FakeFetch:
    """Stands in for fetch_openml: returns ``(X, y)`` as scikit-learn does.

    That is, float64 pixels and an object array of label strings.
    """

    def __init__(self, X, y):
        self.X, self.y = X.astype(np.float64), y.astype(str).astype(object)
        self.calls = []

    def __call__(self, name, **kwargs):
        self.calls.append((name, kwargs))
        return self.X, self.y


def forbid_fetch(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("fetch_openml was called although a cache exists")

    monkeypatch.setattr(datasets, "fetch_openml", fail)


def assert_equal(a, b):
    """Like np.testing.assert_array_equal, for big arrays, 10 times faster."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"shapes differ: {a.shape} != {b.shape}"
    if not np.array_equal(a, b):
        differ = np.count_nonzero(a != b)
        raise AssertionError(f"{differ} of {a.size} elements differ")


def assert_split_equal(result, X, y):
    X_train, X_test, y_train, y_test = result
    assert_equal(X_train, X[:N_TRAIN])
    assert_equal(X_test, X[N_TRAIN:])
    assert_equal(y_train, y[:N_TRAIN])
    assert_equal(y_test, y[N_TRAIN:])


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_dir_entries(data_home):
    folder = Path(data_home) / "skbpnet"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def go_offline(monkeypatch):
    """Make scikit-learn's OpenML downloads fail as they do without a network.

    Returns the list of URLs it tried, each with whether the MNIST ARFF file
    existed at that moment (under any data_home: the path is recorded by the
    caller). Also skips the one-second sleeps between retries.
    """
    from sklearn.datasets import _openml

    calls = []

    def urlopen(request, *args, **kwargs):
        calls.append(getattr(request, "full_url", request))
        raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(_openml, "urlopen", urlopen)
    monkeypatch.setattr(_openml.time, "sleep", lambda seconds: None, raising=False)
    return calls


def write_idx(path, array, compress=True):
    codes = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
    big = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, codes[array.dtype.str[1:]], array.ndim])
    header += np.array(array.shape, ">u4").tobytes()
    data = header + big.tobytes()
    Path(path).write_bytes(gzip.compress(data) if compress else data)


@pytest.fixture(scope="module")
def synthetic():
    """Random uint8 pixels and labels 0..9 of MNIST's shape."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(N_TRAIN + N_TEST, N_FEATURES), dtype=np.uint8)
    y = rng.integers(0, 10, size=N_TRAIN + N_TEST).astype(np.uint8)
    return X, y


@pytest.fixture(scope="module")
def _fake_fetch_output(synthetic):
    return FakeFetch(*synthetic)


@pytest.fixture
def fake_fetch(monkeypatch, _fake_fetch_output):
    fake = _fake_fetch_output
    fake.calls = []
    monkeypatch.setattr(datasets, "fetch_openml", fake)
    return fake


# --------------------------------------------------------------------------
# _read_idx


@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    path = tmp_path / "x-idx3-ubyte.gz"
    write_idx(path, array, compress=compress)
    result = _read_idx(path)
    assert result.dtype == np.dtype(dtype).newbyteorder("=")
    assert result.shape == (2, 3, 4)
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x00\x01\x08\x01\x00\x00\x00\x01\x07", "magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "magic"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x02", "holds 2 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x07\x02", "holds 2 bytes"),
        (gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")[:-6], "gzip"),
    ],
    ids=["magic", "type", "short-header", "truncated", "trailing", "bad-gzip"],
)
def test_read_idx_rejects_malformed_files(tmp_path, content, match):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        _read_idx(path)


# --------------------------------------------------------------------------
# load_mnist with a stand-in for fetch_openml (no data needed)


def test_first_load_fetches_once_then_reads_the_cache(
    tmp_path, monkeypatch, fake_fetch, synthetic
):
    X, y = synthetic
    result = load_mnist(data_home=tmp_path, as_uint8=True)
    assert len(fake_fetch.calls) == 1
    name, kwargs = fake_fetch.calls[0]
    assert name == "mnist_784"
    assert kwargs == dict(
        version=1,
        data_home=str(tmp_path),
        as_frame=False,
        return_X_y=True,
        parser="liac-arff",
    )
    assert_split_equal(result, X, y)
    assert [a.dtype for a in result] == [np.uint8, np.uint8, np.int64, np.int64]
    # Written atomically: the cache and nothing else (no temporary file left).
    assert cache_dir_entries(tmp_path) == [CACHE_RELPATH.name]

    forbid_fetch(monkeypatch)
    assert_split_equal(load_mnist(data_home=tmp_path, as_uint8=True), X, y)
    X_train, X_test, y_train, y_test = load_mnist(data_home=tmp_path)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert_equal(X_train, X[:N_TRAIN].astype(np.float32) / 255)
    assert_equal(X_test, X[N_TRAIN:].astype(np.float32) / 255)


def test_data_home_defaults_to_scikit_learn_data(tmp_path, monkeypatch, fake_fetch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    load_mnist(as_uint8=True)
    assert fake_fetch.calls[0][1]["data_home"] == str(tmp_path)
    assert (tmp_path / CACHE_RELPATH).is_file()


def test_cache_false_neither_reads_nor_writes_the_cache(
    tmp_path, fake_fetch, synthetic
):
    for _ in range(2):
        result = load_mnist(data_home=tmp_path, as_uint8=True, cache=False)
        assert_split_equal(result, *synthetic)
    assert len(fake_fetch.calls) == 2
    assert not (tmp_path / CACHE_RELPATH).exists()


def _flip_bytes(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    path.write_bytes(bytes(data))


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _rewrite(path, **changes):
    """Rewrite a valid .npz with some entries changed (the zip stays valid)."""
    with np.load(path) as npz:
        entries = {key: npz[key] for key in npz.files}
    entries.update(changes)
    entries = {key: value for key, value in entries.items() if value is not None}
    with open(path, "wb") as f:
        np.savez(f, **entries)


def _tamper_pixels(path):
    with np.load(path) as npz:
        X = npz["X"].copy()
    X[12345, 400] ^= 1
    _rewrite(path, X=X)


CORRUPTIONS = {
    "flipped-bytes": _flip_bytes,
    "truncated": _truncate,
    "empty": lambda path: path.write_bytes(b""),
    "not-a-zip": lambda path: path.write_bytes(b"garbage" * 1000),
    "checksum-mismatch": _tamper_pixels,
    "other-format": lambda path: _rewrite(path, format=np.array(2)),
    "missing-key": lambda path: _rewrite(path, sha256=None),
    "pickled-object": lambda path: _rewrite(path, y=np.array([None] * 70_000)),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_invalid_cache_is_rebuilt(
    tmp_path, monkeypatch, fake_fetch, synthetic, corrupt
):
    load_mnist(data_home=tmp_path, as_uint8=True)
    cache = tmp_path / CACHE_RELPATH
    corrupt(cache)

    with pytest.warns(RuntimeWarning, match="invalid.*rebuilding"):
        result = load_mnist(data_home=tmp_path, as_uint8=True)
    assert_split_equal(result, *synthetic)
    assert len(fake_fetch.calls) == 2

    # The cache was rebuilt: valid again, used without fetching.
    forbid_fetch(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_split_equal(load_mnist(data_home=tmp_path, as_uint8=True), *synthetic)
    assert cache_dir_entries(tmp_path) == [CACHE_RELPATH.name]


def test_unwritable_cache_warns_and_returns_the_data(
    tmp_path, monkeypatch, fake_fetch, synthetic
):
    def replace(src, dst):
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.warns(RuntimeWarning, match="could not write"):
        result = load_mnist(data_home=tmp_path, as_uint8=True)
    assert_split_equal(result, *synthetic)
    assert cache_dir_entries(tmp_path) == []  # the temporary file was removed


def test_offline_without_cache_raises_a_clear_error(tmp_path, monkeypatch):
    network_error = URLError(socket.gaierror(-3, "Temporary failure"))

    def fetch_openml(*args, **kwargs):
        raise network_error

    monkeypatch.setattr(datasets, "fetch_openml", fetch_openml)
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist(data_home=tmp_path)
    assert isinstance(info.value, OSError)
    assert info.value.__cause__ is network_error
    message = str(info.value)
    for expected in ("SCIKIT_LEARN_DATA", "data_home", "internet", str(tmp_path)):
        assert expected in message
    print(f"\n{message}")


@pytest.mark.filterwarnings("ignore:A network error occurred:UserWarning")
def test_offline_with_real_fetch_openml(tmp_path, monkeypatch):
    """The real fetch_openml, with only its network access replaced."""
    calls = go_offline(monkeypatch)
    with pytest.raises(DatasetUnavailableError, match="SCIKIT_LEARN_DATA") as info:
        load_mnist(data_home=tmp_path)
    assert calls, "scikit-learn did not try to download"
    assert isinstance(info.value.__cause__, URLError)
    assert "data_home" in str(info.value)
    assert not (tmp_path / CACHE_RELPATH).exists()


def test_other_errors_are_not_reported_as_offline(tmp_path, monkeypatch):
    def fetch_openml(*args, **kwargs):
        raise ValueError("something else")

    monkeypatch.setattr(datasets, "fetch_openml", fetch_openml)
    with pytest.raises(ValueError, match="something else"):
        load_mnist(data_home=tmp_path)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: (np.full((70_000, 784), 0.5), np.zeros(70_000)), "integers"),
        (lambda: (np.full((70_000, 784), 256.0), np.zeros(70_000)), "integers"),
        (lambda: (np.zeros((70_000, 783)), np.zeros(70_000)), "shape"),
        (lambda: (np.zeros((70_000, 784)), np.full(70_000, 10)), "0..9"),
        (lambda: (np.zeros((70_000, 784)), np.array(["a"] * 70_000, dtype=object)),
         "digits"),
    ],
    ids=["fraction", "out-of-range", "shape", "label-range", "label-text"],
)
def test_unexpected_openml_data_is_rejected(tmp_path, monkeypatch, make, match):
    monkeypatch.setattr(datasets, "fetch_openml", lambda *a, **k: make())
    with pytest.raises(ValueError, match=match):
        load_mnist(data_home=tmp_path)
    assert not (tmp_path / CACHE_RELPATH).exists()


def _fake_openml_cache(home):
    root = home / "openml" / "openml.org"
    files = {
        root / "api/v1/json/data/554.gz": b"description",
        root / "api/v1/json/data/features/554.gz": b"features",
        root / "api/v1/json/data/list/data_name/mnist_784/limit/2/status/active/.gz":
            b"list",
        root / ARFF_RELPATH.relative_to("openml/openml.org"): b"arff",
        root / "api/v1/json/data/61.gz": b"iris: not ours",
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def test_guard_restores_deleted_files_and_keeps_replaced_ones(tmp_path):
    files = _fake_openml_cache(tmp_path)
    arff = tmp_path / ARFF_RELPATH
    description = tmp_path / "openml/openml.org/api/v1/json/data/554.gz"
    assert sorted(datasets._openml_mnist_files(str(tmp_path))) == sorted(
        str(p) for p in files if "61.gz" not in str(p)
    )

    restored = []
    with pytest.warns(RuntimeWarning, match="restored"):
        with datasets._keep_openml_files(str(tmp_path), restored):
            arff.unlink()  # what fetch_openml does to a file it cannot parse
            description.unlink()
            description.write_bytes(b"a fresh download")
    assert restored == [str(arff)]
    assert arff.read_bytes() == b"arff"
    assert description.read_bytes() == b"a fresh download"
    assert cache_dir_entries(tmp_path) == []  # the backups are gone


def test_guard_restores_files_when_the_block_raises(tmp_path):
    _fake_openml_cache(tmp_path)
    arff = tmp_path / ARFF_RELPATH
    with pytest.warns(RuntimeWarning, match="restored"):
        with pytest.raises(KeyError):
            with datasets._keep_openml_files(str(tmp_path), []):
                arff.unlink()
                raise KeyError("interrupted")
    assert arff.read_bytes() == b"arff"


def test_guard_without_files_is_a_no_op(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with datasets._keep_openml_files(str(tmp_path), []):
            pass
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# The real data


def _idx_split(idx_dir, prefix):
    images = _read_idx(idx_dir / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(idx_dir / f"{prefix}-labels-idx1-ubyte.gz")
    return images.reshape(len(images), -1), labels


@pytest.fixture(scope="module")
def idx_data(mnist_idx_dir):
    return _idx_split(mnist_idx_dir, "train") + _idx_split(mnist_idx_dir, "t10k")


def test_idx_files(idx_data):
    X_train, y_train, X_test, y_test = idx_data
    assert X_train.shape == (N_TRAIN, N_FEATURES) and X_train.dtype == np.uint8
    assert X_test.shape == (N_TEST, N_FEATURES) and X_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_uint8_load_equals_the_original_files(mnist_uint8, idx_data):
    X_train, X_test, y_train, y_test = mnist_uint8
    assert X_train.shape == (N_TRAIN, N_FEATURES)
    assert X_test.shape == (N_TEST, N_FEATURES)
    assert y_train.shape == (N_TRAIN,) and y_test.shape == (N_TEST,)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    idx_X_train, idx_y_train, idx_X_test, idx_y_test = idx_data
    assert_equal(X_train, idx_X_train)
    assert_equal(X_test, idx_X_test)
    assert_equal(y_train, idx_y_train)
    assert_equal(y_test, idx_y_test)


def test_float32_load_equals_the_original_files_over_255(mnist, idx_data):
    X_train, X_test, y_train, y_test = mnist
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert X_train.shape == (N_TRAIN, N_FEATURES)
    assert X_test.shape == (N_TEST, N_FEATURES)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    idx_X_train, idx_y_train, idx_X_test, idx_y_test = idx_data
    for X, idx_X in ((X_train, idx_X_train), (X_test, idx_X_test)):
        assert_equal(X, idx_X.astype(np.float32) / np.float32(255))
        assert_equal(X, (idx_X / 255).astype(np.float32))
        assert_equal(np.rint(X * 255).astype(np.uint8), idx_X)
    assert_equal(y_train, idx_y_train)
    assert_equal(y_test, idx_y_test)
    # The session fixture is shared: read-only.
    assert not any(a.flags.writeable for a in mnist)


def test_second_load_reads_the_cache(mnist_first_load, monkeypatch):
    forbid_fetch(monkeypatch)
    start = time.perf_counter()
    uint8 = load_mnist(data_home=mnist_first_load.data_home, as_uint8=True)
    uint8_seconds = time.perf_counter() - start
    start = time.perf_counter()
    float32 = load_mnist(data_home=mnist_first_load.data_home)
    float32_seconds = time.perf_counter() - start

    for a, b in zip(uint8, mnist_first_load.data):
        assert a.dtype == b.dtype
        assert_equal(a, b)
    for a, b in zip(float32[:2], mnist_first_load.data[:2]):
        assert_equal(a, b.astype(np.float32) / 255)
    how = ("from an existing array cache" if mnist_first_load.had_array_cache
           else "parsing the OpenML ARFF, then writing the array cache")
    print(
        f"\nload_mnist: first load {mnist_first_load.seconds:.2f} s ({how}); "
        f"second load {uint8_seconds:.3f} s (uint8), {float32_seconds:.3f} s "
        "(float32) from the array cache"
    )


def test_openml_cache_layout(mnist_data_home):
    files = datasets._openml_mnist_files(str(mnist_data_home))
    relative = {Path(f).relative_to(mnist_data_home).as_posix() for f in files}
    assert ARFF_RELPATH.as_posix() in relative
    assert "openml/openml.org/api/v1/json/data/554.gz" in relative
    assert "openml/openml.org/api/v1/json/data/features/554.gz" in relative
    assert "openml/openml.org/api/v1/json/data/qualities/554.gz" in relative


def test_successful_loads_keep_the_openml_files(mnist_first_load):
    for path, digest in mnist_first_load.openml_files.items():
        assert os.path.isfile(path), f"{path} was removed"
        assert sha256(path) == digest, f"{path} was changed"
    assert set(datasets._openml_mnist_files(str(mnist_first_load.data_home))) == set(
        mnist_first_load.openml_files
    )
    entries = cache_dir_entries(mnist_first_load.data_home)
    assert CACHE_RELPATH.name in entries
    assert not [e for e in entries if e.startswith(".")]  # no backups, no temp files


@pytest.mark.parametrize(
    "damage", [_flip_bytes, _truncate], ids=["flipped", "truncated"]
)
def test_unreadable_openml_file_is_kept_offline(
    make_mnist_data_home, monkeypatch, damage
):
    """Offline, a damaged ARFF makes fetch_openml delete it; we put it back."""
    home = make_mnist_data_home()
    arff = home / ARFF_RELPATH
    damage(arff)
    damaged = arff.read_bytes()
    calls = go_offline(monkeypatch)
    from sklearn.datasets import _openml

    existed = []
    urlopen = _openml.urlopen

    def spy(request, *args, **kwargs):
        existed.append(arff.exists())
        return urlopen(request, *args, **kwargs)

    monkeypatch.setattr(_openml, "urlopen", spy)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DatasetUnavailableError) as info:
            load_mnist(data_home=home)
    message = str(info.value)
    assert str(arff) in message and "kept" in message
    assert isinstance(info.value.__cause__, URLError)
    # scikit-learn did delete the file to download it again ...
    assert calls and existed and not any(existed)
    # ... and it is back, unchanged, with a warning saying so.
    assert arff.read_bytes() == damaged
    assert any("restored" in str(w.message) for w in caught)
    assert cache_dir_entries(home) == []
    print(f"\n{message}")


def test_arrays_are_row_major(mnist, mnist_uint8):
    # Training gathers rows: a column-major X made every minibatch gather ~10x slower.
    for arrays in (mnist, mnist_uint8):
        assert arrays.X_train.flags.c_contiguous and arrays.X_test.flags.c_contiguous
