"""The object schema: which parts of an estimator a model file holds, and how they come back.

Format version 2 (written since skbpnet 0.2) stores only what cannot be
recomputed: the hyperparameters, the fitted values the estimator declares
(``_FITTED_VALUES``), the training history, the network's architecture and
flat parameter vector, the optimizer's and the schedule's configuration
(``get_config()``) and state (``get_state()``), and the random generator: the
parts of :data:`PARTS`. The estimator's state is read and set only through its
protocol (``_fitted_fields()``, ``_get_fitted_state()``, ``_set_fitted_state()``).
Version 1 files (skbpnet 0.1) are read by :mod:`skbpnet.io._v1` into the same form.
"""

import math
import numbers
import sys
from typing import Callable, NamedTuple, Optional

import numpy as np
import sklearn

from .. import _version, nn
from .._estimators import BPNetClassifier, BPNetRegressor
from .._network import Architecture
from .._params import validate_params
from .._solvers import OPTIMIZERS, TrainingHistory
from . import limits
from .codec import Encoder, expect, native
from ._values import check_values
from .errors import ModelFileError, Unstorable

__all__ = ["FORMAT_VERSION", "Part", "PARTS", "HEADER", "dump", "build_parts",
           "decode_params", "assemble"]

FORMAT_VERSION = 2
ESTIMATORS = {"BPNetClassifier": BPNetClassifier, "BPNetRegressor": BPNetRegressor}
# OPTIMIZERS (the solvers' optimizer classes) and SCHEDULES: live views of the registries
SCHEDULES = nn.SCHEDULES.by_class_name()
# Left out on purpose: scikit-learn's pickling marker, which unpickling may leave behind.
IGNORED = ("_sklearn_version",)


class Part(NamedTuple):
    """How one stored part of a BPNet estimator is written and read back.

    ``dump(params, state, enc)`` returns the part's JSON node from the
    estimator's parameters and fitted state (``_get_fitted_state()``), its
    arrays added to ``enc``. ``load(node, decoder, built)`` returns the object,
    checked; ``built`` holds the parts read before it, the architecture
    (``(Architecture, n_outputs)``) and the history. ``load`` is None for the
    parts read with the hyperparameters (:func:`build_parts`, ``_v1.read_parts``).
    """

    dump: Callable
    load: Optional[Callable] = None


# The stored parts of a BPNet estimator, in the order load reads them (the
# network needs the generator, the optimizer the network): the one table of the
# keys of a ``$bpnet`` node and, with HEADER, of a version 2 file
# (``skbpnet.io.file_keys`` gives the keys of every format version).
PARTS = {
    "params": Part(lambda params, state, enc: {k: enc.encode(v, f"params.{k}")
                                               for k, v in params.items()}),
    "attributes": Part(lambda params, state, enc: {k: enc.encode(v, f"attr.{k}")
                                                   for k, v in state["values"].items()}),
    "history": Part(lambda params, state, enc: enc.encode(state["history"].to_dict(),
                                                          "history")),
    "rng": Part(lambda params, state, enc: enc.encode(state["rng"], "rng"),
                lambda node, decoder, built: load_rng(node, decoder)),
    "net": Part(lambda params, state, enc: _dump_net(state["net"], enc),
                lambda node, decoder, built: load_net(node, decoder, built)),
    "optimizer": Part(lambda params, state, enc: _dump_optimizer(state["optimizer"], enc),
                      lambda node, decoder, built: load_optimizer(node, decoder, built["net"])),
    "schedule": Part(lambda params, state, enc: _dump_object(state["schedule"], SCHEDULES,
                                                             "schedule", enc),
                     lambda node, decoder, built: load_object(SCHEDULES, node, decoder,
                                                              "schedule")),
}
HEADER = ("format", "format_version", "estimator", "versions", "arrays")


# -- saving ------------------------------------------------------------------------------
def dump(estimator):
    """Return (metadata body, arrays) for a fitted estimator; raises if it cannot be stored."""
    enc = Encoder()
    body = dump_body(estimator, enc)
    arrays = enc.arrays
    return {
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "versions": writer_versions(),
        **body,
        "arrays": array_table(arrays),
    }, arrays


