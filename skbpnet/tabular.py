"""Networks on your own tables: the recipe of ``skbpnet train``, from Python.

:func:`make_pipeline_for` returns the unfitted pipeline that ``skbpnet train``
fits (preprocessing and network), to use with ``cross_validate`` or
``GridSearchCV``. :func:`infer_task` chooses classification or regression as
AutoGluon does; :func:`plan_columns` decides what happens to each column (the
table ``skbpnet train`` prints). Every step is a class of the safe format's
allowlist, so the fitted pipeline saves with :func:`skbpnet.save`.
"""

from collections import namedtuple

import numpy as np

from ._smooth_clip import DATE_PARTS, SmoothClipScaler, date_parts, smooth_clip

__all__ = ["ColumnPlan", "DATE_PARTS", "SmoothClipScaler", "build_pipeline", "check_classes",
           "date_parts", "default_estimator", "encoded_size",
           "infer_task", "make_pipeline_for", "plan_columns", "smooth_clip"]

# AutoGluon's thresholds (autogluon.core.utils.infer_problem_type): a numeric target
# is a classification when its distinct values are few, absolutely and per row.
MULTICLASS_UPPER_LIMIT = 1000
REGRESS_THRESHOLD_LARGE, REGRESS_THRESHOLD_SMALL, LARGE_DATA = 0.05, 0.1, 1000
# Beyond AutoGluon: a classification needs classes with rows enough to learn from.
MIN_ROWS_PER_CLASS = 5
FEW_CLASSES = 10  # up to this many, the command's own checks of small tables apply
MAX_ONEHOT = 30  # a text column's width: its 29 most frequent values and one for the rest
MIN_ID_ROWS = 20  # fewer rows than this: all distinct values prove nothing

ColumnPlan = namedtuple("ColumnPlan", "name kind action width")
ColumnPlan.__doc__ = """What :func:`plan_columns` does with one column.

``kind``: numeric, date, text or empty; ``action``: what is done with it, in
words; ``width``: its number of encoded columns (0 when dropped)."""


def infer_task(y, task="auto"):
    """Classification or regression for the target ``y``, and why, in words.

    As AutoGluon's ``infer_problem_type``: text, boolean and categorical
    targets, and any target of 2 values, are classification; a numeric target
    is classification when its values are whole numbers, at most 1000 distinct
    and at most 10% of the rows (5% beyond 1000 rows), else regression. A float
    target of 3 whole values (1.0, 2.0, 3.0) is therefore classification, one of
    0.5, 1.5, 2.5 regression.

    Parameters
    ----------
    y : pandas.Series or array-like
        The target, missing values dropped.
    task : {'auto', 'classification', 'regression'}, default='auto'
        Anything but ``auto`` is returned as chosen.

    Returns
    -------
    task : str
    reason : str

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.tabular import infer_task
    >>> infer_task(np.arange(200) * 7)[0], infer_task(np.arange(200) % 3)[0]
    ('regression', 'classification')
    >>> infer_task(np.arange(200) % 3 + 0.5)
    ('regression', 'a float target with values that are not whole numbers')
    """
    import pandas as pd

    y = pd.Series(np.asarray(y) if not hasattr(y, "dtype") else y)
    if task != "auto":
        return task, "as chosen"
    n, distinct = len(y), y.nunique()
    if y.dtype.kind not in "iuf" or distinct == 2:
        return "classification", (f"{distinct} distinct values" if distinct == 2
                                  else "a target that is not numeric")
    whole = y.dtype.kind in "iu" or bool(np.all(np.mod(y.to_numpy(dtype=float), 1) == 0))
    if not whole:
        return "regression", "a float target with values that are not whole numbers"
    threshold = REGRESS_THRESHOLD_LARGE if n > LARGE_DATA else REGRESS_THRESHOLD_SMALL
    if distinct > MULTICLASS_UPPER_LIMIT or distinct > threshold * n:
        return "regression", (f"{distinct} distinct whole numbers in {n} rows, too many "
                              f"for classes (more than {threshold:.0%} of the rows)")
    return "classification", f"{distinct} distinct whole numbers in {n} rows"


def check_classes(y):
    """Refuse a classification whose classes are too many for the rows.

    Parameters
    ----------
    y : pandas.Series
        The target of a classification.

    Raises
    ------
    ValueError
        With more than 1000 classes, or more than 10 with fewer than 5 rows a
        class on average.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.tabular import check_classes
    >>> check_classes(np.arange(100) % 3)
    >>> check_classes(np.arange(100))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 100 classes in 100 rows is too many to learn: ...
    """
    n, k = len(y), len(np.unique(np.asarray(y).astype(str)))
    if k > MULTICLASS_UPPER_LIMIT or (k > FEW_CLASSES and k * MIN_ROWS_PER_CLASS > n):
        raise ValueError(
            f"{k} classes in {n} rows is too many to learn: classification needs at most "
            f"{MULTICLASS_UPPER_LIMIT} classes and, beyond {FEW_CLASSES}, {MIN_ROWS_PER_CLASS} "
            f"rows a class on average; for a numeric target, use --task regression "
            f"(task='regression')")


