"""The ``skbpnet`` command: train networks end to end, on MNIST, the digits or your own table.

Commands: ``mnist`` and ``digits`` (:mod:`skbpnet.cli._mnist`), ``train``
(:mod:`skbpnet.cli._tabular`) and ``predict`` (:mod:`skbpnet.cli._predict`).
``python -m skbpnet`` runs the same command.
"""

import argparse
import sys

from .._version import __version__
from ..nn.registry import Registry
from . import _mnist, _predict, _tabular

__all__ = ["build_parser", "main", "SUBCOMMANDS"]

SUBCOMMANDS = Registry("subcommand")
"""Subcommand -> ``add(subparsers)``, which adds its parser with ``set_defaults(func=run)``,
``run(args, out)`` doing the work. A new subcommand is one ``SUBCOMMANDS.register``."""
SUBCOMMANDS.register("mnist", _mnist.add_parsers)  # mnist and digits: one recipe, two presets
SUBCOMMANDS.register("train", _tabular.add_parser)
SUBCOMMANDS.register("predict", _predict.add_parser)

EPILOG = """\
examples:
  skbpnet mnist                                   train 784-256-10 on MNIST, save the model
  skbpnet mnist --hidden 1024 1024 --dropout 0.4  a bigger network
  skbpnet digits                                  offline: scikit-learn's bundled 8x8 digits
  skbpnet train data.csv --target price           your own table (CSV or Parquet)
  skbpnet predict skbpnet-data.skbpnet new.csv    predictions for a table, as CSV
  skbpnet predict skbpnet-mnist.skbpnet x.npy     predictions for pixels / 255, one a line
  skbpnet predict m.joblib x.npy --trust-pickle   a joblib model (runs any code it holds)

Models are saved in skbpnet's safe format (.skbpnet), which runs no code when
loaded; --format joblib writes a pickle (.joblib), which predict loads only
with --trust-pickle.

`skbpnet COMMAND --help` lists a command's options.
"""


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
    >>> args = build_parser().parse_args(["train", "data.csv", "--target", "y"])
    >>> args.command, args.data, args.target, args.task
    ('train', 'data.csv', 'y', 'auto')
    """
    from ._errors import Parser

    parser = Parser(
        prog="skbpnet",
        description="Train backpropagation networks with skbpnet, end to end.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skbpnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS.values():
        add(sub)
    return parser


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
        The exit status: 0, or 1 when the reader of stdout went away.

    Raises
    ------
    SystemExit
        On an error, after one line ``skbpnet: ...`` on stderr that says what
        to do: status 2 for bad options or input, 130 for Ctrl-C, 1 for a bug
        (``SKBPNET_DEBUG=1`` shows its traceback). Every exception of the
        command goes through this one boundary
        (:func:`skbpnet.cli._errors.guarded`).

    Examples
    --------
    >>> import io, os, tempfile
    >>> from skbpnet.__main__ import main
    >>> out = io.StringIO()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     status = main(["digits", "--epochs", "2", "--quiet",
    ...                    "--output", os.path.join(folder, "digits.skbpnet")], out=out)
    >>> status, out.getvalue().startswith("test accuracy: ")
    (0, True)
    """
    from ._errors import guarded

    def work():  # parsing too: a bad option is refused through the same boundary
        args = build_parser().parse_args(argv)
        args.func(args, sys.stdout if out is None else out)

    return guarded(work, own_stdout=out is None)
