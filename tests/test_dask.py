"""Scaling out with Dask: grid search on a cluster, training on blocked data.

Three things are checked, all on small data and small networks:

* a ``GridSearchCV`` run through joblib's ``"dask"`` backend on a
  ``LocalCluster`` of two single-threaded worker processes gives the same
  ``best_params_`` and the same cross-validation scores as ``n_jobs=1``;
* a worker plugin really limits the BLAS (and OpenMP) thread pools of every
  worker to one thread, as seen from the thread that runs the tasks, even
  where the environment the workers were started with asks for more, and
  also for libraries a task loads later;
* training with ``partial_fit`` over the blocks of a dask array that is
  generated block by block, with a plain loop and with dask-ml's
  ``Incremental`` (under dask's synchronous scheduler), generates each block
  once per epoch, never holds more than one block of X, never hands the
  estimator more than one block per call, keeps its peak memory to a few
  blocks, and reaches the held-out accuracy of an in-memory fit of the same
  number of epochs (within ``ACCURACY_TOLERANCE``).

dask, distributed and dask-ml come with the ``dask`` extra, which the
``test`` extra installs, so CI runs all of this; ``importorskip`` only spares
users who installed skbpnet without the extra.
"""

import contextlib
import logging
import os
import sys
import tracemalloc
import weakref

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skbpnet import BPNetClassifier

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

# Few epochs are the point here; "not converged" is expected everywhere.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --------------------------------------------------------------------------------------
# A cluster of two worker processes, one thread each, BLAS limited by a plugin
# --------------------------------------------------------------------------------------
class LimitBLASThreads(distributed.WorkerPlugin):
    """Worker plugin: at most ``n_threads`` BLAS/OpenMP threads in each worker.

    ``os.environ`` covers the libraries a task loads later (they read it when
    they load); ``threadpool_limits`` covers those loaded already.
    """

    name = "skbpnet-limit-blas-threads"

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def setup(self, worker):
        from threadpoolctl import threadpool_limits

        for var in BLAS_ENV:
            os.environ[var] = str(self.n_threads)
        self._limits = threadpool_limits(limits=self.n_threads)


