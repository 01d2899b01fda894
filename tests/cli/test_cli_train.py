"""``skbpnet train DATA --target COLUMN`` and ``skbpnet predict MODEL DATA.csv``, as subprocesses."""

import io

import numpy as np
import pandas as pd
import pytest
from _cli_helpers import diabetes_frame, iris_frame, run_cli
from sklearn.pipeline import Pipeline

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    """(folder, csv, model, stdout of train): a classifier trained by the command."""
    folder = tmp_path_factory.mktemp("iris")
    csv, model = folder / "iris.csv", folder / "iris.skbpnet"
    iris_frame().to_csv(csv, index=False)
    # 100 epochs (the default): inputs scaled by the interquartile range (issue 21) are
    # smaller than standardised ones, and 60 epochs of Adam at 1e-3 no longer suffice.
    res = run_cli("train", csv, "--target", "species", "--epochs", "100", "--threads", "1",
                  "--output", model)
    return folder, csv, model, res.stdout


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    """(folder, csv, model, stdout of train): a regressor trained by the command."""
    folder = tmp_path_factory.mktemp("diabetes")
    csv, model = folder / "diabetes.csv", folder / "diabetes.skbpnet"
    diabetes_frame().to_csv(csv, index=False)
    res = run_cli("train", csv, "--target", "target", "--epochs", "60", "--threads", "1",
                  "--alpha", "1", "--output", model)
    return folder, csv, model, res.stdout


def test_train_classification_on_a_csv(iris):
    _, _, model, out = iris
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 100 and "test acc" in lines[-1]
    assert "classification into 3 classes of 'species'" in out
    assert "4 numeric column(s), 1 text column(s)" in out
    assert float(out.split("held-out accuracy: ")[1].split()[0]) >= 0.85
    pipe = skbpnet.load(model)
    assert isinstance(pipe, Pipeline) and isinstance(pipe[-1], BPNetClassifier)
    assert pipe.target_name_ == "species"
    assert list(pipe.feature_names_in_) == ["sepal length (cm)", "sepal width (cm)",
                                            "petal length (cm)", "petal width (cm)", "garden"]
    assert pipe[-1].callbacks is None and pipe[-1].n_iter_ == 100
    assert "(30 rows;" in out  # --test-size 0.2 of 150 rows


def test_held_out_split_is_stratified(iris):
    import argparse

    from skbpnet.cli._tabular import _holdout

    df = iris_frame()
    X, y = df.drop(columns="species"), df["species"]
    args = argparse.Namespace(test_size=0.2, seed=0)
    _, X_test, _, y_test = _holdout(X, y, "classification", args)
    assert y_test.value_counts().tolist() == [10, 10, 10]  # 30 rows, classes balanced
    # ... and it is the split the command scored on.
    acc = float(iris[3].split("held-out accuracy: ")[1].split()[0])
    assert acc == pytest.approx(skbpnet.load(iris[2]).score(X_test, y_test), abs=5e-5)


def test_train_regression_on_a_csv(diabetes):
    _, csv, model, out = diabetes
    assert "regression of 'target'" in out and "test R2" in out
    r2 = float(out.split("held-out R2: ")[1].split()[0])
    assert r2 > 0.2  # a linear model gets about 0.4 on this table
    pipe = skbpnet.load(model)
    assert isinstance(pipe[-1].regressor_, BPNetRegressor)
    assert pipe[-1].regressor_.callbacks is None and pipe[-1].regressor.callbacks is None
    preds = pipe.predict(pd.read_csv(csv).drop(columns="target"))
    assert 100 < preds.mean() < 200  # on the scale of the target, not the standardised one


def _last_epoch_and_final(out, label, final):
    last = [line for line in out.splitlines() if line.startswith("epoch")][-1]
    return float(last.split(label + " ")[1].split()[0]), float(out.split(final)[1].split()[0])


def test_progress_scores_the_network_as_predict_does(iris):
    # No early stopping: the last epoch's network is the saved one, same score.
    last, held_out = _last_epoch_and_final(iris[3], "test acc", "held-out accuracy: ")
    assert last == pytest.approx(held_out, abs=2e-4)


