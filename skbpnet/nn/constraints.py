"""Weight constraints applied after each update: the max-norm constraint."""

import math
import numbers

import numpy as np

from ._namespace import get_namespace, is_numpy
from .layers import Linear

__all__ = ["max_norm_", "apply_max_norm"]


def _check_max_value(max_value):
    """``max_value`` as a float; a ValueError unless it is a positive, finite real."""
    if (isinstance(max_value, (bool, np.bool_)) or not isinstance(max_value, numbers.Real)
            or not math.isfinite(max_value) or max_value <= 0):
        raise ValueError(
            f"max_value must be a positive, finite real number (3 or 4 are usual); got "
            f"{max_value!r}.")
    return float(max_value)


def max_norm_(weight, max_value):
    """Rescale, in place, each column of ``weight`` whose L2 norm exceeds ``max_value``.

    Column ``j`` of a :class:`~skbpnet.nn.Linear` weight of shape
    ``(n_in, n_out)`` holds the incoming weights of unit ``j``. A column whose
    norm is above ``max_value`` is scaled down to norm ``max_value`` (to
    rounding), keeping its direction; the other columns are left untouched,
    bit for bit. The trailing underscore says that the argument is changed,
    as in PyTorch's ``renorm_``.

    Parameters
    ----------
    weight : ndarray of shape (n_in, n_out), or an array of an array API namespace
        The weights, changed in place (views into a network's flat
        ``param_vector`` stay valid). NumPy arrays take a fast path with no
        temporary the size of ``weight``; arrays of another namespace
        (PyTorch, CuPy, array_api_strict) are computed with the array API
        standard's functions and in-place operators.
    max_value : float
        The largest allowed norm ``c`` of a column; positive and finite.

    Returns
    -------
    weight : array
        The same array object, constrained.

    Raises
    ------
    ValueError
        If ``max_value`` is not a positive finite number or ``weight`` is not
        two-dimensional.

    See Also
    --------
    apply_max_norm : the constraint on every :class:`~skbpnet.nn.Linear` of a network.

    Notes
    -----
    With ``w_j`` the ``j``-th column and ``c = max_value``::

        w_j <- w_j * min(1, c / ||w_j||_2)

    the max-norm constraint of Srivastava et al. [1]_ (section 5.1): after
    each update, a unit whose incoming weight vector has grown past the
    radius ``c`` is projected back onto the ball of radius ``c``. It bounds
    the weights without a penalty that pulls every weight towards zero, which
    allows large learning rates; with dropout, ``c`` between 3 and 4 is
    typical. Columns whose norm is not finite (inf or nan entries) are left
    as they are, so that a diverging network is still seen to diverge.

    References
    ----------
    .. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and
       R. Salakhutdinov, "Dropout: a simple way to prevent neural networks
       from overfitting", Journal of Machine Learning Research 15 (2014),
       1929-1958.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import max_norm_
    >>> w = np.array([[3.0, 0.6],
    ...               [4.0, 0.8]])  # column norms 5 and 1
    >>> max_norm_(w, 2.0)
    array([[1.2, 0.6],
           [1.6, 0.8]])
    >>> np.linalg.norm(w, axis=0)
    array([2., 1.])
    """
    c = _check_max_value(max_value)
    xp = get_namespace(weight)
    if weight.ndim != 2:
        raise ValueError(
            f"max_norm_ constrains the columns of a 2-D weight of shape (n_in, n_out); got "
            f"an array of shape {tuple(weight.shape)}.")
    if is_numpy(xp):
        norms = np.sqrt(np.einsum("ij,ij->j", weight, weight))
        over = (norms > c) & np.isfinite(norms)
        if over.any():
            factor = np.ones_like(norms)
            np.divide(c, norms, out=factor, where=over)
            weight *= factor  # broadcast over the rows: no temporary the size of weight
        return weight
    norms = xp.sqrt(xp.sum(weight * weight, axis=0))
    over = (norms > c) & (norms < math.inf)
    # c / c is exactly 1, so the columns within the limit are multiplied by 1.
    weight *= c / xp.where(over, norms, xp.full_like(norms, c))
    return weight


def apply_max_norm(net, max_value):
    """Apply :func:`max_norm_` to the weight of every :class:`~skbpnet.nn.Linear` of ``net``.

    Every layer's incoming weights are constrained, the output layer's
    included, as in the networks of Srivastava et al. (2014); biases never
    are.

    Parameters
    ----------
    net : skbpnet.nn.Sequential
        The network, changed in place.
    max_value : float
        The largest allowed norm of a unit's incoming weight vector; positive
        and finite.

    Returns
    -------
    net : skbpnet.nn.Sequential
        The same network.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Linear, ReLU, Sequential, apply_max_norm
    >>> net = Sequential(Linear(4, 8, random_state=0), ReLU(), Linear(8, 2, random_state=1))
    >>> net.param_vector *= 10  # weights far beyond the limit
    >>> _ = apply_max_norm(net, 3.0)
    >>> bool(np.all(np.linalg.norm(net.layers[0].weight, axis=0) <= 3.0 + 1e-12))
    True
    """
    c = _check_max_value(max_value)
    for layer in net.layers:
        if isinstance(layer, Linear):
            max_norm_(layer.weight, c)
    return net
