"""Helpers of the command-line tests: run ``skbpnet`` as a subprocess, write real CSV files."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, block=(), cwd=None, check=True):
    """Run ``python -m skbpnet ARGS`` with this checkout's skbpnet; return the CompletedProcess.

    ``block`` names modules to make unimportable (``sys.modules[name] = None``),
    as if they were not installed.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""), COLUMNS="200")
    if block:
        code = ("import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in block)
                + "from skbpnet.cli import main\nsys.exit(main())\n")
        cmd = [sys.executable, "-c", code]
    else:
        cmd = [sys.executable, "-m", "skbpnet"]
    res = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, env=env,
                         cwd=cwd, timeout=600)
    if check and res.returncode != 0:
        raise AssertionError(f"skbpnet {args} failed ({res.returncode}):\n{res.stderr}")
    return res


def iris_frame():
    """Iris with text species, a text column and a few missing values."""
    from sklearn.datasets import load_iris

    df = load_iris(as_frame=True).frame
    df["species"] = np.array(["setosa", "versicolor", "virginica"])[df.pop("target")]
    rng = np.random.default_rng(0)
    df["garden"] = rng.choice(["north", "south", "east"], size=len(df))
    df.loc[[3, 40], "petal length (cm)"] = np.nan
    df.loc[[5, 77], "garden"] = np.nan
    return df


def diabetes_frame():
    """Diabetes (float target) with the sex column as text."""
    from sklearn.datasets import load_diabetes

    df = load_diabetes(as_frame=True).frame
    df["sex"] = np.where(df["sex"] > 0, "f", "m")
    return df
