"""
The seed article's protocol, rerun
==================================

skbpnet grew out of a short article that trained a 784-256-10 ReLU network on
MNIST with a hand-written NumPy backpropagation and reported **75.58%** test
accuracy. Its protocol was small on purpose:

* only the first 310 training images (31 batches of 10), in their original
  order (its ``DataLoader`` had ``shuffle=False``);
* 100 epochs, learning rate 0.001, momentum 0.9, no weight decay;
* pixels normalised with ``Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))``,
  which on a one-channel image maps [0, 1] to [-1, 1];
* weights drawn from U(-0.01, 0.01), the cross-entropy summed over each
  batch, the loss curve a running sum per epoch;
* test accuracy on the official 10,000 test images.

This example runs the same protocol three ways and compares them:

1. :class:`~skbpnet.BPNetClassifier` with the seed's settings, as a user
   would write it;
2. a line-for-line replica of the seed's training, built from
   :mod:`skbpnet.nn` plus a copy of the seed's cross-entropy;
3. the same replica with only the cross-entropy corrected.
"""

# %%
# The data
# --------
# :func:`~skbpnet.datasets.load_mnist` returns the official split as float32
# in [0, 1]. The protocol keeps the first 310 training images.
#
# Every training below runs inside ``threadpool_limits(limits=1,
# user_api="blas")``: one BLAS thread. With batches of 10 the matrix products
# are tiny, and OpenBLAS's threads spend more time waiting for each other than
# computing: on a two-core machine shared with other work, an epoch of the
# replica below took 13 to 70 times longer with the BLAS's default two threads
# than with one, and this whole example once took 1,067 s instead of 12 s.
# :mod:`skbpnet.nn` used
# directly tunes no threads (only the estimators do, see
# :ref:`the performance guide <blas_threads>`), so code like this should set
# the limit itself. One fixed thread count also fixes the order of the float
# sums in every product, so the printed accuracies are the same on every run.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skbpnet import BPNetClassifier, nn
from skbpnet.datasets import load_mnist

X_train, X_test, y_train, y_test = load_mnist()
X, y = X_train[:310], y_train[:310]
print(f"training images: {X.shape[0]}, test images: {X_test.shape[0]}")
print("training images per class:", np.bincount(y, minlength=10).tolist())

# %%
# 1. BPNetClassifier with the seed's settings
# -------------------------------------------
# Each of the seed's choices maps onto a parameter of the estimator:
#
# * ``solver="sgd", momentum=0.9, nesterovs_momentum=False``: classical
#   momentum, ``v <- 0.9 v - lr g; w <- w + v``, the form the seed meant;
# * ``learning_rate_init=0.001, batch_size=10, max_iter=100, alpha=0``;
# * ``shuffle=False``: the same 31 batches in the same order every epoch, as
#   the seed's ``DataLoader(shuffle=False)`` gave it;
# * ``n_iter_no_change=100``: never stop early, run all 100 epochs.
#
# The rest is skbpnet's own, and differs from the seed: He initialisation, a
# log-sum-exp cross-entropy averaged over the batch, pixels left in [0, 1],
# float32 throughout, and a loss curve that is the mean loss of each epoch.
clf = BPNetClassifier(
    hidden_layer_sizes=(256,),
    solver="sgd",
    momentum=0.9,
    nesterovs_momentum=False,
    learning_rate_init=0.001,
    batch_size=10,
    max_iter=100,
    alpha=0.0,
    shuffle=False,
    n_iter_no_change=100,
    random_state=0,
)
tic = time.perf_counter()
with warnings.catch_warnings():
    # 100 epochs is the protocol, not a sign of non-convergence.
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(limits=1, user_api="blas"):
        clf.fit(X, y)
ours = clf.score(X_test, y_test)
print(f"BPNetClassifier: test accuracy {ours:.2%} after {clf.n_iter_} epochs "
      f"({time.perf_counter() - tic:.1f} s); the seed reported 75.58%")

