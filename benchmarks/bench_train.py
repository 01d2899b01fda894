"""Training speed of BPNetClassifier against MLPClassifier, PyTorch and a bare-NumPy floor.

Sections (all of them when none is named; see benchmarks/README.md):

``--main``
    One-epoch fit time of the 784-256-10 ReLU net, Nesterov SGD, at several
    batch sizes and BLAS thread counts, in interleaved rounds; medians and ratios.
``--denormals``
    Epochs 2..3 at batch 32 with alpha=0: BPNet (its optimizer flushes tiny
    velocities every 256 steps) vs the same with flushing off vs MLPClassifier.
``--time-to-98``
    Training seconds (1 thread) until the test accuracy reaches 98%: BPNet with
    the ``skbpnet mnist`` defaults vs MLPClassifier (float64 and float32).
    Part of the default run only when the data is real MNIST.
``--load``
    One-epoch fit time with one busy process on the other core (and without):
    the BLAS's 2 threads, adaptive threads (the default) and 1 thread.
``--memory``
    Peak memory of one fit above the data itself (tracemalloc, one subprocess
    per contestant), and a check that BPNet does not copy float32 C-contiguous X.

``--quick`` runs main, denormals and memory small: 2 rounds, batch 128 only,
20,000 training samples.

Usage::

    python benchmarks/bench_train.py                 # full run (about 8 minutes on 2 cores)
    python benchmarks/bench_train.py --quick         # about a minute
    python benchmarks/bench_train.py --main --rounds 3 --batch-sizes 128 --threads 1
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
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
    ratio,
    table,
    torch_or_none,
)

from skbpnet import BPNetClassifier  # noqa: E402
from skbpnet.nn import optim as skbpnet_optim  # noqa: E402

HIDDEN = 256
LR, MOMENTUM, ALPHA = 0.01, 0.9, 1e-4


def log(msg):
    """Progress, on stderr so that stdout holds only the report."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def quiet_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)


def common_params(batch_size, **kw):
    params = dict(hidden_layer_sizes=(HIDDEN,), solver="sgd", momentum=MOMENTUM,
                  nesterovs_momentum=True, learning_rate_init=LR, alpha=ALPHA,
                  batch_size=batch_size, max_iter=1, shuffle=True, random_state=0)
    params.update(kw)
    return params


# -- contestants of the main section ---------------------------------------------------
def fit_bpnet(X, y, batch_size, **kw):
    clf = BPNetClassifier(**common_params(batch_size, **kw))
    with Timer() as t:
        clf.fit(X, y)
    return t


def fit_mlp(X, y, batch_size):
    clf = MLPClassifier(**common_params(batch_size))
    with Timer() as t:
        clf.fit(X, y)
    return t


