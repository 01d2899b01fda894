"""Hostile model files: load either returns a working model or raises ModelFileError.

Decompression bombs, headers that claim huge arrays, zip-structure edits,
poisoned values (NaN weights, unsorted classes, wrong types) and random
mutations must all be refused with :class:`skbpnet.ModelFileError`, without
allocating more than a few MiB beyond what a legitimate file needs (measured
with tracemalloc, which traces NumPy's allocations too).
"""

import io
import json
import os
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, ModelFileError
from skbpnet.io import archive, limits

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning",
                                        "ignore::skbpnet.InconsistentSkbpnetVersionWarning")
MiB = 2**20
FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


# -- helpers ---------------------------------------------------------------------------
def _xy(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 5))
    return X, X[:, 0] + 0.5 * X[:, 1]


def _fit(kind):
    X, score = _xy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "clf":
            y = np.array(["cat", "dog", "emu"])[np.digitize(score, [-0.5, 0.5])]
            est = BPNetClassifier(hidden_layer_sizes=(6,), solver="sgd", dropout=0.2,
                                  max_iter=3, random_state=0).fit(X, y)
        elif kind == "clf-int":
            est = BPNetClassifier(hidden_layer_sizes=(6,), max_iter=3,
                                  random_state=0).fit(X, np.digitize(score, [-0.5, 0.5]))
        else:
            est = BPNetRegressor(hidden_layer_sizes=(6, 4), max_iter=3,
                                 random_state=0).fit(X, score)
    return est, X


@pytest.fixture(scope="module", params=["clf", "reg"])
def model(request, tmp_path_factory):
    est, X = _fit(request.param)
    path = tmp_path_factory.mktemp("hostile") / f"{request.param}.skbpnet"
    skbpnet.save(est, path)
    return path, X


@pytest.fixture(scope="module")
def clf_int(tmp_path_factory):
    est, X = _fit("clf-int")
    path = tmp_path_factory.mktemp("hostile") / "clf-int.skbpnet"
    skbpnet.save(est, path)
    return path, X


def parts(path):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return json.loads(members.pop("metadata.json")), members


