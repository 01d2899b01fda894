"""
Pipeline and grid search on the digits
======================================

:class:`~skbpnet.BPNetClassifier` is a scikit-learn estimator, so it goes
into a :class:`~sklearn.pipeline.Pipeline` and is tuned with
:class:`~sklearn.model_selection.GridSearchCV` like any other. Here a
:class:`~sklearn.preprocessing.StandardScaler` feeds the network, and the
grid searches the width of the hidden layer and the L2 penalty ``alpha`` on
scikit-learn's bundled 8x8 digits (1,797 images, no download).
"""

# %%
# The pipeline and the grid
# -------------------------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``.
# ``early_stopping=True`` holds out 10% of each training fold, stops once the
# validation score and loss have not improved for 10 epochs
# (``n_iter_no_change``), and keeps the weights of the best epoch, so
# ``max_iter`` is only an upper bound.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skbpnet import BPNetClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = Pipeline([
    ("scale", StandardScaler()),
    ("net", BPNetClassifier(learning_rate_init=0.01, max_iter=200, early_stopping=True,
                            random_state=0)),
])
param_grid = {
    "net__hidden_layer_sizes": [(16,), (32,), (64,), (128,)],
    "net__alpha": [1e-4, 1e-2, 1.0],
}
search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                      return_train_score=True)

# %%
# Search
# ------
# 12 candidates times 3 folds: 36 fits, then one refit of the best on all the
# training data. ``n_jobs`` would spread the fits over processes; on a
# machine with many cores, see :doc:`/user_guide/dask` for limiting the BLAS
# threads of each.
tic = time.perf_counter()
search.fit(X_train, y_train)
print(f"{len(search.cv_results_['params'])} candidates in {time.perf_counter() - tic:.1f} s")
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}")

# %%
# The scores
# ----------
# Mean cross-validated accuracy (with one standard deviation over the folds)
# against the width of the hidden layer, one line per ``alpha``. Dashed lines
# are the training scores.
results = search.cv_results_
widths = [sizes[0] for sizes in param_grid["net__hidden_layer_sizes"]]
fig, ax = plt.subplots(figsize=(7, 4))
for k, alpha in enumerate(param_grid["net__alpha"]):
    rows = np.flatnonzero(np.asarray(results["param_net__alpha"], dtype=float) == alpha)
    rows = rows[np.argsort([results["params"][i]["net__hidden_layer_sizes"][0] for i in rows])]
    ax.errorbar(widths, results["mean_test_score"][rows], yerr=results["std_test_score"][rows],
                marker="o", capsize=3, color=f"C{k}", label=f"alpha={alpha:g}")
    ax.plot(widths, results["mean_train_score"][rows], linestyle="--", color=f"C{k}")
ax.set_xscale("log", base=2)
ax.set_xticks(widths, [str(w) for w in widths])
ax.set_xlabel("hidden units")
ax.set_ylabel("accuracy")
ax.set_title("GridSearchCV over Pipeline(StandardScaler, BPNetClassifier)")
ax.legend(title="cross-validated (solid), training (dashed)", fontsize=8, title_fontsize=8)
plt.show()
