"""Every bound of the model format, and the checks that both ``save`` and ``load`` call.

A file that :func:`skbpnet.save` writes must load, so the writer refuses up
front, before anything is written, exactly what the reader would refuse. Both
sides therefore ask the functions of this module, and read the bounds from it
at the time of the call (a test may lower one with ``monkeypatch``):

- ``load`` calls :func:`directory_problem`, :func:`members_problem`,
  :func:`metadata_problem`, :func:`tree_problem`, :func:`array_problem`,
  :func:`arrays_bytes_problem` and :func:`units_problem` as it reads, before
  it allocates or builds what they bound;
- ``save`` calls :func:`file_problem` (all of the above, on what it is about
  to write) and :func:`units_problem` before it copies a network's weights.

Each returns ``None`` or a sentence saying what is too large, and how large a
model file's may be.

Examples
--------
>>> from skbpnet.io import limits
>>> limits.units_problem([3, 8, 1]) is None
True
>>> print(limits.units_problem([limits.MAX_UNITS + 1, 8, 1]))
a layer of 16777217 units; a model file's layers have at most 16777216
"""

__all__ = ["MAX_MEMBERS", "MAX_DIRECTORY_BYTES", "MAX_METADATA_BYTES", "MAX_METADATA_VALUES",
           "MAX_ARRAY_BYTES", "MAX_NDIM", "MAX_UNITS", "MAX_DEPTH", "MAX_OBJECTS_DEEP",
           "MAX_WIDTH", "FREE_WIDTH", "MAX_WORK", "json_values", "directory_bytes", "directory_problem",
           "members_problem", "metadata_problem", "array_problem", "arrays_bytes_problem",
           "units_problem", "tree_problem", "file_problem"]

MAX_MEMBERS = 64  # ZIP members: metadata.json and the arrays
MAX_DIRECTORY_BYTES = 2**16  # the ZIP central directory (the members' names)
MAX_METADATA_BYTES = 16 * 2**20
MAX_METADATA_VALUES = 2**20  # JSON values (feature names, loss curves, ...)
MAX_ARRAY_BYTES = 4 * 2**30  # all arrays together
MAX_NDIM = 32  # dimensions of one array
MAX_UNITS = 2**24  # inputs, units of a layer or outputs: no real network is wider
MAX_DEPTH = 100  # JSON nesting (a pipeline of pipelines is about 6 a level)
MAX_OBJECTS_DEEP = 16  # estimators inside estimators
MAX_WIDTH = MAX_UNITS  # the widest input or output of any stored transformer (as of a network)
# An input width up to this needs no backing; a wider one must be paid for by as many values
# in the file (a real model of n columns stores at least n: its weights, its statistics, its
# column lists), so a forged n_features_in_ cannot make the dry run allocate without bound.
FREE_WIDTH = 2**16
# scikit-learn's tags of a meta-estimator ask each part up to three times (a
# one-step Pipeline asks its step for the first step's, every step's and the
# last step's tags), so predict's cost can triple with each level of nesting: a
# 7.5 KB file of 12 levels took 27 s to predict. The work of an estimator is
# 1 + 3 x the work of the estimators it holds; a file's is bounded. Real
# pipelines (a TransformedTargetRegressor over a Pipeline over a
# ColumnTransformer of 30 Pipelines) stay under 30,000; one-step Pipelines
# nested 10 deep reach 88,573.
MAX_WORK = 2**16

_CENTRAL_ENTRY = 46 + 28  # a ZIP central directory entry without its name: header, ZIP64 extra


