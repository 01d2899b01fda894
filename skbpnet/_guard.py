"""Guards of the fit methods: one fit at a time per estimator, partial_fit only where it works.

Two threads fitting the same estimator would each commit half of a model
(the classes of one, the weights of the other). scikit-learn does not make
``fit`` thread-safe, and neither does skbpnet, but it detects the case
cheaply: :func:`fitting` marks an estimator as being fitted for the length
of a call, and a second ``fit`` or ``partial_fit`` of the same object
(from another thread, or from a callback of the first) is refused before it
touches anything. The marks live in this module, keyed by the object's
``id``, not on the estimator: ``__dict__`` holds no lock, so pickling,
cloning, ``deepcopy`` and ``get_params`` see nothing of it.

:class:`stochastic_only` makes ``partial_fit`` exist only for the stochastic
solvers without early stopping, as in scikit-learn.
"""

import contextlib
import functools
import threading
import types

from ._solvers.registry import SOLVERS, is_stochastic

__all__ = ["ConcurrentFitError", "fitting", "stochastic_only"]

_GUARD = threading.Lock()
_FITTING = set()  # id() of the estimators whose fit is running (alive while it runs)


class ConcurrentFitError(RuntimeError):
    """``fit`` or ``partial_fit`` was called on an estimator already being fitted.

    Examples
    --------
    >>> from skbpnet._guard import ConcurrentFitError
    >>> issubclass(ConcurrentFitError, RuntimeError)
    True
    """


@contextlib.contextmanager
def fitting(est, method="fit"):
    """Hold ``est`` as being fitted for the ``with`` block; refuse if it already is.

    Parameters
    ----------
    est : object
        The estimator.
    method : str, default='fit'
        The method called, for the message.

    Raises
    ------
    ConcurrentFitError
        When another fit of ``est`` is running; nothing of ``est`` is touched.

    Examples
    --------
    >>> from skbpnet._guard import fitting
    >>> est = object()
    >>> with fitting(est):
    ...     with fitting(est):
    ...         pass
    Traceback (most recent call last):
    ...
    skbpnet._guard.ConcurrentFitError: object.fit was called while another fit ...
    >>> with fitting(est):  # free again once the first call ended
    ...     pass
    """
    key = id(est)
    with _GUARD:
        busy = key in _FITTING
        _FITTING.add(key)
    if busy:
        name = type(est).__name__
        raise ConcurrentFitError(
            f"{name}.{method} was called while another fit or partial_fit of the same "
            f"{name} is running (in another thread, or from one of its callbacks); the two "
            f"would mix their models. Wait for the first call to end, or fit a copy "
            f"(sklearn.base.clone) in each thread.")
    try:
        yield est
    finally:
        with _GUARD:
            _FITTING.discard(key)


class _PartialFitRefused(AttributeError, ValueError):
    """partial_fit with early_stopping=True: scikit-learn's ValueError, and an AttributeError.

    A ValueError as MLPClassifier raises; an AttributeError too, so that
    ``hasattr(est, "partial_fit")`` is False while early stopping is on and
    tools that probe for partial_fit (scikit-learn's estimator checks) skip it.
    """


class stochastic_only:
    """Decorator of partial_fit: the method exists only where ``_check_partial_fit(est)`` passes.

    Like ``sklearn.utils.metaestimators.available_if``, but the error raised
    on access is ``_check_partial_fit``'s own: an AttributeError for lbfgs, and for
    early stopping one that is also scikit-learn's ValueError.
    """

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        _check_partial_fit(obj)
        return types.MethodType(self.fn, obj)


def _check_partial_fit(est):
    solver = est.solver
    if not (isinstance(solver, str) and solver in SOLVERS and is_stochastic(solver)):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; {est.solver!r} is not."
        )
    if est.early_stopping:  # scikit-learn's rule, after a fit with early stopping too
        raise _PartialFitRefused(
            "partial_fit does not support early_stopping=True: one epoch over a chunk has "
            "no hold-out to stop on. Call set_params(early_stopping=False) first.")
