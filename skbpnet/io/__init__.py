"""Model files in skbpnet's safe format: arrays and JSON, nothing that can run code.

``pickle`` and ``joblib`` files can run any code when loaded, so they must
only ever be loaded from a trusted source. :func:`save` writes a fitted
:class:`~skbpnet.BPNetClassifier` or :class:`~skbpnet.BPNetRegressor` to a
file that holds only data, and :func:`load` reads it back without unpickling
anything and without importing anything named in the file.

The format
----------
A model file is a ZIP archive (uncompressed, with fixed timestamps, so the
same model always gives the same bytes) holding

``metadata.json``
    UTF-8 JSON: the format name (``"skbpnet-model"``) and version (2; files
    of version 1, written by skbpnet 0.1, still load), the estimator's class
    name, the versions of skbpnet, NumPy, scikit-learn and Python that wrote
    the file, the hyperparameters (``get_params()``), the fitted values that
    cannot be recomputed, the training history, the network's architecture,
    the optimizer's and the learning-rate schedule's ``get_config()``, the
    state of the random generator, a table of the arrays (dtype and shape)
    and ``sha256``, the checksum described below.
``<name>.npy``
    One ``.npy`` file per array: the network's flat parameter vector
    (``net.param_vector``), the optimizer's state (``optimizer.state.<slot>.<part>``:
    SGD's velocities, Adam's two moments), and any array among the fitted
    attributes or parameters (``classes_`` of a numeric or NumPy string dtype,
    for example). They are read with ``allow_pickle=False``: object arrays are
    refused.

The package has three layers: :mod:`skbpnet.io.codec` turns values into
JSON and named arrays, :mod:`skbpnet.io.archive` is the ZIP container and its
checksum, and :mod:`skbpnet.io.schema` says which parts of an estimator are
stored and rebuilds them (through the same network builder that ``fit``
uses). :mod:`skbpnet.io.limits` holds every bound on a file and the checks
that both :func:`save` (before writing anything) and :func:`load` (before
allocating or building anything) call, so what one writes the other reads.
Values that JSON cannot hold exactly are written as one-key objects
whose key starts with ``$``: ``{"$float": "inf"}``, ``{"$tuple": [...]}``,
``{"$scalar": ["<f4", 0.5]}`` (a NumPy scalar and its dtype),
``{"$dict": [[key, value], ...]}`` (a dict with keys other than strings),
``{"$array": "name"}`` (an array of the archive), ``{"$objects": [...]}`` (a
1-D object array of strings or numbers, such as ``feature_names_in_``),
``{"$Generator": state}`` and ``{"$RandomState": state}`` (NumPy random
generators, rebuilt from a fixed list of bit generators). Loading rebuilds
exactly the Python and NumPy types that were saved, so a loaded model predicts
bitwise identically and continues training (``warm_start=True`` or
``partial_fit``) exactly as the saved one would have.

The checksum is the SHA-256 of, for every array in name order, its name,
dtype, shape and bytes, followed by the metadata without the ``sha256`` entry,
serialised as compact JSON with sorted keys. It detects damaged and truncated
files; it is not a signature (whoever can write the file can recompute it).

Pipelines: a fitted scikit-learn Pipeline, ColumnTransformer or
TransformedTargetRegressor whose parts are BPNet estimators and allowlisted
preprocessing transformers (:data:`skbpnet.io.sklearn_objects.ALLOWED`) is
stored in format version 3: ``metadata.json`` then holds ``"estimator"`` (the
class name, such as ``"Pipeline"``), ``"versions"``, ``"arrays"`` and
``"object"``, a tree of ``{"$sklearn": name, "params": ..., "state": ...}``
nodes, with each BPNet estimator a ``{"$bpnet": name, ...}`` node of the same
parts as a version 2 file. See :mod:`skbpnet.io.sklearn_objects`.

Callbacks are code, and the format stores no code: an estimator whose
``callbacks`` parameter is set cannot be saved; set it to ``None`` first
(``est.set_params(callbacks=None)``), and set it again after loading.
"""

import json
import os
import stat
import struct
import warnings
import zipfile
import zlib

from .. import _version
from .._base import InconsistentSkbpnetVersionWarning
from .._atomic import write_atomic
from . import _v1, limits
from ._build import build_estimator
from .archive import FORMAT_NAME, checksum, read_archive, write_zip
from .codec import Decoder, expect
from .errors import ModelFileError
from .schema import ESTIMATORS, FORMAT_VERSION, HEADER, PARTS, dump
from .sklearn_objects import TREE_KEYS, TREE_VERSION, dump_tree, is_allowed, load_tree

__all__ = ["ModelFileError", "save", "load"]

VERSIONS = (1, FORMAT_VERSION, TREE_VERSION)  # the format versions that load reads