@contextlib.contextmanager
def _restored_environ():
    """Undo changes to this process's environment (distributed's nanny writes
    its ``pre-spawn-environ`` into the parent's ``os.environ``)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@pytest.fixture(scope="module")
def dask_client(tmp_path_factory):
    """A ``(client, worker_env)`` pair on a localhost-only cluster.

    The workers are started with ``OMP/OPENBLAS/MKL_NUM_THREADS=2`` in their
    environment, as happens when those are exported in the shell that starts
    them (dask's default of 1 then loses), so that only the plugin can explain
    single-threaded BLAS in the workers.
    """
    import cloudpickle

    module = sys.modules[__name__]
    # Ship the plugin by value: the workers cannot import this test module.
    cloudpickle.register_pickle_by_value(module)
    config = {
        "distributed.comm.timeouts.connect": "60s",
        "distributed.comm.timeouts.tcp": "60s",
    }
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(dask.config.set(config))
            with _restored_environ():
                os.environ.update({var: "2" for var in BLAS_ENV})
                cluster = stack.enter_context(
                    distributed.LocalCluster(
                        n_workers=2,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                        local_directory=str(tmp_path_factory.mktemp("dask-worker-space")),
                    )
                )
            client = stack.enter_context(
                distributed.Client(cluster, timeout="60s", set_as_default=False)
            )
            client.wait_for_workers(2, timeout=120)
            worker_env = client.run(os.getenv, "OPENBLAS_NUM_THREADS")
            client.register_plugin(LimitBLASThreads(n_threads=1))
            yield client, worker_env
    finally:
        cloudpickle.unregister_pickle_by_value(module)


def _pools(client):
    """The thread pools that a task sees on each worker: ``{worker: [(api, lib, n)]}``.

    Asked from a task, not with ``client.run``: ``client.run`` runs in a
    worker's event-loop thread, but the fits run in its executor thread, and
    OpenMP's limits are per thread.
    """
    from threadpoolctl import threadpool_info

    futures = {
        worker: client.submit(threadpool_info, workers=[worker], allow_other_workers=False,
                              pure=False)
        for worker in client.scheduler_info()["workers"]
    }
    return {
        worker: [(p["user_api"], p["filepath"], p["num_threads"]) for p in f.result(timeout=120)]
        for worker, f in futures.items()
    }


def test_worker_plugin_limits_blas_threads(dask_client):
    client, worker_env = dask_client
    assert len(worker_env) == 2
    # The environment alone would have allowed two threads ...
    assert set(worker_env.values()) == {"2"}
    # ... but every pool of every worker runs one, where the tasks run
    pools = _pools(client)
    assert len(pools) == 2
    for worker, entries in pools.items():
        assert any(api == "blas" for api, _, _ in entries), (worker, entries)
        assert all(n == 1 for _, _, n in entries), (worker, entries)
    # ... and where the plugin ran (BLAS limits are per process).
    from threadpoolctl import threadpool_info

    for worker, entries in client.run(threadpool_info).items():
        blas = [p["num_threads"] for p in entries if p["user_api"] == "blas"]
        assert blas and set(blas) == {1}, (worker, entries)
    # Libraries loaded after the plugin ran start with one thread too.
    for worker, env in client.run(lambda: {v: os.environ.get(v) for v in BLAS_ENV}).items():
        assert set(env.values()) == {"1"}, (worker, env)


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def _grid_search(n_jobs):
    est = BPNetClassifier(max_iter=15, learning_rate_init=0.02, random_state=0)
    grid = {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1.0]}
    return GridSearchCV(est, grid, cv=3, n_jobs=n_jobs)


def test_grid_search_on_dask_matches_serial(dask_client):
    import joblib
    from threadpoolctl import threadpool_limits

    client, _ = dask_client
    X, y = _digits()
    # The reference with one BLAS thread too, so that both sides compute alike.
    with threadpool_limits(limits=1):
        serial = _grid_search(n_jobs=1).fit(X, y)
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask", client=client, wait_for_workers_timeout=120),
    ):
        on_dask = _grid_search(n_jobs=-1).fit(X, y)

    # The fits ran on the cluster's workers.
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])

    assert on_dask.best_params_ == serial.best_params_
    assert on_dask.cv_results_["params"] == serial.cv_results_["params"]
    keys = ["mean_test_score", "std_test_score"] + [f"split{i}_test_score" for i in range(3)]
    for key in keys:
        np.testing.assert_array_equal(on_dask.cv_results_[key], serial.cv_results_[key], key)
    # The scores tell the candidates apart: the comparison is not vacuous.
    assert np.ptp(serial.cv_results_["mean_test_score"]) > 0.05
    assert serial.best_score_ > 0.8

    # The pools that the tasks loaded (scikit-learn's OpenMP, scipy's BLAS)
    # run one thread as well.
    for worker, entries in _pools(client).items():
        assert any(api == "blas" for api, _, _ in entries), (worker, entries)
        assert all(n == 1 for _, _, n in entries), (worker, entries)


# --------------------------------------------------------------------------------------
# Training over the blocks of a dask array that is never held whole
# --------------------------------------------------------------------------------------
N_FEATURES, N_CLASSES = 20, 4
BLOCK_ROWS, N_BLOCKS = 2000, 16
N_EPOCHS = 5
SEED = 0
# Streamed and in-memory training see the same samples for the same number of
# epochs but in another order (blocks, then rows within a block).
ACCURACY_TOLERANCE = 0.03
PARAMS = {"hidden_layer_sizes": (32,), "learning_rate_init": 0.003, "random_state": 0}
# Two Gaussian clusters per class: not linearly separable, about 88% reachable.
CENTERS = np.random.default_rng(1234).normal(scale=0.6, size=(2 * N_CLASSES, N_FEATURES))


class BlockLog:
    """Counts generated X blocks and how many are alive at once."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.generated = 0
        self.alive = 0
        self.peak_alive = 0

    def born(self, block):
        self.generated += 1
        self.alive += 1
        self.peak_alive = max(self.peak_alive, self.alive)
        weakref.finalize(block, self._died)

    def _died(self):
        self.alive -= 1


LOG = BlockLog()


def make_block(seed, index, n_rows=BLOCK_ROWS):
    """Block ``index`` of the data set ``seed``: the same arrays on every call."""
    rng = np.random.default_rng([seed, index])
    y = rng.integers(N_CLASSES, size=n_rows)  # drawn first: _y_block stops here
    cluster = 2 * y + rng.integers(2, size=n_rows)
    X = CENTERS[cluster] + rng.normal(size=(n_rows, N_FEATURES))
    return X, y


def _x_block(seed, block_id=None):
    X = make_block(seed, block_id[0])[0]
    LOG.born(X)
    return X


def _y_block(seed, block_id=None):
    return np.random.default_rng([seed, block_id[0]]).integers(N_CLASSES, size=BLOCK_ROWS)


def lazy_data(seed=SEED):
    """X and y as dask arrays whose blocks are generated on demand."""
    X = da.map_blocks(
        _x_block, seed, chunks=((BLOCK_ROWS,) * N_BLOCKS, (N_FEATURES,)),
        dtype=np.float64, meta=np.empty((0, N_FEATURES)),
    )
    y = da.map_blocks(
        _y_block, seed, chunks=((BLOCK_ROWS,) * N_BLOCKS,),
        dtype=np.int64, meta=np.empty((0,), dtype=np.int64),
    )
    return X, y


ROWS_SEEN = []


class RecordingClassifier(BPNetClassifier):
    """BPNetClassifier that records how many rows each partial_fit gets."""

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        ROWS_SEEN.append(X.shape[0])
        return super().partial_fit(X, y, sample_weight=sample_weight, classes=classes)


@pytest.fixture(scope="module")
def held_out():
    return make_block(seed=99, index=0, n_rows=4000)


@pytest.fixture(scope="module")
def in_memory_accuracy(held_out):
    """Accuracy of a plain fit on the whole data set, for comparison."""
    blocks = [make_block(SEED, i) for i in range(N_BLOCKS)]
    X = np.concatenate([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    return BPNetClassifier(max_iter=N_EPOCHS, **PARAMS).fit(X, y).score(*held_out)


@pytest.fixture
def fresh_log():
    LOG.reset()
    ROWS_SEEN.clear()
    yield LOG
    LOG.reset()
    ROWS_SEEN.clear()


def test_lazy_data_matches_its_blocks():
    X, y = lazy_data()
    assert X.shape == (BLOCK_ROWS * N_BLOCKS, N_FEATURES)
    X3, y3 = dask.compute(X.blocks[3], y.blocks[3], scheduler="synchronous")
    ref_X, ref_y = make_block(SEED, 3)
    np.testing.assert_array_equal(X3, ref_X)
    np.testing.assert_array_equal(y3, ref_y)


@contextlib.contextmanager
def traced_peak():
    """Yield a dict whose ``"peak"`` is the peak traced memory of the block."""
    out = {}
    tracemalloc.start()
    try:
        yield out
        out["peak"] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _check_streamed(log, peak, accuracy, in_memory_accuracy):
    # Each block was generated once per epoch, only one was alive at a time,
    # and the estimator got one block per call.
    assert log.generated == N_EPOCHS * N_BLOCKS
    assert log.peak_alive == 1
    assert ROWS_SEEN == [BLOCK_ROWS] * (N_EPOCHS * N_BLOCKS)
    # Peak memory of the whole training is a few blocks (making one takes
    # three), well under the data set's size.
    block_bytes = BLOCK_ROWS * N_FEATURES * 8
    data_bytes = N_BLOCKS * block_bytes
    assert peak < 6 * block_bytes < data_bytes / 2, (peak, block_bytes, data_bytes)
    assert accuracy > 0.8
    assert abs(accuracy - in_memory_accuracy) <= ACCURACY_TOLERANCE, (
        accuracy, in_memory_accuracy
    )


def test_incremental_trains_block_by_block(fresh_log, held_out, in_memory_accuracy):
    pytest.importorskip("dask_ml")
    from dask_ml.wrappers import Incremental

    X, y = lazy_data()
    inc = Incremental(
        RecordingClassifier(**PARAMS), scoring="accuracy",
        random_state=np.random.RandomState(0),  # a new block order every epoch
    )
    # One call of Incremental.partial_fit is one pass over the blocks. The
    # synchronous scheduler computes a block just before it is used; dask's
    # threaded scheduler would compute blocks ahead and hold them all.
    with traced_peak() as memory, dask.config.set(scheduler="synchronous"):
        for _ in range(N_EPOCHS):
            inc.partial_fit(X, y, classes=np.arange(N_CLASSES))
    assert inc.estimator_.t_ == N_EPOCHS * N_BLOCKS * BLOCK_ROWS
    accuracy = inc.score(*held_out)
    _check_streamed(fresh_log, memory["peak"], accuracy, in_memory_accuracy)


def partial_fit_blocks(clf, X, y, classes, n_epochs, random_state=0):
    """Train ``clf`` for ``n_epochs`` passes over the blocks of dask arrays.

    Each block of X and y is computed on its own, handed to ``partial_fit``
    and dropped, in a new random order every epoch.
    """
    x_blocks, y_blocks = X.to_delayed().ravel(), y.to_delayed().ravel()
    rng = np.random.default_rng(random_state)
    for _ in range(n_epochs):
        for i in rng.permutation(len(x_blocks)):
            X_block, y_block = dask.compute(x_blocks[i], y_blocks[i], scheduler="synchronous")
            clf.partial_fit(X_block, y_block, classes=classes)
            del X_block, y_block
    return clf


def test_partial_fit_loop_trains_block_by_block(fresh_log, held_out, in_memory_accuracy):
    X, y = lazy_data()
    with traced_peak() as memory:
        clf = partial_fit_blocks(
            RecordingClassifier(**PARAMS), X, y, np.arange(N_CLASSES), N_EPOCHS
        )
    assert clf.t_ == N_EPOCHS * N_BLOCKS * BLOCK_ROWS
    accuracy = clf.score(*held_out)
    _check_streamed(fresh_log, memory["peak"], accuracy, in_memory_accuracy)
