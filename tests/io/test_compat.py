"""Model files written by skbpnet 0.1.0 (format version 1) still load and predict the same.

The files in ``tests/io/data/`` were written by skbpnet 0.1.0 with
``tests/io/make_v010_fixtures.py``; ``expected-0.1.0.npz`` holds what 0.1.0
predicted for them.
"""

import os
import warnings

import joblib
import numpy as np
import pytest

import skbpnet
from skbpnet import InconsistentSkbpnetVersionWarning, ModelFileError
from skbpnet.io.schema import FORMAT_VERSION
from tests.io._archives import read_archive, write_archive

DATA = os.path.join(os.path.dirname(__file__), "data")
CLF = os.path.join(DATA, "classifier-0.1.0.skbpnet")
REG = os.path.join(DATA, "regressor-0.1.0.skbpnet")
CLF_JOBLIB = os.path.join(DATA, "classifier-0.1.0.joblib")


@pytest.fixture(scope="module")
def expected():
    with np.load(os.path.join(DATA, "expected-0.1.0.npz")) as f:
        return {k: f[k] for k in f.files}


def load_old(path, how="safe"):
    """Load a 0.1.0 file; it must warn that it comes from another version."""
    match = f"skbpnet 0.1.0.*{skbpnet.__version__}"
    with pytest.warns(InconsistentSkbpnetVersionWarning, match=match):
        if how == "joblib":
            return joblib.load(path)
        return skbpnet.load(path)






def test_the_fixtures_are_format_version_1_from_0_1_0():
    for path in (CLF, REG):
        meta, _ = read_archive(path)
        assert meta["format_version"] == 1
        assert meta["versions"]["skbpnet"] == "0.1.0"
    assert skbpnet.__version__ != "0.1.0"


@pytest.mark.parametrize("how", ["safe", "joblib"])
def test_classifier_predicts_bitwise_what_0_1_0_predicted(how, expected):
    clf = load_old(CLF_JOBLIB if how == "joblib" else CLF, how)
    X = expected["X"]
    proba = clf.predict_proba(X)
    assert proba.dtype == expected["proba"].dtype
    np.testing.assert_array_equal(proba, expected["proba"])
    np.testing.assert_array_equal(clf.predict(X), expected["labels"])
    assert clf.loss_curve_ == expected["loss_curve"].tolist()
    assert clf.t_ == int(expected["t"])
    assert clf.validation_scores_ == expected["val"].tolist()


def test_0_1_0_files_take_the_defaults_of_parameters_added_since():
    for path in (CLF, REG):
        est = load_old(path)
        assert est.get_params()["max_norm"] is None
        assert type(est)().get_params()["max_norm"] is None
        assert est.get_params()["weight_init"] == "auto"
    clf = load_old(CLF)
    assert clf.get_params()["label_smoothing"] == 0.0
    assert clf._make_loss().label_smoothing == 0.0  # it trains on as 0.1.0 did


def test_regressor_predicts_bitwise_what_0_1_0_predicted(expected):
    reg = load_old(REG)
    pred = reg.predict(expected["X"])
    assert pred.dtype == expected["reg"].dtype
    np.testing.assert_array_equal(pred, expected["reg"])


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_0_1_0_model_trains_on_and_saves_in_the_current_format(how, expected, tmp_path):
    clf = load_old(CLF)
    X, y = expected["X"].astype(np.float32), expected["labels"]
    t_before, n_before = clf.t_, len(clf.loss_curve_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged, few samples
        # The old model has early stopping: partial_fit refuses it, and its
        # stratified hold-out needs 2 samples of each class, more than X has.
        clf.set_params(early_stopping=False)
        if how == "partial_fit":
            clf.partial_fit(X, y)
        else:
            clf.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert clf.t_ > t_before
    assert len(clf.loss_curve_) > n_before
    assert clf.loss_curve_[:n_before] == expected["loss_curve"].tolist()
    assert not np.array_equal(clf.predict_proba(expected["X"]), expected["proba"])

    path = tmp_path / "continued.skbpnet"
    skbpnet.save(clf, path)
    meta, _ = read_archive(path)
    assert meta["format_version"] == FORMAT_VERSION != 1
    assert meta["versions"]["skbpnet"] == skbpnet.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentSkbpnetVersionWarning)
        loaded = skbpnet.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(expected["X"]),
                                  clf.predict_proba(expected["X"]))
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, clf.coefs_ + clf.intercepts_):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert loaded.loss_curve_ == clf.loss_curve_
    assert loaded.t_ == clf.t_
    assert loaded.validation_scores_ == clf.validation_scores_
    assert loaded._history == clf._history


def _forge_layers(meta, how):
    layers = meta["net"]["layers"]
    if how == "layers-size":
        layers[0]["n_out"] = 7
    elif how == "layers-activation":
        layers[1]["type"] = "Tanh"
    elif how == "layers-dropout":
        layers[2]["p"] = 0.5
    elif how == "layers-missing":
        del layers[2]


def _forge_arch(meta, how):
    arch = meta["attributes"]["_arch"]["$tuple"]  # (hidden, activation, dropout, n_features, input_dropout)
    if how == "arch-activation":
        arch[1] = "tanh"
    elif how == "arch-unknown-activation":
        arch[1] = "os.system"
    elif how == "arch-hidden":
        arch[0] = {"$tuple": [6, 4]}
    elif how == "arch-dropout":
        arch[2] = 0.3
    elif how == "arch-input-dropout":
        arch[4] = 0.2
    elif how == "arch-n-features":
        arch[3] = 5


FORGERIES = ["layers-size", "layers-activation", "layers-dropout", "layers-missing",
             "arch-activation", "arch-unknown-activation", "arch-hidden", "arch-dropout",
             "arch-input-dropout", "arch-n-features"]


def test_an_unforged_resealed_copy_loads(tmp_path, expected):
    meta, members = read_archive(CLF)
    path = tmp_path / "copy.skbpnet"
    write_archive(path, meta, members)
    clf = load_old(path)
    np.testing.assert_array_equal(clf.predict_proba(expected["X"]), expected["proba"])


@pytest.mark.parametrize("how", FORGERIES)
def test_a_v1_file_with_forged_layers_or_arch_is_refused(how, tmp_path):
    meta, members = read_archive(CLF)
    (_forge_layers if how.startswith("layers") else _forge_arch)(meta, how)
    path = tmp_path / "forged.skbpnet"
    write_archive(path, meta, members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentSkbpnetVersionWarning)
        with pytest.raises(ModelFileError):
            skbpnet.load(path)


def test_a_0_1_0_pickle_takes_the_defaults_of_parameters_added_since():
    import warnings

    import joblib

    from skbpnet import BPNetClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = joblib.load(os.path.join(DATA, "classifier-0.1.0.joblib"))
    params = est.get_params()
    defaults = BPNetClassifier().get_params()
    for name in ("dtype", "blas_threads", "max_norm", "label_smoothing", "weight_init"):
        assert params[name] == defaults[name]
    assert est.predict(np.zeros((1, est.n_features_in_))).shape == (1,)
