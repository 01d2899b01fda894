"""The max-norm constraint: max_norm_ on one weight, apply_max_norm on a network."""

import tracemalloc

import numpy as np
import pytest

from skbpnet.nn import Linear, ReLU, Sequential, apply_max_norm, max_norm_

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-6, np.float64: 1e-14}


def _weight(dtype, n_in=20, n_out=9, seed=0):
    """A weight whose even columns have norms above 2 and odd columns norms below 1."""
    w = np.random.default_rng(seed).normal(size=(n_in, n_out))
    w /= np.linalg.norm(w, axis=0)
    w[:, 0::2] *= np.linspace(2.5, 40.0, len(range(0, n_out, 2)))
    w[:, 1::2] *= np.linspace(0.1, 0.99, len(range(1, n_out, 2)))
    return w.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clipped_columns_reach_the_limit_and_keep_their_direction(dtype):
    w = _weight(dtype)
    before = w.copy()
    out = max_norm_(w, 2.0)
    assert out is w and w.dtype == dtype
    norms = np.linalg.norm(w.astype(np.float64), axis=0)
    np.testing.assert_allclose(norms[0::2], 2.0, rtol=RTOL[dtype])
    # Same direction: a positive multiple of the column before.
    old = before[:, 0::2].astype(np.float64)
    unit_old = old / np.linalg.norm(old, axis=0)
    np.testing.assert_allclose(w[:, 0::2] / norms[0::2], unit_old, rtol=0, atol=4 * RTOL[dtype])
    assert np.all(np.sum(unit_old * w[:, 0::2], axis=0) > 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_columns_within_the_limit_are_unchanged_bit_for_bit(dtype):
    w = _weight(dtype)
    w[:, 1] = 0.0  # a zero column: no division by its norm
    w[3, 3] = -0.0
    before = w.copy()
    max_norm_(w, 2.0)
    assert w[:, 1::2].tobytes() == before[:, 1::2].tobytes()
    # A limit above every norm changes nothing at all.
    w2 = before.copy()
    max_norm_(w2, 1e6)
    assert w2.tobytes() == before.tobytes()


def test_columns_of_non_finite_norm_are_left_for_divergence_to_show():
    w = _weight(np.float64)
    w[0, 0], w[0, 2] = np.inf, np.nan
    before = w.copy()
    max_norm_(w, 2.0)
    np.testing.assert_array_equal(w[:, :3], before[:, :3])
    np.testing.assert_allclose(np.linalg.norm(w[:, 4::2], axis=0), 2.0, rtol=1e-14)


def test_numpy_path_makes_no_temporary_the_size_of_the_weight():
    w = _weight(np.float64, n_in=2000, n_out=50)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        max_norm_(w, 2.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < w.nbytes / 10, peak
    assert np.linalg.norm(w, axis=0).max() <= 2.0 * (1 + 1e-14)


def test_apply_max_norm_constrains_every_linear_through_the_flat_buffer():
    net = Sequential(Linear(6, 5, random_state=0), ReLU(), Linear(5, 4, random_state=1),
                     ReLU(), Linear(4, 3, random_state=2))
    net.param_vector *= 20
    k = net.n_penalized
    net.param_vector[k:] = 7.0  # biases far beyond the limit: they are never constrained
    biases = net.param_vector[k:].copy()
    assert apply_max_norm(net, 1.5) is net
    linears = [m for m in net.layers if isinstance(m, Linear)]
    for m in linears:  # the output layer's incoming weights too
        assert np.shares_memory(m.weight, net.param_vector)
        np.testing.assert_allclose(np.linalg.norm(m.weight, axis=0), 1.5, rtol=1e-14)
    np.testing.assert_array_equal(net.param_vector[k:], biases)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, np.nan, np.inf, "3", None, True, np.bool_(True)])
def test_bad_limits_are_refused(bad):
    w = _weight(np.float64)
    before = w.copy()
    with pytest.raises(ValueError, match="max_value must be a positive, finite real number"):
        max_norm_(w, bad)
    np.testing.assert_array_equal(w, before)
    with pytest.raises(ValueError, match="max_value"):
        apply_max_norm(Sequential(Linear(2, 2, random_state=0)), bad)


def test_numpy_scalars_and_integers_are_accepted():
    for c in (2, np.float32(2.0), np.int64(2)):
        w = _weight(np.float64)
        max_norm_(w, c)
        assert np.linalg.norm(w, axis=0).max() <= 2.0 * (1 + 1e-14)


def test_a_weight_that_is_not_2d_is_refused():
    with pytest.raises(ValueError, match=r"2-D weight .* shape \(5,\)"):
        max_norm_(np.ones(5), 1.0)


# -- other array namespaces, compared with NumPy --------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_array_api_strict_matches_numpy_and_keeps_views(dtype):
    xp = pytest.importorskip("array_api_strict", reason="array_api_strict is not installed")
    w = _weight(dtype)
    expected = max_norm_(w.copy(), 2.0)
    # A weight that is a view into a flat buffer, as in a network.
    buf = xp.asarray(np.concatenate([w.ravel(), np.full(3, 9.0, dtype)]))
    view = xp.reshape(buf[:w.size], w.shape)
    out = max_norm_(view, 2.0)
    assert out is view
    got = np.asarray(buf)
    np.testing.assert_allclose(got[:w.size].reshape(w.shape), expected, rtol=4 * RTOL[dtype],
                               atol=0)
    np.testing.assert_array_equal(got[w.size:], 9.0)
    # Columns within the limit are untouched bit for bit here too.
    assert got[:w.size].reshape(w.shape)[:, 1::2].tobytes() == w[:, 1::2].tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_matches_numpy(dtype):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    w = _weight(dtype)
    expected = max_norm_(w.copy(), 2.0)
    flat = torch.from_numpy(w.ravel().copy())
    view = flat.view(w.shape)
    assert max_norm_(view, 2.0) is view
    got = flat.numpy().reshape(w.shape)
    np.testing.assert_allclose(got, expected, rtol=4 * RTOL[dtype], atol=0)
    assert got[:, 1::2].tobytes() == w[:, 1::2].tobytes()
