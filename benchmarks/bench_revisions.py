"""The NumPy path of two skbpnet revisions side by side: did a change make it slower?

Runs the same fits with the working tree's skbpnet and with a baseline
revision's (extracted with ``git archive`` into a temporary folder), each in
its own process, interleaved round by round (the order alternates), and
prints the median epoch time of each and their ratio per configuration and
BLAS thread count. Written for issue 15 (array API support), which had to
leave the NumPy path exactly as fast as it was.

Run it as the other benchmarks, from the repository root, in the user's view::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_revisions.py \\
        --baseline f07c055

Configurations (MNIST, float32, ``--n-train`` rows, ``--epochs`` epochs; the
first epoch is not counted): ``mnist-default`` is ``skbpnet mnist``'s network
(784-256-10, Nesterov SGD, batches of 128), ``dropout`` the same with dropout
0.2 on the input and the hidden layer, ``adam-200`` Adam with batches of 200.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import load_data, print_header  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    "mnist-default": dict(hidden_layer_sizes=(256,), solver="sgd", learning_rate_init=0.1,
                          momentum=0.9, nesterovs_momentum=True, batch_size=128),
    "dropout": dict(hidden_layer_sizes=(256,), solver="sgd", learning_rate_init=0.1,
                    momentum=0.9, nesterovs_momentum=True, batch_size=128, dropout=0.2,
                    input_dropout=0.2),
    "adam-200": dict(hidden_layer_sizes=(256,), solver="adam", learning_rate_init=1e-3,
                     batch_size=200),
}

CHILD = r"""
import json, sys, time, warnings
import numpy as np
from skbpnet import BPNetClassifier
data = np.load(sys.argv[1])
params = json.loads(sys.argv[2])
params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
seconds = []
est = BPNetClassifier(random_state=0, tol=0.0, n_iter_no_change=10**6, blas_threads=None,
                      callbacks=[lambda info: seconds.append(info["seconds"])], **params)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    est.fit(data["X"], data["y"])
print(json.dumps({"seconds": seconds, "module": __import__("skbpnet").__file__}))
"""


def extract(revision, where):
    """The baseline's ``skbpnet`` package, from ``git archive``, under ``where``."""
    archive = subprocess.run(["git", "-C", REPO, "archive", revision, "skbpnet"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    return where


def run_child(path, data_file, params, threads):
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CHILD, data_file, json.dumps(params)],
                         env=env, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="git revision to compare with")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--n-train", type=int, default=30000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--data-home", default=None)
    args = p.parse_args(argv)

    X, _, y, _, source = load_data(args.data_home, n_train=args.n_train)
    print_header("skbpnet NumPy path: working tree vs " + args.baseline, None,
                 "not used here", source)
    print(f"# uptime: {os.popen('uptime').read().strip()}")
    tmp = tempfile.mkdtemp(prefix="skbpnet-revisions-")
    data_file = os.path.join(tmp, "data.npz")
    np.savez(data_file, X=X, y=y)
    base = os.path.join(tmp, "base")
    os.makedirs(base)
    trees = {"baseline": extract(args.baseline, base), "current": REPO}
    print(f"# data: {source}, {len(y)} rows, float32; {args.epochs} epochs per fit, the first "
          f"not counted; baseline {args.baseline} vs the working tree")
    times = {(c, t, k): [] for c in args.configs for t in args.threads for k in trees}
    tic = time.perf_counter()
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        for config in args.configs:
            params = dict(CONFIGS[config], max_iter=args.epochs)
            for threads in args.threads:
                for key in order:
                    result = run_child(trees[key], data_file, params, threads)
                    assert result["module"].startswith(trees[key]), result["module"]
                    times[config, threads, key] += result["seconds"][1:]
        print(f"# round {r + 1}/{args.rounds} done ({time.perf_counter() - tic:.0f} s)",
              flush=True)
    print(f"\n{'config':<15}{'threads':>8}{'baseline s':>12}{'current s':>12}{'ratio':>8}")
    for config in args.configs:
        for threads in args.threads:
            base = statistics.median(times[config, threads, "baseline"])
            cur = statistics.median(times[config, threads, "current"])
            print(f"{config:<15}{threads:>8}{base:>12.3f}{cur:>12.3f}{cur / base:>8.3f}")
    print("\n(ratio = current / baseline median epoch seconds; below 1 is faster)")
    print(f"# uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
