"""MNIST, loaded through scikit-learn's OpenML fetcher and cached as arrays.

:func:`load_mnist` returns the official MNIST split (the first 60,000 images
for training, the last 10,000 for testing). It gets the data from
:func:`sklearn.datasets.fetch_openml` (dataset ``mnist_784``, version 1), so it
downloads once on a machine with internet access and then works offline from
scikit-learn's cache under ``data_home``. Parsing OpenML's ARFF file takes
10-30 s, so the parsed pixels and labels are cached beside it, as uint8 arrays
in ``<data_home>/skbpnet/mnist_784_v1.npz`` with a SHA-256 checksum; later
calls read that file in a fraction of a second.

Three promises, each tested in ``tests/test_datasets.py``:

* Wrong data is never returned. The array cache is checked (keys, dtypes,
  shapes, SHA-256) on every load; a corrupt or truncated cache is rebuilt
  from the OpenML cache, with a :class:`RuntimeWarning`. It is written
  atomically (temporary file, then :func:`os.replace`).
* The files scikit-learn downloaded are never deleted by a load. When
  ``fetch_openml`` fails to read a cached file it deletes it and downloads it
  again; offline that leaves the user with nothing. :func:`load_mnist` keeps a
  hard link (or a copy) of the cached MNIST files while ``fetch_openml`` runs
  and puts back any file that is missing afterwards. A fresh, successful
  download that replaced a file is kept. The parser is chosen explicitly as
  ``parser="liac-arff"``: the default (``"auto"``, which means ``"pandas"``
  when pandas is installed) fails on MNIST's unquoted class column with
  pandas 3.1 and scikit-learn 1.9.1 (scikit-learn issue #34892), which is
  exactly such a delete-on-failure case; liac-arff needs no pandas either.
* Offline without a cache, the error says what to do: it is a
  :class:`DatasetUnavailableError` (an :class:`OSError`) naming
  ``data_home`` and ``SCIKIT_LEARN_DATA``, chained to the network error.
"""

import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import warnings
from contextlib import contextmanager, suppress
from urllib.error import URLError

import numpy as np
from sklearn.datasets import fetch_openml, get_data_home

from ._atomic import write_atomic

__all__ = ["load_mnist", "DatasetUnavailableError"]

# OpenML's "mnist_784", version 1 (data id 554, ARFF file id 52667).
_OPENML_NAME = "mnist_784"
_OPENML_VERSION = 1
_OPENML_DATA_ID = 554
_OPENML_FILE_ID = 52667
_N_SAMPLES = 70_000
_N_TRAIN = 60_000
_N_FEATURES = 784
_N_CLASSES = 10

# The array cache, relative to data_home. Bump _CACHE_FORMAT if its layout
# changes: a file of another format is treated as invalid and rebuilt.
_CACHE_RELPATH = os.path.join("skbpnet", "mnist_784_v1.npz")
_CACHE_FORMAT = 1
_CACHE_KEYS = frozenset({"X", "y", "sha256", "format"})

# What fetch_openml raises when OpenML cannot be reached. urllib wraps most
# socket errors in URLError (HTTPError is a URLError too); the others can
# escape from a connection that breaks half-way.
_NETWORK_ERRORS = (
    URLError,
    TimeoutError,
    ConnectionError,
    socket.gaierror,
    http.client.HTTPException,
)

class DatasetUnavailableError(OSError):
    """The data set is neither in the local cache nor downloadable.

    Raised by :func:`load_mnist` when OpenML cannot be reached (no internet
    access, a proxy, OpenML down) and ``data_home`` does not hold a usable
    cache. The network error that caused it is chained as ``__cause__``.
    Being an :class:`OSError`, it is caught by ``except OSError``.
    """


class _InvalidCache(Exception):
    """The array cache exists but cannot be trusted; the message says why."""


