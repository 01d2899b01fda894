"""The command's files: what a file is (by its content), loading and saving models, outputs.

A model file is recognised by its first bytes, never by its name: a ZIP
holding ``metadata.json`` is skbpnet's safe format (:func:`skbpnet.load`,
which runs no code), a pickle is a joblib file (loaded only behind
``--trust-pickle``, since unpickling runs any code the file names), and
anything else is refused with what it is. Every output path is checked before
any data is read or any network trained: the command writes a model only over
a missing file or a model file, predictions and curves never over a model
file, and nothing ever over an input of the same command; ``--force`` allows
replacing any other file.
"""

import os
import pickletools
import stat
import sys
import warnings
import zipfile

from ._errors import fail

__all__ = ["describe", "load_model", "save_model", "check_output", "check_output_options",
           "add_output_options", "EXTENSIONS"]

# The default extension of each format; names that say the other format are refused.
EXTENSIONS = {"safe": ".skbpnet", "joblib": ".joblib"}
_NAMED = {".skbpnet": "safe", ".joblib": "joblib", ".pkl": "joblib", ".pickle": "joblib"}
# The first bytes of the compressions that joblib.dump(..., compress=...) writes.
_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00", b"\x04\x22\x4d\x18",
               b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
MODEL_KINDS = ("safe", "joblib")  # what a model may replace
PICKLE_KINDS = ("joblib", "pickle", "compressed")  # what only --trust-pickle loads


def add_output_options(p, stem):
    """Add ``--output``, ``--format`` and ``--force`` to a training command's parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    stem : str or None
        The default model name without its extension (``None``: ``skbpnet-DATA``).

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._files import add_output_options
    >>> p = argparse.ArgumentParser()
    >>> add_output_options(p, "skbpnet-digits")
    >>> args = p.parse_args([])
    >>> args.output, args.format, args.force
    (None, 'safe', False)
    """
    name = stem or "skbpnet-DATA"
    where = "" if stem else ", DATA's name without its extension"
    p.add_argument("--output", default=None, help=(
        f"where to save the trained model (default: {name}.skbpnet{where}; {name}.joblib "
        f"with --format joblib). An existing file is replaced only if it is a model file"))
    p.add_argument("--format", choices=["safe", "joblib"], default="safe",
                   help="model file format: skbpnet's safe format (arrays + JSON, cannot run "
                        "code) or joblib (a pickle: loading it runs any code it contains, so "
                        "`skbpnet predict` needs --trust-pickle for it)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --output or --plot file that is not a model file "
                        "(an input of the command is never replaced)")


def _sniff_zip(path):
    from ..io.archive import check_directory  # the loader's bound, before zipfile parses
    from ..io.errors import ModelFileError

    try:
        with open(path, "rb") as fh:
            check_directory(fh)
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except ModelFileError:
        return "other", "a ZIP archive with a directory too large for a model file"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "other", "a damaged or truncated ZIP archive (a model file cut short?)"
    if "metadata.json" in names:
        return "safe", "a model file in skbpnet's safe format"
    if names and all(n.endswith(".npy") for n in names):
        return "other", "a NumPy .npz archive"
    return "other", "a ZIP archive"


def _is_old_pickle(head):
    """Whether ``head`` parses as a whole protocol 0 or 1 pickle (parsed, never run)."""
    try:
        with open(os.devnull, "w") as null:
            pickletools.dis(head, out=null)
    except Exception:  # any parse error: not a pickle, or not a whole one
        return False
    return True


def _sniff_bytes(head, path):
    if not head:
        return "other", "an empty file"
    if head.startswith(b"\x93NUMPY"):
        return "other", "a NumPy array (.npy)"
    if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:  # a pickle, protocol 2 to 5
        model = b"skbpnet" in head[:4096] or b"sklearn" in head[:4096]
        return ("joblib", "a joblib/pickle file") if model else ("pickle", "a pickle file")
    if head.startswith(_COMPRESSED):
        return "compressed", "a compressed file (a compressed joblib pickle?)"
    if head.startswith(b"PAR1"):
        return "other", "a Parquet table"
    if len(head) < (1 << 20) and _is_old_pickle(head):
        return "pickle", "a pickle file"
    if b"\x00" not in head[:8192]:
        try:
            head[:8192].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < 8188:  # not only a character cut at the end of the sample
                return "other", "a file of unknown content"
        return "other", ("a CSV text file" if path.lower().endswith(".csv") else "a text file")
    return "other", "a file of unknown content"


