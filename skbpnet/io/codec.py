"""Plain values, NumPy arrays, scalars and random generators <-> JSON and named arrays.

Values that JSON cannot hold exactly are written as one-key objects whose key
starts with ``$``: ``{"$float": "inf"}``, ``{"$tuple": [...]}``,
``{"$scalar": ["<f4", 0.5]}`` (a NumPy scalar and its dtype),
``{"$dict": [[key, value], ...]}`` (a dict with keys other than strings),
``{"$array": "name"}`` (an array of the archive), ``{"$objects": [...]}`` (a
1-D object array of strings or numbers, such as ``feature_names_in_``),
``{"$Generator": state}`` and ``{"$RandomState": state}`` (NumPy random
generators, rebuilt from a fixed list of bit generators), ``{"$slice": [start,
stop, step]}``, ``{"$dtype": "<f8"}`` (a NumPy dtype of a plain kind) and
``{"$type": "float64"}`` (a NumPy scalar type or a Python number or string
type, from the fixed table ``SCALAR_TYPES``). Decoding rebuilds exactly the
Python and NumPy types that were encoded, and refuses values nested more than
``limits.MAX_DEPTH`` deep.
"""

import hashlib
import math
import re

import numpy as np

from . import limits
from .errors import ModelFileError, Unstorable

__all__ = ["Encoder", "Decoder", "expect", "native"]

ARRAY_KINDS = "biufcSU"  # dtypes a .npy member may have: no objects, no structures
_SCALAR_KINDS = "biufU"  # dtypes of a "$scalar"
_OBJECT_ITEM_TYPES = (type(None), bool, int, float, str, np.generic)
_DTYPE_KINDS = "biufcSUO"  # dtypes of a "$dtype" (objects: the dtype, never an array)
# NumPy scalar types and Python types that parameters name (OneHotEncoder(dtype=np.float64)).
SCALAR_TYPES = {name: getattr(np, name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "bool_", "complex64", "complex128")}
SCALAR_TYPES.update({"builtins.float": float, "builtins.int": int, "builtins.bool": bool,
                     "builtins.str": str, "builtins.complex": complex})
_TYPE_NAMES = {t: name for name, t in SCALAR_TYPES.items()}
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

_NAME_MAX = 96  # an array's name, so that the ZIP directory stays small whatever the steps' names


def _array_name(where, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", where).strip(".") or "array"
    if len(base) > _NAME_MAX:  # long step names: a prefix, the tail and a hash of the rest
        digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:12]
        base = f"{base[:40]}-{digest}-{base[-40:]}"
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}.{i}"
    return name


class Encoder:
    """Turn plain values, NumPy arrays and scalars and NumPy random generators into JSON.

    Arrays go to ``self.arrays`` and are referenced by name. Anything else
    raises ``Unstorable``.
    """

    def __init__(self):
        self.arrays = {}
        self.prefix = ""  # put before every array name (nested estimators)

    def add_array(self, name, a):
        name = _array_name(self.prefix + name, self.arrays)
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
                raise Unstorable(f"{where}: NumPy scalars of dtype {v.dtype} cannot be stored")
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
            if v.dtype.kind in ARRAY_KINDS and not v.dtype.hasobject and v.dtype.names is None:
                return self.add_array(where, np.array(v, copy=True))
            if v.dtype == object and v.ndim == 1 and all(
                isinstance(x, _OBJECT_ITEM_TYPES) for x in v
            ):
                return {"$objects": [self.encode(x, f"{where}.{i}") for i, x in enumerate(v)]}
            raise Unstorable(
                f"{where}: arrays of dtype {v.dtype} (shape {v.shape}) cannot be stored; "
                f"object arrays may hold only strings and numbers, in one dimension"
            )
        if t is np.random.Generator:
            bg = v.bit_generator
            if type(bg) not in _BIT_GENERATORS.values():
                raise Unstorable(
                    f"{where}: a Generator over {type(bg).__name__} cannot be stored"
                )
            return {"$Generator": self.encode(bg.state, where)}
        if t is np.random.RandomState:
            return {"$RandomState": self.encode(v.get_state(legacy=False), where)}
        return self._encode_more(v, where)

    def _encode_more(self, v, where):
        t = type(v)
        if t is slice:
            if all(x is None or type(x) is int for x in (v.start, v.stop, v.step)):
                return {"$slice": [v.start, v.stop, v.step]}
        if isinstance(v, np.dtype):
            if v.kind in _DTYPE_KINDS and v.names is None and v.subdtype is None:
                return {"$dtype": v.str}
        if t is type and v in _TYPE_NAMES:
            return {"$type": _TYPE_NAMES[v]}
        raise Unstorable(f"{where}: a {t.__module__}.{t.__qualname__} cannot be stored")


