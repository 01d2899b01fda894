"""The early-stopping hold-out: which rows, and how a network is scored on them."""

import math
from typing import NamedTuple

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

__all__ = ["hash_split", "AccuracyOfScores", "accuracy_of_scores", "r2_of_scores"]


def hash_split(hashes, sample_weight, validation_fraction, strata=None):
    """Split rows into training and validation sets by their content hash.

    The rows whose hashes are the ``ceil(validation_fraction * n_distinct)``
    smallest (at least 2) among the distinct rows of positive weight form the
    validation set. A row and its duplicates always fall on the same side, so
    duplicates never leak from training into validation, the split does not
    depend on the order of the rows, and a sample weight of ``k`` splits
    exactly as ``k`` copies of the sample would.

    With ``strata`` (the class of each row) the split is stratified, as
    scikit-learn's MLPClassifier stratifies its hold-out: each class gives its
    share of scikit-learn's ``ceil(validation_fraction * n_distinct)``
    smallest hashes, in proportion to its size (at least one, and at least
    one row left to train on), so every class is in both sets in proportion;
    the properties above still hold. As in scikit-learn, which stratifies
    binary targets (one output), a binary ``strata`` with a class of a single
    distinct sample is refused; with more classes (which scikit-learn does not
    stratify) such a class stays in training. A row whose values
    are chosen for one class goes to validation under every label it has.

    Parameters
    ----------
    hashes : ndarray of uint64 of shape (n_samples,)
        From :func:`skbpnet.nn.hashing.row_hashes`.
    sample_weight : ndarray of shape (n_samples,) or None
    validation_fraction : float in (0, 1)
    strata : ndarray of shape (n_samples,) or None
        Class labels to stratify on.

    Returns
    -------
    train_mask : ndarray of bool of shape (n_samples,)

    Raises
    ------
    ValueError
        When a class of a binary ``strata`` has fewer than 2 distinct samples
        of positive weight (scikit-learn's "The least populated classes in y
        have only 1 member"),
        or the data cannot give 2 validation samples and one to train on
        ("The validation set is too small").

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.validation import hash_split
    >>> train = hash_split(np.arange(10, dtype=np.uint64), None, 0.2)
    >>> train.tolist()
    [False, False, True, True, True, True, True, True, True, True]
    >>> hash_split(np.arange(6, dtype=np.uint64), None, 0.3,
    ...            strata=np.array([0, 1, 0, 1, 0, 1])).tolist()
    [False, False, True, True, True, True]
    """
    positive = np.ones(len(hashes), bool) if sample_weight is None else sample_weight > 0
    if strata is not None:
        strata = np.asarray(strata)
        strict = len(np.unique(strata)) <= 2  # binary: one output, as scikit-learn stratifies
        chosen = _stratified_hashes(hashes, positive, validation_fraction, strata, strict)
        return ~(positive & np.isin(hashes, chosen))
    distinct = np.unique(hashes[positive])
    n_val = max(2, math.ceil(validation_fraction * len(distinct)))
    if n_val >= len(distinct):
        raise ValueError(
            f"The validation set is too small: early_stopping needs a validation set of "
            f"{n_val} distinct samples and a training set of at least one, but the data "
            f"holds only {len(distinct)} distinct samples with positive weight "
            f"(n_samples={len(hashes)}). Increase 'validation_fraction' or the size of your "
            f"dataset, or set early_stopping=False."
        )
    return ~(positive & (hashes <= distinct[n_val - 1]))


def _stratified_hashes(hashes, positive, fraction, strata, strict):
    """The validation hashes of a stratified split: the smallest of each class."""
    labels = np.unique(strata[positive]).tolist()
    distinct = [np.unique(hashes[positive & (strata == label)]) for label in labels]
    too_few = [label for label, d in zip(labels, distinct) if len(d) < 2]
    if too_few and strict:
        raise ValueError(
            f"The least populated classes in y have only 1 member, which is too few. The "
            f"minimum number of groups for any class cannot be less than 2. Classes with too "
            f"few members are: {too_few}. (Early stopping holds out distinct samples of "
            f"positive weight of every class; n_samples={len(hashes)}. Add data or set "
            f"early_stopping=False.)"
        )
    sizes = np.array([len(d) for d in distinct])
    # scikit-learn's sizes: ceil(fraction * n) in all, shared in proportion to
    # the classes by largest remainder; here each class gives 1 to n_c - 1, and
    # a class of one sample (multiclass only) stays in training.
    total = max(2, math.ceil(fraction * sizes.sum()))
    share = total * sizes / sizes.sum()
    k = np.floor(share).astype(int)
    for i in np.argsort(-(share - k), kind="stable")[:total - k.sum()]:
        k[i] += 1
    k = np.minimum(np.maximum(k, 1), sizes - 1)
    if k.sum() < 2:
        raise ValueError(
            f"The validation set is too small: early_stopping needs 2 distinct samples to "
            f"validate on and one of each class to train on; the data holds {sizes.sum()} "
            f"(n_samples={len(hashes)}). Increase 'validation_fraction' or the size of your "
            f"dataset, or set early_stopping=False."
        )
    return np.concatenate([d[:n] for d, n in zip(distinct, k)])


def accuracy_of_scores(scores, y, sample_weight=None, multilabel=False):
    """Accuracy of raw network scores against encoded class targets.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_outputs) or (n_samples,)
        Raw scores, or (1-D) the predicted class indices.
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
    if scores.ndim == 1:  # class indices already (AccuracyOfScores.compact)
        return float(accuracy_score(y, scores, sample_weight=sample_weight))
    if scores.shape[1] > 1 and not multilabel:
        return float(accuracy_score(y, scores.argmax(axis=1), sample_weight=sample_weight))
    return float(accuracy_score(y.astype(int), (scores > 0).astype(int),
                                sample_weight=sample_weight))


class AccuracyOfScores(NamedTuple):
    """:func:`accuracy_of_scores` as a hold-out score that can be computed block by block.

    ``compact(scores)`` keeps what accuracy needs of a block of raw scores
    (the predicted class of each row, or the signs): the hold-out's scores of
    10^5 classes are never all in memory at once.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.validation import AccuracyOfScores
    >>> score = AccuracyOfScores()
    >>> scores = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    >>> score.compact(scores)
    array([0, 1])
    >>> score(score.compact(scores), np.array([0, 0])) == score(scores, np.array([0, 0]))
    True
    """

    multilabel: bool = False

    def __call__(self, scores, y, sample_weight=None):
        return accuracy_of_scores(scores, y, sample_weight, multilabel=self.multilabel)

    def compact(self, scores):
        """The predicted class indices (multiclass), or ``scores > 0`` (binary, multilabel)."""
        if scores.shape[1] > 1 and not self.multilabel:
            return scores.argmax(axis=1)
        return scores > 0


def r2_of_scores(scores, y, sample_weight=None, exp=False):
    """R² of raw network outputs (``exp`` of them with ``exp=True``) against targets.

    NaN when a prediction is not finite, as scikit-learn's MLP scores it, and
    when the score itself is not (predictions so large that the squared
    errors overflow): a diverging run records NaN, as MLP's does, never -inf.

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
    with np.errstate(over="ignore", invalid="ignore"):
        score = float(r2_score(y, scores, sample_weight=sample_weight))
    return score if math.isfinite(score) else math.nan
