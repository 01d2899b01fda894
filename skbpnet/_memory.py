"""What a fit needs in memory, estimated from the shapes before anything is allocated.

``fit`` calls :func:`check_fit_size` before it builds a network: a network
that no model file can hold, or whose training would not fit in the memory
available, is refused with an error that says how much it would need and
what to change, instead of a ``MemoryError`` (or the kernel's OOM killer)
after gigabytes were allocated. :func:`rows_per_block` bounds the rows
scored at once (the first loss, the early-stopping hold-out, prediction), so
that a wide output layer (10^5 classes) costs a batch's worth of memory,
not thousands of rows times every class.
"""

import math
import os

__all__ = ["MAX_UNITS", "FitTooLargeError", "available_memory", "check_fit_size",
           "fit_memory", "rows_per_block"]

# The widest layer a model file holds: the same value as ``MAX_UNITS`` in io/limits.py
# (tests/test_memory_guard.py checks), which is the reader's to own. A fit refuses what
# ``load`` would refuse, and this module does not import the reader.
MAX_UNITS = 2**24
SCORE_ELEMENTS = 2**22  # values of the widest layer per block of rows scored at once
PREDICT_CHUNK = 8192  # the most rows per block, however narrow the network
_LBFGS_COPIES = 26  # SciPy's L-BFGS-B: 10 pairs of float64 vectors, and its working copies


class FitTooLargeError(ValueError, MemoryError):
    """A fit that would need more memory than there is, or a layer no model file holds.

    A ``ValueError`` (the hyperparameters ask for it) and a ``MemoryError``
    (what it would otherwise end in), raised before anything is allocated.

    Examples
    --------
    >>> from skbpnet._memory import FitTooLargeError
    >>> issubclass(FitTooLargeError, ValueError) and issubclass(FitTooLargeError, MemoryError)
    True
    """


