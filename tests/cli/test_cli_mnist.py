"""The skbpnet command and a short MNIST training run."""

import io
import subprocess
import sys

import numpy as np
import pytest

import skbpnet
from skbpnet import BPNetClassifier
from skbpnet.__main__ import build_parser, main


def test_short_mnist_run_beats_95_percent(mnist):
    # 10,000 training images, 4 epochs of Nesterov SGD with a cosine schedule.
    clf = BPNetClassifier(hidden_layer_sizes=(256,), solver="sgd", learning_rate_init=0.1,
                          learning_rate="cosine", batch_size=32, max_iter=4, random_state=0)
    clf.fit(mnist.X_train[:10_000], mnist.y_train[:10_000])
    assert clf.coefs_[0].dtype == np.float32
    assert clf.score(mnist.X_test, mnist.y_test) > 0.95


def test_mnist_command_trains_saves_and_plots(mnist_data_home, tmp_path):
    pytest.importorskip("matplotlib")
    out = io.StringIO()
    model, plot = tmp_path / "m.skbpnet", tmp_path / "curves.png"
    main(["mnist", "--data-home", str(mnist_data_home), "--n-train", "5000", "--epochs", "2",
          "--output", str(model), "--plot", str(plot), "--threads", "1"], out=out)
    text = out.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "test acc" in lines[0] and "loss" in lines[0]
    assert "test accuracy: 0.9" in text
    assert str(model) in text and plot.stat().st_size > 10_000
    clf = skbpnet.load(model)
    assert clf.n_iter_ == 2 and clf.coefs_[0].shape == (784, 256)


def test_digits_command_and_predict(tmp_path):
    out = io.StringIO()
    model = tmp_path / "digits.skbpnet"
    main(["digits", "--epochs", "15", "--output", str(model), "--quiet"], out=out)
    acc = float(out.getvalue().split("test accuracy: ")[1].split()[0])
    assert acc > 0.95
    clf = skbpnet.load(model)
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    np.save(tmp_path / "x.npy", (X[:20] / 16).astype(np.float32))
    np.savetxt(tmp_path / "x.csv", X[:20] / 16, delimiter=",")
    for name in ("x.npy", "x.csv"):
        pred_out = io.StringIO()
        main(["predict", str(model), str(tmp_path / name)], out=pred_out)
        preds = [int(v) for v in pred_out.getvalue().split()]
        assert preds == clf.predict(X[:20] / 16).tolist()


def test_offline_without_data_gives_clear_message(tmp_path, monkeypatch, capsys):
    import urllib.error

    import sklearn.datasets._openml as openml

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(openml, "urlopen", no_network)
    with pytest.raises(SystemExit) as exc:
        main(["mnist", "--data-home", str(tmp_path / "empty"), "--output", str(tmp_path / "m")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "SCIKIT_LEARN_DATA" in err and "skbpnet digits" in err


def test_help_reads_well():
    help_text = build_parser()._subparsers._group_actions[0].choices["mnist"].format_help()
    for option in ("--hidden", "--epochs", "--batch-size", "--solver", "--lr", "--dropout",
                   "--seed", "--threads", "--plot", "--format", "--input-dropout", "--max-norm"):
        assert option in help_text


@pytest.mark.parametrize("command", [["digits"], ["mnist"], ["train", "data.csv", "--target", "y"]])
def test_max_norm_option_reaches_the_estimator(command):
    from skbpnet.cli._common import make_estimator

    parser = build_parser()
    assert make_estimator(parser.parse_args(command)).max_norm is None
    est = make_estimator(parser.parse_args(command + ["--max-norm", "3.5"]))
    assert est.max_norm == 3.5


def test_console_script_runs_as_module():
    res = subprocess.run([sys.executable, "-m", "skbpnet", "--help"], capture_output=True,
                         text=True, check=True)
    assert "mnist" in res.stdout and "digits" in res.stdout


def test_safe_format_from_the_command(tmp_path):
    import skbpnet

    out = io.StringIO()
    model = tmp_path / "digits.skbpnet"
    main(["digits", "--epochs", "3", "--output", str(model), "--format", "safe", "--quiet"],
         out=out)
    assert "(safe)" in out.getvalue()
    clf = skbpnet.load(model)  # a joblib file would be refused here
    X = np.random.default_rng(0).random((5, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    pred_out = io.StringIO()
    main(["predict", str(model), str(tmp_path / "x.npy")], out=pred_out)
    assert [int(v) for v in pred_out.getvalue().split()] == clf.predict(X).tolist()
