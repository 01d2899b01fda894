"""``--device`` and ``--array-library``: the options, the no-GPU message, PyTorch CPU runs.

No test here needs a GPU: the device path runs on PyTorch CPU tensors
(``--array-library torch --device cpu``), the same code as on CUDA but the
device object. Those tests skip without PyTorch (CI's fresh environment has
none).
"""

import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from _cli_helpers import REPO_ROOT, diabetes_frame, iris_frame

import skbpnet
from skbpnet.__main__ import build_parser, main
from skbpnet.cli import _device
from skbpnet.cli._device import Probe, array_dispatch, resolve

EPOCH_LINE = re.compile(r"^epoch +\d+/\d+  loss \d+\.\d{4}  test acc \d\.\d{4}  [\d.]+ m?s$")
FINAL_LINE = re.compile(r"^test accuracy: (\d\.\d{4})  \(2 epochs, [\d.]+ s of training, "
                        r"[\d.]+ s with per-epoch evaluation\)$")


def _gpu_visible():
    return any(_device.probe(name).n_gpus for name in _device.LIBRARIES)


def _fake_probes(monkeypatch, **probes):
    monkeypatch.setattr(_device, "probe", lambda name: probes[name])


def _main_exit(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv, out=io.StringIO())
    return info.value.code, capsys.readouterr().err


# -- the options -------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["digits"], ["mnist"], ["train", "d.csv", "--target", "y"]])
def test_every_training_command_has_the_options_with_numpy_defaults(command):
    args = build_parser().parse_args(command)
    assert (args.device, args.array_library) == ("cpu", "auto")
    assert resolve(args.device, args.array_library) is None  # the NumPy path
    args = build_parser().parse_args(command + ["--device", "cuda:1", "--array-library", "cupy"])
    assert (args.device, args.array_library) == ("cuda:1", "cupy")


@pytest.mark.parametrize("bad", ["gpu", "cuda:", "cuda:x", "CUDA", "cuda:0:1", "mps"])
def test_other_devices_are_refused_by_the_parser(bad, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["digits", "--device", bad])
    assert info.value.code == 2
    assert f"invalid device {bad!r}: use cpu, cuda or cuda:N" in capsys.readouterr().err


def test_cupy_on_the_cpu_is_refused(capsys):
    code, err = _main_exit(["digits", "--array-library", "cupy"], capsys)
    assert code == 2
    assert err.startswith("skbpnet: --array-library cupy needs --device cuda") and err.count("\n") == 1


# -- no GPU: the one-line message ---------------------------------------------------------
def test_no_gpu_message_names_what_was_found(monkeypatch, capsys):
    _fake_probes(monkeypatch, torch=Probe("torch", "2.13.0+cpu", 0, None),
                 cupy=Probe("cupy", None, 0, None))
    code, err = _main_exit(["digits", "--device", "cuda"], capsys)
    assert code == 2
    assert err == ("skbpnet: --device cuda needs PyTorch or CuPy with a visible CUDA GPU; found "
                   "PyTorch 2.13.0+cpu (no CUDA device) and no CuPy. Install a CUDA build of "
                   "either, or drop --device.\n")


def test_no_gpu_message_for_one_library_and_a_broken_cupy(monkeypatch, capsys):
    _fake_probes(monkeypatch, torch=Probe("torch", None, 0, None),
                 cupy=Probe("cupy", None, 0, "ImportError: libcudart.so.12: cannot open"))
    code, err = _main_exit(["digits", "--device", "cuda:0", "--array-library", "cupy"], capsys)
    assert code == 2
    assert err == ("skbpnet: --device cuda:0 --array-library cupy needs CuPy with a visible CUDA "
                   "GPU; found CuPy that fails to import (ImportError: libcudart.so.12: cannot "
                   "open). Install a CUDA build of CuPy, or drop --device.\n")


def test_a_gpu_number_beyond_those_visible_is_refused(monkeypatch, capsys):
    _fake_probes(monkeypatch, torch=Probe("torch", "2.5.1", 2, None),
                 cupy=Probe("cupy", None, 0, None))
    code, err = _main_exit(["digits", "--device", "cuda:2"], capsys)
    assert code == 2
    assert err == ("skbpnet: --device cuda:2: PyTorch 2.5.1 (2 CUDA device(s)) sees CUDA "
                   "devices 0 to 1 only\n")


def test_the_device_is_checked_before_the_data_is_loaded(monkeypatch, capsys, tmp_path):
    _fake_probes(monkeypatch, torch=Probe("torch", None, 0, None), cupy=Probe("cupy", None, 0, None))
    code, err = _main_exit(["mnist", "--device", "cuda", "--data-home", str(tmp_path)], capsys)
    assert code == 2 and "needs PyTorch or CuPy" in err and "MNIST" not in err


