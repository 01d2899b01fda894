"""One training epoch on a device (an array API namespace other than NumPy).

The NumPy epoch (``Trainer.run_epoch``) reads each batch's loss as a Python
float, to stop at the first non-finite one. On a GPU every such read waits
for the device to finish all the work queued so far, which stalls the queue
once per batch; so here the batch losses, the L2 penalty included, are
summed on the device and read once, at the end of the epoch. A diverging
epoch then runs to its end with non-finite values instead of stopping at
the batch, and the trainer rolls it back exactly as it does on the host:
the model keeps the last finite epoch.

The generator stays on the host: the epoch's order is drawn there and sent
to the device once, and the batches' total sample weights (a batch of zero
weight is skipped, as on the host) are computed there from a host copy of
the weights.
"""

import numpy as np

from ..nn import apply_max_norm
from ..nn import asarray_on, device_of, get_namespace, is_numpy, to_numpy
from ..nn.hashing import as_signed, dropout_salt
from .penalty import l2_scale

__all__ = ["run_epoch_on_device", "take"]


def take(a, idx, xp):
    """The rows ``idx`` (a slice, or integer positions in ``a``'s namespace) of ``a``."""
    if is_numpy(xp):
        return a[idx]
    if isinstance(idx, slice):
        return a[idx, ...]  # the array API wants every axis named
    return xp.take(a, idx, axis=0)


def run_epoch_on_device(trainer, X, y, sample_weight, epoch, hashes=None):
    """One pass over (X, y) in minibatches on their device; the mean loss, or nan.

    Parameters are those of :meth:`Trainer.run_epoch`; ``X``, ``y``,
    ``sample_weight`` and ``hashes`` (int64 with the uint64 bits) live on the
    device.
    """
    net, n, bs = trainer.net, X.shape[0], trainer.batch_size
    xp, device = get_namespace(y), device_of(y)
    order = trainer.rng.permutation(n) if trainer.shuffle else None
    starts = list(range(0, n, bs))
    sw_sums = None
    if sample_weight is not None:  # each batch's total weight, from a host copy
        sw_host = trainer.host_sample_weight
        if sw_host is None:
            sw_host = to_numpy(sample_weight)
        sw_sums = np.add.reduceat(sw_host if order is None else sw_host[order], starts)
    if order is not None:
        order = asarray_on(order, xp, device)
    salts = []
    if hashes is not None and trainer.n_dropouts:
        salts = [as_signed(dropout_salt(trainer.dropout_seed, epoch, i))
                 for i in range(trainer.n_dropouts)]
    pv, gv, k = net.param_vector, net.grad_vector, net.n_penalized
    params, grads = [pv[:k], pv[k:]], [gv[:k], gv[k:]]
    net.train(True)
    net.input_grad = False
    total = xp.zeros((), dtype=pv.dtype, device=device)
    for i, start in enumerate(starts):
        stop = min(start + bs, n)
        idx = slice(start, stop) if order is None else order[start:stop]
        sw_sum = stop - start if sw_sums is None else float(sw_sums[i])
        if sw_sum <= 0:
            continue  # a batch of zero-weight samples teaches nothing
        swb = None if sample_weight is None else take(sample_weight, idx, xp)
        keys = None
        if salts:  # one gather of the batch's row hashes, salted per dropout layer
            rows = take(hashes, idx, xp)
            keys = [rows ^ s for s in salts]
        scores = net.forward(take(X, idx, xp), dropout_keys=keys)
        value = trainer.loss.forward_xp(scores, take(y, idx, xp), swb, to_float=False)
        if trainer.alpha:
            w = pv[:k]
            value = value + (0.5 * trainer.alpha / sw_sum) * xp.vecdot(w, w)
        net.backward(trainer.loss.backward())
        trainer.optimizer.step(params, grads, l2=[l2_scale(trainer.alpha, sw_sum), 0.0])
        if trainer.max_norm is not None:
            apply_max_norm(net, trainer.max_norm)
        total = total + value * (stop - start)
    return float(total) / n
