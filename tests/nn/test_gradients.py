"""Finite-difference gradient checks for the backprop core, in float64.

Every analytic gradient (``backward``) is compared with central differences
``(f(x + eps) - f(x - eps)) / (2 eps)`` of a scalar function of the same
forward pass. The error measure is the element-wise relative error

    max_i |a_i - n_i| / max(|a_i| + |n_i|, floor),
    floor = max(SCALE_FLOOR * max_j (|a_j| + |n_j|), 1e-8)

The floor keeps entries that are tiny next to the rest of the gradient from
being compared below the noise of the differences themselves: with eps = 1e-6
the differences carry an absolute rounding error of about 1e-10, which is a
relative error of 1e-5 on an entry of 1e-5 however right the backward pass
is. Entries under 1% of the largest are therefore measured against 1% of the
largest, which still demands agreement to about 1e-9 absolute.

Every check records its error in ``_ERRORS``; the last test of the module
prints the largest one, so ``pytest tests/nn/test_gradients.py -s`` reports the
worst relative error seen over all checks.
"""

import numpy as np
import pytest

from skbpnet.nn import (
    GELU,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    MSELoss,
    PoissonLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SigmoidBinaryCrossEntropyLoss,
    SoftmaxCrossEntropyLoss,
    Tanh,
)

EPS = 1e-6
TOL = 1e-6
FLOOR = 1e-8  # absolute floor of the denominator (both gradients zero)
SCALE_FLOOR = 1e-2  # relative floor: 1% of the largest |a| + |n| of the check

# (check name, max relative error); filled by every check in this module.
_ERRORS = []


