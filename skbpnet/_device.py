"""Where the estimators compute: NumPy, or the array API namespace and device of X.

Under ``sklearn.config_context(array_api_dispatch=True)``, an ``X`` of any
array API namespace (PyTorch, CuPy, array_api_strict) makes ``fit`` build the
network on X's device and train there; the fitted parameters stay there, and
the prediction methods take arrays of that namespace and device and return
arrays of it. Without dispatch, everything is NumPy, as before.
"""

import copy

import numpy as np
import sklearn
from scipy import sparse

from .nn import (converter_target, device_of, get_namespace, is_array_api_obj, is_numpy,
                 numpy_dtype, to_numpy)

__all__ = ["DeviceMixin", "input_namespace", "model_namespace", "check_same_namespace",
           "numpy_dtype", "namespace_dtype", "host_targets", "cast"]


class DeviceMixin:
    """Moving a fitted estimator between namespaces and devices; NumPy when pickled."""

    def __sklearn_array_api_convert__(self, converter):
        """A copy whose arrays ``converter`` moved (scikit-learn's ``move_estimator_to``)."""
        new = copy.deepcopy(self)
        if "_net" in new.__dict__:
            xp, device = converter_target(converter, self._net.dtype)
            new._net.to_namespace(xp, device)
            new._optimizer.to_namespace(xp, device)
        return new

    def _on_host(self):
        """This estimator, or a NumPy copy of it when its network lives on a device."""
        if "_net" not in self.__dict__ or is_numpy(model_namespace(self._net)[0]):
            return self
        return self.__sklearn_array_api_convert__(np.asarray)

    def __copy__(self):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo):
        # Copies (shallow and deep) do not go through __getstate__, which stores a
        # device model as NumPy: a copy stays on the device.
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __getstate__(self):
        """The state to pickle: a model fitted on a device is stored as NumPy."""
        return super(DeviceMixin, self._on_host()).__getstate__()


def input_namespace(X):
    """``(xp, device)`` to compute ``X`` in: ``(numpy, 'cpu')`` unless dispatch is on.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._device import input_namespace
    >>> input_namespace(np.ones((2, 2)))[0] is np
    True
    """
    if not sklearn.get_config().get("array_api_dispatch", False):
        return np, "cpu"
    if not is_array_api_obj(X):
        return np, "cpu"  # lists, data frames, sparse matrices
    if "sparse" in str(getattr(X, "layout", "")) or getattr(X, "is_sparse", False):
        raise ValueError(
            "skbpnet does not train on sparse tensors: pass a dense tensor to train on its "
            "device, or a SciPy sparse matrix (CSR or CSC), which trains on the host.")
    xp = get_namespace(X)
    if is_numpy(xp):
        return np, "cpu"
    name = getattr(xp, "__name__", "")
    if "jax" in name or "dask" in name:
        raise ValueError(
            f"skbpnet cannot train on {name.split('.')[-1]} arrays: it updates the network's "
            f"parameters in place, which {name.split('.')[-1]} arrays do not allow. Under "
            f"array_api_dispatch it takes PyTorch tensors, CuPy arrays and array_api_strict "
            f"arrays; convert X (for example with numpy.asarray) for anything else.")
    return xp, device_of(X)


def model_namespace(net):
    """``(xp, device)`` of a network's parameters."""
    xp = get_namespace(net.param_vector)
    return (np, "cpu") if is_numpy(xp) else (xp, device_of(net.param_vector))


def _name(xp):
    return "numpy" if is_numpy(xp) else getattr(xp, "__name__", str(xp)).split(".")[-1]


def check_same_namespace(est, xp, device, method):
    """Refuse input of another namespace or device than the fitted parameters.

    The message has scikit-learn's phrase ("must use the same namespace") and
    says how to move the model.
    """
    model_xp, model_device = model_namespace(est._net)
    if model_xp is xp and (is_numpy(xp) or model_device == device):
        return
    where = (f"namespace {_name(model_xp)}" if model_xp is not xp
             else f"device {model_device}")
    got = f"{_name(xp)} on {device}" if model_xp is not xp else f"device {device}"
    hint = ("pass arrays of that namespace under sklearn.config_context(array_api_dispatch=True)"
            if is_numpy(xp) else "pass arrays of that namespace and device")
    raise ValueError(
        f"Inputs passed to {type(est).__name__}.{method}() must use the same namespace and "
        f"the same device as those passed to fit(). The model lives in {where}; the input is "
        f"{got}. Either {hint}, or move the model: 'from sklearn.utils._array_api import "
        f"get_namespace_and_device, move_estimator_to; xp, _, device = "
        f"get_namespace_and_device(X); estimator = move_estimator_to(estimator, xp, device)' "
        f"(under array_api_dispatch=True)."
    )


def namespace_dtype(xp, dtype):
    """The dtype of ``xp`` with the name of NumPy dtype ``dtype``."""
    return np.dtype(dtype) if is_numpy(xp) else getattr(xp, np.dtype(dtype).name)


def host_targets(y, sample_weight):
    """y and sample_weight as NumPy, for a fit on a device (they are small; encoded on the host)."""
    return to_numpy(y), None if sample_weight is None else to_numpy(sample_weight)


def cast(X, dtype):
    """``X`` in the model's dtype; values beyond its range are refused, not made inf.

    ``X`` is NumPy, a SciPy sparse matrix, or an array of another namespace,
    which keeps its namespace (``dtype`` may be named in either).
    """
    xp = get_namespace(X)  # NumPy for NumPy arrays and SciPy sparse matrices
    host = is_numpy(xp)
    dtype = namespace_dtype(xp, numpy_dtype(dtype))
    if X.dtype == dtype:
        return X
    values = X.data if sparse.issparse(X) else X
    limit = float(np.finfo(numpy_dtype(dtype)).max)
    # max and min: two passes without a temporary the size of X (abs would make one)
    if values.shape[0]:
        high, low = float(xp.max(values)), float(xp.min(values))
        if high > limit or low < -limit:
            raise ValueError(
                f"X holds values beyond the range of the model's dtype "
                f"{numpy_dtype(dtype).name} (largest magnitude {max(high, -low):.3g} > "
                f"{limit:.3g}); they would become inf. Scale the features (for example with "
                f"StandardScaler), or fit a float64 model."
            )
    return X.astype(dtype) if host else xp.astype(X, dtype)
