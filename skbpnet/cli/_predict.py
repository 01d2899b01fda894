"""``skbpnet predict MODEL INPUT``: predictions of a saved model, for arrays or tables."""

import io
import os
import sys

import numpy as np

from ._common import HelpFormatter, fail, load_model
from ._table import as_text, check_lines, is_table_file, read_table

__all__ = ["add_parser", "run"]

DESCRIPTION = (
    "Predict with a saved model. For a model trained by `skbpnet train`, INPUT is a table "
    "(CSV with a header row, or Parquet) with the training columns (the target column may be "
    "there; it is ignored): the saved pipeline preprocesses it as in training, and the "
    "output is CSV. For `skbpnet mnist/digits` models and other array models, INPUT is a "
    ".npy or a header-less .csv file, one sample per row, which must be preprocessed as in "
    "training (MNIST and digits: pixels scaled to [0, 1], that is MNIST pixels / 255); the "
    "output is one prediction per line.")
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
    >>> parser.parse_args(["predict", "m.joblib", "x.csv", "--proba"]).proba
    True
    """
    p = sub.add_parser("predict", help="Predict with a saved model (tables or arrays).",
                       description=DESCRIPTION, formatter_class=HelpFormatter)
    p.add_argument("model", help="a model file written by skbpnet train/mnist/digits or "
                                 "skbpnet.save")
    p.add_argument("input", metavar="INPUT",
                   help="a table (.csv with a header row, .parquet) for `skbpnet train` "
                        "models; a .npy or header-less .csv of preprocessed samples otherwise")
    p.add_argument("--proba", action="store_true",
                   help="write class probabilities (one column per class) instead of classes")
    p.add_argument("--output", default="-", help="where to write predictions ('-': stdout)")
    p.set_defaults(func=run)


def _is_table_model(model):
    return hasattr(model, "steps") and hasattr(model, "feature_names_in_")


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
    """Numbers of a CSV file; a first line that is not numbers is a header, skipped."""
    check_lines(path)
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)


def _write(text, path, out):
    if path == "-":
        out.write(text)
    else:
        from .._atomic import write_atomic

        write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


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
    model = load_model(args.model)
    if not os.path.exists(args.input):
        fail(f"no such file: {args.input}")
    if _is_table_model(model):
        if not is_table_file(args.input):
            fail(f"this model was trained by `skbpnet train` on a table; give it a table "
                 f"(.csv with a header row or .parquet), not {args.input}")
        table = _table_predictions(model, _read_model_table(model, args.input), args.proba)
        buffer = io.StringIO()
        table.to_csv(buffer, index=False)
        _write(buffer.getvalue(), args.output, out)
        return
    X = _read_array(model, args.input)
    if args.proba:
        if not hasattr(model, "predict_proba"):
            fail("--proba needs a classifier; this model is a regressor")
        rows = model.predict_proba(X)
        header = ",".join(f"P({c})" for c in model.classes_)
        text = header + "\n" + "\n".join(",".join(map(repr, map(float, r))) for r in rows) + "\n"
    else:
        text = "\n".join(map(str, np.asarray(model.predict(X)).tolist())) + "\n"
    _write(text, args.output, out)
