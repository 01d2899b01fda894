"""Optimizers: update parameters in place from their gradients.

An optimizer is kept apart from the layers. It owns its state (velocities,
moment estimates), created on the first :meth:`~Optimizer.step` to match the
arrays it is given, and it is handed the parameters and gradients at each step
as two lists in matching order. :class:`~skbpnet.nn.Sequential` keeps them in
one flat buffer each, so a step over a whole network is a few vectorised
passes over two arrays (weights, then biases).

Every step can add an L2 penalty ``l2 * w`` to the gradient, given per array:
a penalty on weights but not on biases is ``l2=[alpha, 0.0]``.

NumPy arrays are updated by BLAS (``_update_blas``) or by the NumPy reference
(``_update_numpy``); arrays of any other array API namespace (PyTorch, CuPy)
by ``_update_xp``, the same formula with in-place operators. The tests check
that the three agree.
"""

import math
import numbers

import numpy as np

from ._namespace import copy_array, copy_into, get_namespace

try:  # BLAS level 1 (axpy, scal) fuses passes; the core still needs only NumPy
    from scipy.linalg import blas as _blas
except ImportError:  # pragma: no cover - scikit-learn always brings SciPy
    _blas = None

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: ``step(params, grads, l2=0.0)`` updates ``params`` in place.

    Parameters
    ----------
    learning_rate : float
        Step size. A schedule may change it between epochs.

    Attributes
    ----------
    n_steps : int
        Number of steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import SGD
    >>> w, g = np.array([1.0]), np.array([0.5])
    >>> SGD(learning_rate=0.1, momentum=0.0).step([w], [g])
    >>> w
    array([0.95])
    """

    # Flush state entries smaller than this to zero every few steps: decaying
    # velocities of dead units otherwise turn into float32 denormals, which
    # slow every pass over them several times over.
    _FLUSH_EVERY = 256
    _TINY = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-290}

    def __init__(self, learning_rate):
        if not (isinstance(learning_rate, numbers.Real) and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number; got {learning_rate!r}.")
        self.learning_rate = float(learning_rate)
        self.n_steps = 0
        self.state = None
        self._scratch = None

    # Use the fused BLAS update when SciPy is there (set False for the NumPy
    # reference update, which the tests compare it with).
    fused = True

    def _kernels(self, fused, *arrays):
        """(axpy, scal) of BLAS for the arrays' dtype, or None to use the NumPy reference.

        BLAS works in place only on contiguous arrays of one float dtype; the
        update then runs on flat views of them (``reshape(-1)`` is a view).
        """
        dtype = arrays[0].dtype
        if not fused or _blas is None or not all(
                a.flags.c_contiguous and a.dtype == dtype for a in arrays):
            return None
        if dtype == np.float32:
            return _blas.saxpy, _blas.sscal
        if dtype == np.float64:
            return _blas.daxpy, _blas.dscal
        return None

    def step(self, params, grads, l2=0.0, fused=None):
        """Apply one update to every array of ``params`` (in place).

        Parameters
        ----------
        params : list of ndarray
            Parameters, updated in place.
        grads : list of ndarray
            Their gradients, same shapes. They may be used as scratch space
            and hold other values afterwards.
        l2 : float or list of float, default=0.0
            L2 penalty per array: ``l2 * param`` is added to the gradient.
        fused : bool, default=None
            Use the fused BLAS update for this step (None: ``self.fused``).
            The trainer turns it off where SciPy's BLAS would run several
            threads beside NumPy's.
        """
        xp = get_namespace(*params)
        if self.state is None:
            self.state = [[xp.zeros_like(p) for p in params] for _ in range(self._n_slots)]
        if isinstance(l2, numbers.Real):
            l2 = [l2] * len(params)
        self.n_steps += 1
        if xp is not np:
            for arrays in zip(params, grads, *self.state, l2):
                self._update_xp(*arrays)
        else:
            if getattr(self, "_scratch", None) is None:
                self._scratch = [np.empty_like(p) for p in params]
            self._update(params, grads, l2, self.fused if fused is None else fused)
        if self.n_steps % self._FLUSH_EVERY == 0:
            self._flush_denormals()

    def _flush_denormals(self):
        for slot in self.state:
            for a in slot:
                if isinstance(a, np.ndarray):
                    np.copyto(a, 0, where=np.abs(a) < self._TINY[a.dtype])
                else:
                    xp = get_namespace(a)
                    tiny = 1e-30 if a.dtype == xp.float32 else 1e-290
                    a[...] = xp.where(xp.abs(a) < tiny, xp.zeros_like(a), a)

    # The constructor's settings besides the learning rate; each subclass lists its own.
    _hyperparameters = ()

    def get_config(self):
        """Settings and counters as plain values: everything but the state arrays.

        ``type(opt).from_config(opt.get_config())`` gives an optimizer with the
        same settings, learning rate and step count; the arrays of ``state``
        (velocities, moments) are carried separately.

        Returns
        -------
        dict

        Examples
        --------
        >>> from skbpnet.nn import SGD
        >>> SGD(0.1, momentum=0.5).get_config()
        {'learning_rate': 0.1, 'n_steps': 0, 'momentum': 0.5, 'nesterov': False}
        """
        config = {"learning_rate": self.learning_rate, "n_steps": self.n_steps}
        config.update((name, getattr(self, name)) for name in self._hyperparameters)
        return config

    @classmethod
    def from_config(cls, config):
        """Build an optimizer from :meth:`get_config`'s output (validated).

        The learning rate may be 0 here (a schedule may have annealed it to
        0), which the constructor refuses.

        Parameters
        ----------
        config : dict

        Returns
        -------
        Optimizer

        Examples
        --------
        >>> from skbpnet.nn import Adam
        >>> Adam.from_config({"learning_rate": 0.0, "n_steps": 3, "beta_1": 0.9,
        ...                   "beta_2": 0.999, "epsilon": 1e-8}).n_steps
        3
        """
        config = dict(config)
        lr, n_steps = config.pop("learning_rate"), config.pop("n_steps")
        opt = cls(1.0, **config)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr >= 0:
            raise ValueError(f"learning_rate must be a number >= 0; got {lr!r}.")
        if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 0:
            raise ValueError(f"n_steps must be an integer >= 0; got {n_steps!r}.")
        opt.learning_rate, opt.n_steps = float(lr), int(n_steps)
        return opt

    def adopt_settings(self, other):
        """Take ``other``'s settings (momentum, betas, ...), keeping this one's state.

        Parameters
        ----------
        other : Optimizer
            An optimizer of the same class.

        Examples
        --------
        >>> from skbpnet.nn import SGD
        >>> opt = SGD(0.1, momentum=0.9)
        >>> opt.adopt_settings(SGD(0.1, momentum=0.5, nesterov=True))
        >>> opt.momentum, opt.nesterov
        (0.5, True)
        """
        for name in self._hyperparameters:
            setattr(self, name, getattr(other, name))

    def to_namespace(self, xp, device=None):
        """Move the state arrays to namespace ``xp`` on ``device``, in place; returns self.

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import SGD
        >>> opt = SGD(0.1)
        >>> opt.step([np.ones(2)], [np.ones(2)])
        >>> type(opt.to_namespace(np).state[0][0]).__name__
        'ndarray'
        """
        from ._namespace import asarray_on

        if self.state is not None:
            self.state = [[asarray_on(a, xp, device) for a in slot] for slot in self.state]
        self._scratch = None
        return self

    def get_state(self, out=None):
        """The step count and copies of the state arrays, to give back to :meth:`set_state`.

        The state is one slot per kind of array the optimizer keeps (SGD: the
        velocities; Adam: the two moments), each slot one array per parameter
        group of :meth:`Sequential.param_groups() <skbpnet.nn.Sequential.param_groups>`.

        Parameters
        ----------
        out : dict, default=None
            A state returned earlier by this method, for the same parameters:
            its arrays are overwritten and reused (no allocation).

        Returns
        -------
        dict
            ``{"n_steps": int, "slots": list of lists of arrays, or None}``
            (None before the first step).

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import Adam
        >>> opt = Adam(0.1)
        >>> opt.step([np.ones(2), np.ones(1)], [np.ones(2), np.ones(1)])
        >>> state = opt.get_state()
        >>> state["n_steps"], len(state["slots"]), len(state["slots"][0])
        (1, 2, 2)
        """
        slots = self.state
        if slots is not None and out is not None and out["slots"] is not None:
            for slot_out, slot in zip(out["slots"], slots):
                for dst, src in zip(slot_out, slot):
                    copy_into(dst, src)
            slots = out["slots"]
        elif slots is not None:
            slots = [[copy_array(a) for a in slot] for slot in slots]
        return {"n_steps": self.n_steps, "slots": slots}

    def set_state(self, state):
        """Set the step count and (copies of) the state arrays from :meth:`get_state`'s form.

        Parameters
        ----------
        state : dict
            ``{"n_steps": int, "slots": list of lists of arrays, or None}``;
            ``slots`` holds as many slots as this optimizer keeps.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If ``slots`` does not hold one list per slot of this optimizer.

        Examples
        --------
        >>> import numpy as np
        >>> from skbpnet.nn import SGD
        >>> opt = SGD(0.1).set_state({"n_steps": 3, "slots": [[np.zeros(2)]]})
        >>> opt.n_steps, opt.state[0][0].shape
        (3, (2,))
        >>> SGD(0.1).set_state({"n_steps": 0, "slots": []})
        Traceback (most recent call last):
        ...
        ValueError: SGD keeps 1 state slot(s); got 0.
        """
        slots = state["slots"]
        if slots is not None:
            if not (isinstance(slots, list) and len(slots) == self._n_slots
                    and all(isinstance(slot, list) for slot in slots)):
                n = len(slots) if isinstance(slots, list) else type(slots).__name__
                raise ValueError(f"{type(self).__name__} keeps {self._n_slots} state "
                                 f"slot(s); got {n}.")
            slots = [[copy_array(a) for a in slot] for slot in slots]
        self.n_steps, self.state = state["n_steps"], slots
        return self

    def __getstate__(self):
        # scratch space is rebuilt on the next step, never saved
        return {k: v for k, v in self.__dict__.items() if k != "_scratch"}

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    With gradient ``g`` (penalty included), velocity ``v`` and learning rate ``lr``::

        v <- momentum * v - lr * g
        w <- w + v                          (classical momentum)
        w <- w + momentum * v - lr * g      (Nesterov, after updating v)

    the same form and meaning as scikit-learn's ``MLPClassifier``. (The form
    ``v <- lr * (g + momentum * v)`` would scale the carried velocity by ``lr``
    too: with lr = 0.001 a momentum of 0.9 would act as 0.0009.)

    Parameters
    ----------
    learning_rate : float, default=0.01
    momentum : float in [0, 1], default=0.9
    nesterov : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import SGD
    >>> w = np.array([1.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.step([w], [np.array([1.0])])   # v = -0.1
    >>> opt.step([w], [np.array([1.0])])   # v = 0.9 * -0.1 - 0.1 = -0.19
    >>> w
    array([0.71])
    """

    _n_slots = 1  # velocities
    _hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1]; got {momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _update(self, params, grads, l2, fused):
        for w, g, v, tmp, pen in zip(params, grads, self.state[0], self._scratch, l2):
            blas = self._kernels(fused, w, g, v)
            if blas is None:
                self._update_numpy(w, g, v, tmp, pen)
            else:
                self._update_blas(w.reshape(-1), g.reshape(-1), v.reshape(-1), pen, *blas)

    def _update_blas(self, w, g, v, pen, axpy, scal):
        """The same update in 5 passes over the arrays instead of 8 (BLAS axpy, scal)."""
        lr, mu = self.learning_rate, self.momentum
        if pen:
            axpy(w, g, a=pen)  # g += pen * w
        scal(mu, v)
        axpy(g, v, a=-lr)  # v = momentum * v - lr * g
        if self.nesterov:
            axpy(v, w, a=mu)
            axpy(g, w, a=-lr)  # w += momentum * v - lr * g
        else:
            axpy(v, w, a=1.0)

    def _update_xp(self, w, g, v, pen):
        """The update in any array API namespace, with in-place operators."""
        lr, mu = self.learning_rate, self.momentum
        if pen:
            g += w * pen
        g *= -lr
        v *= mu
        v += g  # v = momentum * v - lr * g
        if self.nesterov:
            w += v * mu + g
        else:
            w += v

    def _update_numpy(self, w, g, v, tmp, pen):
        """The reference update, in NumPy: each line one step of the formula."""
        lr, mu = self.learning_rate, self.momentum
        if pen:  # fold the L2 penalty into the gradient
            np.multiply(w, pen, out=tmp)
            g += tmp
        g *= -lr  # g now holds the plain step -lr * g
        v *= mu
        v += g  # v = momentum * v - lr * g
        if self.nesterov:
            np.multiply(v, mu, out=tmp)
            tmp += g
            w += tmp  # w += momentum * v - lr * g
        else:
            w += v

    def __repr__(self):
        return (
            f"SGD(learning_rate={self.learning_rate}, momentum={self.momentum}, "
            f"nesterov={self.nesterov})"
        )


class Adam(Optimizer):
    """Adam: per-parameter steps from running moments of the gradient.

    With gradient ``g`` at step ``t``::

        m <- beta_1 m + (1 - beta_1) g
        s <- beta_2 s + (1 - beta_2) g^2
        w <- w - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(s) + epsilon)

    as in Kingma and Ba (2014) and scikit-learn's ``MLPClassifier``.

    Parameters
    ----------
    learning_rate : float, default=0.001
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
    epsilon : float, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Adam
    >>> w = np.array([1.0])
    >>> Adam(learning_rate=0.1).step([w], [np.array([3.0])])  # first step moves by lr
    >>> w
    array([0.9])
    """

    _n_slots = 2  # first and second moments
    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        for name, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {b!r}.")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be positive; got {epsilon!r}.")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, params, grads, l2, fused):
        t = self.n_steps
        lr_t = self.learning_rate * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        for w, g, m, s, tmp, pen in zip(params, grads, *self.state, self._scratch, l2):
            blas = self._kernels(fused, w, g, m, s, tmp)
            if blas is None:
                self._update_numpy(w, g, m, s, tmp, pen, lr_t)
            else:
                flat = (a.reshape(-1) for a in (w, g, m, s, tmp))
                self._update_blas(*flat, pen, lr_t, *blas)

    def _update_blas(self, w, g, m, s, tmp, pen, lr_t, axpy, scal):
        """The same update with BLAS axpy and scal fusing passes."""
        b1, b2 = self.beta_1, self.beta_2
        if pen:
            axpy(w, g, a=pen)
        scal(b1, m)
        axpy(g, m, a=1.0 - b1)  # m = b1 m + (1 - b1) g
        g *= g
        scal(b2, s)
        axpy(g, s, a=1.0 - b2)  # s = b2 s + (1 - b2) g^2
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        axpy(tmp, w, a=-lr_t)

    def _update_xp(self, w, g, m, s, pen):
        """The update in any array API namespace, with in-place operators."""
        t, b1, b2 = self.n_steps, self.beta_1, self.beta_2
        lr_t = self.learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        if pen:
            g += w * pen
        m *= b1
        m += g * (1.0 - b1)
        s *= b2
        s += g * g * (1.0 - b2)
        w -= m / (get_namespace(s).sqrt(s) + self.epsilon) * lr_t

    def _update_numpy(self, w, g, m, s, tmp, pen, lr_t):
        """The reference update, in NumPy: each line one step of the formula."""
        b1, b2 = self.beta_1, self.beta_2
        if pen:
            np.multiply(w, pen, out=tmp)
            g += tmp
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp  # m = b1 m + (1 - b1) g
        s *= b2
        g *= g
        g *= 1.0 - b2
        s += g  # s = b2 s + (1 - b2) g^2
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t
        w -= tmp

    def __repr__(self):
        return (
            f"Adam(learning_rate={self.learning_rate}, beta_1={self.beta_1}, "
            f"beta_2={self.beta_2}, epsilon={self.epsilon})"
        )