def writer_versions():
    return {"skbpnet": _version.current(), "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "python": ".".join(map(str, sys.version_info[:3]))}


def array_table(arrays):
    return {n: {"dtype": a.dtype.str, "shape": list(a.shape)} for n, a in arrays.items()}


def dump_body(estimator, enc):
    """The stored parts of a fitted estimator (params ... rng), its arrays added to ``enc``."""
    cls, params = _check_storable(estimator)
    state = estimator._get_fitted_state()  # a model on a device is stored as NumPy
    _check_units(cls, state["net"])
    try:
        return {name: part.dump(params, state, enc) for name, part in PARTS.items()}
    except Unstorable as exc:
        raise ValueError(
            f"skbpnet.save cannot store this {cls.__name__}: {exc}. The safe format holds "
            f"only numbers, strings, lists, dicts and NumPy arrays; save it with joblib "
            f"instead, or change the value."
        ) from None


def _check_storable(estimator):
    cls = type(estimator)
    if ESTIMATORS.get(cls.__name__) is not cls:
        raise TypeError(
            f"skbpnet.save stores BPNetClassifier and BPNetRegressor estimators, and "
            f"Pipelines of them with an allowlist of scikit-learn transformers; got "
            f"{cls.__module__}.{cls.__qualname__}. Use skops (or joblib) for other objects."
        )
    if not estimator.__sklearn_is_fitted__():
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {cls.__name__} instance is not fitted yet, so there is nothing to save. "
            f"Call fit or partial_fit first."
        )
    params = estimator.get_params(deep=False)
    callbacks = params.get("callbacks")
    if callbacks is not None and not (type(callbacks) in (list, tuple) and len(callbacks) == 0):
        raise ValueError(
            f"This {cls.__name__} has callbacks={callbacks!r}. Callbacks are code, and "
            f"skbpnet's safe model format stores no code. Set them aside with "
            f"est.set_params(callbacks=None) before saving (and set them again after "
            f"loading), or save with joblib."
        )
    validate_params(estimator)  # never write a file that load would refuse
    _check_attributes(cls, vars(estimator), params)
    return cls, params


def _check_units(cls, net):
    """Refuse, before encoding any weight, a network wider than load accepts."""
    if type(net) is not nn.Sequential or not net.linear_layers():
        return  # refused by _dump_net
    linears = net.linear_layers()
    problem = limits.units_problem([m.n_in for m in linears] + [linears[-1].n_out])
    if problem is not None:
        raise ValueError(
            f"skbpnet.save cannot store this {cls.__name__}: its network has {problem}, so "
            f"skbpnet.load would refuse the file. Save it with joblib instead, or reduce the "
            f"number of features (or units).")


def _check_attributes(cls, state, params):
    fields = cls._fitted_fields()
    known = set(params) | set(fields["objects"]) | set(fields["values"])
    unknown = set(state) - known - set(fields["optional"]) - set(IGNORED)
    missing = set(fields["objects"]) | set(fields["values"])
    missing -= set(state)
    if "_metadata_request" in unknown:
        raise ValueError(
            f"This {cls.__name__} carries metadata routing requests (set by "
            f"set_fit_request or the like), which skbpnet's safe model format does not "
            f"store. Save it with joblib, or save a copy without them and set them again "
            f"after loading."
        )
    if unknown or missing:
        raise ValueError(
            f"skbpnet.save does not know how to store this {cls.__name__}: "
            + (f"unexpected attributes {sorted(unknown)}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing attributes {sorted(missing)}" if missing else "")
            + ". Was it fitted by another version of skbpnet, or changed by hand?"
        )


def _dump_net(net, enc):
    if type(net) is not nn.Sequential:
        raise Unstorable(f"the network is a {type(net).__qualname__}, not a Sequential")
    arch = Architecture.of(net)
    linears = net.linear_layers()
    return {
        "dtype": net.dtype.name,
        "architecture": {"hidden": list(arch.hidden), "activation": arch.activation,
                         "dropout": arch.dropout, "input_dropout": arch.input_dropout,
                         "n_outputs": linears[-1].n_out},
        "param_vector": enc.add_array("net.param_vector", net.param_vector.copy()),
    }


def _dump_object(obj, table, what, enc):
    name = type(obj).__name__
    if table.get(name) is not type(obj):
        raise Unstorable(f"the {what} is a {type(obj).__qualname__}, not a built-in one")
    return {"type": name, "settings": enc.encode(obj.get_config(), what)}