def npy(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def arrays_of(members):
    return {n[:-4]: np.load(io.BytesIO(b), allow_pickle=False) for n, b in members.items()}


def write(path, meta, members, arrays=None):
    """Write an archive; with ``arrays``, reseal the checksum as a forger could."""
    if arrays is not None:
        body = {k: v for k, v in meta.items() if k != "sha256"}
        meta = {**body, "sha256": archive.checksum(body, arrays)}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def forge(src, dst, edit, members_edit=None):
    """Apply ``edit`` to the metadata (and ``members_edit`` to the arrays), reseal."""
    meta, members = parts(src)
    arrays = arrays_of(members)
    edit(meta)
    if members_edit is not None:
        members_edit(meta, arrays)
        members = {f"{n}.npy": npy(a) for n, a in arrays.items()}
    return write(dst, meta, members, arrays)


def peak_of(fn):
    """(result or exception, peak traced bytes) of fn()."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - returned for the caller to check
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def load_or_refuse(path, X, limit=64 * MiB):
    """load returns a working model or raises ModelFileError, within ``limit`` bytes."""
    out, peak = peak_of(lambda: skbpnet.load(path))
    assert peak < limit, f"peak {peak / MiB:.1f} MiB"
    if isinstance(out, Exception):
        if not isinstance(out, ModelFileError):
            raise out
        return None
    out.predict(X)
    return out


def refused(path, limit=32 * MiB, match=None):
    out, peak = peak_of(lambda: skbpnet.load(path))
    assert isinstance(out, ModelFileError), repr(out)
    if match is not None:
        assert match in str(out), str(out)
    assert peak < limit, f"peak {peak / MiB:.1f} MiB"
    return peak


# -- decompression bombs and sizes --------------------------------------------------------
def _bomb(path, name, size=2**30, valid=None):
    chunk = b" " * (4 * MiB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(name, "w") as fh:
            fh.write(b"{" if name == "metadata.json" else b"")
            for _ in range(size // len(chunk)):
                fh.write(chunk)
        for member, data in (valid or {}).items():
            zf.writestr(member, data)
    return path


def _set_sizes(path, name, size):
    """Rewrite the uncompressed size that the local and central headers declare."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + n]) == name.encode():
            struct.pack_into("<I", data, pos + 24, size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return _bomb(tmp_path_factory.mktemp("bomb") / "bomb.skbpnet", "metadata.json")


def test_metadata_bomb_is_refused_in_bounded_memory(bomb, tmp_path):
    assert bomb.stat().st_size < 8 * MiB
    peak = refused(bomb, match="metadata.json")
    print(f"metadata bomb (1 GiB declared): peak {peak / MiB:.2f} MiB")
    # The same bomb declaring a small size: the inflated stream is cut at that size.
    liar = tmp_path / "liar.skbpnet"
    liar.write_bytes(bomb.read_bytes())
    _set_sizes(liar, "metadata.json", 4000)
    peak = refused(liar)
    print(f"metadata bomb (4000 bytes declared): peak {peak / MiB:.2f} MiB")


@pytest.mark.parametrize("item", [b"[],", b"{},", b"1.5,", b'"ab",'])
def test_metadata_that_parses_to_far_more_than_its_text_is_refused(item, tmp_path):
    bad = tmp_path / "amplified.skbpnet"
    text = b"[" + item * ((limits.MAX_METADATA_BYTES - 8) // len(item)) + b"0]"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", text)
    del text
    peak = refused(bad, limit=8 * MiB, match="values")
    print(f"16 MiB of JSON values {item!r} in {bad.stat().st_size} bytes: "
          f"peak {peak / MiB:.2f} MiB")


def test_save_refuses_metadata_that_load_would_refuse(model, monkeypatch, tmp_path):
    path, _ = model
    est = skbpnet.load(path)
    monkeypatch.setattr(limits, "MAX_METADATA_VALUES", 10)
    with pytest.raises(ValueError, match="values"):
        skbpnet.save(est, tmp_path / "big.skbpnet")
    assert not (tmp_path / "big.skbpnet").exists()


def test_array_bomb_is_refused_in_bounded_memory(model, tmp_path):
    path, _ = model
    meta, members = parts(path)
    # One .npy member inflating to 1 GiB of spaces: not a .npy header.
    valid = {"metadata.json": json.dumps(meta)}
    valid.update({n: d for n, d in members.items() if n != "net.param_vector.npy"})
    bad = _bomb(tmp_path / "npy-bomb.skbpnet", "net.param_vector.npy", valid=valid)
    refused(bad)


@pytest.mark.parametrize("deflate", [False, True])
def test_members_declaring_more_than_the_file_holds_are_refused(model, deflate, tmp_path):
    """A header and sizes that agree on 1 GiB, in a small file: nothing of it is allocated."""
    path, _ = model
    meta, members = parts(path)
    dtype = meta["arrays"]["net.param_vector"]["dtype"]
    n = 2**30 // np.dtype(dtype).itemsize
    meta["arrays"]["net.param_vector"]["shape"] = [n]
    head = _header(dtype, False, (n,))
    members["net.param_vector.npy"] = head + b"\0" * 4096
    bad = tmp_path / "claims.skbpnet"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        for name, data in members.items():
            zf.writestr(name, data)
    _set_sizes(bad, "net.param_vector.npy", len(head) + 2**30)
    peak = refused(bad, limit=4 * MiB, match="declares")
    print(f"member declaring 1 GiB (deflate={deflate}): peak {peak / MiB:.2f} MiB")


def test_npy_trailing_and_missing_bytes_are_refused(model, tmp_path):
    path, _ = model
    meta, members = parts(path)
    for name, data in [("trailing", members["net.param_vector.npy"] + b"\0" * 8),
                       ("missing", members["net.param_vector.npy"][:-8])]:
        bad = write(tmp_path / f"{name}.skbpnet", meta,
                    {**members, "net.param_vector.npy": data})
        refused(bad, match="net.param_vector")


def _header(descr, fortran, shape):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buf.getvalue()


def test_npy_header_claiming_a_huge_shape_is_refused_from_the_header(model, tmp_path):
    path, _ = model
    meta, members = parts(path)
    data = members["net.param_vector.npy"]
    body = data[len(data) - meta["arrays"]["net.param_vector"]["shape"][0] * 4:]
    for shape in [(10**12,), (2**62, 4), (10**6, 10**6)]:
        dtype = meta["arrays"]["net.param_vector"]["dtype"]
        meta["arrays"]["net.param_vector"]["shape"] = list(shape)
        bad = write(tmp_path / "huge.skbpnet", meta,
                    {**members, "net.param_vector.npy": _header(dtype, False, shape) + body})
        peak = refused(bad, limit=4 * MiB)
    print(f".npy header claiming huge shapes: peak {peak / MiB:.2f} MiB")


def test_huge_hidden_layers_are_refused_before_allocation(model, tmp_path):
    path, _ = model
    bad = forge(path, tmp_path / "wide.skbpnet",
                lambda m: m["net"]["architecture"].update(hidden=[8000, 8000]))
    peak = refused(bad, limit=8 * MiB, match="param_vector")
    print(f"v2 file claiming 8000x8000 hidden layers: peak {peak / MiB:.2f} MiB")
    # ... and with a parameter vector whose header claims the right size but lacks the bytes.
    meta, members = parts(bad)
    n = (5 + 1) * 8000 + 8001 * 8000 + 8001 * meta["net"]["architecture"]["n_outputs"]
    dtype = meta["arrays"]["net.param_vector"]["dtype"]
    meta["arrays"]["net.param_vector"]["shape"] = [n]
    members["net.param_vector.npy"] = _header(dtype, False, (n,)) + b"\0" * 64
    refused(write(bad, meta, members), limit=8 * MiB)


def test_too_many_members_are_refused(model, tmp_path):
    path, _ = model
    meta, members = parts(path)
    extra = {f"x{i}.npy": b"" for i in range(limits.MAX_MEMBERS)}
    refused(write(tmp_path / "many.skbpnet", meta, {**members, **extra}), match="members")


# -- poisoned values --------------------------------------------------------------------
def test_n_features_in_of_10_to_the_12_is_refused(model, tmp_path):
    path, _ = model
    bad = forge(path, tmp_path / "nf.skbpnet",
                lambda m: m["attributes"].update(n_features_in_=10**12))
    refused(bad, limit=4 * MiB)


def test_nan_weights_are_refused(model, tmp_path):
    path, _ = model

    def poison(meta, arrays):
        arrays["net.param_vector"] = arrays["net.param_vector"].copy()
        arrays["net.param_vector"][3] = np.nan

    refused(forge(path, tmp_path / "nan.skbpnet", lambda m: None, poison), match="NaN")


@pytest.mark.parametrize("classes", [
    np.array([np.nan, 1.0, 2.0]), np.array([0.0, 1.0, np.nan]), np.array([2, 1, 0]),
    np.array([0, 0, 1]), np.array([0.0, np.inf, 2.0]), np.array([[0, 1, 2]]),
    np.array(["b", "a", "c"]), np.array([1 + 0j, 2, 3]),
], ids=["nan-first", "nan-last", "unsorted", "duplicate", "inf", "2d", "str-unsorted",
        "complex"])
def test_bad_classes_are_refused(clf_int, classes, tmp_path):
    path, _ = clf_int

    def poison(meta, arrays):
        arrays["attr.classes_"] = classes
        meta["arrays"]["attr.classes_"] = {"dtype": classes.dtype.str,
                                           "shape": list(classes.shape)}

    refused(forge(path, tmp_path / "classes.skbpnet", lambda m: None, poison))


WRONG = [
    ("_dropout_seed", -1), ("_dropout_seed", 2**31), ("_dropout_seed", 1.5),
    ("_dropout_seed", "1"), ("_dropout_seed", True), ("_dropout_seed", None),
    ("n_iter_", -1), ("n_iter_", 1.0), ("n_iter_", "3"), ("n_iter_", [3]),
    ("n_features_in_", 0), ("n_features_in_", 10**12), ("n_features_in_", "5"),
    ("n_features_in_", 5.0), ("_skbpnet_version", 2), ("_skbpnet_version", None),
    ("_skbpnet_version", ["0.2"]), ("_multilabel", 0), ("_multilabel", "false"),
    ("_multilabel", None),
]


@pytest.mark.parametrize("field, value", WRONG, ids=[f"{f}={v!r}" for f, v in WRONG])
def test_wrong_typed_fitted_values_are_refused(clf_int, field, value, tmp_path):
    path, _ = clf_int
    bad = forge(path, tmp_path / "typed.skbpnet",
                lambda m: m["attributes"].update({field: value}))
    refused(bad)


HISTORY = [("n_epochs", "3"), ("n_epochs", -1), ("loss_curve", "x"), ("loss_curve", [None]),
           ("t", 1.5), ("validated", 1), ("best_loss", "0.5"), ("validation_scores", {})]


@pytest.mark.parametrize("field, value", HISTORY, ids=[f"{f}={v!r}" for f, v in HISTORY])
def test_wrong_typed_history_is_refused(clf_int, field, value, tmp_path):
    path, _ = clf_int
    refused(forge(path, tmp_path / "hist.skbpnet", lambda m: m["history"].update({field: value})))


# -- paths --------------------------------------------------------------------------------
def test_paths_bytes_directories_and_missing(model, tmp_path):
    path, _ = model
    bad = tmp_path / "damaged.skbpnet"
    bad.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ModelFileError, match="Cannot load '.*damaged.skbpnet'"):
        skbpnet.load(os.fsencode(bad))
    with pytest.raises(ModelFileError, match="directory"):
        skbpnet.load(tmp_path)
    with pytest.raises(ModelFileError, match="directory"):
        skbpnet.load(os.fsencode(tmp_path))
    with pytest.raises(FileNotFoundError):
        skbpnet.load(os.fsencode(tmp_path / "missing.skbpnet"))
    assert skbpnet.load(os.fsencode(path)) is not None


# -- fuzzing ------------------------------------------------------------------------------
@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=6),
       cut=st.none() | st.floats(0, 1, exclude_max=True), deflate=st.booleans())
