"""Prediction throughput of BPNetClassifier against MLPClassifier and PyTorch.

``predict`` and ``predict_proba`` on the 10,000 MNIST test images (random data
of that shape when MNIST is unavailable), samples per second, for the same
784-256-10 ReLU net: BPNet on float32 and float64 X, MLPClassifier on float32
and float64 X, and PyTorch (``no_grad``, argmax / softmax, including the
conversions from and to NumPy). Each estimator is fitted for one epoch on
10,000 training samples (the weights do not matter for speed); the PyTorch
net gets BPNet32's weights, so its predictions can be checked against it.
Interleaved rounds, medians, at 1 and 2 BLAS threads.

Usage::

    python benchmarks/bench_predict.py              # about a minute on 2 cores
    python benchmarks/bench_predict.py --rounds 5 --threads 1
"""

import argparse
import gc
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import (  # noqa: E402
    Timer,
    flush,
    load_data,
    load_note,
    loadavg,
    median,
    print_header,
    table,
    torch_or_none,
)

from skbpnet import BPNetClassifier  # noqa: E402

HIDDEN = 256


def log(msg):
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def fitted(cls, X, y):
    params = dict(hidden_layer_sizes=(HIDDEN,), solver="sgd", momentum=0.9,
                  nesterovs_momentum=True, learning_rate_init=0.01, alpha=1e-4,
                  batch_size=128, max_iter=1, shuffle=True, random_state=0)
    return cls(**params).fit(X, y)


class TorchPredictor:
    """The same net in PyTorch, with the weights of a fitted BPNet/MLP estimator."""

    def __init__(self, torch, est):
        self.torch = torch
        nn = torch.nn
        W1, W2 = est.coefs_
        b1, b2 = est.intercepts_
        self.model = nn.Sequential(nn.Linear(W1.shape[0], W1.shape[1]), nn.ReLU(),
                                   nn.Linear(W2.shape[0], W2.shape[1]))
        with torch.no_grad():
            for lin, W, b in ((self.model[0], W1, b1), (self.model[2], W2, b2)):
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T, np.float32)))
                lin.bias.copy_(torch.from_numpy(np.asarray(b, np.float32)))
        self.model.eval()
        self.classes_ = est.classes_

    def predict(self, X):
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(X))
            return self.classes_[out.argmax(dim=1).numpy()]

    def predict_proba(self, X):
        with self.torch.no_grad():
            return self.torch.softmax(self.model(self.torch.from_numpy(X)), dim=1).numpy()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS thread counts")
    p.add_argument("--data-home", default=None,
                   help="scikit-learn data folder with the OpenML cache of mnist_784 "
                        "(default: $SCIKIT_LEARN_DATA, else ~/scikit_learn_data)")
    p.add_argument("--n-fit", type=int, default=10000, help="training samples for the brief fit")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)

    t0 = time.perf_counter()
    torch, torch_error = torch_or_none()
    X_train, X_test, y_train, y_test, source = load_data(args.data_home)
    print_header("skbpnet prediction benchmark", torch, torch_error, source)
    print(f"# {X_test.shape[0]} samples per call, rounds {args.rounds}, threads {args.threads}")
    before = loadavg()
    print(f"# load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
    flush()

    Xf, yf = X_train[: args.n_fit], y_train[: args.n_fit]
    X32, X64 = X_test, X_test.astype(np.float64)
    with threadpool_limits(1):
        log("fitting")
        models = {
            "BPNet32": (fitted(BPNetClassifier, Xf, yf), X32),
            "BPNet64": (fitted(BPNetClassifier, Xf.astype(np.float64), yf), X64),
            "MLP32": (fitted(MLPClassifier, Xf, yf), X32),
            "MLP64": (fitted(MLPClassifier, Xf.astype(np.float64), yf), X64),
        }
        if torch is not None:
            models["torch"] = (TorchPredictor(torch, models["BPNet32"][0]), X32)
    names = list(models)
    methods = ["predict", "predict_proba"]

    # Sanity: torch has BPNet32's weights, so both must agree.
    if torch is not None:
        agree = np.mean(models["torch"][0].predict(X32) == models["BPNet32"][0].predict(X32))
        pdiff = np.abs(models["torch"][0].predict_proba(X32)
                       - models["BPNet32"][0].predict_proba(X32)).max()
        print(f"# check: torch (BPNet32's weights) agrees with BPNet32 on {agree:.2%} of "
              f"predictions; max |proba difference| {pdiff:.2e}")

    times = {(T, m, n): [] for T in args.threads for m in methods for n in names}
    for T in args.threads:  # warm-up
        with threadpool_limits(T):
            if torch is not None:
                torch.set_num_threads(T)
            for n in names:
                for m in methods:
                    getattr(models[n][0], m)(models[n][1])
    for r in range(args.rounds):
        for T in args.threads:
            with threadpool_limits(T):
                if torch is not None:
                    torch.set_num_threads(T)
                k = r % len(names)
                for n in names[k:] + names[:k]:
                    est, X = models[n]
                    for m in methods:
                        gc.collect()
                        with Timer() as t:
                            getattr(est, m)(X)
                        times[(T, m, n)].append(t.wall)
        if (r + 1) % 5 == 0 or r + 1 == args.rounds:
            log(f"round {r + 1}/{args.rounds}")

    n_samples = X32.shape[0]
    headers = ["thr", "method"] + [f"{n} /s" for n in names] + [
        "B32/MLP32", "B32/MLP64", "B32/torch"]
    rows = []
    for T in args.threads:
        for m in methods:
            thr = {n: n_samples / median(times[(T, m, n)]) for n in names}

            def speedup(other):
                if other not in names:
                    return float("nan")
                return median([b / a for a, b in zip(times[(T, m, "BPNet32")],
                                                     times[(T, m, other)])])

            rows.append([T, m] + [f"{thr[n]:,.0f}" for n in names]
                        + [speedup("MLP32"), speedup("MLP64"), speedup("torch")])
    print()
    print(f"-- prediction throughput on {n_samples} samples, 784-{HIDDEN}-10 ReLU "
          f"(samples/s, from the median of {args.rounds} interleaved rounds)")
    print(table(headers, rows, floatfmt="{:.2f}"))
    print("# ratios: BPNet32 throughput / other throughput (median over rounds of the "
          "per-round ratio); > 1 means BPNet32 is faster")
    if torch is None:
        print("# torch column skipped: torch is not importable")
    after = loadavg()
    print()
    print(load_note(before, after, args.threads))
    print(f"# total wall time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
