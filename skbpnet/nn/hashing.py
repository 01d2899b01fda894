"""Hashing for reproducible, batch-independent randomness: one home for it.

Two things in skbpnet must not depend on which minibatch a sample lands in,
nor on where it sits in ``X``:

* the early-stopping split, which is chosen from a hash of each row's values
  (duplicates never straddle it, and a sample weight of ``k`` splits like
  ``k`` copies);
* the dropout masks, which are a counter-based function of (row hash, epoch,
  seed, layer) rather than draws from a generator.

Both are built from :func:`splitmix64`, the finaliser of Steele et al.'s
SplitMix64 generator: a fast bijection of uint64 values whose outputs look
independent and uniform.
"""

import numpy as np

from ._namespace import asarray_on, device_of, get_namespace

__all__ = ["splitmix64", "keyed_uniform_bits", "keyed_keep", "as_signed", "row_hashes",
           "dropout_salt"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ROW_KEY_SEED = 0x5B9  # seeds the per-column multipliers of row_hashes
_CHUNK = 4096  # rows hashed at a time


def splitmix64(z):
    """The splitmix64 finaliser: a fast, well-mixed hash of uint64 values.

    Parameters
    ----------
    z : ndarray of uint64
        Values to hash; a new array is returned.

    Returns
    -------
    ndarray of uint64

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.hashing import splitmix64
    >>> h = splitmix64(np.arange(3, dtype=np.uint64))
    >>> h.dtype, len(set(h.tolist()))
    (dtype('uint64'), 3)
    """
    return _mix64(np.array(z, dtype=np.uint64, copy=True))


def _mix64(z):
    """splitmix64's finaliser applied in place to a uint64 array; returns it."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def keyed_uniform_bits(keys, n_cols):
    """64 random-looking bits per (row key, column), as a counter-based generator.

    Parameters
    ----------
    keys : ndarray of uint64 of shape (n_rows,)
    n_cols : int

    Returns
    -------
    ndarray of uint64 of shape (n_rows, n_cols)
        ``splitmix64(key_i + golden * (j + 1))``: uniform over the uint64 range.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.hashing import keyed_uniform_bits
    >>> a = keyed_uniform_bits(np.array([1, 1, 2], dtype=np.uint64), 4)
    >>> bool((a[0] == a[1]).all()), bool((a[0] == a[2]).any())
    (True, False)
    """
    cols = (np.arange(1, n_cols + 1, dtype=np.uint64) * _GOLDEN)[None, :]
    return _mix64(keys.astype(np.uint64, copy=False)[:, None] + cols)


def keep_threshold(p):
    """The uint64 threshold of keyed dropout: keep where the bits are >= it."""
    return int(p * 2.0**64)


def as_signed(value):
    """A uint64 value (int or NumPy scalar) as the int64 with the same bits.

    Examples
    --------
    >>> from skbpnet.nn.hashing import as_signed
    >>> as_signed(2**64 - 1), as_signed(5)
    (-1, 5)
    """
    value = int(value)
    return value - 2**64 if value >= 2**63 else value


def keyed_keep(keys, n_cols, p):
    """Which entries keyed dropout keeps: ``keyed_uniform_bits(keys, n_cols) >= p * 2^64``.

    For NumPy, ``keys`` are uint64. In any other array API namespace they are
    int64 with the uint64 keys' bits (``hashes.view(np.int64)``), because
    PyTorch has no full uint64 arithmetic: splitmix64 then runs in int64,
    whose multiplication wraps like uint64's, with logical right shifts made
    from arithmetic ones by masking, and the unsigned comparison made signed
    by flipping the top bit of both sides. The masks are equal bit for bit.

    Parameters
    ----------
    keys : array of shape (n_rows,)
        uint64 (NumPy) or int64 (other namespaces) row keys.
    n_cols : int
    p : float
        Dropout probability.

    Returns
    -------
    array of bool of shape (n_rows, n_cols), in the keys' namespace and device

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.hashing import keyed_keep
    >>> keys = np.array([1, 2, 3], dtype=np.uint64)
    >>> keyed_keep(keys, 4, 0.5).shape
    (3, 4)
    """
    if isinstance(keys, np.ndarray) and keys.dtype == np.uint64:
        return keyed_uniform_bits(keys, n_cols) >= np.uint64(keep_threshold(p))
    xp = get_namespace(keys)
    cols = (np.arange(1, n_cols + 1, dtype=np.uint64) * _GOLDEN).view(np.int64)
    z = xp.reshape(keys, (-1, 1)) + xp.reshape(asarray_on(cols, xp, device_of(keys)), (1, -1))
    for shift, multiplier in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        z = z ^ _logical_shift(z, shift)
        z = z * as_signed(multiplier)
    z = z ^ _logical_shift(z, 31)
    # unsigned a >= t  <=>  signed (a ^ 2^63) >= t - 2^63
    return (z ^ -(2**63)) >= keep_threshold(p) - 2**63


def _logical_shift(z, k):
    """Right shift of int64 values as if they were uint64 (zeros shifted in)."""
    return (z >> k) & ((1 << (64 - k)) - 1)


def dropout_salt(seed, epoch, layer):
    """The salt XOR-ed into the row hashes for one dropout layer in one epoch.

    Parameters
    ----------
    seed : int
        The estimator's dropout seed (drawn once per fit from its generator).
    epoch : int
        The 1-based epoch, counted over the model's whole life.
    layer : int
        The index of the dropout layer among the network's dropout layers.

    Returns
    -------
    numpy.uint64

    Examples
    --------
    >>> from skbpnet.nn.hashing import dropout_salt
    >>> len({int(dropout_salt(7, e, i)) for e in (1, 2) for i in (0, 1)})
    4
    """
    return splitmix64(np.uint64(seed * 1_000_003 + epoch * 7919 + layer))


def row_hashes(X):
    """A uint64 hash of each row's values (dense or sparse), equal for equal rows.

    Values are hashed as float64 with ``-0.0`` folded into ``0.0``, so the
    hash does not depend on the dtype or on where the row sits in ``X``.
    Dense rows are processed in blocks, sparse ones from their stored values
    alone (never densified); there is no Python loop over samples.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    ndarray of uint64 of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.hashing import row_hashes
    >>> h = row_hashes(np.array([[1.0, -0.0], [2.0, 3.0], [1.0, 0.0]], dtype=np.float32))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    n, d = X.shape
    keys = np.random.default_rng(_ROW_KEY_SEED).integers(1, 2**63, size=d, dtype=np.uint64)
    keys |= np.uint64(1)
    if hasattr(X, "tocsr"):  # scipy sparse
        return _sparse_row_hashes(X.tocsr(), keys)
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _CHUNK):
        block = np.ascontiguousarray(X[start : start + _CHUNK], dtype=np.float64) + 0.0
        out[start : start + _CHUNK] = block.view(np.uint64) @ keys
    return splitmix64(out)


def _sparse_row_hashes(X, keys):
    """Same hash from the stored values alone (a zero adds 0): O(nnz) memory.

    Densifying even one block of 4096 rows can take gigabytes.
    """
    if not X.has_canonical_format:  # duplicate entries are summed, as dense
        X = X.copy()
        X.sum_duplicates()
    bits = (np.asarray(X.data, dtype=np.float64) + 0.0).view(np.uint64)
    sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(bits * keys[X.indices])])
    return splitmix64(sums[X.indptr[1:]] - sums[X.indptr[:-1]])  # wraps mod 2**64
