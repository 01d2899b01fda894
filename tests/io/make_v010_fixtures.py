"""Writes the skbpnet 0.1.0 model-file fixtures (run once, with skbpnet 0.1.0).

The files in ``data/`` were written by skbpnet 0.1.0 (format version 1) with this
script; ``tests/io/test_compat.py`` checks that today's skbpnet loads them and
predicts exactly what 0.1.0 predicted (stored beside them).
"""

import os

import numpy as np

import skbpnet

HERE = os.path.join(os.path.dirname(__file__), "data")


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    clf = skbpnet.BPNetClassifier(hidden_layer_sizes=(6, 5), solver="sgd", dropout=0.1,
                                  early_stopping=True, max_iter=5, random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X.astype(np.float32), y)
    reg = skbpnet.BPNetRegressor(hidden_layer_sizes=(7,), learning_rate="invscaling",
                                 activation="tanh", max_iter=3, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, np.c_[X.sum(axis=1), X[:, 0]])
    skbpnet.save(clf, os.path.join(HERE, "classifier-0.1.0.skbpnet"))
    skbpnet.save(reg, os.path.join(HERE, "regressor-0.1.0.skbpnet"))
    import joblib
    joblib.dump(clf, os.path.join(HERE, "classifier-0.1.0.joblib"))
    np.savez(os.path.join(HERE, "expected-0.1.0.npz"), X=X, proba=clf.predict_proba(X),
             labels=clf.predict(X).astype("U1"), reg=reg.predict(X),
             loss_curve=np.array(clf.loss_curve_), t=clf.t_,
             val=np.array(clf.validation_scores_))


if __name__ == "__main__":
    main()
