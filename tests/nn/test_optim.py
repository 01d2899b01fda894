"""Optimizer steps against hand-computed values: SGD, Adam, L2, state, denormals."""

import math
import pickle

import numpy as np
import pytest

from skbpnet.nn import SGD, Adam, Optimizer



def run_steps(opt, w0, grads, l2=0.0):
    """Apply ``opt`` to a copy of ``w0`` with each gradient in turn; return the trajectory."""
    w = np.array(w0, dtype=np.float64)
    trajectory = []
    for g in grads:
        # step may use the gradient arrays as scratch: hand it a copy
        opt.step([w], [np.array(g, dtype=np.float64)], l2=l2)
        trajectory.append(w.copy())
    return trajectory


# --------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------


def test_sgd_momentum_three_steps_literal_values():
    # lr = 0.1, momentum = 0.9, constant gradient 1:
    # v1 = -0.1,   w1 = 0.9
    # v2 = 0.9 * -0.1 - 0.1 = -0.19,   w2 = 0.71
    # v3 = 0.9 * -0.19 - 0.1 = -0.271, w3 = 0.439
    traj = run_steps(SGD(learning_rate=0.1, momentum=0.9), [1.0], [[1.0]] * 3)
    np.testing.assert_allclose([t[0] for t in traj], [0.9, 0.71, 0.439], rtol=0, atol=1e-15)


def test_sgd_momentum_three_steps_varying_gradients():
    lr, mu = 0.05, 0.8
    w0 = [1.0, -2.0, 0.5]
    grads = [[0.5, -1.0, 2.0], [0.2, 0.3, -1.5], [-0.4, 0.1, 0.25]]
    traj = run_steps(SGD(learning_rate=lr, momentum=mu), w0, grads)
    for j in range(3):
        w, v = w0[j], 0.0
        for t in range(3):
            v = mu * v - lr * grads[t][j]
            w = w + v
            assert traj[t][j] == pytest.approx(w, rel=1e-14, abs=1e-15)


def test_sgd_without_momentum_is_plain_gradient_descent():
    traj = run_steps(SGD(learning_rate=0.25, momentum=0.0), [1.0, 2.0], [[2.0, -4.0], [1.0, 1.0]])
    np.testing.assert_allclose(traj[0], [0.5, 3.0], rtol=1e-15)
    np.testing.assert_allclose(traj[1], [0.25, 2.75], rtol=1e-15)


def test_sgd_nesterov_three_steps_literal_values():
    # lr = 0.1, momentum = 0.9, constant gradient 1; after updating v the
    # step is momentum * v - lr * g:
    # v1 = -0.1,   w1 = 1 + (-0.09 - 0.1) = 0.81
    # v2 = -0.19,  w2 = 0.81 + (-0.171 - 0.1) = 0.539
    # v3 = -0.271, w3 = 0.539 + (-0.2439 - 0.1) = 0.1951
    traj = run_steps(SGD(learning_rate=0.1, momentum=0.9, nesterov=True), [1.0], [[1.0]] * 3)
    np.testing.assert_allclose([t[0] for t in traj], [0.81, 0.539, 0.1951], rtol=0, atol=1e-15)


def test_sgd_nesterov_varying_gradients():
    lr, mu = 0.03, 0.7
    w0 = [0.3, -1.1]
    grads = [[1.5, -0.5], [-2.0, 0.25], [0.75, 0.6], [0.1, -3.0]]
    traj = run_steps(SGD(learning_rate=lr, momentum=mu, nesterov=True), w0, grads)
    for j in range(2):
        w, v = w0[j], 0.0
        for t in range(len(grads)):
            v = mu * v - lr * grads[t][j]
            w = w + mu * v - lr * grads[t][j]
            assert traj[t][j] == pytest.approx(w, rel=1e-14, abs=1e-15)