def load_mnist(*, data_home=None, as_uint8=False, cache=True):
    """Load MNIST, split into the official training and test sets.

    The data comes from :func:`sklearn.datasets.fetch_openml` (OpenML dataset
    ``mnist_784``, version 1, read with ``parser="liac-arff"``), which
    downloads about 15 MB on first use and caches it under ``data_home``.
    The parsed arrays are cached too, so that only the first call is slow
    (parsing takes 10-30 s) and later ones take a fraction of a second.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The scikit-learn data folder, resolved like every scikit-learn
        loader (:func:`sklearn.datasets.get_data_home`): by default the
        ``SCIKIT_LEARN_DATA`` environment variable if set, else
        ``~/scikit_learn_data``. It holds scikit-learn's OpenML cache
        (``openml/openml.org/...``) and skbpnet's array cache
        (``skbpnet/mnist_784_v1.npz``). To work offline, point it at a
        folder that holds the OpenML cache of ``mnist_784``.

    as_uint8 : bool, default=False
        If False, the images are float32 in [0, 1], computed as
        ``pixels.astype(np.float32) / 255``. If True, they are the raw
        uint8 pixel values 0..255 (4 times less memory). The labels are
        the same either way.

    cache : bool, default=True
        Whether to read and write skbpnet's array cache. With False, every
        call parses the OpenML file again (scikit-learn's own download cache
        is used either way).

    Returns
    -------
    X_train : ndarray of shape (60000, 784)
        The training images, one flattened 28x28 image per row, in the
        original order; float32 in [0, 1], or uint8 if ``as_uint8=True``.

    X_test : ndarray of shape (10000, 784)
        The test images, like ``X_train``.

    y_train : ndarray of shape (60000,), dtype int64
        The training labels, the digits 0 to 9 as integers.

    y_test : ndarray of shape (10000,), dtype int64
        The test labels.

    Raises
    ------
    DatasetUnavailableError
        If MNIST is not cached under ``data_home`` and cannot be downloaded.
        Connect to the internet, or set ``SCIKIT_LEARN_DATA`` (or pass
        ``data_home``) to a folder that holds scikit-learn's OpenML cache of
        ``mnist_784``.

    Notes
    -----
    The array cache stores uint8 pixels and labels (55 MB) with a SHA-256
    checksum of both. It is verified on every load; if it is corrupt,
    truncated or of another format, it is rebuilt from the OpenML cache with
    a :class:`RuntimeWarning`, so wrong data is never returned. It is written
    to a temporary file first and then renamed, so that an interrupted or
    concurrent load never leaves a half-written cache behind. If it cannot be
    written (a read-only ``data_home``), a warning says so and the data is
    returned anyway.

    When ``fetch_openml`` fails to read a cached OpenML file, it deletes it
    and downloads it again. ``load_mnist`` prevents that deletion from losing
    the file: it keeps a hard link (or copy) of the cached MNIST files while
    ``fetch_openml`` runs and restores any that went missing, with a
    :class:`RuntimeWarning`. A corrupt file is thus left for you to inspect
    or delete; a fresh download that replaced it is kept.

    Examples
    --------
    >>> from skbpnet.datasets import load_mnist
    >>> X_train, X_test, y_train, y_test = load_mnist()  # doctest: +SKIP
    >>> X_train.shape, X_train.dtype, X_test.shape  # doctest: +SKIP
    ((60000, 784), dtype('float32'), (10000, 784))
    >>> y_train[:10]  # doctest: +SKIP
    array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    """
    data_home = str(get_data_home(data_home))
    cache_path = os.path.join(data_home, _CACHE_RELPATH)

    arrays = None
    if cache:
        try:
            arrays = _read_cache(cache_path)
        except _InvalidCache as exc:
            warnings.warn(
                f"skbpnet: the MNIST array cache {cache_path} is invalid ({exc}); "
                "rebuilding it from scikit-learn's OpenML cache.",
                RuntimeWarning,
                stacklevel=2,
            )
    if arrays is None:
        arrays = _fetch_mnist_uint8(data_home)
        if cache:
            try:
                _write_cache(cache_path, *arrays)
            except OSError as exc:
                warnings.warn(
                    f"skbpnet: could not write the MNIST array cache {cache_path} "
                    f"({exc}); the data is returned, but the next call will parse "
                    "the OpenML file again.",
                    RuntimeWarning,
                    stacklevel=2,
                )

    X, y = arrays
    # Row-major, whatever order fetch_openml or an older cache had: training
    # gathers rows, and a column-major X makes every minibatch gather ~10x slower.
    if as_uint8:
        X = np.ascontiguousarray(X)
    else:
        X = X.astype(np.float32, order="C")
        np.divide(X, np.float32(255), out=X)
    y = y.astype(np.int64)
    return X[:_N_TRAIN], X[_N_TRAIN:], y[:_N_TRAIN], y[_N_TRAIN:]


