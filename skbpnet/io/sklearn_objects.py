"""Pipelines and other allowlisted scikit-learn objects <-> JSON and named arrays.

An allowlisted object is stored as a tagged node::

    {"$sklearn": "StandardScaler", "params": {...}, "state": {...}}

``params`` is ``get_params(deep=False)`` and ``state`` the other entries of
its ``__dict__`` (the fitted attributes), both through the codec, so nested
estimators (the steps of a Pipeline, the transformers of a ColumnTransformer,
the regressor of a TransformedTargetRegressor) are nodes in turn. A BPNet
estimator inside is a ``{"$bpnet": "BPNetClassifier", ...}`` node holding the
same parts as a bare model file (only ``params`` when it is not fitted).

Classes are looked up by name in the fixed table :data:`ALLOWED`; nothing is
ever imported by a name read from a file. Loading builds ``cls(**params)``,
validates the parameters with scikit-learn's own checks, refuses state that
would shadow a method or property, sets the state and checks it against the
class's spec in :data:`skbpnet.io.fitted_state.SPECS` (type, shape, and the
relations to ``n_features_in_``, the categories and the parameters; every
width bounded). The loaded object then predicts one synthetic row
(:mod:`skbpnet.io._dry_run`), so a forged file whose parts do not fit together
is refused at load rather than at the first ``predict``. Saving applies the
same specs, so ``save`` never writes what ``load`` would refuse.

Code and machine settings are not stored: a BPNet estimator's ``callbacks``
must be None (or empty) and a file holding any is refused; a ColumnTransformer's
``n_jobs`` is stored as None (a loaded one runs in-process; set ``n_jobs``
again after loading), and a file holding another value is refused, since
``n_jobs=10**6`` would start that many worker processes at the first predict.
"""

from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler,
                                   OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler)

from .._smooth_clip import SmoothClipScaler
from . import limits
from ._build import build_estimator, check_callbacks
from ._dry_run import check_width, dry_run, stored_values
from .codec import Decoder, Encoder, expect
from .errors import ModelFileError, Unstorable
from .fitted_state import check_state, is_fitted
from .schema import (IGNORED, ESTIMATORS, PARTS, array_table, decode_params, dump_body,
                     writer_versions)

__all__ = ["ALLOWED", "ObjectEncoder", "ObjectDecoder", "is_allowed", "dump_tree", "load_tree"]

ALLOWED = {cls.__name__: cls for cls in (
    Pipeline, ColumnTransformer, TransformedTargetRegressor,
    StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler,
    OneHotEncoder, OrdinalEncoder, SimpleImputer, MissingIndicator,
    SmoothClipScaler,  # skbpnet.tabular's: the numeric and date columns of skbpnet train
)}
# The identity that a fitted ColumnTransformer puts in ``transformers_`` for
# 'passthrough' columns: a FunctionTransformer with no function, stored under its
# own name and only with exactly these parameters. Any other FunctionTransformer
# (a function is code) is refused.
PASSTHROUGH = "PassthroughTransformer"
_PASSTHROUGH_PARAMS = {"accept_sparse": True, "check_inverse": False,
                       "feature_names_out": "one-to-one", "func": None, "inv_kw_args": None,
                       "inverse_func": None, "kw_args": None, "validate": False}
_NAMED_LISTS = ("steps", "transformers", "transformers_")  # [(name, estimator, ...), ...]
# A Pipeline's memory caches fitted steps as pickles in a folder, which fit would load.
_MUST_BE_NONE = {"Pipeline": ("memory",)}
# Parallelism is a setting of the machine, not of the model (a forged n_jobs=10**6 would
# start that many processes): it is stored as None, and a file with another value is forged.
_NOT_STORED = {"ColumnTransformer": ("n_jobs",)}


def is_allowed(obj):
    """Whether ``obj`` is of a class that this module stores (exactly, not a subclass)."""
    return ALLOWED.get(type(obj).__name__) is type(obj) or _is_passthrough(obj)


def _is_passthrough(obj):
    return type(obj) is FunctionTransformer and obj.get_params(deep=False) == _PASSTHROUGH_PARAMS


def _refusal(obj, where):
    t = type(obj)
    return Unstorable(
        f"{where} is a {t.__module__}.{t.__qualname__}, which is not on the safe format's "
        f"allowlist (BPNetClassifier, BPNetRegressor, {', '.join(ALLOWED)}); a "
        f"FunctionTransformer or a class of your own may run code. Save this model with "
        f"skops (skops.io.dump), which asks you to trust each type when loading, or with joblib"
    )


