"""Model files in skbpnet's safe format: arrays and JSON, nothing that can run code.

``pickle`` and ``joblib`` files can run any code when loaded, so they must
only ever be loaded from a trusted source. :func:`save` writes a fitted
:class:`~skbpnet.BPNetClassifier` or :class:`~skbpnet.BPNetRegressor` to a
file that holds only data, and :func:`load` reads it back without unpickling
anything and without importing anything named in the file.

The format
----------
A model file is a ZIP archive (uncompressed, with fixed timestamps, so the
same model always gives the same bytes) holding

``metadata.json``
    UTF-8 JSON: the format name (``"skbpnet-model"``) and version, the
    estimator's class name, the versions of skbpnet, NumPy, scikit-learn and
    Python that wrote the file, the hyperparameters (``get_params()``), every
    fitted attribute, the network's architecture, the optimizer's and the
    learning-rate schedule's type and settings, the state of the random
    generator, a table of the arrays (dtype and shape) and ``sha256``, the
    checksum described below.
``<name>.npy``
    One ``.npy`` file per array: the network's flat parameter vector
    (``net.param_vector``), the optimizer's state (``optimizer.state.<slot>.<part>``:
    SGD's velocities, Adam's two moments), and any array among the fitted
    attributes or parameters (``classes_`` of a numeric or NumPy string dtype,
    for example). They are read with ``allow_pickle=False``: object arrays are
    refused.

Values that JSON cannot hold exactly are written as one-key objects whose key
starts with ``$``: ``{"$float": "inf"}``, ``{"$tuple": [...]}``,
``{"$scalar": ["<f4", 0.5]}`` (a NumPy scalar and its dtype),
``{"$dict": [[key, value], ...]}`` (a dict with keys other than strings),
``{"$array": "name"}`` (an array of the archive), ``{"$objects": [...]}`` (a
1-D object array of strings or numbers, such as ``feature_names_in_``),
``{"$Generator": state}`` and ``{"$RandomState": state}`` (NumPy random
generators, rebuilt from a fixed list of bit generators). Loading rebuilds
exactly the Python and NumPy types that were saved, so a loaded model predicts
bitwise identically and continues training (``warm_start=True`` or
``partial_fit``) exactly as the saved one would have.

The checksum is the SHA-256 of, for every array in name order, its name,
dtype, shape and bytes, followed by the metadata without the ``sha256`` entry,
serialised as compact JSON with sorted keys. It detects damaged and truncated
files; it is not a signature (whoever can write the file can recompute it).

Callbacks are code, and the format stores no code: an estimator whose
``callbacks`` parameter is set cannot be saved; set it to ``None`` first
(``est.set_params(callbacks=None)``), and set it again after loading.
"""

import hashlib
import io
import json
import math
import numbers
import os
import re
import sys
import warnings
import zipfile

import numpy as np
import sklearn
from sklearn.exceptions import NotFittedError

from . import nn
from ._atomic import write_atomic
from ._base import InconsistentSkbpnetVersionWarning
from ._estimators import BPNetClassifier, BPNetRegressor
from ._params import validate_params
from ._version import __version__

__all__ = ["ModelFileError", "save", "load"]

FORMAT_NAME = "skbpnet-model"
FORMAT_VERSION = 1
_METADATA = "metadata.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same model, the same bytes

# The only classes a model file can make: looked up by name in these tables,
# never imported from a name in the file.
_ESTIMATORS = {"BPNetClassifier": BPNetClassifier, "BPNetRegressor": BPNetRegressor}
_ACTIVATIONS = {cls.__name__: cls for cls in nn.ACTIVATIONS.values()}
_LAYERS = {"Linear": nn.Linear, "Dropout": nn.Dropout, **_ACTIVATIONS}
# name -> (class, build from the stored settings); the builders validate the
# settings through the constructors. An optimizer's current learning rate may
# have been annealed to 0, which its constructor refuses: it is set afterwards.
_OPTIMIZERS = {
    "SGD": (nn.SGD, lambda s: nn.SGD(1.0, s["momentum"], s["nesterov"])),
    "Adam": (nn.Adam, lambda s: nn.Adam(1.0, s["beta_1"], s["beta_2"], s["epsilon"])),
}
_SCHEDULES = {
    "ConstantLR": (nn.ConstantLR, lambda s: nn.ConstantLR(s["learning_rate_init"])),
    "AdaptiveLR": (nn.AdaptiveLR, lambda s: nn.AdaptiveLR(s["learning_rate_init"])),
    "InvScalingLR": (nn.InvScalingLR,
                     lambda s: nn.InvScalingLR(s["learning_rate_init"], s["power_t"])),
    "CosineLR": (nn.CosineLR, lambda s: nn.CosineLR(s["learning_rate_init"], s["total_epochs"],
                                                     s["eta_min"])),
}
_LOSSES = {
    cls.__name__: (cls, lambda s, cls=cls: cls())
    for cls in (nn.MSELoss, nn.SoftmaxCrossEntropyLoss, nn.SigmoidBinaryCrossEntropyLoss)
}
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

