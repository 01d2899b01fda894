"""
Grid search on a Dask cluster, and training on blocks of a dask array
=====================================================================

Two ways to go beyond one process with :class:`~skbpnet.BPNetClassifier`,
both on `Dask <https://docs.dask.org>`_ (``pip install "skbpnet[dask]"``):

* a :class:`~sklearn.model_selection.GridSearchCV` whose fits run on the
  workers of a Dask cluster, through joblib's ``"dask"`` backend, with the
  BLAS thread pools limited so that the workers do not oversubscribe the
  cores. It finds the same best parameters, with the same scores, as
  ``n_jobs=1``;
* training with ``partial_fit`` over the blocks of a dask array that is
  generated block by block and never held whole in memory, as data larger
  than memory would be.

Here the cluster is a :class:`~distributed.LocalCluster` of two
single-threaded workers on this machine, reached over localhost only, with
no dashboard. See :doc:`/user_guide/dask` for worker processes and real
clusters.
"""

# %%
# A local cluster with one BLAS thread per worker
# -----------------------------------------------
# ``threads_per_worker=1`` runs one task per worker at a time: two workers
# fill two cores. But NumPy's BLAS (OpenBLAS, MKL) runs a pool of threads of
# its own, one per core by default: two workers each multiplying matrices on
# two BLAS threads would want four cores. So the BLAS gets one thread.
#
# ``processes=False`` keeps the workers as threads of this process (quick to
# start, and safe to run as a plain script). They share this process's BLAS,
# so limiting it here with :func:`threadpoolctl.threadpool_limits` limits
# them all. With worker *processes* (``processes=True``, or ``dask worker`` on
# other machines) each process has a BLAS of its own: limit it in every
# worker with a worker plugin, as :doc:`/user_guide/dask` shows. (OpenMP,
# which skbpnet does not use, keeps its limits per thread: they have to come
# from ``OMP_NUM_THREADS`` in the environment the workers start in.)
import logging
import time
import warnings

import dask
import dask.array as da
import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from threadpoolctl import threadpool_info, threadpool_limits

from skbpnet import BPNetClassifier

# Few epochs everywhere below, on purpose: no "not converged" warnings.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

blas_limits = threadpool_limits(limits=1)  # undone at the end

tic = time.perf_counter()
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=None, silence_logs=logging.ERROR)
client = Client(cluster)
print(f"{len(client.scheduler_info()['workers'])} workers started "
      f"in {time.perf_counter() - tic:.1f} s")

# Ask each worker what it sees: every BLAS library runs one thread.
for worker, pools in client.run(threadpool_info).items():
    print(worker, [(p["filepath"].rsplit("/", 1)[-1], p["num_threads"])
                   for p in pools if p["user_api"] == "blas"])

# %%
# The grid search, on the cluster and in one process
# ---------------------------------------------------
# Inside ``joblib.parallel_config(backend="dask")``, scikit-learn's
# ``n_jobs`` sends the fits to the cluster's workers. Each fit is seeded
# (``random_state=0``) and runs on one BLAS thread wherever it runs, so the
# search on the cluster and the one with ``n_jobs=1`` agree to the last bit.
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

param_grid = {"hidden_layer_sizes": [(8,), (16,), (32,), (64,)], "alpha": [1e-4, 1e-1, 1.0]}


def grid_search(n_jobs):
    net = BPNetClassifier(learning_rate_init=0.01, max_iter=15, random_state=0)
    return GridSearchCV(net, param_grid, cv=3, n_jobs=n_jobs)


tic = time.perf_counter()
with joblib.parallel_config(backend="dask"):
    on_dask = grid_search(n_jobs=-1).fit(X_train, y_train)
print(f"on the cluster: {time.perf_counter() - tic:.1f} s, best {on_dask.best_params_}")

tic = time.perf_counter()
serial = grid_search(n_jobs=1).fit(X_train, y_train)
print(f"n_jobs=1:       {time.perf_counter() - tic:.1f} s, best {serial.best_params_}")

print("same best_params_:", on_dask.best_params_ == serial.best_params_)
print("same mean and std test scores:", all(
    np.array_equal(on_dask.cv_results_[key], serial.cv_results_[key])
    for key in ("mean_test_score", "std_test_score")
))
print(f"test accuracy of the refitted best: {on_dask.score(X_test, y_test):.3f}")

# %%
# Mean cross-validated accuracy (one standard deviation over the folds as
# error bars) against the width of the hidden layer, one line per ``alpha``.
# With so little data and time, on two cores the cluster mostly pays for
# moving work around; it pays off when each fit is long, or when the workers
# are many processes or machines.
results = on_dask.cv_results_
widths = [sizes[0] for sizes in param_grid["hidden_layer_sizes"]]
fig, ax = plt.subplots(figsize=(7, 4))
for k, alpha in enumerate(param_grid["alpha"]):
    rows = [i for i, p in enumerate(results["params"]) if p["alpha"] == alpha]
    rows.sort(key=lambda i: results["params"][i]["hidden_layer_sizes"][0])
    ax.errorbar(widths, results["mean_test_score"][rows], yerr=results["std_test_score"][rows],
                marker="o", capsize=3, color=f"C{k}", label=f"alpha={alpha:g}")
