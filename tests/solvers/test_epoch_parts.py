"""One epoch loop for every device: ``Trainer.run_epoch`` over a HostEpoch or a DeviceEpoch.

The two parts must hand the loop the same batches (rows, targets, weights,
total weights, zero-weight batches skipped) and the same dropout keys for the
same order, and sum the losses to the same mean; only where the sum is kept
and whether a non-finite loss stops the epoch at once differ.
"""

import math

import numpy as np
import pytest

from skbpnet._solvers import stochastic
from skbpnet._solvers.device import DeviceEpoch
from skbpnet._solvers.stochastic import HostEpoch
from skbpnet.nn._namespace import to_numpy

from .._array_api_helpers import namespace_for_tests


@pytest.fixture
def device_space():
    return namespace_for_tests("array_api_strict")


def _data(n=7):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n, 3)), rng.normal(size=(n, 1))
    sw = np.array([1.0, 2.0, 0.0, 0.0, 0.5, 1.5, 3.0])  # rows 2-3: a zero-weight batch
    hashes = rng.integers(0, 2**63, size=n, dtype=np.int64).view(np.uint64)
    return X, y, sw, hashes


def test_host_and_device_parts_give_the_same_batches(device_space):
    xp, device = device_space
    X, y, sw, hashes = _data()
    order, salts, bs = np.array([0, 1, 2, 3, 6, 5, 4]), [2**64 - 3, 12345], 2
    on = lambda a: xp.asarray(a, device=device)  # noqa: E731
    host = HostEpoch(X[order], y, sw, hashes, None, salts, bs)
    dev = DeviceEpoch(on(X[order]), on(y), on(sw), on(hashes.view(np.int64)), None, salts, bs,
                      host_sample_weight=sw)
    for i, start in enumerate(range(0, 7, bs)):
        idx = slice(start, min(start + bs, 7))
        a, b = host.batch(i, idx, idx.stop - idx.start), dev.batch(i, idx, idx.stop - idx.start)
        assert (a is None) == (b is None) == (i == 1)
        if a is None:
            continue
        for u, v in zip(a[:3], b[:3]):
            np.testing.assert_array_equal(u, to_numpy(v))
        assert a[3] == b[3]
        for u, v in zip(host.keys(idx), dev.keys(idx)):
            np.testing.assert_array_equal(u, to_numpy(v).view(np.uint64))


def test_the_parts_sum_the_same_mean_and_only_the_host_stops_at_nan(device_space):
    xp, device = device_space
    host, dev = HostEpoch(None, None, None, None, None, None, 2), \
        DeviceEpoch(None, xp.zeros(1, device=device), None, None, None, None, 2)
    for value, count in [(0.25, 2), (1.5, 2), (0.125, 1)]:
        assert host.add(value, count) and dev.add(xp.asarray(value, device=device), count)
    assert host.mean(5) == dev.mean(5) == pytest.approx(0.725)
    assert host.stops_at_nonfinite and not dev.stops_at_nonfinite
    assert host.add(math.nan, 1) is False
    assert dev.add(xp.asarray(math.nan, device=device), 1) is True
    assert math.isnan(dev.mean(6))


def test_a_device_fit_runs_the_one_loop(device_space, monkeypatch):
    """Every batch on the device goes through the trainer's one step, with a DeviceEpoch."""
    import sklearn

    from skbpnet import BPNetRegressor

    xp, device = device_space
    X, y, _, _ = _data()
    parts, step = [], stochastic.Trainer._step

    def spy(self, part, *args, **kwargs):
        parts.append(type(part).__name__)
        return step(self, part, *args, **kwargs)

    monkeypatch.setattr(stochastic.Trainer, "_step", spy)
    with sklearn.config_context(array_api_dispatch=True), pytest.warns(Warning):
        BPNetRegressor(hidden_layer_sizes=(2,), max_iter=2, batch_size=3, random_state=0).fit(
            xp.asarray(X, device=device), xp.asarray(y[:, 0], device=device))
    assert parts == ["DeviceEpoch"] * 6  # 2 epochs of 3 batches (7 rows)
