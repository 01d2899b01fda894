"""Element-wise activations, each next to its own derivative.

Every activation caches what its derivative needs (its output, or for GELU its
input) and multiplies the upstream gradient by that derivative in ``backward``.
With ``inplace=True`` an activation overwrites its input in ``forward`` and the
upstream gradient in ``backward``, saving a buffer and a pass over memory;
:class:`~skbpnet.nn.Sequential` switches this on where the input is a buffer
that only the network holds (the output of a :class:`~skbpnet.nn.Linear`).

That is the NumPy path (``_forward_np``, ``_backward_np``). Arrays of any
other array API namespace (PyTorch, CuPy) take the functional path: ``_f``
computes ``f(X)`` and ``_df`` the gradient from ``X`` and ``Y = f(X)``, as
plain expressions, without buffers; the tests compare the two.
"""

import math

import numpy as np

from ._namespace import get_namespace
from .base import Module
from .registry import Registry

__all__ = ["Activation", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity", "GELU", "ACTIVATIONS",
           "activation_name"]


class Activation(Module):
    """Base class of the element-wise activations.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` instead of writing to buffers of the activation's own.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Tanh
    >>> Tanh().forward(np.zeros(3))
    array([0., 0., 0.])
    """

    _transient = ("_cache", "_out", "_dX")
    init = "glorot"
    """The initialisation of the layer before it: ``'he'`` (ReLU-like) or ``'glorot'``."""
    to_onnx = None
    """How ONNX computes ``f``: None when it cannot (the converter then refuses the
    model), else a method ``to_onnx(graph, x)`` returning the name of ``f(x)``, built
    with ``graph.node(op_type, inputs)`` and ``graph.const(number)`` (in the model's
    dtype), both returning the name of their output."""

    def __init__(self, *, inplace=False):
        self.inplace = bool(inplace)

    def get_config(self):
        """``{'inplace': ...}`` plus any setting of the function (see :meth:`Module.get_config`).

        Examples
        --------
        >>> from skbpnet.nn import LeakyReLU
        >>> LeakyReLU(0.2).get_config()
        {'inplace': False, 'negative_slope': 0.2}
        """
        config = {"inplace": bool(self.inplace)}
        if hasattr(self, "negative_slope"):
            config["negative_slope"] = self.negative_slope
        return config

    def forward(self, X):
        if isinstance(X, np.ndarray):
            return self._forward_np(X)
        Y = self._f(get_namespace(X), X)
        self._cache = (X, Y)
        return Y

    def _forward_np(self, X):
        # f(X), kept for the derivative: the derivatives of ReLU, LeakyReLU,
        # Tanh and Sigmoid are read off the output (the sign of f(x) is that of x)
        out = self._out_for(X)
        self._fn(X, out)
        self._cache = out
        return out

    def backward(self, dY):
        if isinstance(dY, np.ndarray):
            return self._backward_np(dY)
        X, Y = self._cache
        return self._df(get_namespace(dY), dY, X, Y)

    def infer(self, X, *, inplace=False):
        """Return ``f(X)`` without caching anything (prediction path, thread-safe).

        With ``inplace=True`` the result is written into ``X`` (NumPy only).
        """
        if not isinstance(X, np.ndarray):
            return self._f(get_namespace(X), X)
        out = X if inplace else np.empty_like(X)
        self._fn(X, out)
        return out

    def _fn(self, X, out):
        """NumPy: write ``f(X)`` into ``out``."""
        raise NotImplementedError

    def _f(self, xp, X):
        """Array API: ``f(X)`` as a new array."""
        raise NotImplementedError

    def _df(self, xp, dY, X, Y):
        """Array API: ``dY * f'(X)``, given ``X`` and ``Y = f(X)``."""
        raise NotImplementedError

    def _out_for(self, X, name="_out"):
        return X if self.inplace else self._buffer(name, X.shape, X.dtype)

    def __repr__(self):
        return f"{type(self).__name__}(inplace={self.inplace})"


class Identity(Activation):
    """``f(x) = x``; ``f'(x) = 1``. The output activation of a regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Identity
    >>> Identity().forward(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """

    def forward(self, X):
        return X

    def infer(self, X, *, inplace=False):
        return X

    def backward(self, dY):
        return dY

    def _f(self, xp, X):
        return X

    def _df(self, xp, dY, X, Y):
        return dY

    def to_onnx(self, graph, x):
        return x