def file_keys(version):
    """The entries of ``metadata.json`` in a file of format ``version``: one set per version.

    Version 1's are kept by its reader (``io/_v1.py``); version 2's are the
    header and the stored parts of a BPNet estimator (``schema.PARTS``, read
    at each call, so a registered part is expected at once); version 3's, a
    scikit-learn object, are ``sklearn_objects.TREE_KEYS``.

    Examples
    --------
    >>> from skbpnet.io import file_keys
    >>> sorted(file_keys(3))
    ['arrays', 'estimator', 'format', 'format_version', 'object', 'versions']
    """
    return {1: _v1.KEYS, FORMAT_VERSION: {*HEADER, *PARTS}, TREE_VERSION: TREE_KEYS}[version]


def save(estimator, path):
    """Save a fitted estimator to a model file that cannot run code when loaded.

    The file holds the estimator's hyperparameters, its weights, the
    optimizer's state, the learning-rate schedule and the random generator,
    so the model loaded by :func:`load` predicts bitwise identically and
    continues training (``warm_start=True`` or ``partial_fit``) exactly as
    this one would. It is a ZIP archive of ``.npy`` arrays and a
    ``metadata.json`` entry with a SHA-256 checksum; see
    :mod:`skbpnet.io` for the layout.

    The file is written atomically: to a temporary file in the same folder,
    synced to disk, then renamed over ``path``. If anything fails on the way,
    an existing file at ``path`` is left as it was. A model that :func:`load`
    would refuse (beyond a bound of :mod:`skbpnet.io.limits`) is refused
    before anything is written.

    Parameters
    ----------
    estimator : BPNetClassifier, BPNetRegressor or Pipeline
        A fitted estimator (of exactly one of these classes, not a subclass),
        or a fitted Pipeline, ColumnTransformer or TransformedTargetRegressor
        whose parts are on the allowlist (``skbpnet.io.sklearn_objects.ALLOWED``:
        BPNet estimators, scikit-learn's scalers, encoders and imputers).
        Its ``callbacks`` parameter must be ``None`` or empty: callbacks are
        code, which the format does not store. Set it to ``None`` before saving
        and again after loading.
    path : str or os.PathLike
        Where to write the file; any extension (``.skbpnet`` is a good one).

    Returns
    -------
    None

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted (a ``ValueError``).
    TypeError
        If ``estimator`` is neither a BPNet estimator nor an allowlisted
        scikit-learn object.
    ValueError
        If a parameter or attribute cannot be stored (callbacks, for example),
        or a step of a pipeline is not on the allowlist (a FunctionTransformer,
        a class of your own: save those with skops), or the model is beyond a
        bound of the format (:mod:`skbpnet.io.limits`) that load would refuse.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skbpnet
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = skbpnet.BPNetClassifier(hidden_layer_sizes=(8,), random_state=0)
    >>> clf = clf.partial_fit(X, y, classes=[0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     skbpnet.save(clf, path)
    ...     loaded = skbpnet.load(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    if is_allowed(estimator):  # a Pipeline, ColumnTransformer, scaler, ...
        body, arrays = dump_tree(estimator)
    else:
        body, arrays = dump(estimator)
    body = {"format": FORMAT_NAME, **body}
    meta = {**body, "sha256": checksum(body, arrays)}
    raw = json.dumps(meta, sort_keys=True, indent=1, ensure_ascii=True,
                     allow_nan=False).encode("ascii")
    problem = limits.file_problem(meta, raw, arrays)
    if problem is not None:  # never write a file that load would refuse (the same checks)
        raise ValueError(f"skbpnet.save cannot store this {type(estimator).__name__}: "
                         f"{problem}. Save it with joblib instead.")
    write_atomic(path, lambda fh: write_zip(fh, raw, arrays))


def load(path):
    """Load an estimator saved by :func:`save`, without running any code from the file.

    Nothing in the file is unpickled or imported: the arrays are read with
    ``allow_pickle=False``, the metadata is JSON, and the only objects built
    are skbpnet's estimators, layers, optimizers, schedules and losses, NumPy
    random generators, and the allowlisted scikit-learn classes of a pipeline,
    chosen from fixed tables. The checksum is
    verified and every part of the file is checked against the others before
    the estimator is built; a file that fails any check raises
    :class:`ModelFileError` and nothing is returned.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator : BPNetClassifier, BPNetRegressor or Pipeline
        The fitted estimator (or pipeline), with the same parameters, weights,
        optimizer state, schedule and random generator as the one saved.

    Raises
    ------
    ModelFileError
        If the file is not a skbpnet model file (a joblib or pickle file, a
        plain ``.npz``, random bytes), is damaged or truncated (the checksum
        does not match), holds pickled data or an object array, names another
        estimator class, or holds unknown or inconsistent entries.
    FileNotFoundError, PermissionError
        If the path is missing or cannot be read (a directory, or anything but a
        regular file, raises ModelFileError).

    Warns
    -----
    InconsistentSkbpnetVersionWarning
        If the file was written, or the model fitted, by another version of
        skbpnet.
    sklearn.exceptions.InconsistentVersionWarning
        If a pipeline's file was written with another version of scikit-learn.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skbpnet
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> reg = skbpnet.BPNetRegressor(hidden_layer_sizes=(8,), random_state=0)
    >>> reg = reg.partial_fit(X, X.sum(axis=1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     skbpnet.save(reg, path)
    ...     loaded = skbpnet.load(path)
    >>> type(loaded).__name__, bool((loaded.predict(X) == reg.predict(X)).all())
    ('BPNetRegressor', True)
    >>> # training continues exactly where it stopped
    >>> a = reg.partial_fit(X, X.sum(axis=1)).predict(X)
    >>> b = loaded.partial_fit(X, X.sum(axis=1)).predict(X)
    >>> bool((a == b).all())
    True
    """
    shown = os.fsdecode(os.fspath(path))  # bytes paths too (surrogateescape round trip)
    _check_path(path, shown)
    try:
        est, versions = _load(shown)  # a str: zipfile takes bytes for file contents
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {shown!r}: {exc}") from exc.__cause__
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError,
            TypeError, AttributeError, IndexError, OverflowError, RecursionError,
            NotImplementedError, OSError, MemoryError, zlib.error, struct.error) as exc:
        raise ModelFileError(
            f"Cannot load {shown!r}: the file is damaged or not a skbpnet model file "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    _warn_versions(est, shown, versions)
    return est


def _warn_versions(est, shown, versions):
    sklearn_version = versions.pop("scikit-learn", None)
    if any(v != _version.current() for v in versions.values()):
        detail = ", ".join(f"{what} with skbpnet {v}" for what, v in versions.items())
        warnings.warn(
            f"The {type(est).__name__} in {shown!r} was {detail}, and is loaded with skbpnet "
            f"{_version.current()}; results may differ. Refit it, or load it with the "
            f"skbpnet that saved it.",
            InconsistentSkbpnetVersionWarning,
            stacklevel=3,
        )
    if sklearn_version is not None:
        import sklearn
        from sklearn.exceptions import InconsistentVersionWarning

        if sklearn_version != sklearn.__version__:
            warnings.warn(InconsistentVersionWarning(
                estimator_name=type(est).__name__, current_sklearn_version=sklearn.__version__,
                original_sklearn_version=sklearn_version), stacklevel=3)


def _check_path(path, shown):
    """A missing or unreadable path raises FileNotFoundError or PermissionError; a
    directory, a pipe or a device is not a model file."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ModelFileError(f"Cannot load {shown!r}: it is {what}, not a skbpnet model file.")
    with open(path, "rb"):
        pass


def _load(path):
    meta, arrays = read_archive(path, versions=VERSIONS)
    digest = meta.pop("sha256", None)
    if not isinstance(digest, str):
        raise ModelFileError("metadata.json has no sha256 checksum.")
    if checksum(meta, arrays) != digest:
        raise ModelFileError(
            "the checksum does not match: the file was changed or damaged after it was written."
        )
    versions = expect(meta.get("versions"), dict, "versions")
    written = expect(versions.get("skbpnet"), str, "versions.skbpnet")
    if meta["format_version"] == TREE_VERSION:
        obj, fitted = load_tree(meta, arrays)
        out = {"written": written, "scikit-learn": expect(
            versions.get("scikit-learn"), str, "versions.scikit-learn")}
        out.update({f"fitted ({i + 1})" if len(fitted) > 1 else "fitted": v
                    for i, v in enumerate(fitted)})
        return obj, out
    v1 = meta["format_version"] == 1
    expected = file_keys(meta["format_version"])
    if set(meta) != expected:
        raise ModelFileError(
            f"metadata.json has the entries {sorted(meta)}; expected {sorted(expected)}."
        )
    cls = ESTIMATORS.get(meta["estimator"]) if isinstance(meta["estimator"], str) else None
    if cls is None:
        raise ModelFileError(
            f"it holds a {meta['estimator']!r}; skbpnet model files hold only "
            f"{' or '.join(sorted(ESTIMATORS))}, or a scikit-learn pipeline of them."
        )
    decoder = Decoder(arrays)
    est, fitted = build_estimator(cls, meta, decoder, v1)
    if decoder.used != set(arrays):
        raise ModelFileError(f"arrays {sorted(set(arrays) - decoder.used)} are not used.")
    return est, {"written": written, "fitted": fitted}