def test_sgd_momentum_is_not_the_seed_formula():
    """With lr = 0.001 and momentum = 0.9 the carried velocity really has weight 0.9.

    The seed article computed ``v = lr * (g + mu * v); w -= v``, which scales
    the carried velocity by ``lr`` as well (effective momentum 0.0009): after
    50 steps of a constant gradient 1 it moves w by -0.0500441, while
    scikit-learn's ``v = mu * v - lr * g; w += v`` moves it by
    ``-lr / (1 - mu) * (n - mu (1 - mu^n) / (1 - mu)) = -0.4104638...``.
    """
    lr, mu, n = 0.001, 0.9, 50
    w = run_steps(SGD(learning_rate=lr, momentum=mu), [0.0], [[1.0]] * n)[-1][0]

    expected = -lr / (1 - mu) * (n - mu * (1 - mu**n) / (1 - mu))
    assert expected == pytest.approx(-0.4104638397686589, rel=1e-12)
    assert w == pytest.approx(expected, rel=1e-12)

    seed_w, seed_v = 0.0, 0.0
    for _ in range(n):
        seed_v = lr * (1.0 + mu * seed_v)
        seed_w -= seed_v
    assert seed_w == pytest.approx(-0.050044138914293185, rel=1e-12)
    assert abs(w) > 8 * abs(seed_w)


def test_sgd_learning_rate_change_takes_effect_on_next_step():
    opt = SGD(learning_rate=0.1, momentum=0.0)
    w = np.array([1.0])
    opt.step([w], [np.array([1.0])])
    opt.learning_rate = 0.01  # what a schedule does between epochs
    opt.step([w], [np.array([1.0])])
    assert w[0] == pytest.approx(1.0 - 0.1 - 0.01, abs=1e-15)
    assert opt.n_steps == 2


# --------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------


def _adam_reference(w0, grads, lr, b1, b2, eps, l2=0.0):
    """Adam by hand, in plain Python floats (Kingma and Ba / scikit-learn)."""
    w, m, s = float(w0), 0.0, 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        g = g + l2 * w
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - lr_t * m / (math.sqrt(s) + eps)
        out.append(w)
    return out


def test_adam_first_step_moves_by_learning_rate():
    # m1 = 0.1 g, s1 = 0.001 g^2, lr_1 = lr sqrt(0.001) / 0.1, so the step is
    # lr * g / (|g| + eps / sqrt(0.001)) ~ lr * sign(g) whatever |g|
    for g in (3.0, -250.0, 0.02):
        w = run_steps(Adam(learning_rate=0.1), [1.0], [[g]])[0][0]
        assert w == pytest.approx(1.0 - 0.1 * g / (abs(g) + 1e-8 / math.sqrt(0.001)), rel=1e-14)
        assert w == pytest.approx(1.0 - 0.1 * math.copysign(1.0, g), abs=1e-5)


def test_adam_three_steps():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    grads = [3.0, -1.0, 2.0]
    traj = run_steps(Adam(learning_rate=lr), [1.0], [[g] for g in grads])
    expected = _adam_reference(1.0, grads, lr, b1, b2, eps)
    np.testing.assert_allclose([t[0] for t in traj], expected, rtol=1e-13)
    # written out for the second step:
    # m2 = 0.9 * 0.3 + 0.1 * -1 = 0.17
    # s2 = 0.999 * 0.009 + 0.001 * 1 = 0.009991
    # lr_2 = 0.1 * sqrt(1 - 0.999^2) / (1 - 0.9^2)
    m2, s2 = 0.17, 0.009991
    lr_2 = 0.1 * math.sqrt(1 - 0.999**2) / (1 - 0.81)
    w1 = 1.0 - 0.1 * 3.0 / (3.0 + eps / math.sqrt(0.001))
    assert traj[1][0] == pytest.approx(w1 - lr_2 * m2 / (math.sqrt(s2) + eps), rel=1e-13)


def test_adam_non_default_hyperparameters():
    lr, b1, b2, eps = 0.01, 0.5, 0.75, 1e-3
    grads = [0.4, 0.4, -0.1]
    traj = run_steps(Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps), [-0.5], [[g] for g in grads])
    np.testing.assert_allclose([t[0] for t in traj], _adam_reference(-0.5, grads, lr, b1, b2, eps), rtol=1e-13)


# --------------------------------------------------------------------------
# L2 penalty, per array
# --------------------------------------------------------------------------