def test_fuzz_byte_flips_and_truncation(model, tmp_path, flips, cut, deflate):
    path, X = model
    if deflate:  # the same members, deflated: flips then damage the compressed streams
        meta, members = parts(path)
        path = tmp_path / "deflated.skbpnet"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("metadata.json", json.dumps(meta))
            for name, data in members.items():
                zf.writestr(name, data)
    data = bytearray(path.read_bytes())
    for where, bits in flips:
        data[int(where * len(data))] ^= bits
    if cut is not None:
        data = data[:int(cut * len(data))]
    bad = tmp_path / "fuzz.skbpnet"
    bad.write_bytes(bytes(data))
    load_or_refuse(bad, X)


# (header kind, field offset, width) of local (PK\3\4) and central (PK\1\2) headers
_FIELDS = {"local": {"version": (4, "H"), "flags": (6, "H"), "method": (8, "H"),
                     "crc": (14, "I"), "csize": (18, "I"), "usize": (22, "I"),
                     "name_len": (26, "H"), "extra_len": (28, "H")},
           "central": {"version": (6, "H"), "flags": (8, "H"), "method": (10, "H"),
                       "crc": (16, "I"), "csize": (20, "I"), "usize": (24, "I"),
                       "name_len": (28, "H"), "extra_len": (30, "H"), "disk": (34, "H"),
                       "offset": (42, "I")}}
