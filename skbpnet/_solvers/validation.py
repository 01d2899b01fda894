"""The early-stopping hold-out: which rows, and how a network is scored on them."""

import math

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

__all__ = ["hash_split", "accuracy_of_scores", "r2_of_scores"]


def hash_split(hashes, sample_weight, validation_fraction):
    """Split rows into training and validation sets by their content hash.

    The rows whose hashes are the ``ceil(validation_fraction * n_distinct)``
    smallest (at least 2) among the distinct rows of positive weight form the
    validation set. A row and its duplicates always fall on the same side, so
    duplicates never leak from training into validation, the split does not
    depend on the order of the rows, and a sample weight of ``k`` splits
    exactly as ``k`` copies of the sample would.

    Parameters
    ----------
    hashes : ndarray of uint64 of shape (n_samples,)
        From :func:`skbpnet.nn.hashing.row_hashes`.
    sample_weight : ndarray of shape (n_samples,) or None
    validation_fraction : float in (0, 1)

    Returns
    -------
    train_mask : ndarray of bool of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.validation import hash_split
    >>> train = hash_split(np.arange(10, dtype=np.uint64), None, 0.2)
    >>> train.tolist()
    [False, False, True, True, True, True, True, True, True, True]
    """
    positive = np.ones(len(hashes), bool) if sample_weight is None else sample_weight > 0
    distinct = np.unique(hashes[positive])
    n_val = max(2, math.ceil(validation_fraction * len(distinct)))
    if n_val >= len(distinct):
        raise ValueError(
            f"early_stopping needs a validation set of {n_val} distinct samples and "
            f"a training set of at least one, but the data holds only {len(distinct)} "
            f"distinct samples with positive weight (n_samples={len(hashes)}). Lower "
            f"validation_fraction, add data, or set early_stopping=False."
        )
    return ~(positive & (hashes <= distinct[n_val - 1]))


def accuracy_of_scores(scores, y, sample_weight=None, multilabel=False):
    """Accuracy of raw network scores against encoded class targets.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_outputs)
    y : ndarray
        Class indices (multiclass), 0/1 in a column (binary) or an indicator
        matrix (multilabel).
    sample_weight : ndarray or None
    multilabel : bool

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.validation import accuracy_of_scores
    >>> accuracy_of_scores(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    if scores.shape[1] > 1 and not multilabel:
        return float(accuracy_score(y, scores.argmax(axis=1), sample_weight=sample_weight))
    return float(accuracy_score(y.astype(int), (scores > 0).astype(int),
                                sample_weight=sample_weight))


def r2_of_scores(scores, y, sample_weight=None, exp=False):
    """R² of raw network outputs (``exp`` of them with ``exp=True``) against targets.

    NaN when a prediction is not finite, as scikit-learn's MLP scores it.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.validation import r2_of_scores
    >>> r2_of_scores(np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]]))
    1.0
    """
    if exp:
        with np.errstate(over="ignore"):
            scores = np.exp(scores)
    if not np.isfinite(scores).all():
        return math.nan
    return float(r2_score(y, scores, sample_weight=sample_weight))
