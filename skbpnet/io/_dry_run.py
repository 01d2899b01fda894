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

__all__ = ["dry_input", "dry_run"]

_ENCODERS = ("OneHotEncoder", "OrdinalEncoder")


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
    skbpnet.io.errors.ModelFileError: scaler: a transform of one row of 3 columns fails (ValueError: ...)...

    """
    method = "predict" if hasattr(obj, "predict") else "transform"
    try:
        X = dry_input(obj)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(obj, method)(X)
        if getattr(out, "shape", (1,))[0] != 1:
            raise ValueError(f"{out.shape[0]} rows out for 1 row in")
    except Exception as exc:  # noqa: BLE001 - any failure is the file's
        width = getattr(X, "shape", (0, "?"))[1] if "X" in locals() else "?"
        raise ModelFileError(
            f"{where}: a {method} of one row of {width} columns fails "
            f"({type(exc).__name__}: {str(exc)[:300]}); the file's objects do not fit "
            f"together.") from None


def dry_input(obj):
    """A plausible one-row input of ``obj``'s declared width (a DataFrame where it was fitted
    on one).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> dry_input(OneHotEncoder().fit([["b", 1], ["a", 2]]))
    array([['a', 1]], dtype=object)
    """
    values = _values(obj)
    names = getattr(obj, "feature_names_in_", None)  # a Pipeline: its first step's
    if names is not None and len(names) == len(values):
        import pandas as pd

        return pd.DataFrame({name: [v] for name, v in zip(names, values)})
    if all(isinstance(v, (int, float)) for v in values):
        return np.asarray([values], dtype=float)
    out = np.empty((1, len(values)), dtype=object)
    out[0, :] = values
    return out


def _values(obj):
    """One row of plausible values (a list) for ``obj``'s input."""
    name = type(obj).__name__
    if name in _ENCODERS:
        return [c[0].item() if hasattr(c[0], "item") else c[0] for c in obj.categories_]
    if name == "Pipeline":
        steps = [s[1] for s in obj.steps if s[1] not in (None, "passthrough")]
        for i, step in enumerate(steps):  # an imputer keeps its columns: ask the encoder
            if type(step).__name__ in _ENCODERS and all(
                    type(s).__name__ == "SimpleImputer" and s.indicator_ is None
                    for s in steps[:i]):
                return _values(step)
        return _values(steps[0])
    if name == "SimpleImputer" and obj._fit_dtype.kind in "OUS":  # strings: its own fill
        return [v if isinstance(v, str) else "" for v in obj.statistics_.tolist()]
    if name == "TransformedTargetRegressor":
        return _values(obj.regressor_)
    if name == "ColumnTransformer":
        row = [0.0] * obj.n_features_in_
        for trans_name, trans, _ in obj.transformers_:
            if not isinstance(trans, str):
                for i, v in zip(obj._transformer_to_input_indices[trans_name], _values(trans)):
                    row[i] = v
        return row
    return [0.0] * obj.n_features_in_
