"""Shared fixtures: where the MNIST data is, and MNIST loaded once per session.

Fixtures
--------
mnist_data_home (session)
    A scikit-learn data folder holding the OpenML cache of MNIST, for
    ``load_mnist(data_home=...)``. It is ``$SCIKIT_LEARN_DATA`` when that
    folder holds the MNIST ARFF file (used in place, so that skbpnet's array
    cache persists between sessions; CI points it at a private copy), else a
    private copy, in a session temporary folder, of
    ``../shared/data/scikit_learn_data`` (``$SKBPNET_SHARED_DATA`` replaces
    ``../shared/data``). The shared folder itself is never handed to
    scikit-learn, which deletes cached files it fails to parse. Treat this
    folder as read-only: tests that damage files use ``make_mnist_data_home``.
mnist_idx_dir (session)
    The folder of the four original idx files: ``$SKBPNET_MNIST_IDX``, else
    ``../shared/data/mnist-idx``. Read-only.
mnist (session)
    ``load_mnist(data_home=mnist_data_home)`` as a namedtuple
    ``(X_train, X_test, y_train, y_test)``: float32 images in [0, 1] and int64
    labels. The arrays are read-only (they are shared by every test): copy
    before modifying.
mnist_uint8 (session)
    The same with ``as_uint8=True``: the raw uint8 pixels.
mnist_first_load (session)
    The session's first load, the one that builds the array cache when it is
    not there yet: ``data`` (what ``mnist_uint8`` returns), ``seconds``,
    ``had_array_cache``, ``openml_files`` (path -> SHA-256 before the load)
    and ``data_home``. Mostly for ``tests/test_datasets.py``.
make_mnist_data_home
    A factory: ``make_mnist_data_home(with_array_cache=False)`` returns a new
    temporary data_home holding a copy of the MNIST OpenML files (and of
    skbpnet's array cache if asked), for tests that damage files.

When the data cannot be found, tests that use these fixtures are skipped with
the reason; with ``SKBPNET_REQUIRE_DATA=1`` they fail instead. Those tests get
the ``mnist`` marker automatically, so ``pytest -m "not mnist"`` leaves them
out.
"""

import os

# scikit-learn's array API checks (tests/test_common.py, tests/test_array_api.py)
# need SciPy's array API mode, which is read when SciPy is first imported: set it
# before anything imports scikit-learn.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import hashlib  # noqa: E402
import shutil
import time
from collections import namedtuple
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARFF_RELPATH = Path("openml/openml.org/data/v1/download/52667/mnist_784.arff.gz")
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# Requesting any of these makes a test an "mnist" test.
MNIST_FIXTURES = frozenset(
    {
        "mnist",
        "mnist_uint8",
        "mnist_first_load",
        "mnist_data_home",
        "mnist_idx_dir",
        "make_mnist_data_home",
    }
)

MNIST = namedtuple("MNIST", ["X_train", "X_test", "y_train", "y_test"])
FirstLoad = namedtuple(
    "FirstLoad", ["data", "seconds", "had_array_cache", "openml_files", "data_home"]
)


