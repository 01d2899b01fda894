"""The backpropagation core of skbpnet: NumPy first, readable, fast.

Build a network from layers, run it forward, take a loss, run it backward and
let an optimizer step::

    net = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
    loss = SoftmaxCrossEntropyLoss()
    opt = SGD(learning_rate=0.1, momentum=0.9)
    value = loss.forward(net.forward(X_batch), y_batch)
    net.backward(loss.backward())
    opt.step([net.param_vector], [net.grad_vector])

The same modules run on arrays of any array API library (PyTorch, CuPy,
array_api_strict), on their device: move a network there with
``net.to_namespace(xp, device)`` and give it such arrays. Each module keeps
its hand-tuned NumPy code and computes the same formulas with the standard's
functions for the others (:mod:`skbpnet.nn._namespace`).

The package imports nothing from scikit-learn but the ``array_api_compat``
it vendors, and that only for arrays that are not NumPy's; the estimators in
:mod:`skbpnet` wrap it.
"""

from ._namespace import (asarray_on, converter_target, copy_array, copy_into, device_of,
                         get_namespace, is_array_api_obj, is_numpy, numpy_dtype,
                         standard_namespace, to_numpy)
from .activations import (ACTIVATIONS, GELU, Activation, Identity, LeakyReLU, ReLU, Sigmoid,
                          Tanh, activation_name)
from .base import Module
from .constraints import apply_max_norm, max_norm_
from .layers import Dropout, Linear
from .losses import (
    LOSSES,
    Loss,
    MSELoss,
    PoissonLoss,
    SigmoidBinaryCrossEntropyLoss,
    SoftmaxCrossEntropyLoss,
)
from .optim import SGD, Adam, Optimizer
from .schedules import (SCHEDULES, AdaptiveLR, ConstantLR, CosineLR, CosineRestartLR,
                        InvScalingLR, Schedule)
from .registry import Registry
from .sequential import Sequential

__all__ = [
    "Module",
    "Linear",
    "Dropout",
    "Activation",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "GELU",
    "ACTIVATIONS",
    "activation_name",
    "Sequential",
    "Loss",
    "MSELoss",
    "LOSSES",
    "PoissonLoss",
    "SoftmaxCrossEntropyLoss",
    "SigmoidBinaryCrossEntropyLoss",
    "Optimizer",
    "SGD",
    "Adam",
    "Schedule",
    "ConstantLR",
    "InvScalingLR",
    "AdaptiveLR",
    "CosineLR",
    "CosineRestartLR",
    "SCHEDULES",
    "Registry",
    "max_norm_",
    "apply_max_norm",
]
__all__ += [  # arrays' namespaces (_namespace.py)
    "get_namespace", "standard_namespace", "is_numpy", "is_array_api_obj", "device_of", "to_numpy",
    "asarray_on", "copy_array", "copy_into", "converter_target", "numpy_dtype",
]
