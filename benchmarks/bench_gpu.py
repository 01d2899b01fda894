"""skbpnet on a GPU: scikit-learn's array API checks, MNIST against hand-written PyTorch.

Prepared so that whoever has a CUDA GPU runs it once, with no edits::

    export SCIKIT_LEARN_DATA=/path/to/a/copy/of/scikit_learn_data   # MNIST, see README
    python benchmarks/bench_gpu.py                 # all sections on cuda (under 5 min on an H200)
    python benchmarks/bench_gpu.py --showcase      # + the max-norm network over 3 seeds
    python benchmarks/bench_gpu.py --device cpu    # smoke test on PyTorch CPU tensors

Sections (``--sections`` picks some; each one that fails prints its error and
the script goes on):

checks
    scikit-learn's array API estimator checks (``check_array_api_input`` on
    float32 and float64, ``check_array_api_input_and_values``,
    ``check_array_api_mixed_inputs``, ``check_array_api_same_namespace``) for
    BPNetClassifier and BPNetRegressor in three configurations (defaults,
    dropout, early stopping), on PyTorch CUDA tensors and CuPy arrays:
    pass, FAIL (with the exception) or skip (with the reason) per check.
default
    ``skbpnet mnist``'s network (784-256-10 ReLU, ``MNIST_DEFAULTS`` of
    :mod:`skbpnet.presets`) trained by BPNetClassifier on PyTorch tensors
    on the GPU, against a hand-written PyTorch loop of the same network,
    optimizer, learning-rate schedule, L2 penalty and epochs on the same
    GPU; interleaved (skbpnet, torch, skbpnet, torch, ...) over
    ``--repeats`` rounds. Reported: median fit times, the ratio
    skbpnet / torch (goal: <= 1.5) and the test accuracies.
best
    the README's best network (784-1024-1024-10, input dropout 0.2,
    dropout 0.4, lr 0.1, 50 epochs, the other settings of ``skbpnet mnist``),
    one fit: time (goal: under 2 minutes) and test accuracy.
tests
    skbpnet's own device tests (``tests/test_array_api.py``,
    ``tests/nn/test_namespaces.py``) for the PyTorch CUDA and CuPy namespaces,
    which skip on a machine without a GPU: every module of the core and every
    fit feature against NumPy (needs pytest; skipped with the reason without).
showcase (only with ``--showcase``, and only when BPNetClassifier has ``max_norm``)
    3 hidden layers of 1024, input dropout 0.2, dropout 0.4, max-norm
    ``--max-norm`` (default 3), lr 0.1 in one cosine cycle, 50 epochs (the
    configuration run on one CPU core): mean and spread of the test accuracy
    over ``--seeds``; ``--epochs`` trains longer.

Both contestants get the data on the device once, before any timer starts
(the transfer is timed and reported apart); each timed fit includes building
the network and ends with ``torch.cuda.synchronize()``. skbpnet draws its
shuffling indices on the host and sends them once per epoch; the torch loop
draws them on the device. With ``--device cpu`` (implies ``--quick``: 2000
training images, 1 epoch) everything runs on PyTorch CPU tensors, a smoke test
of the script itself: its times say nothing about a GPU.

Results are printed and appended as JSON lines to ``--out`` (default
``benchmarks/gpu_results.jsonl``), one line per check and per measurement,
each with the date, the device and the versions.
"""

import os

# SciPy reads SCIPY_ARRAY_API once, when it is first imported, and scikit-learn's
# array API dispatch refuses to run without it: set it before either is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import load_data, machine, median, versions  # noqa: E402

SECTIONS = ("checks", "tests", "default", "best", "showcase")
BEST = dict(hidden=[1024, 1024], input_dropout=0.2, dropout=0.4, lr=0.1, epochs=50)
# The configuration measured on one CPU core (README, mnist_accuracy_runs.jsonl, f3_*).
SHOWCASE = dict(hidden=[1024, 1024, 1024], input_dropout=0.2, dropout=0.4, lr=0.1, epochs=50,
                schedule="cosine")