class ObjectEncoder(Encoder):
    """An :class:`~skbpnet.io.codec.Encoder` that also stores allowlisted estimators."""

    def __init__(self):
        super().__init__()
        self.objects_deep = 0

    def _encode_more(self, v, where):
        from sklearn.base import BaseEstimator

        if ESTIMATORS.get(type(v).__name__) is type(v):
            return self._nested(self._bpnet, v, where)
        if is_allowed(v):
            return self._nested(self._sklearn, v, where)
        if isinstance(v, BaseEstimator):
            raise _refusal(v, where)
        try:
            return super()._encode_more(v, where)
        except Unstorable:
            if callable(v):  # a function, a method, a class
                raise _refusal(v, where) from None
            raise

    def _nested(self, method, v, where):
        if self.objects_deep >= limits.MAX_OBJECTS_DEEP:
            raise Unstorable(f"{where}: estimators are nested more than "
                             f"{limits.MAX_OBJECTS_DEEP} deep")
        self.objects_deep += 1
        try:
            return method(v, where)
        finally:
            self.objects_deep -= 1

    def _bpnet(self, est, where):
        name = type(est).__name__
        if not est.__sklearn_is_fitted__():  # not fitted: a parameter, like a regressor to clone
            params = est.get_params(deep=False)
            if params.get("callbacks"):
                raise Unstorable(f"{where} has callbacks, which are code; set them to None")
            return {"$bpnet": name, "params": self.encode(params, f"{where}.params")}
        prefix, self.prefix = self.prefix, f"{where}."
        try:
            body = dump_body(est, self)
        except ValueError as exc:
            raise Unstorable(f"{where}: {exc}") from None
        finally:
            self.prefix = prefix
        return {"$bpnet": name, **body}

    def _sklearn(self, obj, where):
        params = obj.get_params(deep=False)
        state = {k: v for k, v in vars(obj).items() if k not in params and k not in IGNORED}
        if "_metadata_request" in state:
            raise Unstorable(f"{where} carries metadata routing requests, which the safe "
                             f"format does not store")
        name = PASSTHROUGH if _is_passthrough(obj) else type(obj).__name__
        for key in _MUST_BE_NONE.get(name, ()):
            if params[key] is not None:
                raise Unstorable(f"{where} has {key}={params[key]!r}; the safe format stores "
                                 f"only {key}=None (its caches are pickles)")
        node = {"$sklearn": name, "params": self._fields(
            {**params, **dict.fromkeys(_NOT_STORED.get(name, ()))}, f"{where}"),
            "state": self._fields(state, f"{where}")}
        try:  # never write what load would refuse
            check_state(obj, name, state, where)
        except ModelFileError as exc:
            raise Unstorable(str(exc).rstrip(".")) from None
        return node

    def _fields(self, fields, where):
        out = {}
        for key, value in fields.items():
            if key in _NAMED_LISTS and type(value) is list:
                out[key] = [self._named(item, f"{where}.{key}", i) for i, item in
                            enumerate(value)]
            else:
                out[key] = self.encode(value, f"{where}.{key}")
        return out

    def _named(self, item, where, i):
        """One (name, estimator, ...) entry, with the step's name in every message."""
        if not (type(item) is tuple and item and type(item[0]) is str):
            return self.encode(item, f"{where}.{i}")
        here = f"{where}[{item[0]!r}]"
        return {"$tuple": [self.encode(x, here if j == 1 else f"{here}.{j}")
                           for j, x in enumerate(item)]}


class ObjectDecoder(Decoder):
    """A :class:`~skbpnet.io.codec.Decoder` that also builds ``$sklearn`` and ``$bpnet`` nodes."""

    def __init__(self, arrays):
        super().__init__(arrays)
        self.fitted_versions = []

    def _decode(self, node, where):
        if isinstance(node, dict) and "$sklearn" in node:
            return self._sklearn(node, where)
        if isinstance(node, dict) and "$bpnet" in node:
            return self._bpnet(node, where)
        # (name, estimator, ...) entries are named in paths, as when saving: steps['scale']
        if isinstance(node, list) and where.endswith(_ENTRY):
            here = where[:-len(_ENTRY)]
            return [self.decode(x, here if j == 1 else f"{here}.{j}") for j, x in
                    enumerate(node)]
        if isinstance(node, list) and where.rpartition(".")[2] in _NAMED_LISTS:
            return [self.decode(x, f"{where}[{x['$tuple'][0]!r}]" if _is_entry(x) else
                                f"{where}.{i}") for i, x in enumerate(node)]
        if _is_entry(node) and where.endswith("]"):
            return tuple(self.decode(node["$tuple"], where + _ENTRY))
        return super()._decode(node, where)

    def _fields(self, node, what, where):
        out = expect(self.decode(expect(node, dict, f"{where}.{what}"), where),
                     dict, f"{where}.{what}")
        if not all(type(k) is str for k in out):
            raise ModelFileError(f"{where}.{what}: the names must be strings.")
        return out

    def _sklearn(self, node, where):
        name = node["$sklearn"]
        if set(node) != {"$sklearn", "params", "state"}:
            raise ModelFileError(f"{where}: a $sklearn node holds $sklearn, params and state; "
                                 f"got {sorted(node)}.")
        cls = FunctionTransformer if name == PASSTHROUGH else (
            ALLOWED.get(name) if isinstance(name, str) else None)
        if cls is None:
            raise ModelFileError(
                f"{where}: {str(name)[:100]!r} is not on the safe format's allowlist "
                f"({', '.join(sorted(ALLOWED))}); nothing else is loaded.")
        params = self._fields(node["params"], "params", where)
        state = self._fields(node["state"], "state", where)
        if name == PASSTHROUGH and params != _PASSTHROUGH_PARAMS:
            raise ModelFileError(f"{where}: a {PASSTHROUGH} has fixed parameters.")
        for key in _MUST_BE_NONE.get(name, ()) + _NOT_STORED.get(name, ()):
            if params.get(key) is not None:
                raise ModelFileError(f"{where}: a {name} is stored with {key}=None; this file "
                                     f"has {key}={str(params[key])[:50]}.")
        return _build(cls, name, params, state, where)

    def _bpnet(self, node, where):
        name = node["$bpnet"]
        cls = ESTIMATORS.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ModelFileError(f"{where}: {str(name)[:100]!r} is not a BPNet estimator.")
        keys = set(node) - {"$bpnet"}
        if keys == {"params"}:  # not fitted
            params = decode_params(cls, node["params"], self)
            check_callbacks(params, f"{where}: params")
            est = cls()
            try:
                est.set_params(**params)
            except (TypeError, ValueError) as exc:
                raise ModelFileError(f"{where}: invalid parameters ({exc}).") from None
            return est
        if keys != set(PARTS):
            raise ModelFileError(f"{where}: a $bpnet node holds {sorted(PARTS)}; "
                                 f"got {sorted(keys)}.")
        try:
            est, fitted = build_estimator(cls, node, self)
        except ModelFileError as exc:
            raise ModelFileError(f"{where}: {exc}") from exc.__cause__
        self.fitted_versions.append(fitted)
        return est


