"""Small data and small estimators shared by the estimator test modules."""

from sklearn.datasets import make_classification, make_regression

from skbpnet import BPNetClassifier


def make_data(cls, n=120, d=6, seed=0, dtype=None):
    """A small, learnable problem for ``cls``: standardised regression targets."""
    if cls is BPNetClassifier:
        X, y = make_classification(
            n_samples=n, n_features=d, n_informative=4, n_redundant=0, random_state=seed
        )
    else:
        X, y = make_regression(
            n_samples=n, n_features=d, n_informative=4, noise=0.1, random_state=seed
        )
        y = (y - y.mean()) / y.std()
    return (X if dtype is None else X.astype(dtype)), y


def small(cls, **params):
    """An estimator with a small network that trains in milliseconds."""
    base = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0,
            "learning_rate_init": 0.01}
    base.update(params)
    return cls(**base)