class ReLU(Activation):
    """Rectified linear unit: ``f(x) = max(x, 0)``; ``f'(x) = 1 if x > 0 else 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import ReLU
    >>> relu = ReLU()
    >>> relu.forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    >>> relu.backward(np.array([[5.0, 5.0]]))
    array([[0., 5.]])
    """

    init = "he"

    def to_onnx(self, graph, x):
        return graph.node("Relu", [x])

    def _fn(self, X, out):
        np.maximum(X, 0, out=out)

    def _backward_np(self, dY):
        dX = self._out_for(dY, "_dX")
        np.multiply(dY, self._cache > 0, out=dX)
        return dX

    def _f(self, xp, X):
        return xp.clip(X, min=0.0)  # max(x, 0); NaN stays NaN, as with np.maximum

    def _df(self, xp, dY, X, Y):
        return xp.where(Y > 0, dY, xp.zeros_like(dY))


class LeakyReLU(Activation):
    """Leaky ReLU: ``f(x) = x if x > 0 else slope * x``.

    Dead units (always-negative inputs) still pass a small gradient.

    Parameters
    ----------
    negative_slope : float, default=0.01
        Slope for negative inputs, in [0, 1).
    inplace : bool, default=False
        See :class:`Activation`.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import LeakyReLU
    >>> LeakyReLU(0.1).forward(np.array([-1.0, 2.0]))
    array([-0.1,  2. ])
    """

    init = "he"

    def __init__(self, negative_slope=0.01, *, inplace=False):
        super().__init__(inplace=inplace)
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1); got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def _fn(self, X, out):
        # max(x, slope * x) equals x for x > 0 and slope * x otherwise
        np.maximum(X, self.negative_slope * X, out=out)

    def _backward_np(self, dY):
        dX = self._out_for(dY, "_dX")
        scale = np.where(self._cache > 0, 1.0, self.negative_slope).astype(dY.dtype, copy=False)
        np.multiply(dY, scale, out=dX)
        return dX

    def _f(self, xp, X):
        return xp.maximum(X, self.negative_slope * X)

    def _df(self, xp, dY, X, Y):
        return xp.where(Y > 0, dY, dY * self.negative_slope)

    def to_onnx(self, graph, x):
        # max(x, slope * x), the slope in the model's dtype (LeakyRelu's alpha is a float32)
        return graph.node("Max", [x, graph.node("Mul", [x, graph.const(self.negative_slope)])])


class Tanh(Activation):
    """Hyperbolic tangent: ``f(x) = tanh(x)``; ``f'(x) = 1 - f(x)^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Tanh
    >>> t = Tanh()
    >>> _ = t.forward(np.array([0.0]))
    >>> t.backward(np.array([3.0]))
    array([3.])
    """

    def _fn(self, X, out):
        np.tanh(X, out=out)

    def _backward_np(self, dY):
        Y = self._cache
        dX = self._out_for(dY, "_dX")
        # dY * (1 - Y^2) = dY - dY * Y * Y
        tmp = dY * Y
        tmp *= Y
        np.subtract(dY, tmp, out=dX)
        return dX

    def _f(self, xp, X):
        return xp.tanh(X)

    def _df(self, xp, dY, X, Y):
        return dY - dY * Y * Y

    def to_onnx(self, graph, x):
        return graph.node("Tanh", [x])


class Sigmoid(Activation):
    """Logistic sigmoid: ``f(x) = 1 / (1 + exp(-x))``; ``f'(x) = f(x) (1 - f(x))``.

    Computed without overflow for inputs of any size.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Sigmoid
    >>> Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """

    def _fn(self, X, out):
        sigmoid(X, out=out)

    def _backward_np(self, dY):
        Y = self._cache
        dX = self._out_for(dY, "_dX")
        tmp = 1.0 - Y
        tmp *= Y
        np.multiply(dY, tmp, out=dX)
        return dX

    def _f(self, xp, X):
        return sigmoid(X)

    def _df(self, xp, dY, X, Y):
        return dY * ((1.0 - Y) * Y)

    def to_onnx(self, graph, x):
        return graph.node("Sigmoid", [x])


