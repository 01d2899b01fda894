"""``skbpnet mnist`` and ``skbpnet digits``: train a digit classifier end to end."""

import os

import numpy as np

from ..nn import to_numpy
from ..presets import DIGITS_DEFAULTS, MNIST_DEFAULTS
from ._argtypes import positive_int
from ._common import (HelpFormatter, add_network_options, blas_threads, draw_curves, fail,
                      make_estimator)
from ._device import array_dispatch, resolve
from ._files import check_output_options, save_model
from ._fitting import timed_fit
from ._progress import Progress, class_indices

__all__ = ["add_parsers", "run"]

MNIST_HELP = ("Train a classifier on MNIST (fetched with scikit-learn's fetch_openml) "
              "and report its accuracy on the official 10,000-image test set.")
DIGITS_HELP = "Train a classifier on scikit-learn's bundled 8x8 digits (no download)."


def _add_parser(sub, name, defaults, help_text):
    p = sub.add_parser(name, help=help_text, description=help_text,
                       formatter_class=HelpFormatter)
    add_network_options(p, defaults, f"skbpnet-{name}")
    p.add_argument("--float64", action="store_true",
                   help="train in float64 instead of float32 (slower, no more accurate)")
    if name == "mnist":
        p.add_argument("--data-home", default=None,
                       help="scikit-learn data folder holding the OpenML cache "
                            "(default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)")
        p.add_argument("--n-train", type=positive_int, default=None,
                       help="train on the first N training images only (default: all)")
    p.set_defaults(func=run)
    return p


def add_parsers(sub):
    """Add the ``mnist`` and ``digits`` commands to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The command's subparsers.

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._mnist import add_parsers
    >>> parser = argparse.ArgumentParser()
    >>> add_parsers(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["digits"]).epochs
    40
    """
    _add_parser(sub, "mnist", MNIST_DEFAULTS, MNIST_HELP)
    _add_parser(sub, "digits", DIGITS_DEFAULTS, DIGITS_HELP)


def _load_data(args):
    if args.command == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    from ..datasets import DatasetUnavailableError, load_mnist

    try:
        X_train, X_test, y_train, y_test = load_mnist(data_home=args.data_home)
    except DatasetUnavailableError as exc:
        fail(f"MNIST is not available: {str(exc).rstrip('.')}. Connect to the internet "
             f"once (the data is cached afterwards), or point --data-home or "
             f"SCIKIT_LEARN_DATA at a folder holding scikit-learn's OpenML cache of "
             f"mnist_784. To try skbpnet without any download, run: skbpnet digits")
    if args.n_train:
        X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    return X_train, X_test, y_train, y_test


def _describe(out, args, X_train, X_test, n_classes, target):
    if target is None:
        if args.threads:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(args.threads):
                threads = blas_threads()
        else:
            threads = blas_threads()
        where = f"{threads} BLAS thread(s)"
    else:
        where = f"on {target.describe()}"
    out.write(f"{args.command}: {X_train.shape[0]} training and {X_test.shape[0]} test "
              f"images; network {X_train.shape[1]}-{'-'.join(map(str, args.hidden))}-"
              f"{n_classes}, {args.solver}, lr {args.lr}, batch "
              f"{args.batch_size}, {X_train.dtype}, {where}\n")


def run(args, out):
    """Train on MNIST or the digits as ``args`` say; print progress and the test accuracy.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of ``skbpnet mnist`` or ``skbpnet digits``.
    out : file-like
        Where to print.

    Returns
    -------
    clf : BPNetClassifier
        The fitted classifier (also saved to ``args.output``, as NumPy arrays); with
        ``--device`` or ``--array-library``, its arrays are on that device.
    acc : float
        Its test accuracy.

    Examples
    --------
    >>> import io, os, tempfile
    >>> from skbpnet.cli import build_parser
    >>> from skbpnet.cli._mnist import run
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     args = build_parser().parse_args(
    ...         ["digits", "--epochs", "2", "--quiet", "--output", os.path.join(folder, "m")])
    ...     clf, acc = run(args, io.StringIO())
    >>> clf.n_iter_, acc > 0.5
    (2, True)
    """
    check_output_options(args)
    target = resolve(args.device, args.array_library)  # before the data: fail fast
    X_train, X_test, y_train, y_test = _load_data(args)
    dtype = np.float64 if args.float64 else np.float32
    X_train, X_test = X_train.astype(dtype, copy=False), X_test.astype(dtype, copy=False)
    X_fit, y_fit, X_eval = X_train, y_train, X_test
    if target is not None:  # to the device once: training data and the test images
        X_fit, y_fit, X_eval = target.put(X_train), target.put_labels(y_train), target.put(X_test)
    clf = make_estimator(args)
    classes = np.unique(y_train)

    def test_accuracy(net):  # the network in training, before the estimator commits it
        return float(np.mean(classes[class_indices(net, X_eval)] == y_test))

    progress = Progress(args.epochs, out, test_accuracy, args.quiet, target=0.98)
    clf.set_params(callbacks=[progress])
    if not args.quiet:
        _describe(out, args, X_train, X_test, len(classes), target)
    with array_dispatch(target):
        with progress.interruptible():  # Ctrl-C: the model of the last complete epoch
            wall = timed_fit(clf, X_fit, y_fit, args.threads)
        clf.set_params(callbacks=None)
        acc = float(np.mean(to_numpy(clf.predict(X_eval)) == y_test))
    out.write(f"test accuracy: {acc:.4f}  ({clf.n_iter_} epochs, {progress.train_seconds:.1f} s "
              f"of training, {wall:.1f} s with per-epoch evaluation)\n")
    if progress.reached:
        out.write(f"98% test accuracy reached after epoch {progress.reached[0]}, "
                  f"{progress.reached[1]:.1f} s of training\n")
    save_model(clf, args.output, args.format, force=args.force)
    out.write(f"model saved to {os.path.abspath(args.output)} ({args.format})\n")
    if args.plot:
        draw_curves(clf, progress.curve, "test accuracy", args.plot)
        out.write(f"curves drawn to {os.path.abspath(args.plot)}\n")
    progress.stop_if_interrupted(args.output, args.format)
    return clf, acc