def json_values(raw):
    """An upper bound on the number of JSON values in the text ``raw`` (bytes)."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{")


def directory_bytes(names):
    """The most bytes a ZIP central directory of members ``names`` (str) takes."""
    return sum(_CENTRAL_ENTRY + len(name.encode("utf-8")) for name in names)


def directory_problem(size):
    """Why a ZIP central directory of ``size`` bytes is too large, or None."""
    if size > MAX_DIRECTORY_BYTES:
        return (f"the ZIP directory is {size} bytes (the members' names); a model file's is "
                f"at most {MAX_DIRECTORY_BYTES}")
    return None


def members_problem(count):
    """Why an archive of ``count`` members (metadata.json included) is too many, or None."""
    if count > MAX_MEMBERS:
        return (f"the archive holds {count} members (metadata.json and {count - 1} arrays); "
                f"a model file holds at most {MAX_MEMBERS}")
    return None


def metadata_problem(size, values=0):
    """Why metadata of ``size`` bytes and about ``values`` JSON values is too large, or None.

    Parsed JSON takes up to 60 times its text (``[[],[],...]``), so the number
    of values is bounded as well as the text.
    """
    if size > MAX_METADATA_BYTES:
        return f"metadata.json is {size} bytes long; a model file's is at most " \
               f"{MAX_METADATA_BYTES}"
    if values > MAX_METADATA_VALUES:
        return f"metadata.json holds about {values} values or more; a model file's holds " \
               f"at most {MAX_METADATA_VALUES}"
    return None


def array_problem(name, dtype, shape):
    """Why an array of ``dtype`` (a NumPy dtype) and ``shape`` cannot be in a file, or None."""
    if dtype.itemsize == 0:
        return f"array {name!r} has the empty dtype {dtype}"
    if len(shape) > MAX_NDIM:
        return f"array {name!r} has {len(shape)} dimensions; a model file's have at most " \
               f"{MAX_NDIM}"
    return None


def arrays_bytes_problem(nbytes):
    """Why arrays of ``nbytes`` bytes in all are too large, or None."""
    if nbytes > MAX_ARRAY_BYTES:
        return f"the arrays hold {nbytes} bytes; a model file's hold at most {MAX_ARRAY_BYTES}"
    return None


def units_problem(sizes):
    """Why a network of layer sizes ``sizes`` (inputs, hidden, outputs) is too wide, or None."""
    widest = max(sizes)
    if widest > MAX_UNITS:
        return f"a layer of {widest} units; a model file's layers have at most {MAX_UNITS}"
    return None


class _Refused(Exception):
    pass


def _walk(node, depth):
    """(estimator nesting, work) of a JSON value, refusing it as soon as a bound is passed."""
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return 0, 0
    if depth >= MAX_DEPTH:
        raise _Refused(f"its values are nested more than {MAX_DEPTH} deep")
    deepest, work = 0, 0
    for child in children:
        d, w = _walk(child, depth + 1)
        deepest, work = max(deepest, d), work + w
    if isinstance(node, dict) and ("$sklearn" in node or "$bpnet" in node):
        deepest, work = deepest + 1, 1 + 3 * work
        if deepest > MAX_OBJECTS_DEEP:
            raise _Refused(f"its estimators are nested more than {MAX_OBJECTS_DEEP} deep")
        if work > MAX_WORK:
            raise _Refused(
                f"its estimators are nested so that predicting would consult them about "
                f"{work} times (each level of a Pipeline, ColumnTransformer or "
                f"TransformedTargetRegressor up to triples it); a model file allows "
                f"{MAX_WORK}. Nest fewer levels")
    return deepest, work


def tree_problem(metadata):
    """Why the parsed metadata nests too deep, or costs too much to predict with, or None.

    Counts JSON nesting (``MAX_DEPTH``), estimators inside estimators
    (``MAX_OBJECTS_DEEP``) and the work of predicting (``MAX_WORK``), in one
    pass over the JSON, before any object is built.
    """
    try:
        _walk(metadata, 0)
    except _Refused as exc:
        return str(exc)
    return None


def file_problem(metadata, raw, arrays):
    """Why the file of ``metadata`` (its JSON text ``raw``) and ``arrays`` would not load.

    ``save`` calls it before writing anything; it applies every bound that
    ``load`` applies to the archive, its metadata and its arrays.
    """
    names = ["metadata.json", *(f"{name}.npy" for name in arrays)]
    problems = [members_problem(len(names)), directory_problem(directory_bytes(names)),
                metadata_problem(len(raw), json_values(raw)), tree_problem(metadata)]
    problems += [array_problem(n, a.dtype, a.shape) for n, a in arrays.items()]
    problems.append(arrays_bytes_problem(sum(a.nbytes for a in arrays.values())))
    return next((p for p in problems if p is not None), None)