class Decoder:
    """The inverse of :class:`Encoder`; every array must be referenced exactly once.

    Nesting deeper than ``limits.MAX_DEPTH`` is refused before it can exhaust the stack.
    """

    def __init__(self, arrays):
        self.arrays = arrays
        self.used = set()
        self.depth = 0

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
        if self.depth >= limits.MAX_DEPTH:
            raise ModelFileError(
                f"{where}: values are nested more than {limits.MAX_DEPTH} deep.")
        self.depth += 1
        try:
            return self._decode(node, where)
        finally:
            self.depth -= 1

    def _decode(self, node, where):
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
        handler = self._TAGS.get(tag)
        if handler is None:
            raise ModelFileError(f"{where}: unknown tag {tag!r}.")
        return handler(self, body, where)

    def _float(self, body, where):
        if body not in ("inf", "-inf", "nan"):
            raise ModelFileError(f"{where}: bad $float {body!r}.")
        return float(body)

    def _tuple(self, body, where):
        return tuple(self.decode(expect(body, list, where), where))

    def _dict(self, body, where):
        out = {}
        for pair in expect(body, list, where):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ModelFileError(f"{where}: $dict entries must be [key, value] pairs.")
            key = self.decode(pair[0], f"{where}.key")
            try:
                out[key] = self.decode(pair[1], f"{where}.{key}")
            except TypeError:
                raise ModelFileError(f"{where}: unhashable dict key {key!r}.") from None
        return out

    def _objects(self, body, where):
        body = expect(body, list, where)
        items = [self.decode(x, f"{where}.{i}") for i, x in enumerate(body)]
        if not all(isinstance(x, _OBJECT_ITEM_TYPES) for x in items):
            raise ModelFileError(f"{where}: $objects may hold only strings and numbers.")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out

    def _random_state(self, body, where):
        state = self.decode(body, where)
        rs = np.random.RandomState()
        try:
            if not (isinstance(state, dict) and state.get("bit_generator") == "MT19937"):
                raise ValueError("not an MT19937 state")
            rs.set_state(state)
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{where}: bad RandomState state ({exc}).") from None
        return rs

    def _slice(self, body, where):
        if not (isinstance(body, list) and len(body) == 3 and all(
                x is None or type(x) is int for x in body)):
            raise ModelFileError(f"{where}: $slice must be [start, stop, step] of ints or nulls.")
        return slice(*body)

    def _dtype(self, body, where):
        if not (isinstance(body, str) and re.fullmatch(r"[<>|=]?[biufcSUO][0-9]{0,4}", body)):
            raise ModelFileError(f"{where}: bad $dtype {body!r}.")
        try:
            return np.dtype(body)
        except TypeError:
            raise ModelFileError(f"{where}: bad $dtype {body!r}.") from None

    def _type(self, body, where):
        if not (isinstance(body, str) and body in SCALAR_TYPES):
            raise ModelFileError(f"{where}: $type {body!r} is not one of {sorted(SCALAR_TYPES)}.")
        return SCALAR_TYPES[body]

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


Decoder._TAGS = {
    "$float": Decoder._float, "$scalar": Decoder._scalar, "$tuple": Decoder._tuple,
    "$dict": Decoder._dict, "$array": lambda self, body, where: self.array(body, where),
    "$objects": Decoder._objects, "$RandomState": Decoder._random_state,
    "$Generator": lambda self, body, where: _make_generator(self.decode(body, where), where),
    "$slice": Decoder._slice, "$dtype": Decoder._dtype, "$type": Decoder._type,
}


def expect(value, kind, where):
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


def native(a):
    """``a`` in the machine's byte order (a copy only when it is not)."""
    return a if a.dtype.byteorder in "=|" else a.astype(a.dtype.newbyteorder("="))
