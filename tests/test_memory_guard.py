"""What a fit needs in memory: refused up front when it cannot fit, and bounded by a batch.

``skbpnet._memory`` estimates a fit's memory from the shapes before anything
is allocated, and refuses a layer wider than a model file holds (2**24
units); the first loss, the early-stopping hold-out and prediction score
blocks of rows sized by the widest layer, so 10^4 classes cost a batch's
worth of memory. The refusal of concurrent fits is in
``tests/test_estimator_errors.py``.
"""

import re
import time
import tracemalloc

import numpy as np
import pytest
from scipy import sparse

from skbpnet import BPNetClassifier, BPNetRegressor, _memory
from skbpnet._memory import (SCORE_ELEMENTS, FitTooLargeError, available_memory,
                             check_fit_size, fit_memory, rows_per_block)
from skbpnet._network import Architecture
from tests._estimator_helpers import assert_unchanged, make_data, small, snapshot

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BOTH = pytest.mark.parametrize("cls", [BPNetClassifier, BPNetRegressor], ids=["clf", "reg"])


def _gib_needed(message):
    """The GiB a refusal says the fit would need."""
    return float(re.search(r"need about ([0-9.e+]+) GiB", message).group(1))


def _peak_bytes(fn):
    """(result, peak bytes traced by tracemalloc above the start) of ``fn()``."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


# -- refused before allocating --------------------------------------------------------
@BOTH
def test_a_hidden_layer_of_10_to_the_8_units_is_refused_fast_without_allocating(cls):
    X, y = make_data(cls, n=20)
    est = small(cls, hidden_layer_sizes=(10**8,))
    tic = time.perf_counter()
    with pytest.raises(FitTooLargeError) as info:
        _peak_bytes(lambda: est.fit(X, y))
    seconds = time.perf_counter() - tic
    message = str(info.value)
    assert seconds < 1.0
    assert "a hidden layer of 100000000 units" in message and "2**24" in message
    assert _gib_needed(message) > 10  # 10**8 units of float64, several copies
    assert "Use hidden layers of at most 16777216 units." in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, MemoryError)
    assert not hasattr(est, "coefs_") and not hasattr(est, "n_features_in_")


def test_the_refusal_allocates_nothing_big():
    X, y = make_data(BPNetClassifier, n=20)
    est = small(BPNetClassifier, hidden_layer_sizes=(10**8,))

    def fit():
        with pytest.raises(FitTooLargeError):
            est.fit(X, y)

    _, peak = _peak_bytes(fit)
    assert peak < 2**20  # today's main allocated 2 GiB before its MemoryError


def test_more_input_features_than_a_model_file_holds_are_refused():
    X = sparse.csr_matrix(([1.0, 2.0, 3.0], ([0, 1, 2], [0, 5, 2**24])), shape=(3, 2**24 + 1))
    with pytest.raises(FitTooLargeError, match="16777217 input features.*FeatureHasher"):
        small(BPNetRegressor, hidden_layer_sizes=(2,)).fit(X, [0.0, 1.0, 2.0])


def test_more_outputs_than_a_model_file_holds_are_refused(monkeypatch):
    monkeypatch.setattr(_memory, "available_memory", lambda: None)  # the file limit alone
    params = {"solver": "sgd", "batch_size": 10, "early_stopping": False}
    arch = Architecture(2, (3,), "relu", 0.0, 0.0)
    check_fit_size("BPNetClassifier", arch, 2**24, 8, 10, params)  # the limit itself fits
    with pytest.raises(FitTooLargeError, match="16777217 outputs.*at most 16777216"):
        check_fit_size("BPNetClassifier", arch, 2**24 + 1, 8, 10, params)


@BOTH
def test_a_fit_larger_than_the_memory_available_is_refused(cls, monkeypatch):
    monkeypatch.setattr(_memory, "available_memory", lambda: 2**30)
    X, y = make_data(cls, n=300)
    with pytest.raises(FitTooLargeError) as info:
        small(cls, hidden_layer_sizes=(2**20,), batch_size=300).fit(X, y)
    message = str(info.value)
    # 4 copies of a batch of 300 through 2**20 float64 units: 9.4 GiB at least
    assert _gib_needed(message) > 9
    assert "about 1 GiB is available" in message
    assert "batch of 300 rows" in message
    assert message.endswith("Use smaller hidden_layer_sizes, a smaller batch_size or "
                            "dtype='float32'.")


def test_lbfgs_counts_every_row_and_says_so(monkeypatch):
    monkeypatch.setattr(_memory, "available_memory", lambda: 2**30)
    X, y = make_data(BPNetRegressor, n=300)
    est = small(BPNetRegressor, hidden_layer_sizes=(2**19,), solver="lbfgs")
    with pytest.raises(FitTooLargeError, match="batch of 300 rows.*solver='adam' or 'sgd'"):
        est.fit(X, y)


@BOTH
def test_a_refused_warm_start_keeps_the_fitted_model(cls, monkeypatch):
    X, y = make_data(cls)
    est = small(cls, warm_start=True).fit(X, y)
    before = snapshot(est, X)
    monkeypatch.setattr(_memory, "available_memory", lambda: 1024)
    with pytest.raises(FitTooLargeError, match="1 MiB is available"):
        est.fit(X, y)
    assert_unchanged(est, X, before)
    monkeypatch.undo()
    est.set_params(hidden_layer_sizes=(10**8,))
    with pytest.raises(FitTooLargeError, match="100000000 units"):
        est.fit(X, y)
    assert_unchanged(est, X, before)
    est.set_params(hidden_layer_sizes=(8,)).fit(X, y)  # still continues
    assert est.n_iter_ == 5 and est.t_ == 2 * before["t_"]


def test_a_refused_partial_fit_keeps_the_fitted_model(monkeypatch):
    X, y = make_data(BPNetClassifier)
    est = small(BPNetClassifier).partial_fit(X, y, classes=np.unique(y))
    before = snapshot(est, X)
    monkeypatch.setattr(_memory, "available_memory", lambda: 1024)
    with pytest.raises(FitTooLargeError):
        est.partial_fit(X, y)
    assert_unchanged(est, X, before)


def test_without_a_memory_figure_only_the_model_file_limit_applies(monkeypatch):
    monkeypatch.setattr(_memory, "available_memory", lambda: None)
    X, y = make_data(BPNetRegressor, n=20)
    small(BPNetRegressor, hidden_layer_sizes=(3,)).fit(X, y)
    with pytest.raises(FitTooLargeError, match="2\\*\\*24"):
        small(BPNetRegressor, hidden_layer_sizes=(2**24 + 1,)).fit(X, y)


# -- the estimate ---------------------------------------------------------------------
def test_fit_memory_counts_copies_of_the_parameters_and_a_batch_by_hand():
    # 2 -> 3 -> 1: 13 parameters. Adam: parameters, gradients, 2 moments, a
    # scratch vector, and a rollback snapshot of the parameters and the 3 slots.
    params = 9 * 13 * 8
    batch = 4 * 4 * (3 + 1) * 8  # four arrays per unit for a batch of 4
    scoring = 3 * 8192 * 3 * 8  # three arrays of a block of 8192 rows through 3 units
    assert fit_memory([2, 3, 1], 8, 4, 2) == params + batch + scoring
    # early stopping keeps a second snapshot; warm start keeps the fitted state
    assert fit_memory([2, 3, 1], 8, 4, 2, early_stopping=True) == (
        params + 4 * 13 * 8 + batch + scoring)
    assert fit_memory([2, 3, 1], 8, 4, 2, continuing=True) == (
        params + 5 * 13 * 8 + batch + scoring)
    assert fit_memory([2, 3, 1], 4, 4, 1) == 7 * 13 * 4 + (batch + scoring) // 2


def test_available_memory_falls_back_to_the_ram_then_to_none(monkeypatch):
    assert available_memory() > 2**20

    def no_file(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(_memory, "open", no_file, raising=False)
    assert available_memory() > 2**20  # the RAM, from sysconf

    def no_sysconf(name):
        raise ValueError(name)

    monkeypatch.setattr(_memory.os, "sysconf", no_sysconf)
    assert available_memory() is None


def test_rows_per_block_shrink_with_the_width():
    assert rows_per_block(1) == 8192
    assert rows_per_block(20_000) * 20_000 <= SCORE_ELEMENTS
    assert rows_per_block(10**9) == 1


# -- peaks proportional to a batch ---------------------------------------------------
@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
def test_20000_classes_fit_with_a_peak_proportional_to_a_batch():
    # partial_fit names every class, so 2,048 rows suffice: the first loss
    # scores all of them (main scored them at once: 0.9 GiB).
    n_classes, batch = 20_000, 200
    rng = np.random.default_rng(0)
    X, y = rng.random((2048, 2)), rng.integers(0, n_classes, 2048)
    est = BPNetClassifier(hidden_layer_sizes=(2,), batch_size=batch, random_state=0)
    _, peak = _peak_bytes(lambda: est.partial_fit(X, y, classes=np.arange(n_classes)))
    assert est.n_outputs_ == n_classes and np.isfinite(est.loss_)
    assert peak < 6 * batch * n_classes * 8  # 192 MB; a few arrays of a batch's scores
    # predict too: a class per block of rows (main kept every row's 20,000 scores)
    labels, peak = _peak_bytes(lambda: est.predict(X))
    assert peak < 6 * batch * n_classes * 8
    np.testing.assert_array_equal(labels[:50], est._net.infer(X[:50]).argmax(axis=1))


def test_the_early_stopping_hold_out_is_scored_in_blocks():
    # 3 rows of each of 4,000 classes, a third held out: main scored the
    # 4,000 held-out rows against every class at once (3 arrays of 128 MB).
    n_classes = 4_000
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(n_classes), 3)
    X = rng.random((y.size, 2))
    est = BPNetClassifier(hidden_layer_sizes=(2,), max_iter=1, early_stopping=True,
                          validation_fraction=0.34, random_state=0)
    _, peak = _peak_bytes(lambda: est.fit(X, y))
    block = max(200 * n_classes, SCORE_ELEMENTS)
    assert peak < 6 * block * 8
    assert len(est.validation_scores_) == 1 and np.isfinite(est.validation_loss_curve_[0])


def test_blocks_change_no_prediction_or_hold_out_score():
    X, _ = make_data(BPNetClassifier, n=300)
    y = np.arange(300) % 30
    est = BPNetClassifier(hidden_layer_sizes=(5,), max_iter=3, early_stopping=True,
                          validation_fraction=0.5, random_state=0).fit(X, y)
    whole = est._net.infer(X)
    np.testing.assert_allclose(est.decision_function(X), whole)
    held_out = est.validation_scores_
    # Blocks of 7 rows: the same hold-out scores, the same losses up to rounding
    import skbpnet._scoring as network

    original = network.rows_per_block
    try:
        network.rows_per_block = lambda width: 7
        again = BPNetClassifier(**est.get_params()).fit(X, y)
        np.testing.assert_allclose(again.decision_function(X), whole)
    finally:
        network.rows_per_block = original
    assert again.validation_scores_ == held_out
    np.testing.assert_allclose(again.validation_loss_curve_, est.validation_loss_curve_,
                               rtol=1e-12)
    np.testing.assert_allclose(again.loss_curve_, est.loss_curve_, rtol=1e-12)


def test_the_fit_limit_on_layer_width_is_the_model_files():
    # _memory keeps its own copy so that the estimators do not import the reader.
    from skbpnet import _memory
    from skbpnet.io import limits

    assert _memory.MAX_UNITS == limits.MAX_UNITS
