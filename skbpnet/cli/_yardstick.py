"""What ``skbpnet train`` did to each column, and the scores to compare its own with.

:func:`column_table` prints one row per input column (its kind, what was done
with it, its encoded width); :func:`yardsticks` prints, after the network's
held-out score, the trivial baseline's on the same rows (the majority class,
or the mean) and, on request, HistGradientBoosting's with the same
preprocessing and split, and its fit time.
"""

import time

__all__ = ["column_table", "yardsticks"]

MAX_NAME = 28  # longer column names are shortened in the table


def column_table(plans):
    """The table of what was done with each column, as text.

    Parameters
    ----------
    plans : list of skbpnet.tabular.ColumnPlan
        One per input column.

    Returns
    -------
    str
        A header, one line per column and the total width.

    Examples
    --------
    >>> from skbpnet.tabular import ColumnPlan
    >>> from skbpnet.cli._yardstick import column_table
    >>> print(column_table([ColumnPlan("age", "numeric", "robust-scaled", 1)]), end="")
    column  kind     what was done  width
    age     numeric  robust-scaled      1
    total width: 1
    """
    names = [p.name if len(str(p.name)) <= MAX_NAME else str(p.name)[:MAX_NAME - 3] + "..."
             for p in plans]
    w_name = max(len("column"), *(len(str(n)) for n in names))
    w_kind = max(len("kind"), *(len(p.kind) for p in plans))
    w_act = max(len("what was done"), *(len(p.action) for p in plans))
    lines = [f"{'column':<{w_name}}  {'kind':<{w_kind}}  {'what was done':<{w_act}}  width"]
    lines += [f"{str(n):<{w_name}}  {p.kind:<{w_kind}}  {p.action:<{w_act}}  {p.width:>5}"
              for n, p in zip(names, plans)]
    lines.append(f"total width: {sum(p.width for p in plans)}")
    return "\n".join(lines) + "\n"


def yardsticks(out, pipe, split, task, compare=False):
    """Print the trivial baseline's held-out score, and HistGradientBoosting's on request.

    Parameters
    ----------
    out : file-like
        Where to print.
    pipe : sklearn.pipeline.Pipeline
        The fitted pipeline of ``skbpnet train`` (its preprocessing is reused).
    split : tuple
        ``(X_train, X_test, y_train, y_test)``, the split the network was scored on.
    task : {'classification', 'regression'}
        Accuracy or R².
    compare : bool, default=False
        Also fit HistGradientBoosting on the same preprocessing and split.

    Returns
    -------
    dict
        ``baseline`` and, with ``compare``, ``hgb`` and ``hgb_seconds``.

    Examples
    --------
    >>> import io
    >>> import numpy as np, pandas as pd
    >>> from skbpnet.cli._tabular import build_pipeline
    >>> from skbpnet import BPNetClassifier
    >>> X = pd.DataFrame({"a": np.arange(8.0)}); y = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    >>> pipe = build_pipeline(["a"], [], BPNetClassifier(max_iter=1)).fit(X, y)
    >>> buffer = io.StringIO()
    >>> yardsticks(buffer, pipe, (X, X, y, y), "classification")["baseline"]
    0.625
    >>> print(buffer.getvalue(), end="")
    trivial baseline (the majority class) accuracy: 0.6250  (the same held-out rows)
    """
    from sklearn.base import clone
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    X_train, X_test, y_train, y_test = split
    classify = task == "classification"
    name = "accuracy" if classify else "R2"
    dummy = DummyClassifier(strategy="most_frequent") if classify else DummyRegressor()
    scores = {"baseline": float(dummy.fit(X_train, y_train).score(X_test, y_test))}
    what = "the majority class" if classify else "the mean"
    out.write(f"trivial baseline ({what}) {name}: {scores['baseline']:.4f}  "
              f"(the same held-out rows)\n")
    if compare:
        hgb = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)
        model = Pipeline([("preprocess", clone(pipe[0])), ("hgb", hgb(random_state=0))])
        start = time.perf_counter()
        model.fit(X_train, y_train)
        scores["hgb_seconds"] = time.perf_counter() - start
        scores["hgb"] = float(model.score(X_test, y_test))
        out.write(f"HistGradientBoosting {name}: {scores['hgb']:.4f}  "
                  f"({scores['hgb_seconds']:.1f} s; the same preprocessing and split)\n")
    return scores
