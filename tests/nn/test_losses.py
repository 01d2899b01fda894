"""Losses: values and gradients for huge scores, sample weights, soft targets."""

import numpy as np
import pytest

from skbpnet.nn import MSELoss, SigmoidBinaryCrossEntropyLoss, SoftmaxCrossEntropyLoss


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy_is_finite_for_huge_scores(dtype):
    loss = SoftmaxCrossEntropyLoss()
    scores = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]], dtype=dtype)
    value = loss.forward(scores, np.array([1, 1, 0]))
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    # per sample: 2e4, 0, log 2
    assert value == pytest.approx((2e4 + 0.0 + np.log(2.0)) / 3, rel=1e-6)
    np.testing.assert_allclose(grad, np.array([[1, -1], [0, 0], [-0.5, 0.5]]) / 3, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_bce_is_finite_for_huge_scores(dtype):
    loss = SigmoidBinaryCrossEntropyLoss()
    scores = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    y = np.array([[1], [0], [0], [1]])
    value = loss.forward(scores, y)
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx((0 + 0 + 1e4 + 1e4) / 4, rel=1e-6)
    np.testing.assert_allclose(grad.ravel(), np.array([0, 0, 1, -1]) / 4, atol=1e-7)


def test_mse_value_and_gradient_agree():
    rng = np.random.default_rng(0)
    scores, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    w = rng.uniform(0.5, 2.0, size=5)
    loss = MSELoss()
    value = loss.forward(scores, y)
    grad = loss.backward().copy()
    assert value == pytest.approx(0.5 * np.sum((scores - y) ** 2) / 5, rel=1e-14)
    np.testing.assert_allclose(grad, (scores - y) / 5, rtol=1e-14)
    # weighted
    value_w = loss.forward(scores, y, w)
    grad_w = loss.backward().copy()
    assert value_w == pytest.approx(0.5 * np.sum(w[:, None] * (scores - y) ** 2) / w.sum(), rel=1e-14)
    np.testing.assert_allclose(grad_w, w[:, None] * (scores - y) / w.sum(), rtol=1e-14)
    # the gradient is the derivative of the value: a directional difference
    d, h = rng.normal(size=scores.shape), 1e-6
    slope = (loss.forward(scores + h * d, y, w) - loss.forward(scores - h * d, y, w)) / (2 * h)
    assert slope == pytest.approx(float(np.sum(grad_w * d)), rel=1e-7)


@pytest.mark.parametrize("loss", [MSELoss(), SoftmaxCrossEntropyLoss(), SigmoidBinaryCrossEntropyLoss()])
def test_sample_weight_validation(loss):
    scores = np.zeros((3, 2))
    y = np.array([0, 1, 1]) if isinstance(loss, SoftmaxCrossEntropyLoss) else np.zeros((3, 2))
    with pytest.raises(ValueError):
        loss.forward(scores, y, sample_weight=np.zeros(3))  # zero sum
    with pytest.raises(ValueError):
        loss.forward(scores, y, sample_weight=np.array([1.0, -1.0, 0.0]))
    with pytest.raises(ValueError):
        loss.forward(scores, y, sample_weight=np.ones(4))  # wrong length


def test_loss_backward_before_forward():
    with pytest.raises(RuntimeError):
        MSELoss().backward()


def test_softmax_soft_targets_value():
    loss = SoftmaxCrossEntropyLoss()
    scores = np.array([[2.0, 0.0, -1.0]])
    target = np.array([[0.5, 0.25, 0.25]])
    logp = scores - np.log(np.exp(scores).sum())
    assert loss.forward(scores, target) == pytest.approx(-float(np.sum(target * logp)), rel=1e-14)
    p = np.exp(logp)
    np.testing.assert_allclose(loss.backward(), p - target, rtol=1e-14)


@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_loss_is_scikit_learns_half_deviance(weighted):
    from sklearn.neural_network._base import poisson_loss

    from skbpnet.nn import PoissonLoss

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(9, 2))
    y = rng.poisson(2.0, size=(9, 2)).astype(float)
    w = rng.uniform(0.5, 2.0, size=9) if weighted else None
    loss = PoissonLoss()
    assert loss.forward(scores, y, w) == pytest.approx(poisson_loss(y, np.exp(scores), w))
    n = 9 if w is None else w.sum()
    expected = (np.exp(scores) - y) * (1.0 if w is None else w[:, None]) / n
    np.testing.assert_allclose(loss.backward(), expected)
