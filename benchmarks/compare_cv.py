"""5-fold cross-validated scores of BPNet vs scikit-learn's MLP, matched settings.

Three datasets bundled with scikit-learn: digits and breast_cancer (accuracy),
diabetes (R^2, targets standardised for both); and synthetic counts for
loss='poisson' (mean Poisson deviance, lower is better; 2000 samples, 10
features, y ~ Poisson(exp(f(X))) with a fixed seed). Each model sits in a
Pipeline after StandardScaler; both get the same hyperparameters and seed.

Run: python benchmarks/compare_cv.py
"""

import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skbpnet import BPNetClassifier, BPNetRegressor

SETTINGS = dict(hidden_layer_sizes=(100,), solver="adam", alpha=1e-4, learning_rate_init=1e-3,
                max_iter=200, random_state=0)


def load_poisson_counts(return_X_y=True, n=2000, d=10, seed=0):
    """Counts with a log-rate that is non-linear in the features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    log_rate = 0.5 * X[:, 0] - 0.4 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3] + 0.3 * np.sin(2 * X[:, 4])
    return X, rng.poisson(np.exp(log_rate)).astype(float)


def main():
    rows = []
    tasks = [
        ("digits", load_digits, BPNetClassifier, MLPClassifier, StratifiedKFold, "accuracy"),
        ("breast_cancer", load_breast_cancer, BPNetClassifier, MLPClassifier, StratifiedKFold,
         "accuracy"),
        ("diabetes", load_diabetes, BPNetRegressor, MLPRegressor, KFold, "r2"),
        ("poisson counts (synthetic)", load_poisson_counts, BPNetRegressor, MLPRegressor,
         KFold, "neg_mean_poisson_deviance"),
    ]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, loader, ours, theirs, cv_cls, scoring in tasks:
            X, y = loader(return_X_y=True)
            cv = cv_cls(n_splits=5, shuffle=True, random_state=0)
            poisson = scoring == "neg_mean_poisson_deviance"
            result = {"dataset": name,
                      "metric": "Poisson deviance (lower is better)" if poisson else scoring}
            for label, cls in (("BPNet", ours), ("MLP", theirs)):
                extra = {"loss": "poisson"} if poisson else {}
                model = make_pipeline(StandardScaler(), cls(**SETTINGS, **extra))
                if scoring == "r2":
                    model = TransformedTargetRegressor(model, transformer=StandardScaler())
                tic = time.perf_counter()
                scores = cross_val_score(model, X, y, cv=cv, scoring=scoring)
                scores = -scores if poisson else scores
                result[label] = (scores.mean(), scores.std(), time.perf_counter() - tic)
            rows.append(result)
    print(f"settings: {SETTINGS}, StandardScaler first, 5 folds, 1 BLAS thread")
    print(f"| dataset | metric | BPNet mean +- sd | MLP mean +- sd | BPNet s | MLP s |")
    print(f"|---|---|---|---|---|---|")
    for r in rows:
        b, m = r["BPNet"], r["MLP"]
        print(f"| {r['dataset']} | {r['metric']} | {b[0]:.4f} +- {b[1]:.4f} | "
              f"{m[0]:.4f} +- {m[1]:.4f} | {b[2]:.1f} | {m[2]:.1f} |")


if __name__ == "__main__":
    main()
