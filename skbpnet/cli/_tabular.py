"""``skbpnet train DATA --target COLUMN``: a network on your own table, preprocessing included.

The saved model is a scikit-learn :class:`~sklearn.pipeline.Pipeline`:
a :class:`~sklearn.compose.ColumnTransformer` (numeric columns: median
imputation and standardisation; text, boolean and categorical columns:
imputation of a ``(missing)`` category and one-hot encoding that ignores
unseen categories), then a :class:`~skbpnet.BPNetClassifier`, or a
:class:`~skbpnet.BPNetRegressor` inside a
:class:`~sklearn.compose.TransformedTargetRegressor` that standardises the
target. ``skbpnet predict MODEL DATA.csv`` applies the same preprocessing.
The pipeline's ``feature_names_in_`` are the training columns and its
``target_name_`` the target column. With ``--device`` (or ``--array-library``)
the preprocessing is fitted on the host and the network on the device, then
moved back to NumPy (:func:`skbpnet.cli._device.fit_pipeline`).
"""

import os

import numpy as np

from ..nn import to_numpy
from ..presets import TABULAR_DEFAULTS
from ._argtypes import fraction
from ._common import HelpFormatter, add_network_options, draw_curves, fail, make_estimator
from ._device import fit_pipeline, resolve
from ._files import check_output_options, save_model
from ._fitting import timed_fit
from ._progress import Progress, class_indices
from ._table import read_table

__all__ = ["add_parser", "build_pipeline", "infer_task", "run"]

HELP = ("Train a network on a table (CSV, or Parquet with pyarrow) to predict one column; "
        "numeric columns are standardised, text columns one-hot encoded, missing values "
        "imputed, and the preprocessing is saved with the network.")


def add_parser(sub):
    """Add the ``train`` command to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The command's subparsers.

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._tabular import add_parser
    >>> parser = argparse.ArgumentParser()
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["train", "iris.csv", "--target", "species"])
    >>> args.task, args.test_size, args.solver
    ('auto', 0.2, 'adam')
    """
    p = sub.add_parser("train", help="Train on your own table (CSV or Parquet).",
                       description=HELP, formatter_class=HelpFormatter)
    p.add_argument("data", metavar="DATA", help="a CSV file with a header row, or Parquet")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    p.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                   help="auto: classification for a text, boolean or integer target, "
                        "regression for a float target")
    p.add_argument("--test-size", type=fraction, default=0.2,
                   help="fraction of the rows held out for the final score (stratified "
                        "for classification)")
    add_network_options(p, TABULAR_DEFAULTS, None)
    p.set_defaults(func=run)


def infer_task(y, task="auto"):
    """Classification or regression for the target column ``y``.

    Parameters
    ----------
    y : pandas.Series
        The target, missing values dropped.
    task : {'auto', 'classification', 'regression'}, default='auto'
        ``auto``: regression for a float column, classification otherwise.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from skbpnet.cli._tabular import infer_task
    >>> infer_task(pd.Series([1, 2])), infer_task(pd.Series([1.5, 2.0]))
    ('classification', 'regression')
    """
    if task != "auto":
        return task
    return "regression" if y.dtype.kind == "f" else "classification"


def build_pipeline(numeric, text, estimator):
    """The preprocessing + network pipeline that ``skbpnet train`` fits and saves.

    Parameters
    ----------
    numeric : list of str
        Columns to impute (median) and standardise.
    text : list of str
        Columns to impute (a ``(missing)`` category) and one-hot encode.
    estimator : BPNetClassifier or BPNetRegressor
        The network; a regressor is wrapped in a TransformedTargetRegressor
        that standardises the target.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet.cli._tabular import build_pipeline
    >>> pipe = build_pipeline(["a"], ["b"], BPNetClassifier())
    >>> [name for name, _ in pipe.steps]
    ['preprocess', 'network']
    """
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from .. import BPNetRegressor

    columns = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("text", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)), text),
    ], sparse_threshold=0.0)
    if isinstance(estimator, BPNetRegressor):
        estimator = TransformedTargetRegressor(regressor=estimator, transformer=StandardScaler())
    return Pipeline([("preprocess", columns), ("network", estimator)])


