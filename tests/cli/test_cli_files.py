"""The command's files: model files recognised by content, pickles only when trusted,
outputs checked before any work, one prediction row per input row (issue 19)."""

import csv
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
from _cli_helpers import iris_frame, run_cli

import skbpnet
from skbpnet import BPNetClassifier

TINY_TRAIN = ("--epochs", "1", "--quiet", "--threads", "1")
pytestmark = pytest.mark.filterwarnings("ignore:Stochastic Optimizer:UserWarning")


def snapshot(folder):
    """Every file under ``folder`` and its bytes (to compare before and after a command)."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                files[os.path.relpath(path, folder)] = fh.read()
    return files


def assert_refused(res, *words, status=2):
    """Exit ``status``, one line on stderr starting ``skbpnet: `` and holding ``words``."""
    assert res.returncode == status, res.stderr
    assert res.stderr.startswith("skbpnet: ") and res.stderr.count("\n") == 1, res.stderr
    assert "Traceback" not in res.stderr
    for word in words:
        assert word in res.stderr, (word, res.stderr)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A digits model saved under its default name, in the default format."""
    folder = tmp_path_factory.mktemp("digits")
    res = run_cli("digits", *TINY_TRAIN, cwd=folder)
    assert "skbpnet-digits.skbpnet (safe)" in res.stdout
    return folder / "skbpnet-digits.skbpnet"


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    """(csv, model): a table and a `skbpnet train` model of it, under its default name."""
    folder = tmp_path_factory.mktemp("iris")
    iris_frame().to_csv(folder / "flowers.csv", index=False)
    run_cli("train", folder / "flowers.csv", "--target", "species", *TINY_TRAIN, cwd=folder)
    return folder / "flowers.csv", folder / "skbpnet-flowers.skbpnet"


