"""Minibatch training (SGD, Adam): batching, shuffling, early stopping, rollback.

:func:`fit_stochastic` prepares one call (batch size, row hashes, the
early-stopping hold-out) and runs a :class:`Trainer`. The trainer never sees
the estimator: it works on the network, loss, optimizer and schedule it was
given, records into a :class:`~skbpnet._solvers.history.TrainingHistory` and
returns a :class:`~skbpnet._solvers.history.TrainResult`; the estimator
commits the objects only when the call ends well.
"""

import math
import time
import warnings
from typing import Callable, NamedTuple

import numpy as np

from .._scoring import block_rows, predict_scores
from .._threads import ThreadTuner
from ..nn import AdaptiveLR, Dropout, apply_max_norm
from ..nn import asarray_on, device_of, get_namespace, is_numpy, to_numpy
from ..nn.hashing import dropout_salt, row_hashes
from .callbacks import callback_list
from .device import DeviceEpoch, take
from .history import TrainResult
from .penalty import l2_scale, l2_value
from .snapshot import Snapshot
from .validation import hash_split

__all__ = ["Trainer", "Validation", "HostEpoch", "fit_stochastic"]


class Validation(NamedTuple):
    """The early-stopping hold-out and the score to monitor on it."""

    X: object
    y: np.ndarray
    sample_weight: object
    score: Callable  # score(scores, y, sample_weight) -> float, higher is better


def fit_stochastic(net, loss, opt, schedule, rng, X, y, sw, history, *, params, incremental,
                   dropout_seed, score, stratify=None):
    """One ``fit`` or ``partial_fit`` call with SGD or Adam; returns a TrainResult.

    ``params`` are the estimator's hyperparameters (``get_params()``);
    ``score(scores, y, sample_weight)`` scores the early-stopping hold-out;
    ``stratify`` (the class labels, or None) makes that hold-out stratified on
    the classes in ``y``.
    """
    n = X.shape[0]
    batch_size = _batch_size(params["batch_size"], n)
    early = params["early_stopping"] and not incremental
    keyed = params["dropout"] > 0 or params["input_dropout"] > 0
    # X may live on a device (an array API namespace); y and sw are NumPy here.
    xp, device = get_namespace(X), device_of(X)
    hashes = row_hashes(to_numpy(X)) if (keyed or early) else None
    validation = None
    if early:
        strata = None
        if stratify is not None:  # y: class indices (multiclass) or a 0/1 column (binary)
            strata = np.asarray(stratify)[y.ravel().astype(np.intp)]
        train = hash_split(hashes, sw, params["validation_fraction"], strata)
        val = ~train
        X_val, X = _rows(X, val, xp, device), _rows(X, train, xp, device)
        validation = Validation(X_val, y[val], None if sw is None else sw[val], score)
        y, hashes = y[train], hashes[train]
        sw = None if sw is None else sw[train]
        batch_size = min(batch_size, X.shape[0])
    host_weights = sw  # the device epochs sum each batch's weight on the host
    if not is_numpy(xp):  # the targets, weights and row keys go to the device once
        y, sw = asarray_on(y, xp, device), None if sw is None else asarray_on(sw, xp, device)
        hashes = None if hashes is None else asarray_on(hashes.view(np.int64), xp, device)
    callbacks = params["callbacks"]
    trainer = Trainer(
        net, loss, opt, schedule, alpha=float(params["alpha"]), batch_size=batch_size,
        shuffle=bool(params["shuffle"]), rng=rng, tol=float(params["tol"]),
        n_iter_no_change=params["n_iter_no_change"], verbose=bool(params["verbose"]),
        callbacks=() if callbacks is None else callback_list(callbacks), dropout_seed=dropout_seed,
        threads=ThreadTuner(params.get("blas_threads") if is_numpy(xp) else None),
        max_norm=params.get("max_norm"), host_sample_weight=host_weights,
    )
    history.validated = early
    start_loss = _start_loss(net, loss, X, y, sw, float(params["alpha"]))
    result = trainer.fit(X, y, sw, max_iter=1 if incremental else params["max_iter"],
                       history=history, validation=validation, hashes=hashes,
                       incremental=incremental)
    result.start_loss = start_loss
    return result


def _start_loss(net, loss, X, y, sw, alpha, n=2048):
    """The penalised loss of the network before this call, on up to ``n`` rows.

    Scored in blocks of :func:`~skbpnet._scoring.block_rows` rows: with 10^5
    classes, 2,048 rows at once would take gigabytes.
    """
    with np.errstate(all="ignore"):
        value, sw_sum = _loss_in_blocks(net, loss, X, y, sw, min(n, X.shape[0]))
    return value + l2_value(net, alpha, sw_sum) if sw_sum > 0 else math.nan


