"""How a training call that did not end normally is reported: warnings and errors."""

import warnings

from sklearn.exceptions import ConvergenceWarning

__all__ = ["DivergenceWarning", "report"]


class DivergenceWarning(UserWarning):
    """The training loss became inf or nan; training stopped at the last finite epoch.

    Examples
    --------
    >>> from skbpnet import DivergenceWarning
    >>> issubclass(DivergenceWarning, UserWarning)
    True
    """


def report(result, *, name, params, continuing, incremental):
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

    Raises
    ------
    ValueError
        When the loss diverged before any epoch of a new model finished.
    """
    if result.diverged:
        advice = (
            f"The training loss of {name} became inf or nan. Lower learning_rate_init "
            f"(now {params['learning_rate_init']}), scale the features (for example with "
            f"StandardScaler), or raise alpha."
        )
        if result.n_iter == 0 and not continuing:
            raise ValueError(advice + " No epoch finished with a finite loss, so the "
                             "estimator was left unchanged.")
        kept = ("the state it had before this call" if result.n_iter == 0
                else f"the weights of epoch {result.n_iter}, the last finite one")
        warnings.warn(f"{advice} Training stopped; the model keeps {kept}.",
                      DivergenceWarning, stacklevel=5)
    elif (not incremental and params["solver"] != "lbfgs" and result.stopped is None
          and not result.interrupted and result.n_iter == params["max_iter"]):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({params['max_iter']}) reached and "
            f"the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
