"""The fitted state of each allowlisted scikit-learn class, checked against one spec per class.

A forged file can be checksum-valid, so a loaded transformer's state is never
trusted: :data:`SPECS` says, for every allowlisted class, which fitted
attributes it must have and, for each, its type, NumPy dtype kind, number of
dimensions and length (in terms of ``n_features_in_``, the categories or the
parameters). :func:`check_state` applies the spec to a built object; the
cross-checks that one attribute cannot express (a OneHotEncoder's output
widths against its categories, a ColumnTransformer's column selections
against its input) are the spec's ``relations``. Every width is bounded by
:data:`MAX_WIDTH`, and every width that sizes an output is tied to arrays
the file actually holds, before anything is run (see
:mod:`skbpnet.io._dry_run` for the one-row dry run that follows).

Adding a class to the allowlist (``sklearn_objects.ALLOWED``) means adding one
entry to :data:`SPECS`: a :class:`Spec` of its fitted attributes, each an
:class:`Array`, a :class:`Scalar`, a :class:`Fitted` estimator, an
:class:`Either` of two, or a :class:`Custom` check, plus any relations between
them (a test fails while a class on the allowlist has no spec).
"""

from collections import namedtuple

import numpy as np

from ._columns import check_column_transformer
from .errors import ModelFileError
from .limits import MAX_WIDTH
from .schema import ESTIMATORS

__all__ = ["SPECS", "Spec", "check_state", "is_fitted"]

N = "n_features_in_"  # a length equal to the object's n_features_in_

Array = namedtuple("Array", "kinds length none_when", defaults=(N, None))
Array.__doc__ = """An ndarray of one of the dtype ``kinds``, 1-D of ``length`` (``N``, an int
or None for any); None allowed when the parameter named ``none_when`` is false."""
Scalar = namedtuple("Scalar", "types low high", defaults=(0, MAX_WIDTH))
Scalar.__doc__ = """A number of ``types`` ("int", "real" or "bool"), low <= value <= high."""
Fitted = namedtuple("Fitted", "classes none_when", defaults=(None, None))
Fitted.__doc__ = """A fitted allowlisted estimator (of one of the class names ``classes``, or
any); None allowed when the parameter named ``none_when`` is false."""
Either = namedtuple("Either", "first second")
Custom = namedtuple("Custom", "check")  # check(obj, value) -> a problem or None
Spec = namedtuple("Spec", "required optional relations", defaults=({}, ()))
Spec.__doc__ = """The fitted attributes of one class.

Parameters
----------
required, optional : dict
    Attribute name -> :class:`Array`, :class:`Scalar`, :class:`Fitted`,
    :class:`Either` or :class:`Custom`. A fitted object must have every required
    attribute, may have the optional ones, and nothing else but
    ``feature_names_in_``, the ``set_output`` configuration and plain data of
    the user's own (public names).
relations : tuple of callables
    ``check(obj) -> str or None``: the problem with attributes taken together,
    run after each attribute has passed its own spec.

Examples
--------
>>> import numpy as np
>>> from sklearn.preprocessing import MaxAbsScaler
>>> SPECS["MaxAbsScaler"].required["max_abs_"]
Array(kinds='f', length='n_features_in_', none_when=None)
>>> scaler = MaxAbsScaler().fit(np.eye(2))
>>> scaler.max_abs_ = np.ones(5)
>>> check_state(scaler, "MaxAbsScaler", {"max_abs_": scaler.max_abs_}, "m")
Traceback (most recent call last):
...
skbpnet.io.errors.ModelFileError: m (MaxAbsScaler): the state does not match a fitted \
MaxAbsScaler of this scikit-learn; missing: ['n_features_in_', 'n_samples_seen_', 'scale_'].
>>> check_state(scaler, "MaxAbsScaler", {k: v for k, v in vars(scaler).items()
...                                      if k.endswith("_")}, "m")
Traceback (most recent call last):
...
skbpnet.io.errors.ModelFileError: m (MaxAbsScaler).max_abs_: must be an array of 2 numbers \
(dtype kind f), not an array of dtype float64 and shape (5,).
"""


