"""Learning-rate schedules against hand-computed values."""

import math
import warnings

import numpy as np
import pytest

from skbpnet.nn import (
    SCHEDULES,
    AdaptiveLR,
    ConstantLR,
    CosineLR,
    InvScalingLR,
)


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------


def test_constant_schedule():
    s = ConstantLR(0.02)
    assert s.epoch_end(10, n_samples_seen=10_000) == 0.02
    assert s.on_plateau() is True
    assert s.learning_rate == 0.02


def test_invscaling_formula():
    s = InvScalingLR(0.5, power_t=0.25)
    assert s.epoch_end(1, n_samples_seen=80) == pytest.approx(0.5 / 3.0, rel=1e-15)  # 81^0.25 = 3
    assert s.epoch_end(2, n_samples_seen=1000) == pytest.approx(0.5 / 1001**0.25, rel=1e-15)
    assert s.learning_rate == pytest.approx(0.5 / 1001**0.25, rel=1e-15)
    assert InvScalingLR(1.0).epoch_end(1, n_samples_seen=99) == pytest.approx(0.1, rel=1e-15)


def test_adaptive_divides_by_five_and_stops_below_1e_6():
    s = AdaptiveLR(1e-3)
    rates = []
    while not s.on_plateau():
        rates.append(s.learning_rate)
    # 1e-3 -> 2e-4 -> 4e-5 -> 8e-6 -> 1.6e-6 -> 3.2e-7, then stop
    np.testing.assert_allclose(rates, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7], rtol=1e-12)
    assert s.learning_rate <= 1e-6
    assert s.on_plateau() is True  # keeps saying stop
    assert s.learning_rate == pytest.approx(3.2e-7, rel=1e-12)
    # epoch_end leaves the rate alone
    assert AdaptiveLR(0.1).epoch_end(3, 300) == 0.1


def test_cosine_endpoints():
    # The schedule counts its own epochs (the epoch argument is not used), so a
    # schedule started mid-training anneals over its full length.
    s = CosineLR(0.1, total_epochs=10, eta_min=0.001)
    assert s.learning_rate == 0.1
    rates = [s.epoch_end(999, 0) for _ in range(12)]
    e3 = 0.001 + 0.5 * 0.099 * (1 + math.cos(math.pi * 0.3))
    assert rates[2] == pytest.approx(e3, rel=1e-14)
    assert rates[4] == pytest.approx((0.1 + 0.001) / 2, rel=1e-14)
    assert rates[9] == pytest.approx(0.001, rel=1e-12)
    assert rates[11] == pytest.approx(0.001, rel=1e-12)  # stays at eta_min
    assert s.epochs_done == 12
    rates = [CosineLR(1.0, total_epochs=20)]
    sched = rates.pop()
    rates = [sched.epoch_end(e, 0) for e in range(20)]
    assert all(a > b for a, b in zip(rates, rates[1:]))  # strictly decreasing
    assert rates[-1] == pytest.approx(0.0, abs=1e-16)


def test_cosine_restarts_when_a_warm_start_continues_past_it():
    from sklearn.datasets import load_digits

    from skbpnet import BPNetClassifier

    X, y = load_digits(return_X_y=True)
    clf = BPNetClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate="cosine",
                          learning_rate_init=0.05, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a planned schedule run to its end: no warning
        clf.fit(X / 16, y)
    assert clf._schedule.learning_rate == pytest.approx(0.0, abs=1e-15)
    before = clf.coefs_[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.set_params(warm_start=True).fit(X / 16, y)
    assert clf._schedule.epochs_done == 3
    assert not np.array_equal(before, clf.coefs_[0])  # it trained again


def test_schedule_names():
    assert SCHEDULES == {
        "constant": ConstantLR,
        "invscaling": InvScalingLR,
        "adaptive": AdaptiveLR,
        "cosine": CosineLR,
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: ConstantLR(0.0),
        lambda: InvScalingLR(-1.0),
        lambda: CosineLR(0.1, total_epochs=0),
        lambda: CosineLR(0.1, total_epochs=2.5),
    ],
)
def test_invalid_schedule_arguments(make):
    with pytest.raises(ValueError):
        make()
