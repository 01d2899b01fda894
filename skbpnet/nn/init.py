"""Weight initialisers, each drawing from an explicit random generator.

A layer's starting weights decide whether a deep network trains at all. Too
small (such as U(-0.01, 0.01)) and the signal shrinks layer
after layer; too large and it explodes. He and Glorot choose the spread so
that the variance of the activations stays about the same from layer to layer.
"""

import numbers

import numpy as np

__all__ = ["as_generator", "he_uniform", "glorot_uniform", "initialize"]


def as_generator(random_state=None):
    """Turn ``None``, an int, a ``RandomState`` or a ``Generator`` into a ``Generator``.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        ``None`` draws fresh entropy; an int seeds a new generator; a
        ``RandomState`` seeds a new generator from its stream (so the same
        ``RandomState`` gives the same result); a ``Generator`` is used as is.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from skbpnet.nn.init import as_generator
    >>> bool(as_generator(0).integers(10) == as_generator(0).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        f"random_state must be None, an int, a numpy RandomState or Generator; "
        f"got {random_state!r}."
    )


def he_uniform(n_in, n_out, rng, dtype=np.float64):
    """He (Kaiming) uniform initialisation for ReLU-like activations.

    Draws from ``U(-b, b)`` with ``b = sqrt(6 / n_in)``, so that
    ``Var[w] = 2 / n_in``: a ReLU zeroes half its inputs, and the factor 2
    makes up for it.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    rng : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype, default=numpy.float64
        dtype of the returned weights.

    Returns
    -------
    ndarray of shape (n_in, n_out)

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.init import he_uniform
    >>> W = he_uniform(784, 256, np.random.default_rng(0), np.float32)
    >>> W.dtype, bool(abs(W.var() - 2 / 784) < 2e-4)
    (dtype('float32'), True)
    """
    bound = np.sqrt(6.0 / n_in)
    return rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype, copy=False)


def glorot_uniform(n_in, n_out, rng, dtype=np.float64, gain=1.0):
    """Glorot (Xavier) uniform initialisation for tanh, logistic and identity.

    Draws from ``U(-b, b)`` with ``b = gain * sqrt(6 / (n_in + n_out))``, so that
    ``Var[w] = 2 / (n_in + n_out)``. scikit-learn's ``MLPClassifier`` uses this
    for every activation, with ``gain = sqrt(2)`` for the logistic one.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    rng : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype, default=numpy.float64
        dtype of the returned weights.
    gain : float, default=1.0
        Factor applied to the bound.

    Returns
    -------
    ndarray of shape (n_in, n_out)

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.init import glorot_uniform
    >>> glorot_uniform(3, 2, np.random.default_rng(0)).shape
    (3, 2)
    """
    bound = gain * np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype, copy=False)


# The names ``initialize`` and the estimators' ``weight_init`` accept.
INITIALIZERS = {"he": he_uniform, "glorot": glorot_uniform}


def initialize(name, n_in, n_out, rng, dtype=np.float64):
    """Look an initialiser up by name (``'he'`` or ``'glorot'``) and draw weights.

    Parameters
    ----------
    name : {'he', 'glorot'}
        Which initialiser.
    n_in, n_out : int
        Fan-in and fan-out.
    rng : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype, default=numpy.float64
        dtype of the weights.

    Returns
    -------
    ndarray of shape (n_in, n_out)

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.init import initialize
    >>> initialize("glorot", 4, 3, np.random.default_rng(0)).shape
    (4, 3)
    """
    try:
        fn = INITIALIZERS[name]
    except KeyError:
        raise ValueError(
            f"init must be one of {sorted(INITIALIZERS)}; got {name!r}."
        ) from None
    return fn(n_in, n_out, rng, dtype)