def _is_date_text(col):
    """Whether a text column holds dates (9 of 10 sampled values parse, none is a number)."""
    import pandas as pd

    sample = col.dropna().astype(str).head(200)
    if sample.empty or pd.to_numeric(sample, errors="coerce").notna().any():
        return False
    parsed = date_parts(sample.to_frame())[:, 0]
    return bool(np.mean(np.isfinite(parsed)) >= 0.9)


def _kind(col):
    if col.notna().sum() == 0:
        return "empty"
    if col.dtype.kind == "M" or (col.dtype.kind in "OSU" or str(col.dtype) in ("str", "string")
                                 ) and _is_date_text(col):
        return "date"
    return "numeric" if col.dtype.kind in "iuf" else "text"


def _id_like(col, kind):
    values = col.dropna()
    if len(col) < MIN_ID_ROWS or len(values) < len(col):
        return None
    distinct = values.nunique()
    if distinct < len(values):  # a sorted key repeated a few times (a patient's visits)
        if (col.dtype.kind in "iu" and 2 * distinct >= len(values) and distinct >= MIN_ID_ROWS
                and values.is_monotonic_increasing):
            return "dropped: ID-like, a sorted key (integers, monotone with the row order)"
        return None
    if kind == "text" or col.dtype.kind in "iu":
        return "dropped: ID-like, all values distinct"
    if kind == "numeric" and (values.is_monotonic_increasing or values.is_monotonic_decreasing):
        return "dropped: ID-like, monotone with the row order"
    return None


def _action(col, kind):
    distinct = col.nunique()
    if kind == "numeric":
        return "robust-scaled, smooth-clipped", 1
    if kind == "date":
        return "date parts (" + ", ".join(DATE_PARTS) + ")", len(DATE_PARTS)
    values = distinct + bool(col.isna().any())  # a missing value is a category
    if values <= MAX_ONEHOT:
        return f"one-hot, {values} values", values
    return (f"one-hot of the {MAX_ONEHOT - 1} most frequent of {values} values + other",
            MAX_ONEHOT)


def plan_columns(X, drop=(), keep=()):
    """What happens to each column of ``X``: its kind, the action, its encoded width.

    Empty and constant columns are dropped, and so are ID-like ones (at least
    20 rows, no missing value, all values distinct and either integers or text,
    or numbers monotone with the row order; or integers that increase with the
    row order, repeated on average at most twice: a sorted key such as a
    patient number over visits), unless named in ``keep``.

    Parameters
    ----------
    X : pandas.DataFrame
        The input columns (without the target).
    drop : sequence of str, default=()
        Columns to drop whatever they hold.
    keep : sequence of str, default=()
        Columns never dropped as ID-like, constant or empty.

    Returns
    -------
    list of ColumnPlan
        One per column, in order.

    Raises
    ------
    ValueError
        When ``drop`` or ``keep`` names a column that ``X`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbpnet.tabular import plan_columns
    >>> X = pd.DataFrame({"id": range(30), "x": [0.5, 1.5] * 15, "c": ["a", "b", "c"] * 10})
    >>> for plan in plan_columns(X):
    ...     print(plan.name, "|", plan.action, "|", plan.width)
    id | dropped: ID-like, all values distinct | 0
    x | robust-scaled, smooth-clipped | 1
    c | one-hot, 3 values | 3
    """
    unknown = [c for c in (*drop, *keep) if c not in X.columns]
    if unknown:
        raise ValueError(f"no column {', '.join(map(repr, unknown))}; the columns are "
                         f"{', '.join(map(repr, X.columns))}")
    plans = []
    for name in X.columns:
        col = X[name]
        kind = _kind(col)
        reason = ("dropped: --drop" if name in drop else None if name in keep
                  else "dropped: empty" if kind == "empty"
                  else "dropped: constant" if col.nunique(dropna=False) < 2
                  else _id_like(col, kind))
        if kind == "empty" and reason is None:
            kind = "numeric"  # kept: scaled to zeros
        action, width = (reason, 0) if reason else _action(col, kind)
        plans.append(ColumnPlan(name, kind, action, width))
    return plans


def encoded_size(plans, n_rows, available=None):
    """The width and float32 bytes of the encoded table; refuse one that would not fit.

    Parameters
    ----------
    plans : list of ColumnPlan
        From :func:`plan_columns`.
    n_rows : int
        The rows to encode.
    available : int, optional
        Bytes of memory available; by default what the system reports. The
        encoded table may take a quarter of it (the network and its batches
        need the rest).

    Returns
    -------
    width : int
    n_bytes : int

    Raises
    ------
    ValueError
        Naming the widest columns, when nothing is left or it would not fit.

    Examples
    --------
    >>> from skbpnet.tabular import ColumnPlan, encoded_size
    >>> plans = [ColumnPlan("a", "numeric", "scaled", 1), ColumnPlan("b", "text", "one-hot", 3)]
    >>> encoded_size(plans, 1000)
    (4, 16000)
    """
    from ._memory import available_memory

    width = sum(p.width for p in plans)
    if width == 0:
        raise ValueError("no column is left to learn from (all were dropped: " + ", ".join(
            f"{p.name!r} {p.action}" for p in plans) + "); keep one with --keep COLUMN")
    n_bytes = 4 * width * n_rows
    available = available_memory() if available is None else available
    if available is not None and n_bytes > available // 4:
        widest = sorted(plans, key=lambda p: -p.width)[:3]
        raise ValueError(
            f"the encoded table would be {n_rows} rows x {width} columns = "
            f"{n_bytes / 2**30:.1f} GiB (float32), more than a quarter of the "
            f"{available / 2**30:.1f} GiB available; the widest columns are " + ", ".join(
                f"{p.name!r} ({p.width})" for p in widest) + ": drop some with --drop, "
            f"or use fewer rows")
    return width, n_bytes


