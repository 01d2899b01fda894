"""``skbpnet train ... --format safe``: the pipeline in skbpnet's safe format, and predict from it."""

import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from _cli_helpers import diabetes_frame, iris_frame, run_cli
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.pipeline import Pipeline

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor


@pytest.mark.parametrize("table, target, task", [
    (iris_frame, "species", "classification"),
    (diabetes_frame, "target", "regression"),
])
def test_train_safe_format_and_predict(tmp_path, table, target, task):
    csv = tmp_path / "t.csv"
    table().to_csv(csv, index=False)
    common = ("train", csv, "--target", target, "--epochs", "5", "--threads", "1", "--quiet")
    res = run_cli(*common, "--format", "safe", "--output", tmp_path / "m.skbpnet")
    assert "(safe)" in res.stdout
    run_cli(*common, "--format", "joblib", "--output", tmp_path / "m.joblib")
    assert zipfile.is_zipfile(tmp_path / "m.skbpnet")

    pipe = skbpnet.load(tmp_path / "m.skbpnet")  # no unpickling
    reference = joblib.load(tmp_path / "m.joblib")
    assert isinstance(pipe, Pipeline) and isinstance(pipe[0], ColumnTransformer)
    assert pipe.target_name_ == target
    assert list(pipe.feature_names_in_) == list(reference.feature_names_in_)
    if task == "regression":
        assert isinstance(pipe[-1], TransformedTargetRegressor)
        assert type(pipe[-1].regressor_) is BPNetRegressor
    else:
        assert type(pipe[-1]) is BPNetClassifier
    X = pd.read_csv(csv).drop(columns=target)
    expected = reference.predict(X)
    assert np.array_equal(pipe.predict(X), expected)  # the same training, bitwise

    res = run_cli("predict", tmp_path / "m.skbpnet", csv)
    lines = res.stdout.splitlines()
    assert lines[0] == target and len(lines) == len(X) + 1
    if task == "regression":
        np.testing.assert_array_equal([float(v) for v in lines[1:]], expected)
    else:
        assert lines[1:] == expected.tolist()
        res = run_cli("predict", tmp_path / "m.skbpnet", csv, "--proba")
        header, *rows = res.stdout.splitlines()
        assert header.split(",") == ["P(setosa)", "P(versicolor)", "P(virginica)"]
        got = np.array([[float(v) for v in row.split(",")] for row in rows])
        np.testing.assert_array_equal(got, reference.predict_proba(X))
