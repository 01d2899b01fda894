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

    Examples
    --------
    >>> from skbpnet._solvers.threads import ThreadTuner
    >>> tuner = ThreadTuner(None)
    >>> tuner.candidates(n_steps=100)
    []
    >>> tuner.start_epoch(100); tuner.before_step(0); tuner.after_step(0); tuner.end_epoch()
    """

    def __init__(self, mode):
        self.mode, self.controller, self.current = mode, None, 1
        self.chosen = []  # the count each epoch ended with, for the record
        self.start_epoch(0)
        if mode is None:
            return
        from threadpoolctl import ThreadpoolController

        self.controller = ThreadpoolController().select(user_api="blas")
        counts = [lib.num_threads for lib in self.controller.lib_controllers]
        self.current = max(counts, default=1)

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

    def start_epoch(self, n_steps):
        """Plan an epoch of ``n_steps``: the probe's thread count per step."""
        self.plan = [c for c in self.candidates(n_steps) for _ in range(PROBE_STEPS)]
        self.timings, self.best = {}, self.fixed()
        self._limiter, self._active = None, None

    def before_step(self, i):
        """Set the thread count for step ``i`` and start its clock."""
        if i == len(self.plan) and self.timings:
            self.best = min(self.timings, key=self.timings.get)
        count = self.plan[i] if i < len(self.plan) else self.best
        if count != self._active and self.controller is not None:
            self._restore()
            if count is not None:
                self._limiter = self.controller.limit(limits=count)
            self._active = count
        self._tic = time.perf_counter()

    def after_step(self, i):
        """Stop step ``i``'s clock; a probe step's time counts (but a warm-up's)."""
        if i < len(self.plan) and i % PROBE_STEPS:
            count = self.plan[i]
            self.timings[count] = self.timings.get(count, 0.0) + time.perf_counter() - self._tic

    def end_epoch(self):
        """Put the BLAS back as it was; record the count the epoch used."""
        if self.controller is not None:
            self.chosen.append(self._active if self._active is not None else self.current)
        self._restore()
        self._active = None

    def _restore(self):
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter = None
