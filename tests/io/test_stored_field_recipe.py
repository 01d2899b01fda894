"""The recipe "How to add a stored field" (docs/architecture.rst): one registration.

A fitted value that model files store is declared once, on the estimator
(``_FITTED_VALUES``, or ``_FITTED_OPTIONAL`` for a value that older files
lack); save, load, the checks of both and the key tables read that declaration
(through ``_fitted_fields()`` / ``_get_fitted_state()`` / ``_set_fitted_state()``).
Here a toy field is registered from inside the test, by monkeypatch, and
nothing else changes. A new stored part is likewise one entry of
``skbpnet.io.schema.PARTS`` (how it is written and read back).
"""

import json
import os
import zipfile

import numpy as np
import pytest

import skbpnet
from skbpnet import BPNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIELD = "toy_scale_"


@pytest.fixture
def registered(monkeypatch):
    """The one registration: declare the field as an optional fitted value."""
    monkeypatch.setattr(BPNetClassifier, "_FITTED_OPTIONAL",
                        BPNetClassifier._FITTED_OPTIONAL + (FIELD,))


def _fitted():
    X = np.random.default_rng(0).normal(size=(12, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = BPNetClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    return clf, X


def test_a_registered_field_round_trips(registered, tmp_path):
    clf, X = _fitted()
    value = np.array([0.5, 2.0, -1.25], dtype=np.float32)
    setattr(clf, FIELD, value)
    path = tmp_path / "model.skbpnet"
    skbpnet.save(clf, path)
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("metadata.json"))
    assert f"attr.{FIELD}" in meta["arrays"]  # stored among the fitted values
    loaded = skbpnet.load(path)
    stored = getattr(loaded, FIELD)
    assert stored.dtype == value.dtype and np.array_equal(stored, value)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert os.listdir(tmp_path) == ["model.skbpnet"]


def test_a_file_without_the_optional_field_loads(registered, tmp_path):
    clf, X = _fitted()  # the field is not set: a file of before the registration
    path = tmp_path / "model.skbpnet"
    skbpnet.save(clf, path)
    loaded = skbpnet.load(path)
    assert not hasattr(loaded, FIELD)
    assert np.array_equal(loaded.predict(X), clf.predict(X))


def test_an_unregistered_field_is_refused_and_nothing_written(tmp_path):
    clf, _ = _fitted()
    setattr(clf, FIELD, np.zeros(3))
    path = tmp_path / "model.skbpnet"
    with pytest.raises(ValueError, match=rf"unexpected attributes \['{FIELD}'\]"):
        skbpnet.save(clf, path)
    assert os.listdir(tmp_path) == []


def test_a_registered_part_round_trips(monkeypatch, tmp_path):
    """A new part is one entry of ``schema.PARTS``: written, expected and read back."""
    from skbpnet.io import schema

    seen = []

    def load(node, decoder, built):
        seen.append((node, built["net"].param_vector.size))
        return node

    def dump(params, state, enc):
        return {"n_params": int(state["net"].param_vector.size)}

    part = schema.Part(dump, load)
    monkeypatch.setitem(schema.PARTS, "toy_part", part)
    clf, X = _fitted()
    path = tmp_path / "model.skbpnet"
    skbpnet.save(clf, path)
    with zipfile.ZipFile(path) as zf:
        assert "toy_part" in json.loads(zf.read("metadata.json"))
    loaded = skbpnet.load(path)
    assert seen == [({"n_params": clf._net.param_vector.size}, clf._net.param_vector.size)]
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    monkeypatch.delitem(schema.PARTS, "toy_part")  # unregistered: the file is refused
    with pytest.raises(skbpnet.ModelFileError, match="toy_part"):
        skbpnet.load(path)
