"""The command as a whole: --version, help texts, --plot without matplotlib, epoch times, .npy input."""

import io
import re

import numpy as np
import pytest
from _cli_helpers import iris_frame, run_cli

import skbpnet
from skbpnet.__main__ import build_parser, main
from skbpnet.cli._progress import format_seconds


def _subparser_helps():
    parser = build_parser()
    return {name: " ".join(p.format_help().split())
            for name, p in parser._subparsers._group_actions[0].choices.items()}


def test_version():
    res = run_cli("--version")
    assert res.stdout.strip() == f"skbpnet {skbpnet.__version__}"


def test_top_level_help_has_an_example_of_each_command():
    text = run_cli("--help").stdout
    examples = text.split("examples:")[1]
    for command in ("skbpnet mnist", "skbpnet digits", "skbpnet train", "skbpnet predict"):
        assert command in examples


def test_defaults_are_shown_once():
    helps = _subparser_helps()
    assert set(helps) == {"mnist", "digits", "train", "predict"}
    for name, text in helps.items():
        assert "(default: None)" not in text, name
        assert ") (default:" not in text, name  # a default written twice
    assert "BLAS threads (default: what the BLAS chooses) --output" in helps["mnist"]
    assert "training epochs (default: 12)" in helps["mnist"]
    assert "training epochs (default: 40)" in helps["digits"]


def test_predict_help_says_how_to_preprocess():
    text = _subparser_helps()["predict"]
    assert "preprocessed as in training" in text and "MNIST pixels / 255" in text
    assert "--proba" in text


def test_format_seconds_shows_milliseconds_below_a_tenth():
    assert format_seconds(0.004) == "4 ms"
    assert format_seconds(0.0123) == "12 ms"
    assert format_seconds(0.0004) == "0.4 ms"
    assert format_seconds(0.25) == "0.25 s"
    assert format_seconds(3.0) == "3.00 s"


def test_digits_epochs_are_not_zero_seconds(tmp_path):
    res = run_cli("digits", "--epochs", "3", "--threads", "1", "--output",
                  tmp_path / "d.skbpnet")
    lines = [line for line in res.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 3
    for line in lines:
        assert re.search(r"  (\d+(\.\d)? ms|\d+\.\d\d s)$", line), line
        assert not line.endswith(" 0.00 s") and not line.endswith(" 0 ms")


@pytest.mark.parametrize("command", ["digits", "train"])
def test_plot_without_matplotlib_is_refused_before_training(tmp_path, command):
    args = ["digits"] if command == "digits" else ["train", tmp_path / "t.csv", "--target",
                                                   "species"]
    iris_frame().to_csv(tmp_path / "t.csv", index=False)
    res = run_cli(*args, "--plot", tmp_path / "c.png", "--output", tmp_path / "m.skbpnet",
                  block=["matplotlib"], check=False)
    assert res.returncode == 2
    assert 'pip install "skbpnet[plot]"' in res.stderr and "Traceback" not in res.stderr
    assert "epoch" not in res.stdout and not (tmp_path / "m.skbpnet").exists()


def test_train_plot_draws_the_curves(tmp_path):
    pytest.importorskip("matplotlib")
    iris_frame().to_csv(tmp_path / "t.csv", index=False)
    res = run_cli("train", tmp_path / "t.csv", "--target", "species", "--epochs", "5",
                  "--quiet", "--plot", tmp_path / "c.png", "--output", tmp_path / "m.skbpnet")
    assert "curves drawn to" in res.stdout and (tmp_path / "c.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("digits") / "digits.skbpnet"
    main(["digits", "--epochs", "3", "--quiet", "--output", str(path)], out=io.StringIO())
    return path


def test_predict_npy_warns_on_unscaled_pixels(digits_model, tmp_path, capsys):
    from sklearn.datasets import load_digits

    X = load_digits().data[:10]  # pixels 0..16, not scaled to [0, 1]
    np.save(tmp_path / "raw.npy", X)
    np.save(tmp_path / "scaled.npy", X / 16)
    main(["predict", str(digits_model), str(tmp_path / "raw.npy")], out=io.StringIO())
    err = capsys.readouterr().err
    assert "warning" in err and "divide the pixels by 16" in err
    out = io.StringIO()
    main(["predict", str(digits_model), str(tmp_path / "scaled.npy")], out=out)
    assert capsys.readouterr().err == "" and len(out.getvalue().split()) == 10


def test_predict_npy_proba(digits_model, tmp_path):
    from sklearn.datasets import load_digits

    X = load_digits().data[:4] / 16
    np.save(tmp_path / "x.npy", X)
    out = io.StringIO()
    main(["predict", str(digits_model), str(tmp_path / "x.npy"), "--proba"], out=out)
    header, *rows = out.getvalue().splitlines()
    assert header.split(",") == [f"P({c})" for c in range(10)]
    got = np.array([[float(v) for v in row.split(",")] for row in rows])
    np.testing.assert_array_equal(got, skbpnet.load(digits_model).predict_proba(X))


def test_table_model_refuses_npy(tmp_path):
    iris_frame().to_csv(tmp_path / "t.csv", index=False)
    run_cli("train", tmp_path / "t.csv", "--target", "species", "--epochs", "2", "--quiet",
            "--output", tmp_path / "m.skbpnet")
    np.save(tmp_path / "x.npy", np.zeros((2, 5)))
    res = run_cli("predict", tmp_path / "m.skbpnet", tmp_path / "x.npy", check=False)
    assert res.returncode == 2 and "give it a table" in res.stderr


def test_predict_csv_array_refuses_a_header_and_missing_files(digits_model, tmp_path):
    # Changed by issue 19: an array model takes every row of a CSV as a sample, so a
    # header row is refused, naming the row (it was guessed to be a header and skipped).
    from sklearn.datasets import load_digits

    X = load_digits().data[:3] / 16
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", header=",".join(f"p{i}" for i in range(64)),
               comments="")
    res = run_cli("predict", digits_model, tmp_path / "x.csv", check=False)
    assert res.returncode == 2 and "row 1 is not numbers" in res.stderr
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    out = io.StringIO()
    main(["predict", str(digits_model), str(tmp_path / "x.csv")], out=out)
    assert [int(v) for v in out.getvalue().split()] == skbpnet.load(digits_model).predict(
        X).tolist()
    res = run_cli("predict", digits_model, tmp_path / "nothing.npy", check=False)
    assert res.returncode == 2 and "no such file" in res.stderr
    res = run_cli("predict", tmp_path / "nothing.skbpnet", tmp_path / "x.csv", check=False)
    assert res.returncode == 2 and "cannot read the model file" in res.stderr