@pytest.mark.skipif(_gpu_visible(), reason="a CUDA GPU is visible: there is no no-GPU message")
def test_no_gpu_message_for_real():
    # The probes as they are on this machine, in a fresh process.
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    res = subprocess.run([sys.executable, "-m", "skbpnet", "digits", "--device", "cuda"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("skbpnet: --device cuda needs PyTorch or CuPy with a visible "
                                 "CUDA GPU; found ") and res.stderr.count("\n") == 1
    try:
        import torch
    except ImportError:
        assert "found no PyTorch and " in res.stderr
    else:
        assert f"found PyTorch {torch.__version__} (no CUDA device" in res.stderr


def test_array_library_torch_without_torch_says_so():
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    # A finder that refuses torch, as if it were not installed (``sys.modules['torch'] =
    # None`` would not do: SciPy's array API helpers look torch up in sys.modules).
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.partition('.')[0] == 'torch':\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "from skbpnet.cli import main; sys.exit(main())")
    res = subprocess.run([sys.executable, "-c", code, "digits", "--array-library", "torch"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 2
    assert res.stderr == ("skbpnet: --array-library torch needs PyTorch; found no PyTorch. "
                          "Install it (pip install torch), or drop --array-library.\n")


def test_dispatch_refuses_a_scipy_array_api_set_to_something_else(monkeypatch, capsys):
    monkeypatch.setenv("SCIPY_ARRAY_API", "0")
    with pytest.raises(SystemExit):
        with array_dispatch(object()):
            pass
    assert "SCIPY_ARRAY_API=1" in capsys.readouterr().err


# -- PyTorch CPU tensors: the device path, end to end -------------------------------------
def _digits(tmp_path, *extra):
    """stdout of ``skbpnet digits --epochs 2`` in a fresh process without SCIPY_ARRAY_API."""
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    model = tmp_path / f"digits{len(extra)}.skbpnet"
    res = subprocess.run([sys.executable, "-m", "skbpnet", "digits", "--epochs", "2",
                          "--threads", "1", "--output", str(model), *extra],
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    return res.stdout, model


def test_digits_on_torch_cpu_tensors_reports_like_the_numpy_run(tmp_path):
    torch = pytest.importorskip("torch")
    numpy_out, _ = _digits(tmp_path)
    torch_out, model = _digits(tmp_path, "--array-library", "torch", "--device", "cpu")
    lines = {"numpy": numpy_out.splitlines(), "torch": torch_out.splitlines()}
    for name, out in lines.items():
        assert [bool(EPOCH_LINE.match(line)) for line in out[1:3]] == [True, True], (name, out)
        assert FINAL_LINE.match(out[3]), (name, out)
        assert out[4].startswith("model saved to ")
    assert lines["numpy"][0].endswith("float32, 1 BLAS thread(s)")
    assert lines["torch"][0].endswith(f"float32, on cpu through PyTorch {torch.__version__}")
    assert lines["numpy"][0].split(", float32")[0] == lines["torch"][0].split(", float32")[0]
    acc = {name: float(FINAL_LINE.match(out[3]).group(1)) for name, out in lines.items()}
    assert acc["torch"] > 0.85
    # Same data, batches, shuffling and initial weights: the same model to float32 rounding.
    losses = {name: [float(line.split("loss ")[1].split()[0]) for line in out[1:3]]
              for name, out in lines.items()}
    assert np.allclose(losses["torch"], losses["numpy"], rtol=0, atol=2e-4), losses
    assert abs(acc["torch"] - acc["numpy"]) <= 0.005, acc
    clf = skbpnet.load(model)  # saved as NumPy arrays, usable without torch
    assert all(type(w) is np.ndarray for w in clf.coefs_)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    _, X_test, _, y_test = train_test_split((X / 16).astype(np.float32), y, test_size=0.25,
                                            random_state=0, stratify=y)
    assert clf.score(X_test, y_test) == pytest.approx(acc["torch"], abs=5e-5)


def _train(tmp_path, frame, target, *extra):
    csv, model = tmp_path / "data.csv", tmp_path / "model.skbpnet"
    frame.to_csv(csv, index=False)
    out = io.StringIO()
    main(["train", str(csv), "--target", target, "--epochs", "30", "--threads", "1",
          "--output", str(model), "--array-library", "torch", *extra], out=out)
    return out.getvalue(), csv, skbpnet.load(model)


def test_train_classification_on_torch_cpu_tensors(tmp_path):
    pytest.importorskip("torch")
    out, csv, pipe = _train(tmp_path, iris_frame(), "species")
    epochs = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(epochs) == 30 and "test acc" in epochs[-1]
    acc = float(out.split("held-out accuracy: ")[1].split()[0])
    assert acc >= 0.8
    assert type(pipe[-1].coefs_[0]) is np.ndarray and pipe[-1].callbacks is None
    import pandas as pd

    X = pd.read_csv(csv).drop(columns="species")
    assert set(pipe.predict(X)) <= {"setosa", "versicolor", "virginica"}


def test_train_regression_on_torch_cpu_tensors(tmp_path):
    pytest.importorskip("torch")
    out, csv, pipe = _train(tmp_path, diabetes_frame(), "target", "--alpha", "1")
    assert "test R2" in out
    assert float(out.split("held-out R2: ")[1].split()[0]) > 0.2
    import pandas as pd

    preds = pipe.predict(pd.read_csv(csv).drop(columns="target"))
    assert type(preds) is np.ndarray and 100 < preds.mean() < 200  # the target's own scale
