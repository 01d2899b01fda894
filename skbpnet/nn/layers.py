"""Layers with parameters (Linear) and regularising layers (Dropout)."""

import numpy as np

from .base import Module
from ._namespace import asarray_on, device_of, get_namespace
from .hashing import keyed_keep
from .init import as_generator, initialize

__all__ = ["Linear", "Dropout"]


class Linear(Module):
    """Fully connected layer: ``Y = X @ W + b``.

    Parameters
    ----------
    n_in : int
        Number of input features.
    n_out : int
        Number of output units.
    init : {'he', 'glorot'}, default='he'
        Weight initialisation: He for ReLU-like activations, Glorot for tanh,
        logistic and identity. Biases start at zero.
    dtype : {numpy.float32, numpy.float64}, default=numpy.float64
        dtype of the parameters, gradients and outputs.
    random_state : None, int, RandomState or Generator, default=None
        Source of the initial weights.

    Attributes
    ----------
    weight : ndarray of shape (n_in, n_out)
    bias : ndarray of shape (n_out,)
    grad_weight, grad_bias : ndarray
        Gradients of the last :meth:`backward`, same shapes as the parameters.
    compute_input_grad : bool
        When ``False``, :meth:`backward` skips dL/dX and returns ``None``: the
        first layer of a network never needs it, and it is one of the five
        large matrix products of a training step.

    Notes
    -----
    With ``Y = X W + b`` and the upstream gradient ``G = dL/dY``::

        dL/dW = X^T G        dL/db = sum over rows of G        dL/dX = G W^T

    The input is kept by reference (not copied) for the weight gradient, and
    the bias is a separate vector: no batch is copied to append a column of ones.
    Sparse ``X`` (anything with a ``@`` operator, such as scipy's CSR) works
    without being densified.

    NumPy parameters take the fast path: products written into reused
    buffers. Parameters of another array API namespace (after
    ``Sequential.to_namespace``: PyTorch, CuPy) compute the same three
    products as plain expressions in that namespace.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Linear
    >>> layer = Linear(3, 2, random_state=0)
    >>> Y = layer.forward(np.ones((4, 3)))
    >>> Y.shape
    (4, 2)
    >>> dX = layer.backward(np.ones((4, 2)))
    >>> layer.grad_weight
    array([[4., 4.],
           [4., 4.],
           [4., 4.]])
    >>> layer.grad_bias
    array([4., 4.])
    """

    _param_names = ("weight", "bias")
    _penalized = ("weight",)  # an L2 penalty applies to the weights, not the bias
    _transient = ("_X", "_out", "_dX")

    def __init__(self, n_in, n_out, *, init="he", dtype=np.float64, random_state=None):
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        self.n_in, self.n_out = int(n_in), int(n_out)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
        self.weight = initialize(init, self.n_in, self.n_out, as_generator(random_state), dtype)
        self.bias = np.zeros(self.n_out, dtype=dtype)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self.compute_input_grad = True

    @staticmethod
    def n_params(n_in, n_out):
        """The number of parameters of a ``Linear(n_in, n_out)``: weights and biases.

        Examples
        --------
        >>> from skbpnet.nn import Linear
        >>> Linear.n_params(3, 2)
        8
        """
        return (n_in + 1) * n_out

    def get_config(self):
        """The layer's structure: ``{'n_in': ..., 'n_out': ...}`` (see :meth:`Module.get_config`).

        Examples
        --------
        >>> from skbpnet.nn import Linear
        >>> Linear(3, 2).get_config()
        {'n_in': 3, 'n_out': 2}
        """
        return {"n_in": self.n_in, "n_out": self.n_out}

    def forward(self, X):
        self._X = X
        if not isinstance(self.weight, np.ndarray):  # array API namespace
            return X @ self.weight + self.bias
        out = self._buffer("_out", (X.shape[0], self.n_out), self.weight.dtype)
        if isinstance(X, np.ndarray):
            np.matmul(X, self.weight, out=out)
        else:  # sparse input: scipy returns a new dense array
            out[...] = X @ self.weight
        out += self.bias
        return out

    def infer(self, X):
        """Return ``X @ W + b`` as a new array, caching nothing (prediction path)."""
        out = X @ self.weight
        out += self.bias
        return out

    def backward(self, dY):
        X = self._X
        if not isinstance(self.weight, np.ndarray):  # array API namespace
            xp = get_namespace(dY)
            self.grad_weight[...] = X.T @ dY
            self.grad_bias[...] = xp.sum(dY, axis=0)
            return dY @ self.weight.T if self.compute_input_grad else None
        if isinstance(X, np.ndarray):
            np.matmul(X.T, dY, out=self.grad_weight)
        else:
            self.grad_weight[...] = X.T @ dY
        np.sum(dY, axis=0, out=self.grad_bias)
        if not self.compute_input_grad:
            return None
        dX = self._buffer("_dX", (dY.shape[0], self.n_in), self.weight.dtype)
        np.matmul(dY, self.weight.T, out=dX)
        return dX

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out}, dtype={self.weight.dtype.name})"


