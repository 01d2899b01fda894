"""What training records and returns: the typed history and the result of one call."""

import math
from dataclasses import asdict, dataclass, field, fields

__all__ = ["TrainingHistory", "TrainResult"]


@dataclass
class TrainingHistory:
    """Everything a model remembers of its training, across fits and partial_fits.

    The estimators' fitted attributes ``loss_curve_``, ``t_``, ``best_loss_``,
    ``validation_scores_``, ``validation_loss_curve_`` and
    ``best_validation_score_`` are views of this record.

    Attributes
    ----------
    n_epochs : int
        Epochs (or L-BFGS iterations) completed over the model's life.
    t : int
        Training samples seen (scikit-learn's ``t_``).
    loss_curve : list of float
        The training loss of every epoch.
    validation_scores, validation_loss_curve : list of float
        Score and loss on the held-out set after every epoch (early stopping).
    best_loss : float
        The lowest training loss so far.
    best_validation_score, best_validation_loss : float
        The best held-out score and loss so far.
    no_improvement : int
        Consecutive epochs without improvement by more than ``tol``.
    validated : bool
        Whether the last call held out a validation set (early stopping).

    Examples
    --------
    >>> from skbpnet._solvers.history import TrainingHistory
    >>> h = TrainingHistory()
    >>> h.loss_curve.append(0.5)
    >>> TrainingHistory.from_dict(h.to_dict()) == h
    True
    """

    n_epochs: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    best_validation_loss: float = math.inf
    no_improvement: int = 0
    validated: bool = False

    def to_dict(self):
        """A dict of plain values (lists copied)."""
        return {k: list(v) if isinstance(v, list) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values):
        """The inverse of :meth:`to_dict`, with every field checked for its type.

        Missing fields take their defaults (skbpnet 0.1.0 kept a plain dict
        without some of them); unknown keys and values of the wrong type raise
        ``ValueError``.
        """
        names = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(names)
        if unknown:
            raise ValueError(f"unknown history entries {sorted(unknown)}")
        out = cls()
        for key, value in values.items():
            _check_field(key, value, type(getattr(out, key)))
            setattr(out, key, list(value) if isinstance(value, list) else value)
        return out


def _check_field(key, value, kind):
    if kind is list:
        ok = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    elif kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if not ok:
        raise ValueError(f"history entry {key!r} has the invalid value {value!r}")


# Public as skbpnet.TrainingHistory: pickles, joblib and skops files name that path.
TrainingHistory.__module__ = "skbpnet"


@dataclass
class TrainResult:
    """How one call of a solver ended.

    Attributes
    ----------
    n_iter : int
        Epochs (iterations) completed and kept by this call.
    n_samples_seen : int
        ``t`` after this call.
    diverged : bool
        The loss became inf or nan; the parameters were rolled back.
    interrupted : bool
        A KeyboardInterrupt stopped training after at least one epoch.
    stopped : str or None
        Why training stopped before ``max_iter``: a message, ``'callback'``,
        ``'lbfgs'``, or None.
    start_loss : float
        The loss before this call (on a sample of the rows), or nan if not measured.

    Examples
    --------
    >>> from skbpnet._solvers.history import TrainResult
    >>> TrainResult(n_samples_seen=10).stopped is None
    True
    """

    n_iter: int = 0
    n_samples_seen: int = 0
    diverged: bool = False
    interrupted: bool = False
    stopped: str = None
    start_loss: float = math.nan
