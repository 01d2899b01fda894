"""The module protocol every layer, activation and container follows.

Backpropagation is the chain rule applied in reverse. Each module knows two
things: how to compute its output from its input (``forward``), and, given the
gradient of the loss with respect to that output, how to compute the gradient
with respect to its input and to its own parameters (``backward``). Chain the
modules forward, then call ``backward`` on them in reverse order, and every
parameter ends up holding its gradient.
"""

import numpy as np

from ._namespace import asarray_on, copy_array, device_of, get_namespace

__all__ = ["Module"]


class Module:
    """Base class of the backprop core: forward, backward, parameters, state.

    A subclass lists the names of its parameter arrays in ``_param_names``;
    the gradient of parameter ``name`` lives in ``grad_<name>``, with the same
    shape and dtype. ``params`` and ``grads`` return them in matching order.

    ``backward`` *overwrites* the gradients with those of the latest batch: no
    accumulation across calls, so a training loop need not call ``zero_grad``
    between steps (and saves a pass over every parameter). ``zero_grad`` is
    there for code that wants to clear them anyway.

    For speed, a module may return one of its own buffers from ``forward`` and
    ``backward``; that array is valid until the module's next call. Copy it if
    you need to keep it.

    Attributes
    ----------
    training : bool
        ``True`` in training mode (the default), ``False`` after :meth:`eval`.
        Only some modules behave differently (:class:`~skbpnet.nn.Dropout`).

    Examples
    --------
    A module that doubles its input:

    >>> import numpy as np
    >>> from skbpnet.nn import Module
    >>> class Double(Module):
    ...     def forward(self, X):
    ...         return 2 * X
    ...     def backward(self, dY):
    ...         return 2 * dY
    >>> Double()(np.ones(2))
    array([2., 2.])
    """

    _param_names = ()
    # Parameters that an L2 penalty (weight decay) applies to: a subset of
    # _param_names, declared by each layer (Linear: its weight, not its bias).
    _penalized = ()
    # Attributes rebuilt on demand and therefore never pickled: caches of the
    # last batch, work buffers.
    _transient = ()
    training = True

    def forward(self, X):
        """Compute the output for a batch ``X`` and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dY):
        """Given dL/dY for the last forward batch, set parameter gradients and return dL/dX."""
        raise NotImplementedError

    def infer(self, X):
        """Compute the output in evaluation mode, caching nothing.

        Unlike :meth:`forward`, this never touches the module's buffers, so a
        fitted network can predict from several threads at once. The default
        switches to evaluation mode around :meth:`forward`; the built-in
        modules override it with a stateless version.
        """
        mode = self.training
        self.train(False)
        try:
            out = self.forward(X)
            return copy_array(out)
        finally:
            self.train(mode)

    def get_config(self):
        """The module's settings, as plain Python values: what it is, not what it learnt.

        ``type(m).from_config(m.get_config())`` builds a module of the same
        structure (with fresh parameters). Model files store this description
        of each layer, and compare it with the network they rebuild.

        Returns
        -------
        dict
            Keyword arguments of the constructor.

        Examples
        --------
        >>> from skbpnet.nn import Dropout
        >>> Dropout.from_config(Dropout(0.3).get_config())
        Dropout(p=0.3)
        """
        return {}

    @classmethod
    def from_config(cls, config):
        """Build a module from :meth:`get_config`'s output.

        Parameters
        ----------
        config : dict

        Returns
        -------
        Module

        Examples
        --------
        >>> from skbpnet.nn import ReLU
        >>> ReLU.from_config({"inplace": True})
        ReLU(inplace=True)
        """
        return cls(**config)

    def __call__(self, X):
        return self.forward(X)

    @property
    def params(self):
        """list of ndarray: the parameter arrays, in a fixed order."""
        return [getattr(self, name) for name in self._param_names]

    @property
    def grads(self):
        """list of ndarray: the gradient arrays, in the order of ``params``."""
        return [getattr(self, "grad_" + name) for name in self._param_names]

    def zero_grad(self):
        """Set every gradient to zero."""
        for g in self.grads:
            g[...] = 0

    def train(self, mode=True):
        """Switch training mode on (or off with ``mode=False``); returns self."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off); returns self."""
        return self.train(False)

    def get_state(self):
        """Return a dict of copies of the parameter arrays (in their namespace), by name."""
        return {name: copy_array(p) for name, p in zip(self._param_names, self.params)}

    def set_state(self, state):
        """Copy parameter values from a dict made by :meth:`get_state`.

        Values are copied into the existing arrays, which keeps them valid as
        views into a container's flat buffer. Shapes must match. Values of
        another namespace or device are moved to the parameters' own.
        """
        for name, p in zip(self._param_names, self.params):
            if not isinstance(p, np.ndarray):  # array API namespace: move, then copy in
                value = asarray_on(state[name], get_namespace(p), device_of(p), dtype=p.dtype)
                if tuple(value.shape) != tuple(p.shape):
                    raise ValueError(f"{type(self).__name__}.{name} has shape {tuple(p.shape)}; "
                                     f"the state holds shape {tuple(value.shape)}.")
                p[...] = value
                continue
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.{name} has shape {p.shape}; the state "
                    f"holds shape {value.shape}."
                )
            np.copyto(p, value, casting="same_kind")

    def _buffer(self, name, shape, dtype):
        """A reusable work array of at least ``shape[0]`` rows, sliced to ``shape``."""
        buf = self.__dict__.get(name)
        if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:] or buf.dtype != dtype:
            buf = np.empty(shape, dtype=dtype)
            setattr(self, name, buf)
        return buf[: shape[0]]

    # Pickling: parameters and settings only. Gradients and buffers are
    # rebuilt, so a saved model is about the size of its parameters.
    def __getstate__(self):
        state = self.__dict__.copy()
        for name in self._param_names:
            state.pop("grad_" + name, None)
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in self._param_names:
            value = getattr(self, name)
            setattr(self, "grad_" + name, get_namespace(value).zeros_like(value))

    def __repr__(self):
        return f"{type(self).__name__}()"

