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
        self.state = _copy_state(opt)

    def take(self, net, opt):
        """Overwrite the snapshot with the current parameters and state."""
        copy_into(self.params, net.param_vector)
        self.state = _copy_state(opt, into=self.state)

    def restore(self, net, opt, optimizer_state=True):
        """Put the parameters (and, unless told otherwise, the optimizer state) back."""
        copy_into(net.param_vector, self.params)
        if optimizer_state:
            n_steps, slots = self.state
            opt.n_steps = n_steps
            opt.state = None if slots is None else [[copy_array(a) for a in slot] for slot in slots]


def _copy_state(opt, into=None):
    if opt.state is None:
        return (opt.n_steps, None)
    if into is not None and into[1] is not None:
        for slot_dst, slot_src in zip(into[1], opt.state):
            for dst, src in zip(slot_dst, slot_src):
                copy_into(dst, src)
        return (opt.n_steps, into[1])
    return (opt.n_steps, [[copy_array(a) for a in slot] for slot in opt.state])