def test_sgd_l2_penalty_per_array():
    lr, alpha = 0.1, 0.5
    W = np.array([[1.0, -2.0], [0.5, 4.0]])
    b = np.array([3.0, -1.0])
    gW = np.array([[0.1, 0.2], [-0.3, 0.0]])
    gb = np.array([0.5, 0.5])
    W0, b0 = W.copy(), b.copy()
    SGD(learning_rate=lr, momentum=0.0).step([W, b], [gW.copy(), gb.copy()], l2=[alpha, 0.0])
    np.testing.assert_allclose(W, W0 - lr * (gW + alpha * W0), rtol=1e-15)
    np.testing.assert_allclose(b, b0 - lr * gb, rtol=1e-15)  # no penalty on the biases
    # element by element, for the record: W[1, 1] = 4 - 0.1 * (0 + 0.5 * 4) = 3.8
    assert W[1, 1] == pytest.approx(3.8, abs=1e-15)


def test_sgd_momentum_l2_penalty_two_steps():
    lr, mu, alpha = 0.1, 0.9, 0.2
    W, b = np.array([2.0]), np.array([2.0])
    opt = SGD(learning_rate=lr, momentum=mu)
    w_ref, v_ref = 2.0, 0.0
    bias_ref, vb_ref = 2.0, 0.0
    for g in (1.0, -0.5):
        opt.step([W, b], [np.array([g]), np.array([g])], l2=[alpha, 0.0])
        v_ref = mu * v_ref - lr * (g + alpha * w_ref)
        w_ref += v_ref
        vb_ref = mu * vb_ref - lr * g
        bias_ref += vb_ref
    assert W[0] == pytest.approx(w_ref, rel=1e-14)
    assert b[0] == pytest.approx(bias_ref, rel=1e-14)


def test_scalar_l2_applies_to_every_array():
    W, b = np.array([1.0]), np.array([1.0])
    SGD(learning_rate=0.1, momentum=0.0).step([W, b], [np.zeros(1), np.zeros(1)], l2=1.0)
    np.testing.assert_allclose([W[0], b[0]], [0.9, 0.9], rtol=1e-15)


def test_adam_l2_penalty_per_array():
    lr, alpha = 0.05, 0.3
    grads = [0.2, -0.1, 0.4]
    W, b = np.array([1.5]), np.array([1.5])
    opt = Adam(learning_rate=lr)
    for g in grads:
        opt.step([W, b], [np.array([g]), np.array([g])], l2=[alpha, 0.0])
    assert W[0] == pytest.approx(_adam_reference(1.5, grads, lr, 0.9, 0.999, 1e-8, l2=alpha)[-1], rel=1e-13)
    assert b[0] == pytest.approx(_adam_reference(1.5, grads, lr, 0.9, 0.999, 1e-8)[-1], rel=1e-13)
    assert W[0] != pytest.approx(b[0], rel=1e-6)


def test_step_updates_views_of_a_flat_buffer():
    """The optimizer updates slices of one buffer in place (as Sequential uses it)."""
    flat = np.array([1.0, 2.0, 3.0])
    grads = np.array([1.0, 1.0, 1.0])
    SGD(learning_rate=0.5, momentum=0.0).step([flat[:2], flat[2:]], [grads[:2], grads[2:]], l2=[1.0, 0.0])
    np.testing.assert_allclose(flat, [1.0 - 0.5 * 2.0, 2.0 - 0.5 * 3.0, 2.5], rtol=1e-15)


# --------------------------------------------------------------------------
# State handling
# --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: SGD(0.1, 0.9, nesterov=True), lambda: Adam(0.1)], ids=["sgd", "adam"])
def test_pickled_optimizer_continues_identically(make):
    opt = make()
    w = np.array([1.0, -1.0])
    opt.step([w], [np.array([0.5, 0.25])])
    clone = pickle.loads(pickle.dumps(opt))
    assert "_scratch" not in clone.__dict__ or clone.__dict__["_scratch"] is None
    w2 = w.copy()
    opt.step([w], [np.array([-0.3, 1.0])])
    clone.step([w2], [np.array([-0.3, 1.0])])
    np.testing.assert_array_equal(w, w2)
    assert clone.n_steps == 2


# --------------------------------------------------------------------------
# Denormal flushing
# --------------------------------------------------------------------------


def _is_subnormal(a):
    tiny = np.finfo(a.dtype).tiny
    return (a != 0) & (np.abs(a) < tiny)


