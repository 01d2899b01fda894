"""The container of a model file: a ZIP of ``.npy`` arrays and ``metadata.json``, with a checksum.

The archive is uncompressed, with fixed timestamps, so the same model always
gives the same bytes. The checksum is the SHA-256 of, for every array in name
order, its name, dtype, shape and bytes, followed by the metadata without the
``sha256`` entry, serialised as compact JSON with sorted keys. It detects
damaged and truncated files; it is not a signature (whoever can write the
file can recompute it).
"""

import hashlib
import io
import json
import zipfile

import numpy as np

from .codec import ARRAY_KINDS, expect
from .errors import ModelFileError

__all__ = ["FORMAT_NAME", "write_zip", "read_archive", "checksum"]

FORMAT_NAME = "skbpnet-model"
METADATA = "metadata.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same model, the same bytes


def _canonical(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def checksum(body, arrays):
    h = hashlib.sha256(b"skbpnet-model checksum 1\n")
    for name in sorted(arrays):
        a = arrays[name]
        head = json.dumps([name, a.dtype.str, list(a.shape)]).encode("utf-8")
        data = np.ascontiguousarray(a).tobytes()
        h.update(len(head).to_bytes(8, "little") + head)
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    h.update(_canonical(body))
    return h.hexdigest()



def _write_array(fh, array):
    """Write one array as .npy, refusing anything that would need pickle."""
    np.lib.format.write_array(fh, array, allow_pickle=False)


def _zip_info(name):
    info = zipfile.ZipInfo(name, _ZIP_DATE)
    info.external_attr = 0o644 << 16  # rw-r--r-- when unzipped
    return info


def write_zip(fh, metadata_text, arrays):
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_zip_info(METADATA), metadata_text)
        for name in sorted(arrays):
            with zf.open(_zip_info(name + ".npy"), "w", force_zip64=True) as member:
                _write_array(member, arrays[name])


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"metadata.json repeats the key {key!r}.")
        out[key] = value
    return out


def _reject_constant(name):
    raise ModelFileError(f"metadata.json holds the non-JSON constant {name}.")


def read_archive(path, versions):
    """Return (metadata dict, arrays dict) after checking the archive's members.

    ``versions`` are the format versions the caller can read.
    """
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if not zipfile.is_zipfile(path):
        if magic == b"PK\x03\x04":
            raise ModelFileError("the ZIP archive is truncated or damaged.")
        raise ModelFileError(
            "it is not a skbpnet model file (not a ZIP archive). A joblib or pickle file "
            "must be loaded with joblib.load, and only if you trust its source."
        )
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if METADATA not in names:
            raise ModelFileError(
                f"it is not a skbpnet model file: the archive has no {METADATA} "
                f"(members: {names[:5]}{'...' if len(names) > 5 else ''})."
            )
        if len(set(names)) != len(names):
            raise ModelFileError("the archive holds two members of the same name.")
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFileError(f"member {info.filename!r} uses an unsupported compression.")
        meta = _read_metadata(zf, versions)
        table = expect(meta.get("arrays"), dict, "arrays")
        _check_members(names, table)
        arrays = {name: _read_array(zf, name, spec) for name, spec in table.items()}
    return meta, arrays


def _read_metadata(zf, versions):
    raw = zf.read(METADATA)
    try:
        meta = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{METADATA} is not valid UTF-8 JSON ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"it is not a skbpnet model file ({METADATA} has no "
                             f"format {FORMAT_NAME!r}).")
    version = meta.get("format_version")
    if version not in versions:
        written = meta.get("versions")
        writer = written.get("skbpnet") if isinstance(written, dict) else None
        raise ModelFileError(
            f"it is in format version {version!r}; this skbpnet reads versions "
            f"{sorted(versions)}. Load it with the skbpnet that wrote it "
            f"({writer or 'unknown'})."
        )
    return meta


def _check_members(names, table):
    expected = {METADATA} | {f"{n}.npy" for n in table}
    if set(names) != expected:
        extra = sorted(set(names) - expected)
        lacking = sorted(expected - set(names))
        raise ModelFileError(
            "the archive's members do not match its table of arrays"
            + (f"; unexpected: {extra}" if extra else "")
            + (f"; missing: {lacking}" if lacking else "")
            + "."
        )


def _read_array(zf, name, spec):
    data = zf.read(f"{name}.npy")
    try:
        a = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:  # pickled data, object arrays, bad headers
        raise ModelFileError(f"array {name!r} cannot be read safely ({exc}).") from None
    if type(a) is not np.ndarray:
        raise ModelFileError(f"member {name}.npy is not a .npy array.")
    if a.dtype.kind not in ARRAY_KINDS or a.dtype.hasobject or a.dtype.names:
        raise ModelFileError(f"array {name!r} has the disallowed dtype {a.dtype}.")
    spec = expect(spec, dict, f"arrays.{name}")
    if spec.get("dtype") != a.dtype.str or spec.get("shape") != list(a.shape):
        raise ModelFileError(
            f"array {name!r} is {a.dtype.str} of shape {list(a.shape)}; the metadata "
            f"says {spec.get('dtype')} of shape {spec.get('shape')}."
        )
    return a