# Fitted state: the objects stored by their own rules, then the attributes
# stored as plain values.
_OBJECTS = ("_net", "_optimizer", "_schedule", "_loss_fn", "_rng")
_FITTED = (
    "_arch", "_skbpnet_version", "_dropout_seed", "_history", "n_features_in_",
    "n_outputs_", "n_layers_", "out_activation_", "n_iter_", "t_", "loss_curve_", "loss_",
    "best_loss_", "validation_scores_", "validation_loss_curve_", "best_validation_score_",
)
_FITTED_CLASSIFIER = ("_multilabel", "classes_")
_FITTED_OPTIONAL = ("feature_names_in_",)
# Left out on purpose: scikit-learn's pickling marker, which unpickling may leave behind.
_IGNORED = ("_sklearn_version",)

_ARRAY_KINDS = "biufcSU"  # dtypes a .npy member may have: no objects, no structures
_SCALAR_KINDS = "biufU"  # dtypes of a "$scalar"
_OBJECT_ITEM_TYPES = (type(None), bool, int, float, str, np.generic)


class ModelFileError(ValueError):
    """A file is not a valid skbpnet model file: damaged, truncated, foreign or unsafe.

    Raised by :func:`load`, which then returns nothing. A subclass of
    ``ValueError``.

    Examples
    --------
    >>> import os, tempfile
    >>> import skbpnet
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     with open(path, "wb") as fh:
    ...         _ = fh.write(b"not a model")
    ...     try:
    ...         skbpnet.load(path)
    ...     except skbpnet.ModelFileError as exc:
    ...         print("refused:", type(exc).__name__)
    refused: ModelFileError
    """


class _Unstorable(ValueError):
    pass


# -- values <-> JSON and arrays -------------------------------------------------------
def _array_name(where, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", where).strip(".") or "array"
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}.{i}"
    return name


class _Encoder:
    """Turn plain values, NumPy arrays and scalars and NumPy random generators into JSON.

    Arrays go to ``self.arrays`` and are referenced by name. Anything else
    raises ``_Unstorable``.
    """

    def __init__(self):
        self.arrays = {}

    def add_array(self, name, a):
        name = _array_name(name, self.arrays)
        self.arrays[name] = a
        return {"$array": name}

    def encode(self, v, where):
        t = type(v)
        if v is None or t is bool or t is int or t is str:
            return v
        if t is float:
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, np.generic):
            if v.dtype.kind not in _SCALAR_KINDS:
                raise _Unstorable(f"{where}: NumPy scalars of dtype {v.dtype} cannot be stored")
            return {"$scalar": [v.dtype.str, self.encode(v.item(), where)]}
        if t is list:
            return [self.encode(x, f"{where}.{i}") for i, x in enumerate(v)]
        if t is tuple:
            return {"$tuple": [self.encode(x, f"{where}.{i}") for i, x in enumerate(v)]}
        if t is dict:
            if all(type(k) is str and not k.startswith("$") for k in v):
                return {k: self.encode(x, f"{where}.{k}") for k, x in v.items()}
            return {"$dict": [[self.encode(k, f"{where}.key"), self.encode(x, f"{where}.{i}")]
                              for i, (k, x) in enumerate(v.items())]}
        if t is np.ndarray:
            if v.dtype.kind in _ARRAY_KINDS and not v.dtype.hasobject and v.dtype.names is None:
                return self.add_array(where, np.array(v, copy=True))
            if v.dtype == object and v.ndim == 1 and all(
                isinstance(x, _OBJECT_ITEM_TYPES) for x in v
            ):
                return {"$objects": [self.encode(x, f"{where}.{i}") for i, x in enumerate(v)]}
            raise _Unstorable(
                f"{where}: arrays of dtype {v.dtype} (shape {v.shape}) cannot be stored; "
                f"object arrays may hold only strings and numbers, in one dimension"
            )
        if t is np.random.Generator:
            bg = v.bit_generator
            if type(bg) not in _BIT_GENERATORS.values():
                raise _Unstorable(
                    f"{where}: a Generator over {type(bg).__name__} cannot be stored"
                )
            return {"$Generator": self.encode(bg.state, where)}
        if t is np.random.RandomState:
            return {"$RandomState": self.encode(v.get_state(legacy=False), where)}
        raise _Unstorable(f"{where}: a {t.__module__}.{t.__qualname__} cannot be stored")


