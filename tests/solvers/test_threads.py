"""Adaptive BLAS threads: same results as fixed threads, within the outer limits."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skbpnet import BPNetClassifier
from skbpnet._threads import PROBE_STEPS, ThreadTuner
from tests._estimator_helpers import make_data


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def _numpy_blas_threads():
    """Threads of the BLAS that NumPy's matrix products use (not SciPy's own)."""
    import skbpnet._threads as threads

    return [i["num_threads"] for i in threadpool_info()
            if i["user_api"] == "blas" and not threads._is_scipy_own(i["filepath"])]


def _fit(blas_threads):
    X, y = make_data(BPNetClassifier, n=1500, d=20)
    est = BPNetClassifier(hidden_layer_sizes=(64,), batch_size=32, max_iter=3,
                          n_iter_no_change=100, random_state=0, blas_threads=blas_threads)
    with pytest.warns(Warning):
        return est.fit(X, y)


def test_adaptive_threads_give_the_result_of_fixed_threads_to_rounding():
    with threadpool_limits(2):
        adaptive = _fit("adaptive")
        one, two = _fit(1), _fit(None)
    for a, b, c in zip(adaptive.coefs_, one.coefs_, two.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)


def test_tuner_probes_both_counts_and_restores_the_blas(monkeypatch):
    import skbpnet._threads as threads

    now = [0.0]
    monkeypatch.setattr(threads.time, "perf_counter", lambda: now[0])
    with threadpool_limits(2):
        before = _blas_threads()
        tuner = ThreadTuner("adaptive")
        assert tuner.current == 2 and tuner.candidates(100) == [1, 2]
        seen = []
        tuner.start_epoch(100)
        for i in range(100):
            tuner.before_step(i)
            seen.append(_numpy_blas_threads()[0])
            now[0] += 1.0  # every step takes as long: no probe is cut short
            tuner.after_step(i)
        tuner.end_epoch()
        assert seen[:PROBE_STEPS] == [1] * PROBE_STEPS
        assert seen[PROBE_STEPS:2 * PROBE_STEPS] == [2] * PROBE_STEPS
        assert len(set(seen[2 * PROBE_STEPS:])) == 1 and seen[-1] in (1, 2)  # one count, kept
        assert _blas_threads() == before


def test_tuner_never_exceeds_an_outer_limit():
    with threadpool_limits(1):
        tuner = ThreadTuner("adaptive")
        assert tuner.candidates(1000) == []
        assert ThreadTuner(4).fixed() == 1
    with threadpool_limits(2):
        assert ThreadTuner(4).fixed() == 2 and ThreadTuner(1).fixed() == 1


def test_short_epochs_are_not_probed():
    with threadpool_limits(2):
        assert ThreadTuner("adaptive").candidates(3 * PROBE_STEPS * 2 - 1) == []


@pytest.mark.parametrize("bad", ["auto", 0, -1, 1.5])
def test_blas_threads_is_validated(bad):
    X, y = make_data(BPNetClassifier)
    with pytest.raises(ValueError, match="blas_threads"):
        BPNetClassifier(blas_threads=bad).fit(X, y)


def test_adaptive_prediction_equals_fixed_threads_and_restores_the_blas():
    from skbpnet._network import Architecture
    from skbpnet._scoring import PREDICT_CHUNK, predict_scores

    rng = np.random.default_rng(0)
    net = Architecture(30, (40,), "relu", 0.0, 0.0).build(3, np.float64, rng)
    X = rng.normal(size=(2 * PREDICT_CHUNK + 777, 30))
    with threadpool_limits(2):
        before = _blas_threads()
        adaptive = predict_scores(net, X, "adaptive")
        assert _blas_threads() == before
        with threadpool_limits(1):
            fixed = predict_scores(net, X)
    np.testing.assert_allclose(adaptive, fixed, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(adaptive, net.infer(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("blas_threads, fused", [(None, False), (1, True), ("adaptive", True)])
def test_the_fused_update_runs_only_where_scipys_blas_has_one_thread(blas_threads, fused,
                                                                     monkeypatch):
    # SciPy's BLAS (the fused update) and NumPy's BLAS keep separate thread
    # pools; both at 2 threads on 2 cores made an epoch 10x slower.
    from skbpnet.nn import SGD

    seen = set()
    real = SGD.step

    def spy(self, params, grads, l2=0.0, fused=None):
        seen.add(fused)
        return real(self, params, grads, l2, fused)

    monkeypatch.setattr(SGD, "step", spy)
    X, y = make_data(BPNetClassifier, n=1500, d=20)
    with threadpool_limits(2):
        est = BPNetClassifier(hidden_layer_sizes=(16,), solver="sgd", batch_size=32,
                              max_iter=1, random_state=0, blas_threads=blas_threads)
        with pytest.warns(Warning):
            est.fit(X, y)
    assert seen == {fused}
    assert "fused" not in vars(est._optimizer)  # nothing of it is stored


def test_a_probe_that_is_twice_as_slow_stops_at_once(monkeypatch):
    import skbpnet._threads as threads

    durations = {1: 1.0, 2: 5.0}
    now = [0.0]

    with threadpool_limits(2):
        tuner = ThreadTuner("adaptive")
        monkeypatch.setattr(threads.time, "perf_counter", lambda: now[0])
        tuner.start_epoch(100)
        steps = []
        for i in range(20):
            tuner.before_step(i)
            count = tuner.threads_now()
            steps.append(count)
            now[0] += durations[count]
            tuner.after_step(i)
        tuner.end_epoch()
    assert steps[:PROBE_STEPS] == [1] * PROBE_STEPS
    assert steps[PROBE_STEPS] == 2  # one step of the slow count, then no more
    assert set(steps[PROBE_STEPS + 1:]) == {1}


def test_scipys_own_blas_is_pinned_to_one_thread_only_during_an_epoch():
    from threadpoolctl import ThreadpoolController

    import skbpnet._threads as threads

    def scipy_counts():
        return [lib.num_threads for lib in ThreadpoolController().lib_controllers
                if threads._is_scipy_own(lib.filepath)]

    with threadpool_limits(2):
        tuner = ThreadTuner("adaptive")
        if tuner.scipy_blas is None:
            pytest.skip("SciPy shares NumPy's BLAS here: nothing to pin")
        assert scipy_counts() == [2]
        tuner.start_epoch(100)
        tuner.before_step(0)
        assert scipy_counts() == [1] and tuner.fused_ok()
        for i in range(PROBE_STEPS, 2 * PROBE_STEPS + 1):  # through the 2-thread probe
            tuner.before_step(i)
            assert scipy_counts() == [1]
        tuner.end_epoch()
        assert scipy_counts() == [2]


def test_only_the_main_thread_changes_the_blas_limits():
    import threading

    out = {}

    def worker():
        out["mode"] = ThreadTuner("adaptive").mode

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert out["mode"] is None
    assert ThreadTuner("adaptive").mode == "adaptive"
