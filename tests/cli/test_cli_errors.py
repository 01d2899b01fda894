"""Every failure of the command is one line on stderr and an exit status, never a traceback.

The option checks run in-process through :func:`skbpnet.cli.main` (the same
boundary as the command, without an interpreter start per case); bad inputs,
divergence and Ctrl-C run the real ``python -m skbpnet`` in a subprocess.
"""

import io
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from _cli_helpers import REPO_ROOT, run_cli
from sklearn.exceptions import ConvergenceWarning

import skbpnet
from skbpnet import BPNetClassifier
from skbpnet.cli import build_parser, main
from skbpnet.cli import _table
from skbpnet.cli._errors import guarded, option_names


def _one_line(err, *names):
    """Assert that ``err`` is one ``skbpnet: `` line naming each of ``names``."""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("skbpnet: ") and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)


def _files(folder):
    """Names and contents of the files in ``folder``."""
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _refused(folder, *args, status=2):
    """Run the command in ``folder``; assert ``status`` and nothing written; return stderr."""
    before = _files(folder)
    res = run_cli(*args, cwd=folder, check=False)
    assert res.returncode == status, res.stderr
    assert _files(folder) == before  # no model, no temporary file, the inputs untouched
    return res.stderr


# -- numeric options: refused while parsing, by every command that has them -------------
BAD_VALUES = {
    "--epochs": ["0", "-3"], "--batch-size": ["0"], "--hidden": ["0", "-5"],
    "--lr": ["-1", "0", "nan", "inf"], "--momentum": ["1", "-0.1"], "--alpha": ["-1", "nan"],
    "--dropout": ["1", "-0.5"], "--input-dropout": ["1"], "--max-norm": ["0", "inf"],
    "--threads": ["0", "-1", "10" * 12], "--seed": ["-1", "x"], "--n-train": ["0"],
    "--test-size": ["0", "1", "nan"],
}
COMMANDS = {"digits": ["digits"], "mnist": ["mnist"],
            "train": ["train", "t.csv", "--target", "y"]}


def _option_cases():
    choices = build_parser()._subparsers._group_actions[0].choices
    for name, argv in COMMANDS.items():
        options = choices[name]._option_string_actions
        for option, values in BAD_VALUES.items():
            if option in options:
                yield from (pytest.param(argv, option, v, id=f"{name} {option} {v}")
                            for v in values)


@pytest.mark.parametrize("argv, option, value", list(_option_cases()))
def test_bad_numbers_are_refused_in_one_line(argv, option, value, tmp_path, monkeypatch,
                                             capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv + [option, value], out=io.StringIO())
    assert info.value.code == 2
    _one_line(capsys.readouterr().err, f"argument {option}:", repr(value))
    assert list(tmp_path.iterdir()) == []


def test_every_numeric_option_is_checked():
    # a numeric option added later without a checking type fails here
    choices = build_parser()._subparsers._group_actions[0].choices
    for name in COMMANDS:
        for action in choices[name]._actions:
            if action.type in (int, float):
                pytest.fail(f"skbpnet {name} {action.option_strings}: type={action.type}")


def test_the_real_command_refuses_an_option_in_one_line(tmp_path):
    err = _refused(tmp_path, "digits", "--lr", "nan")
    assert err == ("skbpnet: argument --lr: must be a finite number > 0; got 'nan' "
                   "(see `skbpnet digits --help`)\n")


# -- predict: arrays that do not fit the model ---------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A classifier on 4 features, in the safe format."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # two epochs are enough here
        clf = BPNetClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0)
    path = tmp_path_factory.mktemp("model") / "m.skbpnet"
    skbpnet.save(clf, path)
    return path


NAN_ROWS = np.ones((3, 4))
NAN_ROWS[1, 2] = np.nan
ARRAYS = {"wrong width": (np.ones((3, 5)), "5 value(s) per sample, but the model expects 4"),
          "empty": (np.ones((0, 4)), "holds no samples"),
          "scalar": (np.float64(1.0), "holds a single number"),
          "nan": (NAN_ROWS, "NaN or infinite values in 1 sample(s), the first in row 1"),
          "text": (np.array([["a"] * 4]), "the model needs numbers")}


