"""The core's array API path against its NumPy path, module by module.

Every module computes NumPy arrays with its hand-tuned in-place code and
arrays of any other array API namespace with plain expressions of the
standard. Here both run on the same inputs and must agree to rounding (the
keyed dropout masks bit for bit). ``array_api_strict`` runs on its
non-default device ``device1``, so that any array made on the wrong device
fails; PyTorch (CPU) runs when it is installed.
"""

import numpy as np
import pytest

from skbpnet import nn
from skbpnet.nn._namespace import get_namespace, to_numpy
from skbpnet.nn.hashing import keyed_keep, splitmix64

from .._array_api_helpers import namespace_for_tests


@pytest.fixture(params=["array_api_strict", "torch", "torch-cuda", "cupy"])
def space(request):
    """(xp, device, to_xp): the namespace, its device, and a NumPy-to-namespace mover."""
    xp, device = namespace_for_tests(request.param)
    return xp, device, lambda a: xp.asarray(np.asarray(a), device=device)


def _close(a, b, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 5))
DY = RNG.normal(size=(7, 5))


@pytest.mark.parametrize("name", sorted(nn.ACTIVATIONS))
def test_activation_forward_backward_infer(space, name):
    xp, device, to_xp = space
    ref = nn.ACTIVATIONS[name]()
    Y, dX = ref.forward(X.copy()).copy(), ref.backward(DY.copy()).copy()
    act = nn.ACTIVATIONS[name]()
    Yx = act.forward(to_xp(X))
    dXx = act.backward(to_xp(DY))
    assert get_namespace(Yx) is xp and get_namespace(dXx) is xp
    _close(Yx, Y)
    _close(dXx, dX)
    _close(act.infer(to_xp(X)), Y)


def test_relu_keeps_nan_as_numpy_does(space):
    xp, device, to_xp = space
    Z = X.copy()
    Z[0, 0] = np.nan
    assert np.isnan(to_numpy(nn.ReLU().forward(to_xp(Z)))[0, 0])
    assert np.isnan(nn.ReLU().forward(Z.copy())[0, 0])


def test_linear_forward_backward(space):
    xp, device, to_xp = space
    ref = nn.Sequential(nn.Linear(5, 3, random_state=0))
    net = nn.Sequential(nn.Linear(5, 3, random_state=0)).to_namespace(xp, device)
    G = RNG.normal(size=(7, 3))
    Y = ref.forward(X).copy()
    dX = ref.backward(G).copy()
    Yx = net.forward(to_xp(X))
    dXx = net.backward(to_xp(G))
    _close(Yx, Y)
    _close(dXx, dX)
    _close(net.grad_vector, ref.grad_vector)
    # The layer's gradients are views of the flat vector there too.
    assert to_numpy(net.layers[0].grad_bias).tolist() == to_numpy(net.grad_vector)[-3:].tolist()


@pytest.mark.parametrize("p", [0.0001, 0.1, 0.5, 0.9])
def test_keyed_masks_are_bitwise_equal(space, p):
    xp, device, to_xp = space
    keys = splitmix64(np.arange(500, dtype=np.uint64) * np.uint64(977))
    expected = keyed_keep(keys, 33, p)
    got = to_numpy(keyed_keep(to_xp(keys.view(np.int64)), 33, p))
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)
    assert abs(expected.mean() - (1 - p)) < 0.02  # and the NumPy masks drop about p


def test_dropout_keyed_and_drawn(space):
    xp, device, to_xp = space
    keys = splitmix64(np.arange(7, dtype=np.uint64))
    ref = nn.Dropout(0.4)
    Y = ref.forward(X.copy(), row_keys=keys).copy()
    dX = ref.backward(DY.copy()).copy()
    drop = nn.Dropout(0.4)
    Yx = drop.forward(to_xp(X), row_keys=to_xp(keys.view(np.int64)))
    _close(Yx, Y, rtol=0, atol=0)
    _close(drop.backward(to_xp(DY)), dX, rtol=0, atol=0)
    # Without keys the mask is drawn from the layer's generator: the same draw.
    a, b = nn.Dropout(0.4, random_state=3), nn.Dropout(0.4, random_state=3)
    _close(b.forward(to_xp(X)), a.forward(X.copy()))
    drop.eval()
    _close(drop.forward(to_xp(X)), X)  # evaluation mode: identity


LOSS_CASES = [
    (nn.SoftmaxCrossEntropyLoss, lambda: RNG.integers(0, 4, size=7)),
    (nn.SoftmaxCrossEntropyLoss, lambda: np.eye(4)[RNG.integers(0, 4, size=7)]),
    (nn.SigmoidBinaryCrossEntropyLoss, lambda: (RNG.uniform(size=(7, 4)) > 0.5) * 1.0),
    (nn.MSELoss, lambda: RNG.normal(size=(7, 4))),
    (nn.PoissonLoss, lambda: RNG.poisson(1.5, size=(7, 4)) * 1.0),
]