_VALUES = st.one_of(st.integers(0, 0xFFFF), st.sampled_from([0, 1, 8, 12, 14, 99, 0xFFFF,
                    2**31, 2**32 - 1, 2**30]), st.integers(0, 2**32 - 1))


def _headers(data, signature):
    pos = data.find(signature)
    while pos >= 0:
        yield pos
        pos = data.find(signature, pos + 4)


@FUZZ
@given(kind=st.sampled_from(sorted(_FIELDS)), which=st.integers(0, 10),
       field=st.data(), value=_VALUES, deflate=st.booleans(), duplicate=st.booleans())
def test_fuzz_zip_structure(model, tmp_path, kind, which, field, value, deflate, duplicate):
    path, X = model
    meta, members = parts(path)
    bad = tmp_path / "zip.skbpnet"
    names = sorted(members)
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        for name in names:
            zf.writestr(name, members[name])
        if duplicate:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr(names[which % len(names)], members[names[0]])
    data = bytearray(bad.read_bytes())
    sig = b"PK\x03\x04" if kind == "local" else b"PK\x01\x02"
    spots = list(_headers(bytes(data), sig))
    name = field.draw(st.sampled_from(sorted(_FIELDS[kind])))
    offset, fmt = _FIELDS[kind][name]
    pos = spots[which % len(spots)] + offset
    struct.pack_into("<" + fmt, data, pos, value % (2**16 if fmt == "H" else 2**32))
    bad.write_bytes(bytes(data))
    load_or_refuse(bad, X)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.sampled_from(
        [10**12, -1, 0, 2**31, 2**63, 10**300, 1.5, -0.0, 1e308]) | st.floats(
        allow_nan=False, allow_infinity=False) | st.text(max_size=12) | st.sampled_from(
        [{"$float": "nan"}, {"$float": "inf"}, {"$array": "net.param_vector"},
         {"$tuple": []}, {"$scalar": ["<f8", 1.0]}, {"$objects": [1, "a"]}]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=6), children, max_size=4),
    max_leaves=8)


