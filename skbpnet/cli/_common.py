"""What the training commands share: network options, the estimator, plotting.

Loading, saving and checking output files are in :mod:`skbpnet.cli._files`; fitting in
:mod:`skbpnet.cli._fitting`; ``fail`` in :mod:`skbpnet.cli._errors`.
"""

import argparse
import os

from .._solvers import SOLVERS, is_stochastic
from ..nn import ACTIVATIONS, SCHEDULES
from ..nn.init import INITIALIZERS
from ..presets import estimator_params
from ._argtypes import (non_negative_float, positive_float, positive_int, rate, seed,
                        thread_count)
from ._device import add_device_options
from ._errors import fail
from ._files import add_output_options

__all__ = ["HelpFormatter", "add_network_options", "make_estimator", "draw_curves", "fail"]

class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show each option's default once, and only where it tells something.

    Not when the help already names the default, nor for ``None`` defaults
    and on/off flags; after a help ending in a parenthesis, inside it.

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._common import HelpFormatter
    >>> p = argparse.ArgumentParser(prog="x", formatter_class=HelpFormatter)
    >>> _ = p.add_argument("--a", default=1, help="one")
    >>> _ = p.add_argument("--b", default=None, help="two (default: chosen later)")
    >>> _ = p.add_argument("--c", default="z", help="three (a letter)")
    >>> _ = p.add_argument("--d", action="store_true", help="four")
    >>> text = " ".join(p.format_help().split())
    >>> "one (default: 1)" in text, "(a letter; default: z)" in text, text.count("default")
    (True, True, 3)
    """

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or not action.option_strings or action.default is None
                or isinstance(action, (argparse._StoreTrueAction, argparse._VersionAction))):
            return text
        if text.endswith(")"):
            return text[:-1] + "; default: %(default)s)"
        return super()._get_help_string(action)


def add_network_options(p, defaults, stem):
    """Add the network, optimizer, output and device options shared by the training commands.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    defaults : dict
        A preset of :mod:`skbpnet.presets`.
    stem : str or None
        The default model name without its extension (``None``: ``skbpnet-DATA``,
        from the data file's name).

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._common import add_network_options
    >>> from skbpnet.presets import DIGITS_DEFAULTS
    >>> p = argparse.ArgumentParser()
    >>> add_network_options(p, DIGITS_DEFAULTS, "skbpnet-digits")
    >>> p.parse_args([]).hidden
    [128]
    """
    add = p.add_argument
    add("--hidden", type=positive_int, nargs="+", default=defaults["hidden"], metavar="UNITS",
        help="units of each hidden layer")
    add("--epochs", type=positive_int, default=defaults["epochs"], help="training epochs")
    add("--batch-size", type=positive_int, default=defaults["batch_size"], help="minibatch size")
    add("--solver", choices=[name for name in SOLVERS if is_stochastic(name)],
        default=defaults["solver"],
        help="optimizer (sgd with Nesterov momentum)")
    add("--lr", type=positive_float, default=defaults["lr"], help="initial learning rate")
    add("--momentum", type=rate, default=defaults["momentum"], help="SGD momentum")
    add("--schedule", choices=list(SCHEDULES), default=defaults["schedule"],
        help="learning-rate schedule")
    add("--alpha", type=non_negative_float, default=defaults["alpha"], help="L2 penalty")
    add("--dropout", type=rate, default=defaults["dropout"],
        help="dropout rate on the hidden layers")
    add("--input-dropout", type=rate, default=defaults.get("input_dropout", 0.0),
        help="dropout rate on the inputs")
    add("--max-norm", type=positive_float, default=defaults.get("max_norm"), metavar="C",
        help="max-norm constraint: rescale each unit's incoming weights to norm C "
             "whenever an update takes them beyond it (3 or 4 are usual; default: none)")
    add("--activation", default="relu", choices=list(ACTIVATIONS), help="hidden activation")
    add("--weight-init", choices=["auto", *INITIALIZERS],
        default=defaults.get("weight_init", "auto"),
        help="initial weights: he (sqrt(6 / fan_in)), glorot (sqrt(6 / (fan_in + fan_out)), "
             "smaller) or auto (he for ReLU-like activations, else glorot)")
    smoothing = defaults.get("label_smoothing", 0.0)
    add("--label-smoothing", type=rate, default=None, metavar="EPS",
        help="classification: train towards 1 - EPS on the true class and EPS spread over "
             f"all classes (default: {smoothing:g}{', none' if not smoothing else ''}; "
             "not for regression)")
    p.set_defaults(preset_label_smoothing=smoothing)
    add("--seed", type=seed, default=0, help="random seed")
    add("--threads", type=thread_count, default=None,
        help="BLAS threads (default: what the BLAS chooses)")
    add_output_options(p, stem)
    add("--plot", metavar="FILE.png", default=None,
        help="draw the training loss and held-out score curves (needs matplotlib)")
    add("--quiet", action="store_true", help="print only the final summary")
    add_device_options(p)


def make_estimator(args, kind="classifier"):
    """The BPNetClassifier or BPNetRegressor that the options describe.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see :func:`add_network_options`).
    kind : {'classifier', 'regressor'}, default='classifier'
        Which estimator.

    Returns
    -------
    BPNetClassifier or BPNetRegressor
        Not fitted; it trains for exactly ``args.epochs`` epochs.

    Examples
    --------
    >>> from skbpnet.cli import build_parser
    >>> from skbpnet.cli._common import make_estimator
    >>> args = build_parser().parse_args(["digits", "--epochs", "3"])
    >>> make_estimator(args).max_iter
    3
    """
    from .. import BPNetClassifier, BPNetRegressor

    preset = dict(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size,
                  solver=args.solver, lr=args.lr, momentum=args.momentum,
                  dropout=args.dropout, input_dropout=args.input_dropout, alpha=args.alpha,
                  schedule=args.schedule, max_norm=args.max_norm,
                  weight_init=args.weight_init)
    extra = {}
    smoothing = args.label_smoothing
    if kind == "classifier":
        extra["label_smoothing"] = (args.preset_label_smoothing if smoothing is None
                                    else smoothing)
    elif smoothing:
        fail("--label-smoothing is for classification; this task is regression (drop the "
             "option, or pass --task classification if the target is a class)")
    cls = BPNetClassifier if kind == "classifier" else BPNetRegressor
    return cls(**estimator_params(preset), activation=args.activation,
               random_state=args.seed, n_iter_no_change=args.epochs + 1, **extra)


def blas_threads():
    """The number of BLAS threads in use (the largest over the thread pools).

    Returns
    -------
    int

    Examples
    --------
    >>> from skbpnet.cli._common import blas_threads
    >>> blas_threads() >= 1
    True
    """
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info()), default=1)


def draw_curves(estimator, scores, label, path):
    """Draw the loss curve and a per-epoch score to ``path``, atomically (Agg backend).

    The image format is the extension's (PNG without one).

    Parameters
    ----------
    estimator : BPNetClassifier or BPNetRegressor
        The fitted network estimator.
    scores : list of float
        The per-epoch held-out scores.
    label : str
        Their name in the legend.
    path : str
        The image file.

    Examples
    --------
    >>> from skbpnet.cli._common import draw_curves
    >>> draw_curves(clf, [0.9, 0.95], "test accuracy", "c.png")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    from .._atomic import write_atomic
    from ..plotting import LossCurveDisplay

    display = LossCurveDisplay.from_estimator(estimator, extra_scores=scores, extra_label=label)
    fmt = os.path.splitext(path)[1][1:].lower() or "png"
    try:
        write_atomic(path, lambda fh: display.figure_.savefig(fh, format=fmt, dpi=110,
                                                              bbox_inches="tight"))
    except OSError as exc:
        fail(f"cannot write the curves to {path}: {exc.strerror or exc}")