def test_progress_of_a_binary_classifier_and_a_regressor(tmp_path, diabetes):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    df = data.frame
    df["diagnosis"] = np.array(data.target_names)[df.pop("target")]  # text classes
    df.to_csv(tmp_path / "cancer.csv", index=False)
    res = run_cli("train", tmp_path / "cancer.csv", "--target", "diagnosis", "--epochs", "20",
                  "--threads", "1", "--output", tmp_path / "cancer.skbpnet")
    assert "classification into 2 classes" in res.stdout
    last, held_out = _last_epoch_and_final(res.stdout, "test acc", "held-out accuracy: ")
    assert held_out > 0.9 and last == pytest.approx(held_out, abs=2e-4)
    last, held_out = _last_epoch_and_final(diabetes[3], "test R2", "held-out R2: ")
    assert last == pytest.approx(held_out, abs=2e-4)


def test_predict_round_trip_classification(iris):
    folder, csv, model, _ = iris
    res = run_cli("predict", model, csv)
    got = pd.read_csv(io.StringIO(res.stdout))
    assert list(got.columns) == ["species"]
    expected = skbpnet.load(model).predict(pd.read_csv(csv))  # the target column is ignored
    assert got["species"].tolist() == expected.tolist()
    assert len(got) == 150  # rows with missing values are predicted too
    run_cli("predict", model, csv, "--output", folder / "p.csv")
    assert pd.read_csv(folder / "p.csv")["species"].tolist() == expected.tolist()


def test_predict_round_trip_regression(diabetes):
    _, csv, model, _ = diabetes
    no_target = csv.parent / "no_target.csv"
    pd.read_csv(csv).drop(columns="target").to_csv(no_target, index=False)
    res = run_cli("predict", model, no_target)
    lines = res.stdout.splitlines()
    assert lines[0] == "target"
    got = np.array([float(v) for v in lines[1:]])  # float() reads repr back exactly
    expected = skbpnet.load(model).predict(pd.read_csv(no_target))
    np.testing.assert_array_equal(got, expected)


def test_predict_proba(iris):
    _, csv, model, _ = iris
    res = run_cli("predict", model, csv, "--proba")
    header, *rows = res.stdout.splitlines()
    assert header.split(",") == ["P(setosa)", "P(versicolor)", "P(virginica)"]
    got = np.array([[float(v) for v in row.split(",")] for row in rows])
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    np.testing.assert_array_equal(got,
                                  skbpnet.load(model).predict_proba(pd.read_csv(csv)))


def test_predict_proba_refused_for_a_regressor(diabetes):
    res = run_cli("predict", diabetes[2], diabetes[1], "--proba", check=False)
    assert res.returncode == 2 and "--proba needs a classifier" in res.stderr


def test_unseen_category_and_reordered_columns(iris):
    folder, csv, model, _ = iris
    df = pd.read_csv(csv).drop(columns="species").iloc[:5]
    df["garden"] = "on the moon"  # unseen at training: one-hot encoded as all zeros
    df = df[df.columns[::-1]]
    df.to_csv(folder / "new.csv", index=False)
    res = run_cli("predict", model, folder / "new.csv")
    assert res.stdout.splitlines()[0] == "species" and len(res.stdout.splitlines()) == 6


def test_missing_and_renamed_columns_are_refused(iris):
    folder, csv, model, _ = iris
    df = pd.read_csv(csv)
    df.drop(columns="garden").to_csv(folder / "missing.csv", index=False)
    res = run_cli("predict", model, folder / "missing.csv", check=False)
    assert res.returncode == 2 and "'garden'" in res.stderr and "lacks 1 column" in res.stderr
    assert "Traceback" not in res.stderr
    df.rename(columns={"sepal width (cm)": "sepal_width"}).to_csv(folder / "renamed.csv",
                                                                  index=False)
    res = run_cli("predict", model, folder / "renamed.csv", check=False)
    assert res.returncode == 2 and "'sepal width (cm)'" in res.stderr
    assert "'sepal_width'" in res.stderr  # the column it has instead


