"""The "How to add ..." recipes of docs/architecture.rst, each proved by a toy extension.

Every toy is registered from inside its test, for the test only (the
registries' ``registered`` context manager), and goes through fit, predict,
skbpnet.save/load and the command's --help choices: nothing else in the
library is edited to make it work.
"""

import io

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

import skbpnet
from skbpnet import BPNetClassifier, BPNetRegressor, nn
from skbpnet._solvers import SOLVERS, Solver
from skbpnet.cli import SUBCOMMANDS, build_parser, main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _choices(command, option):
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    return next(a.choices for a in parser._actions if option in a.option_strings)


def _round_trip(model, X, tmp_path):
    """Save and load ``model``; the loaded one predicts the same, bit for bit."""
    path = tmp_path / "toy.skbpnet"
    skbpnet.save(model, path)
    loaded = skbpnet.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    return loaded


# -- an activation ---------------------------------------------------------------------------
class Softsign(nn.Activation):
    """``f(x) = x / (1 + |x|)``; ``f'(x) = (1 - |f(x)|)^2``. ONNX: not declared (refused)."""

    def _fn(self, X, out):
        np.divide(X, 1.0 + np.abs(X), out=out)

    def _backward_np(self, dY):
        dX = self._out_for(dY, "_dX")
        np.multiply(dY, (1.0 - np.abs(self._cache)) ** 2, out=dX)
        return dX

    def _f(self, xp, X):
        return X / (1.0 + xp.abs(X))

    def _df(self, xp, dY, X, Y):
        return dY * (1.0 - xp.abs(Y)) ** 2


def test_an_activation_is_one_registration(tmp_path):
    X, y = _data()
    with nn.ACTIVATIONS.registered("softsign", Softsign):
        assert "softsign" in _choices("train", "--activation")
        clf = BPNetClassifier(hidden_layer_sizes=(5,), activation="softsign", max_iter=20,
                              random_state=0).fit(X, y)
        assert isinstance(clf._net.layers[1], Softsign)
        loaded = _round_trip(clf, X, tmp_path)
        assert loaded.activation == "softsign"
        pytest.importorskip("skl2onnx")
        from skl2onnx import to_onnx

        import skbpnet.onnx  # noqa: F401 (registers the converters)

        with pytest.raises(NotImplementedError, match="'softsign'.*to_onnx = None.*'relu'"):
            to_onnx(clf, X[:1])
    # Undone: the name is unknown again, to the parameters, the command and the files.
    assert "softsign" not in nn.ACTIVATIONS
    assert "softsign" not in _choices("train", "--activation")
    with pytest.raises(InvalidParameterError, match="'activation' parameter.*'relu'"):
        BPNetClassifier(activation="softsign").fit(X, y)
    with pytest.raises(skbpnet.ModelFileError, match="softsign"):
        skbpnet.load(tmp_path / "toy.skbpnet")


def test_activation_gradient_matches_finite_differences():
    x = np.array([[-2.0, -0.5, 0.3, 4.0]])
    act = Softsign()
    act.forward(x)
    eps = 1e-6
    numeric = (Softsign().infer(x + eps) - Softsign().infer(x - eps)) / (2 * eps)
    np.testing.assert_allclose(act.backward(np.ones_like(x)), numeric, rtol=1e-6)


# -- a layer usable by the estimators: a parameter-free one, in the activation slot ------------
class HardTanh(nn.Activation):
    """``f(x) = clip(x, -1, 1)``, with the ONNX expression its class declares (Clip)."""

    def _fn(self, X, out):
        np.clip(X, -1.0, 1.0, out=out)

    def _backward_np(self, dY):
        dX = self._out_for(dY, "_dX")
        np.multiply(dY, np.abs(self._cache) < 1.0, out=dX)
        return dX

    def _f(self, xp, X):
        return xp.clip(X, min=-1.0, max=1.0)

    def _df(self, xp, dY, X, Y):
        return xp.where(xp.abs(Y) < 1.0, dY, xp.zeros_like(dY))

    def to_onnx(self, graph, x):
        return graph.node("Clip", [x, graph.const(-1.0), graph.const(1.0)])