def _dump_optimizer(opt, enc):
    out = _dump_object(opt, OPTIMIZERS, "optimizer", enc)
    slots = opt.get_state()["slots"]
    if slots is not None:
        slots = [[enc.add_array(f"optimizer.state.{i}.{j}", a)
                  for j, a in enumerate(slot)] for i, slot in enumerate(slots)]
    out["state"] = slots
    return out


# -- loading -----------------------------------------------------------------------------
def build_parts(cls, meta, decoder):
    """Decode and check the hyperparameters and fitted values of a version 2 file.

    Returns (params, attributes, history).
    """
    params = decode_params(cls, meta["params"], decoder)
    attrs = expect(decoder.decode(expect(meta["attributes"], dict, "attributes"),
                                  "attributes"), dict, "attributes")
    check_attribute_names(cls, attrs)
    history = decoder.decode(expect(meta["history"], dict, "history"), "history")
    return params, attrs, history_from(history)


def decode_params(cls, node, decoder):
    """The hyperparameters, decoded; unknown names are refused."""
    params = expect(decoder.decode(expect(node, dict, "params"), "params"), dict, "params")
    unknown = set(params) - set(cls().get_params(deep=False))
    if unknown:
        raise ModelFileError(f"unknown parameters {sorted(unknown)} for {cls.__name__}.")
    return params


def check_attribute_names(cls, attrs):
    fields = cls._fitted_fields()
    required, optional = set(fields["values"]), set(fields["optional"])
    unknown, missing = set(attrs) - required - optional, required - set(attrs)
    if unknown or missing:
        raise ModelFileError(
            f"the fitted attributes do not match a {cls.__name__}"
            + (f"; unknown: {sorted(unknown)}" if unknown else "")
            + (f"; missing: {sorted(missing)}" if missing else "")
            + "."
        )
    for key, value in attrs.items():
        if isinstance(value, np.ndarray):
            attrs[key] = native(value)
    check_values(cls, attrs)


def history_from(values):
    try:
        return TrainingHistory.from_dict(values)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"history: {exc}.") from None


def architecture_from(meta, n_features):
    """(Architecture, n_outputs) of a version 2 ``net`` entry, checked before any allocation."""
    spec = expect(meta.get("architecture"), dict, "net.architecture")
    hidden, n_outputs = spec.get("hidden"), spec.get("n_outputs")
    sizes = [n_features, n_outputs, *(hidden if isinstance(hidden, list) else [None])]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in sizes):
        raise ModelFileError(f"net.architecture has invalid sizes: {spec!r}.")
    problem = limits.units_problem(sizes)
    if problem is not None:
        raise ModelFileError(f"net.architecture has {problem}.")
    activation = spec.get("activation")
    if activation not in (nn.ACTIVATIONS if hidden else (None,)):
        raise ModelFileError(f"net.architecture.activation {activation!r} is not valid.")
    rates = [spec.get("dropout"), spec.get("input_dropout")]
    if not all(isinstance(r, float) and 0.0 <= r < 1.0 for r in rates):
        raise ModelFileError(f"net.architecture has invalid dropout rates {rates!r}.")
    arch = Architecture(n_features, tuple(hidden), activation, *rates)
    return arch.normalized(), n_outputs


def load_rng(node, decoder):
    """The stored NumPy Generator (dropout's masks and shuffling continue from it)."""
    rng = decoder.decode(node, "rng")
    if type(rng) is not np.random.Generator:
        raise ModelFileError("rng is not a NumPy Generator.")
    return rng


def load_net(node, decoder, built):
    """The network of the recorded architecture with the stored parameters."""
    node = expect(node, dict, "net")
    pv = decoder.decode(node.get("param_vector"), "net.param_vector")
    return build_net(*built["architecture"], node.get("dtype"), pv, built["rng"])


def load_optimizer(node, decoder, net):
    """The optimizer of its stored type and settings, with its state slots."""
    node = expect(node, dict, "optimizer")
    opt = load_object(OPTIMIZERS, {k: v for k, v in node.items() if k != "state"},
                      decoder, "optimizer")
    return load_optimizer_state(opt, node, decoder, net)


