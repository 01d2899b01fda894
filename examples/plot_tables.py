"""
A network on your own table
===========================

:func:`skbpnet.tabular.make_pipeline_for` returns the pipeline that
``skbpnet train`` fits, preprocessing and network, unfitted, so that
scikit-learn's model selection tools can use it. This example takes the
diabetes table shipped with scikit-learn (442 patients, a disease-progression
score to predict) and makes it look like a table from the wild: the ``sex``
column as text, a visit date, a patient number, and a few missing values.
"""

# %%
# The table
# ---------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline

from skbpnet.tabular import infer_task, make_pipeline_for, plan_columns

frame = load_diabetes(as_frame=True, scaled=False).frame
rng = np.random.default_rng(0)
frame["sex"] = np.where(frame["sex"] == 1, "female", "male")
frame["visit"] = (pd.Timestamp("2021-01-04")
                  + pd.to_timedelta(rng.integers(0, 700, len(frame)), unit="D")).astype(str)
frame.insert(0, "patient", rng.permutation(len(frame)) + 10_000)
frame.loc[rng.choice(len(frame), 20, replace=False), "bmi"] = np.nan
X, y = frame.drop(columns="target"), frame["target"]
print(X.head())

# %%
# The task and the columns
# ------------------------
# The target holds whole numbers, but too many distinct ones for classes, so
# the task is regression (AutoGluon's rule). The patient number is dropped as
# an ID; the date becomes six parts; numbers are robust-scaled and smoothly
# clipped; the text is one-hot encoded.
print(infer_task(y))
for plan in plan_columns(X):
    print(f"{plan.name:8} {plan.kind:8} {plan.action:52} {plan.width}")

# %%
# Cross-validation against a yardstick
# ------------------------------------
# The network's pipeline, HistGradientBoosting on the same preprocessing, and
# the trivial baseline (the mean), on the same 5 folds.
network = make_pipeline_for(X, y)
network.set_params(network__regressor__random_state=0)
boosting = Pipeline([("preprocess", network[0]),
                     ("hgb", HistGradientBoostingRegressor(random_state=0))])
folds = KFold(5, shuffle=True, random_state=0)
# The network trains its 100 epochs, as the command does, without stopping early.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
results = {}
for name, model in [("BPNet (skbpnet train)", network), ("HistGradientBoosting", boosting),
                    ("mean (baseline)", DummyRegressor())]:
    start = time.perf_counter()
    scores = cross_validate(model, X, y, cv=folds)["test_score"]
    results[name] = scores
    print(f"{name:22} R^2 {scores.mean():.3f} +- {scores.std():.3f} "
          f"({time.perf_counter() - start:.1f} s)")

# %%
# Each fold's score
# -----------------
fig, ax = plt.subplots(figsize=(6, 3))
ax.boxplot(list(results.values()), orientation="horizontal")
ax.set_yticks(range(1, len(results) + 1), list(results))
ax.set_xlabel("held-out R^2 (5 folds)")
fig.tight_layout()
plt.show()
