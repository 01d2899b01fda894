"""The ``skbpnet`` command: train on MNIST (or the bundled digits) end to end.

Examples
--------
::

    skbpnet mnist                      # train 784-256-10 on MNIST, save the model
    skbpnet mnist --hidden 1024 1024 --dropout 0.2 --epochs 30
    skbpnet digits                     # offline: scikit-learn's bundled 8x8 digits
    skbpnet predict model.joblib images.npy
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

from .presets import DIGITS_DEFAULTS, MNIST_DEFAULTS


def _train_parser(sub, name, defaults, help_text):
    p = sub.add_parser(name, help=help_text, description=help_text,
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--hidden", type=int, nargs="+", default=defaults["hidden"], metavar="UNITS",
                   help="units of each hidden layer")
    p.add_argument("--epochs", type=int, default=defaults["epochs"], help="training epochs")
    p.add_argument("--batch-size", type=int, default=defaults["batch_size"], help="minibatch size")
    p.add_argument("--solver", choices=["sgd", "adam"], default=defaults["solver"],
                   help="optimizer: Nesterov SGD or Adam")
    p.add_argument("--lr", type=float, default=defaults["lr"], help="initial learning rate")
    p.add_argument("--momentum", type=float, default=defaults["momentum"], help="SGD momentum")
    p.add_argument("--schedule", choices=["constant", "invscaling", "adaptive", "cosine"],
                   default=defaults["schedule"], help="learning-rate schedule")
    p.add_argument("--alpha", type=float, default=defaults["alpha"], help="L2 penalty")
    p.add_argument("--dropout", type=float, default=defaults["dropout"],
                   help="dropout rate on the hidden layers")
    p.add_argument("--input-dropout", type=float, default=0.0,
                   help="dropout rate on the input pixels")
    p.add_argument("--activation", default="relu",
                   choices=["relu", "leaky_relu", "gelu", "tanh", "logistic", "identity"],
                   help="hidden activation")
    p.add_argument("--float64", action="store_true",
                   help="train in float64 instead of float32 (slower, no more accurate)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads (default: what the BLAS chooses)")
    p.add_argument("--output", default=f"skbpnet-{name}.joblib",
                   help="where to save the trained model")
    p.add_argument("--format", choices=["joblib", "safe"], default="joblib",
                   help="model file format: joblib (pickle) or skbpnet's safe format "
                        "(arrays + JSON, cannot run code)")
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="draw the training loss and test accuracy curves (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    if name == "mnist":
        p.add_argument("--data-home", default=None,
                       help="scikit-learn data folder holding the OpenML cache "
                            "(default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)")
        p.add_argument("--n-train", type=int, default=None,
                       help="train on the first N training images only")
    return p


def build_parser():
    """Return the argument parser of the ``skbpnet`` command.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> from skbpnet.__main__ import build_parser
    >>> args = build_parser().parse_args(["mnist", "--epochs", "3"])
    >>> args.command, args.epochs, args.hidden
    ('mnist', 3, [256])
    """
    parser = argparse.ArgumentParser(
        prog="skbpnet",
        description="Train backpropagation networks with skbpnet, end to end.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _train_parser(sub, "mnist", MNIST_DEFAULTS,
                  "Train a classifier on MNIST (fetched with scikit-learn's fetch_openml) "
                  "and report its accuracy on the official 10,000-image test set.")
    _train_parser(sub, "digits", DIGITS_DEFAULTS,
                  "Train a classifier on scikit-learn's bundled 8x8 digits (no download).")
    p = sub.add_parser("predict", help="Predict with a saved model.",
                       description="Predict with a saved model; input is .npy or .csv "
                                   "(one sample per row), output one prediction per line.")
    p.add_argument("model", help="a model file written by `skbpnet mnist/digits` or skbpnet.save")
    p.add_argument("input", help="a .npy or .csv file of samples, one per row")
    p.add_argument("--output", default="-", help="where to write predictions ('-': stdout)")
    return parser


class _Progress:
    """Per-epoch progress: a bar redrawn in place on a terminal, plain lines otherwise."""

    def __init__(self, total, stream, evaluate, quiet=False):
        self.total, self.stream, self.evaluate, self.quiet = total, stream, evaluate, quiet
        self.tty = stream.isatty()
        self.train_seconds, self.curve, self.times = 0.0, [], []
        self.reached = None

    def __call__(self, info):
        self.train_seconds += info["seconds"]
        acc = self.evaluate(info["network"])
        self.curve.append(acc)
        self.times.append(self.train_seconds)
        if self.reached is None and acc >= 0.98:
            self.reached = (info["epoch"], self.train_seconds)
        if self.quiet:
            return False
        text = (f"epoch {info['epoch']:>3}/{self.total}  loss {info['loss']:.4f}  "
                f"test acc {acc:.4f}  {info['seconds']:.2f} s")
        if self.tty:
            done = int(20 * info["epoch"] / self.total)
            bar = "#" * done + "-" * (20 - done)
            end = "\n" if info["epoch"] == self.total else ""
            self.stream.write(f"\r[{bar}] {text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        return False


def _load_data(args):
    if args.command == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    from .datasets import DatasetUnavailableError, load_mnist

    try:
        X_train, X_test, y_train, y_test = load_mnist(data_home=args.data_home)
    except DatasetUnavailableError as exc:
        sys.stderr.write(
            f"skbpnet: MNIST is not available: {exc}\n"
            f"Connect to the internet once (the data is cached afterwards), or point "
            f"--data-home or SCIKIT_LEARN_DATA at a folder holding scikit-learn's OpenML "
            f"cache of mnist_784. To try skbpnet without any download, run: skbpnet digits\n"
        )
        raise SystemExit(2) from None
    if args.n_train:
        X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    return X_train, X_test, y_train, y_test


def _train(args, out):
    from threadpoolctl import threadpool_info, threadpool_limits

    from . import BPNetClassifier

    X_train, X_test, y_train, y_test = _load_data(args)
    if args.float64:
        X_train, X_test = X_train.astype(np.float64), X_test.astype(np.float64)
    clf = BPNetClassifier(
        hidden_layer_sizes=tuple(args.hidden), activation=args.activation, solver=args.solver,
        alpha=args.alpha, batch_size=args.batch_size, learning_rate=args.schedule,
        learning_rate_init=args.lr, momentum=args.momentum, max_iter=args.epochs,
        dropout=args.dropout, input_dropout=args.input_dropout, random_state=args.seed,
        n_iter_no_change=args.epochs + 1,
    )
    classes = np.unique(y_train)

    def test_accuracy(net):  # the network in training, before the estimator commits it
        return float(np.mean(classes[net.infer(X_test).argmax(axis=1)] == y_test))

    progress = _Progress(args.epochs, out, test_accuracy, args.quiet)
    clf.set_params(callbacks=[progress])
    limits = threadpool_limits(args.threads) if args.threads else None
    threads = max((p["num_threads"] for p in threadpool_info()), default=1)
    if not args.quiet:
        out.write(f"{args.command}: {X_train.shape[0]} training and {X_test.shape[0]} test "
                  f"images; network {X_train.shape[1]}-{'-'.join(map(str, args.hidden))}-"
                  f"{len(np.unique(y_train))}, {args.solver}, lr {args.lr}, batch "
                  f"{args.batch_size}, {X_train.dtype}, {threads} BLAS thread(s)\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            tic = time.perf_counter()
            clf.fit(X_train, y_train)
            wall = time.perf_counter() - tic
    finally:
        if limits is not None:
            limits.unregister()
    clf.set_params(callbacks=None)
    acc = clf.score(X_test, y_test)
    out.write(f"test accuracy: {acc:.4f}  ({clf.n_iter_} epochs, {progress.train_seconds:.1f} s "
              f"of training, {wall:.1f} s with per-epoch evaluation)\n")
    if progress.reached:
        out.write(f"98% test accuracy reached after epoch {progress.reached[0]}, "
                  f"{progress.reached[1]:.1f} s of training\n")
    _save(clf, args.output, args.format)
    out.write(f"model saved to {os.path.abspath(args.output)} ({args.format})\n")
    if args.plot:
        _plot(clf, progress, args.plot)
        out.write(f"curves drawn to {os.path.abspath(args.plot)}\n")
    return clf, acc


def _save(clf, path, fmt):
    if fmt == "safe":
        from . import save

        save(clf, path)
    else:
        import joblib

        from ._atomic import write_atomic

        write_atomic(path, lambda fh: joblib.dump(clf, fh))  # never a half-written model


def _load_model(path):
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":  # a zip: skbpnet's safe format
        from . import load

        return load(path)
    import joblib

    return joblib.load(path)


def _plot(clf, progress, path):
    try:
        from .plotting import LossCurveDisplay
    except ImportError:  # pragma: no cover
        raise SystemExit("--plot needs matplotlib: pip install 'skbpnet[plot]'") from None
    import matplotlib

    matplotlib.use("Agg")
    display = LossCurveDisplay.from_estimator(clf, extra_scores=progress.curve,
                                              extra_label="test accuracy")
    display.figure_.savefig(path, dpi=110, bbox_inches="tight")


def _predict(args, out):
    model = _load_model(args.model)
    if args.input.endswith(".npy"):
        X = np.load(args.input, allow_pickle=False)
    else:
        X = np.loadtxt(args.input, delimiter=",", ndmin=2)
    # Samples must be preprocessed as for training (MNIST: pixels / 255).
    X = X.reshape(X.shape[0], -1)
    pred = model.predict(X)
    text = "\n".join(map(str, np.asarray(pred).tolist())) + "\n"
    if args.output == "-":
        out.write(text)
    else:
        with open(args.output, "w") as fh:
            fh.write(text)


def main(argv=None, out=None):
    """Run the ``skbpnet`` command.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).
    out : file-like, default=None
        Where to print (default: ``sys.stdout``).

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> from skbpnet.__main__ import main
    >>> main(["--help"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    out = sys.stdout if out is None else out
    if args.command == "predict":
        _predict(args, out)
    else:
        _train(args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
