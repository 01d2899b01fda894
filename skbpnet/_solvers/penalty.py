"""The L2 penalty of scikit-learn's MLP, in one place for every solver."""

import numpy as np

from ..nn import get_namespace, is_numpy

__all__ = ["l2_value", "l2_scale"]


def l2_scale(alpha, sw_sum):
    """The factor of the penalty's gradient: ``d/dW = l2_scale * W``.

    scikit-learn divides ``alpha / 2 * ||W||^2`` by the batch's total sample
    weight (the number of samples without weights).

    Examples
    --------
    >>> from skbpnet._solvers.penalty import l2_scale
    >>> l2_scale(0.1, 10)
    0.01
    """
    return alpha / sw_sum


def l2_value(net, alpha, sw_sum, to_float=True):
    """``alpha / 2 * ||W||^2 / sw_sum`` over the penalised parameters of ``net``.

    With ``to_float=False`` (a network on a device) the value stays a 0-d
    array of the network's namespace, and nothing waits for the device.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import Linear, Sequential
    >>> from skbpnet._solvers.penalty import l2_value
    >>> net = Sequential(Linear(1, 1, random_state=0))
    >>> net.param_vector[:] = [2.0, 5.0]  # weight 2, bias 5 (not penalised)
    >>> l2_value(net, 1.0, 4)
    0.5
    """
    if not alpha:
        return 0.0
    w = net.param_vector[: net.n_penalized]
    xp = get_namespace(w)
    if is_numpy(xp):
        return 0.5 * alpha * float(np.dot(w, w)) / sw_sum
    if not to_float:
        return (0.5 * alpha / sw_sum) * xp.vecdot(w, w)
    return 0.5 * alpha * float(xp.sum(w * w)) / sw_sum
