"""Scores of a network in blocks of rows, with adaptive BLAS threads on the host.

Used by the estimators' predictions and by the solvers' hold-out scores; it
sits below both (it imports neither).
"""

import numpy as np

from ._memory import PREDICT_CHUNK, rows_per_block  # noqa: F401 (PREDICT_CHUNK: read here by tests)
from ._threads import PROBE_STEPS, ThreadTuner
from .nn import get_namespace, is_numpy

__all__ = ["block_rows", "predict_scores"]

PROBE_ROWS = 512  # rows per block while adaptive threads time the thread counts


def block_rows(net):
    """Rows to score at once through ``net``: fewer the wider its widest layer.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._network import Architecture
    >>> from skbpnet._scoring import block_rows
    >>> block_rows(Architecture(2, (3,), "relu", 0.0, 0.0).build(
    ...     100_000, np.float32, np.random.default_rng(0)))
    41
    """
    return rows_per_block(max(m.n_out for m in net.linear_layers()))


def predict_scores(net, X, blas_threads=None, reduce=None):
    """Raw output scores in chunks, via the network's stateless inference path.

    Parameters
    ----------
    net : skbpnet.nn.Sequential
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    blas_threads : 'adaptive', None or int, default=None
        As the estimators' parameter. With 'adaptive' and enough rows, the
        first blocks are timed with 1 thread and with the current count, and
        the rest runs with the faster.
    reduce : callable, default=None
        Applied to the scores of each block (``argmax`` for a predicted class):
        the result stacks the reduced blocks, and the scores of all rows are
        never in memory at once.

    Blocks have up to ``PREDICT_CHUNK`` rows, fewer through wide layers
    (:func:`skbpnet._memory.rows_per_block`): the memory beyond the result
    stays that of a few million values, even with 10^5 outputs.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
        Or, with ``reduce``, what it makes of the blocks, stacked.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._network import Architecture
    >>> from skbpnet._scoring import predict_scores
    >>> net = Architecture(2, (3,), "relu", 0.0, 0.0).build(1, np.float64,
    ...                                                     np.random.default_rng(0))
    >>> predict_scores(net, np.ones((5, 2))).shape
    (5, 1)
    """
    n, chunk = X.shape[0], block_rows(net)
    infer = net.infer if reduce is None else (lambda rows: reduce(net.infer(rows)))
    if n <= chunk:
        return infer(X)
    xp = get_namespace(net.param_vector)
    if not is_numpy(xp):  # a device: chunks, no thread tuning
        return xp.concat([infer(X[start : min(start + chunk, n), ...])
                          for start in range(0, n, chunk)], axis=0)
    tuner = ThreadTuner(blas_threads, probe=blas_threads is not None)
    probe = min(PROBE_ROWS, chunk)
    n_probe = len(tuner.candidates(n // probe)) * PROBE_STEPS
    starts = list(range(0, n_probe * probe, probe))
    starts += range(n_probe * probe, n, chunk)
    out = None
    tuner.start_epoch(n // probe)
    try:
        for i, (start, stop) in enumerate(zip(starts, starts[1:] + [n])):
            tuner.before_step(i)
            block = infer(X[start:stop])
            tuner.after_step(i)
            if out is None:
                out = np.empty((n, *block.shape[1:]), block.dtype)
            out[start:stop] = block
    finally:
        tuner.end_epoch()
    return out
