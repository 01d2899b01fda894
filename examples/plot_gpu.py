"""
Training on a GPU with PyTorch or CuPy arrays
=============================================

Under scikit-learn's array API dispatch, :class:`~skbpnet.BPNetClassifier`
computes in the namespace and on the device of ``X``: give it a PyTorch
tensor on a CUDA GPU, or a CuPy array, and the whole training runs there.
This example trains the same network on scikit-learn's 8x8 digits twice, on
NumPy and on the best array library it finds, and compares the two.

It uses a CUDA GPU only when one is visible (through PyTorch, else CuPy).
Without one it runs the very same code on PyTorch CPU tensors, or on
``array_api_strict`` (the reference implementation of the standard) when
PyTorch is not installed: slower than NumPy on a CPU, but the same path. See
:ref:`gpu` for what runs where.
"""

# %%
# Switch the array API on
# -----------------------
# scikit-learn refuses ``array_api_dispatch=True`` unless the environment
# variable ``SCIPY_ARRAY_API`` is ``1``; SciPy reads it when it is first
# imported, so set it before importing SciPy or scikit-learn (or in the shell).
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import time  # noqa: E402

import joblib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skbpnet import BPNetClassifier  # noqa: E402


def find_backend():
    """(description, to_device, to_numpy) of the best array library here, or None."""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and torch.cuda.is_available():
        return ("PyTorch on cuda", lambda a: torch.asarray(a, device="cuda"),
                lambda a: a.cpu().numpy())
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            return "CuPy on the GPU", cupy.asarray, cupy.asnumpy
    except Exception:  # noqa: BLE001 - not installed, or no driver: no CuPy GPU
        pass
    if torch is not None:
        return ("PyTorch on the CPU (no CUDA GPU here)", torch.asarray,
                lambda a: a.cpu().numpy())
    try:
        import array_api_strict
    except ImportError:
        return None
    return ("array_api_strict on the CPU (no PyTorch here)", array_api_strict.asarray,
            np.from_dlpack)


backend = find_backend()
print("array library:", backend[0] if backend else "none found")

# %%
# The data: float32 on both sides
# -------------------------------
# float32 is the dtype GPUs are fast at; float64 arrays would train in
# float64, as with NumPy. The labels may stay in NumPy or go to the device.
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
params = dict(hidden_layer_sizes=(128,), solver="sgd", learning_rate_init=0.05,
              learning_rate="cosine", batch_size=32, max_iter=30, dropout=0.1,
              n_iter_no_change=31, random_state=0)

tic = time.perf_counter()
numpy_clf = BPNetClassifier(**params).fit(X_train, y_train)
numpy_seconds = time.perf_counter() - tic
print(f"NumPy: test accuracy {numpy_clf.score(X_test, y_test):.4f} in {numpy_seconds:.2f} s")

# %%
# The same fit on the device
# --------------------------
# The arrays go to the device once. Inside ``config_context`` the estimator
# builds its network there, trains there, and its predictions are arrays of
# the same library on the same device. Shuffling and the dropout masks come
# from the same seed as on NumPy, so the two runs train the same network, up
# to the rounding of the matrix products.
if backend is None:
    print("Skipped: neither PyTorch, CuPy nor array_api_strict is installed "
          "(pip install torch, or array-api-strict, to run this part).")
else:
    name, to_device, to_numpy = backend
    X_train_d, y_train_d, X_test_d = to_device(X_train), to_device(y_train), to_device(X_test)
    with sklearn.config_context(array_api_dispatch=True):
        tic = time.perf_counter()
        device_clf = BPNetClassifier(**params).fit(X_train_d, y_train_d)
        device_seconds = time.perf_counter() - tic
        proba = device_clf.predict_proba(X_test_d)
        pred = device_clf.predict(X_test_d)
    print(f"predict_proba returned a {type(proba).__module__}.{type(proba).__name__} "
          f"of shape {tuple(proba.shape)}")
    accuracy = float(np.mean(to_numpy(pred) == y_test))
    print(f"{name}: test accuracy {accuracy:.4f} in {device_seconds:.2f} s")
    agree = np.mean(to_numpy(pred) == numpy_clf.predict(X_test))
    print(f"the two models agree on {agree:.1%} of the test images")

# %%
# Saving and moving back
# ----------------------
# A model trained on a device pickles (and saves with :func:`skbpnet.save`)
# as NumPy arrays: the file loads anywhere, without the array library.
# scikit-learn's ``move_estimator_to`` puts a loaded model back on a device.
if backend is not None:
    import io

    from sklearn.utils._array_api import get_namespace_and_device, move_estimator_to

    buffer = io.BytesIO()
    joblib.dump(device_clf, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    print("loaded coefs_[0]:", type(loaded.coefs_[0]).__name__,
          "| accuracy on NumPy arrays:", f"{loaded.score(X_test, y_test):.4f}")
    with sklearn.config_context(array_api_dispatch=True):
        xp, _, device = get_namespace_and_device(X_test_d)
        moved = move_estimator_to(loaded, xp, device)
        print("moved back, predict returns:", type(moved.predict(X_test_d)).__module__)

# %%
# The two loss curves
# -------------------
# ``loss_curve_`` holds host floats wherever the training ran.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, len(numpy_clf.loss_curve_) + 1), numpy_clf.loss_curve_, lw=3, alpha=0.5,
        label="NumPy")
if backend is not None:
    ax.plot(range(1, len(device_clf.loss_curve_) + 1), device_clf.loss_curve_, "k--",
            label=backend[0])
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_yscale("log")
ax.legend()
ax.set_title("The same training on NumPy and through the array API")
fig.tight_layout()
plt.show()