# %%
# 2. The seed's training, replicated
# ----------------------------------
# To see where the seed's 75.58% came from, rebuild its training exactly with
# the core. Two translations keep it faithful:
#
# * The seed's momentum step, ``v <- lr (g + momentum v); w <- w - v``, is
#   classical momentum whose coefficient is ``lr * momentum`` = 0.0009: it is
#   :class:`~skbpnet.nn.SGD` with ``momentum=0.0009``.
# * The seed's cross-entropy is copied as it was. Look at the division: the
#   row sums have shape ``(10,)`` and the scores ``(10, 10)``, so NumPy
#   broadcasts along the *last* axis and divides column ``j`` by the sum of
#   sample ``j``. Because a batch held 10 images and MNIST has 10 classes,
#   the shapes agree and no error is raised; the "probabilities" are wrong and
#   so is every gradient. (The value of the loss is right.)


class SeedCrossEntropy(nn.Loss):
    """The seed article's CrossEntropyLoss, bug included: summed, not averaged."""

    summed = True  # forward returns the batch's sum, not its mean

    def forward(self, scores, y, sample_weight=None):
        p = np.exp(scores)
        row_sum = np.sum(p, axis=1) + 1e-5
        p /= row_sum  # (10, 10) / (10,): divides column j by the row sum of sample j
        rows = np.arange(len(scores))
        value = np.sum(np.log(row_sum)) - np.sum(scores[rows, y])
        p[rows, y] -= 1.0
        self._grad = p
        return float(value)


def train_like_the_seed(loss, learning_rate, seed):
    """784-256-10 ReLU, the seed's init, data, batches, momentum and loss curve."""
    rng = np.random.default_rng(seed)
    net = nn.Sequential(nn.Linear(784, 256, dtype=np.float32), nn.ReLU(),
                        nn.Linear(256, 10, dtype=np.float32))
    for layer in (net.layers[0], net.layers[2]):  # weights and biases in U(-0.01, 0.01)
        layer.set_state({"weight": rng.uniform(-0.01, 0.01, layer.weight.shape),
                         "bias": rng.uniform(-0.01, 0.01, layer.bias.shape)})
    net.input_grad = False  # nobody needs dL/dX of the input layer
    opt = nn.SGD(learning_rate=learning_rate, momentum=0.001 * 0.9)
    Xs = X * 2 - 1  # the seed's normalisation: (x - 0.5) / 0.5
    mean_loss = []
    with threadpool_limits(limits=1, user_api="blas"):  # batches of 10: one thread
        for epoch in range(100):
            total = 0.0
            for start in range(0, len(Xs), 10):
                scores = net.forward(Xs[start : start + 10])
                value = loss.forward(scores, y[start : start + 10])
                total += value if getattr(loss, "summed", False) else value * len(scores)
                net.backward(loss.backward())
                opt.step([net.param_vector], [net.grad_vector])
            mean_loss.append(total / len(Xs))
        accuracy = np.mean(net.infer(X_test * 2 - 1).argmax(axis=1) == y_test)
    return accuracy, mean_loss


# %%
# ``total`` above is the seed's running loss, the sum over the epoch, and
# ``total / 310`` the mean loss per image. The seed ran once, from
# one random initialisation; run the replica from five:
SEEDS = range(5)
tic = time.perf_counter()
replicas = [train_like_the_seed(SeedCrossEntropy(), 0.001, seed) for seed in SEEDS]
replica_acc = np.array([acc for acc, _ in replicas])
print("seed replica, test accuracy:", ", ".join(f"{a:.2%}" for a in replica_acc),
      f"({time.perf_counter() - tic:.1f} s)")

# %%
# 3. The replica with a correct cross-entropy
# -------------------------------------------
# Replace only the loss by :class:`~skbpnet.nn.SoftmaxCrossEntropyLoss` (rows
# normalised by their own sums). It averages over the batch where the seed
# summed, so the learning rate is multiplied by the batch size, 10, to take
# the very same steps. Everything else (init, data, momentum 0.0009, order) is
# still the seed's.
fixed = [train_like_the_seed(nn.SoftmaxCrossEntropyLoss(), 0.01, seed) for seed in SEEDS]
fixed_acc = np.array([acc for acc, _ in fixed])
print("replica with a correct cross-entropy, test accuracy:",
      ", ".join(f"{a:.2%}" for a in fixed_acc))

