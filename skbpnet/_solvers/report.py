"""How a training call that did not end normally is reported: warnings and errors."""

import math
import warnings

from sklearn.exceptions import ConvergenceWarning

from ..nn import SCHEDULES
from .registry import is_stochastic

__all__ = ["DivergenceWarning", "report"]

# scikit-learn's MLP raises this when its weights become inf or nan.
MLP_NONFINITE = ("Solver produced non-finite parameter weights. The input data may contain "
                 "large values and need to be preprocessed.")


class DivergenceWarning(UserWarning):
    """The training loss became inf or nan; training stopped at the last finite epoch.

    Examples
    --------
    >>> from skbpnet import DivergenceWarning
    >>> issubclass(DivergenceWarning, UserWarning)
    True
    """


# A call that ends with a loss this many times the loss it started from has
# failed as surely as one that diverged to inf.
EXPLOSION_FACTOR = 10.0


def report(result, *, name, params, continuing, incremental, final_loss=math.nan):
    """Warn about (or refuse) the outcome of one solver call.

    Parameters
    ----------
    result : TrainResult
    name : str
        The estimator's class name, for the messages.
    params : dict
        The estimator's hyperparameters.
    continuing, incremental : bool
        Whether the call continued a fitted model, and whether it was partial_fit.
    final_loss : float
        The training loss of the last epoch kept.

    Raises
    ------
    ValueError
        When the loss diverged before any epoch of a new model finished.
    """
    advice = (f"Lower learning_rate_init (now {params['learning_rate_init']}), scale the "
              f"features (for example with StandardScaler), or raise alpha.")
    if not result.diverged and result.n_iter and final_loss > EXPLOSION_FACTOR * result.start_loss > 0:
        warnings.warn(
            f"The training loss of {name} rose from {result.start_loss:.4g} before this call "
            f"to {final_loss:.4g}: training is unstable. {advice}",
            DivergenceWarning, stacklevel=5)
    if result.diverged:
        advice = f"The training loss of {name} became inf or nan. {advice}"
        if result.n_iter == 0 and not continuing:
            # MLP's sentences first, word for word: the text its users search for.
            raise ValueError(f"{MLP_NONFINITE} {advice} No epoch finished with a finite "
                             "loss, so the estimator was left unchanged.")
        kept = ("the state it had before this call" if result.n_iter == 0
                else f"the weights of epoch {result.n_iter}, the last finite one")
        warnings.warn(f"{advice} Training stopped; the model keeps {kept}.",
                      DivergenceWarning, stacklevel=5)
    elif (not incremental and is_stochastic(params["solver"]) and result.stopped is None
          and not SCHEDULES[params["learning_rate"]].planned  # a planned schedule, run out
          and not result.interrupted and result.n_iter == params["max_iter"]):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({params['max_iter']}) reached and "
            f"the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
