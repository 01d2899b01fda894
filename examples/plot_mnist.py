"""
MNIST with BPNetClassifier
==========================

Train a 784-256-10 ReLU network on MNIST digits and draw its training curves
with :class:`~skbpnet.plotting.LossCurveDisplay`.

To keep the documentation build fast, this example trains on the first
**20,000** of the 60,000 training images for **8 epochs** (a few seconds on
one core). The full recipe, ``skbpnet mnist`` (all 60,000 images, 12 epochs),
reaches about 98.3% test accuracy; this shortened run gets a little less.
"""

# %%
# Load the data
# -------------
# :func:`~skbpnet.datasets.load_mnist` returns the official split: 60,000
# training and 10,000 test images, float32 pixels in [0, 1]. float32 data
# trains in float32, which is faster than float64 and no less accurate.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skbpnet import BPNetClassifier
from skbpnet.datasets import load_mnist
from skbpnet.plotting import LossCurveDisplay

X_train, X_test, y_train, y_test = load_mnist()
X_train, y_train = X_train[:20_000], y_train[:20_000]
print(X_train.shape, X_train.dtype, X_test.shape)

# %%
# Train
# -----
# Nesterov SGD with momentum 0.9 at a learning rate of 0.2, batches of 128,
# and a cosine schedule that brings the rate to zero at the last epoch: the
# settings of ``skbpnet mnist``. A callback records the test accuracy after
# every epoch; it receives the network being trained, whose
# :meth:`~skbpnet.nn.Sequential.infer` gives raw scores.
test_accuracy = []


def record_test_accuracy(info):
    scores = info["network"].infer(X_test)
    test_accuracy.append(float(np.mean(scores.argmax(axis=1) == y_test)))
    return False  # True would stop training


clf = BPNetClassifier(
    hidden_layer_sizes=(256,),
    solver="sgd",
    learning_rate_init=0.2,
    momentum=0.9,
    batch_size=128,
    learning_rate="cosine",
    max_iter=8,
    random_state=0,
    callbacks=[record_test_accuracy],
)
tic = time.perf_counter()
with warnings.catch_warnings():
    # The cosine schedule is meant to end at max_iter: reaching it is the plan.
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train)
print(f"{clf.n_iter_} epochs in {time.perf_counter() - tic:.1f} s")
print(f"test accuracy: {clf.score(X_test, y_test):.2%}")

# %%
# Plot the curves
# ---------------
# :meth:`~skbpnet.plotting.LossCurveDisplay.from_estimator` draws the
# estimator's ``loss_curve_``; ``extra_scores`` adds the accuracies that the
# callback recorded, on a second axis.
display = LossCurveDisplay.from_estimator(
    clf, extra_scores=test_accuracy, extra_label="test accuracy"
)
plt.show()

# %%
# Which digits does it get wrong?
# -------------------------------
# The twelve test images with the most confident wrong predictions.
proba = clf.predict_proba(X_test)
pred = clf.classes_[proba.argmax(axis=1)]
wrong = np.flatnonzero(pred != y_test)
worst = wrong[np.argsort(-proba[wrong].max(axis=1))][:12]
fig, axes = plt.subplots(2, 6, figsize=(9, 3.4))
for ax, i in zip(axes.ravel(), worst):
    ax.imshow(X_test[i].reshape(28, 28), cmap="gray_r")
    ax.set_title(f"{y_test[i]} taken for {pred[i]}", fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
