"""Sequential: layers run forward in order and backward in reverse."""

import copy

import numpy as np

from ._namespace import (asarray_on, converter_target, device_of, get_namespace, is_numpy,
                         to_numpy)
from .activations import Activation
from .base import Module
from .layers import Dropout, Linear

__all__ = ["Sequential"]


class Sequential(Module):
    """A chain of modules, with all parameters in one contiguous buffer.

    ``forward`` feeds each module's output to the next; ``backward`` walks the
    chain in reverse, handing each module the gradient of the one after it.
    That loop is the whole of backpropagation.

    On construction every parameter of every layer is copied into one flat
    array, ``param_vector``, and the layers' attributes are replaced by views
    into it; gradients likewise live in ``grad_vector``. An optimizer can then
    update the whole network in one or two vectorised passes instead of one
    small pass per array. Penalised parameters (those each layer lists in its
    ``_penalized``: the weights of :class:`~skbpnet.nn.Linear`) come first, so
    ``param_vector[:n_penalized]`` is every weight and
    ``param_vector[n_penalized:]`` every bias.

    The network computes in the namespace of its parameters: NumPy after
    construction, and any array API namespace and device (PyTorch, CuPy) after
    :meth:`to_namespace`, which moves the flat buffers and re-creates the
    views. Its input must then be an array of that namespace and device.

    Parameters
    ----------
    *layers : Module
        The modules, in forward order. Their parameters must share one dtype.

    Attributes
    ----------
    layers : list of Module
    param_vector, grad_vector : ndarray of shape (n_params,)
        All parameters and all gradients, as flat arrays.
    n_penalized : int
        Number of leading entries of ``param_vector`` that an L2 penalty
        applies to (the weights).
    input_grad : bool
        When ``False`` (set it for training), ``backward`` skips the gradient
        with respect to the network's input, which no one needs. It is not a
        flag of its own: it reads and sets ``compute_input_grad`` of the
        first :class:`~skbpnet.nn.Linear`.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Sequential, Linear, ReLU, SoftmaxCrossEntropyLoss
    >>> net = Sequential(Linear(2, 8, random_state=0), ReLU(), Linear(8, 3, random_state=1))
    >>> net.param_vector.shape
    (51,)
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 2])
    >>> loss = SoftmaxCrossEntropyLoss()
    >>> value = loss.forward(net.forward(X), y)
    >>> _ = net.backward(loss.backward())
    >>> net.grad_vector.shape
    (51,)
    """

    _transient = ("param_vector", "grad_vector")

    def __init__(self, *layers):
        for layer in layers:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Module instances; got {layer!r}.")
        self.layers = list(layers)
        self._pack()

    def _entries(self):
        """(layer, name) for every parameter: penalised ones first."""
        weights, others = [], []
        for layer in self.layers:
            for name in layer._param_names:
                (weights if name in layer._penalized else others).append((layer, name))
        return weights, others

    def _pack(self, xp=None, device=None):
        """Move every parameter and gradient into one flat buffer each.

        The buffers are made in ``xp`` on ``device`` (by default, the
        namespace and device of the parameters).
        """
        weights, others = self._entries()
        entries = weights + others
        values = [getattr(layer, name) for layer, name in entries]
        dtypes = {str(v.dtype) for v in values}
        if len(dtypes) > 1:
            raise ValueError(f"All parameters must share one dtype; got {sorted(dtypes)}.")
        if xp is None:
            xp = get_namespace(*values)
            device = device_of(values[0]) if values else "cpu"
        dtype = values[0].dtype if values else np.float64
        if xp is not np:
            values = [asarray_on(v, xp, device) for v in values]
            dtype = values[0].dtype if values else xp.float64
        sizes = [int(np.prod(v.shape)) for v in values]
        kwargs = {} if xp is np else {"device": device}
        self.param_vector = xp.empty(sum(sizes), dtype=dtype, **kwargs)
        self.grad_vector = xp.zeros(sum(sizes), dtype=dtype, **kwargs)
        self.n_penalized = sum(sizes[: len(weights)])
        start = 0
        for (layer, name), value, size in zip(entries, values, sizes):
            shape = tuple(value.shape)
            view = xp.reshape(self.param_vector[start : start + size], shape)
            view[...] = value
            setattr(layer, name, view)
            setattr(layer, "grad_" + name,
                    xp.reshape(self.grad_vector[start : start + size], shape))
            start += size
        # Activations right after a Linear may work in place on its output
        # buffer, which nothing else reads.
        for prev, layer in zip(self.layers, self.layers[1:]):
            if isinstance(prev, Linear) and isinstance(layer, Activation):
                layer.inplace = True

    def linear_layers(self):
        """The :class:`Linear` layers, in order.

        Examples
        --------
        >>> from skbpnet.nn import Linear, ReLU, Sequential
        >>> [m.n_out for m in Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).linear_layers()]
        [3, 1]
        """
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def _first_linear(self):
        first = next((layer for layer in self.layers if layer._param_names), None)
        return first if isinstance(first, Linear) else None

    @property
    def input_grad(self):
        first = self._first_linear()
        return True if first is None else first.compute_input_grad

    @input_grad.setter
    def input_grad(self, value):
        first = self._first_linear()
        if first is not None:
            first.compute_input_grad = bool(value)

    @property
    def dtype(self):
        """The dtype of the parameters (a NumPy dtype, or the namespace's own)."""
        return self.param_vector.dtype

    def to_namespace(self, xp, device=None):
        """Move the parameters and gradients to namespace ``xp`` on ``device``, in place.

        Parameters
        ----------
        xp : module
            ``numpy``, or an array API namespace (``array_api_compat``'s
            wrapper of PyTorch or CuPy, ``array_api_strict``).
        device : object, default=None
            A device of ``xp`` (``None``: its default; ignored by NumPy).

        Returns
        -------
        self : Sequential

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import Sequential, Linear
        >>> net = Sequential(Linear(2, 3, random_state=0))
        >>> net.to_namespace(np).param_vector.shape
        (9,)
        """
        xp = np if is_numpy(xp) else xp
        for layer in self.layers:
            if xp is np:
                for name in layer._param_names:
                    setattr(layer, name, to_numpy(getattr(layer, name)))
            for key in layer._transient:  # buffers and caches of the old namespace
                layer.__dict__.pop(key, None)
        if xp is not np and device is None:
            device = xp.__array_namespace_info__().default_device()
        self._pack(xp, device)
        return self

    def __sklearn_array_api_convert__(self, converter):
        """A copy in the namespace and device that ``converter`` moves arrays to.

        scikit-learn's ``move_estimator_to`` calls this hook.
        """
        return copy.deepcopy(self).to_namespace(*converter_target(converter, self.dtype))

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]

    def forward(self, X, dropout_keys=None):
        """Run every layer forward in order.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        dropout_keys : list of ndarray of uint64, default=None
            One array of row keys per :class:`~skbpnet.nn.Dropout` layer, in
            order: each fixes that layer's masks (see ``Dropout.forward``).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        keys = iter(dropout_keys or ())
        for layer in self.layers:
            if dropout_keys is not None and isinstance(layer, Dropout):
                X = layer.forward(X, row_keys=next(keys))
            else:
                X = layer.forward(X)
        return X

    def infer(self, X):
        """Evaluation-mode output as a new array, without touching any buffer.

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import Sequential, Linear, ReLU
        >>> net = Sequential(Linear(2, 3, random_state=0), ReLU())
        >>> net.infer(np.ones((4, 2))).shape
        (4, 3)
        """
        fresh = False  # True once X is an array that this call created
        for layer in self.layers:
            if isinstance(layer, Activation):
                X = layer.infer(X, inplace=fresh)
            else:
                X = layer.infer(X)
                fresh = isinstance(layer, Linear)
        return X

    def backward(self, dY):
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
            if dY is None:  # the first Linear skipped dL/dX
                return None
        return dY

    def zero_grad(self):
        self.grad_vector[...] = 0

    def train(self, mode=True):
        super().train(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def param_groups(self):
        """The parameters and their gradients in two groups: weights (penalised), then biases.

        Each group is a view of ``param_vector`` (or ``grad_vector``): an
        optimizer steps over two arrays, keeps one state array per group, and
        a penalty is given per group (``l2=[alpha, 0.0]``).

        Returns
        -------
        params, grads : list of two 1-D arrays each

        Examples
        --------
        >>> from skbpnet.nn import Linear, Sequential
        >>> net = Sequential(Linear(3, 2, random_state=0))
        >>> params, grads = net.param_groups()
        >>> [p.shape for p in params], [g.shape for g in grads]
        ([(6,), (2,)], [(6,), (2,)])
        """
        pv, gv, k = self.param_vector, self.grad_vector, self.n_penalized
        return [pv[:k], pv[k:]], [gv[:k], gv[k:]]

    def use_rng(self, rng):
        """Make every :class:`~skbpnet.nn.Dropout` layer draw its masks from ``rng``; returns self.

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import Dropout, Linear, Sequential
        >>> rng = np.random.default_rng(0)
        >>> net = Sequential(Dropout(0.5), Linear(2, 1, random_state=0)).use_rng(rng)
        >>> net.layers[0].rng is rng
        True
        """
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng
        return self

    def get_state(self):
        """Return ``{'layers': [state of each layer]}`` (copies)."""
        return {"layers": [layer.get_state() for layer in self.layers]}

    def set_state(self, state):
        """Copy parameter values from a dict made by :meth:`get_state`."""
        states = state["layers"]
        if len(states) != len(self.layers):
            raise ValueError(f"The state has {len(states)} layers; this network has {len(self.layers)}.")
        for layer, s in zip(self.layers, states):
            layer.set_state(s)

    def __setstate__(self, state):
        # skbpnet 0.1.0 also stored the first Linear's compute_input_grad here.
        state.pop("input_grad", None)
        state.pop("_input_grad_set", None)
        self.__dict__.update(state)
        self._pack()

    def __repr__(self):
        inner = ",\n".join("    " + repr(layer) for layer in self.layers)
        return f"Sequential(\n{inner}\n)"