class GELU(Activation):
    """Gaussian error linear unit, tanh approximation (as in BERT and GPT-2).

    ``f(x) = x * s(x)`` with ``s(x) = (1 + tanh(u)) / 2`` and
    ``u = sqrt(2 / pi) * (x + 0.044715 x^3)``;
    ``f'(x) = s(x) + x (1 - tanh(u)^2) / 2 * du/dx``.

    GELU needs its input for the derivative, so it never works in place.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import GELU
    >>> np.round(GELU().forward(np.array([-3.0, 0.0, 3.0])), 4)
    array([-0.0036,  0.    ,  2.9964])
    """

    _C = math.sqrt(2.0 / math.pi)
    init = "he"

    def __init__(self, *, inplace=False):
        super().__init__(inplace=False)

    def _tanh_u(self, X):
        u = X * X
        u *= 0.044715
        u += 1.0
        u *= X
        u *= self._C
        return np.tanh(u, out=u)

    def _fn(self, X, out, t=None):
        t = self._tanh_u(X) if t is None else t
        np.add(t, 1.0, out=out)
        out *= 0.5
        out *= X

    def infer(self, X, *, inplace=False):
        if not isinstance(X, np.ndarray):
            return self._f(get_namespace(X), X)
        out = np.empty_like(X)
        self._fn(X, out)
        if inplace:
            X[...] = out
            return X
        return out

    def _forward_np(self, X):
        t = self._tanh_u(X)
        self._cache = (X, t)
        out = self._buffer("_out", X.shape, X.dtype)
        self._fn(X, out, t)
        return out

    def _backward_np(self, dY):
        X, t = self._cache
        # s(x) + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        du = X * X
        du *= 3 * 0.044715 * self._C
        du += self._C
        sech2 = 1.0 - t * t
        du *= sech2
        du *= X
        du *= 0.5
        du += 0.5 * (1.0 + t)
        dX = self._buffer("_dX", dY.shape, dY.dtype)
        np.multiply(dY, du, out=dX)
        return dX

    def _f(self, xp, X):
        t = xp.tanh((X * X * 0.044715 + 1.0) * X * self._C)
        return (t + 1.0) * 0.5 * X

    def _df(self, xp, dY, X, Y):
        t = xp.tanh((X * X * 0.044715 + 1.0) * X * self._C)
        du = (X * X * (3 * 0.044715 * self._C) + self._C) * (1.0 - t * t) * X * 0.5
        return dY * (du + 0.5 * (1.0 + t))

    def to_onnx(self, graph, x):
        # in the order of operations of _tanh_u and _fn
        u = graph.node("Mul", [x, x])
        for op, c in (("Mul", 0.044715), ("Add", 1.0), ("Mul", None), ("Mul", self._C)):
            u = graph.node(op, [u, x if c is None else graph.const(c)])
        out = graph.node("Add", [graph.node("Tanh", [u]), graph.const(1.0)])
        out = graph.node("Mul", [out, graph.const(0.5)])
        return graph.node("Mul", [out, x])


def sigmoid(X, out=None):
    """Numerically stable logistic function, optionally written into ``out``.

    Parameters
    ----------
    X : ndarray
        Input.
    out : ndarray, optional
        Where to write the result (may be ``X`` itself).

    Returns
    -------
    ndarray
        ``1 / (1 + exp(-X))``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.activations import sigmoid
    >>> sigmoid(np.array([0.0]))
    array([0.5])
    """
    if not isinstance(X, np.ndarray):  # array API namespace: the same, functionally
        xp = get_namespace(X)
        e = xp.exp(-xp.abs(X))
        value = xp.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        if out is None:
            return value
        out[...] = value
        return out
    if out is None:
        out = np.empty_like(X)
    # exp(-|x|) never overflows; then pick the right branch by sign.
    e = np.exp(-np.abs(X))
    pos = X >= 0
    np.divide(1.0, 1.0 + e, out=out, where=pos)
    np.divide(e, 1.0 + e, out=out, where=~pos)
    return out


# Lookup by name, as the estimators' ``activation`` parameter uses them: a new
# activation is one more ``ACTIVATIONS.register(name, cls)``.
# 'logistic' is scikit-learn's name for the sigmoid.
ACTIVATIONS = Registry("activation")
for _name, _cls in (("identity", Identity), ("logistic", Sigmoid), ("tanh", Tanh),
                    ("relu", ReLU), ("leaky_relu", LeakyReLU), ("gelu", GELU)):
    ACTIVATIONS.register(_name, _cls)
del _name, _cls


def activation_name(module):
    """The registered name of an activation module's class.

    Examples
    --------
    >>> from skbpnet.nn import Sigmoid
    >>> from skbpnet.nn.activations import activation_name
    >>> activation_name(Sigmoid())
    'logistic'
    """
    return next(name for name, cls in ACTIVATIONS.items() if cls is type(module))
