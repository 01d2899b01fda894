"""The checks of a BPNet estimator's stored fitted values: each has its type and range.

A stored field declared by the estimator (``_FITTED_VALUES``,
``_FITTED_OPTIONAL``) gets its check here, before any value sizes anything.
"""

import numpy as np

from .._estimators import BPNetClassifier
from . import limits
from .errors import ModelFileError

__all__ = ["check_values"]


def _is_int(v, low, high):
    return type(v) is int and low <= v < high


def check_values(cls, attrs):
    """Each fitted value has its type and range (before any of them sizes anything).

    Examples
    --------
    >>> from skbpnet import BPNetRegressor
    >>> from skbpnet.io._values import check_values
    >>> values = {"_skbpnet_version": "0.2.0", "_dropout_seed": 7, "n_iter_": 3,
    ...           "n_features_in_": 0}
    >>> check_values(BPNetRegressor, values)
    Traceback (most recent call last):
    ...
    skbpnet.io.errors.ModelFileError: invalid fitted values: n_features_in_=0.
    """
    checks = {"_skbpnet_version": isinstance(attrs["_skbpnet_version"], str),
              "_dropout_seed": _is_int(attrs["_dropout_seed"], 0, 2**31),
              "n_iter_": _is_int(attrs["n_iter_"], 0, 2**63),
              "n_features_in_": _is_int(attrs["n_features_in_"], 1, limits.MAX_UNITS + 1)}
    names = attrs.get("feature_names_in_")
    if names is not None:
        checks["feature_names_in_"] = (isinstance(names, np.ndarray) and names.ndim == 1
                                       and all(type(x) is str for x in names))
    if cls is BPNetClassifier:
        checks["_multilabel"] = type(attrs["_multilabel"]) is bool
        checks["classes_"] = _valid_classes(attrs["classes_"])
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise ModelFileError("invalid fitted values: " + ", ".join(
            f"{k}={attrs[k]!r}"[:200] for k in bad) + ".")


def _valid_classes(classes):
    """A 1-D array of numbers, booleans or strings, strictly increasing (np.unique's)."""
    if not (isinstance(classes, np.ndarray) and classes.ndim == 1 and classes.size >= 1
            and classes.dtype.kind in "biufSUO"):
        return False
    if classes.dtype.kind == "O":  # labels given as objects: strings or numbers, one type
        items = list(classes)
        if len({type(x) for x in items}) != 1 or not isinstance(items[0], (str, int, float)):
            return False
        try:
            return all(a < b for a, b in zip(items, items[1:])) and all(x == x for x in items)
        except TypeError:
            return False
    if classes.dtype.kind == "f" and not np.isfinite(classes).all():
        return False
    return bool((classes[1:] > classes[:-1]).all())