def _loss_in_blocks(net, loss, X, y, sw, n, keep=None):
    """(weighted mean loss, total weight) of the first ``n`` rows, a block of rows at a time.

    The loss is computed where ``y`` is (X's scores move to the host for a
    NumPy ``y``). ``keep(scores)``, when given, is called on each block's
    scores on the host, and what it returns is collected: the result is then
    (loss, weight, list).
    """
    fresh = type(loss).from_config(loss.get_config())  # keeps the training loss's cache
    xp, x_xp = get_namespace(y), get_namespace(X)
    parts, kept, step = [], [], block_rows(net)
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        swb = None if sw is None else take(sw, rows, xp)
        w = rows.stop - rows.start if swb is None else float(xp.sum(swb))
        scores = predict_scores(net, take(X, rows, x_xp))
        if is_numpy(xp):
            scores = to_numpy(scores)
        if w > 0:
            parts.append((fresh.forward(scores, take(y, rows, xp), swb), w))
        if keep is not None:
            kept.append(keep(to_numpy(scores)))
    weight = sum(w for _, w in parts)
    if len(parts) == 1:  # one block: the loss as it is, no rounding of mean * w / w
        value = parts[0][0]
    else:
        value = sum(v * w for v, w in parts) / weight if weight > 0 else math.nan
    return (value, weight) if keep is None else (value, weight, kept)


def _rows(a, index, xp, device):
    """``a[index]`` for a boolean or integer NumPy ``index``, in ``a``'s namespace.

    NumPy indexes directly; another namespace gets the integer positions on
    its device and ``take`` (the array API's way to gather rows).
    """
    if not is_numpy(xp):
        index = asarray_on(np.flatnonzero(index) if index.dtype == bool else index, xp, device)
    return take(a, index, xp)


