"""``skbpnet predict MODEL INPUT``: predictions of a saved model, for arrays or tables."""

import csv
import io
import os
import sys

import numpy as np

from ._common import HelpFormatter, fail
from ._files import check_output, load_model
from ._table import as_text, check_lines, is_table_file, read_table

__all__ = ["add_parser", "run"]

DESCRIPTION = (
    "Predict with a saved model. For a model trained on named columns (by `skbpnet train`, "
    "or on a DataFrame), INPUT is a table "
    "(CSV with a header row, or Parquet) with the training columns (the target column may be "
    "there; it is ignored): the saved pipeline preprocesses it as in training, and the "
    "output is CSV. For `skbpnet mnist/digits` models and other array models, INPUT is a "
    ".npy or a header-less .csv file, one sample per row (every row is data), which must be "
    "preprocessed as in training (MNIST and digits: pixels scaled to [0, 1], that is MNIST "
    "pixels / 255); the output is one prediction per row, as CSV. The output always has one "
    "row per input row. A model file is recognised by its content: skbpnet's safe format "
    "loads as is; a joblib/pickle file only with --trust-pickle.")
# Models of ``skbpnet mnist`` and ``skbpnet digits``: pixels scaled to [0, 1].
PIXEL_MODELS = {784: ("MNIST", 255), 64: ("digits", 16)}


def add_parser(sub):
    """Add the ``predict`` command to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The command's subparsers.

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._predict import add_parser
    >>> parser = argparse.ArgumentParser()
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["predict", "m.skbpnet", "x.csv", "--proba"])
    >>> args.proba, args.trust_pickle, args.force
    (True, False, False)
    """
    p = sub.add_parser("predict", help="Predict with a saved model (tables or arrays).",
                       description=DESCRIPTION, formatter_class=HelpFormatter)
    p.add_argument("model", help="a model file written by skbpnet train/mnist/digits or "
                                 "skbpnet.save (or joblib, with --trust-pickle)")
    p.add_argument("input", metavar="INPUT",
                   help="a table (.csv with a header row, .parquet) for `skbpnet train` "
                        "models; a .npy or header-less .csv of preprocessed samples otherwise")
    p.add_argument("--proba", action="store_true",
                   help="write class probabilities (one column per class) instead of classes")
    p.add_argument("--output", default="-",
                   help="where to write predictions ('-': stdout); never a model file or an "
                        "input, and an existing file only with --force")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --output file (never a model file or an input)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="load MODEL even if it is a joblib/pickle file. Loading a pickle runs "
                        "any code it contains: use this only for files you made yourself, "
                        "and convert them once with skbpnet.save to drop it")
    p.set_defaults(func=run)


def _is_table_model(model):
    """Whether the model was trained on named columns: then its input has a header row."""
    return hasattr(model, "feature_names_in_")


def _text_columns(pipe):
    try:
        return [c for name, _, cols in pipe[0].transformers_ if name == "text" for c in cols]
    except (AttributeError, TypeError, ValueError):
        return []


def _read_model_table(pipe, path):
    expected = [str(c) for c in pipe.feature_names_in_]
    text = _text_columns(pipe)
    df = read_table(path, text_columns=[c for c in text if isinstance(c, str)])
    df.columns = [str(c) for c in df.columns]
    missing = [c for c in expected if c not in df.columns]
    if missing:
        extra = [c for c in df.columns if c not in expected and c != getattr(
            pipe, "target_name_", None)]
        fail(f"{path} lacks {len(missing)} column(s) the model was trained on: "
             f"{', '.join(map(repr, missing))}"
             + (f"; it has columns the model does not know: {', '.join(map(repr, extra))}"
                if extra else "")
             + ". The file must start with a header row naming the training columns.")
    return as_text(df[expected].copy(), text)


def _table_predictions(pipe, df, proba):
    import pandas as pd

    target = str(getattr(pipe, "target_name_", "prediction"))
    try:
        if proba:
            if not hasattr(pipe, "predict_proba"):
                fail("--proba needs a classifier; this model is a regressor")
            return pd.DataFrame(pipe.predict_proba(df),
                                columns=[f"P({c})" for c in pipe.classes_])
        return pd.DataFrame({target: pipe.predict(df)})
    except ValueError as exc:
        fail(f"the model cannot predict on this table: {exc}")