def test_headerless_csv_is_refused_with_a_hint(iris):
    folder, csv, model, _ = iris
    pd.read_csv(csv).to_csv(folder / "noheader.csv", index=False, header=False)
    res = run_cli("predict", model, folder / "noheader.csv", check=False)
    assert res.returncode == 2 and "header row" in res.stderr


def test_missing_target_column_is_refused(tmp_path):
    iris_frame().to_csv(tmp_path / "t.csv", index=False)
    res = run_cli("train", tmp_path / "t.csv", "--target", "kind", check=False, cwd=tmp_path)
    assert res.returncode == 2 and "no column 'kind'" in res.stderr and "'species'" in res.stderr


def test_task_override_and_default_output_name(tmp_path):
    from sklearn.datasets import load_iris

    load_iris(as_frame=True).frame.to_csv(tmp_path / "flowers.csv", index=False)
    res = run_cli("train", "flowers.csv", "--target", "target", "--epochs", "3", "--quiet",
                  cwd=tmp_path)
    assert "held-out accuracy" in res.stdout  # an integer target: classification
    res = run_cli("train", "flowers.csv", "--target", "target", "--epochs", "3", "--quiet",
                  "--task", "regression", cwd=tmp_path)
    assert "held-out R2" in res.stdout
    pipe = skbpnet.load(tmp_path / "skbpnet-flowers.skbpnet")
    assert isinstance(pipe[-1].regressor_, BPNetRegressor)


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    iris_frame().to_parquet(tmp_path / "t.parquet")
    res = run_cli("train", tmp_path / "t.parquet", "--target", "species", "--epochs", "3",
                  "--quiet", "--output", tmp_path / "m.skbpnet")
    assert "held-out accuracy" in res.stdout
    res = run_cli("predict", tmp_path / "m.skbpnet", tmp_path / "t.parquet")
    assert len(res.stdout.splitlines()) == 151


def test_parquet_without_pyarrow_says_what_to_install(tmp_path):
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    res = run_cli("train", tmp_path / "t.parquet", "--target", "y", block=["pyarrow"],
                  check=False)
    assert res.returncode == 2 and "pip install pyarrow" in res.stderr
    assert "Traceback" not in res.stderr


# -- issue 21: the task, the columns, reading, what it did, a yardstick ----------------------
def _refused(res, *phrases):
    """Exit 2, one line on stderr starting with 'skbpnet: ', naming each phrase."""
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("skbpnet: ") and res.stderr.count("\n") == 1
    assert "Traceback" not in res.stderr
    for phrase in phrases:
        assert phrase in res.stderr, res.stderr
    return res.stderr


def _diamonds(n=400, seed=0):
    """A diamonds-like table: an integer price of hundreds of distinct values."""
    rng = np.random.default_rng(seed)
    carat = rng.uniform(0.2, 2.5, n)
    cut = rng.choice(["Fair", "Good", "Ideal"], n)
    price = (3000 * carat ** 1.5 + 400 * (cut == "Ideal") + rng.normal(0, 100, n)).astype(int)
    return pd.DataFrame({"carat": carat, "cut": cut, "price": np.maximum(price, 300)})


def test_an_integer_target_of_many_values_is_regression(tmp_path):
    _diamonds().to_csv(tmp_path / "d.csv", index=False)
    res = run_cli("train", tmp_path / "d.csv", "--target", "price", "--epochs", "2",
                  "--output", tmp_path / "m.skbpnet")
    line = next(x for x in res.stdout.splitlines() if x.startswith("task: "))
    assert line.startswith("task: regression (") and "distinct whole numbers in" in line
    assert "--task classification to change" in line and "held-out R2" in res.stdout
    assert isinstance(skbpnet.load(tmp_path / "m.skbpnet")[-1].regressor_, BPNetRegressor)


def test_a_classification_of_too_many_classes_is_refused(tmp_path):
    csv = tmp_path / "d.csv"
    _diamonds().to_csv(csv, index=False)
    before = csv.read_bytes()
    res = run_cli("train", csv, "--target", "price", "--task", "classification",
                  "--output", tmp_path / "m.skbpnet", check=False)
    _refused(res, "classes in 400 rows is too many", "--task regression")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"] and csv.read_bytes() == before


