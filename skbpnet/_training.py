"""The epoch loop: batching, shuffling, early stopping, progress, divergence.

The estimators translate their hyperparameters into a network, a loss, an
optimizer and a schedule, then hand them to :class:`Trainer`. The trainer
never changes the estimator: it works on the objects it was given and reports
what happened, and the estimator commits the result only when the run ends
well (or rolls back to the last good epoch when it does not).
"""

import math
import time
import warnings

import numpy as np
from scipy import sparse

from .nn.layers import Dropout, splitmix64

_CHUNK = 4096  # rows per block when hashing or predicting


class DivergenceWarning(UserWarning):
    """The training loss became inf or nan; training stopped at the last finite epoch.

    Examples
    --------
    >>> from skbpnet import DivergenceWarning
    >>> issubclass(DivergenceWarning, UserWarning)
    True
    """


def row_hashes(X):
    """A uint64 hash of each row's values (dense or sparse), equal for equal rows.

    Values are hashed as float64 with ``-0.0`` folded into ``0.0``, so the
    hash does not depend on the dtype or on where the row sits in ``X``.
    Dense rows are processed in blocks, sparse ones from their stored values
    alone (never densified); there is no Python loop over samples.
    """
    n, d = X.shape
    keys = np.random.default_rng(0x5B9).integers(1, 2**63, size=d, dtype=np.uint64) | np.uint64(1)
    if sparse.issparse(X):
        # Same hash from the stored values alone (a zero adds 0): O(nnz) memory,
        # where densifying even one block of 4096 rows can take gigabytes.
        X = X.tocsr()
        if not X.has_canonical_format:  # duplicate entries are summed, as dense
            X = X.copy()
            X.sum_duplicates()
        bits = (np.asarray(X.data, dtype=np.float64) + 0.0).view(np.uint64)
        sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(bits * keys[X.indices])])
        return splitmix64(sums[X.indptr[1:]] - sums[X.indptr[:-1]])  # wraps mod 2**64
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _CHUNK):
        block = X[start : start + _CHUNK]
        block = block.toarray() if hasattr(block, "toarray") else block
        block = np.ascontiguousarray(block, dtype=np.float64) + 0.0
        out[start : start + _CHUNK] = block.view(np.uint64) @ keys
    return splitmix64(out)


def hash_split(hashes, sample_weight, validation_fraction):
    """Split rows into training and validation sets by their content hash.

    The rows whose hashes are the ``ceil(validation_fraction * n_distinct)``
    smallest (at least 2) among the distinct rows of positive weight form the
    validation set. A row and its duplicates always fall on the same side, so
    duplicates never leak from training into validation, the split does not
    depend on the order of the rows, and a sample weight of ``k`` splits
    exactly as ``k`` copies of the sample would.

    Returns
    -------
    train_mask : ndarray of bool of shape (n_samples,)
    """
    positive = np.ones(len(hashes), bool) if sample_weight is None else sample_weight > 0
    distinct = np.unique(hashes[positive])
    n_val = max(2, math.ceil(validation_fraction * len(distinct)))
    if n_val >= len(distinct):
        raise ValueError(
            f"early_stopping needs a validation set of {n_val} distinct samples and "
            f"a training set of at least one, but the data holds only {len(distinct)} "
            f"distinct samples with positive weight (n_samples={len(hashes)}). Lower "
            f"validation_fraction, add data, or set early_stopping=False."
        )
    return ~(positive & (hashes <= distinct[n_val - 1]))


