"""Plain values, NumPy arrays, scalars and random generators <-> JSON and named arrays.

Values that JSON cannot hold exactly are written as one-key objects whose key
starts with ``$``: ``{"$float": "inf"}``, ``{"$tuple": [...]}``,
``{"$scalar": ["<f4", 0.5]}`` (a NumPy scalar and its dtype),
``{"$dict": [[key, value], ...]}`` (a dict with keys other than strings),
``{"$array": "name"}`` (an array of the archive), ``{"$objects": [...]}`` (a
1-D object array of strings or numbers, such as ``feature_names_in_``),
``{"$Generator": state}`` and ``{"$RandomState": state}`` (NumPy random
generators, rebuilt from a fixed list of bit generators). Decoding rebuilds
exactly the Python and NumPy types that were encoded.
"""

import math
import re

import numpy as np

from .errors import ModelFileError, Unstorable

__all__ = ["Encoder", "Decoder", "expect", "native"]

ARRAY_KINDS = "biufcSU"  # dtypes a .npy member may have: no objects, no structures
_SCALAR_KINDS = "biufU"  # dtypes of a "$scalar"
_OBJECT_ITEM_TYPES = (type(None), bool, int, float, str, np.generic)
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

def _array_name(where, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", where).strip(".") or "array"
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
        raise Unstorable(f"{where}: a {t.__module__}.{t.__qualname__} cannot be stored")


class Decoder:
    """The inverse of :class:`Encoder`; every array must be referenced exactly once."""

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
            return tuple(self.decode(expect(body, list, where), where))
        if tag == "$dict":
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
        if tag == "$array":
            return self.array(body, where)
        if tag == "$objects":
            body = expect(body, list, where)
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
