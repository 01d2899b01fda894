"""``--device`` and ``--array-library``: train the commands' network on a GPU.

The default, ``--device cpu``, is the NumPy path: the fastest on a CPU. With
``--device cuda`` (or ``cuda:N``) the command moves the data once to a GPU
through PyTorch or CuPy, whichever is installed and sees one (``auto``:
PyTorch first), and fits and predicts under scikit-learn's array API dispatch
(``sklearn.config_context(array_api_dispatch=True)``), so that the estimator
computes on that device. ``--array-library torch --device cpu`` takes the
same path on PyTorch CPU tensors: slower than NumPy, but it runs the device
code on any machine (the tests use it).

Only the network runs on the device: ``skbpnet train``'s preprocessing is
fitted on the host and its output moved, and the per-epoch score comes back
to the host as class indices or predictions. The saved models hold NumPy
arrays, wherever they were trained.
"""

import argparse
import contextlib
import os
import re
from collections import namedtuple

import numpy as np

from ._errors import fail
from ._fitting import timed_fit

__all__ = ["add_device_options", "parse_device", "Probe", "probe", "Target", "resolve",
           "array_dispatch", "fit_pipeline"]

LIBRARIES = ("torch", "cupy")
NAMES = {"torch": "PyTorch", "cupy": "CuPy"}


def parse_device(text):
    """The ``--device`` argument: ``cpu``, ``cuda`` or ``cuda:N``.

    Parameters
    ----------
    text : str
        What the user wrote.

    Returns
    -------
    str
        ``text`` itself.

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else, with the accepted forms.

    Examples
    --------
    >>> from skbpnet.cli._device import parse_device
    >>> parse_device("cuda:1")
    'cuda:1'
    >>> parse_device("gpu")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: invalid device 'gpu': use cpu, cuda or cuda:N (N: a GPU's number)
    """
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(
            f"invalid device {text!r}: use cpu, cuda or cuda:N (N: a GPU's number)")
    return text


def add_device_options(p):
    """Add ``--device`` and ``--array-library`` to a training command's parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.

    Examples
    --------
    >>> import argparse
    >>> from skbpnet.cli._device import add_device_options
    >>> p = argparse.ArgumentParser()
    >>> add_device_options(p)
    >>> args = p.parse_args(["--device", "cuda"])
    >>> args.device, args.array_library
    ('cuda', 'auto')
    """
    p.add_argument("--device", type=parse_device, default="cpu", metavar="{cpu,cuda,cuda:N}",
                   help="where to train: cpu (NumPy, the fastest on a CPU) or a CUDA GPU, "
                        "through PyTorch or CuPy and scikit-learn's array API")
    p.add_argument("--array-library", choices=["auto", "torch", "cupy"], default="auto",
                   help="the array library that holds the data on --device (auto: PyTorch, "
                        "else CuPy, and NumPy for cpu; torch with --device cpu trains on "
                        "PyTorch CPU tensors)")


class Probe(namedtuple("Probe", ["library", "version", "n_gpus", "error"])):
    """What an array library offers: its version and the CUDA devices it sees.

    ``version`` is None when the library is not installed; ``error`` holds
    why it failed to import or to count its devices, if it did.

    Examples
    --------
    >>> from skbpnet.cli._device import Probe
    >>> Probe("torch", "2.13.0+cpu", 0, None).describe()
    'PyTorch 2.13.0+cpu (no CUDA device)'
    >>> Probe("cupy", None, 0, None).describe()
    'no CuPy'
    """

    __slots__ = ()

    def describe(self):
        """The library as the messages name it, with what it found."""
        name = NAMES[self.library]
        if self.version is None:
            return f"{name} that fails to import ({self.error})" if self.error else f"no {name}"
        if self.n_gpus:
            return f"{name} {self.version} ({self.n_gpus} CUDA device(s))"
        why = f": {self.error}" if self.error else ""
        return f"{name} {self.version} (no CUDA device{why})"