@FUZZ
@given(choice=st.floats(0, 1, exclude_max=True), value=_JSON)
def test_fuzz_json_substitutions(model, tmp_path, choice, value):
    path, X = model
    meta, members = parts(path)
    body = {k: v for k, v in meta.items() if k != "sha256"}
    paths = [p for p in _paths(body) if p]
    target = paths[int(choice * len(paths))]
    node = body
    for key in target[:-1]:
        node = node[key]
    node[target[-1]] = value
    bad = write(tmp_path / "json.skbpnet", body, members, arrays_of(members))
    load_or_refuse(bad, X)


_DESCRS = ["<f8", "<f4", ">f8", "|O", "<U3", "|S0", "<c16", "|b1", "|V8", "<i8", "<M8[s]",
           "<U0", "|u1"]
_SHAPES = st.lists(st.one_of(st.integers(0, 70), st.sampled_from([10**12, 2**31, 2**62])),
                   max_size=3).map(tuple)


@FUZZ
@given(which=st.integers(0, 10), descr=st.sampled_from(_DESCRS), shape=_SHAPES,
       fortran=st.booleans(), delta=st.integers(-16, 16), update_table=st.booleans())
def test_fuzz_npy_headers(model, tmp_path, which, descr, shape, fortran, delta, update_table):
    path, X = model
    meta, members = parts(path)
    name = sorted(members)[which % len(members)]
    old = np.load(io.BytesIO(members[name]), allow_pickle=False)
    body = np.ascontiguousarray(old).tobytes()
    body = body[:len(body) + delta] if delta < 0 else body + b"\0" * delta
    members[name] = _header(descr, fortran, shape) + body
    if update_table:
        meta["arrays"][name[:-4]] = {"dtype": descr, "shape": list(shape)}
    load_or_refuse(write(tmp_path / "npy.skbpnet", meta, members), X)
