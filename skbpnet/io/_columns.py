"""A loaded ColumnTransformer's column selections, checked against its input and each other.

scikit-learn resolves the column selections when fitting and keeps them in
five places (``transformers``, ``_columns``, ``transformers_``, ``_remainder``
and ``_transformer_to_input_indices``); ``transform`` reads some of them for
an array and others for a DataFrame. A forged file could make them disagree,
select columns that the input does not have, or put code (a class, a
function) where a selection belongs, so every selection must be a list, an
array or a slice of the input's columns, and all of them must resolve to the
same column indices.
"""

import numpy as np

__all__ = ["check_column_transformer", "resolve"]


def check_column_transformer(ct):
    """The problem with a ColumnTransformer's column selections, or None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import StandardScaler
    >>> ct = ColumnTransformer([("a", StandardScaler(), [0])]).fit(np.eye(3))
    >>> check_column_transformer(ct) is None
    True
    >>> ct.transformers_[0] = ("a", ct.transformers_[0][1], [0, 1, 2, 3])
    >>> check_column_transformer(ct)
    "transformers_['a'] selects column 3, but the input has 3 columns"
    """
    entries = ct.transformers
    if not (type(entries) is list and all(type(e) is tuple and len(e) == 3 and type(e[0]) is str
                                          for e in entries)):
        return "transformers must be a list of (name, transformer, columns)"
    for name, trans, columns in entries:
        if not (type(trans) is str and trans in ("drop", "passthrough")
                or hasattr(trans, "get_params")):
            return f"transformers[{name!r}] must be an estimator, 'drop' or 'passthrough'"
        problem = _selection_type(columns, _drops(trans))
        if problem:
            return f"transformers[{name!r}] {problem}"
    if "transformers_" not in vars(ct):
        return None
    n, names = ct.n_features_in_, vars(ct).get("feature_names_in_")
    indices = ct._transformer_to_input_indices
    if not (type(indices) is dict and all(type(k) is str and type(v) is list for k, v in
                                          indices.items())):
        return "_transformer_to_input_indices must map names to lists of columns"
    for name, v in indices.items():
        problem = _same(v, name, n, names, indices, "_transformer_to_input_indices")
        if problem:
            return problem
    return (_check_columns(ct, n, names, indices) or _check_fitted(ct, n, names, indices)
            or _check_outputs(ct))


def _check_columns(ct, n, names, indices):
    if not (type(ct._columns) is list and len(ct._columns) == len(ct.transformers)):
        return f"_columns must hold one selection per transformer ({len(ct.transformers)})"
    for (name, trans, _), columns in zip(ct.transformers, ct._columns):
        problem = _same(columns, name, n, names, indices, "_columns", _drops(trans))
        if problem:
            return problem
    rem = ct._remainder
    if not (type(rem) is tuple and len(rem) == 3 and rem[0] == "remainder"
            and type(rem[1]) is type(ct.remainder)
            and (type(rem[1]) is not str or rem[1] == ct.remainder)):
        return "_remainder must be ('remainder', the remainder parameter, columns)"
    used = {i for name, _, _ in ct.transformers for i in indices.get(name, ())}
    if indices.get("remainder") != [i for i in range(n) if i not in used]:
        return "the remainder's columns must be those no transformer selects"
    return _same(rem[2], "remainder", n, names, indices, "_remainder")


def _check_fitted(ct, n, names, indices):
    fitted = ct.transformers_
    allowed = {e[0] for e in ct.transformers} | {"remainder"}
    if not (type(fitted) is list and all(type(e) is tuple and len(e) == 3 and e[0] in allowed
                                         for e in fitted)
            and len({e[0] for e in fitted}) == len(fitted)):
        return "transformers_ must be a list of (name, fitted transformer, columns) " \
               "named as in transformers"
    for name, trans, columns in fitted:
        problem = _same(columns, name, n, names, indices, "transformers_", _drops(trans))
        if problem:
            return problem
        if _drops(trans) or not indices[name]:
            continue  # scikit-learn leaves the transformer of an empty selection unfitted
        try:
            width = trans.n_features_in_
        except AttributeError:
            return f"transformers_[{name!r}] is not a fitted transformer"
        if width != len(indices[name]):
            return (f"transformers_[{name!r}] takes {width} columns, but its selection "
                    f"has {len(indices[name])}")
    return None