_ENTRY = "#entry"  # marks the path of the list inside one named entry's $tuple


def _is_entry(node):
    return (isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$tuple"), list)
            and bool(node["$tuple"]) and isinstance(node["$tuple"][0], str))


def _build(cls, name, params, state, where):
    """``cls(**params)``, validated, with ``state`` set and checked against its spec; nothing
    that shadows the class."""
    known = cls._get_param_names()
    unknown = set(params) - set(known)
    if unknown:
        raise ModelFileError(f"{where}: unknown parameters {sorted(unknown)} for "
                             f"{cls.__name__}.")
    bad = sorted(k for k in state if k in known or k.startswith("__") or hasattr(cls, k))
    if bad:
        raise ModelFileError(f"{where}: the state of a {cls.__name__} cannot set {bad}.")
    try:
        obj = cls(**params)
        obj._validate_params()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: invalid parameters for {cls.__name__} "
                             f"({str(exc)[:300]}).") from None
    vars(obj).update(state)
    check_state(obj, name, state, where)
    return obj



# -- whole files -------------------------------------------------------------------------
TREE_VERSION = 3  # format version of a file holding a scikit-learn object
TREE_KEYS = {"format", "format_version", "estimator", "versions", "object", "arrays"}


def dump_tree(obj):
    """(metadata body, arrays) of a fitted allowlisted scikit-learn object."""
    from sklearn.utils.validation import check_is_fitted

    name = type(obj).__name__
    enc = ObjectEncoder()
    try:
        node = enc.encode(obj, name)  # save checks every limit; nesting first, since
        problem = limits.tree_problem(node)  # check_is_fitted's cost triples a level
        if problem is not None:
            raise Unstorable(problem)
        check_is_fitted(obj)  # NotFittedError passes through
        check_width(obj, stored_values(node, enc.arrays), name)
    except (Unstorable, ModelFileError) as exc:
        raise ValueError(f"skbpnet.save cannot store this {name}: {str(exc).rstrip('.')}.") \
            from None
    return {"format_version": TREE_VERSION, "estimator": name, "versions": writer_versions(),
            "object": node, "arrays": array_table(enc.arrays)}, enc.arrays


def load_tree(meta, arrays):
    """The object of a version 3 file and the skbpnet versions that fitted its networks."""
    if set(meta) != TREE_KEYS:
        raise ModelFileError(
            f"metadata.json has the entries {sorted(meta)}; expected {sorted(TREE_KEYS)}.")
    name, node = meta["estimator"], expect(meta["object"], dict, "object")
    if not (isinstance(name, str) and node.get("$sklearn") == name):
        raise ModelFileError(f"it says it holds a {str(name)[:100]!r}, but its object is "
                             f"{str(node.get('$sklearn'))[:100]!r}.")
    decoder = ObjectDecoder(arrays)
    obj = decoder.decode(node, name)
    if decoder.used != set(arrays):
        raise ModelFileError(f"arrays {sorted(set(arrays) - decoder.used)} are not used.")
    if not is_fitted(obj):
        raise ModelFileError(f"its {name} is not fitted.")
    check_width(obj, stored_values(node, arrays), name)
    dry_run(obj, name)
    return obj, decoder.fitted_versions