class Trainer:
    """Runs epochs of minibatch training on a network and records their history.

    Parameters
    ----------
    net : skbpnet.nn.Sequential
    loss : skbpnet.nn.Loss
    optimizer : skbpnet.nn.Optimizer
    schedule : skbpnet.nn.Schedule
    alpha : float
        L2 penalty (scikit-learn's meaning: ``alpha / 2 * ||W||^2`` divided by
        the batch's total sample weight).
    batch_size : int
    shuffle : bool
    rng : numpy.random.Generator
    tol, n_iter_no_change : float, int
        Plateau detection, as in scikit-learn's MLP.
    verbose : bool
    callbacks : list of callable
        Each is called as ``callback(info)`` after every epoch with a dict of
        the epoch's figures; a callback returning True stops training.
    dropout_seed : int
        Salt for the keyed dropout masks.
    """

    def __init__(self, net, loss, optimizer, schedule, *, alpha, batch_size, shuffle, rng,
                 tol, n_iter_no_change, verbose=False, callbacks=(), dropout_seed=0,
                 score_fn=None):
        self.net, self.loss, self.optimizer, self.schedule = net, loss, optimizer, schedule
        self.alpha, self.batch_size, self.shuffle, self.rng = alpha, batch_size, shuffle, rng
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.verbose, self.callbacks = verbose, list(callbacks or ())
        self.dropout_seed = dropout_seed
        self.score_fn = score_fn
        self.dropouts = [m for m in net.layers if isinstance(m, Dropout) and m.p > 0]

    # -- one epoch -----------------------------------------------------------------
    def run_epoch(self, X, y, sample_weight, epoch, hashes=None):
        """One pass over (X, y) in minibatches; returns the mean loss or nan on divergence."""
        net, n, bs = self.net, X.shape[0], self.batch_size
        order = self.rng.permutation(n) if self.shuffle else None
        pv, gv, k = net.param_vector, net.grad_vector, net.n_penalized
        params, grads = [pv[:k], pv[k:]], [gv[:k], gv[k:]]
        salts = [splitmix64(np.uint64(self.dropout_seed * 1_000_003 + epoch * 7919 + i))
                 for i in range(len(self.dropouts))]
        net.train(True)
        net.input_grad = False
        total = 0.0
        try:
            for start in range(0, n, bs):
                stop = min(start + bs, n)
                idx = slice(start, stop) if order is None else order[start:stop]
                value = self._step(X, y, sample_weight, idx, params, grads, hashes, salts)
                if value is None:
                    continue
                if not math.isfinite(value):
                    return math.nan
                total += value * (stop - start)
        finally:
            for drop in self.dropouts:
                drop.row_keys = None
        return total / n

    def _step(self, X, y, sample_weight, idx, params, grads, hashes, salts):
        """One minibatch: forward, loss, backward, update; returns the batch loss.

        ``idx`` is a slice (a view of X, no copy) or the batch's indices: one
        gather per batch, by plain fancy indexing (several times faster than
        ``np.take`` with ``out=``). Returns None for a batch of zero total
        weight, and a non-finite loss, without updating, when training diverges.
        """
        net, pv, k = self.net, self.net.param_vector, self.net.n_penalized
        Xb, yb = X[idx], y[idx]
        if sample_weight is None:
            swb, sw_sum = None, Xb.shape[0]
        else:
            swb = sample_weight[idx]
            sw_sum = float(swb.sum())
            if sw_sum <= 0:
                return None  # a batch of zero-weight samples teaches nothing
        for drop, salt in zip(self.dropouts, salts):
            drop.row_keys = hashes[idx] ^ salt
        value = self.loss.forward(net.forward(Xb), yb, swb)
        if self.alpha:
            w = pv[:k]
            value += 0.5 * self.alpha * float(np.dot(w, w)) / sw_sum
        if math.isfinite(value):
            net.backward(self.loss.backward())
            self.optimizer.step(params, grads, l2=[self.alpha / sw_sum, 0.0])
        return value

    # -- the loop --------------------------------------------------------------------
    def fit(self, X, y, sample_weight, *, max_iter, n_samples_seen, history, validation=None,
            hashes=None, incremental=False):
        """Train for up to ``max_iter`` epochs; returns a dict describing how it ended.

        ``history`` holds the curves and best values (lists and floats) and is
        updated in place. Parameters are rolled back to the last finite epoch
        on divergence and to the last complete epoch on KeyboardInterrupt; with
        early stopping the best epoch's parameters are restored.
        """
        net, opt = self.net, self.optimizer
        early = validation is not None
        good = _Snapshot(net, opt)  # the last complete, finite epoch
        best = _Snapshot(net, opt) if early else None
        status = {"n_iter": 0, "diverged": False, "interrupted": False, "stopped": None,
                  "n_samples_seen": n_samples_seen}
        n = X.shape[0]
        try:
            for epoch in range(1, max_iter + 1):
                tic = time.perf_counter()
                opt.learning_rate = self.schedule.learning_rate
                epoch_loss = self.run_epoch(X, y, sample_weight, history["n_epochs"] + 1, hashes)
                if not math.isfinite(epoch_loss) or not np.isfinite(net.param_vector).all():
                    good.restore(net, opt)
                    status["diverged"] = True
                    break
                status["n_iter"] += 1
                status["n_samples_seen"] += n
                history["n_epochs"] += 1
                history["loss_curve"].append(epoch_loss)
                info = {"epoch": history["n_epochs"], "loss": epoch_loss, "network": net}
                improved = self._record(history, info, validation, best)
                info["seconds"] = time.perf_counter() - tic
                good.take(net, opt)
                self.schedule.epoch_end(history["n_epochs"], status["n_samples_seen"])
                if self.verbose:
                    print(_epoch_line(info, max_iter if not incremental else None))
                stop_cb = any(bool(cb(info)) for cb in self.callbacks)
                history["no_improvement"] = 0 if improved else history["no_improvement"] + 1
                if stop_cb:
                    status["stopped"] = "callback"
                    break
                if incremental:
                    break
                if history["no_improvement"] > self.n_iter_no_change:
                    if self.schedule.on_plateau():
                        what = "Validation score" if early else "Training loss"
                        status["stopped"] = (
                            f"{what} did not improve more than tol={self.tol} for "
                            f"{self.n_iter_no_change} consecutive epochs."
                        )
                        if self.verbose:
                            print(status["stopped"] + " Stopping.")
                        break
                    history["no_improvement"] = 0
        except KeyboardInterrupt:
            good.restore(net, opt)
            status["interrupted"] = True
            warnings.warn(
                "Training interrupted by the user; the model keeps the weights of the "
                "last complete epoch.",
                UserWarning,
                stacklevel=4,
            )
        if early and history["best_validation_score"] > -np.inf and not incremental:
            best.restore(net, opt, optimizer_state=False)
        return status

    def _record(self, history, info, validation, best):
        """Update curves and best values; return whether the epoch improved."""
        if validation is None:
            last = history["loss_curve"][-1]
            improved = not last > history["best_loss"] - self.tol
            history["best_loss"] = min(history["best_loss"], last)
            return improved
        X_val, y_val, sw_val = validation
        val_loss, val_score = self.score_fn(self.net, X_val, y_val, sw_val)
        history["validation_scores"].append(val_score)
        history["validation_loss_curve"].append(val_loss)
        info["validation_score"], info["validation_loss"] = val_score, val_loss
        best_score = history["best_validation_score"]
        best_loss = history.get("best_validation_loss", np.inf)
        # Accuracy moves in steps of 1 / n_val: a small validation set can sit
        # on one value for many epochs while the model still improves. So a
        # falling validation loss also counts as progress.
        improved = val_score >= best_score + self.tol or val_loss <= best_loss - self.tol
        if val_score > best_score or (val_score == best_score and val_loss < best_loss):
            history["best_validation_score"] = val_score
            best.take(self.net, self.optimizer)
        history["best_validation_loss"] = min(best_loss, val_loss)
        return improved


