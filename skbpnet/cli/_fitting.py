"""Fitting for the training commands: a thread limit, a timer, warnings as lines."""

import sys
import time
import warnings

from ._errors import TrainingError, option_names

__all__ = ["timed_fit"]


def timed_fit(model, X, y, threads):
    """Fit ``model`` under a BLAS thread limit; return the seconds.

    UserWarnings are silenced but for a :class:`~skbpnet.DivergenceWarning`,
    printed as a line ``skbpnet: warning: ...`` on stderr, in the command's
    option names; a ``ValueError`` of the fit becomes a
    :class:`~skbpnet.cli._errors.TrainingError` for the error boundary.

    Parameters
    ----------
    model : estimator
        What to fit.
    X, y : array-like
        Training data.
    threads : int or None
        BLAS threads (``None``: leave as is).

    Returns
    -------
    float
        Wall-clock seconds of the fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet import BPNetRegressor
    >>> from skbpnet.cli._fitting import timed_fit
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> timed_fit(BPNetRegressor(max_iter=2), X, X[:, 0], 1) > 0
    True
    """
    from threadpoolctl import threadpool_limits

    from .. import DivergenceWarning

    limits = threadpool_limits(threads) if threads else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore", category=UserWarning)
            warnings.simplefilter("always", category=DivergenceWarning)
            tic = time.perf_counter()
            try:
                model.fit(X, y)
            except ValueError as exc:  # the estimators' refusals, for the error boundary
                raise TrainingError(str(exc)) from exc
            seconds = time.perf_counter() - tic
    finally:
        if limits is not None:
            limits.unregister()
    for w in caught:  # training stopped early, or became unstable: say so, in option names
        if issubclass(w.category, DivergenceWarning):
            text = " ".join(option_names(str(w.message)).split())
            sys.stderr.write(f"skbpnet: warning: {text}\n")
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return seconds
