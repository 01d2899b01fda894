"""skbpnet: fast backpropagation networks for scikit-learn, on a NumPy core you can read.

Examples
--------
>>> import skbpnet
>>> sorted(skbpnet.__all__)[:2]
['BPNetClassifier', 'BPNetRegressor']
"""

from ._base import InconsistentSkbpnetVersionWarning
from ._estimators import BPNetClassifier, BPNetRegressor
from .io import ModelFileError, load, save
from ._solvers import DivergenceWarning, TrainingHistory
from ._version import __version__

__all__ = [
    "BPNetClassifier",
    "BPNetRegressor",
    "DivergenceWarning",
    "InconsistentSkbpnetVersionWarning",
    "ModelFileError", "load", "save",
    "TrainingHistory",
    "__version__",
]