def rel_error(analytic, numeric):
    """Largest element-wise ``|a - n| / max(|a| + |n|, floor)`` (see the module docstring)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    assert a.shape == n.shape, (a.shape, n.shape)
    size = np.abs(a) + np.abs(n)
    floor = max(SCALE_FLOOR * float(size.max()), FLOOR)
    return float(np.max(np.abs(a - n) / np.maximum(size, floor)))


def numerical_grad(f, x, eps=EPS):
    """Central differences of the scalar ``f()`` with respect to ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored.
    """
    assert x.dtype == np.float64
    flat = x.reshape(-1)
    assert np.shares_memory(flat, x), "x must be contiguous so that perturbations reach f"
    grad = np.zeros(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad.reshape(x.shape)


def check(name, analytic, numeric):
    """Record the relative error and assert it is below TOL."""
    assert np.all(np.isfinite(analytic)), name
    # a check of two zero arrays would pass whatever backward did
    assert np.any(np.asarray(analytic) != 0), f"{name}: analytic gradient is all zero"
    err = rel_error(analytic, numeric)
    _ERRORS.append((name, err))
    assert err < TOL, f"{name}: max relative error {err:.3e} >= {TOL}"
    return err


def away_from_zero(rng, shape, margin=0.1, scale=1.5):
    """Normal samples pushed at least ``margin`` away from 0 (ReLU kinks)."""
    x = rng.normal(scale=scale, size=shape)
    return np.sign(x) * (np.abs(x) + margin)


# --------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------


def test_linear_gradients():
    rng = np.random.default_rng(0)
    layer = Linear(4, 3, random_state=1)
    layer.bias[...] = rng.normal(size=3)
    X = rng.normal(size=(6, 4))
    R = rng.normal(size=(6, 3))  # L = sum(Y * R), so dL/dY = R

    def f():
        return float(np.sum(layer.forward(X) * R))

    f()
    dX = layer.backward(R).copy()
    grad_w, grad_b = layer.grad_weight.copy(), layer.grad_bias.copy()

    check("Linear.weight", grad_w, numerical_grad(f, layer.weight))
    check("Linear.bias", grad_b, numerical_grad(f, layer.bias))
    check("Linear.input", dX, numerical_grad(f, X))


def test_linear_gradients_are_overwritten_not_accumulated():
    rng = np.random.default_rng(1)
    layer = Linear(3, 2, random_state=0)
    X, R = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer.forward(X)
    layer.backward(R)
    first = layer.grad_weight.copy()
    layer.forward(X)
    layer.backward(R)
    np.testing.assert_allclose(layer.grad_weight, first, rtol=1e-14)
    np.testing.assert_allclose(layer.grad_weight, X.T @ R, rtol=1e-12)


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------

ACTIVATION_CASES = [
    ("Identity", Identity, {}),
    ("ReLU", ReLU, {}),
    ("LeakyReLU", LeakyReLU, {"negative_slope": 0.1}),
    ("Tanh", Tanh, {}),
    ("Sigmoid", Sigmoid, {}),
    ("GELU", GELU, {}),
]


@pytest.mark.parametrize("inplace", [False, True], ids=["buffer", "inplace"])
@pytest.mark.parametrize("name,cls,kwargs", ACTIVATION_CASES, ids=[c[0] for c in ACTIVATION_CASES])
def test_activation_input_gradient(name, cls, kwargs, inplace):
    rng = np.random.default_rng(2)
    act = cls(inplace=inplace, **kwargs)
    # away from 0: ReLU and LeakyReLU have a kink there
    X = away_from_zero(rng, (5, 4))
    R = rng.normal(size=(5, 4))

    def f():
        # in place activations overwrite their input: hand them a copy
        return float(np.sum(act.forward(X.copy()) * R))

    f()
    dX = act.backward(R.copy()).copy()
    check(f"{name}{'(inplace)' if inplace else ''}.input", dX, numerical_grad(f, X))


def test_leaky_relu_negative_side_gradient_is_the_slope():
    act = LeakyReLU(0.2)
    act.forward(np.array([[-3.0, 2.0]]))
    np.testing.assert_array_equal(act.backward(np.array([[1.0, 1.0]])), [[0.2, 1.0]])


# --------------------------------------------------------------------------
# Dropout (mask fixed by reseeding its generator before every forward)
# --------------------------------------------------------------------------


def test_dropout_input_gradient_with_fixed_mask():
    rng = np.random.default_rng(3)
    drop = Dropout(0.4)
    X = rng.normal(size=(8, 5))
    R = rng.normal(size=(8, 5))

    def forward(Z):
        drop.rng = np.random.default_rng(1234)  # same mask every call
        return drop.forward(Z)

    def f():
        return float(np.sum(forward(X) * R))

    Y = forward(X).copy()
    dropped = Y == 0
    assert dropped.any() and (~dropped).any(), "mask should drop some entries and keep others"
    dX = drop.backward(R).copy()
    np.testing.assert_array_equal(dX[dropped], 0.0)
    np.testing.assert_allclose(dX[~dropped], R[~dropped] / 0.6, rtol=1e-15)
    check("Dropout.input", dX, numerical_grad(f, X))


# --------------------------------------------------------------------------
# Losses (gradient with respect to the scores)
# --------------------------------------------------------------------------


def _loss_case(kind, rng):
    n, k = 7, 3
    scores = rng.normal(scale=2.0, size=(n, k))
    if kind == "mse":
        return MSELoss(), scores, rng.normal(size=(n, k))
    if kind == "mse-1-output-1d-target":
        return MSELoss(), scores[:, :1].copy(), rng.normal(size=n)
    if kind == "poisson":
        return PoissonLoss(), scores, rng.poisson(1.5, size=(n, k)).astype(float)
    if kind == "poisson-1-output-1d-target":
        return PoissonLoss(), scores[:, :1].copy(), rng.poisson(1.5, size=n).astype(float)
    if kind == "softmax-int-labels":
        return SoftmaxCrossEntropyLoss(), scores, rng.integers(0, k, size=n)
    if kind == "softmax-one-hot":
        return SoftmaxCrossEntropyLoss(), scores, np.eye(k)[rng.integers(0, k, size=n)]
    if kind == "softmax-soft-targets":
        return SoftmaxCrossEntropyLoss(), scores, rng.dirichlet(np.ones(k), size=n)
    if kind == "sigmoid-bce":
        return SigmoidBinaryCrossEntropyLoss(), scores, rng.integers(0, 2, size=(n, k)).astype(float)
    if kind == "sigmoid-bce-1-output":
        return SigmoidBinaryCrossEntropyLoss(), scores[:, :1].copy(), rng.integers(0, 2, size=(n, 1))
    if kind == "softmax-int-labels-smoothed":
        return SoftmaxCrossEntropyLoss(0.1), scores, rng.integers(0, k, size=n)
    if kind == "softmax-soft-targets-smoothed":
        return SoftmaxCrossEntropyLoss(0.3), scores, rng.dirichlet(np.ones(k), size=n)
    if kind == "sigmoid-bce-smoothed":
        return (SigmoidBinaryCrossEntropyLoss(0.1), scores,
                rng.integers(0, 2, size=(n, k)).astype(float))
    raise AssertionError(kind)


LOSS_KINDS = [
    "mse",
    "mse-1-output-1d-target",
    "poisson",
    "poisson-1-output-1d-target",
    "softmax-int-labels",
    "softmax-one-hot",
    "softmax-soft-targets",
    "sigmoid-bce",
    "sigmoid-bce-1-output",
    "softmax-int-labels-smoothed",
    "softmax-soft-targets-smoothed",
    "sigmoid-bce-smoothed",
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_loss_gradient(kind, weighted):
    rng = np.random.default_rng(4)
    loss, scores, y = _loss_case(kind, rng)
    w = rng.uniform(0.1, 3.0, size=scores.shape[0]) if weighted else None

    def f():
        return loss.forward(scores, y, sample_weight=w)

    value = f()
    assert np.isfinite(value) and value > 0
    grad = loss.backward().copy()
    assert grad.shape == scores.shape
    check(f"{kind}{'(weighted)' if weighted else ''}.scores", grad, numerical_grad(f, scores))


def test_one_hot_and_integer_labels_agree():
    rng = np.random.default_rng(5)
    scores = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    w = rng.uniform(0.5, 2.0, size=6)
    loss = SoftmaxCrossEntropyLoss()
    v_int = loss.forward(scores, labels, w)
    g_int = loss.backward().copy()
    v_hot = loss.forward(scores, np.eye(4)[labels], w)
    g_hot = loss.backward().copy()
    assert v_int == pytest.approx(v_hot, rel=1e-13)
    np.testing.assert_allclose(g_int, g_hot, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("eps", [0.1, 0.5])
def test_label_smoothing_is_training_on_smoothed_targets(eps):
    """Class indices with ``label_smoothing=eps`` give the value and gradient of the
    soft targets ``(1 - eps) onehot + eps / K`` without smoothing (and differ from none)."""
    rng = np.random.default_rng(7)
    scores = rng.normal(scale=3.0, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    w = rng.uniform(0.5, 2.0, size=6)
    smoothed = SoftmaxCrossEntropyLoss(label_smoothing=eps)
    v_smooth = smoothed.forward(scores, labels, w)
    g_smooth = smoothed.backward().copy()
    plain = SoftmaxCrossEntropyLoss()
    v_soft = plain.forward(scores, (1 - eps) * np.eye(4)[labels] + eps / 4, w)
    np.testing.assert_allclose(g_smooth, plain.backward(), rtol=1e-12, atol=1e-15)
    assert v_smooth == pytest.approx(v_soft, rel=1e-12)
    plain.forward(scores, labels, w)  # without smoothing every entry moves by eps/K, weighted
    np.testing.assert_allclose(g_smooth - plain.backward(), -eps * (1 / 4 - np.eye(4)[labels])
                               * (w / w.sum())[:, None], rtol=1e-10, atol=1e-15)
    # the same for the one-hot rows of the 2-D path
    assert smoothed.forward(scores, np.eye(4)[labels], w) == pytest.approx(v_soft, rel=1e-12)


def test_label_smoothing_moves_the_optimum_to_the_smoothed_targets():
    """With smoothing the gradient vanishes where softmax(s) = (1 - eps) onehot + eps / K,
    and the sigmoid's where sigmoid(s) = (1 - eps) y + eps / 2: finite scores, not infinity."""
    eps, k = 0.2, 5
    target = np.full((1, k), eps / k)
    target[0, 2] += 1 - eps
    loss = SoftmaxCrossEntropyLoss(eps)
    loss.forward(np.log(target), np.array([2]))
    np.testing.assert_allclose(loss.backward(), 0.0, atol=1e-15)
    binary = SigmoidBinaryCrossEntropyLoss(eps)
    t = 1 - eps / 2
    binary.forward(np.array([[np.log(t / (1 - t))]]), np.array([[1.0]]))
    np.testing.assert_allclose(binary.backward(), 0.0, atol=1e-15)


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2, "0.1", None, True, float("nan")])
def test_label_smoothing_out_of_range_is_refused(bad):
    for cls in (SoftmaxCrossEntropyLoss, SigmoidBinaryCrossEntropyLoss):
        with pytest.raises(ValueError, match="label_smoothing must be a number in \\[0, 1\\)"):
            cls(label_smoothing=bad)