@pytest.mark.parametrize("loss_cls, make_y", LOSS_CASES,
                         ids=["softmax-index", "softmax-onehot", "sigmoid", "mse", "poisson"])
@pytest.mark.parametrize("weighted", [False, True])
def test_losses(space, loss_cls, make_y, weighted):
    xp, device, to_xp = space
    scores = RNG.normal(size=(7, 4)) * 3
    y = make_y()
    sw = RNG.uniform(0.1, 2.0, size=7) if weighted else None
    ref = loss_cls()
    value = ref.forward(scores, y, sw)
    loss = loss_cls()
    got = loss.forward(to_xp(scores), to_xp(y), None if sw is None else to_xp(sw))
    assert isinstance(got, float)
    assert got == pytest.approx(value, rel=1e-12)
    _close(loss.backward(), ref.backward())


def test_loss_refuses_zero_weights(space):
    xp, device, to_xp = space
    with pytest.raises(ValueError, match="positive sum"):
        nn.MSELoss().forward(to_xp(np.ones((2, 1))), to_xp(np.zeros((2, 1))),
                             to_xp(np.zeros(2)))


def test_softmax_and_sigmoid(space):
    xp, device, to_xp = space
    S = RNG.normal(size=(6, 3)) * 50
    _close(nn.losses.softmax(to_xp(S)), nn.losses.softmax(S.copy()))
    _close(nn.activations.sigmoid(to_xp(S)), nn.activations.sigmoid(S))


@pytest.mark.parametrize("make_opt", [
    lambda: nn.SGD(0.1, momentum=0.9, nesterov=False),
    lambda: nn.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: nn.Adam(0.01),
], ids=["sgd", "nesterov", "adam"])
@pytest.mark.parametrize("fused", [True, False], ids=["blas", "numpy-reference"])
def test_optimizer_steps_agree(space, make_opt, fused):
    """The array API update against both NumPy forms (BLAS and the reference)."""
    xp, device, to_xp = space
    w0 = RNG.normal(size=(2, 50))
    grads = [RNG.normal(size=(2, 50)) for _ in range(4)]
    ref, opt = make_opt(), make_opt()
    w_ref, w = w0.copy(), to_xp(w0)
    for g in grads:
        ref.step([w_ref[0], w_ref[1]], [g[0].copy(), g[1].copy()], l2=[0.3, 0.0], fused=fused)
        opt.step([w[0, ...], w[1, ...]], [to_xp(g[0]), to_xp(g[1])], l2=[0.3, 0.0])
    _close(w, w_ref)
    for slot_ref, slot in zip(ref.state, opt.state):
        for a_ref, a in zip(slot_ref, slot):
            assert get_namespace(a) is xp
            _close(a, a_ref)


def test_sequential_moves_and_comes_back(space):
    xp, device, to_xp = space
    net = nn.Sequential(nn.Linear(5, 4, random_state=0), nn.Tanh(), nn.Linear(4, 2, random_state=1))
    before = net.param_vector.copy()
    net.to_namespace(xp, device)
    assert get_namespace(net.param_vector) is xp
    assert all(get_namespace(p) is xp for p in net.params)
    net.param_vector[0] = 7.0  # the layers' weights are still views of the vector
    assert float(net.layers[0].weight[0, 0]) == 7.0
    net.to_namespace(np)
    assert isinstance(net.param_vector, np.ndarray)
    assert net.param_vector[0] == 7.0
    np.testing.assert_array_equal(net.param_vector[1:], before[1:])
    net.param_vector[1] = 5.0
    assert net.layers[0].weight[0, 1] == 5.0


def test_zero_grad_and_state_round_trip(space):
    xp, device, to_xp = space
    net = nn.Sequential(nn.Linear(3, 2, random_state=0)).to_namespace(xp, device)
    net.backward(net.forward(to_xp(np.ones((4, 3)))))
    assert float(xp.sum(xp.abs(net.grad_vector))) > 0
    net.zero_grad()
    assert float(xp.sum(xp.abs(net.grad_vector))) == 0
    layer = net.layers[0]
    state = layer.get_state()
    layer.set_state({"weight": np.zeros((3, 2)), "bias": np.ones(2)})  # NumPy values move in
    assert float(xp.sum(net.param_vector)) == 2.0
    layer.set_state(state)
    _close(layer.weight, state["weight"])
    with pytest.raises(ValueError, match="shape"):
        layer.set_state({"weight": np.zeros((2, 3)), "bias": np.ones(2)})


def test_scikit_learn_moves_a_network(space):
    """Sequential's __sklearn_array_api_convert__: scikit-learn's converters move a network."""
    from sklearn.utils._array_api import _estimator_with_converted_arrays

    xp, device, to_xp = space
    net = nn.Sequential(nn.Linear(3, 2, random_state=0), nn.ReLU())
    moved = _estimator_with_converted_arrays(net, to_xp)
    assert isinstance(net.param_vector, np.ndarray)  # the original stays
    assert get_namespace(moved.param_vector) is xp
    _close(moved.infer(to_xp(np.ones((2, 3)))), net.infer(np.ones((2, 3))))
