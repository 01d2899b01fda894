"""The estimators' optimizer and schedule: made from hyperparameters, or continued.

A continued fit (``warm_start`` or ``partial_fit``) keeps the optimizer's
state (velocities, moments) while the solver stays the same, and takes any
setting changed since the last fit; a new solver starts fresh. A schedule
continues while its settings stay the same; a cosine schedule that has run
its course restarts (SGDR).
"""

from . import nn
from ._solvers.registry import SOLVERS

__all__ = ["make_optimizer", "make_schedule", "continue_optimizer", "continue_schedule"]


def make_optimizer(params):
    """A new optimizer for the hyperparameters ``params`` (``get_params()``).

    Examples
    --------
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet._factories import make_optimizer
    >>> make_optimizer(BPNetClassifier(solver="sgd").get_params())
    SGD(learning_rate=0.001, momentum=0.9, nesterov=True)
    """
    return SOLVERS[params["solver"]].make_optimizer(params)


def make_schedule(params):
    """A new learning-rate schedule for the hyperparameters ``params``.

    Examples
    --------
    >>> from skbpnet import BPNetRegressor
    >>> from skbpnet._factories import make_schedule
    >>> make_schedule(BPNetRegressor(learning_rate="cosine", max_iter=5).get_params())
    CosineLR(learning_rate_init=0.001)
    """
    cls = nn.SCHEDULES[params["learning_rate"]]
    return cls(*(params[name] for name in cls.from_params))


def continue_optimizer(opt, params):
    """The optimizer to continue with: ``opt`` with today's settings, or a fresh one.

    Examples
    --------
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet._factories import continue_optimizer, make_optimizer
    >>> old = make_optimizer(BPNetClassifier(solver="sgd").get_params())
    >>> new = continue_optimizer(old, BPNetClassifier(solver="sgd", momentum=0.5).get_params())
    >>> new is old, new.momentum
    (True, 0.5)
    """
    fresh = make_optimizer(params)
    if type(fresh) is not type(opt):
        return fresh
    opt.adopt_settings(fresh)
    return opt


def continue_schedule(schedule, params, new_call=False):
    """The schedule to continue with: ``schedule`` if its settings are unchanged.

    ``new_call`` is True for a warm-started ``fit`` (not ``partial_fit``): the
    schedules of scikit-learn ('constant', 'invscaling', 'adaptive') then
    start again from ``learning_rate_init``, as MLPClassifier's new optimizer
    does on every fit, while ``t_`` keeps counting (the first epoch's rate is
    ``learning_rate_init``, the next ones ``learning_rate_init / (t_ + 1) **
    power_t``).

    Examples
    --------
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet._factories import continue_schedule, make_schedule
    >>> params = BPNetClassifier().get_params()
    >>> old = make_schedule(params)
    >>> continue_schedule(old, params) is old
    True
    """
    fresh = make_schedule(params)
    if new_call and not fresh.planned:
        return fresh
    same = type(fresh) is type(schedule) and fresh.settings() == schedule.settings()
    if same and isinstance(schedule, nn.CosineLR) and schedule.epochs_done >= schedule.total_epochs:  # noqa: E501
        return fresh  # a cosine schedule that has run its course restarts (SGDR)
    return schedule if same else fresh