ax.set_xscale("log", base=2)
ax.set_xticks(widths, [str(w) for w in widths])
ax.set_xlabel("hidden units")
ax.set_ylabel("mean cross-validated accuracy")
ax.set_title("GridSearchCV over BPNetClassifier on a Dask cluster")
ax.legend()
plt.show()

# %%
# Data that is never held whole
# -----------------------------
# A dask array is a grid of blocks, each computed only when asked for. Here
# each block of X is generated by a function from a seed and the block's
# index (two Gaussian clusters per class, 4 classes, 20 features), and y by
# the same seed, so the same block comes back whenever it is asked for. It
# stands for data read from many files: 16 blocks of 2,000 rows, of which
# the training below holds one at a time.
N_FEATURES, N_CLASSES = 20, 4
BLOCK_ROWS, N_BLOCKS = 2000, 16
CENTERS = np.random.default_rng(1234).normal(scale=0.6, size=(2 * N_CLASSES, N_FEATURES))


def make_block(seed, index, n_rows=BLOCK_ROWS):
    """Rows of block ``index``: the same on every call."""
    rng = np.random.default_rng([seed, index])
    y = rng.integers(N_CLASSES, size=n_rows)  # drawn first, so y_block can stop here
    X = CENTERS[2 * y + rng.integers(2, size=n_rows)] + rng.normal(size=(n_rows, N_FEATURES))
    return X, y


def x_block(seed, block_id=None):
    return make_block(seed, block_id[0])[0]


def y_block(seed, block_id=None):
    return np.random.default_rng([seed, block_id[0]]).integers(N_CLASSES, size=BLOCK_ROWS)


X_big = da.map_blocks(x_block, 0, chunks=((BLOCK_ROWS,) * N_BLOCKS, (N_FEATURES,)),
                      dtype=np.float64, meta=np.empty((0, N_FEATURES)))
y_big = da.map_blocks(y_block, 0, chunks=((BLOCK_ROWS,) * N_BLOCKS,),
                      dtype=np.int64, meta=np.empty((0,), dtype=np.int64))
X_held_out, y_held_out = make_block(seed=99, index=0, n_rows=4000)
print(X_big)

# %%
# Training block by block
# -----------------------
# One epoch is one pass over the blocks, in a new random order each epoch.
# Each block is computed on its own (by the cluster's workers: the client is
# dask's default scheduler now), handed to ``partial_fit``, which runs one
# epoch of minibatches over it, and dropped. ``classes`` must be given on the
# first call: the output layer needs every class from the start. Adam's
# moments carry over from call to call, so the blocks make one training run.
#
# dask-ml's ``Incremental`` wrapper does the same loop for you; see
# :doc:`/user_guide/dask` for it and for why it wants dask's synchronous
# scheduler.
N_EPOCHS = 5
params = {"hidden_layer_sizes": (32,), "learning_rate_init": 0.003, "random_state": 0}

streamed = BPNetClassifier(**params)
streamed_accuracy, rows_per_call = [], []
x_parts, y_parts = X_big.to_delayed().ravel(), y_big.to_delayed().ravel()
order = np.random.default_rng(0)
tic = time.perf_counter()
for epoch in range(N_EPOCHS):
    for i in order.permutation(N_BLOCKS):
        X_block, y_block = dask.compute(x_parts[i], y_parts[i])
        streamed.partial_fit(X_block, y_block, classes=np.arange(N_CLASSES))
        rows_per_call.append(len(X_block))
        del X_block, y_block
    streamed_accuracy.append(streamed.score(X_held_out, y_held_out))
print(f"{N_EPOCHS} epochs over {N_BLOCKS} blocks in {time.perf_counter() - tic:.1f} s: "
      f"{len(rows_per_call)} calls of partial_fit, at most {max(rows_per_call)} rows each, "
      f"{streamed.t_} rows in all")

# %%
# The same network trained in memory
# ----------------------------------
# For comparison, and only because this data set is small, the same network
# is fitted on all of it at once, for the same number of epochs. A callback
# records the held-out accuracy after each epoch.
X_all = np.concatenate([make_block(0, i)[0] for i in range(N_BLOCKS)])
y_all = np.concatenate([make_block(0, i)[1] for i in range(N_BLOCKS)])
in_memory_accuracy = []


def held_out_accuracy(info):
    scores = info["network"].infer(X_held_out)
    in_memory_accuracy.append(np.mean(scores.argmax(axis=1) == y_held_out))


BPNetClassifier(max_iter=N_EPOCHS, callbacks=[held_out_accuracy], **params).fit(X_all, y_all)
print(f"held-out accuracy after {N_EPOCHS} epochs: streamed {streamed_accuracy[-1]:.3f}, "
      f"in memory {in_memory_accuracy[-1]:.3f}")

epochs = np.arange(1, N_EPOCHS + 1)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(epochs, streamed_accuracy, marker="o", label="partial_fit over dask blocks")
ax.plot(epochs, in_memory_accuracy, marker="s", linestyle="--", label="fit in memory")
ax.set_xticks(epochs)
ax.set_xlabel("epoch")
ax.set_ylabel("held-out accuracy")
ax.set_title(f"{N_BLOCKS} blocks of {BLOCK_ROWS} rows, trained on one at a time")
ax.legend()
plt.show()

# %%
# Closing the cluster
# -------------------
# Close the client and the cluster, and give this process its BLAS threads
# back.
client.close()
cluster.close()
blas_limits.restore_original_limits()
