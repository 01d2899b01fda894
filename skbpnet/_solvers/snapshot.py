"""Copies of a network's parameters and its optimizer's state, to roll back to."""

from ..nn import copy_array, copy_into

__all__ = ["Snapshot"]


class Snapshot:
    """A copy of a network's parameters and its optimizer's state.

    Taking a snapshot again reuses its arrays (no allocation per epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import SGD, Linear, Sequential
    >>> from skbpnet._solvers.snapshot import Snapshot
    >>> net, opt = Sequential(Linear(2, 1, random_state=0)), SGD(0.1)
    >>> snap = Snapshot(net, opt)
    >>> net.param_vector[:] = 0.0
    >>> snap.restore(net, opt)
    >>> bool(np.any(net.param_vector != 0))
    True
    """

    def __init__(self, net, opt):
        self.params = copy_array(net.param_vector)
        self.state = opt.get_state()

    def take(self, net, opt):
        """Overwrite the snapshot with the current parameters and state."""
        copy_into(self.params, net.param_vector)
        self.state = opt.get_state(out=self.state)

    def restore(self, net, opt, optimizer_state=True):
        """Put the parameters (and, unless told otherwise, the optimizer state) back."""
        copy_into(net.param_vector, self.params)
        if optimizer_state:
            opt.set_state(self.state)
