"""
Backpropagation by hand with skbpnet.nn
=======================================

The estimators are a thin layer over :mod:`skbpnet.nn`, a backpropagation
core in NumPy that you can use directly. This example builds the seed
article's 784-256-10 ReLU network layer by layer, checks its gradients
against finite differences, and trains it on 10,000 MNIST images with a
training loop written out in full: forward, loss, backward, step.
"""

# %%
# Build the network, layer by layer
# ---------------------------------
# :class:`~skbpnet.nn.Linear` computes ``X @ W + b``; :class:`~skbpnet.nn.ReLU`
# computes ``max(x, 0)``. :class:`~skbpnet.nn.Sequential` chains them: forward
# in order, backward in reverse. It also moves every parameter into one flat
# array, ``param_vector``, and every gradient into ``grad_vector``; the layers'
# ``weight`` and ``bias`` become views into them.
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from skbpnet import nn
from skbpnet.datasets import load_mnist

rng = np.random.default_rng(0)
hidden = nn.Linear(784, 256, init="he", dtype=np.float32, random_state=rng)
relu = nn.ReLU()
output = nn.Linear(256, 10, init="he", dtype=np.float32, random_state=rng)
net = nn.Sequential(hidden, relu, output)
print(net)
print("parameters:", net.param_vector.size)
print("hidden.weight is a view into param_vector:",
      np.shares_memory(hidden.weight, net.param_vector))

# %%
# Check the gradients
# -------------------
# ``backward`` must return the derivatives of the loss. Compare them with
# central finite differences ``(L(w + h) - L(w - h)) / 2h`` on a small float64
# network of the same kind. They agree to about 1e-10, which is the rounding
# error of the finite differences themselves (machine precision divided by
# ``h = 1e-6``): backpropagation gives the exact derivatives.
small = nn.Sequential(nn.Linear(6, 5, random_state=1), nn.ReLU(), nn.Linear(5, 3, random_state=2))
loss = nn.SoftmaxCrossEntropyLoss()
Xs, ys = rng.normal(size=(4, 6)), np.array([0, 2, 1, 2])

loss.forward(small.forward(Xs), ys)
small.backward(loss.backward())
analytic = small.grad_vector.copy()

numeric = np.empty_like(analytic)
h = 1e-6
for i in range(small.param_vector.size):
    saved = small.param_vector[i]
    small.param_vector[i] = saved + h
    up = loss.forward(small.forward(Xs), ys)
    small.param_vector[i] = saved - h
    down = loss.forward(small.forward(Xs), ys)
    small.param_vector[i] = saved
    numeric[i] = (up - down) / (2 * h)
print(f"largest difference between backprop and finite differences: "
      f"{np.max(np.abs(analytic - numeric)):.1e}")

# %%
# The data
# --------
# The first 10,000 MNIST training images (to keep this example fast) and the
# full test set, as float32 pixels in [0, 1].
X_train, X_test, y_train, y_test = load_mnist()
X_train, y_train = X_train[:10_000], y_train[:10_000]

# %%
# The training loop
# -----------------
# Each step runs the batch forward, takes the softmax cross-entropy of the
# scores (averaged over the batch, computed with log-sum-exp so it never
# overflows), runs backward, which fills ``grad_vector``, and lets
# :class:`~skbpnet.nn.SGD` update ``param_vector`` in place. There is no
# ``zero_grad``: ``backward`` overwrites the gradients of the previous batch.
# ``net.input_grad = False`` skips the gradient with respect to the images,
# which nothing needs.
#
# The loop runs inside ``threadpool_limits(limits=1, user_api="blas")``. On
# batches of 64 the matrix products are small, and the BLAS's threads wait
# for each other more than they compute: on two cores these 10 epochs took
# 23.5 s with OpenBLAS's default two threads and 1.6 s with one. The
# estimators choose their thread count themselves; code that drives
# :mod:`skbpnet.nn` directly sets it (see :ref:`blas_threads`).
loss = nn.SoftmaxCrossEntropyLoss()
opt = nn.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
net.input_grad = False
batch_size, n_epochs = 64, 10
epoch_loss, test_acc = [], []
tic = time.perf_counter()
with threadpool_limits(limits=1, user_api="blas"):  # small batches: one thread
    for epoch in range(n_epochs):
        net.train()
        order = rng.permutation(len(X_train))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            scores = net.forward(X_train[idx])        # forward
            total += loss.forward(scores, y_train[idx]) * len(idx)
            net.backward(loss.backward())             # backward: fills net.grad_vector
            opt.step([net.param_vector], [net.grad_vector])  # update in place
        epoch_loss.append(total / len(order))
        # infer() is the prediction path: evaluation mode, no caches touched.
        test_acc.append(np.mean(net.infer(X_test).argmax(axis=1) == y_test))
        print(f"epoch {epoch + 1:2d}: mean loss {epoch_loss[-1]:.4f}, "
              f"test accuracy {test_acc[-1]:.2%}")
print(f"{n_epochs} epochs in {time.perf_counter() - tic:.1f} s")

# %%
# The curves
# ----------
fig, ax = plt.subplots(figsize=(7, 4))
epochs = np.arange(1, n_epochs + 1)
lines = ax.plot(epochs, epoch_loss, marker="o", label="training loss (mean per epoch)")
ax.set_xlabel("epoch")
ax.set_ylabel("loss")
ax.set_yscale("log")
ax2 = ax.twinx()
lines += ax2.plot(epochs, test_acc, marker="s", color="C2", label="test accuracy")
ax2.set_ylabel("test accuracy")
ax.legend(lines, [line.get_label() for line in lines], loc="lower center")
ax.set_title("784-256-10 ReLU, Nesterov SGD, 10,000 MNIST images")
plt.show()

# %%
# What the estimator adds
# -----------------------
# :class:`~skbpnet.BPNetClassifier` runs this same loop and adds what a
# scikit-learn estimator needs: input validation, label encoding, an L2
# penalty on the weights only, learning-rate schedules, early stopping,
# sample and class weights, dropout, callbacks, and a rollback when the loss
# diverges. The core stays usable on its own, for teaching or for models the
# estimators do not cover.