CHECK_CONFIGS = [{}, {"dropout": 0.2, "input_dropout": 0.1},
                 {"early_stopping": True, "validation_fraction": 0.2}]


# -- the device ------------------------------------------------------------------------------
class Device:
    """The torch device to train on, and how to wait for it."""

    def __init__(self, name):
        import torch

        self.torch, self.name = torch, name
        self.device = torch.device(name)
        self.cuda = self.device.type == "cuda"
        if self.cuda:
            if not torch.cuda.is_available():
                raise SystemExit(f"bench_gpu: --device {name}, but PyTorch {torch.__version__} "
                                 f"sees no CUDA device (torch.version.cuda={torch.version.cuda}); "
                                 f"run with --device cpu for a smoke test")
            torch.cuda.set_device(self.device)  # so that 'cuda' in the checks means this one
            try:
                import cupy

                cupy.cuda.Device(self.device.index or 0).use()  # CuPy's own current device
            except Exception:  # noqa: BLE001 - no CuPy: its checks skip and say why
                pass

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def put(self, a):
        return self.torch.as_tensor(np.ascontiguousarray(a), device=self.device)

    def peak_mib(self, reset=False):
        if not self.cuda:
            return None
        if reset:
            self.torch.cuda.reset_peak_memory_stats(self.device)
            return None
        return round(self.torch.cuda.max_memory_allocated(self.device) / 2**20, 1)

    def describe(self):
        torch = self.torch
        if not self.cuda:
            return f"cpu (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)"
        p = torch.cuda.get_device_properties(self.device)
        return (f"{self.name}: {p.name}, {p.total_memory / 2**30:.0f} GiB, "
                f"{torch.cuda.device_count()} visible; CUDA {torch.version.cuda}, "
                f"cuDNN {torch.backends.cudnn.version()}")


def library_versions():
    parts = [versions()]
    for name in ("torch", "cupy", "array_api_strict"):
        try:
            parts.append(f"{name} {__import__(name).__version__}")
        except Exception as exc:  # noqa: BLE001 - report, never fail
            parts.append(f"{name}: not importable ({type(exc).__name__})")
    return ", ".join(parts)


class Recorder:
    """Print results and append them as JSON lines, each with the run's context."""

    def __init__(self, path, context):
        self.path, self.context = path, context

    def __call__(self, section, **fields):
        record = dict(self.context, section=section, **fields)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")


# -- section checks --------------------------------------------------------------------------
def check_cases(device):
    """(label, check function, keyword arguments) of the array API checks to run."""
    from sklearn.utils._array_api import NamespaceAndDevice as ND
    from sklearn.utils.estimator_checks import (check_array_api_input,
                                                check_array_api_input_and_values,
                                                check_array_api_mixed_inputs,
                                                check_array_api_same_namespace)

    if device.cuda:
        spaces = [("torch", "cuda"), ("cupy", None)]
        mixed = [(ND("numpy", None), ND("torch", "cuda")), (ND("cupy", None), ND("torch", "cuda")),
                 (ND("numpy", None), ND("cupy", None))]
    else:
        spaces = [("torch", "cpu"), ("array_api_strict", "device1")]
        mixed = [(ND("numpy", None), ND("torch", "cpu")),
                 (ND("array_api_strict", "device1"), ND("torch", "cpu"))]
    cases = []
    for ns, dev in spaces:
        where = f"{ns} {dev or 'default device'}"
        for dtype in ("float32", "float64"):
            cases.append((f"input {where} {dtype}", check_array_api_input,
                          dict(array_namespace=ns, device_name=dev, dtype_name=dtype)))
        cases.append((f"input_and_values {where} float64", check_array_api_input_and_values,
                      dict(array_namespace=ns, device_name=dev, dtype_name="float64")))
        cases.append((f"same_namespace {where}", check_array_api_same_namespace,
                      dict(array_namespace=ns, device_name=dev)))
    for other, X in mixed:
        cases.append((f"mixed X {X.xp} {X.device or 'default device'}, y {other.xp}"
                      f"{' ' + other.device if other.device else ''}",
                      check_array_api_mixed_inputs,
                      dict(X_ns_and_device=X, other_ns_and_device=other)))
    return cases


