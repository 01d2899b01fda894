"""skbpnet.tabular: the task, the plan of the columns, SmoothClipScaler and make_pipeline_for."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.utils.estimator_checks import parametrize_with_checks

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, ModelFileError
from skbpnet.tabular import (MAX_ONEHOT, ColumnPlan, SmoothClipScaler, check_classes,
                             encoded_size, infer_task, make_pipeline_for, plan_columns)

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("y, task", [
    # diamonds' price: thousands of distinct integers -> regression, not 10,664 classes
    (RNG.integers(300, 19_000, size=5000), "regression"),
    (np.arange(300) % 3, "classification"),  # 3 integer values
    (np.arange(300) % 3 + 1.0, "classification"),  # 3 whole floats: as AutoGluon
    (np.arange(300) % 3 + 0.5, "regression"),  # 3 floats that are not whole
    (np.array([0.1, 0.7] * 50), "classification"),  # any 2 values: binary
    (np.array(["a", "b", "c"] * 20, dtype=object), "classification"),
    (np.arange(50) % 10, "regression"),  # 10 values in 50 rows: over 10% of the rows
])
def test_task_is_inferred_as_autogluon_does(y, task):
    chosen, reason = infer_task(pd.Series(y))
    assert chosen == task and reason
    assert infer_task(pd.Series(y), "regression") == ("regression", "as chosen")


def test_too_many_classes_are_refused_with_the_way_out():
    with pytest.raises(ValueError, match="4000 classes in 5000 rows.*--task regression"):
        check_classes(pd.Series(np.arange(5000) % 4000))
    check_classes(pd.Series(np.arange(5000) % 40))  # 125 rows a class: fine


def _table(n=60):
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "id": rng.permutation(n), "row": np.linspace(0, 1, n) ** 2,
        "x": rng.normal(size=n), "const": 7, "empty": np.nan,
        "when": pd.date_range("2021-01-01", periods=n, freq="37h").astype(str),
        "few": rng.choice(["a", "b"], n), "many": [f"v{i % 45}" for i in range(n)],
        "name": [f"person {i}" for i in range(n)],
    })


def test_a_sorted_key_repeated_over_rows_is_id_like_and_a_sorted_year_is_not():
    n = 400
    X = pd.DataFrame({"patient": np.repeat(np.arange(1, n // 2 + 1), 2),  # 2 rows each
                      "year": np.repeat([2019, 2020, 2021, 2022], n // 4),  # sorted, few values
                      "visits": np.repeat(np.arange(n // 4), 4),  # repeated 4 times: kept
                      "shuffled": np.random.default_rng(0).permutation(np.repeat(
                          np.arange(n // 2), 2))})
    plans = {p.name: p for p in plan_columns(X)}
    assert plans["patient"].action.startswith("dropped: ID-like, a sorted key")
    assert plans["patient"].width == 0
    assert all(plans[c].width == 1 for c in ("year", "visits", "shuffled"))
    assert plan_columns(X, keep=["patient"])[0].width == 1


def test_plan_drops_ids_constants_and_empty_columns_and_bounds_text():
    plans = {p.name: p for p in plan_columns(_table())}
    assert plans["id"].action == "dropped: ID-like, all values distinct"
    assert plans["row"].action == "dropped: ID-like, monotone with the row order"
    assert plans["name"].action == "dropped: ID-like, all values distinct"
    assert plans["const"].action == "dropped: constant" and plans["empty"].kind == "empty"
    assert all(plans[c].width == 0 for c in ("id", "row", "name", "const", "empty"))
    assert plans["x"] == ColumnPlan("x", "numeric", "robust-scaled, smooth-clipped", 1)
    assert plans["when"].kind == "date" and plans["when"].width == 6
    assert plans["few"].action == "one-hot, 2 values" and plans["few"].width == 2
    assert plans["many"].width == MAX_ONEHOT and "of 45 values + other" in plans["many"].action


def test_drop_and_keep_override_the_plan():
    plans = {p.name: p for p in plan_columns(_table(), drop=["x"], keep=["id", "const"])}
    assert plans["x"].action == "dropped: --drop" and plans["x"].width == 0
    assert plans["id"].width == 1 and plans["const"].width == 1
    with pytest.raises(ValueError, match="no column 'nope'"):
        plan_columns(_table(), keep=["nope"])


def test_encoded_size_is_checked_before_allocating_and_names_the_widest_columns():
    plans = plan_columns(_table())
    assert encoded_size(plans, 1000) == (1 + 6 + 2 + MAX_ONEHOT, 4 * 39 * 1000)
    with pytest.raises(ValueError, match=r"1000000 rows x 39 columns.*'many' \(30\), "
                                         r"'when' \(6\), 'few' \(2\)"):
        encoded_size(plans, 10**6, available=10**6)
    with pytest.raises(ValueError, match="no column is left.*--keep"):
        encoded_size(plan_columns(_table()[["id", "const"]]), 10)


def test_smooth_clip_scaler_is_realmlp_robust_scale_and_smooth_clip():
    x = np.r_[RNG.lognormal(size=99), 1e9, np.nan]
    out = SmoothClipScaler().fit_transform(x[:, None])[:, 0]
    med, (q25, q75) = np.nanmedian(x), np.nanquantile(x, [0.25, 0.75])
    z = (x - med) / (q75 - q25)
    np.testing.assert_allclose(out[:-1], (z / np.sqrt(1 + (z / 3) ** 2))[:-1])
    assert out[-1] == 0.0 and np.all(np.abs(out) <= 3)  # missing: the median
    constant = SmoothClipScaler().fit(np.ones((5, 1)))
    assert constant.scale_.tolist() == [1.0]


def test_date_parts_and_their_names():
    X = pd.DataFrame({"d": ["2024-03-01 06:00", "2024-03-02", None]})
    scaler = SmoothClipScaler(dates=True).fit(X)
    assert scaler.transform(X).shape == (3, 6) and scaler.transform(X)[2].tolist() == [0] * 6
    assert list(scaler.get_feature_names_out())[:2] == ["d_days", "d_year"]


@parametrize_with_checks([SmoothClipScaler()])
def test_smooth_clip_scaler_is_a_scikit_learn_transformer(estimator, check):
    check(estimator)


def test_the_pipeline_saves_and_loads_in_the_safe_format(tmp_path):
    X = _table()
    y = (X["x"] > 0).map({True: "up", False: "down"})
    pipe = make_pipeline_for(X, y).set_params(network__max_iter=3, network__random_state=0)
    pipe.fit(X, y)
    skbpnet.save(pipe, tmp_path / "m.skbpnet")
    loaded = skbpnet.load(tmp_path / "m.skbpnet")
    assert loaded.predict_proba(X).tobytes() == pipe.predict_proba(X).tobytes()


def test_a_forged_smooth_clip_state_is_refused(tmp_path):
    from tests.io._archives import read_archive, write_archive
    from tests.io.test_pipelines import nodes

    X = _table()[["x"]]
    pipe = make_pipeline_for(X, X["x"]).set_params(network__regressor__max_iter=2)
    skbpnet.save(pipe.fit(X, X["x"]), tmp_path / "m.skbpnet")
    meta, members = read_archive(tmp_path / "m.skbpnet")
    node = next(n for n in nodes(meta) if n["$sklearn"] == "SmoothClipScaler" and n["state"])
    node["params"]["dates"] = True  # 6 outputs a column, but 1 center and 1 scale stored
    write_archive(tmp_path / "forged.skbpnet", meta, members)
    with pytest.raises(ModelFileError, match="SmoothClipScaler.*center_ and scale_ must hold 6"):
        skbpnet.load(tmp_path / "forged.skbpnet")


def test_make_pipeline_for_in_cross_validate_and_grid_search():
    X = _table()
    y = X["x"] * 2 + (X["few"] == "a")
    pipe = make_pipeline_for(X, y)
    assert isinstance(pipe[-1].regressor, BPNetRegressor)
    pipe.set_params(network__regressor__max_iter=5, network__regressor__random_state=0)
    assert len(cross_validate(pipe, X, y, cv=2)["test_score"]) == 2
    grid = GridSearchCV(pipe, {"network__regressor__alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert grid.best_params_["network__regressor__alpha"] in (1e-4, 1e-2)
    classifier = make_pipeline_for(X, X["few"], drop=["x"])
    assert isinstance(classifier[-1], BPNetClassifier)
    assert classifier[0].transformers[0][2] == []  # x dropped


@pytest.mark.parametrize("task, kind", [("classification", "classifier"),
                                        ("regression", "regressor")])
def test_the_python_recipe_is_the_network_the_command_fits_by_default(task, kind):
    """make_pipeline_for's network has every parameter of `skbpnet train`'s with no option."""
    from skbpnet.cli import build_parser
    from skbpnet.cli._common import make_estimator
    from skbpnet.tabular import default_estimator

    args = build_parser().parse_args(["train", "t.csv", "--target", "y"])
    assert make_estimator(args, kind).get_params() == default_estimator(task).get_params()
    # the table defaults (measured in benchmarks/README.md "Defaults tried")
    net = default_estimator(task)
    assert net.weight_init == "glorot"
    if task == "classification":
        assert net.label_smoothing == 0.1
    # and only the table's: mnist and digits keep He weights and no smoothing
    for command in ("mnist", "digits"):
        other = make_estimator(build_parser().parse_args([command]))
        assert other.weight_init == "auto" and other.label_smoothing == 0.0