@pytest.mark.parametrize("case", list(ARRAYS))
def test_predict_refuses_arrays_that_do_not_fit(case, model_file, tmp_path):
    X, words = ARRAYS[case]
    np.save(tmp_path / "x.npy", X)
    err = _refused(tmp_path, "predict", model_file, "x.npy")
    _one_line(err, "x.npy", words)


# -- train: tables that cannot train and hold out a network ---------------------------------
TABLES = {
    "one row per class": ("a,y\n1,p\n2,q\n3,r\n", "3 class(es) of 'y' have a single row"),
    # 3 rows: a target of 2 values is now a classification, as AutoGluon (issue 21)
    "three rows": ("a,y\n1,1.5\n2,2.5\n3,3.5\n", "has 3 row(s) with a 'y' value: too few"),
    "constant target": ("a,y\n1,p\n2,p\n3,p\n4,p\n", "the same value ('p') in all 4 row(s)"),
    "inf": ("a,y\n1,p\n2,q\ninf,p\n3,q\n4,p\n5,q\n",
            "column 'a' holds infinite values in 1 row(s), the first in data row 3"),
}


@pytest.mark.parametrize("case", list(TABLES))
def test_train_refuses_tables_it_cannot_learn_from(case, tmp_path):
    text, words = TABLES[case]
    (tmp_path / "t.csv").write_text(text)
    err = _refused(tmp_path, "train", "t.csv", "--target", "y", "--epochs", "1")
    _one_line(err, "t.csv", words)