def run_check(check, name, estimator, kwargs):
    """(status, seconds, message, traceback): a check never stops the script.

    status is 'pass', 'FAIL' or 'skip'; the message names the exception and
    where it was raised (the last frame in skbpnet, and the last one of all).
    """
    from unittest import SkipTest

    tic = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(name, estimator, **kwargs)
    except SkipTest as exc:
        return "skip", time.perf_counter() - tic, str(exc), ""
    except Exception as exc:  # noqa: BLE001 - the point is to report it
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if f"{os.sep}skbpnet{os.sep}" in f.filename]
        where = ", ".join(f"{os.path.basename(f.filename)}:{f.lineno}"
                          for f in ([ours[-1]] if ours else []) + [frames[-1]])
        message = f"{type(exc).__name__}: {str(exc).strip()[:400]} (at {where})"
        return "FAIL", time.perf_counter() - tic, message, traceback.format_exc()
    return "pass", time.perf_counter() - tic, "", ""


def section_checks(device, args, record):
    from skbpnet import BPNetClassifier, BPNetRegressor

    configs = CHECK_CONFIGS[:1] if args.quick else CHECK_CONFIGS
    counts = {"pass": 0, "FAIL": 0, "skip": 0}
    print(f"\n-- scikit-learn's array API checks ({len(configs)} configuration(s) per "
          f"estimator, max_iter=50)")
    for label, check, kwargs in check_cases(device):
        for config in configs:
            for cls in (BPNetClassifier, BPNetRegressor):
                estimator = cls(max_iter=50, **config)
                status, seconds, message, trace = run_check(check, cls.__name__, estimator,
                                                            kwargs)
                counts[status] += 1
                est = f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in config.items())})"
                print(f"{status:>4}  {seconds:6.2f} s  {label}  {est}"
                      + (f"\n      {message}" if message else ""), flush=True)
                record("checks", check=label, estimator=est, status=status,
                       seconds=round(seconds, 3), message=message, traceback=trace)
    print(f"# checks: {counts['pass']} passed, {counts['FAIL']} failed, "
          f"{counts['skip']} skipped")
    return counts


def section_tests(device, args, record):
    """skbpnet's device tests on CUDA and CuPy, in a child pytest (they skip without a GPU)."""
    import subprocess

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    keyword = "cuda or cupy" if device.cuda else "torch and not cuda"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "-rs", "-k", keyword, "tests/test_array_api.py", "tests/nn/test_namespaces.py"]
    print(f"\n-- skbpnet's device tests: {' '.join(command[1:])}")
    try:
        import pytest  # noqa: F401
    except ImportError:
        print("# skipped: pytest is not installed here (pip install pytest to run them)")
        record("tests", status="skip", reason="pytest not installed")
        return None
    tic = time.perf_counter()
    out = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=240)
    tail = (out.stdout + out.stderr).strip().splitlines()[-15:]
    print("\n".join(tail))
    record("tests", returncode=out.returncode, seconds=round(time.perf_counter() - tic, 1),
           summary=tail[-1] if tail else "")
    if out.returncode not in (0, 5):  # 5: nothing collected
        raise RuntimeError(f"skbpnet's device tests failed (pytest exit {out.returncode})")
    return out.returncode