def _messy(n=80):
    rng = np.random.default_rng(3)
    y = rng.choice(["yes", "no"], n)
    return pd.DataFrame({
        "id": np.arange(n) + 1000, "x": rng.normal(size=n) + (y == "yes"),
        "day": pd.date_range("2022-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "note": [f"a; b, c {i % 4}" for i in range(n)], "const": 1, "y": y})


def test_the_column_table_ids_dates_and_the_yardstick(tmp_path):
    _messy().to_csv(tmp_path / "t.csv", index=False)
    res = run_cli("train", tmp_path / "t.csv", "--target", "y", "--epochs", "3", "--compare",
                  "--output", tmp_path / "m.skbpnet")
    rows = {line.split()[0]: line for line in res.stdout.splitlines()
            if line.split() and line.split()[0] in ("id", "x", "day", "note", "const")}
    assert "dropped: ID-like" in rows["id"] and rows["id"].endswith(" 0")
    assert "numeric" in rows["x"] and "robust-scaled, smooth-clipped" in rows["x"]
    assert "date parts" in rows["day"] and rows["day"].endswith(" 6")
    assert "one-hot, 4 values" in rows["note"] and "dropped: constant" in rows["const"]
    assert "total width: 11" in res.stdout
    from skbpnet.cli import build_parser
    from skbpnet.cli._tabular import _holdout

    df = pd.read_csv(tmp_path / "t.csv")
    args = build_parser().parse_args(["train", "t.csv", "--target", "y"])
    _, _, y_train, y_test = _holdout(df.drop(columns="y"), df["y"], "classification", args)
    majority = (y_test == y_train.value_counts().idxmax()).mean()  # on the same rows
    assert f"trivial baseline (the majority class) accuracy: {majority:.4f}" in res.stdout
    assert "HistGradientBoosting accuracy: " in res.stdout and "same preprocessing" in res.stdout
    quiet = run_cli("train", tmp_path / "t.csv", "--target", "y", "--epochs", "1", "--quiet",
                    "--output", tmp_path / "q.skbpnet")
    assert "what was done" not in quiet.stdout and "trivial baseline" in quiet.stdout
    # predict reads the dates and the text again
    pred = run_cli("predict", tmp_path / "m.skbpnet", tmp_path / "t.csv")
    assert len(pred.stdout.splitlines()) == 81


def test_drop_and_keep(tmp_path):
    _messy().to_csv(tmp_path / "t.csv", index=False)
    res = run_cli("train", tmp_path / "t.csv", "--target", "y", "--epochs", "1",
                  "--keep", "id", "--drop", "note", "--output", tmp_path / "m.skbpnet")
    assert "total width: 8" in res.stdout  # id 1 + x 1 + day 6
    assert "dropped: --drop" in res.stdout
    res = run_cli("train", tmp_path / "t.csv", "--target", "y", "--drop", "x", "day", "note",
                  "--output", tmp_path / "n.skbpnet", check=False)
    _refused(res, "no column is left to learn from", "'id' dropped: ID-like", "--keep")
    res = run_cli("train", tmp_path / "t.csv", "--target", "y", "--keep", "nope",
                  "--output", tmp_path / "n.skbpnet", check=False)
    _refused(res, "no column 'nope'")
    assert not (tmp_path / "n.skbpnet").exists()


def test_semicolons_tabs_quotes_and_a_bom_are_read(tmp_path):
    df = _messy()
    df.to_csv(tmp_path / "semi.csv", index=False, sep=";", encoding="utf-8-sig")
    res = run_cli("train", tmp_path / "semi.csv", "--target", "y", "--epochs", "1",
                  "--output", tmp_path / "m.skbpnet")
    assert "one-hot, 4 values" in res.stdout  # 'a; b, c 0' quoted, read whole
    assert list(skbpnet.load(tmp_path / "m.skbpnet").feature_names_in_) == list(df.columns[:-1])
    df.to_csv(tmp_path / "tabs.txt", index=False, sep="\t")
    res = run_cli("train", tmp_path / "tabs.txt", "--target", "y", "--epochs", "1",
                  "--output", tmp_path / "t.skbpnet")
    assert "held-out accuracy" in res.stdout
    res = run_cli("train", tmp_path / "semi.csv", "--target", "y", "--sep", ",",
                  "--output", tmp_path / "x.skbpnet", check=False)
    _refused(res, "has no column 'y'")


def test_without_pandas_the_extra_to_install_is_named(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    res = run_cli("train", tmp_path / "t.csv", "--target", "b", block=["pandas"], check=False)
    _refused(res, 'pip install "skbpnet[tables]"')


def test_label_smoothing_reaches_the_saved_classifier_and_is_refused_for_regression(tmp_path):
    iris_frame().to_csv(tmp_path / "iris.csv", index=False)
    res = run_cli("train", tmp_path / "iris.csv", "--target", "species", "--epochs", "2",
                  "--label-smoothing", "0.2", "--output", tmp_path / "m.skbpnet")
    assert "held-out accuracy" in res.stdout
    assert skbpnet.load(tmp_path / "m.skbpnet")[-1].label_smoothing == 0.2
    # the table default is 0.1, and 0 turns it off
    for option, expected in (((), 0.1), (("--label-smoothing", "0"), 0.0)):
        run_cli("train", tmp_path / "iris.csv", "--target", "species", "--epochs", "2",
                *option, "--output", tmp_path / "m.skbpnet", "--force")
        assert skbpnet.load(tmp_path / "m.skbpnet")[-1].label_smoothing == expected
    _diamonds().to_csv(tmp_path / "d.csv", index=False)
    # the classification default is not applied to a regression, nor refused for it
    res = run_cli("train", tmp_path / "d.csv", "--target", "price", "--epochs", "2",
                  "--output", tmp_path / "r.skbpnet", check=False)
    assert res.returncode == 0 and "held-out R2" in res.stdout
    assert "label-smoothing" not in res.stderr
    assert "2 epochs, glorot weights\n" in res.stdout  # and says no smoothing
    (tmp_path / "r.skbpnet").unlink()
    res = run_cli("train", tmp_path / "d.csv", "--target", "price", "--label-smoothing", "0.1",
                  "--output", tmp_path / "r.skbpnet", check=False)
    _refused(res, "--label-smoothing is for classification", "regression")
    assert not (tmp_path / "r.skbpnet").exists()
    res = run_cli("train", tmp_path / "d.csv", "--target", "price", "--label-smoothing", "1",
                  "--output", tmp_path / "r.skbpnet", check=False)
    assert res.returncode == 2 and "argument --label-smoothing" in res.stderr


def test_an_unstable_run_names_the_command_option(tmp_path):
    _diamonds().to_csv(tmp_path / "d.csv", index=False)
    res = run_cli("train", tmp_path / "d.csv", "--target", "price", "--lr", "1e6", "--epochs",
                  "3", "--output", tmp_path / "m.skbpnet", check=False)
    warning = next(line for line in res.stderr.splitlines() if "training is unstable" in line)
    assert warning.startswith("skbpnet: warning: ") and "Lower --lr (now 1000000.0)" in warning
    assert "learning_rate_init" not in res.stderr and "Traceback" not in res.stderr


def test_tables_start_from_glorot_weights_and_weight_init_reaches_the_saved_model(tmp_path):
    iris_frame().to_csv(tmp_path / "iris.csv", index=False)
    for option, expected in (((), "glorot"), (("--weight-init", "he"), "he")):
        res = run_cli("train", tmp_path / "iris.csv", "--target", "species", "--epochs", "2",
                      *option, "--output", tmp_path / "m.skbpnet", "--force")
        assert skbpnet.load(tmp_path / "m.skbpnet")[-1].weight_init == expected
        # the network line says what it starts from and trains towards
        assert f"2 epochs, {expected} weights, label smoothing 0.1\n" in res.stdout
    res = run_cli("train", tmp_path / "iris.csv", "--target", "species", "--weight-init",
                  "xavier", "--output", tmp_path / "x.skbpnet", check=False)
    assert res.returncode == 2 and "argument --weight-init: invalid choice" in res.stderr