# --------------------------------------------------------------------------
# Getting the arrays from OpenML, without letting scikit-learn delete files.


def _fetch_mnist_uint8(data_home):
    """Return MNIST as uint8 arrays ``(X, y)`` of all 70,000 rows, via OpenML."""
    restored = []
    try:
        with _keep_openml_files(data_home, restored):
            X, y = fetch_openml(
                _OPENML_NAME,
                version=_OPENML_VERSION,
                data_home=data_home,
                as_frame=False,
                return_X_y=True,
                # Deliberate: works without pandas, and avoids the pandas
                # parser's failure on MNIST with pandas 3.1 (see module doc).
                parser="liac-arff",
            )
    except _NETWORK_ERRORS as exc:
        raise DatasetUnavailableError(
            _unavailable_message(data_home, restored, exc)
        ) from exc
    return _to_uint8(X, y)


def _to_uint8(X, y):
    """Check what ``fetch_openml`` returned and convert it to uint8 arrays."""
    if not isinstance(X, np.ndarray) or X.shape != (_N_SAMPLES, _N_FEATURES):
        raise ValueError(
            f"fetch_openml({_OPENML_NAME!r}, version={_OPENML_VERSION}) returned "
            f"X of type {type(X).__name__} and shape {getattr(X, 'shape', None)}; "
            f"expected an ndarray of shape {(_N_SAMPLES, _N_FEATURES)}."
        )
    X_uint8 = X.astype(np.uint8, order="C")
    if not np.array_equal(X_uint8, X):
        raise ValueError("MNIST pixels from OpenML are not all integers in 0..255.")
    y = np.asarray(y)
    if y.shape != (_N_SAMPLES,):
        raise ValueError(f"MNIST labels from OpenML have shape {y.shape}.")
    try:
        y_int = y.astype(np.int64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"MNIST labels from OpenML are not digits: {exc}") from exc
    if y_int.min() < 0 or y_int.max() >= _N_CLASSES:
        raise ValueError("MNIST labels from OpenML are not all in 0..9.")
    return X_uint8, y_int.astype(np.uint8)


def _openml_mnist_files(data_home):
    """The files of scikit-learn's OpenML cache that belong to MNIST.

    The JSON descriptions of data id 554 and its name lookups, and the ARFF
    file, as scikit-learn 1.x lays them out under ``<data_home>/openml``.
    """
    root = os.path.join(data_home, "openml", "openml.org")
    json_dir = os.path.join(root, "api", "v1", "json", "data")
    files = [
        os.path.join(json_dir, f"{_OPENML_DATA_ID}.gz"),
        os.path.join(json_dir, "features", f"{_OPENML_DATA_ID}.gz"),
        os.path.join(json_dir, "qualities", f"{_OPENML_DATA_ID}.gz"),
    ]
    for dirpath, _, filenames in os.walk(
        os.path.join(json_dir, "list", "data_name", _OPENML_NAME)
    ):
        files.extend(os.path.join(dirpath, name) for name in filenames)
    download_dir = os.path.join(root, "data", "v1", "download")
    with suppress(OSError):
        for file_id in os.listdir(download_dir):
            files.append(
                os.path.join(download_dir, file_id, f"{_OPENML_NAME}.arff.gz")
            )
    return sorted(path for path in files if os.path.isfile(path))