def _batch_size(batch_size, n):
    if batch_size == "auto":
        return min(200, n)
    if batch_size > n:
        warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going "
                      f"to be clipped: batch_size={batch_size} is larger than the {n} "
                      f"samples; using batches of {n}.", UserWarning)
    return min(batch_size, n)


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
    threads : ThreadTuner, default=None
        Chooses the BLAS thread count of each epoch; None leaves the BLAS alone.
    max_norm : float, default=None
        After every update, each unit's incoming weight vector (a column of a
        Linear weight) longer than ``max_norm`` is scaled back to that norm
        (:func:`skbpnet.nn.apply_max_norm`); None applies no constraint.
    host_sample_weight : ndarray, default=None
        For training on a device: a NumPy copy of the sample weights, from
        which each epoch sums its batches' weights without a transfer (None:
        copied from the device once per epoch).
    """

    def __init__(self, net, loss, optimizer, schedule, *, alpha, batch_size, shuffle, rng,
                 tol, n_iter_no_change, verbose=False, callbacks=(), dropout_seed=0,
                 threads=None, max_norm=None, host_sample_weight=None):
        self.net, self.loss, self.optimizer, self.schedule = net, loss, optimizer, schedule
        self.alpha, self.batch_size, self.shuffle, self.rng = alpha, batch_size, shuffle, rng
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.verbose, self.callbacks = verbose, list(callbacks or ())
        self.dropout_seed = dropout_seed
        self.threads = threads if threads is not None else ThreadTuner(None)
        self.max_norm = max_norm
        self.host_sample_weight = host_sample_weight
        self.n_dropouts = sum(isinstance(m, Dropout) for m in net.layers)

    # -- one epoch -----------------------------------------------------------------
    def run_epoch(self, X, y, sample_weight, epoch, hashes=None):
        """One pass over (X, y) in minibatches; returns the mean loss or nan on divergence.

        The one loop for every device: NumPy data goes through a
        :class:`HostEpoch` (each batch's loss a float, stopping at the first
        non-finite one), data on a device through a
        :class:`~skbpnet._solvers.device.DeviceEpoch` (the losses summed on
        the device and read once).
        """
        net, n, bs = self.net, X.shape[0], self.batch_size
        order = self.rng.permutation(n) if self.shuffle else None
        salts = None
        if hashes is not None and self.n_dropouts:
            salts = [dropout_salt(self.dropout_seed, epoch, i) for i in range(self.n_dropouts)]
        where = HostEpoch if is_numpy(get_namespace(y)) else DeviceEpoch
        part = where(X, y, sample_weight, hashes, order, salts, bs, self.host_sample_weight)
        params, grads = net.param_groups()
        net.train(True)
        net.input_grad = False
        tuner = self.threads
        tuner.start_epoch(-(-n // bs))
        try:
            for i, start in enumerate(range(0, n, bs)):
                stop = min(start + bs, n)
                idx = slice(start, stop) if part.order is None else part.order[start:stop]
                tuner.before_step(i)
                # The fused update calls SciPy's BLAS, whose threads would fight
                # NumPy's: fuse only where SciPy's BLAS runs one thread.
                value = self._step(part, i, idx, stop - start, params, grads,
                                   tuner.fused_ok())
                tuner.after_step(i)
                if value is not None and not part.add(value, stop - start):
                    return math.nan
        finally:
            tuner.end_epoch()
        return part.mean(n)

    def _step(self, part, i, idx, count, params, grads, fused=True):
        """One minibatch: forward, loss, backward, update; returns the batch loss.

        ``idx`` is a slice (a view of X, no copy) or the batch's indices.
        Returns None for a batch of zero total weight; where ``part`` stops at
        a non-finite loss, that loss is returned without updating.
        """
        batch = part.batch(i, idx, count)
        if batch is None:
            return None  # a batch of zero-weight samples teaches nothing
        Xb, yb, swb, sw_sum = batch
        net = self.net
        value = part.loss(self.loss, net.forward(Xb, dropout_keys=part.keys(idx)), yb, swb)
        value = value + l2_value(net, self.alpha, sw_sum, to_float=part.stops_at_nonfinite)
        if part.stops_at_nonfinite and not math.isfinite(value):
            return value
        net.backward(self.loss.backward())
        self.optimizer.step(params, grads, l2=[l2_scale(self.alpha, sw_sum), 0.0],
                            fused=fused and self.optimizer.fused)
        if self.max_norm is not None:
            apply_max_norm(net, self.max_norm)
        return value

    # -- the loop --------------------------------------------------------------------
    def fit(self, X, y, sample_weight, *, max_iter, history, validation=None, hashes=None,
            incremental=False):
        """Train for up to ``max_iter`` epochs; returns a TrainResult.

        ``history`` (a TrainingHistory) is updated in place. Parameters are
        rolled back to the last finite epoch on divergence and to the last
        complete epoch on KeyboardInterrupt; with early stopping the best
        epoch's parameters are restored.
        """
        net, opt = self.net, self.optimizer
        good = Snapshot(net, opt)  # the last complete, finite epoch
        best = Snapshot(net, opt) if validation is not None else None
        result = TrainResult(n_samples_seen=history.t)
        try:
            for _ in range(max_iter):
                if self._epoch(X, y, sample_weight, history, result, validation, hashes,
                               good, best, None if incremental else max_iter):
                    break
                if incremental:
                    break
        except KeyboardInterrupt:
            if result.n_iter == 0:
                raise  # nothing to keep: the estimator restores its state before the call
            good.restore(net, opt)
            result.interrupted = True
            warnings.warn(
                "Training interrupted by user. The model keeps the weights of the last "
                "complete epoch.",
                UserWarning,
                stacklevel=5,
            )
        if best is not None and history.best_validation_score > -np.inf:
            best.restore(net, opt, optimizer_state=False)
        return result

    def _epoch(self, X, y, sw, history, result, validation, hashes, good, best, max_iter):
        """One epoch and its bookkeeping; returns True when training should stop."""
        net, opt = self.net, self.optimizer
        tic = time.perf_counter()
        opt.learning_rate = self.schedule.learning_rate
        epoch_loss = self.run_epoch(X, y, sw, history.n_epochs + 1, hashes)
        if not math.isfinite(epoch_loss) or not _all_finite(net.param_vector):
            good.restore(net, opt)
            result.diverged = True
            return True
        result.n_iter += 1
        result.n_samples_seen += X.shape[0]
        history.n_epochs += 1
        history.t = result.n_samples_seen
        history.loss_curve.append(epoch_loss)
        info = {"epoch": history.n_epochs, "loss": epoch_loss, "network": net}
        improved = self._record(history, info, validation, best)
        info["seconds"] = time.perf_counter() - tic
        good.take(net, opt)
        # The optimizer holds the rate of the next epoch, as scikit-learn's does.
        opt.learning_rate = self.schedule.epoch_end(history.n_epochs, result.n_samples_seen)
        if self.verbose:
            print(_epoch_line(info, result.n_iter))
        stop_cb = any(bool(cb(info)) for cb in self.callbacks)
        history.no_improvement = 0 if improved else history.no_improvement + 1
        if stop_cb:
            result.stopped = "callback"
            return True
        # As in scikit-learn, partial_fit acts on plateaus too: 'adaptive' divides
        # its rate, the others have one epoch to run anyway.
        return self._plateau(history, result, validation is not None) and max_iter is not None

    def _plateau(self, history, result, early):
        """Act on ``n_iter_no_change`` epochs without progress; True to stop.

        The messages are scikit-learn's, word for word.
        """
        if history.no_improvement <= self.n_iter_no_change:
            return False
        n = self.n_iter_no_change
        what = "Validation score" if early else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{int(n) if np.isfinite(n) else n} consecutive epochs.")
        adaptive = isinstance(self.schedule, AdaptiveLR)
        if not self.schedule.on_plateau():
            self.optimizer.learning_rate = self.schedule.learning_rate
            history.no_improvement = 0
            if self.verbose:
                print(msg + " Setting learning rate to %f" % self.schedule.learning_rate)
            return False
        result.stopped = msg
        if self.verbose:
            print(msg + (" Learning rate too small. Stopping." if adaptive else " Stopping."))
        return True

    def _record(self, history, info, validation, best):
        """Update curves and best values; return whether the epoch improved."""
        if validation is None:
            last = history.loss_curve[-1]
            improved = not last > history.best_loss - self.tol
            history.best_loss = min(history.best_loss, last)
            return improved
        # Block by block (each narrowed by the score's ``compact``, where it has
        # one: a class per row rather than a score per class); scored on the host.
        compact = getattr(validation.score, "compact", None)
        val_loss, _, kept = _loss_in_blocks(
            self.net, self.loss, validation.X, validation.y, validation.sample_weight,
            validation.X.shape[0], keep=compact or (lambda scores: scores))
        val_score = validation.score(np.concatenate(kept), validation.y,
                                     validation.sample_weight)
        history.validation_scores.append(val_score)
        history.validation_loss_curve.append(val_loss)
        info["validation_score"], info["validation_loss"] = val_score, val_loss
        best_score, best_loss = history.best_validation_score, history.best_validation_loss
        # Accuracy moves in steps of 1 / n_val: a small validation set can sit
        # on one value for many epochs while the model still improves. So a
        # falling validation loss also counts as progress.
        improved = val_score >= best_score + self.tol or val_loss <= best_loss - self.tol
        if val_score > best_score or (val_score == best_score and val_loss < best_loss):
            history.best_validation_score = val_score
            best.take(self.net, self.optimizer)
        history.best_validation_loss = min(best_loss, val_loss)
        return improved


class HostEpoch:
    """One epoch's batches of NumPy data, and the sum of their losses as a float.

    Each batch is gathered by plain fancy indexing (several times faster than
    ``np.take`` with ``out=``), or is a view for a slice. The parameters are
    those of :class:`~skbpnet._solvers.device.DeviceEpoch`;
    ``host_sample_weight`` is not needed here.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._solvers.stochastic import HostEpoch
    >>> X, y = np.ones((4, 2)), np.zeros((4, 1))
    >>> part = HostEpoch(X, y, np.array([0.0, 0.0, 1.0, 2.0]), None, None, None, 2)
    >>> part.batch(0, slice(0, 2), 2) is None, part.batch(1, slice(2, 4), 2)[3]
    (True, 3.0)
    >>> part.add(0.5, 2), part.add(float("nan"), 2), part.mean(2)
    (True, False, 0.5)
    """

    stops_at_nonfinite = True  # each batch's loss is a float: stop at the first nan

    def __init__(self, X, y, sample_weight, hashes, order, salts, batch_size,
                 host_sample_weight=None):
        self.X, self.y, self.sample_weight, self.hashes = X, y, sample_weight, hashes
        self.order, self.salts, self.total = order, salts, 0.0

    def batch(self, i, idx, count):
        """``(X, y, sample_weight, total weight)`` of batch ``i``; None for zero weight."""
        Xb, yb = self.X[idx], self.y[idx]
        if self.sample_weight is None:
            return Xb, yb, None, count
        swb = self.sample_weight[idx]
        sw_sum = float(swb.sum())
        return None if sw_sum <= 0 else (Xb, yb, swb, sw_sum)

    def keys(self, idx):
        """The batch's row keys salted per dropout layer, or None."""
        return None if self.salts is None else [self.hashes[idx] ^ s for s in self.salts]

    def loss(self, loss, scores, yb, swb):
        """The batch's loss, a float."""
        return loss.forward(scores, yb, swb)

    def add(self, value, count):
        """Add a batch's loss times its row count; False when it is not finite."""
        if not math.isfinite(value):
            return False
        self.total += value * count
        return True

    def mean(self, n):
        """The epoch's mean loss."""
        return self.total / n


def _all_finite(a):
    xp = get_namespace(a)
    return bool(xp.all(xp.isfinite(a)))


def _epoch_line(info, n_iter):
    """scikit-learn's verbose lines, with our extra figures after them on the same line.

    ``n_iter`` counts the epochs of this call, as MLPClassifier's ``n_iter_``.
    """
    line = "Iteration %d, loss = %.8f, %.2f s" % (n_iter, info["loss"], info["seconds"])
    if "validation_score" in info:
        line += "\nValidation score: %f, validation loss = %.8f" % (
            info["validation_score"], info["validation_loss"])
    return line
