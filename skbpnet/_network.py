"""The one builder of the estimators' networks, and their chunked prediction.

``fit`` and :func:`skbpnet.load` both build networks here, from an
:class:`Architecture`: the estimator's hyperparameters when it starts a new
network, the architecture recorded in the file when a model is loaded. What
an existing network is (``Architecture.of(net)``) is read off its layers, never
stored beside them.
"""

from typing import NamedTuple

import numpy as np

from . import nn
from ._memory import PREDICT_CHUNK, rows_per_block  # noqa: F401 (PREDICT_CHUNK: read here by tests)
from .nn._namespace import get_namespace

__all__ = ["Architecture", "block_rows", "predict_scores"]

PROBE_ROWS = 512  # rows per block while adaptive threads time the thread counts


class Architecture(NamedTuple):
    """The shape of a network: what must not change when training continues.

    Attributes
    ----------
    n_features : int
    hidden : tuple of int
    activation : str or None
        The hidden activation; None when there is no hidden layer.
    dropout : float
        Dropout before every hidden-to-hidden and hidden-to-output layer
        (0.0 when there is no hidden layer).
    input_dropout : float

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._network import Architecture
    >>> arch = Architecture(4, (8,), "tanh", 0.0, 0.0)
    >>> net = arch.build(3, np.float32, np.random.default_rng(0))
    >>> Architecture.of(net) == arch
    True
    """

    n_features: int
    hidden: tuple
    activation: str
    dropout: float
    input_dropout: float

    @classmethod
    def from_params(cls, est, hidden):
        """The architecture an estimator's hyperparameters ask for."""
        return cls(int(est.n_features_in_), tuple(int(h) for h in hidden), est.activation,
                   float(est.dropout), float(est.input_dropout)).normalized()

    def normalized(self):
        """Without the settings that make no difference to the network."""
        if not self.hidden:
            return self._replace(activation=None, dropout=0.0)
        return self

    @classmethod
    def of(cls, net):
        """Read the architecture off a network that :meth:`build` made."""
        linears = [m for m in net.layers if isinstance(m, nn.Linear)]
        acts = [m for m in net.layers if isinstance(m, nn.Activation)]
        drops = [m for m in net.layers if isinstance(m, nn.Dropout)]
        input_dropout = drops[0].p if drops and net.layers[0] is drops[0] else 0.0
        hidden_drops = drops[1:] if input_dropout else drops
        return cls(linears[0].n_in, tuple(m.n_out for m in linears[:-1]),
                   nn.activation_name(acts[0]) if acts else None,
                   hidden_drops[0].p if hidden_drops else 0.0, input_dropout).normalized()

    def build(self, n_outputs, dtype, rng, init=None):
        """A new network, initialised as its activation asks (He for ReLU-like ones).

        Parameters
        ----------
        n_outputs : int
        dtype : numpy.float32 or numpy.float64
        rng : numpy.random.Generator
            Draws the initial weights.
        init : {'he', 'glorot'}, default=None
            Force one initialisation (None: the activation class's ``init``).

        Returns
        -------
        skbpnet.nn.Sequential
        """
        if init is None:
            init = nn.ACTIVATIONS[self.activation].init if self.hidden else "glorot"
        sizes = [self.n_features, *self.hidden, n_outputs]
        layers = []
        if self.input_dropout > 0:
            layers.append(nn.Dropout(self.input_dropout, random_state=rng))
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0 and self.dropout > 0:
                layers.append(nn.Dropout(self.dropout, random_state=rng))
            layers.append(nn.Linear(a, b, init=init, dtype=dtype, random_state=rng))
            if i < len(sizes) - 2:
                layers.append(nn.ACTIVATIONS[self.activation]())
        return nn.Sequential(*layers)


def block_rows(net):
    """Rows to score at once through ``net``: fewer the wider its widest layer.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._network import Architecture, block_rows
    >>> block_rows(Architecture(2, (3,), "relu", 0.0, 0.0).build(
    ...     100_000, np.float32, np.random.default_rng(0)))
    41
    """
    return rows_per_block(max(m.n_out for m in net.layers if isinstance(m, nn.Linear)))


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
    >>> from skbpnet._network import Architecture, predict_scores
    >>> net = Architecture(2, (3,), "relu", 0.0, 0.0).build(1, np.float64,
    ...                                                     np.random.default_rng(0))
    >>> predict_scores(net, np.ones((5, 2))).shape
    (5, 1)
    """
    n, chunk = X.shape[0], block_rows(net)
    infer = net.infer if reduce is None else (lambda rows: reduce(net.infer(rows)))
    if n <= chunk:
        return infer(X)
    if not isinstance(net.param_vector, np.ndarray):  # a device: chunks, no thread tuning
        xp = get_namespace(X)
        return xp.concat([infer(X[start : min(start + chunk, n), ...])
                          for start in range(0, n, chunk)], axis=0)
    from ._solvers.threads import PROBE_STEPS, ThreadTuner

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