class TorchEpoch:
    """One epoch of the same net in PyTorch, over shuffled index-gathered minibatches.

    SGD(lr=0.01, momentum=0.9, nesterov=True) computes the same iterates as
    scikit-learn's Nesterov SGD at a constant learning rate. scikit-learn's L2
    penalty adds ``alpha / batch_size * W`` to the gradient of the weights only;
    here that is ``weight_decay=alpha / batch_size`` in a parameter group of the
    weights (biases: 0). The only difference: the last, partial batch gets the
    same decay as a full one.
    """

    def __init__(self, torch, X, y):
        self.torch = torch
        self.X = torch.from_numpy(X)  # shares memory with X (float32)
        self.y = torch.from_numpy(y)
        self.seed = 0

    def __call__(self, batch_size):
        torch = self.torch
        nn = torch.nn
        with Timer() as t:
            torch.manual_seed(self.seed)
            self.seed += 1
            model = nn.Sequential(nn.Linear(self.X.shape[1], HIDDEN), nn.ReLU(),
                                  nn.Linear(HIDDEN, 10))
            weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
            biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
            opt = torch.optim.SGD([{"params": weights, "weight_decay": ALPHA / batch_size},
                                   {"params": biases, "weight_decay": 0.0}],
                                  lr=LR, momentum=MOMENTUM, nesterov=True)
            crit = nn.CrossEntropyLoss()
            n = self.X.shape[0]
            perm = torch.randperm(n)
            total = 0.0
            model.train()
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                xb, yb = self.X[idx], self.y[idx]
                opt.zero_grad(set_to_none=True)
                loss = crit(model(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
        return t


class Floor:
    """The five matrix products of one training step, bare NumPy float32, no gather.

    Per batch: X_b @ W1, H @ W2, H.T @ dO, dO @ W2.T, X_b.T @ dH, with X_b a
    contiguous slice of X and every result written into a preallocated buffer.
    No activation, loss, update or shuffling: a lower bound for any float32
    implementation built on the same BLAS.
    """

    def __init__(self, X):
        rng = np.random.default_rng(0)
        self.X = X
        d = X.shape[1]
        self.W1 = (rng.standard_normal((d, HIDDEN)) * 0.05).astype(np.float32)
        self.W2 = (rng.standard_normal((HIDDEN, 10)) * 0.05).astype(np.float32)
        self.gW1 = np.empty_like(self.W1)
        self.gW2 = np.empty_like(self.W2)
        self.bufs = {}

    def __call__(self, batch_size):
        X, W1, W2, gW1, gW2 = self.X, self.W1, self.W2, self.gW1, self.gW2
        if batch_size not in self.bufs:
            rng = np.random.default_rng(1)
            self.bufs[batch_size] = (
                np.empty((batch_size, HIDDEN), np.float32),
                np.empty((batch_size, 10), np.float32),
                (rng.standard_normal((batch_size, 10)) * 0.01).astype(np.float32),
                np.empty((batch_size, HIDDEN), np.float32),
            )
        H, O, dO, dH = self.bufs[batch_size]
        n = X.shape[0]
        with Timer() as t:
            for start in range(0, n, batch_size):
                Xb = X[start:start + batch_size]
                b = Xb.shape[0]
                h, o, do, dh = H[:b], O[:b], dO[:b], dH[:b]
                np.matmul(Xb, W1, out=h)
                np.matmul(h, W2, out=o)
                np.matmul(h.T, do, out=gW2)
                np.matmul(do, W2.T, out=dh)
                np.matmul(Xb.T, dh, out=gW1)
        return t


def set_threads(torch, threads):
    limits = threadpool_limits(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    return limits


# -- main section ------------------------------------------------------------------------
def section_main(data, torch, rounds, batch_sizes, threads_list):
    X32, y = data["X32"], data["y"]
    X64 = X32.astype(np.float64)
    runners = {
        "BPNet32": lambda bs: fit_bpnet(X32, y, bs),
        "BPNet64": lambda bs: fit_bpnet(X64, y, bs),
        "MLP32": lambda bs: fit_mlp(X32, y, bs),
        "MLP64": lambda bs: fit_mlp(X64, y, bs),
    }
    if torch is not None:
        runners["torch"] = TorchEpoch(torch, X32, y)
    runners["floor"] = Floor(X32)
    names = list(runners)

    # Warm-up: first calls pay for imports, page faults and BLAS thread start-up.
    small = {"X32": X32[:2000], "y": y[:2000]}
    log("main: warm-up")
    for T in threads_list:
        with set_threads(torch, T):
            fit_bpnet(small["X32"], small["y"], 128)
            fit_mlp(small["X32"], small["y"], 128)
            fit_bpnet(X64[:2000], small["y"], 128)
            fit_mlp(X64[:2000], small["y"], 128)
            if torch is not None:
                TorchEpoch(torch, small["X32"], small["y"])(128)
            Floor(small["X32"])(128)

    times = {(T, bs, name): [] for T in threads_list for bs in batch_sizes for name in names}
    cpu = {(T, bs): [0.0, 0.0] for T in threads_list for bs in batch_sizes}
    for r in range(rounds):
        for T in threads_list:
            for bs in batch_sizes:
                k = r % len(names)
                order = names[k:] + names[:k]  # rotate: no contestant always goes first
                with set_threads(torch, T):
                    for name in order:
                        gc.collect()
                        t = runners[name](bs)
                        times[(T, bs, name)].append(t.wall)
                        cpu[(T, bs)][0] += t.cpu
                        cpu[(T, bs)][1] += t.wall
                log(f"main: round {r + 1}/{rounds}, threads {T}, batch {bs}: " + ", ".join(
                    f"{n} {times[(T, bs, n)][-1]:.2f}" for n in names))

    def per_round_ratio(T, bs, a, b):
        if (T, bs, b) not in times:
            return float("nan")
        return median([x / y_ for x, y_ in zip(times[(T, bs, a)], times[(T, bs, b)])])

    headers = ["thr", "batch"] + [f"{n} s" for n in names] + [
        "B32/MLP32", "B32/MLP64", "B32/torch", "B32/floor", "cpu/wall"]
    rows = []
    results = {}
    for T in threads_list:
        for bs in batch_sizes:
            med = {n: median(times[(T, bs, n)]) for n in names}
            rat = {other: per_round_ratio(T, bs, "BPNet32", other)
                   for other in ("MLP32", "MLP64", "torch", "floor")}
            results[(T, bs)] = (med, rat)
            rows.append([T, bs] + [med[n] for n in names]
                        + [rat["MLP32"], rat["MLP64"], rat["torch"], rat["floor"],
                           cpu[(T, bs)][0] / cpu[(T, bs)][1]])
    print()
    print(f"-- one-epoch fit time, {X32.shape[0]} samples, 784-{HIDDEN}-10 ReLU, Nesterov SGD "
          f"(lr {LR}, momentum {MOMENTUM}, alpha {ALPHA}); median of {rounds} interleaved "
          f"rounds (seconds)")
    print(table(headers, rows))
    print("# ratios: median over rounds of the per-round ratio (BPNet32 time / other time); "
          "< 1 means BPNet32 is faster")
    rows = []
    for T in threads_list:
        for bs in batch_sizes:
            best = {n: min(times[(T, bs, n)]) for n in names}
            rows.append([T, bs, best["BPNet32"]] + [
                ratio(best["BPNet32"], best.get(o)) for o in ("MLP32", "MLP64", "torch", "floor")])
    print("# for comparison, the best (minimum) times, less sensitive to foreign load:")
    print(table(["thr", "batch", "BPNet32 min s", "min B32/MLP32", "min B32/MLP64",
                 "min B32/torch", "min B32/floor"], rows))
    print("# cpu/wall: process CPU time / wall time over all contestants of the row "
          "(about 1.0 expected with 1 thread; lower means the process was waiting for a CPU)")
    if torch is None:
        print("# torch column skipped: torch is not importable")
    flush()
    return results


# -- under load ----------------------------------------------------------------------------
def _busy_process():
    """A process that keeps one core busy (a pure-Python spin loop)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def section_load(data, rounds, batch_size=128):
    """One-epoch BPNet32 fit, 2 cores allowed, on a quiet machine and with one busy core.

    Contestants: ``blas_threads=None`` (the BLAS's 2 threads, as before adaptive
    threads), ``'adaptive'`` (the default) and ``1``. Reported: medians and the
    per-round ratios to the 1-thread time.
    """
    X32, y = data["X32"], data["y"]
    modes = {"2 threads": None, "adaptive": "adaptive", "1 thread": 1}
    rows, results = [], {}
    for state in ("quiet", "one busy core"):
        busy = _busy_process() if state != "quiet" else None
        try:
            time.sleep(0.5 if busy else 0.0)
            times = {m: [] for m in modes}
            with threadpool_limits(2):
                fit_bpnet(X32[:2000], y[:2000], batch_size)  # warm-up
                for r in range(rounds):
                    names = list(modes)[r % 3:] + list(modes)[:r % 3]
                    for m in names:
                        gc.collect()
                        times[m].append(fit_bpnet(X32, y, batch_size,
                                                  blas_threads=modes[m]).wall)
                    log(f"load: {state}, round {r + 1}/{rounds}: " + ", ".join(
                        f"{m} {times[m][-1]:.2f}" for m in modes))
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
        rat = {m: median([a / b for a, b in zip(times[m], times["1 thread"])]) for m in modes}
        results[state] = rat
        rows.append([state] + [median(times[m]) for m in modes]
                    + [rat["2 threads"], rat["adaptive"]])
    print()
    print(f"-- under load: one-epoch BPNet32 fit ({X32.shape[0]} samples, batch {batch_size}), "
          f"at most 2 BLAS threads, median of {rounds} interleaved rounds (seconds)")
    print(table(["machine", "2 threads s", "adaptive s", "1 thread s", "2thr/1thr",
                 "adaptive/1thr"], rows))
    print("# targets: adaptive/1thr <= 1.15 with one busy core, <= 0.9 on a quiet machine")
    flush()
    return results


# -- denormals ---------------------------------------------------------------------------
def _count_denormals(arrays):
    n = 0
    for a in arrays:
        tiny = np.finfo(a.dtype).tiny
        n += int(np.count_nonzero((a != 0) & (np.abs(a) < tiny)))
    return n


def denormal_run(name, X, y, classes, batch_size, epochs_timed=2):
    """Fit epoch 1 untimed, then time epochs 2..(1 + epochs_timed)."""
    if name.startswith("BPNet"):
        clf = BPNetClassifier(**common_params(batch_size, alpha=0.0, warm_start=True))
        saved = skbpnet_optim.Optimizer._FLUSH_EVERY
        if name.endswith("no flush"):
            skbpnet_optim.Optimizer._FLUSH_EVERY = 1 << 62
        try:
            clf.fit(X, y)
            with Timer() as t:
                for _ in range(epochs_timed):
                    clf.fit(X, y)  # warm_start + max_iter=1: continues the optimizer state
        finally:
            skbpnet_optim.Optimizer._FLUSH_EVERY = saved
        state = [a for slot in clf._optimizer.state for a in slot]
    else:
        clf = MLPClassifier(**common_params(batch_size, alpha=0.0))
        clf.partial_fit(X, y, classes=classes)  # partial_fit keeps MLP's velocities
        with Timer() as t:
            for _ in range(epochs_timed):
                clf.partial_fit(X, y)
        state = clf._optimizer.velocities
    return t.wall, _count_denormals(state), sum(a.size for a in state)


def section_denormals(data, rounds, threads=1, batch_size=32):
    X32, y = data["X32"], data["y"]
    X64 = X32.astype(np.float64)
    classes = np.unique(y)
    names = ["BPNet32", "BPNet32 no flush", "MLP32", "MLP64"]
    inputs = {"BPNet32": X32, "BPNet32 no flush": X32, "MLP32": X32, "MLP64": X64}
    if not hasattr(skbpnet_optim.Optimizer, "_FLUSH_EVERY"):
        print("# skbpnet.nn.optim.Optimizer._FLUSH_EVERY is gone: 'no flush' skipped")
        names.remove("BPNet32 no flush")
    times = {n: [] for n in names}
    dens = {}
    with threadpool_limits(threads):
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                gc.collect()
                wall, nden, size = denormal_run(name, inputs[name], y, classes, batch_size)
                times[name].append(wall)
                dens[name] = (nden, size)
            log(f"denormals: round {r + 1}/{rounds}: " + ", ".join(
                f"{n} {times[n][-1]:.2f}" for n in names))
    base = times["BPNet32"]
    rows = []
    for name in names:
        rat = median([a / b for a, b in zip(base, times[name])])
        nden, size = dens[name]
        rows.append([name, median(times[name]), rat, f"{nden}/{size}"])
    print()
    n = X32.shape[0]
    print(f"-- denormals: epochs 2..3 (steps {(n + batch_size - 1) // batch_size + 1}.."
          f"{3 * ((n + batch_size - 1) // batch_size)}), batch {batch_size}, alpha=0, "
          f"{threads} thread(s); median of {rounds} interleaved rounds")
    print(table(["contestant", "epochs 2-3 s", "BPNet32/this", "denormal velocities"], rows))
    print("# 'no flush': Optimizer._FLUSH_EVERY set to 2**62 for that contestant only. "
          "Denormal velocities: entries with 0 < |v| < finfo.tiny after epoch 3 "
          "(with alpha=0, the weights of pixels that are non-zero in only a few training "
          "images, and of dead ReLU units, get exactly zero gradients for thousands of "
          "steps, so their velocities decay geometrically into the denormal range and, "
          "without a flush, stay there)")
    flush()
    return {name: median(times[name]) for name in names}


# -- time to 98% -------------------------------------------------------------------------
class _EvalCallback:
    """Per-epoch test accuracy; measures its own duration so it can be excluded."""

    def __init__(self, X_test, y_test, classes, target):
        self.X_test, self.y_test, self.classes, self.target = X_test, y_test, classes, target
        self.eval_seconds = 0.0
        self.curve, self.epoch_seconds = [], []
        self.reached = None

    def __call__(self, info):
        tic = time.perf_counter()
        scores = info["network"].infer(self.X_test)
        acc = float(np.mean(self.classes[scores.argmax(axis=1)] == self.y_test))
        self.curve.append(acc)
        self.epoch_seconds.append(info["seconds"])
        stop = acc >= self.target
        if stop:
            self.reached = info["epoch"]
        self.eval_seconds += time.perf_counter() - tic
        return stop


def time_to_98_bpnet(data, target=0.98):
    from skbpnet.presets import MNIST_DEFAULTS as d

    X, y, X_test, y_test = data["X32"], data["y"], data["X_test32"], data["y_test"]
    classes = np.unique(y)
    cb = _EvalCallback(X_test, y_test, classes, target)
    clf = BPNetClassifier(
        hidden_layer_sizes=tuple(d["hidden"]), solver=d["solver"], learning_rate=d["schedule"],
        learning_rate_init=d["lr"], momentum=d["momentum"], alpha=d["alpha"],
        batch_size=d["batch_size"], max_iter=d["epochs"], dropout=d.get("dropout", 0.0),
        random_state=0, n_iter_no_change=d["epochs"] + 1, callbacks=[cb])
    with threadpool_limits(1):
        tic = time.perf_counter()
        clf.fit(X, y)
        wall = time.perf_counter() - tic
    train = wall - cb.eval_seconds
    desc = (f"BPNet32 skbpnet-mnist defaults: {d['hidden']} {d['solver']} lr {d['lr']} "
            f"{d['schedule']} mom {d['momentum']} alpha {d['alpha']} batch {d['batch_size']}, "
            f"max {d['epochs']} epochs")
    return dict(name=desc, epochs=cb.reached, seconds=train if cb.reached else None,
                total_seconds=train, n_epochs=len(cb.curve), final=cb.curve[-1],
                curve=cb.curve)


def time_to_98_mlp(data, dtype, target=0.98, max_epochs=20):
    X = data["X32"] if dtype == np.float32 else data["X32"].astype(np.float64)
    X_test = data["X_test32"].astype(dtype)
    y, y_test = data["y"], data["y_test"]
    classes = np.unique(y)
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="sgd", learning_rate_init=0.1,
                        momentum=0.9, nesterovs_momentum=True, batch_size=128, alpha=1e-4,
                        random_state=0)
    train, curve, reached = 0.0, [], None
    with threadpool_limits(1):
        for epoch in range(1, max_epochs + 1):
            tic = time.perf_counter()
            clf.partial_fit(X, y, classes=classes)  # keeps the optimizer's velocities
            train += time.perf_counter() - tic
            acc = float(np.mean(clf.predict(X_test) == y_test))
            curve.append(acc)
            if acc >= target:
                reached = epoch
                break
    name = (f"MLP{'32' if dtype == np.float32 else '64'} sgd lr 0.1 constant mom 0.9 "
            f"nesterov alpha 1e-4 batch 128, partial_fit, max {max_epochs} epochs")
    return dict(name=name, epochs=reached, seconds=train if reached else None,
                total_seconds=train, n_epochs=len(curve), final=curve[-1], curve=curve)


def time_to_98_torch(data, target=0.98, max_epochs=20):
    """PyTorch CPU, the same network and optimizer as the MLP contestants, float32."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    nn = torch.nn
    X, y = torch.from_numpy(data["X32"]), torch.from_numpy(data["y"].astype(np.int64))
    X_test, y_test = torch.from_numpy(data["X_test32"]), data["y_test"]
    model = nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": 1e-4 / 128},
                           {"params": biases, "weight_decay": 0.0}],
                          lr=0.1, momentum=0.9, nesterov=True)
    crit = nn.CrossEntropyLoss()
    train, curve, reached = 0.0, [], None
    for epoch in range(1, max_epochs + 1):
        tic = time.perf_counter()
        model.train()
        perm = torch.randperm(X.shape[0])
        for start in range(0, X.shape[0], 128):
            idx = perm[start:start + 128]
            opt.zero_grad(set_to_none=True)
            crit(model(X[idx]), y[idx]).backward()
            opt.step()
        train += time.perf_counter() - tic
        with torch.no_grad():
            acc = float(np.mean(model(X_test).argmax(1).numpy() == y_test))
        curve.append(acc)
        if acc >= target:
            reached = epoch
            break
    name = (f"torch sgd lr 0.1 constant mom 0.9 nesterov wd 1e-4/128 batch 128 float32, "
            f"max {max_epochs} epochs")
    return dict(name=name, epochs=reached, seconds=train if reached else None,
                total_seconds=train, n_epochs=len(curve), final=curve[-1], curve=curve)


def section_time_to_98(data):
    res = []
    log("time-to-98: BPNet32")
    res.append(time_to_98_bpnet(data))
    log("time-to-98: MLP64")
    res.append(time_to_98_mlp(data, np.float64))
    log("time-to-98: MLP32")
    res.append(time_to_98_mlp(data, np.float32))
    log("time-to-98: torch")
    torch_res = time_to_98_torch(data)
    rows = []
    for r in res:
        rows.append([r["name"], "-" if r["epochs"] is None else r["epochs"],
                     r["seconds"] if r["seconds"] is not None else float("nan"),
                     r["total_seconds"], r["n_epochs"], f"{r['final']:.4f}"])
    print()
    print("-- time to 98% test accuracy (10,000 MNIST test images), 1 BLAS thread, "
          "training time only (per-epoch evaluation excluded)")
    print(table(["contestant", "epochs to 98%", "train s to 98%", "train s total", "epochs run",
                 "final acc"], rows, floatfmt="{:.2f}"))
    for r in res:
        print(f"# {r['name'].split()[0]} accuracy per epoch: "
              + " ".join(f"{a:.4f}" for a in r["curve"]))
    mlp_best = [r["seconds"] for r in res[1:] if r["seconds"] is not None]
    if torch_res is not None:
        print(f"# torch: {torch_res['epochs']} epochs, {torch_res['total_seconds']:.2f} s to "
              f"98%, accuracy per epoch: " + " ".join(f"{a:.4f}" for a in torch_res["curve"]))
        if res[0]["seconds"] is not None and torch_res["seconds"] is not None:
            print(f"# BPNet32 / torch time to 98%: {res[0]['seconds'] / torch_res['seconds']:.3f}")
    if res[0]["seconds"] is not None and mlp_best:
        print(f"# BPNet32 / best MLP time to 98%: {res[0]['seconds'] / min(mlp_best):.3f}")
    elif res[0]["seconds"] is not None:
        print("# no MLP reached 98%: BPNet32 / best MLP time to 98% is below "
              f"{res[0]['seconds'] / max(r['total_seconds'] for r in res[1:]):.3f}")
    flush()
    return res


# -- memory ------------------------------------------------------------------------------
def memory_child(name, data_home, n_train, batch_size):
    """Runs in a subprocess: one fit, its tracemalloc peak and peak-RSS growth, as JSON."""
    quiet_warnings()
    X_train, _, y, _, source = load_data(data_home, n_train, verbose=False)
    X = X_train if name.endswith("32") else X_train.astype(np.float64)
    del X_train
    est = (BPNetClassifier if name.startswith("BPNet") else MLPClassifier)(
        **common_params(batch_size))
    gc.collect()
    hwm_reset = False
    try:  # Linux: reset the peak-RSS mark (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        hwm_reset = True
    except OSError:
        pass
    rss0 = _proc_status_kb("VmRSS")
    with threadpool_limits(1):
        tracemalloc.start()
        tracemalloc.reset_peak()
        est.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    hwm = _proc_status_kb("VmHWM")
    rss_delta = (hwm - rss0) * 1024 if (hwm_reset and hwm and rss0) else None
    print(json.dumps(dict(name=name, peak=peak, rss_delta=rss_delta, x_nbytes=X.nbytes,
                          x_c=bool(X.flags.c_contiguous), dtype=str(X.dtype), source=source)))


def _proc_status_kb(key):
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def section_memory(data_home, n_train, batch_size=128):
    names = ["BPNet32", "BPNet64", "MLP32", "MLP64"]
    out = {}
    for name in names:
        log(f"memory: {name}")
        cmd = [sys.executable, os.path.abspath(__file__), "--_memory-child", name,
               "--batch-sizes", str(batch_size)]
        if data_home:
            cmd += ["--data-home", data_home]
        if n_train:
            cmd += ["--n-train", str(n_train)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            print(f"# memory child {name} failed: {proc.stderr[-500:]}")
            continue
        out[name] = json.loads(lines[-1])
    mib = 1024 * 1024
    rows = []
    for name, r in out.items():
        rows.append([name, r["dtype"], r["x_nbytes"] / mib, r["peak"] / mib,
                     r["rss_delta"] / mib if r["rss_delta"] is not None else float("nan"),
                     r["peak"] / r["x_nbytes"]])
    print()
    print(f"-- peak memory of one fit (1 epoch, batch {batch_size}, 1 thread) above the data, "
          f"one subprocess each; X C-contiguous")
    print(table(["contestant", "X dtype", "X MiB", "tracemalloc peak MiB",
                 "peak RSS growth MiB", "peak / X size"], rows, floatfmt="{:.1f}"))
    print("# tracemalloc peak: the most memory allocated through Python/NumPy during fit "
          "(X itself excluded: allocated before tracing). Peak RSS growth: VmHWM after fit "
          "- VmRSS before (also counts BLAS buffers and freed-but-kept pages)")
    if "BPNet32" in out:
        r = out["BPNet32"]
        ok = r["peak"] < r["x_nbytes"] / 2
        print(f"# no-copy check (BPNet32, float32 C-contiguous X): tracemalloc peak "
              f"{r['peak'] / mib:.1f} MiB {'<' if ok else '>='} X.nbytes/2 = "
              f"{r['x_nbytes'] / 2 / mib:.1f} MiB: {'PASS (X not copied)' if ok else 'FAIL'}")
    flush()
    return out


# -- driver ------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="2 rounds, batch 128 only, 20,000 training samples")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, "
                   "quick 2)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=None,
                   help="batch sizes (default 32 128 512; quick 128)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS thread counts")
    p.add_argument("--data-home", default=None,
                   help="scikit-learn data folder with the OpenML cache of mnist_784 "
                        "(default: $SCIKIT_LEARN_DATA, else ~/scikit_learn_data)")
    p.add_argument("--n-train", type=int, default=None,
                   help="use the first N training samples (quick: 20000)")
    p.add_argument("--main", action="store_true", help="run the main section")
    p.add_argument("--denormals", action="store_true", help="run the denormal section")
    p.add_argument("--denormal-rounds", type=int, default=None,
                   help="rounds of the denormal section (default: min(rounds, 2); quick 1)")
    p.add_argument("--time-to-98", action="store_true", help="run the time-to-98%% section")
    p.add_argument("--memory", action="store_true", help="run the memory section")
    p.add_argument("--load", action="store_true",
                   help="run the under-load section (spawns one busy process)")
    p.add_argument("--_memory-child", dest="memory_child", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        bs = (args.batch_sizes or [128])[0]
        memory_child(args.memory_child, args.data_home, args.n_train, bs)
        return 0
    quiet_warnings()
    rounds = args.rounds or (2 if args.quick else 3)
    batch_sizes = args.batch_sizes or ([128] if args.quick else [32, 128, 512])
    n_train = args.n_train or (20000 if args.quick else None)
    named = args.main or args.denormals or args.time_to_98 or args.memory or args.load

    t0 = time.perf_counter()
    torch, torch_error = torch_or_none()
    X_train, X_test, y_train, y_test, source = load_data(args.data_home, n_train)
    real = source.startswith("real")
    data = {"X32": X_train, "y": y_train, "X_test32": X_test, "y_test": y_test}
    print_header("skbpnet training benchmark" + (" (--quick)" if args.quick else ""),
                 torch, torch_error, source)
    print(f"# rounds {rounds}, batch sizes {batch_sizes}, threads {args.threads}")
    before = loadavg()
    print(f"# load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
    flush()

    if args.main or not named:
        section_main(data, torch, rounds, batch_sizes, args.threads)
    if args.denormals or not named:
        section_denormals(data, args.denormal_rounds or (1 if args.quick else min(rounds, 2)))
    if args.time_to_98 or (not named and real and not args.quick):
        if real:
            section_time_to_98(data)
        else:
            print("\n-- time to 98%: skipped, the data is random (98% is unreachable)")
    elif not named and not args.quick:
        print("\n-- time to 98%: skipped, the data is not real MNIST")
    if args.memory or not named:
        section_memory(args.data_home, n_train)
    if args.load or not named:
        section_load(data, rounds)

    after = loadavg()
    print()
    print(load_note(before, after, args.threads))
    print(f"# total wall time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