def probe(library):
    """Import ``library`` (``'torch'`` or ``'cupy'``) if it is installed and count its GPUs.

    Parameters
    ----------
    library : {'torch', 'cupy'}

    Returns
    -------
    Probe

    Examples
    --------
    >>> from skbpnet.cli._device import probe
    >>> probe("cupy").library
    'cupy'
    """
    try:
        module = __import__(library)
    except ModuleNotFoundError:
        return Probe(library, None, 0, None)
    except Exception as exc:  # noqa: BLE001 - a broken install: say so in the message
        return Probe(library, None, 0, f"{type(exc).__name__}: {exc}")
    try:
        if library == "torch":
            n = module.cuda.device_count() if module.cuda.is_available() else 0
        else:
            n = module.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - no driver, no runtime: no GPU
        return Probe(library, module.__version__, 0, str(exc).splitlines()[0][:120])
    return Probe(library, module.__version__, int(n), None)


class Target:
    """Where the command's arrays live: an array library and one of its devices.

    Parameters
    ----------
    library : {'torch', 'cupy'}
        The array library.
    index : int or None
        The CUDA device's number; None for the CPU (PyTorch only).

    Attributes
    ----------
    device : torch.device or cupy.cuda.Device
        The device object of the library.

    Examples
    --------
    >>> from skbpnet.cli._device import Target
    >>> Target("torch", None).describe()  # doctest: +SKIP
    'cpu through PyTorch 2.13.0+cpu'
    """

    def __init__(self, library, index):
        self.library, self.index = library, index
        self.module = __import__(library)
        if library == "torch":
            self.device = self.module.device("cpu" if index is None else f"cuda:{index}")
        else:
            self.device = self.module.cuda.Device(index)

    def describe(self):
        """The device and library, as the command's header line shows them."""
        if self.index is None:
            return f"cpu through {NAMES[self.library]} {self.module.__version__}"
        if self.library == "torch":
            gpu = self.module.cuda.get_device_name(self.index)
        else:
            gpu = self.module.cuda.runtime.getDeviceProperties(self.index)["name"]
            gpu = gpu.decode() if isinstance(gpu, bytes) else gpu
        return f"cuda:{self.index} ({gpu}) through {NAMES[self.library]} {self.module.__version__}"

    def put(self, a, dtype=None):
        """A copy of the host array ``a`` on the device (``dtype``: a NumPy dtype)."""
        a = np.asarray(a, dtype=dtype)
        if self.library == "cupy":
            with self.device:
                return self.module.asarray(a)
        if not (a.flags.writeable and a.flags.c_contiguous):  # torch warns on read-only
            a = np.array(a, order="C")
        return self.module.as_tensor(a, device=self.device)

    def put_labels(self, y):
        """Integer labels on the device; any others (text) stay on the host."""
        y = np.asarray(y)
        return self.put(y) if y.dtype.kind in "iu" else y


def _no_gpu_message(device, library, probes):
    wanted = " or ".join(NAMES[p.library] for p in probes)
    found = " and ".join(p.describe() for p in probes)
    option = f"--device {device}" + ("" if library == "auto" else f" --array-library {library}")
    build = "either" if len(probes) > 1 else NAMES[probes[0].library]
    return (f"{option} needs {wanted} with a visible CUDA GPU; found {found}. "
            f"Install a CUDA build of {build}, or drop --device.")