@contextmanager
def _keep_openml_files(data_home, restored):
    """Put back any cached MNIST file that the block deleted.

    On entry, hard-link (or, where links fail, copy) every cached OpenML file
    of MNIST into a temporary folder; on exit, move back those whose original
    is gone, append their paths to ``restored`` and warn. Files the block
    replaced (a fresh download) are kept as they are.
    """
    files = _openml_mnist_files(data_home)
    if not files:
        yield
        return
    try:
        skbpnet_dir = os.path.join(data_home, "skbpnet")
        os.makedirs(skbpnet_dir, exist_ok=True)
        backup_dir = tempfile.mkdtemp(prefix=".openml-backup-", dir=skbpnet_dir)
    except OSError:
        backup_dir = tempfile.mkdtemp(prefix="skbpnet-openml-backup-")
    backups = {}
    for i, path in enumerate(files):
        backup = os.path.join(backup_dir, f"{i}.gz")
        try:
            os.link(path, backup)
        except OSError:
            try:
                shutil.copy2(path, backup)
            except OSError:
                continue
        backups[path] = backup
    try:
        yield
    finally:
        failed = []
        for path, backup in backups.items():
            if os.path.lexists(path):
                continue
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                shutil.move(backup, path)
            except OSError as exc:
                failed.append(f"{path} (kept at {backup}: {exc})")
            else:
                restored.append(path)
        if restored:
            warnings.warn(
                "skbpnet: scikit-learn deleted cached OpenML file(s) it could not "
                f"read and did not replace them; restored: {', '.join(restored)}. "
                "If a file is corrupt, delete it and load again with an internet "
                "connection, or replace it with a good copy.",
                RuntimeWarning,
                stacklevel=5,
            )
        if failed:
            warnings.warn(
                "skbpnet: could not restore cached OpenML file(s): "
                + "; ".join(failed),
                RuntimeWarning,
                stacklevel=5,
            )
        else:
            shutil.rmtree(backup_dir, ignore_errors=True)


def _unavailable_message(data_home, restored, exc):
    """The message of the :class:`DatasetUnavailableError` raised for ``exc``."""
    arff = os.path.join(
        data_home, "openml", "openml.org", "data", "v1", "download",
        str(_OPENML_FILE_ID), f"{_OPENML_NAME}.arff.gz",
    )
    failure = f"{type(exc).__name__}: {exc}"
    elsewhere = (
        "set the SCIKIT_LEARN_DATA environment variable, or pass data_home=... to "
        "load_mnist(), to a scikit-learn data folder that holds the OpenML cache "
        f"of {_OPENML_NAME} (openml/openml.org/... as fetch_openml writes it)"
    )
    if restored:
        cause = exc.__context__
        why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        return (
            "Could not load MNIST: scikit-learn could not read the cached OpenML "
            f"file(s) {', '.join(restored)}{why}, and downloading a fresh copy "
            f"failed ({failure}). skbpnet kept the cached file(s) in place "
            f"(data_home={data_home!r}). If a file is corrupt or truncated, delete "
            "it and call load_mnist() again with an internet connection, or replace "
            f"it with a good copy; or {elsewhere}."
        )
    return (
        "Could not load MNIST: it is not (completely) in the local cache "
        f"(data_home={data_home!r}; the data file would be {arff}) and downloading "
        f"it from OpenML failed ({failure}). Connect to the internet and call "
        "load_mnist() again (it downloads about 15 MB once and caches it under "
        f"data_home), or, to work offline, {elsewhere}."
    )


# --------------------------------------------------------------------------
# The array cache.


def _checksum(X, y):
    """SHA-256 (hex) of the arrays' names, dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for name, array in (("X", X), ("y", y)):
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _read_cache(path):
    """Return the cached ``(X, y)``, None if there is no cache.

    Raises :class:`_InvalidCache` if the file cannot be read or does not hold
    exactly what :func:`_write_cache` wrote.
    """
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if set(npz.files) != _CACHE_KEYS:
                raise _InvalidCache(f"unexpected contents {sorted(npz.files)}")
            format_ = npz["format"]
            if format_.shape != () or int(format_) != _CACHE_FORMAT:
                raise _InvalidCache(f"format {format_!r}, expected {_CACHE_FORMAT}")
            X, y, expected = npz["X"], npz["y"], str(npz["sha256"])
    except _InvalidCache:
        raise
    except Exception as exc:  # BadZipFile, EOFError, ValueError, OSError, ...
        raise _InvalidCache(f"{type(exc).__name__}: {exc}") from exc
    if X.dtype != np.uint8 or X.shape != (_N_SAMPLES, _N_FEATURES):
        raise _InvalidCache(f"X has dtype {X.dtype} and shape {X.shape}")
    if y.dtype != np.uint8 or y.shape != (_N_SAMPLES,):
        raise _InvalidCache(f"y has dtype {y.dtype} and shape {y.shape}")
    if _checksum(X, y) != expected:
        raise _InvalidCache("SHA-256 checksum mismatch")
    return X, y


def _write_cache(path, X, y):
    """Write the array cache atomically: a temporary file, then a rename."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_atomic(path, lambda f: np.savez(
        f, X=X, y=y, sha256=np.array(_checksum(X, y)), format=np.array(_CACHE_FORMAT)))