def _split_columns(df, args):
    if args.target not in df.columns:
        fail(f"{args.data} has no column {args.target!r}; its columns are: "
             f"{', '.join(map(repr, df.columns))}")
    keep = df[args.target].notna()
    if not keep.all():
        df = df[keep]
    X, y = df.drop(columns=[args.target]), df[args.target]
    if X.shape[1] == 0:
        fail(f"{args.data} has no column besides the target {args.target!r}")
    numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
    text = [c for c in X.columns if c not in numeric]
    task = infer_task(y, args.task)
    if task == "regression":
        try:
            y = y.astype(float)
        except ValueError:
            fail(f"--task regression needs a numeric target; {args.target!r} is not")
    _check_rows(X[numeric], y, task, args)
    return X, y, numeric, text, task, int((~keep).sum())


def _label(value):
    """A target value as the user wrote it: ``2``, not ``np.int64(2)``."""
    return repr(value.item() if hasattr(value, "item") else value)


def _check_rows(numbers, y, task, args):
    """Refuse, before any training, a table that cannot train and hold out a network."""
    columns = dict(numbers.items(), **({args.target: y} if task == "regression" else {}))
    for name, col in columns.items():
        rows = np.flatnonzero(np.isinf(col.to_numpy(dtype=float, na_value=np.nan)))
        if rows.size:
            first = col.index[rows[0]]
            where = (f"data row {first + 1}" if isinstance(first, (int, np.integer))
                     else f"row {first!r}")
            empty = ("rows without a target value are left out" if name == args.target
                     else "missing values are imputed")
            fail(f"{args.data}: column {name!r} holds infinite values in {rows.size} row(s), "
                 f"the first in {where}; replace them, or leave them empty ({empty})")
    counts = y.value_counts()
    if len(counts) < 2:
        fail(f"{args.data}: the target {args.target!r} has the same value "
             f"({_label(counts.index[0])}) in all {len(y)} row(s): there is nothing to learn")
    single = counts.index[counts < 2] if task == "classification" else []
    if len(single):
        fail(f"{args.data}: {len(single)} class(es) of {args.target!r} have a single row "
             f"({', '.join(map(_label, single[:5]))}{', ...' if len(single) > 5 else ''}): "
             f"each class needs 2 rows or more, to train on and to hold out; add rows, or "
             f"leave those out")
    n_test = int(np.ceil(args.test_size * len(y)))  # as train_test_split counts them
    if len(y) - n_test < 2 or n_test < (1 if task == "classification" else 2):
        fail(f"{args.data} has {len(y)} row(s) with a {args.target!r} value: too few to "
             f"train on and hold out --test-size {args.test_size} of them; give more rows, "
             f"or change --test-size")


def _holdout(X, y, task, args):
    from sklearn.model_selection import train_test_split

    stratify = y if task == "classification" else None
    try:
        return train_test_split(X, y, test_size=args.test_size, random_state=args.seed,
                                stratify=stratify)
    except ValueError:  # a class too rare to stratify, or too few rows
        if stratify is None or len(y) < 2:
            fail(f"cannot hold out {args.test_size} of {len(y)} rows for the final score")
        return train_test_split(X, y, test_size=args.test_size, random_state=args.seed)


def _evaluator(pipe, X_test, y_test, task, classes, target=None):
    """``evaluate(net)``: the held-out accuracy or R² of the network in training.

    On a device ``target``, the preprocessed held-out rows go there once, as
    float32 (the dtype ``fit_pipeline`` trains in).
    """
    cache = {}

    def evaluate(net):
        if not cache:  # the preprocessing is fitted by now, before the network
            X = pipe[:-1].transform(X_test)
            cache["X"] = (np.asarray(X, dtype=net.dtype) if target is None
                          else target.put(X, np.float32))
            y = np.asarray(y_test)
            if task == "regression":  # R² is the same on the standardised target
                y = pipe[-1].transformer_.transform(y.reshape(-1, 1))[:, 0]
            cache["y"] = y
        y = cache["y"]
        if task == "classification":
            return float(np.mean(classes[class_indices(net, cache["X"])] == y))
        pred = to_numpy(net.infer(cache["X"]))[:, 0]
        return 1.0 - float(np.sum((y - pred) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-300))

    return evaluate