def resolve(device="cpu", library="auto"):
    """The :class:`Target` that ``--device`` and ``--array-library`` ask for.

    Parameters
    ----------
    device : str, default='cpu'
        ``cpu``, ``cuda`` or ``cuda:N``.
    library : {'auto', 'torch', 'cupy'}, default='auto'
        ``auto`` tries PyTorch, then CuPy.

    Returns
    -------
    Target or None
        None for the NumPy path (``--device cpu`` with ``auto``).

    Raises
    ------
    SystemExit
        Status 2, with a one-line message, when no library can serve the device.

    Examples
    --------
    >>> from skbpnet.cli._device import resolve
    >>> resolve("cpu", "auto") is None
    True
    """
    if device == "cpu":
        if library == "auto":
            return None
        if library == "cupy":
            fail("--array-library cupy needs --device cuda: CuPy arrays live on a GPU "
                 "(--array-library torch runs the array API path on the CPU)")
        found = probe("torch")
        if found.version is None:
            fail(f"--array-library torch needs PyTorch; found {found.describe()}. "
                 f"Install it (pip install torch), or drop --array-library.")
        return Target("torch", None)
    index = int(device.partition(":")[2] or 0)
    probes = []
    for name in LIBRARIES if library == "auto" else (library,):
        probes.append(probe(name))
        found = probes[-1]
        if found.n_gpus > index:
            return Target(name, index)
        if found.n_gpus:
            fail(f"--device {device}: {found.describe()} sees CUDA devices 0 to "
                 f"{found.n_gpus - 1} only")
    fail(_no_gpu_message(device, library, probes))


@contextlib.contextmanager
def array_dispatch(target):
    """Enter scikit-learn's array API dispatch for a device :class:`Target` (None: do nothing).

    Parameters
    ----------
    target : Target or None
        Where the arrays live.

    Examples
    --------
    >>> from skbpnet.cli._device import array_dispatch
    >>> with array_dispatch(None):
    ...     pass
    """
    if target is None:
        yield
        return
    # scikit-learn refuses array_api_dispatch unless SCIPY_ARRAY_API=1 is in the
    # environment when the context is entered. SciPy itself reads the variable
    # once, at its import (long done here), so setting it now only satisfies
    # that check: the estimators' device path calls no SciPy function on device
    # arrays (L-BFGS, the one that would, runs on a host copy of the data).
    os.environ.setdefault("SCIPY_ARRAY_API", "1")
    if os.environ["SCIPY_ARRAY_API"] != "1":
        fail(f"--device and --array-library need the environment variable SCIPY_ARRAY_API=1 "
             f"(scikit-learn's array API dispatch checks it); it is set to "
             f"{os.environ['SCIPY_ARRAY_API']!r}: unset it or set it to 1")
    import sklearn

    with sklearn.config_context(array_api_dispatch=True):
        yield


def fit_pipeline(target, pipe, X, y, threads):
    """Fit ``pipe``: its preprocessing on the host, its last step on ``target``'s device.

    The preprocessed ``X`` goes to the device once, as float32; ``y`` stays
    on the host (the estimator moves it). Afterwards the last step is moved
    back to NumPy (:func:`sklearn.utils._array_api.move_estimator_to`), so
    that the fitted pipeline scores, predicts and saves as if trained on a
    CPU.

    Parameters
    ----------
    target : Target
        The device.
    pipe : sklearn.pipeline.Pipeline
        Preprocessing steps, then a network (or a TransformedTargetRegressor of one).
    X, y : array-like
        Training data.
    threads : int or None
        BLAS threads (for the preprocessing), as in :func:`~skbpnet.cli._fitting.timed_fit`.

    Returns
    -------
    float
        Wall-clock seconds of the fit, preprocessing included.

    Examples
    --------
    >>> from skbpnet.cli._device import Target, fit_pipeline
    >>> seconds = fit_pipeline(Target("torch", None), pipe, X, y, None)  # doctest: +SKIP
    """
    import time

    from sklearn.utils._array_api import move_estimator_to

    tic = time.perf_counter()
    Xt = target.put(pipe[:-1].fit_transform(X, y), np.float32)
    name, last = pipe.steps[-1]
    with array_dispatch(target):
        timed_fit(last, Xt, y, threads)
        moved = move_estimator_to(last, np, "cpu")  # a clone, fitted attributes on the host
    # with the very parameter objects that fit leaves in place (a TransformedTargetRegressor's
    # regressor): the caller's references to them stay valid
    moved.set_params(**last.get_params(deep=False))
    pipe.steps[-1] = (name, moved)
    return time.perf_counter() - tic