# %%
# The loss curves
# ---------------
# The seed printed its running loss after every epoch; divided by its 310
# images, that is the mean loss per image, comparable with ours.
SEED_RUNNING_LOSS = [
    712.17, 705.62, 696.36, 681.91, 659.08, 624.27, 576.59, 521.40, 466.47, 417.56,
    377.58, 346.15, 321.06, 299.89, 281.73, 266.44, 254.90, 251.07, 353.19, 345.28,
    322.99, 328.64, 270.32, 254.98, 230.08, 213.69, 201.21, 192.50, 181.69, 178.30,
    199.98, 183.88, 171.00, 169.35, 162.43, 150.16, 143.98, 141.01, 127.59, 128.40,
    201.57, 122.20, 182.87, 224.38, 343.41, 250.66, 144.23, 205.95, 434.22, 262.13,
    181.44, 146.26, 107.27, 386.99, 149.88, 118.73, 290.50, 350.89, 371.93, 104.03,
    101.15, 208.05, 217.52, 123.60, 82.74, 91.29, 98.76, 218.32, 167.60, 138.71,
    91.51, 102.04, 129.75, 94.99, 98.37, 100.16, 91.85, 168.73, 88.57, 573.33,
    695.00, 139.41, 84.40, 83.68, 89.65, 77.73, 72.66, 99.59, 87.46, 62.49,
    69.12, 70.22, 56.14, 51.85, 56.87, 107.26, 160.84, 113.05, 65.12, 102.60,
]
epochs = np.arange(1, 101)
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot(epochs, np.array(SEED_RUNNING_LOSS) / 310, color="0.3", lw=2,
        label="seed article, as printed (75.58%)")
ax.plot(epochs, replicas[0][1], color="C3", lw=1,
        label=f"seed replica, 1st of 5 ({replica_acc[0]:.2%})")
ax.plot(epochs, fixed[0][1], color="C2", lw=1,
        label=f"replica, correct cross-entropy, 1st of 5 ({fixed_acc[0]:.2%})")
ax.plot(epochs, clf.loss_curve_, color="C0", lw=2,
        label=f"BPNetClassifier ({ours:.2%})")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean training loss per image")
ax.set_title("The seed's protocol: 310 MNIST images, batches of 10, 100 epochs")
ax.legend(loc="lower left")
plt.show()

# %%
# What made the difference
# ------------------------
# The replica follows the seed's printed loss closely for the first 18 epochs,
# then breaks out in the same spikes, and ends between about 77% and about
# 81% test accuracy, unless the 100th epoch falls inside a spike: the second
# initialisation ends at 47%. The seed's 75.58% lies inside that range.
# Correcting nothing but the softmax normalisation removes the spikes and
# gives about 81% from every initialisation. BPNetClassifier with the seed's
# hyperparameters gets about 80%.
#
# The replica's numbers are repeatable but fragile. Every initialisation is
# seeded and the BLAS runs one thread, so every run prints the same
# accuracies. Another thread count (or another BLAS) splits each matrix
# product differently and rounds it differently, by about 1e-5 in float32, and
# the unstable training amplifies that into a different spike: on the machine
# these numbers come from, the second replica ends at 47.06% with one thread
# and at 72.80% with two, run after run (an earlier report of this example
# gave 60.38%). The replica with a correct cross-entropy does not spike.
#
# So what cost the seed its accuracy was the broadcast in its cross-entropy:
# a wrong gradient, which made training unstable and the final accuracy a
# matter of where in a spike the 100th epoch fell. The other corrections
# skbpnet makes (momentum 0.9 instead of an effective 0.0009, He instead of
# U(-0.01, 0.01) initialisation, a log-sum-exp cross-entropy averaged over the
# batch, pixels in [0, 1], a mean loss per epoch) make the training sound and
# the curve readable, but on 310 images they move the result by a point at
# most: about 80% is what 310 training images allow this network. Trained
# on all 60,000 images (``skbpnet mnist``), the same 784-256-10 network
# reaches about 98.3%; :ref:`sphx_glr_auto_examples_plot_mnist.py` shows a
# shorter run.
print(f"seed article: 75.58%\n"
      f"seed replica: {replica_acc.min():.2%} to {replica_acc.max():.2%} "
      f"(mean {replica_acc.mean():.2%})\n"
      f"replica with a correct cross-entropy: {fixed_acc.min():.2%} to "
      f"{fixed_acc.max():.2%} (mean {fixed_acc.mean():.2%})\n"
      f"BPNetClassifier: {ours:.2%}")