def _names(obj, v):
    if not (type(v) is np.ndarray and v.ndim == 1 and len(v) == obj.n_features_in_
            and all(type(x) is str for x in v)):
        return f"must be {obj.n_features_in_} column names"


def _output_config(obj, v):
    if not (type(v) is dict and set(v) <= {"transform"}
            and v.get("transform", "default") in ("default", "pandas", "polars")):
        return "must be {'transform': 'default', 'pandas' or 'polars'}"


def _dtype(obj, v):
    if not isinstance(v, np.dtype) or v.kind not in "biufcOUS":
        return "must be a NumPy dtype"


def _categories(obj, v):
    if not (type(v) is list and len(v) == obj.n_features_in_):
        return f"must be a list of {obj.n_features_in_} arrays"
    for c in v:
        if not (type(c) is np.ndarray and c.ndim == 1 and len(c) and c.dtype.kind in "biufOU"):
            return "must hold one 1-D array of numbers or strings per feature"
    if sum(map(len, v)) > MAX_WIDTH:
        return f"holds more than {MAX_WIDTH} categories"
    if isinstance(obj.categories, str) and not all(map(_sorted, v)):  # "auto": np.unique's
        return ("must be sorted without repeats, as fitting makes them (unsorted categories "
                "would encode silently wrong)")


def _sorted(c):
    """Whether categories are unique and sorted, a missing value (None or NaN) last."""
    values = c.tolist()
    if values and (values[-1] is None or values[-1] != values[-1]):
        values = values[:-1]
    try:
        return all(isinstance(a, str) == isinstance(b, str) and a < b
                   for a, b in zip(values, values[1:]))
    except TypeError:
        return False


def _per_feature(obj, v):
    """None, or a list of None or 1-D int arrays indexing each feature's categories."""
    if v is None:
        return None
    if not (type(v) in (list, np.ndarray) and len(v) == obj.n_features_in_):
        return f"must hold one entry per feature ({obj.n_features_in_})"
    for x, cats in zip(v, obj.categories_):
        if x is None:
            continue
        x = np.asarray(x) if type(x) is not np.ndarray else x
        if not (x.dtype.kind in "iu" and x.ndim <= 1 and x.size <= len(cats)
                and ((x >= 0) & (x < len(cats))).all()):
            return "must index each feature's categories"


def _missing_indices(obj, v):
    if not (type(v) is dict and all(_is_int(k) and 0 <= k < obj.n_features_in_ and _is_int(i)
                                     and 0 <= i < len(obj.categories_[k]) for k, i in v.items())):
        return "must map features to indices of their categories"


def _n_features_outs(obj):
    """sklearn's OneHotEncoder._compute_n_features_outs, from the stored categories."""
    expected = []
    infrequent = obj.__dict__.get("_infrequent_indices") if obj._infrequent_enabled else None
    drop = obj._drop_idx_after_grouping
    for i, cats in enumerate(obj.categories_):
        k = len(cats)
        if infrequent is not None and infrequent[i] is not None:
            k -= len(infrequent[i]) - 1
        if drop is not None and drop[i] is not None:
            k -= 1
        expected.append(k)
    v = obj._n_features_outs
    if not (type(v) is list and [int(x) if _is_int(x) else x for x in v] == expected):
        return (f"_n_features_outs must be the output widths {expected[:20]} of the categories"
                if len(expected) <= 20 else "_n_features_outs must be the output widths of the "
                "categories")


