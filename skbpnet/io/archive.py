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
import math
import os
import zipfile

import numpy as np

from . import limits
from .codec import ARRAY_KINDS, expect
from .errors import ModelFileError

__all__ = ["FORMAT_NAME", "METADATA", "write_zip", "read_archive", "check_directory", "checksum"]

FORMAT_NAME = "skbpnet-model"
METADATA = "metadata.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same model, the same bytes
# What loading inflates or allocates is bounded before it does (see limits).
_NPY_HEADER_MAX = 4096
_CHUNK = 2**20
_DEFLATE_RATIO = 1032  # the most that deflate inflates a byte to


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

    ``versions`` are the format versions the caller can read. Nothing is
    inflated or allocated beyond what the metadata and the ``.npy`` headers
    declare, and those declarations are bounded first (see :mod:`skbpnet.io.limits`).
    """
    with open(path, "rb") as fh:
        magic = fh.read(4)
        check_directory(fh)
    if not zipfile.is_zipfile(path):
        if magic == b"PK\x03\x04":
            raise ModelFileError("the ZIP archive is truncated or damaged.")
        raise ModelFileError(
            "it is not a skbpnet model file (not a ZIP archive). A joblib or pickle file "
            "must be loaded with joblib.load, and only if you trust its source."
        )
    with zipfile.ZipFile(path) as zf:
        infos = _check_infos(zf.infolist(), os.path.getsize(path))
        meta = _read_metadata(zf, infos[METADATA], versions)
        table = expect(meta.get("arrays"), dict, "arrays")
        _check_members(list(infos), table)
        budget = [0]
        arrays = {name: _read_array(zf, infos[f"{name}.npy"], name, spec, budget)
                  for name, spec in table.items()}
    return meta, arrays


def check_directory(fh):
    """Refuse a central directory too large for a model file, before zipfile parses it.

    Parameters
    ----------
    fh : binary file
        The archive, open for reading (any position: it is read from the end).

    Raises
    ------
    ModelFileError
        When the directory declares more than a model file may hold.

    Examples
    --------
    >>> import io, zipfile
    >>> from skbpnet.io.archive import check_directory
    >>> buffer = io.BytesIO()
    >>> zipfile.ZipFile(buffer, "w").close()
    >>> check_directory(buffer)
    """
    end = getattr(zipfile, "_EndRecData", None)
    record = end(fh) if end is not None else None
    problem = None if record is None else limits.directory_problem(record[zipfile._ECD_SIZE])
    if problem is not None:
        raise ModelFileError(problem + ".")


def _check_infos(infos, archive_size):
    """The members by name, once each, few, in a compression skbpnet can read, and no
    larger than their compressed bytes in the archive can inflate to."""
    problem = limits.members_problem(len(infos))
    if problem is not None:
        raise ModelFileError(problem + ".")
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
        if info.flag_bits & 0x1:
            raise ModelFileError(f"member {info.filename!r} is encrypted.")
        stored = info.compress_type == zipfile.ZIP_STORED
        most = info.compress_size if stored else _DEFLATE_RATIO * info.compress_size + 1024
        if info.compress_size > archive_size or info.file_size > most:
            raise ModelFileError(
                f"member {info.filename!r} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed bytes, in a file of {archive_size}.")
    return {i.filename: i for i in infos}


def _read_metadata_text(zf, info):
    """The metadata's bytes, read in chunks, stopping at the first bound exceeded."""
    problem, chunks, size, values = limits.metadata_problem(info.file_size), [], 0, 0
    with zf.open(info) as fh:
        while problem is None:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            size, values = size + len(chunk), values + limits.json_values(chunk)
            chunks.append(chunk)
            problem = limits.metadata_problem(size, values)
    if problem is not None:
        raise ModelFileError(problem + ".")
    if size != info.file_size:
        raise ModelFileError(f"{METADATA} holds fewer bytes than it declares.")
    return b"".join(chunks)


def _read_metadata(zf, info, versions):
    raw = _read_metadata_text(zf, info)
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
    problem = limits.tree_problem(meta)  # before anything is decoded or built
    if problem is not None:
        raise ModelFileError(problem + ".")
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


def _read_array(zf, info, name, spec, budget):
    """One ``.npy`` member, its header checked before anything of its size is allocated."""
    spec = expect(spec, dict, f"arrays.{name}")
    with zf.open(info) as fh:
        head = fh.read(min(info.file_size, _NPY_HEADER_MAX))
        dtype, shape, fortran, offset = _npy_header(head, name)
        if spec.get("dtype") != dtype.str or spec.get("shape") != list(shape):
            raise ModelFileError(
                f"array {name!r} is {dtype.str} of shape {list(shape)}; the metadata "
                f"says {spec.get('dtype')} of shape {spec.get('shape')}."
            )
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if info.file_size != offset + nbytes:
            raise ModelFileError(f"member {name}.npy is {info.file_size} bytes; its header "
                                 f"declares {offset + nbytes}.")
        budget[0] += nbytes
        problem = limits.arrays_bytes_problem(budget[0])
        if problem is not None:
            raise ModelFileError(problem + " (or more).")
        out = np.empty(count, dtype)
        _fill(out.view(np.uint8), head[offset:], fh, f"member {name}.npy")
    return out.reshape(shape, order="F" if fortran else "C")


def _fill(target, first, fh, what):
    """Copy the member's remaining bytes into ``target``, in chunks, refusing extra bytes."""
    n = min(len(first), target.size)
    target[:n] = np.frombuffer(first[:n], np.uint8)
    if len(first) > target.size:
        raise ModelFileError(f"{what} holds more bytes than it declares.")
    while n < target.size:
        chunk = fh.read(min(_CHUNK, target.size - n))
        if not chunk:
            raise ModelFileError(f"{what} holds fewer bytes than it declares.")
        target[n:n + len(chunk)] = np.frombuffer(chunk, np.uint8)
        n += len(chunk)
    if fh.read(1):
        raise ModelFileError(f"{what} holds more bytes than it declares.")


def _npy_header(head, name):
    """(dtype, shape, fortran_order, data offset) of a ``.npy`` header, checked."""
    fp = io.BytesIO(head)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp, _NPY_HEADER_MAX)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp, _NPY_HEADER_MAX)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, TypeError, SyntaxError, OverflowError) as exc:
        raise ModelFileError(f"array {name!r} cannot be read safely ({exc}).") from None
    if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.names or dtype.subdtype:
        raise ModelFileError(
            f"array {name!r} cannot be read safely (dtype {dtype} is not allowed).")
    if not (isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)):
        raise ModelFileError(f"array {name!r} has the invalid shape {shape!r}.")
    problem = limits.array_problem(name, dtype, shape)
    if problem is not None:
        raise ModelFileError(problem + ".")
    if type(fortran) is not bool:
        raise ModelFileError(f"array {name!r} has an invalid fortran_order.")
    return dtype, shape, fortran, fp.tell()