def _read_array(model, path):
    try:
        if path.lower().endswith(".npy"):
            X = np.load(path, allow_pickle=False)
        else:
            X = _load_csv_array(path)
    except (OSError, ValueError) as exc:
        fail(f"cannot read {path}: {exc}")
    n = getattr(model, "n_features_in_", None)
    X = _check_samples(X, n, path)
    if n in PIXEL_MODELS and X.size and np.nanmax(X) > 1.5 and np.nanmin(X) >= 0:
        name, scale = PIXEL_MODELS[n]
        sys.stderr.write(
            f"skbpnet: warning: the input reaches {np.nanmax(X):g}, but {name} models are "
            f"trained on pixels scaled to [0, 1]; divide the pixels by {scale} first "
            f"(the predictions below are likely wrong)\n")
    return X


def _check_samples(X, n, path):
    """``X`` as rows of samples, refused unless numbers, finite, and ``n`` per row."""
    if X.ndim == 0:
        fail(f"{path} holds a single number, not samples: give an array with one sample "
             f"per row")
    if X.dtype.kind not in "biuf":
        fail(f"{path} holds {X.dtype} values; the model needs numbers")
    if X.shape[0] == 0 or X.size == 0:
        fail(f"{path} holds no samples (its array has shape {X.shape})")
    X = X.reshape(X.shape[0], -1)  # samples must be preprocessed as for training
    if n is not None and X.shape[1] != n:
        fail(f"{path} has {X.shape[1]} value(s) per sample, but the model expects {n}"
             + (f": for one sample, give an array of shape (1, {n})" if X.size == n else
                "; give the features the model was trained on, one sample per row"))
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        fail(f"{path} holds NaN or infinite values in {bad.size} sample(s), the first in row "
             f"{bad[0]}; the model needs finite numbers (impute or drop those samples)")
    return X


def _load_csv_array(path):
    """Numbers of a header-less CSV file: every row is a sample; any other row is refused."""
    check_lines(path)
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2, comments=None)
    except ValueError as exc:
        fail(_bad_row(path) or f"cannot read {path}: {' '.join(str(exc).split())}")


def _bad_row(path):
    """The first row of the CSV ``path`` that is not as many numbers as the first (a message)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        width = None
        for number, row in enumerate(csv.reader(fh), start=1):
            if not row:
                continue
            try:
                list(map(float, row))
            except ValueError:
                shown = ",".join(row)
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                return (f"{path}: row {number} is not numbers ({shown!r}); this model was "
                        f"trained on arrays, so every row of a CSV is a sample: give numbers "
                        f"only, without a header row")
            if width is None:
                width = len(row)
            elif len(row) != width:
                return (f"{path}: row {number} has {len(row)} values, but the rows before it "
                        f"have {width}")
    return None


def _csv_text(rows, header=None):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # quotes commas, quotes, newlines
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(text, path, out):
    if path == "-":
        out.write(text)
    else:
        from .._atomic import write_atomic

        try:
            write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))
        except OSError as exc:
            fail(f"cannot write the predictions to {path}: {exc.strerror or exc}")


def run(args, out):
    """Predict with the model ``args.model`` on ``args.input``; write the predictions.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of ``skbpnet predict``.
    out : file-like
        Where to write when ``args.output`` is ``'-'``.

    Examples
    --------
    >>> import io
    >>> from skbpnet.cli import build_parser
    >>> from skbpnet.cli._predict import run
    >>> run(build_parser().parse_args(["predict", "m.joblib", "t.csv"]), io.StringIO())
    ... # doctest: +SKIP
    """
    if args.output != "-":  # before any reading: never over the model, the input, or a file
        check_output(args.output, "--output", "predictions", [args.model, args.input],
                     args.force)
    model = load_model(args.model, args.trust_pickle)
    if not os.path.exists(args.input):
        fail(f"no such file: {args.input}")
    if _is_table_model(model):
        if not is_table_file(args.input):
            fail(f"this model was trained on a table with named columns (by `skbpnet train`, "
                 f"say); give it a table (.csv with a header row or .parquet), not "
                 f"{args.input}")
        table = _table_predictions(model, _read_model_table(model, args.input), args.proba)
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, lineterminator="\n")  # quoted as needed: a row each
        _write(buffer.getvalue(), args.output, out)
        return
    X = _read_array(model, args.input)
    if args.proba:
        if not hasattr(model, "predict_proba"):
            fail("--proba needs a classifier; this model is a regressor")
        text = _csv_text(np.asarray(model.predict_proba(X), dtype=float).tolist(),
                         header=[f"P({c})" for c in model.classes_])
    else:
        pred = np.asarray(model.predict(X))
        text = _csv_text(pred.tolist() if pred.ndim == 2 else ([v] for v in pred.tolist()))
    _write(text, args.output, out)