# -- the hand-written PyTorch loop -----------------------------------------------------------
def lr_after(schedule, lr0, total, done, restart_factor=0.5):
    """The learning rate after ``done`` epochs of ``total`` (skbpnet's schedules, rewritten).

    ``cosine``: one cycle from lr0 to 0. ``cosine_restart``: a cycle of
    ``total // 4`` epochs (at least 1) from lr0, then one over the rest from
    ``lr0 * restart_factor`` (see skbpnet/nn/schedules.py).
    """
    if schedule == "constant" or done == 0:
        return lr0
    done = min(done, total)
    if schedule == "cosine":
        peak, frac = lr0, done / total
    elif schedule == "cosine_restart":
        first = max(1, total // 4)
        if done < first:
            peak, frac = lr0, done / first
        else:
            peak, frac = lr0 * restart_factor, (done - first) / max(1, total - first)
    else:
        raise ValueError(f"the torch loop has no schedule {schedule!r}")
    return 0.5 * peak * (1.0 + math.cos(math.pi * frac))


def check_schedule(preset):
    """The rewritten schedule gives skbpnet's rates (else the comparison is unfair)."""
    from skbpnet.nn import SCHEDULES

    total = preset["epochs"]
    kwargs = {} if preset["schedule"] == "constant" else {"total_epochs": total}
    ours = SCHEDULES[preset["schedule"]](preset["lr"], **kwargs)
    theirs = [ours.epoch_end(e, 0) for e in range(1, total + 1)]
    mine = [lr_after(preset["schedule"], preset["lr"], total, e) for e in range(1, total + 1)]
    assert np.allclose(mine, theirs, rtol=1e-12), (mine, theirs)


def torch_fit(device, X, y, preset, seed):
    """Train the preset's network with a plain PyTorch loop; return the model.

    784-H-...-10 ReLU with He-uniform weights and zero biases (as skbpnet),
    softmax cross-entropy, ``torch.optim.SGD(nesterov=True)``, the L2 penalty
    as ``weight_decay = alpha / batch_size`` on the weights only
    (scikit-learn's scaling; the last, partial batch gets alpha / B rather
    than alpha / b), the learning rate set at the start of each epoch from the
    same schedule. One difference remains: torch's momentum buffer is not
    scaled by the learning rate, so after a change of rate its first steps
    differ slightly from scikit-learn's velocity (identical at a constant
    rate). The loss is summed on the device and read once per epoch, as
    skbpnet reports it.
    """
    torch = device.torch
    nn = torch.nn
    torch.manual_seed(seed)
    sizes = [X.shape[1], *preset["hidden"], 10]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layer = nn.Linear(a, b, device=device.device)
        with torch.no_grad():
            bound = math.sqrt(6.0 / a)
            layer.weight.uniform_(-bound, bound)
            layer.bias.zero_()
        layers += [layer, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    batch, epochs = preset["batch_size"], preset["epochs"]
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": preset["alpha"] / batch},
                           {"params": biases, "weight_decay": 0.0}],
                          lr=preset["lr"], momentum=preset["momentum"], nesterov=True)
    loss_fn = nn.CrossEntropyLoss()
    n = X.shape[0]
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr_after(preset["schedule"], preset["lr"], epochs, epoch)
        perm = torch.randperm(n, device=device.device)
        total = torch.zeros((), device=device.device)
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        float(total)  # one read per epoch
    return model


def torch_accuracy(device, model, X_test, y_test):
    with device.torch.no_grad():
        pred = model(X_test).argmax(dim=1).cpu().numpy()
    return float(np.mean(pred == y_test))


# -- skbpnet on the device -------------------------------------------------------------------
def skbpnet_fit(X, y, preset, seed):
    """``skbpnet mnist``'s estimator for ``preset``, fitted under array API dispatch."""
    import sklearn

    from skbpnet import BPNetClassifier
    from skbpnet.presets import estimator_params

    params = estimator_params(preset)
    if preset.get("max_norm") is not None:
        params["max_norm"] = preset["max_norm"]
    clf = BPNetClassifier(**params, random_state=seed, n_iter_no_change=preset["epochs"] + 1)
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, y)
    return clf


def skbpnet_accuracy(clf, X_test, y_test):
    import sklearn

    from skbpnet.nn import to_numpy

    with sklearn.config_context(array_api_dispatch=True):
        return float(np.mean(to_numpy(clf.predict(X_test)) == y_test))


def timed(device, fn, *args):
    device.sync()
    device.peak_mib(reset=True)
    tic = time.perf_counter()
    result = fn(*args)
    device.sync()
    return result, time.perf_counter() - tic, device.peak_mib()