def _mappings(obj, v):
    """None or, per feature, an int array mapping each category to its output column."""
    if not (type(v) is list and len(v) == obj.n_features_in_ and all(
            x is None or (type(x) is np.ndarray and x.dtype.kind in "iu" and x.shape == c.shape
                          and ((0 <= x) & (x < len(c))).all())
            for x, c in zip(v, obj.categories_))):
        return "must map each feature's categories to their output columns"


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _infrequent_attributes(obj):
    if obj._infrequent_enabled and not {"_infrequent_indices",
                                        "_default_to_infrequent_mappings"} <= set(vars(obj)):
        return "_infrequent_enabled is set but the infrequent categories are missing"


def _features(obj):
    f = obj.features_
    if not (f.size <= obj.n_features_in_ and ((f >= 0) & (f < obj.n_features_in_)).all()):
        return f"features_ must index the {obj.n_features_in_} input features"
    if obj._n_features != obj.n_features_in_:
        return "_n_features must be n_features_in_"


def _pipeline_steps(obj):
    if not all(type(s) is tuple and len(s) == 2 and type(s[0]) is str
               and (_skipped(s[1]) or hasattr(s[1], "get_params")) for s in obj.steps):
        return "steps must be (name, estimator or 'passthrough') pairs"
    steps = [s[1] for s in obj.steps if not _skipped(s[1])]
    if len({is_fitted(s) for s in steps}) > 1:
        return "steps mix fitted and unfitted estimators"


def _smooth_clip_widths(obj):
    """A SmoothClipScaler's outputs: 1 per column, or 6 date parts with ``dates``."""
    width = obj.n_features_in_ * (6 if obj.dates is True else 1)
    if obj.dates not in (True, False):
        return f"dates must be True or False, not {obj.dates!r}"
    if len(obj.center_) != width or len(obj.scale_) != width:
        return (f"center_ and scale_ must hold {width} values each, not "
                f"{len(obj.center_)} and {len(obj.scale_)}")
    if not (np.all(np.isfinite(obj.center_)) and np.all(obj.scale_ > 0)):
        return "center_ must be finite and scale_ positive"
    return None


_WIDTH = Scalar("int", 1, MAX_WIDTH)
_IN_RELATION = Custom(lambda obj, v: None)  # checked together, by the class's relation
_COMMON = {"feature_names_in_": Custom(_names), "_sklearn_output_config": Custom(_output_config)}
_ENCODER = {"n_features_in_": _WIDTH, "_infrequent_enabled": Scalar("bool"),
            "categories_": Custom(_categories)}
_INFREQUENT = {"_infrequent_indices": Custom(_per_feature),
               "_default_to_infrequent_mappings": Custom(_mappings)}
_UNFITTED = {"_sklearn_output_config"}  # what set_output gives an unfitted estimator
_ALWAYS_RELATED = ("Pipeline", "ColumnTransformer")  # their parameters hold estimators
_SCALED = ("scale_", "min_", "data_min_", "data_max_", "data_range_")

