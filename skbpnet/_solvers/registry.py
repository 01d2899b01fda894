"""The solvers by name: what the estimators' ``solver`` parameter can be.

An entry says whether the solver is stochastic (epochs of minibatch steps by
:func:`~skbpnet._solvers.stochastic.fit_stochastic`, ``partial_fit``,
callbacks, dropout, max-norm) or fits the whole batch at once with its own
``fit``, and which optimizer it steps with, built from which hyperparameters.
The optimizer class owns its state: the model files store its
``get_config()`` and state, and find the class through :data:`OPTIMIZERS`.
Validation, the factories, the estimators, the end-of-fit report and the
command read this table; a new solver is one :meth:`SOLVERS.register` call.
"""

import operator
from typing import Callable, NamedTuple

from .. import nn
from .lbfgs import fit_lbfgs

__all__ = ["Solver", "SOLVERS", "OPTIMIZERS", "is_stochastic"]


class Solver(NamedTuple):
    """One solver: its optimizer, and how it trains.

    Attributes
    ----------
    optimizer : type
        A :class:`skbpnet.nn.Optimizer` subclass with ``get_config``/``from_config``.
    settings : dict
        Constructor argument of ``optimizer`` -> the estimator's hyperparameter.
    stochastic : bool, default=True
        Minibatch epochs (and ``partial_fit``); False: ``fit`` takes every row at once.
    fit : callable, default=None
        For a solver that is not stochastic: ``fit(net, loss, X, y, sample_weight,
        history, params=...) -> TrainResult``, on NumPy arrays.

    Examples
    --------
    >>> from skbpnet._solvers.registry import SOLVERS
    >>> SOLVERS["sgd"].optimizer.__name__, SOLVERS["lbfgs"].stochastic
    ('SGD', False)
    """

    optimizer: type
    settings: dict
    stochastic: bool = True
    fit: Callable = None

    @property
    def state_slots(self):
        """Arrays of the parameters' size its optimizer keeps while training (0: none steps).

        Examples
        --------
        >>> from skbpnet._solvers.registry import SOLVERS
        >>> SOLVERS["adam"].state_slots, SOLVERS["sgd"].state_slots, SOLVERS["lbfgs"].state_slots
        (2, 1, 0)
        """
        return self.optimizer._n_slots if self.stochastic else 0

    def make_optimizer(self, params):
        """A new optimizer from the estimator's hyperparameters ``params``.

        Examples
        --------
        >>> from skbpnet import BPNetClassifier
        >>> from skbpnet._solvers.registry import SOLVERS
        >>> SOLVERS["adam"].make_optimizer(BPNetClassifier().get_params())
        Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08)
        """
        return self.optimizer(**{arg: params[name] for arg, name in self.settings.items()})


SOLVERS = nn.Registry("solver", classes=operator.attrgetter("optimizer"))
"""Solver name -> :class:`Solver`."""

OPTIMIZERS = SOLVERS.by_class_name()
"""Optimizer class name -> class, of every registered solver (what model files name)."""

_SGD = {"learning_rate": "learning_rate_init", "momentum": "momentum",
        "nesterov": "nesterovs_momentum"}
_ADAM = {"learning_rate": "learning_rate_init", "beta_1": "beta_1", "beta_2": "beta_2",
         "epsilon": "epsilon"}
SOLVERS.register("sgd", Solver(nn.SGD, _SGD))
SOLVERS.register("adam", Solver(nn.Adam, _ADAM))
# L-BFGS never steps an optimizer, but keeps an Adam one, as model files always
# stored: a warm start with solver='adam' continues it.
SOLVERS.register("lbfgs", Solver(nn.Adam, _ADAM, stochastic=False, fit=fit_lbfgs))


def is_stochastic(solver):
    """Whether the solver named ``solver`` trains in minibatch epochs.

    Examples
    --------
    >>> from skbpnet._solvers.registry import is_stochastic
    >>> is_stochastic("sgd"), is_stochastic("lbfgs")
    (True, False)
    """
    return SOLVERS[solver].stochastic