def _describe(out, args, X_train, X_test, numeric, text, task, dropped, y_train):
    if dropped:
        out.write(f"{dropped} row(s) without a {args.target!r} value left out\n")
    what = (f"classification into {len(np.unique(y_train))} classes" if task == "classification"
            else "regression")
    other = "regression" if task == "classification" else "classification"
    out.write(f"{os.path.basename(args.data)}: {X_train.shape[0]} training and "
              f"{X_test.shape[0]} held-out rows; {len(numeric)} numeric column(s), "
              f"{len(text)} text column(s); {what} of {args.target!r}"
              f"{' (--task ' + other + ' to change)' if args.task == 'auto' else ''}\n")
    out.write(f"network: {'-'.join(map(str, args.hidden))} hidden, {args.solver}, lr {args.lr}, "
              f"batch {args.batch_size}, {args.epochs} epochs\n")


def run(args, out):
    """Train a pipeline on the table ``args.data``; print progress and the held-out score.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of ``skbpnet train``.
    out : file-like
        Where to print.

    Returns
    -------
    pipe : sklearn.pipeline.Pipeline
        The fitted pipeline (also saved to ``args.output``).
    score : float
        Its held-out accuracy (classification) or R² (regression).

    Examples
    --------
    >>> import io, os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from skbpnet.cli import build_parser
    >>> from skbpnet.cli._tabular import run
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = os.path.join(folder, "iris.csv")
    ...     load_iris(as_frame=True).frame.to_csv(data, index=False)
    ...     args = build_parser().parse_args(["train", data, "--target", "target", "--quiet",
    ...                                       "--epochs", "5", "--output", data + ".skbpnet"])
    ...     pipe, score = run(args, io.StringIO())
    >>> list(pipe.feature_names_in_[:2]), pipe.target_name_
    (['sepal length (cm)', 'sepal width (cm)'], 'target')
    """
    check_output_options(args)
    target = resolve(args.device, args.array_library)
    X, y, numeric, text, task, dropped = _split_columns(read_table(args.data), args)
    net = make_estimator(args, "classifier" if task == "classification" else "regressor")
    pipe = build_pipeline(numeric, text, net)
    X_train, X_test, y_train, y_test = _holdout(X, y, task, args)
    classes = np.unique(np.asarray(y_train))
    label = "test acc" if task == "classification" else "test R2"
    progress = Progress(args.epochs, out,
                        _evaluator(pipe, X_test, y_test, task, classes, target),
                        args.quiet, label=label)
    net.set_params(callbacks=[progress])
    if not args.quiet:
        _describe(out, args, X_train, X_test, numeric, text, task, dropped, y_train)
    with progress.interruptible():  # Ctrl-C: the model of the last complete epoch
        if target is None:
            wall = timed_fit(pipe, X_train, y_train, args.threads)
        else:  # the network on the device, then back to the host for scoring and saving
            wall = fit_pipeline(target, pipe, X_train, y_train, args.threads)
    fitted = pipe[-1] if task == "classification" else pipe[-1].regressor_
    for est in {id(net): net, id(fitted): fitted}.values():
        est.set_params(callbacks=None)
    pipe.target_name_ = args.target
    score = pipe.score(X_test, y_test)
    name = "accuracy" if task == "classification" else "R2"
    out.write(f"held-out {name}: {score:.4f}  ({len(y_test)} rows; {fitted.n_iter_} epochs, "
              f"{wall:.1f} s)\n")
    save_model(pipe, args.output, args.format)  # (named by check_output_options)
    out.write(f"model saved to {os.path.abspath(args.output)} ({args.format})\n")
    if args.plot:
        draw_curves(fitted, progress.curve, f"held-out {name}", args.plot)
        out.write(f"curves drawn to {os.path.abspath(args.plot)}\n")
    progress.stop_if_interrupted(args.output, args.format)
    return pipe, score
