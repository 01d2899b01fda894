"""The command's one error boundary: every failure ends as one line on stderr and a status.

:func:`fail` is how the command reports an error it recognises: ``skbpnet:
MESSAGE`` on one line, exit status 2. :func:`guarded` runs a command and
turns everything else into such a line: Ctrl-C (status 130), a training
error of the estimators (with the command's option names in place of the
estimators' parameter names), running out of memory, a file the system
refuses. Anything unexpected is a bug: one line says so. With
``SKBPNET_DEBUG=1`` in the environment, every exception shows its traceback.
"""

import argparse
import os
import re
import sys

__all__ = ["Parser", "TrainingError", "fail", "guarded", "option_names"]

# The estimators' hyperparameters and the command's options that set them.
OPTIONS = {"learning_rate_init": "--lr", "hidden_layer_sizes": "--hidden",
           "batch_size": "--batch-size", "max_iter": "--epochs", "learning_rate": "--schedule",
           "input_dropout": "--input-dropout", "max_norm": "--max-norm",
           "random_state": "--seed", "momentum": "--momentum", "dropout": "--dropout",
           "alpha": "--alpha", "solver": "--solver", "activation": "--activation"}
_OPTION_RE = re.compile(r"'?\b(" + "|".join(sorted(OPTIONS, key=len, reverse=True)) + r")\b'?")
STATUS_ERROR, STATUS_BUG, STATUS_INTERRUPTED = 2, 1, 130
DEBUG_VARIABLE = "SKBPNET_DEBUG"


def fail(message, status=STATUS_ERROR):
    """Print ``skbpnet: message`` on stderr, as one line, and exit with ``status``.

    Parameters
    ----------
    message : str
        What went wrong and what to do about it (line breaks become spaces).
    status : int, default=2
        The exit status.

    Raises
    ------
    SystemExit
        Always.

    Examples
    --------
    >>> from skbpnet.cli._errors import fail
    >>> fail("no such file")  # doctest: +SKIP
    """
    sys.stderr.write("skbpnet: " + " ".join(str(message).split()) + "\n")
    sys.stderr.flush()
    raise SystemExit(status)


class TrainingError(Exception):
    """An estimator refused to train or failed to (its ``ValueError``), for the boundary.

    Examples
    --------
    >>> from skbpnet.cli._errors import TrainingError
    >>> str(TrainingError("the loss became inf"))
    'the loss became inf'
    """


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line through :func:`fail`, not usage text.

    Its subparsers are of the same class (argparse makes them so).

    Examples
    --------
    >>> from skbpnet.cli._errors import Parser
    >>> p = Parser(prog="skbpnet")
    >>> _ = p.add_argument("--epochs", type=int)
    >>> p.parse_args(["--epochs", "x"])  # doctest: +SKIP
    """

    def error(self, message):
        """Refuse the arguments with ``message`` and a pointer to the help."""
        fail(f"{message} (see `{self.prog} --help`)")


def option_names(text):
    """Write the command's options in place of the estimators' parameter names in ``text``.

    Parameters
    ----------
    text : str
        A message of the estimators.

    Returns
    -------
    str

    Examples
    --------
    >>> from skbpnet.cli._errors import option_names
    >>> option_names("Lower learning_rate_init (now 100.0), or raise alpha.")
    'Lower --lr (now 100.0), or raise --alpha.'
    """
    return _OPTION_RE.sub(lambda m: OPTIONS[m.group(1)], text)


def _message(exc):
    """The line and the status for an exception that reached the boundary (None: a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)", STATUS_INTERRUPTED
    if isinstance(exc, TrainingError):
        return f"training failed: {option_names(str(exc))} No model was saved.", STATUS_ERROR
    if isinstance(exc, MemoryError):
        return ("out of memory" + (f" ({exc})" if str(exc) else "") + ": try a smaller "
                "network (--hidden), smaller batches (--batch-size) or less data"), STATUS_ERROR
    from ..io.errors import ModelFileError

    if isinstance(exc, ModelFileError):
        return str(exc), STATUS_ERROR
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}", STATUS_ERROR
    return None


def _report(exc):
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        raise exc  # the traceback, whatever the exception
    found = _message(exc)
    if found is not None:
        fail(*found)
    from .._version import __version__

    fail(f"internal error, a bug in skbpnet {__version__}: {type(exc).__name__}: {exc}. "
         f"Please report it with the traceback, which `{DEBUG_VARIABLE}=1 skbpnet ...` "
         f"shows.", STATUS_BUG)


def guarded(run, own_stdout=True):
    """Call ``run()``; turn what it raises into one line on stderr and an exit status.

    This is the command's error boundary; :func:`~skbpnet.cli.main` calls its
    work through it.

    Parameters
    ----------
    run : callable
        The command's work.
    own_stdout : bool, default=True
        Whether the command writes to ``sys.stdout``: then a reader that goes
        away (``skbpnet predict ... | head``) ends the command quietly.

    Returns
    -------
    int
        0, or 1 when the reader of stdout went away.

    Raises
    ------
    SystemExit
        With the status of an error, after its line on stderr: 2 for bad
        input or options, 130 for Ctrl-C, 1 for a bug.

    Examples
    --------
    >>> from skbpnet.cli._errors import guarded
    >>> guarded(lambda: None)
    0
    >>> guarded(lambda: [][1])  # doctest: +SKIP
    skbpnet: internal error, a bug in skbpnet ...: IndexError: list index out of range. ...
    """
    try:
        run()
    except SystemExit:
        raise
    except BrokenPipeError:  # ``skbpnet predict ... | head``: the reader left, stop quietly
        if not own_stdout:
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit flush does not fail again
        return 1
    except BaseException as exc:  # noqa: BLE001 - the one place that sees every failure
        _report(exc)
    return 0