def _check_outputs(ct):
    out = ct.output_indices_
    names = [e[0] for e in ct.transformers] + ["remainder"]
    if not (type(out) is dict and sorted(out) == sorted(names) and all(
            type(s) is slice and type(s.start) is int and type(s.stop) is int
            and s.step is None and 0 <= s.start <= s.stop for s in out.values())):
        return "output_indices_ must map each transformer to a slice of the output"
    if not (ct.sparse_output_ is False or ct.sparse_output_ is True):
        return "sparse_output_ must be True or False"
    weights = ct.transformer_weights
    if weights is not None and not all(type(k) is str and type(w) in (int, float)
                                       for k, w in weights.items()):
        return "transformer_weights must map names to numbers"
    return None


def _drops(trans):
    return type(trans) is str and trans == "drop"


def _selection_type(columns, scalar=False):
    """The problem with the type of a selection, or None; a single column (a name or an
    index, which selects a 1-D column) only where ``scalar`` (its columns are dropped)."""
    if scalar and type(columns) in (str, int):
        return None
    if type(columns) is list and all(type(c) is str for c in columns):
        return None
    if type(columns) is list and all(type(c) is int for c in columns):
        return None
    if type(columns) is slice and all(x is None or type(x) in (int, str)
                                      for x in (columns.start, columns.stop)) \
            and columns.step in (None, 1):
        return None
    if type(columns) is np.ndarray and columns.ndim == 1 and columns.dtype.kind in "biuUO":
        return None
    return (f"must select columns with a list, an array or a slice; got a "
            f"{type(columns).__name__}")


def _same(columns, name, n, names, indices, field, scalar=False):
    """The problem with ``columns`` (one selection of ``field``), or None if it resolves to
    ``indices[name]``."""
    where = f"{field}[{name!r}]"
    problem = _selection_type(columns, scalar)
    if problem:
        return f"{where} {problem}"
    resolved = resolve(columns, n, names)
    if isinstance(resolved, str):
        return f"{where} {resolved}"
    if name not in indices or resolved != indices[name]:
        return f"{where} does not select the columns of _transformer_to_input_indices"
    return None


def resolve(columns, n, names):
    """The column indices that a valid selection type picks from ``n`` columns called ``names``
    (None when unnamed), or a str saying what is wrong.

    Examples
    --------
    >>> import numpy as np
    >>> names = np.array(["a", "b", "c"], dtype=object)
    >>> resolve(["c", "a"], 3, names), resolve(slice("b", "c"), 3, names), resolve([-1], 3, None)
    ([2, 0], [1, 2], [2])
    >>> resolve([0, 3], 3, None)
    'selects column 3, but the input has 3 columns'
    """
    if type(columns) is slice:
        if any(type(x) is str for x in (columns.start, columns.stop)):
            start, stop = (_position(x, names) if type(x) is str else x
                           for x in (columns.start, columns.stop))
            if isinstance(start, str) or isinstance(stop, str):
                return start if isinstance(start, str) else stop
            columns = slice(start, None if stop is None else stop + 1)
        return list(range(n))[columns]
    if type(columns) is np.ndarray and columns.dtype.kind == "b":
        if len(columns) != n:
            return f"is a mask of {len(columns)} columns, but the input has {n}"
        return np.flatnonzero(columns).tolist()
    out = []
    if type(columns) in (str, int):
        columns = [columns]
    for c in (columns.tolist() if type(columns) is np.ndarray else columns):
        i = _position(c, names) if type(c) is str else c
        if isinstance(i, str):
            return i
        if not (type(i) is int and -n <= i < n):
            return f"selects column {c!r}, but the input has {n} columns"
        out.append(i % n)
    return out


def _position(label, names):
    if names is None:
        return f"selects column {label!r} by name, but the input has no column names"
    hits = np.flatnonzero(names == label)
    return int(hits[0]) if len(hits) else f"selects column {label!r}, which the input lacks"