def make_pipeline_for(X, y, task="auto", drop=(), keep=(), estimator=None):
    """The unfitted pipeline that ``skbpnet train`` fits on the table ``X``, ``y``.

    Parameters
    ----------
    X : pandas.DataFrame
        The input columns.
    y : pandas.Series or array-like
        The target (to choose the task).
    task : {'auto', 'classification', 'regression'}, default='auto'
        See :func:`infer_task`.
    drop, keep : sequence of str, default=()
        See :func:`plan_columns`.
    estimator : BPNetClassifier or BPNetRegressor, optional
        The network; by default the one of ``skbpnet train`` (its defaults).
        A regressor is wrapped in a TransformedTargetRegressor that
        standardises the target.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``preprocess`` (a ColumnTransformer: ``numeric``, ``dates``,
        ``text``) and ``network``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from skbpnet.tabular import make_pipeline_for
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> pipe = make_pipeline_for(X, y)
    >>> pipe.set_params(network__max_iter=30, network__random_state=0)  # doctest: +ELLIPSIS
    Pipeline(...)
    >>> bool(cross_val_score(pipe, X, y, cv=3).mean() > 0.8)
    True
    """
    task = infer_task(y, task)[0]
    if estimator is None:
        estimator = default_estimator(task)
    return build_pipeline(plan_columns(X, drop, keep), estimator)


def default_estimator(task):
    """The network of ``skbpnet train`` with its default options, for ``task``.

    Parameters
    ----------
    task : {'classification', 'regression'}
        Which estimator.

    Returns
    -------
    BPNetClassifier or BPNetRegressor
        Unfitted, with the parameters of :data:`skbpnet.presets.TABULAR_DEFAULTS`
        and those of the command's defaults: ``random_state=0`` (``--seed 0``)
        and exactly ``max_iter`` epochs (``n_iter_no_change`` above it), so that
        it is the network ``skbpnet train`` fits when given no option.

    Examples
    --------
    >>> from skbpnet.tabular import default_estimator
    >>> default_estimator("regression").hidden_layer_sizes
    (64,)
    >>> net = default_estimator("classification")
    >>> net.random_state, net.max_iter < net.n_iter_no_change
    (0, True)
    >>> net.weight_init, net.label_smoothing
    ('glorot', 0.1)
    """
    from . import BPNetClassifier, BPNetRegressor
    from .presets import TABULAR_DEFAULTS, estimator_params

    params = dict(estimator_params(TABULAR_DEFAULTS), random_state=0,
                  n_iter_no_change=TABULAR_DEFAULTS["epochs"] + 1)
    if task == "classification":
        return BPNetClassifier(**params, label_smoothing=TABULAR_DEFAULTS["label_smoothing"])
    return BPNetRegressor(**params)


def build_pipeline(plans, estimator):
    """The preprocessing of ``plans`` followed by ``estimator``, as a Pipeline.

    Parameters
    ----------
    plans : list of ColumnPlan
        From :func:`plan_columns`; columns of width 0 are left out.
    estimator : BPNetClassifier or BPNetRegressor
        The network; a regressor is wrapped in a TransformedTargetRegressor
        that standardises the target.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``preprocess`` and ``network``. The text columns' one-hot encoder
        keeps at most 30 values a column only when some column has more.

    Examples
    --------
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet.tabular import ColumnPlan, build_pipeline
    >>> pipe = build_pipeline([ColumnPlan("a", "numeric", "scaled", 1)], BPNetClassifier())
    >>> [name for name, _, _ in pipe[0].transformers]
    ['numeric', 'dates', 'text']
    """
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from . import BPNetRegressor

    kept = {kind: [p.name for p in plans if p.width and p.kind == kind]
            for kind in ("numeric", "date", "text")}
    # Bounded only where needed: the infrequent-category machinery stays off otherwise.
    bound = MAX_ONEHOT if any(p.kind == "text" and p.width >= MAX_ONEHOT for p in plans) else None
    columns = ColumnTransformer([
        ("numeric", SmoothClipScaler(), kept["numeric"]),
        ("dates", SmoothClipScaler(dates=True), kept["date"]),
        ("text", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=bound,
                          sparse_output=False)), kept["text"]),
    ], sparse_threshold=0.0)
    if isinstance(estimator, BPNetRegressor):
        estimator = TransformedTargetRegressor(regressor=estimator, transformer=StandardScaler())
    return Pipeline([("preprocess", columns), ("network", estimator)])