class _Decoder:
    """The inverse of :class:`_Encoder`; every array must be referenced exactly once."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.used = set()

    def array(self, name, where):
        if not isinstance(name, str) or name not in self.arrays:
            raise ModelFileError(f"{where} refers to an array {name!r} the file does not hold.")
        if name in self.used:
            raise ModelFileError(f"{where} refers to the array {name!r} a second time.")
        self.used.add(name)
        return self.arrays[name]

    def decode(self, node, where):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(x, f"{where}.{i}") for i, x in enumerate(node)]
        if not isinstance(node, dict):  # pragma: no cover - json gives nothing else
            raise ModelFileError(f"{where}: unexpected JSON value {node!r}.")
        tags = [k for k in node if k.startswith("$")]
        if not tags:
            return {k: self.decode(x, f"{where}.{k}") for k, x in node.items()}
        if len(node) != 1:
            raise ModelFileError(f"{where}: a tagged value must have one key; got {sorted(node)}.")
        tag, body = tags[0], node[tags[0]]
        if tag == "$float":
            if body not in ("inf", "-inf", "nan"):
                raise ModelFileError(f"{where}: bad $float {body!r}.")
            return float(body)
        if tag == "$scalar":
            return self._scalar(body, where)
        if tag == "$tuple":
            return tuple(self.decode(_expect(body, list, where), where))
        if tag == "$dict":
            out = {}
            for pair in _expect(body, list, where):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ModelFileError(f"{where}: $dict entries must be [key, value] pairs.")
                key = self.decode(pair[0], f"{where}.key")
                try:
                    out[key] = self.decode(pair[1], f"{where}.{key}")
                except TypeError:
                    raise ModelFileError(f"{where}: unhashable dict key {key!r}.") from None
            return out
        if tag == "$array":
            return self.array(body, where)
        if tag == "$objects":
            body = _expect(body, list, where)
            items = [self.decode(x, f"{where}.{i}") for i, x in enumerate(body)]
            if not all(isinstance(x, _OBJECT_ITEM_TYPES) for x in items):
                raise ModelFileError(f"{where}: $objects may hold only strings and numbers.")
            out = np.empty(len(items), dtype=object)
            out[:] = items
            return out
        if tag == "$Generator":
            return _make_generator(self.decode(body, where), where)
        if tag == "$RandomState":
            state = self.decode(body, where)
            rs = np.random.RandomState()
            try:
                if not (isinstance(state, dict) and state.get("bit_generator") == "MT19937"):
                    raise ValueError("not an MT19937 state")
                rs.set_state(state)
            except (TypeError, ValueError, KeyError) as exc:
                raise ModelFileError(f"{where}: bad RandomState state ({exc}).") from None
            return rs
        raise ModelFileError(f"{where}: unknown tag {tag!r}.")

    def _scalar(self, body, where):
        if not (isinstance(body, list) and len(body) == 2 and isinstance(body[0], str)):
            raise ModelFileError(f"{where}: $scalar must be [dtype, value].")
        try:
            dtype = np.dtype(body[0])
        except TypeError:
            raise ModelFileError(f"{where}: bad dtype {body[0]!r}.") from None
        if dtype.kind not in _SCALAR_KINDS or dtype.hasobject:
            raise ModelFileError(f"{where}: scalars of dtype {dtype} are not allowed.")
        value = self.decode(body[1], where)
        wanted = {"b": bool, "i": int, "u": int, "f": float, "U": str}[dtype.kind]
        if type(value) is not wanted:
            raise ModelFileError(f"{where}: a {dtype} scalar cannot hold {value!r}.")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError):
            raise ModelFileError(f"{where}: {value!r} does not fit dtype {dtype}.") from None


def _expect(value, kind, where):
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ModelFileError(f"{where}: expected {kind.__name__}, got {value!r}.")
    return value


def _make_generator(state, where):
    cls = _BIT_GENERATORS.get(state.get("bit_generator")) if isinstance(state, dict) else None
    if cls is None:
        raise ModelFileError(f"{where}: not the state of a known NumPy bit generator.")
    bg = cls()
    try:
        bg.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ModelFileError(f"{where}: bad {cls.__name__} state ({exc}).") from None
    return np.random.Generator(bg)


def _canonical(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _checksum(body, arrays):
    h = hashlib.sha256(b"skbpnet-model checksum 1\n")
    for name in sorted(arrays):
        a = arrays[name]
        head = json.dumps([name, a.dtype.str, list(a.shape)]).encode("utf-8")
        data = np.ascontiguousarray(a).tobytes()
        h.update(len(head).to_bytes(8, "little") + head)
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    h.update(_canonical(body))
    return h.hexdigest()


# -- the network, optimizer, schedule and loss -----------------------------------------
def _describe(layer):
    """The structure of one layer, as stored and as compared on load."""
    name = type(layer).__name__
    if _LAYERS.get(name) is not type(layer):
        raise _Unstorable(f"the network holds a {type(layer).__qualname__}, not a built-in layer")
    if name == "Linear":
        return {"type": name, "n_in": layer.n_in, "n_out": layer.n_out}
    if name == "Dropout":
        return {"type": name, "p": layer.p}
    desc = {"type": name, "inplace": bool(layer.inplace)}
    if name == "LeakyReLU":
        desc["negative_slope"] = layer.negative_slope
    return desc


def _plain_state(obj):
    """What pickle would store of an optimizer, schedule or loss (a dict)."""
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
    return dict(state or {})  # Python 3.11+ gives None for an empty __dict__


def _settings(obj, table, what):
    """(type name, plain attributes) of an optimizer, schedule or loss."""
    name = type(obj).__name__
    if table.get(name, (None,))[0] is not type(obj):
        raise _Unstorable(f"the {what} is a {type(obj).__qualname__}, not a built-in one")
    return name, _plain_state(obj)


def _same_kind(reference, value):
    if isinstance(reference, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_))
    if isinstance(reference, numbers.Integral):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if isinstance(reference, numbers.Real):
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    return type(reference) is type(value)


def _restore_object(table, meta, decoder, where, skip=()):
    """Build an optimizer, schedule or loss from its stored type and settings."""
    meta = _expect(meta, dict, where)
    name = meta.get("type")
    if not (isinstance(name, str) and name in table):
        raise ModelFileError(f"{where}: unknown type {name!r}; expected one of {sorted(table)}.")
    build = table[name][1]
    settings = decoder.decode(_expect(meta.get("settings"), dict, where), f"{where}.settings")
    try:
        obj = build(settings)  # the constructor validates the values
    except KeyError as exc:
        raise ModelFileError(f"{where}: setting {exc} missing.") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: invalid settings ({exc}).") from None
    fresh = {k: v for k, v in _plain_state(obj).items() if k not in skip}
    if set(settings) != set(fresh):
        raise ModelFileError(
            f"{where}: the {name} settings {sorted(settings)} are not the expected "
            f"{sorted(fresh)}."
        )
    for key, value in settings.items():
        if not _same_kind(fresh[key], value):
            raise ModelFileError(f"{where}.{key}: {value!r} is not like {fresh[key]!r}.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ModelFileError(f"{where}.{key} is {value!r}.")
    obj.__dict__.update(settings)
    return obj


# -- save ---------------------------------------------------------------------------------
def _write_array(fh, array):
    """Write one array as .npy, refusing anything that would need pickle."""
    np.lib.format.write_array(fh, array, allow_pickle=False)


def _zip_info(name):
    info = zipfile.ZipInfo(name, _ZIP_DATE)
    info.external_attr = 0o644 << 16  # rw-r--r-- when unzipped
    return info


def _write_zip(fh, metadata_text, arrays):
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_zip_info(_METADATA), metadata_text)
        for name in sorted(arrays):
            with zf.open(_zip_info(name + ".npy"), "w", force_zip64=True) as member:
                _write_array(member, arrays[name])


def _fitted_keys(cls):
    keys = _FITTED + (_FITTED_CLASSIFIER if cls is BPNetClassifier else ())
    return keys, _FITTED_OPTIONAL


def save(estimator, path):
    """Save a fitted estimator to a model file that cannot run code when loaded.

    The file holds the estimator's hyperparameters, its weights, the
    optimizer's state, the learning-rate schedule and the random generator,
    so the model loaded by :func:`load` predicts bitwise identically and
    continues training (``warm_start=True`` or ``partial_fit``) exactly as
    this one would. It is a ZIP archive of ``.npy`` arrays and a
    ``metadata.json`` entry with a SHA-256 checksum; see
    :mod:`skbpnet._persistence` for the layout.

    The file is written atomically: to a temporary file in the same folder,
    synced to disk, then renamed over ``path``. If anything fails on the way,
    an existing file at ``path`` is left as it was.

    Parameters
    ----------
    estimator : BPNetClassifier or BPNetRegressor
        A fitted estimator (of exactly one of these classes, not a subclass).
        Its ``callbacks`` parameter must be ``None`` or empty: callbacks are
        code, which the format does not store. Set it to ``None`` before saving
        and again after loading.
    path : str or os.PathLike
        Where to write the file; any extension (``.skbpnet`` is a good one).

    Returns
    -------
    None

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted (a ``ValueError``).
    TypeError
        If ``estimator`` is not a BPNetClassifier or BPNetRegressor.
    ValueError
        If a parameter or attribute cannot be stored (callbacks, for example).

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skbpnet
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = skbpnet.BPNetClassifier(hidden_layer_sizes=(8,), random_state=0)
    >>> clf = clf.partial_fit(X, y, classes=[0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     skbpnet.save(clf, path)
    ...     loaded = skbpnet.load(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    cls = type(estimator)
    if _ESTIMATORS.get(cls.__name__) is not cls:
        raise TypeError(
            f"skbpnet.save stores BPNetClassifier and BPNetRegressor estimators; got "
            f"{cls.__module__}.{cls.__qualname__}. Use joblib for other objects."
        )
    state = estimator.__dict__
    if "_net" not in state:
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

    required, optional = _fitted_keys(cls)
    unknown = set(state) - set(params) - set(_OBJECTS) - set(required) - set(optional) - set(
        _IGNORED
    )
    missing = (set(required) | set(_OBJECTS)) - set(state)
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

    enc = _Encoder()
    try:
        params_json = {k: enc.encode(v, f"params.{k}") for k, v in params.items()}
        attrs_json = {
            k: enc.encode(state[k], f"attr.{k}")
            for k in required + optional
            if k in state
        }
        net = state["_net"]
        if type(net) is not nn.Sequential:
            raise _Unstorable(f"the network is a {type(net).__qualname__}, not a Sequential")
        rng = state["_rng"]
        dropouts = [m for m in net.layers if isinstance(m, nn.Dropout)]
        net_json = {
            "dtype": net.dtype.name,
            "n_params": int(net.param_vector.size),
            "n_penalized": int(net.n_penalized),
            "layers": [_describe(m) for m in net.layers],
            "training": bool(net.training),
            "input_grad": bool(net.input_grad),
            "input_grad_set": enc.encode(getattr(net, "_input_grad_set", None), "net"),
            "compute_input_grad": [bool(m.compute_input_grad) for m in net.layers
                                   if isinstance(m, nn.Linear)],
            "param_vector": enc.add_array("net.param_vector", net.param_vector.copy()),
            # A dropout layer draws from the estimator's generator (the same object)
            # or, after a warm start, from a copy of its own.
            "dropout_rngs": ["estimator" if m.rng is rng else enc.encode(m.rng, "net.dropout")
                             for m in dropouts],
        }
        opt = state["_optimizer"]
        name, settings = _settings(opt, _OPTIMIZERS, "optimizer")
        slots = settings.pop("state")
        if slots is not None:
            slots = [[enc.add_array(f"optimizer.state.{i}.{j}", np.array(a, copy=True))
                      for j, a in enumerate(slot)] for i, slot in enumerate(slots)]
        opt_json = {"type": name, "settings": enc.encode(settings, "optimizer"), "state": slots}
        name, settings = _settings(state["_schedule"], _SCHEDULES, "schedule")
        schedule_json = {"type": name, "settings": enc.encode(settings, "schedule")}
        name, settings = _settings(state["_loss_fn"], _LOSSES, "loss")
        loss_json = {"type": name, "settings": enc.encode(settings, "loss")}
        rng_json = enc.encode(rng, "rng")
    except _Unstorable as exc:
        raise ValueError(
            f"skbpnet.save cannot store this {cls.__name__}: {exc}. The safe format holds "
            f"only numbers, strings, lists, dicts and NumPy arrays; save it with joblib "
            f"instead, or change the value."
        ) from None

    arrays = enc.arrays
    body = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "estimator": cls.__name__,
        "versions": {
            "skbpnet": __version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "python": ".".join(map(str, sys.version_info[:3])),
        },
        "params": params_json,
        "attributes": attrs_json,
        "net": net_json,
        "optimizer": opt_json,
        "schedule": schedule_json,
        "loss": loss_json,
        "rng": rng_json,
        "arrays": {n: {"dtype": a.dtype.str, "shape": list(a.shape)} for n, a in arrays.items()},
    }
    digest = _checksum(body, arrays)
    text = json.dumps({**body, "sha256": digest}, sort_keys=True, indent=1, ensure_ascii=True,
                      allow_nan=False)
    write_atomic(path, lambda fh: _write_zip(fh, text.encode("ascii"), arrays))


# -- load ---------------------------------------------------------------------------------
def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"metadata.json repeats the key {key!r}.")
        out[key] = value
    return out


def _reject_constant(name):
    raise ModelFileError(f"metadata.json holds the non-JSON constant {name}.")


def _read_archive(path):
    """Return (metadata dict, arrays dict) after checking the archive's members."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if not zipfile.is_zipfile(path):
        if magic == b"PK\x03\x04":
            raise ModelFileError("the ZIP archive is truncated or damaged.")
        raise ModelFileError(
            "it is not a skbpnet model file (not a ZIP archive). A joblib or pickle file "
            "must be loaded with joblib.load, and only if you trust its source."
        )
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if _METADATA not in names:
            raise ModelFileError(
                f"it is not a skbpnet model file: the archive has no {_METADATA} "
                f"(members: {names[:5]}{'...' if len(names) > 5 else ''})."
            )
        if len(set(names)) != len(names):
            raise ModelFileError("the archive holds two members of the same name.")
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFileError(f"member {info.filename!r} uses an unsupported compression.")
        raw = zf.read(_METADATA)
        try:
            meta = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                              parse_constant=_reject_constant)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{_METADATA} is not valid UTF-8 JSON ({exc}).") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ModelFileError(f"it is not a skbpnet model file ({_METADATA} has no "
                                 f"format {FORMAT_NAME!r}).")
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            versions = meta.get("versions")
            writer = versions.get("skbpnet") if isinstance(versions, dict) else None
            raise ModelFileError(
                f"it is in format version {version!r}; this skbpnet ({__version__}) reads "
                f"version {FORMAT_VERSION}. Load it with the skbpnet that wrote it "
                f"({writer or 'unknown'})."
            )
        table = _expect(meta.get("arrays"), dict, "arrays")
        expected_members = {_METADATA} | {f"{n}.npy" for n in table}
        if set(names) != expected_members:
            extra = sorted(set(names) - expected_members)
            lacking = sorted(expected_members - set(names))
            raise ModelFileError(
                "the archive's members do not match its table of arrays"
                + (f"; unexpected: {extra}" if extra else "")
                + (f"; missing: {lacking}" if lacking else "")
                + "."
            )
        arrays = {}
        for name, spec in table.items():
            data = zf.read(f"{name}.npy")
            try:
                a = np.load(io.BytesIO(data), allow_pickle=False)
            except ValueError as exc:  # pickled data, object arrays, bad headers
                raise ModelFileError(f"array {name!r} cannot be read safely ({exc}).") from None
            if type(a) is not np.ndarray:
                raise ModelFileError(f"member {name}.npy is not a .npy array.")
            if a.dtype.kind not in _ARRAY_KINDS or a.dtype.hasobject or a.dtype.names:
                raise ModelFileError(f"array {name!r} has the disallowed dtype {a.dtype}.")
            spec = _expect(spec, dict, f"arrays.{name}")
            if spec.get("dtype") != a.dtype.str or spec.get("shape") != list(a.shape):
                raise ModelFileError(
                    f"array {name!r} is {a.dtype.str} of shape {list(a.shape)}; the metadata "
                    f"says {spec.get('dtype')} of shape {spec.get('shape')}."
                )
            arrays[name] = a
    return meta, arrays


def _native(a):
    return a if a.dtype.byteorder in "=|" else a.astype(a.dtype.newbyteorder("="))


def _build_net(builder_cls, attrs, meta, decoder):
    arch = attrs.get("_arch")
    if not (isinstance(arch, tuple) and len(arch) == 5 and isinstance(arch[0], tuple)
            and isinstance(arch[1], str) and arch[1] in nn.ACTIVATIONS):
        raise ModelFileError(f"attributes._arch {arch!r} is not a valid architecture.")
    hidden, activation, dropout, n_features, input_dropout = arch
    meta = _expect(meta, dict, "net")
    dtype_name = meta.get("dtype")
    if dtype_name not in ("float32", "float64"):
        raise ModelFileError(f"net.dtype must be float32 or float64; got {dtype_name!r}.")
    dtype = np.dtype(dtype_name)
    # Build the network the estimator itself would build, then compare.
    builder = builder_cls(hidden_layer_sizes=hidden, activation=activation, dropout=dropout,
                          input_dropout=input_dropout)
    builder.n_features_in_ = n_features
    try:
        validate_params(builder)
        net = builder._build(list(hidden), attrs.get("n_outputs_"), dtype,
                             np.random.default_rng(0))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"the recorded architecture {arch!r} is invalid ({exc}).") from None
    layers = [_describe(m) for m in net.layers]
    if meta.get("layers") != layers:
        raise ModelFileError(
            f"net.layers {meta.get('layers')!r} is not the network of the recorded "
            f"architecture {arch!r}: {layers!r}."
        )
    pv = _native(decoder.decode(meta.get("param_vector"), "net.param_vector"))
    if not (isinstance(pv, np.ndarray) and pv.dtype == dtype and pv.shape == net.param_vector.shape
            and meta.get("n_params") == pv.size and meta.get("n_penalized") == net.n_penalized):
        raise ModelFileError(
            f"net.param_vector must be {dtype} of shape {net.param_vector.shape}; got "
            f"{getattr(pv, 'dtype', type(pv))} of shape {getattr(pv, 'shape', None)}."
        )
    net.param_vector[...] = pv
    net.input_grad = _expect(meta.get("input_grad"), bool, "net.input_grad")
    net._set_input_grad()
    linears = [m for m in net.layers if isinstance(m, nn.Linear)]
    flags = _expect(meta.get("compute_input_grad"), list, "net.compute_input_grad")
    if len(flags) != len(linears) or not all(isinstance(f, bool) for f in flags):
        raise ModelFileError("net.compute_input_grad must hold one bool per Linear layer.")
    for m, flag in zip(linears, flags):
        m.compute_input_grad = flag
    input_grad_set = decoder.decode(meta.get("input_grad_set"), "net.input_grad_set")
    if input_grad_set is not None:
        net._input_grad_set = _expect(input_grad_set, bool, "net.input_grad_set")
    net.train(_expect(meta.get("training"), bool, "net.training"))
    return net


def load(path):
    """Load an estimator saved by :func:`save`, without running any code from the file.

    Nothing in the file is unpickled or imported: the arrays are read with
    ``allow_pickle=False``, the metadata is JSON, and the only objects built
    are skbpnet's estimators, layers, optimizers, schedules and losses, and
    NumPy random generators, chosen from fixed tables. The checksum is
    verified and every part of the file is checked against the others before
    the estimator is built; a file that fails any check raises
    :class:`ModelFileError` and nothing is returned.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator : BPNetClassifier or BPNetRegressor
        The fitted estimator, with the same parameters, weights, optimizer
        state, schedule and random generator as the one saved.

    Raises
    ------
    ModelFileError
        If the file is not a skbpnet model file (a joblib or pickle file, a
        plain ``.npz``, random bytes), is damaged or truncated (the checksum
        does not match), holds pickled data or an object array, names another
        estimator class, or holds unknown or inconsistent entries.
    OSError
        If the file cannot be read.

    Warns
    -----
    InconsistentSkbpnetVersionWarning
        If the file was written, or the model fitted, by another version of
        skbpnet.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skbpnet
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> reg = skbpnet.BPNetRegressor(hidden_layer_sizes=(8,), random_state=0)
    >>> reg = reg.partial_fit(X, X.sum(axis=1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     skbpnet.save(reg, path)
    ...     loaded = skbpnet.load(path)
    >>> type(loaded).__name__, bool((loaded.predict(X) == reg.predict(X)).all())
    ('BPNetRegressor', True)
    >>> # training continues exactly where it stopped
    >>> a = reg.partial_fit(X, X.sum(axis=1)).predict(X)
    >>> b = loaded.partial_fit(X, X.sum(axis=1)).predict(X)
    >>> bool((a == b).all())
    True
    """
    shown = os.fspath(path)
    try:
        est, versions = _load(path)
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {shown!r}: {exc}") from exc.__cause__
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError,
            TypeError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        raise ModelFileError(
            f"Cannot load {shown!r}: the file is damaged or not a skbpnet model file "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if any(v != __version__ for v in versions.values()):
        detail = ", ".join(f"{what} with skbpnet {v}" for what, v in versions.items())
        warnings.warn(
            f"The {type(est).__name__} in {shown!r} was {detail}, and is loaded with skbpnet "
            f"{__version__}; results may differ. Refit it, or load it with the skbpnet "
            f"that saved it.",
            InconsistentSkbpnetVersionWarning,
            stacklevel=2,
        )
    return est


def _load(path):
    meta, arrays = _read_archive(path)
    digest = meta.pop("sha256", None)
    if not isinstance(digest, str):
        raise ModelFileError(f"{_METADATA} has no sha256 checksum.")
    if _checksum(meta, arrays) != digest:
        raise ModelFileError(
            "the checksum does not match: the file was changed or damaged after it was written."
        )
    expected = {"format", "format_version", "estimator", "versions", "params", "attributes",
                "net", "optimizer", "schedule", "loss", "rng", "arrays"}
    if set(meta) != expected:
        raise ModelFileError(
            f"{_METADATA} has the entries {sorted(meta)}; expected {sorted(expected)}."
        )
    cls = _ESTIMATORS.get(meta["estimator"]) if isinstance(meta["estimator"], str) else None
    if cls is None:
        raise ModelFileError(
            f"it holds a {meta['estimator']!r}; skbpnet model files hold only "
            f"{' or '.join(sorted(_ESTIMATORS))}."
        )
    versions = _expect(meta["versions"], dict, "versions")
    _expect(versions.get("skbpnet"), str, "versions.skbpnet")
    decoder = _Decoder({name: a for name, a in arrays.items()})

    # hyperparameters
    params = _expect(decoder.decode(_expect(meta["params"], dict, "params"), "params"), dict,
                     "params")
    known = set(cls().get_params(deep=False))
    unknown = set(params) - known
    if unknown:
        raise ModelFileError(f"unknown parameters {sorted(unknown)} for {cls.__name__}.")

    # fitted attributes
    attrs = _expect(decoder.decode(_expect(meta["attributes"], dict, "attributes"),
                                   "attributes"), dict, "attributes")
    required, optional = _fitted_keys(cls)
    unknown = set(attrs) - set(required) - set(optional)
    missing = set(required) - set(attrs)
    if unknown or missing:
        raise ModelFileError(
            f"the fitted attributes do not match a {cls.__name__}"
            + (f"; unknown: {sorted(unknown)}" if unknown else "")
            + (f"; missing: {sorted(missing)}" if missing else "")
            + "."
        )
    for key, value in attrs.items():
        if isinstance(value, np.ndarray):
            attrs[key] = _native(value)

    # network, optimizer, schedule, loss, generators
    net = _build_net(cls, attrs, meta["net"], decoder)
    opt_meta = _expect(meta["optimizer"], dict, "optimizer")
    opt = _restore_object(_OPTIMIZERS, {k: v for k, v in opt_meta.items() if k != "state"},
                          decoder, "optimizer", skip=("state",))
    if not (isinstance(opt.n_steps, int) and opt.n_steps >= 0 and opt.learning_rate >= 0):
        raise ModelFileError("optimizer.n_steps or optimizer.learning_rate is negative.")
    slots = decoder.decode(opt_meta.get("state"), "optimizer.state")
    if slots is not None:
        k = net.n_penalized
        shapes = [(k,), (net.param_vector.size - k,)]
        if not (isinstance(slots, list) and len(slots) == opt._n_slots and all(
            isinstance(s, list) and len(s) == 2
            and all(isinstance(a, np.ndarray) and a.dtype == net.dtype and a.shape == shape
                    for a, shape in zip(s, shapes))
            for s in slots
        )):
            raise ModelFileError(
                f"optimizer.state must hold {opt._n_slots} pairs of {net.dtype} arrays of "
                f"shapes {shapes}."
            )
        slots = [[_native(a).copy() for a in s] for s in slots]
    opt.state = slots
    schedule = _restore_object(_SCHEDULES, meta["schedule"], decoder, "schedule")
    loss = _restore_object(_LOSSES, meta["loss"], decoder, "loss")
    rng = decoder.decode(meta["rng"], "rng")
    if type(rng) is not np.random.Generator:
        raise ModelFileError("rng is not a NumPy Generator.")
    dropouts = [m for m in net.layers if isinstance(m, nn.Dropout)]
    drngs = _expect(meta["net"].get("dropout_rngs"), list, "net.dropout_rngs")
    if len(drngs) != len(dropouts):
        raise ModelFileError("net.dropout_rngs must hold one entry per Dropout layer.")
    for m, entry in zip(dropouts, drngs):
        m.rng = rng if entry == "estimator" else decoder.decode(entry, "net.dropout_rngs")
        if type(m.rng) is not np.random.Generator:
            raise ModelFileError("net.dropout_rngs holds something other than a Generator.")
    if decoder.used != set(arrays):
        raise ModelFileError(f"arrays {sorted(set(arrays) - decoder.used)} are not used.")
    _check_consistency(cls, attrs, net)

    # Everything is read and checked: only now build the estimator.
    est = cls()
    try:
        est.set_params(**params)
        validate_params(est)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"invalid parameters ({exc}).") from None
    est.__dict__.update(attrs)
    est.__dict__.update(_net=net, _optimizer=opt, _schedule=schedule, _loss_fn=loss, _rng=rng)
    fitted_versions = {"written": versions.get("skbpnet"),
                       "fitted": attrs.get("_skbpnet_version")}
    return est, fitted_versions


def _check_consistency(cls, attrs, net):
    linears = [m for m in net.layers if isinstance(m, nn.Linear)]
    n_in, n_out = linears[0].n_in, linears[-1].n_out
    if attrs["n_features_in_"] != n_in or attrs["n_outputs_"] != n_out:
        raise ModelFileError("n_features_in_ or n_outputs_ does not match the network.")
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
        ok = n == n_out if multilabel else (n_out == 1 and n == 2) or (n == n_out > 2)
        if not ok:
            raise ModelFileError(f"{n} classes do not fit a network with {n_out} outputs.")