def section_default(device, data, args, record):
    from skbpnet.presets import MNIST_DEFAULTS

    preset = dict(MNIST_DEFAULTS, epochs=args.epochs or MNIST_DEFAULTS["epochs"])
    check_schedule(preset)
    X, y, X_test, y_test = data
    print(f"\n-- skbpnet mnist's network on {device.name}: {preset}, {X.shape[0]} training "
          f"images; interleaved, {args.repeats} round(s)")
    small = dict(preset, epochs=1)  # warm-up: CUDA context, cuBLAS, kernels; not recorded
    skbpnet_fit(X[:2000], y[:2000], small, 0)
    torch_fit(device, X[:2000], y[:2000], small, 0)
    rows = {"skbpnet": [], "torch": []}
    for r in range(args.repeats):
        for name in ("skbpnet", "torch"):
            if name == "skbpnet":
                clf, seconds, peak = timed(device, skbpnet_fit, X, y, preset, r)
                acc = skbpnet_accuracy(clf, X_test, y_test)
            else:
                model, seconds, peak = timed(device, torch_fit, device, X, y, preset, r)
                acc = torch_accuracy(device, model, X_test, y_test)
            rows[name].append((seconds, acc))
            print(f"round {r + 1}  {name:>7}  fit {seconds:7.2f} s  test accuracy {acc:.4f}"
                  + (f"  peak GPU memory {peak} MiB" if peak is not None else ""), flush=True)
            record("default", contestant=name, round=r + 1, seed=r, fit_seconds=round(seconds, 3),
                   test_accuracy=acc, peak_mib=peak, preset=preset, n_train=int(X.shape[0]))
    med = {k: median([s for s, _ in v]) for k, v in rows.items()}
    per_round = median([a[0] / b[0] for a, b in zip(rows["skbpnet"], rows["torch"])])
    ratio = med["skbpnet"] / med["torch"]
    print(f"# median fit: skbpnet {med['skbpnet']:.2f} s, torch {med['torch']:.2f} s; "
          f"skbpnet / torch = {ratio:.2f} (per-round median {per_round:.2f}; goal <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"# mean test accuracy: skbpnet {np.mean([a for _, a in rows['skbpnet']]):.4f}, "
          f"torch {np.mean([a for _, a in rows['torch']]):.4f}")
    record("default", summary=True, skbpnet_median_s=med["skbpnet"],
           torch_median_s=med["torch"], ratio=ratio, per_round_ratio=per_round)


def section_best(device, data, args, record):
    from skbpnet.presets import MNIST_DEFAULTS

    preset = dict(MNIST_DEFAULTS, **BEST)
    if args.epochs:
        preset["epochs"] = args.epochs
    X, y, X_test, y_test = data
    print(f"\n-- the README's best network on {device.name}: {preset}")
    clf, seconds, peak = timed(device, skbpnet_fit, X, y, preset, 0)
    acc = skbpnet_accuracy(clf, X_test, y_test)
    print(f"fit {seconds:.1f} s ({seconds / preset['epochs']:.2f} s an epoch), test accuracy "
          f"{acc:.4f}" + (f", peak GPU memory {peak} MiB" if peak is not None else "")
          + f"; goal under 120 s: {'met' if seconds < 120 else 'NOT met'}")
    record("best", fit_seconds=round(seconds, 3), test_accuracy=acc, peak_mib=peak,
           preset=preset, n_train=int(X.shape[0]))


def section_showcase(device, data, args, record):
    from skbpnet import BPNetClassifier
    from skbpnet.presets import MNIST_DEFAULTS

    if "max_norm" not in BPNetClassifier().get_params():
        print("\n-- showcase skipped: this skbpnet's BPNetClassifier has no max_norm")
        record("showcase", skipped="no max_norm parameter")
        return
    preset = dict(MNIST_DEFAULTS, **SHOWCASE, max_norm=args.max_norm)
    if args.epochs:
        preset["epochs"] = args.epochs
    X, y, X_test, y_test = data
    print(f"\n-- max-norm showcase on {device.name}: {preset}, seeds {args.seeds}")
    accs = []
    for seed in args.seeds:
        clf, seconds, _ = timed(device, skbpnet_fit, X, y, preset, seed)
        accs.append(skbpnet_accuracy(clf, X_test, y_test))
        print(f"seed {seed}: fit {seconds:.1f} s, test accuracy {accs[-1]:.4f}", flush=True)
        record("showcase", seed=seed, fit_seconds=round(seconds, 3), test_accuracy=accs[-1],
               preset=preset)
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print(f"# test accuracy {100 * np.mean(accs):.2f}% +- {100 * sd:.2f} over {len(accs)} seed(s)")
    record("showcase", summary=True, mean_accuracy=float(np.mean(accs)), sd=sd, seeds=args.seeds)