def test_label_smoothing_round_trips_through_config():
    loss = SoftmaxCrossEntropyLoss(0.25)
    again = type(loss).from_config(loss.get_config())
    assert again.label_smoothing == 0.25
    assert repr(again) == "SoftmaxCrossEntropyLoss(label_smoothing=0.25)"
    assert repr(SigmoidBinaryCrossEntropyLoss()) == "SigmoidBinaryCrossEntropyLoss()"


def test_sample_weights_match_repeated_samples():
    """Integer weights behave like repeating the samples."""
    rng = np.random.default_rng(6)
    scores = rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    w = np.array([1, 3, 2, 1])
    loss = SoftmaxCrossEntropyLoss()
    weighted = loss.forward(scores, labels, w)
    repeated = loss.forward(np.repeat(scores, w, axis=0), np.repeat(labels, w))
    assert weighted == pytest.approx(repeated, rel=1e-13)


# --------------------------------------------------------------------------
# Whole networks: grad_vector against differences of the loss wrt param_vector
# --------------------------------------------------------------------------


def _network(name, rng):
    """A network, a loss, a batch, and a hook run before every forward."""
    X = rng.normal(size=(8, 3))
    if name == "linear-tanh-linear-relu-linear":
        net = Sequential(
            Linear(3, 6, init="glorot", random_state=0),
            Tanh(),
            Linear(6, 5, random_state=1),
            ReLU(),
            Linear(5, 3, random_state=2),
        )
        return net, SoftmaxCrossEntropyLoss(), X, rng.integers(0, 3, size=8), lambda: None
    if name == "sigmoid-dropout-gelu-leakyrelu-mse":
        drop = Dropout(0.25)
        net = Sequential(
            Linear(3, 6, init="glorot", random_state=3),
            Sigmoid(),
            drop,
            Linear(6, 5, random_state=4),
            GELU(),
            Linear(5, 4, random_state=5),
            LeakyReLU(0.05),
            Linear(4, 2, random_state=6),
        )

        def reseed():
            drop.rng = np.random.default_rng(99)

        return net, MSELoss(), X, rng.normal(size=(8, 2)), reseed
    if name == "tanh-sigmoid-bce":
        net = Sequential(
            Linear(3, 5, init="glorot", random_state=7),
            Tanh(),
            Linear(5, 2, init="glorot", random_state=8),
        )
        return net, SigmoidBinaryCrossEntropyLoss(), X, rng.integers(0, 2, size=(8, 2)), lambda: None
    raise AssertionError(name)