def _shared_data_dir():
    env = os.environ.get("SKBPNET_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def _is_within(path, folder):
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except OSError:
        return False


def _locate_openml_cache():
    """Return ``(folder, use_in_place, reason)``; folder is None if not found."""
    looked = []
    env = os.environ.get("SCIKIT_LEARN_DATA")
    if env:
        if (Path(env) / ARFF_RELPATH).is_file():
            # Never let scikit-learn work inside the shared folder itself.
            return Path(env), not _is_within(env, _shared_data_dir()), None
        looked.append(f"$SCIKIT_LEARN_DATA={env}")
    shared = _shared_data_dir() / "scikit_learn_data"
    if (shared / ARFF_RELPATH).is_file():
        return shared, False, None
    looked.append(str(shared))
    return None, False, (
        f"MNIST OpenML cache not found: no {ARFF_RELPATH} under "
        f"{' or '.join(looked)}. Set SCIKIT_LEARN_DATA to a scikit-learn data "
        "folder that holds it (or SKBPNET_SHARED_DATA to the folder holding "
        "scikit_learn_data/ and mnist-idx/)."
    )


def _locate_idx_dir():
    """Return ``(folder, reason)``; folder is None if not found."""
    env = os.environ.get("SKBPNET_MNIST_IDX")
    folder = Path(env) if env else _shared_data_dir() / "mnist-idx"
    missing = [name for name in IDX_FILES if not (folder / name).is_file()]
    if missing:
        where = f"$SKBPNET_MNIST_IDX={env}" if env else str(folder)
        return None, (
            f"MNIST idx files not found: {', '.join(missing)} missing in {where}. "
            "Set SKBPNET_MNIST_IDX to the folder holding the four original files."
        )
    return folder, None


def _data_missing(reason):
    """Skip the test, or fail it when SKBPNET_REQUIRE_DATA=1."""
    if os.environ.get("SKBPNET_REQUIRE_DATA", "") == "1":
        pytest.fail(
            f"{reason} (SKBPNET_REQUIRE_DATA=1: missing MNIST data is an error, "
            "not a skip)",
            pytrace=False,
        )
    pytest.skip(reason)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_mnist_files(src_home, dst_home, with_array_cache=False):
    """Copy MNIST's OpenML files (and the array cache) into ``dst_home``.

    Only MNIST's files, so that a user's big ``SCIKIT_LEARN_DATA`` is not
    copied whole; plain copies, writable whatever the source's permissions.
    """
    from skbpnet.datasets import _CACHE_RELPATH, _openml_mnist_files

    files = _openml_mnist_files(str(src_home))
    if with_array_cache:
        files.append(os.path.join(src_home, _CACHE_RELPATH))
    for src in files:
        dst = Path(dst_home) / Path(src).relative_to(src_home)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return Path(dst_home)


def _freeze(arrays):
    for array in arrays:
        array.flags.writeable = False
    return MNIST(*arrays)


def pytest_configure(config):
    if not any(line.startswith("mnist:") for line in config.getini("markers")):
        config.addinivalue_line(
            "markers",
            "mnist: needs the MNIST data (skips when absent unless "
            "SKBPNET_REQUIRE_DATA=1)",
        )


def pytest_report_header(config):
    folder, in_place, reason = _locate_openml_cache()
    idx, idx_reason = _locate_idx_dir()
    if folder is None:
        openml = f"missing ({reason})"
    else:
        openml = f"{folder} ({'used in place' if in_place else 'private copy'})"
    if os.environ.get("SKBPNET_REQUIRE_DATA", "") == "1":
        require = "1 (missing data fails)"
    else:
        require = "unset (missing data skips)"
    return [
        f"skbpnet MNIST OpenML cache: {openml}",
        f"skbpnet MNIST idx files: {idx if idx is not None else idx_reason}",
        f"skbpnet SKBPNET_REQUIRE_DATA: {require}",
    ]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if MNIST_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mnist)


@pytest.fixture(scope="session")
def mnist_data_home(tmp_path_factory):
    folder, in_place, reason = _locate_openml_cache()
    if folder is None:
        _data_missing(reason)
    if in_place:
        return folder
    return _copy_mnist_files(folder, tmp_path_factory.mktemp("scikit_learn_data"))


@pytest.fixture(scope="session")
def mnist_idx_dir():
    folder, reason = _locate_idx_dir()
    if folder is None:
        _data_missing(reason)
    return folder


@pytest.fixture(scope="session")
def mnist_first_load(mnist_data_home):
    """Load MNIST (uint8) once; record the time taken and the files before."""
    from skbpnet.datasets import _CACHE_RELPATH, _openml_mnist_files, load_mnist

    openml_files = {
        path: _sha256(path) for path in _openml_mnist_files(str(mnist_data_home))
    }
    had_array_cache = (mnist_data_home / _CACHE_RELPATH).is_file()
    start = time.perf_counter()
    arrays = load_mnist(data_home=mnist_data_home, as_uint8=True)
    seconds = time.perf_counter() - start
    return FirstLoad(
        _freeze(arrays), seconds, had_array_cache, openml_files, mnist_data_home
    )


@pytest.fixture(scope="session")
def mnist_uint8(mnist_first_load):
    return mnist_first_load.data


@pytest.fixture(scope="session")
def mnist(mnist_first_load, mnist_data_home):
    from skbpnet.datasets import load_mnist

    return _freeze(load_mnist(data_home=mnist_data_home))


@pytest.fixture
def make_mnist_data_home(mnist_data_home, tmp_path_factory, request):
    def make(with_array_cache=False):
        if with_array_cache:  # make sure the array cache has been built
            request.getfixturevalue("mnist_first_load")
        return _copy_mnist_files(
            mnist_data_home,
            tmp_path_factory.mktemp("data_home"),
            with_array_cache=with_array_cache,
        )

    return make
