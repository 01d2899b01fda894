"""``skbpnet train DATA --target COLUMN``: a network on your own table, preprocessing included.

The task is inferred as AutoGluon does (:func:`skbpnet.tabular.infer_task`),
each column planned by :func:`skbpnet.tabular.plan_columns` (ID-like, empty and
constant columns dropped; ``--drop``/``--keep`` override), and the pipeline is
the one :func:`skbpnet.tabular.make_pipeline_for` returns: a
:class:`~sklearn.compose.ColumnTransformer` (numbers and dates: RealMLP's robust
scaling and smooth clipping; text: a bounded one-hot encoding), then a
:class:`~skbpnet.BPNetClassifier`, or a :class:`~skbpnet.BPNetRegressor` inside a
:class:`~sklearn.compose.TransformedTargetRegressor` that standardises the
target. After the held-out score come the trivial baseline's and, with
``--compare``, HistGradientBoosting's (:mod:`skbpnet.cli._yardstick`). ``skbpnet predict MODEL DATA.csv`` applies the same preprocessing.
The pipeline's ``feature_names_in_`` are the training columns and its
``target_name_`` the target column. With ``--device`` (or ``--array-library``)
the preprocessing is fitted on the host and the network on the device, then
moved back to NumPy (:func:`skbpnet.cli._device.fit_pipeline`).
"""

import os

import numpy as np

from ..nn import to_numpy
from ..presets import TABULAR_DEFAULTS
from ..tabular import (ColumnPlan, build_pipeline as build, check_classes, encoded_size,
                       infer_task, plan_columns)
from ._argtypes import fraction
from ._common import HelpFormatter, add_network_options, draw_curves, fail, make_estimator
from ._device import fit_pipeline, resolve
from ._files import check_output_options, save_model
from ._fitting import timed_fit
from ._progress import Progress, class_indices
from ._table import as_text, read_table
from ._yardstick import column_table, yardsticks

__all__ = ["add_parser", "build_pipeline", "run"]

HELP = ("Train a network on a table (CSV, or Parquet with pyarrow) to predict one column; "
        "numeric and date columns are robust-scaled and smoothly clipped, text columns "
        "one-hot encoded (at most 30 values a column), ID-like, empty and constant columns "
        "dropped, and the preprocessing is saved with the network.")


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
                   help="auto: classification for a text or boolean target, or whole numbers "
                        "with few distinct values (as AutoGluon); regression otherwise")
    p.add_argument("--sep", choices=[",", ";", "\t", "tab"], default=None,
                   help="the CSV's field separator (default: sniffed among , ; and tab)")
    p.add_argument("--drop", nargs="+", default=[], metavar="COLUMN",
                   help="columns not to learn from")
    p.add_argument("--keep", nargs="+", default=[], metavar="COLUMN",
                   help="columns to keep even when they look ID-like, constant or empty")
    p.add_argument("--compare", action="store_true",
                   help="also score HistGradientBoosting on the same split, and time it")
    p.add_argument("--test-size", type=fraction, default=0.2,
                   help="fraction of the rows held out for the final score (stratified "
                        "for classification)")
    add_network_options(p, TABULAR_DEFAULTS, None)
    p.set_defaults(func=run)


def build_pipeline(numeric, text, estimator):
    """The pipeline of ``skbpnet train`` for given numeric and text columns.

    Parameters
    ----------
    numeric, text : list of str
        The columns to scale and to one-hot encode.
    estimator : BPNetClassifier or BPNetRegressor
        The network.

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
    return build([ColumnPlan(c, "numeric", "", 1) for c in numeric]
                 + [ColumnPlan(c, "text", "", 1) for c in text], estimator)


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
    task, reason = infer_task(y, args.task)
    if task == "regression":
        try:
            y = y.astype(float)
        except (TypeError, ValueError):
            fail(f"--task regression needs a numeric target; {args.target!r} is not")
    if task == "classification":  # before _check_rows: a price's classes have single rows
        try:
            check_classes(y)
        except ValueError as exc:
            fail(f"{args.data}: the target {args.target!r}: {exc}")
    plans = _plan(X, args)
    _check_rows(X[[p.name for p in plans if p.kind == "numeric" and p.width]], y, task, args)
    as_text(X, [p.name for p in plans if p.kind == "text" and p.width])
    return X, y, plans, (task, reason), int((~keep).sum())


def _plan(X, args):
    try:
        plans = plan_columns(X, args.drop, args.keep)
        encoded_size(plans, len(X))
    except ValueError as exc:
        fail(f"{args.data}: {exc}")
    return plans


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


def _describe(out, args, X_train, X_test, plans, task, dropped, y_train, net):
    if dropped:
        out.write(f"{dropped} row(s) without a {args.target!r} value left out\n")
    task, reason = task
    what = (f"classification into {len(np.unique(y_train))} classes" if task == "classification"
            else "regression")
    other = "regression" if task == "classification" else "classification"
    switchable = args.task == "auto" and np.asarray(y_train).dtype.kind in "iuf"
    count = {k: sum(p.kind == k and p.width > 0 for p in plans) for k in ("numeric", "text", "date")}
    out.write(f"{os.path.basename(args.data)}: {X_train.shape[0]} training and "
              f"{X_test.shape[0]} held-out rows; {count['numeric']} numeric column(s), "
              f"{count['text']} text column(s), {count['date']} date column(s), "
              f"{sum(p.width == 0 for p in plans)} dropped; {what} of {args.target!r}\n")
    out.write(f"task: {task} ({reason}"
              f"{'; --task ' + other + ' to change' if switchable else ''})\n")
    out.write(column_table(plans))
    smoothing = net.get_params().get("label_smoothing", 0.0)
    out.write(f"network: {'-'.join(map(str, args.hidden))} hidden, {args.solver}, lr {args.lr}, "
              f"batch {args.batch_size}, {args.epochs} epochs, {net.weight_init} weights"
              f"{f', label smoothing {smoothing:g}' if smoothing else ''}\n")


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
    X, y, plans, task, dropped = _split_columns(read_table(args.data, sep=args.sep), args)
    net = make_estimator(args, "classifier" if task[0] == "classification" else "regressor")
    pipe = build(plans, net)  # what skbpnet.tabular.make_pipeline_for returns
    task, why = task
    X_train, X_test, y_train, y_test = _holdout(X, y, task, args)
    classes = np.unique(np.asarray(y_train))
    label = "test acc" if task == "classification" else "test R2"
    progress = Progress(args.epochs, out,
                        _evaluator(pipe, X_test, y_test, task, classes, target),
                        args.quiet, label=label)
    net.set_params(callbacks=[progress])
    if not args.quiet:
        _describe(out, args, X_train, X_test, plans, (task, why), dropped, y_train, net)
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
    yardsticks(out, pipe, (X_train, X_test, y_train, y_test), task, args.compare)
    save_model(pipe, args.output, args.format, [args.data], args.force)
    out.write(f"model saved to {os.path.abspath(args.output)} ({args.format})\n")
    if args.plot:
        draw_curves(fitted, progress.curve, f"held-out {name}", args.plot)
        out.write(f"curves drawn to {os.path.abspath(args.plot)}\n")
    progress.stop_if_interrupted(args.output, args.format)
    return pipe, score
