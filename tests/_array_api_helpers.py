"""The array API namespaces the tests run on, each skipped with its reason when absent.

``array_api_strict`` is in the [test] extra and always runs, on its
non-default device ``device1`` so that an array made on the wrong device
fails. PyTorch (CPU, and CUDA when a GPU is visible) and CuPy run wherever
they are installed: not in CI's fresh environment, which has no GPU.
"""

import pytest

from skbpnet.nn._namespace import get_namespace


def namespace_for_tests(name):
    """(xp, device) for one of 'array_api_strict', 'torch', 'torch-cuda', 'cupy'."""
    if name == "array_api_strict":
        xp = pytest.importorskip("array_api_strict", reason="array_api_strict is not installed "
                                                            "(the [test] extra brings it)")
        return xp, xp.Device("device1")
    if name in ("torch", "torch-cuda"):
        torch = pytest.importorskip("torch", reason="PyTorch is not installed: its tensors are "
                                                    "not tested here")
        if name == "torch-cuda" and not torch.cuda.is_available():
            pytest.skip("PyTorch sees no CUDA GPU: its CUDA tensors are not tested here")
        device = "cuda" if name == "torch-cuda" else "cpu"
        return get_namespace(torch.ones(1)), torch.device(device)
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed: its arrays are not "
                                              "tested here")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no device")
    except Exception as exc:  # noqa: BLE001 - CuPy raises its own CUDA errors
        pytest.skip(f"CuPy sees no CUDA GPU ({exc}): its arrays are not tested here")
    return get_namespace(cupy.ones(1)), cupy.cuda.Device(0)
