"""Sequential: flat buffers, pickling and state, modes, sparse input, dtypes end to end."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from skbpnet.nn import (
    GELU,
    SGD,
    Adam,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    SigmoidBinaryCrossEntropyLoss,
    SoftmaxCrossEntropyLoss,
    Tanh,
)


def small_net(dtype=np.float64, dropout=0.0):
    layers = [Linear(4, 6, dtype=dtype, random_state=0), ReLU()]
    if dropout:
        layers.append(Dropout(dropout, random_state=0))
    layers += [Linear(6, 5, dtype=dtype, random_state=1), Tanh(), Linear(5, 3, dtype=dtype, random_state=2)]
    return Sequential(*layers)


def linears(net):
    return [layer for layer in net.layers if isinstance(layer, Linear)]


# --------------------------------------------------------------------------
# Sequential: flat buffers
# --------------------------------------------------------------------------


def test_param_vector_layout_and_views():
    net = small_net()
    lin = linears(net)
    n_weights = sum(layer.weight.size for layer in lin)
    n_biases = sum(layer.bias.size for layer in lin)
    assert net.n_penalized == n_weights == 4 * 6 + 6 * 5 + 5 * 3
    assert net.param_vector.shape == net.grad_vector.shape == (n_weights + n_biases,)
    # weights first, then biases, in layer order
    np.testing.assert_array_equal(
        net.param_vector[: net.n_penalized], np.concatenate([layer.weight.ravel() for layer in lin])
    )
    np.testing.assert_array_equal(
        net.param_vector[net.n_penalized :], np.concatenate([layer.bias.ravel() for layer in lin])
    )
    for layer in lin:
        for p in layer.params:
            assert np.shares_memory(p, net.param_vector)
        for g in layer.grads:
            assert np.shares_memory(g, net.grad_vector)

    # writing the flat vector changes the layers, and the other way round
    net.param_vector[0] = 42.0
    assert lin[0].weight[0, 0] == 42.0
    net.param_vector[net.n_penalized] = -7.0
    assert lin[0].bias[0] == -7.0
    lin[2].weight[-1, -1] = 3.5
    assert net.param_vector[net.n_penalized - 1] == 3.5


def test_construction_keeps_the_initial_values():
    reference = [Linear(3, 4, random_state=5).weight.copy(), Linear(4, 2, random_state=6).weight.copy()]
    net = Sequential(Linear(3, 4, random_state=5), ReLU(), Linear(4, 2, random_state=6))
    for layer, w in zip(linears(net), reference):
        np.testing.assert_array_equal(layer.weight, w)


def test_backward_writes_grad_vector_and_overwrites():
    rng = np.random.default_rng(0)
    net = small_net()
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    first = net.grad_vector.copy()
    assert np.any(first != 0)
    # the layer gradients are the pieces of grad_vector
    lin = linears(net)
    np.testing.assert_array_equal(first[: lin[0].weight.size], lin[0].grad_weight.ravel())
    # a second identical step gives the same gradient: overwritten, not accumulated
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    np.testing.assert_allclose(net.grad_vector, first, rtol=1e-14)
    net.zero_grad()
    assert not net.grad_vector.any()
    assert all(not g.any() for g in net.grads)


def test_activations_after_linear_work_in_place():
    drop = Dropout(0.5)
    relu_after_dropout = ReLU()
    net = Sequential(Linear(3, 4, random_state=0), Tanh(), drop, relu_after_dropout, Linear(4, 2), Sigmoid())
    assert net.layers[1].inplace is True
    assert net.layers[5].inplace is True
    assert relu_after_dropout.inplace is False  # its input is dropout's buffer, not a Linear's
    X = np.random.default_rng(0).normal(size=(5, 3))
    X_copy = X.copy()
    net.eval()
    out = net.forward(X).copy()
    np.testing.assert_array_equal(X, X_copy)  # the caller's input is never overwritten
    # working in place does not change the result
    lin1, lin2 = net.layers[0], net.layers[4]
    h = np.maximum(np.tanh(X @ lin1.weight + lin1.bias), 0)
    expected = 1 / (1 + np.exp(-(h @ lin2.weight + lin2.bias)))
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_input_grad_flag():
    rng = np.random.default_rng(1)
    net = small_net()
    X = rng.normal(size=(3, 4))
    dY = rng.normal(size=(3, 3))
    net.forward(X)
    dX = net.backward(dY.copy())
    assert dX.shape == X.shape
    net.input_grad = False
    net.forward(X)
    assert net.backward(dY.copy()) is None
    net.input_grad = True
    net.forward(X)
    np.testing.assert_allclose(net.backward(dY.copy()), dX)


def test_sequential_rejects_bad_layers_and_mixed_dtypes():
    with pytest.raises(TypeError):
        Sequential(Linear(2, 2), "relu")
    with pytest.raises(ValueError):
        Sequential(Linear(2, 3, dtype=np.float32), ReLU(), Linear(3, 1, dtype=np.float64))


def test_train_eval_propagate():
    net = small_net(dropout=0.5)
    assert net.eval() is net
    assert all(layer.training is False for layer in net.layers)
    net.train()
    assert all(layer.training is True for layer in net.layers)


# --------------------------------------------------------------------------
# Pickling and state
# --------------------------------------------------------------------------


def _big_net():
    return Sequential(
        Linear(100, 80, random_state=0),
        ReLU(),
        Dropout(0.2, random_state=0),
        Linear(80, 10, random_state=1),
    )


@pytest.mark.parametrize("protocol", [pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_pickle_roundtrip_keeps_parameters_and_views(protocol):
    rng = np.random.default_rng(0)
    net = _big_net()
    net.param_vector[net.n_penalized :] = rng.normal(size=net.param_vector.size - net.n_penalized)
    X, y = rng.normal(size=(64, 100)), rng.integers(0, 10, size=64)
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(net.forward(X), y)  # fill the caches and gradients
    net.backward(loss.backward())

    blob = pickle.dumps(net, protocol=protocol)
    # gradients, caches and the flat buffer are not saved: the pickle is
    # about the size of the parameters, not twice (or more) that
    n_bytes = net.param_vector.nbytes
    assert n_bytes < len(blob) < 1.1 * n_bytes + 4096, (len(blob), n_bytes)

    clone = pickle.loads(blob)
    np.testing.assert_array_equal(clone.param_vector, net.param_vector)
    assert clone.n_penalized == net.n_penalized
    for a, b in zip(linears(clone), linears(net)):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
        for p in a.params:
            assert np.shares_memory(p, clone.param_vector)
        for g in a.grads:
            assert np.shares_memory(g, clone.grad_vector)
    # the views are live: writing the flat vector reaches the layer
    clone.param_vector[0] += 1.0
    assert linears(clone)[0].weight[0, 0] == net.param_vector[0] + 1.0
    clone.param_vector[0] -= 1.0

    # same predictions, and training works on the clone
    net.eval(), clone.eval()
    np.testing.assert_array_equal(clone.forward(X), net.forward(X))
    clone.train()
    loss.forward(clone.forward(X), y)
    clone.backward(loss.backward())
    assert np.any(clone.grad_vector != 0)
    before = clone.param_vector.copy()
    k = clone.n_penalized
    SGD(0.1).step([clone.param_vector[:k], clone.param_vector[k:]], [clone.grad_vector[:k], clone.grad_vector[k:]])
    assert np.any(clone.param_vector != before)
    np.testing.assert_array_equal(linears(clone)[0].weight.ravel(), clone.param_vector[: 100 * 80])


def test_get_state_set_state_roundtrip():
    net = small_net()
    state = net.get_state()
    assert len(state["layers"]) == len(net.layers)
    saved = net.param_vector.copy()
    net.param_vector[:] = 0.0
    # get_state returned copies
    assert np.any(state["layers"][0]["weight"] != 0)
    net.set_state(state)
    np.testing.assert_array_equal(net.param_vector, saved)
    # still views into the flat buffer after set_state
    for layer in linears(net):
        assert np.shares_memory(layer.weight, net.param_vector)
    # into another network of the same architecture
    other = Sequential(Linear(4, 6, random_state=9), ReLU(), Linear(6, 5), Tanh(), Linear(5, 3))
    assert np.any(other.param_vector != saved)
    other.set_state(state)
    np.testing.assert_array_equal(other.param_vector, saved)


def test_set_state_rejects_wrong_shapes():
    net = small_net()
    state = net.get_state()
    state["layers"][0]["weight"] = np.zeros((6, 4))  # transposed
    before = net.param_vector.copy()
    with pytest.raises(ValueError, match="shape"):
        net.set_state(state)
    with pytest.raises(ValueError):
        Linear(3, 2).set_state({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})
    with pytest.raises(ValueError):
        Linear(3, 2).set_state({"weight": np.zeros((3, 2)), "bias": np.zeros(3)})
    with pytest.raises(ValueError):
        net.set_state({"layers": net.get_state()["layers"][:-1]})  # wrong number of layers
    np.testing.assert_array_equal(net.param_vector[: 4 * 6], before[: 4 * 6])


# --------------------------------------------------------------------------
# Sparse input
# --------------------------------------------------------------------------


def test_sequential_sparse_input_matches_dense():
    rng = np.random.default_rng(1)
    dense = rng.normal(size=(10, 6)) * (rng.random((10, 6)) < 0.3)
    y = rng.integers(0, 3, size=10)
    grads = []
    for X in (sp.csr_matrix(dense), dense):
        net = Sequential(Linear(6, 5, random_state=0), ReLU(), Linear(5, 3, random_state=1))
        net.input_grad = False
        loss = SoftmaxCrossEntropyLoss()
        loss.forward(net.forward(X), y)
        assert net.backward(loss.backward()) is None
        grads.append(net.grad_vector.copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------
# dtypes: float32 stays float32, float64 stays float64
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        lambda: SGD(learning_rate=0.1, momentum=0.9),
        lambda: Adam(learning_rate=0.01),
    ],
    ids=["sgd-nesterov", "sgd", "adam"],
)
@pytest.mark.parametrize(
    "make_loss", [SoftmaxCrossEntropyLoss, MSELoss, SigmoidBinaryCrossEntropyLoss], ids=["softmax", "mse", "bce"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(dtype, make_loss, make_opt):
    rng = np.random.default_rng(0)
    layers = [
        Linear(4, 8, dtype=dtype, random_state=0),
        ReLU(),
        Dropout(0.2, random_state=0),
        Linear(8, 6, dtype=dtype, random_state=1),
        GELU(),
        Linear(6, 5, dtype=dtype, random_state=2),
        LeakyReLU(),
        Linear(5, 4, dtype=dtype, random_state=3),
        Sigmoid(),
        Linear(4, 3, dtype=dtype, random_state=4),
        Tanh(),
        Linear(3, 3, dtype=dtype, random_state=5),
        Identity(),
    ]
    net = Sequential(*layers)
    assert net.dtype == dtype and net.param_vector.dtype == dtype and net.grad_vector.dtype == dtype

    X = rng.normal(size=(16, 4)).astype(dtype)
    # targets in float64 / int, as a caller would pass them
    if make_loss is SoftmaxCrossEntropyLoss:
        y = rng.integers(0, 3, size=16)
    elif make_loss is MSELoss:
        y = rng.normal(size=(16, 3))
    else:
        y = rng.integers(0, 2, size=(16, 3)).astype(np.float64)
    w = rng.uniform(0.5, 1.5, size=16)  # float64 weights
    loss, opt = make_loss(), make_opt()

    # forward: every layer's output keeps the dtype
    h = X
    for layer in net.layers:
        h = layer.forward(h)
        assert h.dtype == dtype, layer
    value = loss.forward(h, y, sample_weight=w)
    assert np.isfinite(value)
    g = loss.backward()
    assert g.dtype == dtype, "the loss gradient must not be upcast"
    # backward: every layer's input gradient keeps the dtype
    for layer in reversed(net.layers):
        g = layer.backward(g)
        assert g.dtype == dtype, layer
    assert net.grad_vector.dtype == dtype and np.any(net.grad_vector != 0)
    assert all(gr.dtype == dtype for gr in net.grads)

    before = net.param_vector.copy()
    k = net.n_penalized
    for _ in range(2):
        loss.forward(net.forward(X), y, sample_weight=w)
        net.backward(loss.backward())
        opt.step([net.param_vector[:k], net.param_vector[k:]], [net.grad_vector[:k], net.grad_vector[k:]], l2=[1e-3, 0.0])
    assert net.param_vector.dtype == dtype
    assert np.any(net.param_vector != before)
    assert np.all(np.isfinite(net.param_vector))
    for slot in opt.state:
        for a in slot:
            assert a.dtype == dtype
    for a in opt._scratch:
        assert a.dtype == dtype
    assert all(np.shares_memory(p, net.param_vector) for p in net.params)


def test_float32_and_float64_gradients_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    y = rng.integers(0, 3, size=6)
    net64 = Sequential(Linear(4, 5, random_state=0), Tanh(), Linear(5, 3, random_state=1))
    net32 = Sequential(Linear(4, 5, dtype=np.float32), Tanh(), Linear(5, 3, dtype=np.float32))
    net32.set_state(net64.get_state())  # float64 values copied into the float32 buffer
    assert net32.param_vector.dtype == np.float32
    np.testing.assert_allclose(net32.param_vector, net64.param_vector, rtol=1e-7)
    grads = []
    for net, Z in ((net32, X.astype(np.float32)), (net64, X)):
        loss = SoftmaxCrossEntropyLoss()
        loss.forward(net.forward(Z), y)
        net.backward(loss.backward())
        grads.append(net.grad_vector.astype(np.float64))
    assert np.any(grads[1] != 0)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)
