"""LossCurveDisplay draws what the estimator recorded."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklearn.datasets import load_digits  # noqa: E402

from skbpnet import BPNetClassifier, BPNetRegressor  # noqa: E402
from skbpnet.plotting import LossCurveDisplay  # noqa: E402


def test_display_draws_the_recorded_curves(tmp_path):
    X, y = load_digits(return_X_y=True)
    clf = BPNetClassifier(hidden_layer_sizes=(16,), max_iter=8, early_stopping=True,
                          n_iter_no_change=100, random_state=0).fit(X / 16, y)
    disp = LossCurveDisplay.from_estimator(clf, extra_scores=[0.5] * clf.n_iter_,
                                           extra_label="test accuracy")
    loss_line, val_loss_line = disp.ax_.lines
    np.testing.assert_allclose(loss_line.get_ydata(), clf.loss_curve_)
    np.testing.assert_allclose(val_loss_line.get_ydata(), clf.validation_loss_curve_)
    np.testing.assert_array_equal(loss_line.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    score_lines = disp.score_ax_.lines
    np.testing.assert_allclose(score_lines[0].get_ydata(), clf.validation_scores_)
    assert score_lines[1].get_label() == "test accuracy"
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["training loss", "validation loss", "validation score", "test accuracy"]
    path = tmp_path / "curves.png"
    disp.figure_.savefig(path)
    assert path.stat().st_size > 5_000


def test_display_without_validation_has_no_score_axis():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    reg = BPNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.warns(Warning):
        reg.fit(X, X.sum(axis=1))
    disp = LossCurveDisplay.from_estimator(reg)
    assert disp.score_ax_ is None and len(disp.ax_.lines) == 1


def test_display_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(BPNetClassifier())
