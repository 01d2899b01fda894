"""Adaptive BLAS threads: use the thread count that is fastest now, epoch by epoch.

OpenBLAS threads spin and wait for each other. When another process takes a
core, every small matrix product waits for a descheduled thread, and two
threads can become several times slower than one. At the start of every
epoch the tuner times a few real training steps at each candidate thread
count (1 and the count the BLAS has now, never more: an outer
``threadpool_limits`` is respected) and runs the rest of the epoch with the
fastest. The probe steps are ordinary training steps, so nothing is wasted;
results differ from a fixed thread count only by the rounding of the matrix
products.
"""

import os
import threading
import time

__all__ = ["ThreadTuner"]

PROBE_STEPS = 4  # steps timed per candidate (the first one is a warm-up)


class ThreadTuner:
    """Chooses the BLAS thread count for each epoch.

    Parameters
    ----------
    mode : 'adaptive', None or int
        'adaptive' probes 1 thread and the current count; an int fixes the
        count (capped at the current one); None leaves the BLAS alone.
    probe : bool, default=True
        Read the BLAS's thread count (threadpoolctl). False assumes one
        thread and changes nothing (for tiny inputs, where it is not worth it).

    Examples
    --------
    >>> from skbpnet._threads import ThreadTuner
    >>> tuner = ThreadTuner(None)
    >>> tuner.candidates(n_steps=100)
    []
    >>> tuner.threads_now() >= 1
    True
    >>> tuner.start_epoch(100); tuner.before_step(0); tuner.after_step(0); tuner.end_epoch()
    """

    def __init__(self, mode, probe=True):
        from threadpoolctl import ThreadpoolController

        # BLAS thread limits are process-wide: changing them from several
        # threads at once (a model serving predictions from a thread pool, a
        # threading-backend grid search) could interleave and leave them wrong.
        # Only the main thread adapts; other threads leave the BLAS alone.
        if threading.current_thread() is not threading.main_thread():
            mode = None
        self.mode = mode
        self.controller = ThreadpoolController().select(user_api="blas") if probe else None
        libs = self.controller.lib_controllers if probe else []
        self.current = max((lib.num_threads for lib in libs), default=1)
        # SciPy's own BLAS (pip wheels ship one beside NumPy's), which the
        # fused optimizer update calls: pinned to one thread while training, so
        # that its threads never fight NumPy's.
        scipy_libs = [lib.filepath for lib in libs if _is_scipy_own(lib.filepath)]
        self.scipy_blas = self.controller.select(filepath=scipy_libs) if scipy_libs else None
        self.plan, self.times, self.best = [], {}, self.fixed()
        self._limiter, self._active, self._pin = None, None, None

    def candidates(self, n_steps):
        """The thread counts to probe in an epoch of ``n_steps`` steps."""
        if self.mode != "adaptive" or self.current <= 1:
            return []
        counts = [1, self.current]
        return counts if n_steps >= 3 * PROBE_STEPS * len(counts) else []

    def fixed(self):
        """The count for a whole epoch when not probing (None: leave as is)."""
        if self.mode is None or self.mode == "adaptive":
            return None
        return max(1, min(int(self.mode), self.current))

    def threads_now(self):
        """The BLAS thread count in effect for the current step."""
        return self._active if self._active is not None else self.current

    def fused_ok(self):
        """Whether the optimizer may call SciPy's BLAS now (one thread, or pinned)."""
        return self._pin is not None or self.threads_now() == 1

    def start_epoch(self, n_steps):
        """Plan an epoch of ``n_steps``: the probe's thread count per step."""
        self.plan = [c for c in self.candidates(n_steps) for _ in range(PROBE_STEPS)]
        self.times, self.best = {}, self.fixed()
        self._limiter, self._active = None, None
        self._pin_scipy()

    def before_step(self, i):
        """Set the thread count for step ``i`` and start its clock."""
        if i == len(self.plan) and self.times:
            self.best = min(self.times, key=lambda c: _mean(self.times[c][1:]))
        count = self.plan[i] if i < len(self.plan) else self.best
        if count != self._active and self.controller is not None:
            self._restore()
            if count is not None:
                self._limiter = self.controller.limit(limits=count)
            self._active = count
            self._pin_scipy()
        self._tic = time.perf_counter()

    def after_step(self, i):
        """Stop step ``i``'s clock. A probe that is already twice as slow as
        the one before it ends at once: under load a collapsed thread count
        costs tens of milliseconds a step, and need not be timed for long."""
        if i >= len(self.plan):
            return
        count = self.plan[i]
        self.times.setdefault(count, []).append(time.perf_counter() - self._tic)
        first = self.plan[0]
        if count != first and len(self.times[first]) > 1:
            if self.times[count][-1] > 2.0 * _mean(self.times[first][1:]):
                self.plan = self.plan[: i + 1]  # stop probing; this count lost

    def end_epoch(self):
        """Put the BLAS back as it was."""
        self._restore()
        self._active = None

    def _pin_scipy(self):
        if self.scipy_blas is not None and self.mode is not None and self._pin is None:
            self._pin = self.scipy_blas.limit(limits=1)

    def _restore(self):
        """Undo the limits, the last one set first."""
        if self._pin is not None:
            self._pin.restore_original_limits()
            self._pin = None
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter = None


def _is_scipy_own(path):
    """A library SciPy ships for itself (``.../scipy.libs/...``), not NumPy's."""
    parts = os.path.normpath(path).split(os.sep)
    return "scipy.libs" in parts and "numpy.libs" not in parts


def _mean(values):
    return sum(values) / len(values) if values else float("inf")