# -- main ------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda",
                   help="cuda (default), cuda:N, or cpu: a smoke test on PyTorch CPU tensors")
    p.add_argument("--quick", action="store_true",
                   help="2000 training images, 1 epoch, one check configuration")
    p.add_argument("--sections", nargs="+", choices=SECTIONS[:4], default=list(SECTIONS[:4]),
                   help="which sections to run (default: all four)")
    p.add_argument("--repeats", type=int, default=2,
                   help="interleaved rounds of 'default' (default: 2)")
    p.add_argument("--epochs", type=int, default=None,
                   help="override every section's epochs (default: each preset's own)")
    p.add_argument("--n-train", type=int, default=None,
                   help="train on the first N training images (default: all 60,000)")
    p.add_argument("--showcase", action="store_true", help="also run the max-norm showcase")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="showcase seeds (default: 0 1 2)")
    p.add_argument("--max-norm", type=float, default=3.0, help="showcase max-norm (default: 3)")
    p.add_argument("--data-home", default=None,
                   help="scikit-learn data folder holding the MNIST cache "
                        "(default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "gpu_results.jsonl"),
                   help="JSON lines file to append to (default: benchmarks/gpu_results.jsonl)")
    args = p.parse_args(argv)
    if args.device == "cpu" and not args.quick:
        print("# --device cpu is a smoke test of the script: --quick implied")
        args.quick = True
    if args.quick:
        args.n_train = args.n_train or 2000
        args.epochs = args.epochs or 1
    if args.showcase:
        args.sections.append("showcase")
    return args


def main(argv=None):
    args = parse_args(argv)
    device = Device(args.device)
    date = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"== skbpnet GPU benchmark  ({date})")
    print(f"# machine: {machine()}, python {platform.python_version()}")
    print(f"# device: {device.describe()}")
    print(f"# versions: {library_versions()}")
    torch = device.torch
    print(f"# float32 matmul precision: {torch.get_float32_matmul_precision()} "
          f"(TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}; the same for "
          f"both contestants: skbpnet's products are torch's)")
    context = dict(date=date, device=device.describe(), versions=library_versions(),
                   quick=args.quick)
    record = Recorder(args.out, context)
    data = None
    if set(args.sections) - {"checks", "tests"}:
        X, X_test, y, y_test, source = load_data(args.data_home, args.n_train, verbose=False)
        print(f"# data: {source}")
        device.sync()
        tic = time.perf_counter()
        data = (device.put(X), device.put(y.astype(np.int64)), device.put(X_test), y_test)
        device.sync()
        print(f"# data to {device.name} once: {time.perf_counter() - tic:.2f} s "
              f"({(X.nbytes + X_test.nbytes) / 2**20:.0f} MiB of float32 images)")
    sections = {"checks": lambda: section_checks(device, args, record),
                "tests": lambda: section_tests(device, args, record),
                "default": lambda: section_default(device, data, args, record),
                "best": lambda: section_best(device, data, args, record),
                "showcase": lambda: section_showcase(device, data, args, record)}
    failed = []
    start = time.perf_counter()
    for name in args.sections:
        try:
            sections[name]()
        except Exception as exc:  # noqa: BLE001 - one section's failure must not lose the rest
            failed.append(name)
            print(f"\n!! section {name} failed:\n{traceback.format_exc()}", flush=True)
            record(name, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    print(f"\n# total wall time {time.perf_counter() - start:.0f} s; results appended to "
          f"{args.out}" + (f"; FAILED sections: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