class _Marker:
    """Unpickling this creates the file ``path``: a stand-in for any code a pickle runs."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def test_the_default_format_is_safe_and_names_the_file(digits, iris):
    assert zipfile.is_zipfile(digits) and type(skbpnet.load(digits)) is BPNetClassifier
    assert type(skbpnet.load(iris[1])).__name__ == "Pipeline"  # loaded without unpickling


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_is_never_loaded_without_trust_pickle(tmp_path, digits, protocol):
    marker = tmp_path / "marker"
    (tmp_path / "model.skbpnet").write_bytes(pickle.dumps(_Marker(str(marker)), protocol))
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    before = snapshot(tmp_path)
    res = run_cli("predict", tmp_path / "model.skbpnet", tmp_path / "x.npy", check=False)
    assert_refused(res, "model.skbpnet is a pickle file", "runs any code", "--trust-pickle",
                   "skbpnet.save")
    assert not marker.exists() and snapshot(tmp_path) == before
    # The flag does what its help says: the pickle runs (here: it creates the marker),
    # and what it gives is still refused in one line, since it is not a model.
    res = run_cli("predict", tmp_path / "model.skbpnet", tmp_path / "x.npy", "--trust-pickle",
                  check=False)
    assert_refused(res, "holds a TextIOWrapper, not a model that can predict")
    assert marker.exists()


def test_trust_pickle_help_says_what_it_means():
    res = run_cli("predict", "--help")
    text = " ".join(res.stdout.split())
    assert "--trust-pickle" in text and "runs any code it contains" in text
    assert "files you made yourself" in text


def test_format_joblib_is_named_joblib_and_needs_trust_pickle(tmp_path, digits):
    res = run_cli("digits", *TINY_TRAIN, "--format", "joblib", cwd=tmp_path)
    model = tmp_path / "skbpnet-digits.joblib"
    assert "skbpnet-digits.joblib (joblib)" in res.stdout and model.exists()
    X = np.random.default_rng(0).random((3, 64))
    np.save(tmp_path / "x.npy", X)
    res = run_cli("predict", model, tmp_path / "x.npy", check=False)
    assert_refused(res, "is a joblib/pickle file", "--trust-pickle")
    res = run_cli("predict", model, tmp_path / "x.npy", "--trust-pickle")
    import joblib

    assert [int(v) for v in res.stdout.split()] == joblib.load(model).predict(X).tolist()


@pytest.mark.parametrize("output, fmt, words", [
    ("m.joblib", None, ["names a joblib file, but --format is safe", "name it m.skbpnet"]),
    ("m.pkl", None, ["names a joblib file", "--format joblib"]),
    ("m.skbpnet", "joblib", ["names a safe file, but --format is joblib", "m.joblib"]),
])
def test_a_name_that_says_the_other_format_is_refused(tmp_path, output, fmt, words):
    extra = ("--format", fmt) if fmt else ()
    res = run_cli("digits", *TINY_TRAIN, "--output", output, *extra, cwd=tmp_path, check=False)
    assert_refused(res, *words)
    assert os.listdir(tmp_path) == [] and res.stdout == ""


@pytest.mark.parametrize("case", ["input", "text", "text-force", "model", "joblib-by-content"])
def test_a_model_replaces_only_a_model_file(tmp_path, case):
    iris_frame().iloc[::5].to_csv(tmp_path / "data.csv", index=False)  # 3 classes
    out = {"input": "data.csv", "text": "notes.txt", "text-force": "notes.txt",
           "model": "m.skbpnet", "joblib-by-content": "old.model"}[case]
    (tmp_path / "notes.txt").write_text("my notes\n")
    if case == "model":
        run_cli("train", "data.csv", "--target", "species", *TINY_TRAIN, "--output", out,
                cwd=tmp_path)
    if case == "joblib-by-content":  # a joblib model with a name that says nothing
        run_cli("train", "data.csv", "--target", "species", *TINY_TRAIN, "--output", out,
                "--format", "joblib", cwd=tmp_path)
    before = snapshot(tmp_path)
    force = ("--force",) if case in ("input", "text-force") else ()
    res = run_cli("train", "data.csv", "--target", "species", *TINY_TRAIN, "--seed", "1",
                  "--output", out, *force, cwd=tmp_path, check=False)
    after = snapshot(tmp_path)
    if case in ("input", "text"):
        words = (["is also an input of this command"] if case == "input" else
                 ["notes.txt exists and is a text file, not a model file", "--force"])
        assert_refused(res, *words)
        assert after == before and "held-out" not in res.stdout  # refused before training
    else:
        assert res.returncode == 0, res.stderr
        assert sorted(after) == sorted(before) and after[out] != before[out]
        assert type(skbpnet.load(tmp_path / out)).__name__ == "Pipeline"
        assert after["data.csv"] == before["data.csv"]


@pytest.mark.parametrize("case", ["model", "input", "text", "text-force"])
def test_predictions_never_replace_a_model_or_an_input(tmp_path, iris, case):
    csv_path, model = iris
    out = {"model": model, "input": csv_path}.get(case, tmp_path / "p.csv")
    (tmp_path / "p.csv").write_text("not predictions\n")
    force = ("--force",) if case in ("text-force", "input") else ()
    before = snapshot(model.parent), snapshot(tmp_path)
    res = run_cli("predict", model, csv_path, "--output", out, *force, check=False)
    if case in ("model", "input", "text"):
        words = {"model": ["is also an input of this command"],
                 "input": ["is also an input of this command"],
                 "text": ["p.csv exists", "--force"]}[case]
        assert_refused(res, *words)
        assert (snapshot(model.parent), snapshot(tmp_path)) == before
    else:
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "p.csv").read_text().startswith("species\n")
        assert os.listdir(tmp_path) == ["p.csv"] and snapshot(model.parent) == before[0]


def test_predictions_never_replace_another_model_file(tmp_path, digits, iris):
    other = tmp_path / "other.skbpnet"
    other.write_bytes(digits.read_bytes())
    res = run_cli("predict", iris[1], iris[0], "--output", other, "--force", check=False)
    assert_refused(res, "is a model file", "choose another name")
    assert other.read_bytes() == digits.read_bytes() and os.listdir(tmp_path) == ["other.skbpnet"]


@pytest.mark.parametrize("where", ["directory", "missing-folder"])
@pytest.mark.parametrize("option", ["train --output", "digits --output", "train --plot",
                                    "predict --output"])
def test_outputs_are_checked_before_any_work(tmp_path, iris, where, option):
    command, flag = option.split()
    if flag == "--plot":
        pytest.importorskip("matplotlib")
    (tmp_path / "dir").mkdir()
    path = tmp_path / "dir" if where == "directory" else tmp_path / "nowhere" / "f.png"
    if command == "predict":
        args = ("predict", iris[1], iris[0], flag, path)
    else:
        data = (iris[0], "--target", "species") if command == "train" else ()
        args = (command, *data, *TINY_TRAIN, flag, path)
        if flag == "--plot":
            args += ("--output", tmp_path / "m.skbpnet")
    before = snapshot(tmp_path), snapshot(iris[0].parent)
    res = run_cli(*args, check=False)
    assert_refused(res, *(["is a directory"] if where == "directory" else
                          ["does not exist", "mkdir -p"]))
    assert res.stdout == "" and (snapshot(tmp_path), snapshot(iris[0].parent)) == before


def test_an_unwritable_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    from skbpnet.cli import main

    folder = str(tmp_path / "ro")
    os.mkdir(folder)
    real_access = os.access  # (the tests may run as root, who may write anywhere)
    monkeypatch.setattr(os, "access", lambda p, mode: (
        False if os.path.abspath(p) == folder else real_access(p, mode)))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        main(["digits", "--epochs", "1", "--output", os.path.join(folder, "m.skbpnet")], out=out)
    assert exc.value.code == 2 and out.getvalue() == ""
    assert "cannot write into the folder" in capsys.readouterr().err


def _truncated(folder, digits):
    data = digits.read_bytes()
    (folder / "cut.skbpnet").write_bytes(data[: len(data) // 2])
    return "cut.skbpnet", ["cut.skbpnet is a damaged or truncated ZIP archive"]


def _damaged(folder, digits):
    data = bytearray(digits.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the weights: the ZIP opens, its CRC fails
    (folder / "bad.skbpnet").write_bytes(bytes(data))
    return "bad.skbpnet", ["bad.skbpnet", "damaged"]


def _npz(folder, digits):
    np.savez(folder / "w.npz", a=np.zeros(3))
    return "w.npz", ["w.npz is a NumPy .npz archive, not a model file"]


@pytest.mark.parametrize("make", [
    _truncated, _damaged, _npz,
    lambda f, d: (np.save(f / "x.npy", np.zeros(3)), "x.npy",
                  ["x.npy is a NumPy array (.npy), not a model file"])[1:],
    lambda f, d: ((f / "t.csv").write_text("a,b\n1,2\n"), "t.csv",
                  ["t.csv is a CSV text file, not a model file"])[1:],
    lambda f, d: ((f / "m").mkdir(), "m", ["m is a directory, not a model file"])[1:],
    lambda f, d: ((f / "e.skbpnet").write_bytes(b""), "e.skbpnet",
                  ["e.skbpnet is an empty file"])[1:],
], ids=["truncated", "damaged", "npz", "npy", "csv", "directory", "empty"])
def test_a_model_file_that_is_not_a_model_is_named_in_one_line(tmp_path, digits, make):
    name, words = make(tmp_path, digits)
    np.save(tmp_path / "in.npy", np.zeros((2, 64)))
    before = snapshot(tmp_path)
    res = run_cli("predict", name, "in.npy", cwd=tmp_path, check=False)
    assert_refused(res, *words)
    assert snapshot(tmp_path) == before


def test_a_pipeline_that_cannot_predict_is_refused_in_one_line(tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.arange(12.0).reshape(6, 2)
    skbpnet.save(Pipeline([("scale", StandardScaler())]).fit(X), tmp_path / "p.skbpnet")
    np.save(tmp_path / "x.npy", X)
    res = run_cli("predict", "p.skbpnet", "x.npy", cwd=tmp_path, check=False)
    assert_refused(res, "p.skbpnet holds a Pipeline whose last step ('scale', a StandardScaler) "
                        "cannot predict")


@pytest.mark.parametrize("first_row", ["0.5,0.5x", "pixel0,pixel1"])
def test_an_array_model_takes_every_csv_row_as_data(tmp_path, digits, first_row):
    rows = ["0.1," * 63 + "0.2"] * 10
    rows[0] = first_row + ",0" * 62  # a typo, or a header: a row that is not numbers
    (tmp_path / "x.csv").write_text("\n".join(rows) + "\n")
    res = run_cli("predict", digits, "x.csv", "--output", "p.csv", cwd=tmp_path, check=False)
    assert_refused(res, "x.csv: row 1 is not numbers", "without a header row")
    assert os.listdir(tmp_path) == ["x.csv"]
    rows[0] = rows[1]
    (tmp_path / "x.csv").write_text("\n".join(rows) + "\n")
    res = run_cli("predict", digits, "x.csv", cwd=tmp_path)
    assert len(res.stdout.splitlines()) == 10


def _classifier_with_awkward_labels():
    X = np.random.default_rng(0).normal(size=(30, 3))
    labels = np.array(["line\nbreak", "a,comma", 'a "quote"'])
    return BPNetClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(
        X, labels[np.arange(30) % 3]), X


def test_one_prediction_row_per_input_row_whatever_the_labels(tmp_path):
    clf, X = _classifier_with_awkward_labels()
    skbpnet.save(clf, tmp_path / "m.skbpnet")
    np.savetxt(tmp_path / "x.csv", X[:7], delimiter=",")
    res = run_cli("predict", "m.skbpnet", "x.csv", cwd=tmp_path)
    assert [row[0] for row in csv.reader(io.StringIO(res.stdout))] == clf.predict(
        X[:7]).tolist()
    res = run_cli("predict", "m.skbpnet", "x.csv", "--proba", cwd=tmp_path)
    header, *rows = csv.reader(io.StringIO(res.stdout))
    assert header == [f"P({c})" for c in clf.classes_] and len(rows) == 7


def test_table_predictions_have_one_row_per_input_row(tmp_path):
    df = iris_frame().head(40)
    df["species"] = np.where(np.arange(40) % 2, "two\nlines", "one, with a comma")
    df.to_csv(tmp_path / "t.csv", index=False)
    run_cli("train", "t.csv", "--target", "species", *TINY_TRAIN, "--output", "m.skbpnet",
            cwd=tmp_path)
    res = run_cli("predict", "m.skbpnet", "t.csv", cwd=tmp_path)
    header, *rows = csv.reader(io.StringIO(res.stdout))
    assert header == ["species"] and len(rows) == 40
    assert {r[0] for r in rows} <= {"two\nlines", "one, with a comma"}


def test_an_unfitted_trusted_model_is_refused_in_one_line(tmp_path):
    import joblib

    joblib.dump(BPNetClassifier(), tmp_path / "m.joblib")
    np.save(tmp_path / "x.npy", np.zeros((2, 3)))
    res = run_cli("predict", "m.joblib", "x.npy", "--trust-pickle", cwd=tmp_path, check=False)
    assert_refused(res, "m.joblib holds a BPNetClassifier that was never fitted")


def test_a_model_trained_on_named_columns_reads_a_header_row(tmp_path):
    import pandas as pd

    from skbpnet import BPNetRegressor

    df = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) ** 2})
    reg = BPNetRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    skbpnet.save(reg.fit(df, df["a"]), tmp_path / "m.skbpnet")
    df[["b", "a"]].to_csv(tmp_path / "t.csv", index=False)  # any column order
    res = run_cli("predict", "m.skbpnet", "t.csv", cwd=tmp_path)
    header, *rows = csv.reader(io.StringIO(res.stdout))
    assert header == ["prediction"] and len(rows) == 8
    np.testing.assert_array_equal([float(r[0]) for r in rows], reg.predict(df))


def test_a_plot_format_matplotlib_cannot_write_is_refused_before_training(tmp_path):
    pytest.importorskip("matplotlib")
    res = run_cli("digits", *TINY_TRAIN, "--plot", "curves.txt", cwd=tmp_path, check=False)
    assert_refused(res, "--plot curves.txt: matplotlib cannot write .txt files", ".png")
    assert os.listdir(tmp_path) == [] and res.stdout == ""


def test_a_plot_replaces_an_image_but_not_another_file(tmp_path):
    pytest.importorskip("matplotlib")
    run_cli("digits", *TINY_TRAIN, "--plot", "c.svg", cwd=tmp_path)
    first = (tmp_path / "c.svg").read_bytes()
    run_cli("digits", *TINY_TRAIN, "--plot", "c.svg", "--seed", "1", cwd=tmp_path)
    assert (tmp_path / "c.svg").read_bytes() != first  # its own earlier curves: replaced
    (tmp_path / "notes.png").write_text("my notes\n")
    before = snapshot(tmp_path)
    res = run_cli("digits", *TINY_TRAIN, "--plot", "notes.png", cwd=tmp_path, check=False)
    assert_refused(res, "--plot notes.png exists and is a text file, not an image", "--force")
    assert snapshot(tmp_path) == before


def test_a_file_that_appears_at_the_output_during_training_is_not_replaced(tmp_path, digits):
    # The output is checked before the training and again just before the model is written.
    from skbpnet.cli._files import save_model

    model = skbpnet.load(digits)
    notes = tmp_path / "notes.skbpnet"
    notes.write_text("written by someone else while the network trained\n")
    with pytest.raises(SystemExit) as exc:
        save_model(model, str(notes), "safe")
    assert exc.value.code == 2
    assert notes.read_text() == "written by someone else while the network trained\n"
    assert os.listdir(tmp_path) == ["notes.skbpnet"]


def test_a_model_of_another_version_loads_with_a_one_line_warning(tmp_path, digits, monkeypatch):
    from skbpnet import _version

    model = skbpnet.load(digits)
    monkeypatch.setattr(_version, "current", lambda: "0.0.1")
    skbpnet.save(model, tmp_path / "old.skbpnet")
    monkeypatch.undo()
    np.save(tmp_path / "x.npy", np.zeros((3, 64)))
    res = run_cli("predict", tmp_path / "old.skbpnet", tmp_path / "x.npy")
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 3
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skbpnet: warning: ")
    assert "0.0.1" in lines[0] and "Traceback" not in res.stderr
