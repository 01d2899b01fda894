"""One synthetic row through a loaded object, so that a file that would break at the first
``predict`` is refused at load.

After each fitted attribute has passed its spec (:mod:`skbpnet.io.fitted_state`),
and so every width is bounded by what the file holds, the loaded object
predicts (or transforms) one row of its declared input width: float zeros,
the first category of each categorical encoder's feature. Any error is turned
into :class:`~skbpnet.io.errors.ModelFileError`. The row is one row wide, so the
cost is that of the widths the file already paid for.
"""

import warnings

import numpy as np

from .errors import ModelFileError
from .limits import FREE_WIDTH

__all__ = ["dry_input", "dry_run", "check_width", "stored_values"]

_ENCODERS = ("OneHotEncoder", "OrdinalEncoder")


def stored_values(node, arrays):
    """How many values a file holds: the JSON leaves of ``node`` and the arrays' elements.

    Examples
    --------
    >>> import numpy as np
    >>> stored_values({"a": [1, 2, {"b": None}]}, {"w": np.zeros((2, 3))})
    9
    """
    count, todo = sum(a.size for a in arrays.values()), [node]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
        else:
            count += 1
    return count


def check_width(obj, stored, where):
    """Refuse an input wider than :data:`FREE_WIDTH` and than the ``stored`` values.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import MissingIndicator
    >>> indicator = MissingIndicator().fit([[np.nan, 1.0]])
    >>> check_width(indicator, 4, "indicator")  # 2 columns: no error
    >>> indicator.n_features_in_ = indicator._n_features = 10**7
    >>> check_width(indicator, 4, "indicator")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    skbpnet.io.errors.ModelFileError: indicator: its input is 10000000 columns wide, but ...
    """
    width = _values(obj)[0]
    if width > max(FREE_WIDTH, stored):
        raise ModelFileError(
            f"{where}: its input is {width} columns wide, but the file holds only {stored} "
            f"values; a real model of that width stores at least one value per column.")


def dry_run(obj, where):
    """Predict (or transform) one synthetic row with ``obj``; refuse the file if that fails.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> scaler = StandardScaler().fit(np.eye(3))
    >>> dry_run(scaler, "scaler")  # works: no error
    >>> scaler.scale_ = scaler.scale_[:2]
    >>> dry_run(scaler, "scaler")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    skbpnet.io.errors.ModelFileError: scaler: a transform of one row of 3 columns fails ...
    """
    method = "predict" if hasattr(obj, "predict") else "transform"
    saved, X = [(o, dict(vars(o))) for o in _estimators(obj)], None
    try:
        X = dry_input(obj)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(obj, method)(X)
        if getattr(out, "shape", (1,))[0] != 1:
            raise ValueError(f"{out.shape[0]} rows out for 1 row in")
    except Exception as exc:  # noqa: BLE001 - any failure is the file's
        width = "?" if X is None else X.shape[1]
        raise ModelFileError(
            f"{where}: a {method} of one row of {width} columns fails "
            f"({type(exc).__name__}: {str(exc)[:300]}); the file's objects do not fit "
            f"together.") from None
    finally:  # as loaded: a transform may cache (a ColumnTransformer's pandas names)
        for o, attributes in saved:
            vars(o).clear()
            vars(o).update(attributes)


def _estimators(value):
    """Every estimator in ``value``: itself and those in its attributes, lists and dicts."""
    if hasattr(value, "get_params"):
        yield value
        value = list(vars(value).values())
    if type(value) in (list, tuple):
        for v in value:
            yield from _estimators(v)
    elif type(value) is dict:
        for v in value.values():
            yield from _estimators(v)


def dry_input(obj):
    """A plausible one-row input of ``obj``'s declared width (a DataFrame where it was fitted
    on one): zeros, but the first category in each column of a categorical encoder.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> dry_input(OneHotEncoder().fit([["b", 1], ["a", 2]]))
    array([['a', 1]], dtype=object)
    """
    n, special = _values(obj)
    names = getattr(obj, "feature_names_in_", None)  # a Pipeline: its first step's
    text = {i: v for i, v in special.items() if not isinstance(v, (int, float))}
    row = np.zeros((1, n), dtype=object if text and names is None else float)
    for i, v in special.items():
        if names is None or i not in text:
            row[0, i] = v
    if names is None or len(names) != n:
        return row
    import pandas as pd

    keep = np.ones(n, dtype=bool)
    keep[list(text)] = False
    frame = pd.DataFrame(row[:, keep], columns=names[keep])
    if not text:
        return frame
    strings = np.empty((1, len(text)), dtype=object)
    strings[0] = list(text.values())
    both = pd.concat([frame, pd.DataFrame(strings, columns=names[list(text)])], axis=1)
    return both[list(names)]


def _values(obj):
    """(width, {column: value}) of a plausible row for ``obj``: zeros but these values."""
    name = type(obj).__name__
    if name in _ENCODERS:
        return obj.n_features_in_, {i: c[0].item() if hasattr(c[0], "item") else c[0]
                                    for i, c in enumerate(obj.categories_)}
    if name == "SimpleImputer" and obj._fit_dtype.kind in "OUS":  # strings: its own fill
        return obj.n_features_in_, {i: v if isinstance(v, str) else "" for i, v in
                                    enumerate(obj.statistics_.tolist())}
    if name == "Pipeline":
        steps = [s[1] for s in obj.steps if s[1] not in (None, "passthrough")]
        for i, step in enumerate(steps):  # an imputer keeps its columns: ask the encoder
            if type(step).__name__ in _ENCODERS and all(
                    type(s).__name__ == "SimpleImputer" and s.indicator_ is None
                    for s in steps[:i]):
                return _values(steps[0])[0], _values(step)[1]
        return _values(steps[0])
    if name == "TransformedTargetRegressor":
        return _values(obj.regressor_)
    if name == "ColumnTransformer":
        special = {}
        for trans_name, trans, _ in obj.transformers_:
            columns = obj._transformer_to_input_indices[trans_name]
            if not isinstance(trans, str) and len(columns):  # an empty selection: unfitted
                special.update((columns[j], v) for j, v in _values(trans)[1].items())
        return obj.n_features_in_, special
    return obj.n_features_in_, {}