def describe(path):
    """What the file at ``path`` is, from its content.

    Parameters
    ----------
    path : str
        Any path.

    Returns
    -------
    kind : {'missing', 'directory', 'unreadable', 'safe', 'joblib', 'pickle', \
'compressed', 'other'}
        ``'safe'``: skbpnet's safe format; ``'joblib'``: a pickle of a
        scikit-learn or skbpnet object; ``'pickle'``: any other pickle.
    what : str
        The kind in words, to put after "is".

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skbpnet.cli._files import describe
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(os.path.join(folder, "x.npy"), np.zeros(3))
    ...     print(describe(os.path.join(folder, "x.npy")), describe(folder)[0],
    ...           describe(os.path.join(folder, "nothing"))[0])
    ('other', 'a NumPy array (.npy)') directory missing
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing", "missing"
    except OSError as exc:
        return "unreadable", f"unreadable ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "directory", "a directory"
    if not stat.S_ISREG(mode):
        return "other", "not a regular file"
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        return "unreadable", f"unreadable ({exc.strerror})"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return _sniff_bytes(head, path)


def _one_line(text):
    return " ".join(str(text).split())


def _refuse_pickle(path, what):
    safe = os.path.splitext(path)[0] + ".skbpnet"
    safe = safe if safe != path else os.path.splitext(path)[0] + "-safe.skbpnet"
    fail(f"{path} is {what}; loading a pickle runs any code it contains, so skbpnet does not "
         f"load it unless you add --trust-pickle (only for a file you made yourself). Better, "
         f"convert it once to the safe format, which runs no code: python -c \"import joblib, "
         f"skbpnet; skbpnet.save(joblib.load({path!r}), {safe!r})\"")


def _unpickle(path):
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # a trusted pickle may still be damaged or need a missing module
        fail(f"cannot load the pickle {path}: {_one_line(f'{type(exc).__name__}: {exc}')} "
             f"(a damaged file, or one written by other versions of its libraries?)")


def _check_can_predict(model, path):
    if hasattr(model, "predict"):
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
        except NotFittedError:
            fail(f"{path} holds a {type(model).__name__} that was never fitted; save a "
                 f"fitted model")
        except TypeError:  # not a scikit-learn estimator: it may still predict
            pass
        return
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        name, last = steps[-1]
        fail(f"{path} holds a {type(model).__name__} whose last step ({name!r}, a "
             f"{type(last).__name__}) cannot predict; give a model that ends in an estimator")
    fail(f"{path} holds a {type(model).__name__}, not a model that can predict")


def load_model(path, trust_pickle=False):
    """Load a model file, recognised by its content; refuse pickles unless trusted.

    Parameters
    ----------
    path : str
        The model file: skbpnet's safe format, or joblib/pickle.
    trust_pickle : bool, default=False
        Whether to unpickle a joblib or pickle file (which runs any code it contains).

    Returns
    -------
    estimator
        A model with a ``predict`` method.

    Raises
    ------
    SystemExit
        With one line naming the file and what it is, when it is not a model
        that can be loaded (or a pickle without ``trust_pickle``).

    Examples
    --------
    >>> from skbpnet.cli._files import load_model
    >>> model = load_model("m.skbpnet")  # doctest: +SKIP
    """
    kind, what = describe(path)
    if kind in ("missing", "unreadable"):
        fail(f"cannot read the model file {path}: "
             + ("no such file" if kind == "missing" else what))
    if kind == "safe":
        from .. import ModelFileError, load

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = load(path)
            for w in caught:  # a file of another version: one line each, not Python's four
                sys.stderr.write(f"skbpnet: warning: {_one_line(w.message)}\n")
        except ModelFileError as exc:
            fail(_one_line(exc))
        except OSError as exc:
            fail(f"cannot read the model file {path}: {exc.strerror or exc}")
    elif kind in PICKLE_KINDS:
        if not trust_pickle:
            _refuse_pickle(path, what)
        model = _unpickle(path)
    else:
        fail(f"{path} is {what}, not a model file; give a model written by skbpnet train, "
             f"mnist or digits, or by skbpnet.save")
    _check_can_predict(model, path)
    return model


def save_model(model, path, fmt, inputs=(), force=False):
    """Save atomically in skbpnet's safe format or joblib; refuse in one line if it fails.

    The path is checked again just before writing (it was checked before the
    training by :func:`check_output_options`), so that a file that appeared
    there during the training is not replaced.

    Parameters
    ----------
    model : estimator
        A fitted model, without callbacks.
    path : str
        The file to write.
    fmt : {'safe', 'joblib'}
        The format.
    inputs : sequence of str, default=()
        The files that the command read, which the model never replaces.
    force : bool, default=False
        Whether ``--force`` was given.

    Examples
    --------
    >>> from skbpnet.cli._files import save_model
    >>> save_model(model, "m.skbpnet", "safe")  # doctest: +SKIP
    """
    from .._atomic import write_atomic

    check_output(path, "--output", "model", inputs, force)
    try:
        if fmt == "safe":
            from .. import save

            save(model, path)
        else:
            import joblib

            write_atomic(path, lambda fh: joblib.dump(model, fh))  # never a half-written model
    except OSError as exc:
        fail(f"cannot write the model to {path}: {exc.strerror or exc}")
    except (TypeError, ValueError) as exc:
        if fmt != "safe":
            raise
        fail(f"the safe format cannot store this model ({_one_line(exc)}); "
             f"save it with --format joblib")


def _same(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_folder(path, option):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        fail(f"{option} {path}: the folder {folder} does not exist; create it first "
             f"(mkdir -p {folder}) or choose another place")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"{option} {path}: cannot write into the folder {folder} (permission denied); "
             f"choose another place")


def check_output(path, option, writes, inputs=(), force=False):
    """Refuse, before any work, an output path that cannot or must not be written.

    Parameters
    ----------
    path : str
        The output file.
    option : str
        The option that named it (``'--output'``, ``'--plot'``), for the message.
    writes : {'model', 'predictions', 'plot'}
        What will be written: a model may replace a model file, a plot an
        image; nothing replaces an input, predictions and plots never a model
        file; any other existing file only with ``force``.
    inputs : sequence of str, default=()
        The files that the command reads.
    force : bool, default=False
        Whether ``--force`` was given.

    Raises
    ------
    SystemExit
        With a message that says what to do.

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet.cli._files import check_output
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check_output(os.path.join(folder, "new.skbpnet"), "--output", "model")
    """
    kind, what = describe(path)
    if kind == "directory":
        fail(f"{option} {path} is a directory; give a file name (inside it, for example)")
    _check_folder(path, option)
    if kind == "missing":
        return
    for name in inputs:
        if _same(path, name):
            fail(f"{option} {path} is also an input of this command ({name}); "
                 f"write to another file")
    if writes == "model" and kind in MODEL_KINDS:
        return
    if writes != "model" and kind in MODEL_KINDS + PICKLE_KINDS:
        fail(f"{option} {path} is a model file ({what}); {_NOUNS[writes]} never replaces a "
             f"model file: choose another name")
    if writes == "plot" and _is_image(path):
        return
    if not force:
        fail(f"{option} {path} exists and is {what}{_NOT[writes]}; choose another name, "
             f"or add --force to replace it")


_NOUNS = {"predictions": "a file of predictions", "plot": "a plot"}
_NOT = {"model": ", not a model file", "predictions": "", "plot": ", not an image"}


# The first bytes of the images that matplotlib writes (SVG: "<svg" near the start).
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"%PDF", b"%!PS", b"\xff\xd8\xff", b"GIF8", b"II*\x00",
           b"MM\x00*")


def _is_image(path):
    with open(path, "rb") as fh:
        head = fh.read(1024)
    return head.startswith(_IMAGES) or b"<svg" in head or head[8:12] in (b"WEBP", b"avif")


def _check_plot_format(path):
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        fail('--plot needs matplotlib, which is not installed: pip install "skbpnet[plot]" '
             "(or leave out --plot)")
    kinds = FigureCanvasBase.get_supported_filetypes()
    ext = os.path.splitext(path)[1][1:].lower()
    if ext and ext not in kinds:
        fail(f"--plot {path}: matplotlib cannot write .{ext} files; name it .png (or "
             f"{', '.join('.' + k for k in sorted(kinds) if k != 'png')})")


def check_output_options(args):
    """Refuse, before any data is read or any training, outputs that would fail after it.

    Sets ``args.output`` to the default name when it is ``None``:
    ``skbpnet-digits.skbpnet``, ``skbpnet-DATA.skbpnet`` (``.joblib`` with
    ``--format joblib``). Refuses a name that says the other format (``.joblib``,
    ``.pkl`` or ``.pickle`` for the safe format, ``.skbpnet`` for joblib), the
    outputs that :func:`check_output` refuses, a ``--plot`` on the model file
    or in a format that matplotlib cannot write, and ``--plot`` without matplotlib.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of ``skbpnet mnist``, ``digits`` or ``train``.

    Raises
    ------
    SystemExit
        With a message that says what to do.

    Examples
    --------
    >>> from skbpnet.cli import build_parser
    >>> from skbpnet.cli._files import check_output_options
    >>> args = build_parser().parse_args(["digits"])
    >>> check_output_options(args)
    >>> args.output
    'skbpnet-digits.skbpnet'
    """
    if args.plot:
        _check_plot_format(args.plot)
    data = getattr(args, "data", None)
    inputs = [data] if data else []
    if args.output is None:
        stem = os.path.splitext(os.path.basename(data))[0] if data else args.command
        args.output = f"skbpnet-{stem}{EXTENSIONS[args.format]}"
    named = _NAMED.get(os.path.splitext(args.output)[1].lower())
    if named is not None and named != args.format:
        fix = os.path.splitext(args.output)[0] + EXTENSIONS[args.format]
        fail(f"--output {args.output} names a {named} file, but --format is {args.format}; "
             f"name it {fix}, or give --format {named}")
    check_output(args.output, "--output", "model", inputs, args.force)
    if args.plot:
        if _same(args.plot, args.output):
            fail(f"--plot {args.plot} is also the --output model file; give them two names")
        check_output(args.plot, "--plot", "plot", inputs, args.force)