def test_a_layer_is_one_registration_and_exports_to_onnx(tmp_path):
    X, y = _data()
    with nn.ACTIVATIONS.registered("hardtanh", HardTanh):
        assert "hardtanh" in _choices("digits", "--activation")
        reg = BPNetRegressor(hidden_layer_sizes=(6, 4), activation="hardtanh", max_iter=20,
                             random_state=0).fit(X, y.astype(np.float32))
        _round_trip(reg, X, tmp_path)
        pytest.importorskip("skl2onnx")
        ort = pytest.importorskip("onnxruntime")
        from skl2onnx import to_onnx

        import skbpnet.onnx  # noqa: F401

        session = ort.InferenceSession(to_onnx(reg, X[:1]).SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        (out,) = session.run(None, {"X": X})
        np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=1e-5, atol=1e-6)
    assert "hardtanh" not in nn.ACTIVATIONS


# -- a solver --------------------------------------------------------------------------------
class GD(nn.Optimizer):
    """Plain gradient descent: ``w <- w - lr * (g + l2 * w)``; no state."""

    _n_slots = 0

    def _update(self, params, grads, l2, fused):
        for w, g, pen in zip(params, grads, l2):
            if pen:
                g += pen * w
            w -= self.learning_rate * g

    def _update_xp(self, w, g, pen):
        w -= self.learning_rate * (g + pen * w)


GD_SOLVER = Solver(GD, {"learning_rate": "learning_rate_init"})


def test_a_solver_is_one_registration(tmp_path):
    X, y = _data()
    with SOLVERS.registered("gd", GD_SOLVER):
        assert "gd" in _choices("train", "--solver")
        clf = BPNetClassifier(hidden_layer_sizes=(5,), solver="gd", learning_rate_init=0.1,
                              max_iter=15, random_state=0)
        with pytest.warns(Warning, match="Maximum iterations"):  # a stochastic solver's report
            clf.fit(X, y)
        assert type(clf._optimizer) is GD and clf._optimizer.n_steps > 0
        assert clf.loss_curve_[-1] < clf.loss_curve_[0]
        clf.partial_fit(X, y)  # stochastic: partial_fit exists
        loaded = _round_trip(clf, X, tmp_path)
        assert type(loaded._optimizer) is GD
        assert loaded._optimizer.get_config() == clf._optimizer.get_config()
        loaded.set_params(warm_start=True, max_iter=2)
        with pytest.warns(Warning, match="Maximum iterations"):
            loaded.fit(X, y)  # continues with the loaded GD
    assert "gd" not in SOLVERS and "gd" not in _choices("train", "--solver")
    with pytest.raises(InvalidParameterError, match="'solver' parameter.*'lbfgs'"):
        BPNetClassifier(solver="gd").fit(X, y)
    with pytest.raises(skbpnet.ModelFileError, match="GD"):
        skbpnet.load(tmp_path / "toy.skbpnet")


def test_a_full_batch_solver_is_refused_what_needs_epochs():
    X, y = _data()
    with SOLVERS.registered("full", SOLVERS["lbfgs"]):  # L-BFGS under another name
        assert "full" not in _choices("train", "--solver")  # the command offers stochastic ones
        clf = BPNetClassifier(hidden_layer_sizes=(3,), solver="full", max_iter=5,
                              random_state=0).fit(X, y)
        assert not hasattr(clf, "partial_fit")
        with pytest.raises(InvalidParameterError,
                           match=r"solver='full'.*Use solver='adam' or 'sgd'"):
            clf.set_params(max_norm=3.0).fit(X, y)


# -- a subcommand ----------------------------------------------------------------------------
def _add_hello(sub):
    p = sub.add_parser("hello", help="say hello")
    p.add_argument("--name", choices=["world", "skbpnet"], default="world")
    p.set_defaults(func=lambda args, out: print(f"hello, {args.name}", file=out))


def test_a_subcommand_is_one_registration():
    with SUBCOMMANDS.registered("hello", _add_hello):
        assert "hello" in build_parser().format_help()
        assert _choices("hello", "--name") == ["world", "skbpnet"]
        out = io.StringIO()
        assert main(["hello", "--name", "skbpnet"], out=out) == 0
        assert out.getvalue() == "hello, skbpnet\n"
    assert "hello" not in build_parser().format_help()