class Dropout(Module):
    """Inverted dropout: zero each input with probability ``p`` while training.

    Survivors are scaled by ``1 / (1 - p)`` so the expected output equals the
    input; in evaluation mode the layer is the identity and costs nothing.

    Parameters
    ----------
    p : float in [0, 1), default=0.5
        Probability of dropping a unit.
    random_state : None, int, RandomState or Generator, default=None
        Source of the dropout masks.

    Notes
    -----
    With the mask ``M`` (entries ``0`` or ``1 / (1 - p)``): ``Y = X * M`` and
    ``dL/dX = dL/dY * M``.

    ``forward(X, row_keys=keys)`` makes the mask of each row a fixed function
    of its uint64 key (and the column) instead of a draw from ``rng``
    (:func:`skbpnet.nn.hashing.keyed_uniform_bits`). The estimators pass a
    hash of each sample salted by the epoch, so that a sample's mask does not
    depend on which batch it lands in: a sample weight of 2 is then exactly
    two copies of the sample.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Dropout
    >>> drop = Dropout(0.5, random_state=0)
    >>> Y = drop.forward(np.ones((2, 4)))
    >>> sorted(set(Y.ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval().forward(np.ones((1, 2)))
    array([[1., 1.]])
    """

    _transient = ("_mask", "_maskbuf", "_out", "_dX", "_noise")

    def __init__(self, p=0.5, *, random_state=None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability p must be in [0, 1); got {p!r}.")
        self.p = float(p)
        self.rng = as_generator(random_state)

    def get_config(self):
        """``{'p': p}`` (see :meth:`Module.get_config`).

        Examples
        --------
        >>> from skbpnet.nn import Dropout
        >>> Dropout(0.25).get_config()
        {'p': 0.25}
        """
        return {"p": self.p}

    def forward(self, X, row_keys=None):
        """Apply a fresh mask (training) or nothing (evaluation).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        row_keys : ndarray of uint64 of shape (n_samples,), default=None
            Keys that fix each row's mask; ``None`` draws it from ``rng``.
        """
        if not self.training or self.p == 0.0:
            self._mask = None
            return X
        if not isinstance(X, np.ndarray) and not hasattr(X, "tocsr"):
            self._mask = self._mask_xp(X, row_keys)
            return X * self._mask
        if not isinstance(X, np.ndarray):
            X = X.toarray()  # a sparse batch: dropout needs its dense form
        dtype = X.dtype
        mask = self._mask = self._buffer("_maskbuf", X.shape, dtype)
        if row_keys is not None:
            keep = keyed_keep(row_keys, X.shape[1], self.p)
            np.copyto(mask, keep, casting="unsafe")
        else:
            noise = self._buffer("_noise", X.shape, dtype)
            self.rng.random(out=noise, dtype=dtype)
            np.greater_equal(noise, self.p, out=mask, casting="unsafe")
        # mask = keep / (1 - p), without temporaries
        mask *= 1.0 / (1.0 - self.p)
        out = self._buffer("_out", X.shape, dtype)
        np.multiply(X, mask, out=out)
        return out

    def _mask_xp(self, X, row_keys):
        """The mask in X's array API namespace and on its device.

        Keyed masks are computed there (``row_keys``: int64 on X's device,
        the uint64 keys' bits), equal bit for bit to the NumPy ones; a mask
        drawn from ``rng`` is drawn on the host and moved.
        """
        xp, device = get_namespace(X), device_of(X)
        if row_keys is not None:
            keep = keyed_keep(row_keys, X.shape[1], self.p)
        else:
            keep = asarray_on(self.rng.random(tuple(X.shape)) >= self.p, xp, device)
        return xp.astype(keep, X.dtype) * (1.0 / (1.0 - self.p))

    def infer(self, X):
        """Identity: dropout is off at prediction time."""
        return X

    def backward(self, dY):
        if self._mask is None:
            return dY
        if not isinstance(dY, np.ndarray):
            return dY * self._mask
        dX = self._buffer("_dX", dY.shape, dY.dtype)
        np.multiply(dY, self._mask, out=dX)
        return dX

    def __setstate__(self, state):
        state.pop("row_keys", None)  # an attribute of skbpnet 0.1.0, now an argument
        super().__setstate__(state)

    def __repr__(self):
        return f"Dropout(p={self.p})"