def build_net(arch, n_outputs, dtype_name, pv, rng):
    """The network of ``arch`` with the stored parameters, via fit's own builder."""
    if dtype_name not in ("float32", "float64"):
        raise ModelFileError(f"net.dtype must be float32 or float64; got {dtype_name!r}.")
    sizes = [arch.n_features, *arch.hidden, n_outputs]
    n_params = sum(nn.Linear.n_params(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
    if not (isinstance(pv, np.ndarray) and pv.dtype == np.dtype(dtype_name)
            and pv.shape == (n_params,)):
        raise ModelFileError(
            f"net.param_vector must be {dtype_name} of shape ({n_params},) for the recorded "
            f"architecture; got {getattr(pv, 'dtype', type(pv))} of shape "
            f"{getattr(pv, 'shape', None)}."
        )
    if not np.isfinite(pv).all():
        raise ModelFileError("net.param_vector holds NaN or infinite weights.")
    net = arch.build(n_outputs, np.dtype(dtype_name), np.random.default_rng(0))
    net.param_vector[...] = native(pv)
    return net.use_rng(rng).eval()


def load_object(table, meta, decoder, where):
    """Build an optimizer or schedule from its stored type and ``get_config()``."""
    meta = expect(meta, dict, where)
    name = meta.get("type")
    if not (isinstance(name, str) and name in table):
        raise ModelFileError(f"{where}: unknown type {name!r}; expected one of {sorted(table)}.")
    cls = table[name]
    settings = expect(decoder.decode(expect(meta.get("settings"), dict, where),
                                     f"{where}.settings"), dict, where)
    try:
        obj = cls.from_config(settings)  # the constructor validates the values
    except KeyError as exc:
        raise ModelFileError(f"{where}: setting {exc} missing.") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: invalid settings ({exc}).") from None
    reference = obj.get_config()
    if set(settings) != set(reference):
        raise ModelFileError(f"{where}: the {name} settings {sorted(settings)} are not the "
                             f"expected {sorted(reference)}.")
    for key, value in settings.items():
        if not _same_kind(reference[key], value) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise ModelFileError(f"{where}.{key}: {value!r} is not a valid value.")
    return obj


def load_optimizer_state(opt, meta, decoder, net):
    """Set the stored state slots on ``opt``: one array per parameter group of ``net``."""
    slots = decoder.decode(meta.get("state"), "optimizer.state")
    if slots is not None:
        shapes = [tuple(p.shape) for p in net.param_groups()[0]]
        if not (isinstance(slots, list) and all(
            isinstance(s, list) and len(s) == len(shapes)
            and all(isinstance(a, np.ndarray) and a.dtype == net.dtype and a.shape == shape
                    and np.isfinite(a).all() for a, shape in zip(s, shapes))
            for s in slots
        )):
            raise ModelFileError(f"optimizer.state must hold, per state slot, a list of "
                                 f"finite {net.dtype} arrays of shapes {shapes}.")
        slots = [[native(a) for a in s] for s in slots]
    try:
        return opt.set_state({"n_steps": opt.n_steps, "slots": slots})  # copies the arrays
    except ValueError as exc:
        raise ModelFileError(f"optimizer.state: {exc}") from None


def _same_kind(reference, value):
    if isinstance(reference, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_))
    if isinstance(reference, numbers.Integral):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if isinstance(reference, numbers.Real):
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    return type(reference) is type(value)


def check_consistency(cls, attrs, net):
    """The fitted values agree with the network."""
    linears = net.linear_layers()
    n_in, n_out = linears[0].n_in, linears[-1].n_out
    if attrs["n_features_in_"] != n_in:
        raise ModelFileError("n_features_in_ does not match the network.")
    names = attrs.get("feature_names_in_")
    if names is not None and (not isinstance(names, np.ndarray) or names.shape != (n_in,)):
        raise ModelFileError("feature_names_in_ does not match n_features_in_.")
    if cls is BPNetClassifier:
        classes, multilabel = attrs["classes_"], attrs["_multilabel"]
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or not isinstance(
            multilabel, bool
        ):
            raise ModelFileError("classes_ must be a 1-D array and _multilabel a bool.")
        n = len(classes)
        # one class (fitted on a single label, as MLPClassifier allows) or two: one output
        ok = n == n_out if multilabel else (n_out == 1 and n <= 2) or (n == n_out > 2)
        if not ok:
            raise ModelFileError(f"{n} classes do not fit a network with {n_out} outputs.")


def assemble(cls, params, attrs, objects):
    """The estimator, built only once everything is read and checked."""
    est = cls()
    try:
        est.set_params(**params)
        validate_params(est)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"invalid parameters ({exc}).") from None
    return est._set_fitted_state({"values": attrs, **objects})