SPECS = {
    "StandardScaler": Spec({
        "n_features_in_": _WIDTH,
        "n_samples_seen_": Either(Scalar("real", 0, 2**63), Array("iuf")),
        "mean_": Array("f", N, "with_mean"), "var_": Array("f", N, "with_std"),
        "scale_": Array("f", N, "with_std")}),
    "MinMaxScaler": Spec({"n_features_in_": _WIDTH, "n_samples_seen_": Scalar("int", 0, 2**63),
                          **{k: Array("f") for k in _SCALED}}),
    "MaxAbsScaler": Spec({"n_features_in_": _WIDTH, "n_samples_seen_": Scalar("int", 0, 2**63),
                          "max_abs_": Array("f"), "scale_": Array("f")}),
    "RobustScaler": Spec({"n_features_in_": _WIDTH, "center_": Array("f", N, "with_centering"),
                          "scale_": Array("f", N, "with_scaling")}),
    "OneHotEncoder": Spec({
        **_ENCODER, "drop_idx_": Custom(_per_feature),
        "_drop_idx_after_grouping": Custom(_per_feature), "_n_features_outs": _IN_RELATION},
        _INFREQUENT, (_infrequent_attributes, _n_features_outs)),
    "OrdinalEncoder": Spec({**_ENCODER, "_missing_indices": Custom(_missing_indices)},
                           _INFREQUENT, (_infrequent_attributes,)),
    "SimpleImputer": Spec({
        "n_features_in_": _WIDTH, "_fit_dtype": Custom(_dtype), "_fill_dtype": Custom(_dtype),
        "indicator_": Fitted(("MissingIndicator",), "add_indicator"),
        "statistics_": Array("biufOU")}),
    "MissingIndicator": Spec({
        "n_features_in_": _WIDTH, "_precomputed": Scalar("bool"),
        "_n_features": Scalar("int", 1, MAX_WIDTH), "features_": Array("iu", None)}, {},
        (_features,)),
    "PassthroughTransformer": Spec({"n_features_in_": _WIDTH}),
    "Pipeline": Spec({}, {}, (_pipeline_steps,)),
    "ColumnTransformer": Spec({
        "n_features_in_": _WIDTH, "sparse_output_": Scalar("bool"),
        **{k: _IN_RELATION for k in ("_columns", "_transformer_to_input_indices", "_remainder",
                                     "output_indices_", "transformers_")}},
        {"_transformers_feature_names_out": Array("OU", None)},  # after a pandas output
        (check_column_transformer,)),
    "SmoothClipScaler": Spec({"n_features_in_": _WIDTH, "center_": Array("f", None),
                              "scale_": Array("f", None)}, {}, (_smooth_clip_widths,)),
    "TransformedTargetRegressor": Spec({
        "_training_dim": Scalar("int", 1, 2), "transformer_": Fitted(), "regressor_": Fitted()}),
}


def _skipped(step):
    return step is None or type(step) is str and step == "passthrough"


def is_fitted(obj):
    """Whether a built estimator holds fitted state (a Pipeline: its steps do).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> is_fitted(StandardScaler()), is_fitted(StandardScaler().fit([[0.0], [1.0]]))
    (False, True)
    """
    if not hasattr(obj, "get_params"):
        return False
    if type(obj).__name__ in ESTIMATORS:
        return "_net" in vars(obj)
    if type(obj).__name__ == "Pipeline":
        steps = obj.steps if type(obj.steps) is list else []
        return bool(steps) and all(type(s) is tuple and len(s) == 2 and (
            _skipped(s[1]) or is_fitted(s[1])) for s in steps)
    return any(k.endswith("_") and not k.startswith("__") for k in vars(obj))


def check_state(obj, name, state, where):
    """Refuse fitted ``state`` that does not match ``SPECS[name]``.

    Parameters
    ----------
    obj : estimator
        The built object: its parameters set, ``state`` in its ``__dict__``.
        Without fitted attributes (none ending in ``_``) it is an unfitted
        template (a ColumnTransformer's ``transformers``, a
        TransformedTargetRegressor's ``regressor``), which may hold only its
        ``set_output`` configuration and is checked only by the relations of a
        Pipeline or a ColumnTransformer (its column selections).
    name : str
        The key of its spec: the class name, or ``"PassthroughTransformer"``.
    state : dict
        The attributes that are not parameters.
    where : str
        Where the object is in the file, for the message.

    Raises
    ------
    ModelFileError
        Naming the object, its class and the attribute, and what it must be.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> scaler = StandardScaler().fit(np.eye(3))
    >>> state = {k: v for k, v in vars(scaler).items() if k.endswith("_")}
    >>> check_state(scaler, "StandardScaler", state, "scaler")  # valid: no error
    >>> scaler.mean_ = state["mean_"] = "abc"
    >>> check_state(scaler, "StandardScaler", state, "scaler")
    Traceback (most recent call last):
    ...
    skbpnet.io.errors.ModelFileError: scaler (StandardScaler).mean_: must be an \
array of 3 numbers (dtype kind f), not a str.
    """
    spec, where = SPECS[name], f"{where} ({name})"
    fields = {**spec.required, **spec.optional, **_COMMON}
    public = {k for k, v in state.items() if not k.startswith("_") and k not in fields
              and _plain(v)}  # plain values of the user's own, such as target_name_
    fitted = name != "Pipeline" and is_fitted(obj)  # a Pipeline's state is its steps'
    unknown = sorted(set(state) - public - (set(fields) if fitted else _UNFITTED))
    missing = sorted(set(spec.required) - set(state)) if fitted else []
    if unknown or missing:
        raise ModelFileError(
            f"{where}: the state does not match {'a fitted' if fitted else 'an unfitted'} "
            f"{name} of this scikit-learn"
            + (f"; unknown: {unknown[:10]}" if unknown else "")
            + (f"; missing: {missing}" if missing else "") + ".")
    for key in (k for k in dict.fromkeys([N, *fields]) if k in state):  # the width first
        problem = _check_field(obj, fields[key], state[key])
        if problem:
            raise ModelFileError(f"{where}.{key}: {problem}.")
    for relation in spec.relations if fitted or name in _ALWAYS_RELATED else ():
        problem = relation(obj)
        if problem:
            raise ModelFileError(f"{where}: {problem}.")