def test_sgd_float32_velocities_are_flushed_to_zero():
    every = Optimizer._FLUSH_EVERY
    opt = SGD(learning_rate=0.1, momentum=0.9)
    w = np.ones(4, dtype=np.float32)
    # one real gradient, of several magnitudes, then zeros: v decays by 0.9 a step
    opt.step([w], [np.array([1.0, 1e-10, 1e-20, 1e-30], dtype=np.float32)])
    zero = np.zeros(4, dtype=np.float32)
    v = opt.state[0][0]
    assert v.dtype == np.float32
    seen_flush = False
    while opt.n_steps < 3 * every:
        before = v.copy()
        opt.step([w], [zero.copy()])
        if opt.n_steps % every == 0:
            # nothing below the flush threshold survives a flush step
            assert not _is_subnormal(v).any()
            assert np.all((v == 0) | (np.abs(v) >= Optimizer._TINY[v.dtype]))
            if np.any((before != 0) & (v == 0)):
                seen_flush = True
    assert seen_flush
    # 0.1 * 0.9^767 = 8e-37 is a normal float32, below the threshold: the
    # flush at step 3 * 256 zeroes it; plain decay would not have.
    assert 0.1 * 0.9 ** (3 * every - 1) > np.finfo(np.float32).tiny
    np.testing.assert_array_equal(v, 0.0)
    assert not _is_subnormal(w).any()
    assert w.dtype == np.float32


def test_flush_only_happens_every_flush_every_steps():
    every = Optimizer._FLUSH_EVERY
    opt = SGD(learning_rate=1.0, momentum=0.9)
    w = np.zeros(1, dtype=np.float32)
    opt.step([w], [np.array([-1e-31], dtype=np.float32)])  # v = 1e-31 < threshold
    for _ in range(every - 2):
        opt.step([w], [np.zeros(1, dtype=np.float32)])
    assert opt.n_steps == every - 1
    # 1e-31 * 0.9^254 ~ 2e-43: still decaying, subnormal by now, not yet flushed
    assert opt.state[0][0][0] != 0
    assert _is_subnormal(opt.state[0][0]).all()
    opt.step([w], [np.zeros(1, dtype=np.float32)])
    assert opt.state[0][0][0] == 0


def test_adam_float32_first_moment_flushed_and_no_subnormals():
    every = Optimizer._FLUSH_EVERY
    opt = Adam(learning_rate=1e-3)
    w = np.ones(3, dtype=np.float32)
    opt.step([w], [np.array([1.0, 1e-12, 1e-25], dtype=np.float32)])
    for _ in range(3 * every - 1):
        opt.step([w], [np.zeros(3, dtype=np.float32)])
    (m,), (s,) = opt.state  # one array per slot
    assert m.dtype == s.dtype == np.float32
    np.testing.assert_array_equal(m, 0.0)  # 0.9^767 * 0.1 < 1e-30
    assert np.all(s[:2] > 0)  # 0.999^767 decays slowly: not flushed ((1e-25)^2 underflows)
    for a in (m, s, w):
        assert not _is_subnormal(a).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [lambda: SGD(0.05, momentum=0.9, nesterov=True),
                                  lambda: SGD(0.05, momentum=0.8, nesterov=False),
                                  lambda: SGD(0.05, momentum=0.0),
                                  lambda: Adam(0.01)],
                         ids=["nesterov", "momentum", "plain", "adam"])
def test_fused_blas_update_equals_the_numpy_reference(make, dtype):
    rng = np.random.default_rng(0)
    shapes = [(300,), (40,)]
    params = [rng.normal(size=s).astype(dtype) for s in shapes]
    fused, reference = make(), make()
    reference.fused = False
    w_fused, w_ref = [p.copy() for p in params], [p.copy() for p in params]
    for _ in range(20):
        grads = [rng.normal(size=s).astype(dtype) for s in shapes]
        fused.step(w_fused, [g.copy() for g in grads], l2=[1e-2, 0.0])
        reference.step(w_ref, [g.copy() for g in grads], l2=[1e-2, 0.0])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(w_fused, w_ref):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        assert not np.array_equal(a, params[0] if a.shape == params[0].shape else params[1])
    for sa, sb in zip(fused.state, reference.state):
        for a, b in zip(sa, sb):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_fused_update_falls_back_on_non_contiguous_arrays():
    w = np.ones((4, 6))[:, ::2]  # a strided view: BLAS cannot update it in place
    g = np.full((4, 3), 0.5)
    SGD(0.1, momentum=0.0).step([w], [g])
    np.testing.assert_allclose(w, 0.95)
