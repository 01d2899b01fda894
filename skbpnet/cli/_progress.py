"""Per-epoch progress of the training commands, and durations people can read."""

import contextlib
import math
import os
import signal
import threading

from ..nn import get_namespace, is_numpy, to_numpy

__all__ = ["Progress", "format_seconds", "class_indices"]


def format_seconds(seconds):
    """Format a duration: milliseconds below a tenth of a second, else seconds.

    Parameters
    ----------
    seconds : float
        A duration in seconds.

    Returns
    -------
    str
        ``'12 ms'``, ``'0.4 ms'`` or ``'1.25 s'``.

    Examples
    --------
    >>> from skbpnet.cli._progress import format_seconds
    >>> format_seconds(0.0123), format_seconds(0.0004), format_seconds(1.254)
    ('12 ms', '0.4 ms', '1.25 s')
    """
    if seconds >= 0.1:
        return f"{seconds:.2f} s"
    ms = seconds * 1000.0
    return f"{ms:.0f} ms" if ms >= 1 else f"{ms:.1f} ms"


def class_indices(net, X):
    """Class indices predicted by a network in training, from its output scores (logits).

    One output column is the logit of the second class (positive: that class),
    as in :meth:`skbpnet.BPNetClassifier.predict`; several are one per class.

    Parameters
    ----------
    net : skbpnet.nn.Sequential
        The network, as the training callbacks receive it.
    X : ndarray of shape (n_samples, n_features)
        Samples, already preprocessed: a NumPy array (cast to the network's
        dtype), or an array of the network's own namespace, device and dtype
        when it trains on a device (``--device``).

    Returns
    -------
    ndarray of shape (n_samples,)
        Indices into the classifier's ``classes_``, a NumPy array in any case.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.cli._progress import class_indices
    >>> class Net:
    ...     dtype = np.float64
    ...     def infer(self, X):
    ...         return X
    >>> class_indices(Net(), np.array([[-0.2], [0.7]])).tolist()
    [0, 1]
    >>> class_indices(Net(), np.array([[0.1, 2.0, -1.0]])).tolist()
    [1]
    """
    if is_numpy(get_namespace(X)):
        X = X.astype(net.dtype, copy=False)
    out = to_numpy(net.infer(X))  # a device's scores come to the host: n_samples x n_outputs
    if out.shape[1] == 1:
        return (out[:, 0] > 0).astype(int)
    return out.argmax(axis=1)


class Progress:
    """Per-epoch progress: a bar redrawn in place on a terminal, plain lines otherwise.

    It is a training callback (see ``callbacks`` in :class:`~skbpnet.BPNetClassifier`):
    each epoch it scores the network in training on held-out data and prints a line.

    Parameters
    ----------
    total : int
        The number of epochs.
    stream : file-like
        Where to print.
    evaluate : callable
        ``evaluate(network) -> float``: the held-out score after an epoch.
    quiet : bool, default=False
        Record the scores but print nothing.
    label : str, default='test acc'
        What the score is, in the printed lines.
    target : float, default=None
        Remember the first epoch whose score reaches this value (``reached``).

    Examples
    --------
    >>> import io
    >>> from skbpnet.cli._progress import Progress
    >>> out = io.StringIO()
    >>> progress = Progress(2, out, lambda net: 0.5)
    >>> progress({"epoch": 1, "loss": 0.25, "seconds": 0.012, "network": None})
    False
    >>> print(out.getvalue().strip())
    epoch   1/2  loss 0.2500  test acc 0.5000  12 ms
    """

    def __init__(self, total, stream, evaluate, quiet=False, label="test acc", target=None):
        self.total, self.stream, self.evaluate, self.quiet = total, stream, evaluate, quiet
        self.label, self.target = label, target
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.train_seconds, self.curve = 0.0, []
        self.reached = None
        self.epoch, self.interrupted = 0, False  # epochs reported; whether Ctrl-C came

    def __deepcopy__(self, memo):
        # A reporter, not state: scikit-learn's clone (TransformedTargetRegressor
        # clones its regressor, callbacks included) must hand on this very object.
        return self

    def __call__(self, info):
        """Record and print one epoch; return False (never stop the training)."""
        self.train_seconds += info["seconds"]
        score = float(self.evaluate(info["network"]))
        self.curve.append(score)
        if self.target is not None and self.reached is None and score >= self.target:
            self.reached = (info["epoch"], self.train_seconds)
        self.epoch = info["epoch"]
        if self.quiet:
            return False
        shown = f"{score:.4f}" if math.isfinite(score) else str(score)
        text = (f"epoch {info['epoch']:>3}/{self.total}  loss {info['loss']:.4f}  "
                f"{self.label} {shown}  {format_seconds(info['seconds'])}")
        if self.tty:
            done = int(20 * info["epoch"] / self.total)
            bar = "#" * done + "-" * (20 - done)
            end = "\n" if info["epoch"] == self.total else ""
            self.stream.write(f"\r[{bar}] {text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        return False

    @contextlib.contextmanager
    def interruptible(self):
        """Note a Ctrl-C during the block (the fit); refuse to go on if no epoch finished.

        The estimators stop at a Ctrl-C and keep the last complete epoch, so
        the fit returns; :meth:`stop_if_interrupted` ends the command after
        that model is saved. A Ctrl-C before any epoch finished leaves
        nothing to keep: it ends the command here, with status 130.

        Raises
        ------
        SystemExit
            With status 130 and one line on stderr, when training stopped
            before its first epoch finished.

        Examples
        --------
        >>> import io
        >>> from skbpnet.cli._progress import Progress
        >>> progress = Progress(3, io.StringIO(), lambda net: 0.5)
        >>> with progress.interruptible():
        ...     pass
        >>> progress.interrupted
        False
        """
        from ._errors import STATUS_INTERRUPTED, fail

        def note(signum, frame):
            self.interrupted = True
            raise KeyboardInterrupt

        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, note) if main else None
        try:
            yield
            if self.interrupted and self.epoch == 0:  # the estimator kept its initial state
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            self.interrupted = True
            fail(f"{self._stopped()}; no model was saved", STATUS_INTERRUPTED)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)

    def _stopped(self):
        return (f"training interrupted (Ctrl-C) in epoch {min(self.epoch + 1, self.total)} "
                f"of {self.total}" + ("" if self.epoch else ", before any epoch finished"))

    def stop_if_interrupted(self, path, fmt):
        """End the command with status 130 if Ctrl-C stopped training; say what was saved.

        Parameters
        ----------
        path : str
            Where the model of the last complete epoch was saved.
        fmt : str
            Its format.

        Raises
        ------
        SystemExit
            With status 130 and one line on stderr, after a Ctrl-C.

        Examples
        --------
        >>> import io
        >>> from skbpnet.cli._progress import Progress
        >>> Progress(3, io.StringIO(), lambda net: 0.5).stop_if_interrupted("m.joblib", "joblib")
        """
        from ._errors import STATUS_INTERRUPTED, fail

        if self.interrupted:
            fail(f"{self._stopped()}; the model of epoch {self.epoch}, the last complete one, "
                 f"was saved to {os.path.abspath(path)} ({fmt})", STATUS_INTERRUPTED)
