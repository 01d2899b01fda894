"""The device side of a training epoch (an array API namespace other than NumPy).

There is one epoch loop, :meth:`Trainer.run_epoch
<skbpnet._solvers.stochastic.Trainer.run_epoch>`; where the data lives chooses
the object that gathers its batches and adds up their losses: the host's
(:class:`~skbpnet._solvers.stochastic.HostEpoch`) or :class:`DeviceEpoch`.

The NumPy epoch reads each batch's loss as a Python float, to stop at the
first non-finite one. On a GPU every such read waits for the device to finish
all the work queued so far, which stalls the queue once per batch; so here the
batch losses, the L2 penalty included, are summed on the device and read
once, at the end of the epoch. A diverging epoch then runs to its end with
non-finite values instead of stopping at the batch, and the trainer rolls it
back exactly as it does on the host: the model keeps the last finite epoch.

The generator stays on the host: the epoch's order is drawn there and sent
to the device once, and the batches' total sample weights (a batch of zero
weight is skipped, as on the host) are computed there from a host copy of
the weights.
"""

import numpy as np

from ..nn import asarray_on, device_of, get_namespace, is_numpy, to_numpy
from ..nn.hashing import as_signed

__all__ = ["DeviceEpoch", "take"]


def take(a, idx, xp):
    """The rows ``idx`` (a slice, or integer positions in ``a``'s namespace) of ``a``."""
    if is_numpy(xp):
        return a[idx]
    if isinstance(idx, slice):
        return a[idx, ...]  # the array API wants every axis named
    return xp.take(a, idx, axis=0)


class DeviceEpoch:
    """One epoch's batches of data on a device, and the sum of their losses kept there.

    Parameters
    ----------
    X, y, sample_weight : arrays of one array API namespace, on one device
    hashes : array of int64, or None
        The rows' keys (the uint64 bits), on the device.
    order : ndarray of int, or None
        The epoch's order of the rows, drawn on the host (None: in order).
    salts : list of int, or None
        One uint64 salt per dropout layer for this epoch.
    batch_size : int
    host_sample_weight : ndarray, default=None
        A NumPy copy of ``sample_weight`` (None: copied from the device).

    Examples
    --------
    >>> import numpy as np
    >>> import array_api_strict as xp
    >>> from skbpnet._solvers.device import DeviceEpoch
    >>> X, y = xp.ones((5, 2)), xp.zeros((5, 1))
    >>> part = DeviceEpoch(X, y, xp.asarray([1.0, 0, 0, 2, 2]), None, None, None, 2)
    >>> part.batch(1, slice(2, 4), 2)[3], part.batch(0, slice(0, 2), 2)[3]
    (2.0, 1.0)
    >>> part.add(xp.asarray(0.5), 2), part.add(xp.asarray(1.0), 3), part.mean(5)
    (True, True, 0.8)
    """

    stops_at_nonfinite = False  # the losses are read once, at the end

    def __init__(self, X, y, sample_weight, hashes, order, salts, batch_size,
                 host_sample_weight=None):
        self.xp, device = get_namespace(y), device_of(y)
        self.X, self.y, self.sample_weight, self.hashes = X, y, sample_weight, hashes
        self.sw_sums = None
        if sample_weight is not None:  # each batch's total weight, from a host copy
            sw_host = host_sample_weight
            if sw_host is None:
                sw_host = to_numpy(sample_weight)
            starts = list(range(0, X.shape[0], batch_size))
            self.sw_sums = np.add.reduceat(sw_host if order is None else sw_host[order], starts)
        self.order = None if order is None else asarray_on(order, self.xp, device)
        self.salts = None if not salts else [as_signed(s) for s in salts]
        self.total = None

    def batch(self, i, idx, count):
        """``(X, y, sample_weight, total weight)`` of batch ``i``; None for zero weight."""
        sw_sum = count if self.sw_sums is None else float(self.sw_sums[i])
        if sw_sum <= 0:
            return None  # a batch of zero-weight samples teaches nothing
        xp = self.xp
        swb = None if self.sample_weight is None else take(self.sample_weight, idx, xp)
        return take(self.X, idx, xp), take(self.y, idx, xp), swb, sw_sum

    def keys(self, idx):
        """The batch's row keys salted per dropout layer (one gather), or None."""
        if self.salts is None:
            return None
        rows = take(self.hashes, idx, self.xp)
        return [rows ^ s for s in self.salts]

    def loss(self, loss, scores, yb, swb):
        """The batch's loss, a 0-d array left on the device."""
        return loss.forward_xp(scores, yb, swb, to_float=False)

    def add(self, value, count):
        """Add a batch's loss times its row count to the total (on the device); True."""
        self.total = value * count if self.total is None else self.total + value * count
        return True

    def mean(self, n):
        """The epoch's mean loss, read from the device once."""
        return 0.0 if self.total is None else float(self.total) / n
