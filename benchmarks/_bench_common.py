"""Shared helpers of the skbpnet benchmarks: data, system report, timing, tables.

Not a test module and not part of the package; imported by the scripts in this
folder (``python benchmarks/bench_train.py`` puts this folder on ``sys.path``).
"""

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = 60000, 10000, 784, 10


# -- data ------------------------------------------------------------------------------
def _writable_data_home(data_home):
    """A data folder load_mnist may write to.

    scikit-learn's fetch_openml deletes cached files it fails to read, and the
    array cache is written next to them: a read-only or shared folder is copied
    to a temporary folder first, so the benchmark never changes it.
    """
    if data_home is None:
        data_home = os.environ.get("SCIKIT_LEARN_DATA")
    if data_home is None:
        return None  # load_mnist's default (~/scikit_learn_data)
    data_home = os.path.abspath(os.path.expanduser(data_home))
    if not os.path.isdir(data_home):
        return data_home
    writable = all(os.access(root, os.W_OK) for root, _, _ in os.walk(data_home))
    if writable:
        return data_home
    copy = os.path.join(tempfile.gettempdir(), f"skbpnet-bench-data-{os.getuid()}")
    if not os.path.isdir(copy):
        tmp = f"{copy}.tmp-{os.getpid()}"
        shutil.copytree(data_home, tmp)
        for root, dirs, files in os.walk(tmp):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
        os.rename(tmp, copy)
    print(f"# {data_home} is not writable: using a private copy in {copy}")
    return copy


def load_data(data_home=None, n_train=None, verbose=True):
    """MNIST (C-contiguous float32 in [0, 1], int64 labels), or random data of its shape.

    Returns
    -------
    X_train, X_test, y_train, y_test, source : arrays and a str describing the data
    """
    try:
        from skbpnet.datasets import load_mnist

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_train, X_test, y_train, y_test = load_mnist(data_home=_writable_data_home(data_home))
        layout = ("C-contiguous" if X_train.flags.c_contiguous else
                  f"not C-contiguous, strides {X_train.strides}")
        # The benchmarks train every contestant on C-contiguous rows, the layout
        # a user who builds X row by row has (and the one torch tensors use).
        X_train, X_test = np.ascontiguousarray(X_train), np.ascontiguousarray(X_test)
        source = f"real MNIST (load_mnist; its X_train came {layout}; made C-contiguous)"
    except Exception as exc:  # noqa: BLE001 - any failure: fall back to random data
        rng = np.random.default_rng(0)
        X_train = rng.random((N_TRAIN, N_FEATURES), dtype=np.float32)
        X_test = rng.random((N_TEST, N_FEATURES), dtype=np.float32)
        y_train = rng.integers(0, N_CLASSES, N_TRAIN).astype(np.int64)
        y_test = rng.integers(0, N_CLASSES, N_TEST).astype(np.int64)
        source = (f"RANDOM data of MNIST's shape (MNIST unavailable: "
                  f"{type(exc).__name__}: {str(exc).splitlines()[0][:150]})")
    if n_train is not None and n_train < X_train.shape[0]:
        X_train, y_train = X_train[:n_train], y_train[:n_train]
        source += f", first {n_train} training samples"
    return X_train, X_test, y_train, y_test, source


# -- the machine -----------------------------------------------------------------------
def torch_or_none():
    try:
        import torch
    except Exception as exc:  # noqa: BLE001
        return None, f"{type(exc).__name__}: {exc}"
    return torch, None


def versions(torch=None):
    import sklearn
    import threadpoolctl

    import skbpnet

    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}",
             f"scikit-learn {sklearn.__version__}", f"skbpnet {skbpnet.__version__}",
             f"threadpoolctl {threadpoolctl.__version__}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__}")
    return ", ".join(parts)


def blas_summary():
    from threadpoolctl import threadpool_info

    lines = []
    for p in threadpool_info():
        lines.append(f"{p.get('user_api')}: {p.get('internal_api')} {p.get('version')} "
                     f"arch={p.get('architecture', '-')} num_threads={p.get('num_threads')} "
                     f"({os.path.basename(p.get('filepath', ''))})")
    return lines


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}"


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def fmt_load(la):
    return " ".join(f"{x:.2f}" for x in la)


def print_header(title, torch, torch_error, source):
    print(f"== {title}  ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})")
    print(f"# machine: {machine()}")
    print(f"# versions: {versions(torch)}")
    if torch is None:
        print(f"# torch not importable ({torch_error}): its column is skipped")
    for line in blas_summary():
        print(f"# threadpool: {line}")
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    view = ("the user's view (OpenBLAS picks its kernel itself)" if not any(env.values())
            else "NOT the user's view: run with env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE")
    print(f"# OpenBLAS environment: {', '.join(f'{k}={v}' for k, v in env.items())}: {view}")
    print(f"# data: {source}")


def load_note(before, after, threads_used):
    """A line on foreign load: the 1-minute load average counts our own threads too."""
    worst = max(before[0], after[0])
    line = f"# load average (1, 5, 15 min) before: {fmt_load(before)}  after: {fmt_load(after)}"
    if worst > max(threads_used):
        line += (f"\n# NOTE: load average {worst:.2f} > {max(threads_used)} thread(s) used: "
                 f"other processes shared the {os.cpu_count()} CPUs; timings are noisy "
                 f"(ratios from interleaved rounds are more robust than absolute times)")
    return line


# -- timing ----------------------------------------------------------------------------
class Timer:
    """Wall and process CPU time of a block."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        return False


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def ratio(a, b):
    if a is None or b is None or not np.isfinite(a) or not np.isfinite(b) or b == 0:
        return float("nan")
    return a / b


def table(headers, rows, floatfmt="{:.3f}"):
    """A plain-text table; floats formatted with floatfmt, nan shown as '-'."""
    def cell(v):
        if isinstance(v, float):
            return "-" if not np.isfinite(v) else floatfmt.format(v)
        return str(v)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join(out)


def flush():
    sys.stdout.flush()