def test_a_huge_line_is_refused_before_it_is_read(tmp_path):
    # a table of one line a bit over the limit: one line, no MemoryError, nothing written
    with open(tmp_path / "wide.csv", "wb") as fh:
        fh.write(b"a,y\n" + b"1," * (_table.MAX_LINE_BYTES // 2) + b"1\n")
    err = _refused(tmp_path, "train", "wide.csv", "--target", "y")
    _one_line(err, "line 2 of wide.csv is longer than 8,388,608 bytes")


@pytest.mark.parametrize("text, words", [
    (b"a" * 11 + b"\n1\n", "line 1 of"), (b"a\n" + b"1\n" * 30 + b"x" * 11 + b"\n", "line 32"),
    (b"a\n1\n" + b"y" * 11, "line 3 of"), (b"a\n" + b"12345678\n" * 3 + b"9" * 11, "line 5 of"),
    (b"a,b,c,d\n1,2,3,4\n", "has 4 columns in its first line, more than the 3"),
])
def test_check_lines_finds_the_line_over_the_limit(text, words, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_table, "MAX_LINE_BYTES", 10)  # blocks of 10 bytes: lines across them
    monkeypatch.setattr(_table, "MAX_COLUMNS", 3)
    (tmp_path / "t.csv").write_bytes(text)
    with pytest.raises(SystemExit):
        _table.check_lines(str(tmp_path / "t.csv"))
    _one_line(capsys.readouterr().err, words)
    (tmp_path / "t.csv").write_bytes(b"a\n" + b"z" * 10 + b"\n" + b"1234567890")  # at the limit
    _table.check_lines(str(tmp_path / "t.csv"))


# -- divergence: the estimators' words, in the command's options -----------------------------
def test_a_diverging_run_names_the_option(tmp_path):
    err = _refused(tmp_path, "digits", "--lr", "1e6", "--epochs", "2", "--hidden", "8")
    _one_line(err, "training failed", "Lower --lr (now 1000000.0)", "No model was saved")
    assert "learning_rate_init" not in err


def test_option_names_leave_other_words_alone():
    text = "The 'max_iter' parameter; learning_rate='cosine' and learning_rate_init, alpha."
    assert option_names(text) == "The --epochs parameter; --schedule='cosine' and --lr, --alpha."


# -- a bug: one line by default, the traceback with SKBPNET_DEBUG=1 ---------------------------
def test_a_bug_is_one_line_unless_debugging(monkeypatch, capsys):
    monkeypatch.delenv("SKBPNET_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        guarded(lambda: {}["key"])
    assert info.value.code == 1
    _one_line(capsys.readouterr().err, "a bug in skbpnet", "KeyError: 'key'", "SKBPNET_DEBUG=1")
    monkeypatch.setenv("SKBPNET_DEBUG", "1")
    with pytest.raises(KeyError):
        guarded(lambda: {}["key"])


def test_out_of_memory_is_one_line(capsys):
    def allocate():
        raise MemoryError

    with pytest.raises(SystemExit) as info:
        guarded(allocate)
    assert info.value.code == 2
    _one_line(capsys.readouterr().err, "out of memory", "--hidden", "--batch-size")


# -- Ctrl-C: status 130, one line, the last complete epoch saved ------------------------------
def _interrupt(folder, args, ready, pause=0.0):
    """Start the command, send SIGINT after the first stdout line for which ``ready``; wait."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "skbpnet", *args], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if ready(line):
                break
        time.sleep(pause)  # into the epoch
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return proc.returncode, err


@pytest.mark.parametrize("command", [["digits", "--hidden", "8"],
                                     ["train", "t.csv", "--target", "y", "--hidden", "8"]])
def test_ctrl_c_saves_the_last_complete_epoch(command, tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=60), "g": rng.choice(["n", "s"], 60),
                  "y": rng.choice(["p", "q"], 60)}).to_csv(tmp_path / "t.csv", index=False)
    status, err = _interrupt(tmp_path, command + ["--epochs", "100000", "--threads", "1",
                                                  "--format", "safe", "--output", "m.skbpnet"],
                             lambda line: line.startswith("epoch   3/"))
    assert status == 130, err
    _one_line(err, "training interrupted (Ctrl-C) in epoch ", " of 100000; the model of epoch ",
              f"the last complete one, was saved to {tmp_path / 'm.skbpnet'} (safe)")
    epoch = int(err.split("the model of epoch ")[1].split(",")[0])
    assert epoch >= 3 and f"in epoch {epoch + 1} of" in err
    assert {p.name for p in tmp_path.iterdir()} == {"t.csv", "m.skbpnet"}  # no temporary file
    model = skbpnet.load(tmp_path / "m.skbpnet")
    assert (model[-1] if hasattr(model, "steps") else model).n_iter_ >= 3


def test_ctrl_c_in_the_first_epoch_saves_nothing(tmp_path):
    # 64-4096-4096-10 on one thread: the first epoch takes seconds (70 GFLOP)
    status, err = _interrupt(tmp_path, ["digits", "--hidden", "4096", "4096", "--threads", "1",
                                        "--epochs", "5"],
                             lambda line: line.startswith("digits: "), pause=0.2)
    assert status == 130, err
    assert err == ("skbpnet: training interrupted (Ctrl-C) in epoch 1 of 5, before any epoch "
                   "finished; no model was saved\n")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_mnist_saves_the_last_complete_epoch(mnist_data_home, tmp_path):
    # mnist shares digits' training code; this runs it on the real data (3,000 rows).
    status, err = _interrupt(tmp_path, ["mnist", "--data-home", str(mnist_data_home),
                                        "--n-train", "3000", "--hidden", "8", "--threads", "1",
                                        "--epochs", "100000", "--output", "m.skbpnet"],
                             lambda line: line.startswith("epoch   3/"))
    assert status == 130, err
    _one_line(err, "training interrupted (Ctrl-C) in epoch ", " of 100000; the model of epoch ",
              f"the last complete one, was saved to {tmp_path / 'm.skbpnet'} (safe)")
    assert {p.name for p in tmp_path.iterdir()} == {"m.skbpnet"}  # no temporary file
    assert skbpnet.load(tmp_path / "m.skbpnet").n_iter_ >= 3
