"""The solvers behind ``fit`` and ``partial_fit``: minibatch (SGD, Adam) and L-BFGS.

Both take a network, a loss and the data, update a
:class:`~skbpnet._solvers.history.TrainingHistory` in place and return a
:class:`~skbpnet._solvers.history.TrainResult`; neither knows the estimator.
"""

from .history import TrainingHistory, TrainResult
from .lbfgs import fit_lbfgs
from .registry import OPTIMIZERS, SOLVERS, Solver, is_stochastic
from .report import DivergenceWarning, report
from .stochastic import fit_stochastic

__all__ = ["TrainingHistory", "TrainResult", "fit_lbfgs", "fit_stochastic",
           "DivergenceWarning", "report", "Solver", "SOLVERS", "OPTIMIZERS", "is_stochastic"]