class _Snapshot:
    """A copy of a network's parameters and its optimizer's state."""

    def __init__(self, net, opt):
        self.params = net.param_vector.copy()
        self.state = _copy_state(opt)

    def take(self, net, opt):
        np.copyto(self.params, net.param_vector)
        self.state = _copy_state(opt, into=self.state)

    def restore(self, net, opt, optimizer_state=True):
        np.copyto(net.param_vector, self.params)
        if optimizer_state:
            n_steps, slots = self.state
            opt.n_steps = n_steps
            opt.state = None if slots is None else [[a.copy() for a in slot] for slot in slots]


def _copy_state(opt, into=None):
    if opt.state is None:
        return (opt.n_steps, None)
    if into is not None and into[1] is not None:
        for slot_dst, slot_src in zip(into[1], opt.state):
            for dst, src in zip(slot_dst, slot_src):
                np.copyto(dst, src)
        return (opt.n_steps, into[1])
    return (opt.n_steps, [[a.copy() for a in slot] for slot in opt.state])


def _epoch_line(info, max_iter):
    epoch = f"{info['epoch']}" if max_iter is None else f"{info['epoch']}/{max_iter}"
    line = f"Epoch {epoch}: loss = {info['loss']:.6f}"
    if "validation_score" in info:
        line += f", validation score = {info['validation_score']:.6f}"
    return line + f", {info['seconds']:.2f} s"