NETWORKS = [
    "linear-tanh-linear-relu-linear",
    "sigmoid-dropout-gelu-leakyrelu-mse",
    "tanh-sigmoid-bce",
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", NETWORKS)
def test_network_gradients(name, weighted):
    rng = np.random.default_rng(7)
    net, loss, X, y, before_forward = _network(name, rng)
    # non-zero biases, so that their effect is checked too
    net.param_vector[net.n_penalized :] = rng.normal(scale=0.3, size=net.param_vector.size - net.n_penalized)
    w = rng.uniform(0.2, 2.0, size=X.shape[0]) if weighted else None

    def f():
        before_forward()
        return loss.forward(net.forward(X), y, sample_weight=w)

    f()
    dX = net.backward(loss.backward()).copy()
    grads = net.grad_vector.copy()
    suffix = "(weighted)" if weighted else ""

    check(f"net[{name}]{suffix}.param_vector", grads, numerical_grad(f, net.param_vector))
    check(f"net[{name}]{suffix}.input", dX, numerical_grad(f, X))

    # the per-layer gradients are views into grad_vector
    assert all(np.shares_memory(g, net.grad_vector) for g in net.grads)
    assert sum(g.size for g in net.grads) == grads.size

    # without the input gradient: None back, same parameter gradients
    net.input_grad = False
    f()
    assert net.backward(loss.backward()) is None
    np.testing.assert_allclose(net.grad_vector, grads, rtol=1e-13, atol=1e-300)
    net.input_grad = True
    f()
    np.testing.assert_allclose(net.backward(loss.backward()), dX, rtol=1e-13, atol=1e-300)


def test_network_relu_preactivations_are_away_from_the_kink():
    """Guard for the network check above: no ReLU input within reach of eps."""
    rng = np.random.default_rng(7)
    net, loss, X, y, _ = _network("linear-tanh-linear-relu-linear", rng)
    net.param_vector[net.n_penalized :] = rng.normal(scale=0.3, size=net.param_vector.size - net.n_penalized)
    h = np.tanh(X @ net.layers[0].weight + net.layers[0].bias)
    pre = h @ net.layers[2].weight + net.layers[2].bias
    assert np.min(np.abs(pre)) > 1e-4
    assert (pre > 0).any() and (pre < 0).any()


# --------------------------------------------------------------------------
# Report: keep this test last in the module.
# --------------------------------------------------------------------------


def test_zz_report_max_relative_error():
    if not _ERRORS:
        pytest.skip("no gradient check ran in this session")
    worst_name, worst = max(_ERRORS, key=lambda e: e[1])
    print(
        f"\n[gradient checks] {len(_ERRORS)} checks, max relative error "
        f"{worst:.3e} ({worst_name}); eps={EPS}, tolerance={TOL}"
    )
    assert worst < TOL