def _plain(v):
    """Data that no scikit-learn code reads: no estimator, nothing callable."""
    if _inert(v) or isinstance(v, np.generic) or (
            type(v) is np.ndarray and v.dtype.kind in "biufcUS"):
        return True
    if type(v) in (list, tuple):
        return all(map(_plain, v))
    return type(v) is dict and all(_plain(k) and _plain(x) for k, x in v.items())


def _inert(v):
    return v is None or type(v) in (str, int, float, bool)


def _check_field(obj, spec, v):
    """The problem with one fitted value, or None."""
    if isinstance(spec, Either):
        first, second = (_check_field(obj, s, v) for s in spec)
        return first and second and f"{first}; or {second.removeprefix('must be ')}"
    if isinstance(spec, Custom):
        return spec.check(obj, v)
    if isinstance(spec, Fitted):
        if v is None and spec.none_when and not getattr(obj, spec.none_when):
            return None
        if not (hasattr(v, "get_params") and is_fitted(v)):
            return f"must be a fitted estimator, not {_described(v)}"
        if spec.classes and type(v).__name__ not in spec.classes:
            return f"must be a fitted {' or '.join(spec.classes)}, not {_described(v)}"
        return None
    if isinstance(spec, Scalar):
        return _check_scalar(obj, spec, v)
    if v is None and spec.none_when is not None and not getattr(obj, spec.none_when):
        return None
    n = obj.n_features_in_ if spec.length == N else spec.length
    if not (type(v) is np.ndarray and v.ndim == 1 and v.dtype.kind in spec.kinds
            and (n is None and v.size <= MAX_WIDTH or v.size == n)):
        return (f"must be an array of {'up to' if n is None else n} "
                f"{'numbers' if set(spec.kinds) <= set('biuf') else 'values'} "
                f"(dtype kind {spec.kinds}), not {_described(v)}")
    return None


def _check_scalar(obj, spec, v):
    high = spec.high
    if spec.types == "bool":
        ok = isinstance(v, (bool, np.bool_))
    elif spec.types == "int":
        ok = _is_int(v) and spec.low <= v <= high
    else:
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_)) and spec.low <= v <= high
    if not ok:
        what = "True or False" if spec.types == "bool" else (
            f"{'an integer' if spec.types == 'int' else 'a number'} from {spec.low} to {high}")
        return f"must be {what}, not {_described(v)}"
    return None


def _described(v):
    if type(v) is np.ndarray:
        return f"an array of dtype {v.dtype} and shape {v.shape}"
    return f"a {type(v).__name__}" if not _inert(v) or isinstance(v, str) else repr(v)[:40]
