"""Array namespaces: NumPy's in-place fast path, or the array API standard.

Every module of the core computes in the namespace of the arrays it is given.
NumPy arrays (and SciPy sparse matrices) take the hand-tuned path: ``out=``
arguments, in-place operators, reused buffers and BLAS. Arrays of any other
library that implements the `array API standard
<https://data-apis.org/array-api/>`_ (PyTorch, CuPy, array_api_strict) take a
plain functional path written with the standard's functions and operators,
through ``array_api_compat`` (the copy vendored in scikit-learn, so no new
dependency). The two paths compute the same mathematics and the tests compare
them to rounding.

The generic path needs arrays that can be changed in place, with basic
slicing and reshaping returning views (true of PyTorch, CuPy and
array_api_strict): the parameters of a network are views into one flat
vector, as they are with NumPy.
"""

import numbers

import numpy as np

__all__ = ["get_namespace", "standard_namespace", "is_numpy", "is_array_api_obj", "device_of",
           "to_numpy", "asarray_on", "copy_array", "copy_into", "converter_target", "numpy_dtype"]


def _compat():
    try:
        from sklearn.externals import array_api_compat
    except ImportError:  # pragma: no cover - scikit-learn < 1.6 does not vendor it
        import array_api_compat
    return array_api_compat


def _is_host(a):
    return (a is None or isinstance(a, (np.ndarray, np.generic, numbers.Number))
            or hasattr(a, "tocsr"))  # scipy sparse


def get_namespace(*arrays):
    """The namespace to compute ``arrays`` in: ``numpy`` itself, or an array API namespace.

    Parameters
    ----------
    *arrays : array objects, scalars or None
        NumPy arrays, SciPy sparse matrices, scalars and None count as NumPy.

    Returns
    -------
    module
        ``numpy`` when every array is a NumPy array (the fast path); otherwise
        the array API namespace that ``array_api_compat`` gives for them.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import get_namespace
    >>> get_namespace(np.ones(2), None) is np
    True
    """
    found = np
    for a in arrays:
        kind = type(a)
        xp = _BY_TYPE.get(kind)  # the namespace of an array type never changes
        if xp is None:
            xp = np if _is_host(a) else _compat().array_namespace(a)
            _BY_TYPE[kind] = xp
        if xp is not np:
            if found is not np and xp is not found:  # mixed namespaces: compat's error
                return _compat().array_namespace(*[b for b in arrays if not _is_host(b)])
            found = xp
    return found


def standard_namespace(*arrays):
    """The array API namespace of ``arrays``, for code written once for every library.

    As :func:`get_namespace`, but NumPy arrays get ``array_api_compat``'s wrapper
    of NumPy, which has the standard's functions (``astype``, ``concat``,
    ``clip(min=, max=)``) on every NumPy version.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import standard_namespace
    >>> standard_namespace(np.ones(1)).concat([np.ones(1), np.zeros(1)]).tolist()
    [1.0, 0.0]
    """
    xp = get_namespace(*arrays)
    if xp is not np:
        return xp
    if "numpy" not in _STANDARD:  # compat's lookup costs microseconds: once per process
        _STANDARD["numpy"] = _compat().array_namespace(np.empty(0))
    return _STANDARD["numpy"]


_BY_TYPE = {}  # array type -> its namespace (numpy for host types): a lookup per call
_STANDARD = {}  # "numpy" -> array_api_compat's wrapper of NumPy
_DEVICE_ATTRIBUTE = ("torch", "cupy", "array_api_strict")  # whose .device is the device


def is_array_api_obj(a):
    """True for an array of an array API library, NumPy's included (not lists or data frames).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import is_array_api_obj
    >>> is_array_api_obj(np.ones(2)), is_array_api_obj([1.0, 2.0])
    (True, False)
    """
    return _compat().is_array_api_obj(a)


def is_numpy(xp):
    """True for the NumPy fast path (the module ``numpy`` or a compat wrapper of it).

    The one test, outside ``nn/``, of which path a computation takes.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import get_namespace, is_numpy
    >>> is_numpy(get_namespace(np.ones(2)))
    True
    """
    return xp is np or getattr(xp, "__name__", "").endswith("numpy")


def device_of(a):
    """The device of an array (``'cpu'`` for NumPy arrays)."""
    if _is_host(a):
        return "cpu"
    if type(a).__module__.split(".")[0] in _DEVICE_ATTRIBUTE:
        return a.device
    return _compat().device(a)


def to_numpy(a):
    """A NumPy copy (or the array itself) of an array of any namespace and device.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import to_numpy
    >>> to_numpy(np.arange(3))
    array([0, 1, 2])
    """
    if a is None or isinstance(a, np.ndarray) or hasattr(a, "tocsr"):
        return a
    if not (hasattr(a, "__array_namespace__") or hasattr(a, "__dlpack__")):
        return np.asarray(a)  # lists, scalars
    module = type(a).__module__.split(".")[0]
    if module == "torch":
        return a.detach().cpu().numpy()
    if module == "cupy":
        return a.get()
    try:
        return np.from_dlpack(a)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        xp = get_namespace(a)
        return np.asarray(xp.asarray(a, device=xp.__array_namespace_info__().default_device()))


def asarray_on(a, xp, device, dtype=None):
    """``a`` (NumPy or any namespace) as an array of namespace ``xp`` on ``device``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import asarray_on
    >>> asarray_on([1.0, 2.0], np, "cpu")
    array([1., 2.])
    """
    if is_numpy(xp):
        return np.asarray(to_numpy(a), dtype=dtype)
    if not _is_host(a) and get_namespace(a) is not xp:
        a = to_numpy(a)
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        a = a.copy()
    return xp.asarray(a, dtype=dtype, device=device)


def numpy_dtype(dtype):
    """The NumPy dtype of the same name as a dtype of any namespace.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import numpy_dtype
    >>> numpy_dtype(np.float32)
    dtype('float32')
    """
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        return np.dtype(dtype)
    return np.dtype(str(dtype).split(".")[-1])


def copy_array(a):
    """A copy of an array, in its own namespace and on its own device.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import copy_array
    >>> a = np.zeros(2)
    >>> copy_array(a) is a
    False
    """
    if isinstance(a, np.ndarray):
        return a.copy()
    return get_namespace(a).asarray(a, copy=True)


def copy_into(dst, src):
    """Copy the values of ``src`` into ``dst`` (same namespace, device and shape)."""
    if isinstance(dst, np.ndarray):
        np.copyto(dst, src)
    else:
        dst[...] = src


def converter_target(converter, dtype):
    """``(xp, device)`` that an array converter moves arrays to (scikit-learn's hook).

    ``move_estimator_to`` hands objects a converter function, not a namespace:
    converting one small array tells where it sends them.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn._namespace import converter_target
    >>> converter_target(np.asarray, np.float32)[0] is np
    True
    """
    probe = converter(np.zeros(1, dtype=numpy_dtype(dtype)))
    return get_namespace(probe), device_of(probe)
