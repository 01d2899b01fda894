"""
Regression with BPNetRegressor
==============================

:class:`~skbpnet.BPNetRegressor` fits a network with the squared error. This
example uses scikit-learn's Friedman #1 regression problem
(:func:`~sklearn.datasets.make_friedman1`): the target
``10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4`` plus Gaussian noise,
with five more input features that do not matter. It is non-linear, so a
network can beat a linear model, and because the noise is known we can tell
how close to the best possible score each model gets.
"""

# %%
# The data
# --------
# 3,000 samples with noise of standard deviation 1. Generating the same
# samples without noise gives the noise-free target, the best any model can
# predict.
import time

import matplotlib.pyplot as plt
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbpnet import BPNetRegressor
from skbpnet.plotting import LossCurveDisplay

X, y = make_friedman1(n_samples=3000, noise=1.0, random_state=0)
_, y_clean = make_friedman1(n_samples=3000, noise=0.0, random_state=0)
X_train, X_test, y_train, y_test, _, y_clean_test = train_test_split(
    X, y, y_clean, random_state=0
)
print(f"best possible test R^2 (the noise-free target): {r2_score(y_test, y_clean_test):.3f}")

# %%
# The model
# ---------
# A network trains best when its inputs and its target are on a unit scale:
# :class:`~sklearn.preprocessing.StandardScaler` scales the features inside
# the pipeline, and :class:`~sklearn.compose.TransformedTargetRegressor`
# scales the target for training and scales predictions back. One hidden
# layer of 64 ReLU units, Adam, and early stopping on a 10% hold-out, which
# restores the weights of the best epoch.
net = TransformedTargetRegressor(
    regressor=make_pipeline(
        StandardScaler(),
        BPNetRegressor(hidden_layer_sizes=(64,), learning_rate_init=0.003, alpha=1e-3,
                       max_iter=500, early_stopping=True, random_state=0),
    ),
    transformer=StandardScaler(),
)
tic = time.perf_counter()
net.fit(X_train, y_train)
bpnet = net.regressor_[-1]
print(f"BPNetRegressor: {bpnet.n_iter_} epochs in {time.perf_counter() - tic:.1f} s, "
      f"test R^2 {net.score(X_test, y_test):.3f}")

linear = make_pipeline(StandardScaler(), RidgeCV()).fit(X_train, y_train)
print(f"RidgeCV: test R^2 {linear.score(X_test, y_test):.3f}")

# %%
# Predicted against true
# ----------------------
# Points on the diagonal are perfect predictions. The linear model bends away
# from it at both ends, where the target's curvature lives; the network
# follows it, up to the noise.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
for ax, model, name in [(axes[0], linear, "RidgeCV"), (axes[1], net, "BPNetRegressor")]:
    pred = model.predict(X_test)
    ax.scatter(y_test, pred, s=6, alpha=0.5)
    lims = [min(y_test.min(), pred.min()), max(y_test.max(), pred.max())]
    ax.plot(lims, lims, color="k", lw=1)
    ax.set_title(f"{name}: R$^2$ = {r2_score(y_test, pred):.3f}")
    ax.set_xlabel("true target")
axes[0].set_ylabel("predicted target")
fig.tight_layout()
plt.show()

# %%
# The training curves
# -------------------
# With early stopping the estimator records the validation loss and score of
# every epoch next to the training loss (in the scaled units of the target).
LossCurveDisplay.from_estimator(bpnet)
plt.show()