def rows_per_block(width, most=PREDICT_CHUNK):
    """Rows to score at once through layers at most ``width`` units wide.

    Parameters
    ----------
    width : int
        The widest layer (inputs excluded), the output layer included.
    most : int, default=PREDICT_CHUNK
        The most rows of a block.

    Returns
    -------
    int
        At least 1; ``SCORE_ELEMENTS // width`` for wide layers.

    Examples
    --------
    >>> from skbpnet._memory import rows_per_block
    >>> rows_per_block(10), rows_per_block(100_000)
    (8192, 41)
    """
    return max(1, min(most, SCORE_ELEMENTS // max(1, int(width))))


def available_memory():
    """Bytes of memory a fit may take: MemAvailable of /proc/meminfo, else the RAM.

    Returns
    -------
    int or None
        None where neither can be read (the memory check is then skipped).

    Examples
    --------
    >>> from skbpnet._memory import available_memory
    >>> available = available_memory()
    >>> available is None or available > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def fit_memory(sizes, itemsize, batch, slots=2, *, full_batch=False, early_stopping=False,
               continuing=False, input_dropout=False):
    """Bytes a fit needs, from the layer sizes alone (an estimate: the main arrays).

    Parameters
    ----------
    sizes : sequence of int
        Units of each layer: inputs, hidden layers, outputs.
    itemsize : int
        Bytes per value of the network's dtype (4 or 8).
    batch : int
        Rows of one training step (a full-batch solver such as lbfgs: every sample).
    slots : int, default=2
        Arrays of the parameters' size that the optimizer keeps (Adam 2, SGD 1; a
        solver's ``state_slots``).
    full_batch : bool, default=False
        A solver that takes every row at once (L-BFGS-B and its vectors).
    early_stopping : bool, default=False
        One more copy of the parameters and optimizer state (the best epoch).
    continuing : bool, default=False
        warm_start or partial_fit: the fitted state stays until the call ends well.
    input_dropout : bool, default=False
        A mask over the inputs of a batch.

    Returns
    -------
    int

    Examples
    --------
    >>> from skbpnet._memory import fit_memory
    >>> fit_memory([2, 3, 1], 8, 4) > 0
    True
    """
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    slots = slots + 1 if slots else 0  # moments or velocities, and a scratch vector
    copies = 2 + slots  # parameters and gradients
    copies += (1 + slots) * (1 + bool(early_stopping))  # rollback snapshots
    copies += (2 + slots) * bool(continuing)  # the fitted state, kept until the commit
    total = copies * n_params * itemsize
    if full_batch:
        total += _LBFGS_COPIES * n_params * 8
    widths = sum(sizes[1:])
    # forward outputs, activations, the gradients flowing back, the loss's scratch
    total += 4 * batch * widths * itemsize + bool(input_dropout) * batch * sizes[0] * itemsize
    widest = max(sizes[1:])
    total += 3 * rows_per_block(widest) * widest * itemsize  # scoring a block of rows
    return total


def check_fit_size(name, arch, n_outputs, itemsize, n_samples, params, continuing=False,
                   solver=None, stochastic_advice="solver='adam' or 'sgd'"):
    """Refuse a fit whose layers no model file holds, or that needs more memory than there is.

    Parameters
    ----------
    name : str
        The estimator's class name, for the message.
    arch : skbpnet._network.Architecture
    n_outputs : int
    itemsize : int
        Bytes per value of the network's dtype.
    n_samples : int
        Rows of X: a batch is ``batch_size`` of them ('auto': 200), lbfgs takes them all.
    params : dict
        The estimator's ``get_params()``.
    continuing : bool, default=False
    solver : skbpnet._solvers.registry.Solver, default=None
        The solver's entry (its ``state_slots`` and whether it is stochastic);
        None: Adam's.
    stochastic_advice : str, default="solver='adam' or 'sgd'"
        The stochastic solvers, as the message names them (from the registry).

    Raises
    ------
    FitTooLargeError

    Examples
    --------
    >>> from skbpnet._memory import check_fit_size
    >>> from skbpnet._network import Architecture
    >>> params = {"solver": "adam", "batch_size": "auto", "early_stopping": False}
    >>> check_fit_size("BPNetClassifier", Architecture(2, (10**8,), "relu", 0.0, 0.0), 2, 8,
    ...                1000, params)
    Traceback (most recent call last):
    ...
    skbpnet._memory.FitTooLargeError: BPNetClassifier cannot fit a hidden layer of ...
    """
    sizes = [arch.n_features, *arch.hidden, n_outputs]
    full_batch = solver is not None and not solver.stochastic
    slots = 2 if solver is None else solver.state_slots
    batch = params["batch_size"]
    batch = n_samples if full_batch else min(200 if batch == "auto" else int(batch), n_samples)
    need = fit_memory(sizes, itemsize, batch, slots, full_batch=full_batch,
                      early_stopping=params["early_stopping"], continuing=continuing,
                      input_dropout=arch.input_dropout > 0)
    too_wide = _too_wide(arch, n_outputs)
    if too_wide:
        raise FitTooLargeError(
            f"{name} cannot fit {too_wide[0]}: a model file holds at most {MAX_UNITS} (2**24) "
            f"units per layer (and the fit would need about {_gib(need)} of memory). "
            f"{too_wide[1]}")
    available = available_memory()
    if available is not None and need > available:
        fixes = ["smaller hidden_layer_sizes"]
        fixes += ([f"{stochastic_advice} ({params['solver']!r} takes every row at once)"]
                  if full_batch else ["a smaller batch_size"])
        fixes += ["dtype='float32'"] if itemsize > 4 else []
        raise FitTooLargeError(
            f"{name} would need about {_gib(need)} of memory to fit (the parameters, their "
            f"gradients and optimizer state, and the activations of a batch of {batch} rows "
            f"through layers of {sizes} units), but about {_gib(available)} is available. "
            f"Use {', '.join(fixes[:-1])} or {fixes[-1]}.")


def _too_wide(arch, n_outputs):
    """(what, what to do) for the first layer wider than MAX_UNITS, or None."""
    if arch.n_features > MAX_UNITS:
        return (f"{arch.n_features} input features",
                f"Reduce the features to at most {MAX_UNITS} (for example with "
                f"sklearn.feature_extraction.FeatureHasher(n_features=2**24) or a feature "
                f"selector).")
    if max(arch.hidden, default=0) > MAX_UNITS:
        return (f"a hidden layer of {max(arch.hidden)} units "
                f"(hidden_layer_sizes={arch.hidden})",
                f"Use hidden layers of at most {MAX_UNITS} units.")
    if n_outputs > MAX_UNITS:
        return (f"{n_outputs} outputs (classes or targets)",
                f"Group the classes into at most {MAX_UNITS}.")
    return None


def _gib(n_bytes):
    """``n_bytes`` in GiB, for messages: '2.5 GiB'."""
    gib = n_bytes / 2**30
    return f"{gib:.3g} GiB" if gib >= 0.01 else f"{math.ceil(n_bytes / 2**20)} MiB"
