"""Plots of training curves, in the style of scikit-learn's Display classes.

matplotlib is imported only when something is drawn; install it with
``pip install "skbpnet[plot]"``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]


class LossCurveDisplay:
    """Training loss and validation score per epoch.

    Build it with :meth:`from_estimator`; it draws at once and keeps the
    matplotlib objects as attributes.

    Parameters
    ----------
    loss_curve : list of float
        Training loss per epoch.
    validation_scores : list of float or None
        Validation score per epoch, drawn on a second axis.
    validation_loss_curve : list of float or None
        Validation loss per epoch, drawn next to the training loss.
    estimator_name : str or None
        Used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The twin axes of the scores, when there are scores.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet.plotting import LossCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BPNetClassifier(max_iter=20, early_stopping=True, random_state=0).fit(X, y)
    >>> disp = LossCurveDisplay.from_estimator(clf)
    >>> len(disp.ax_.lines), disp.score_ax_ is not None
    (2, True)
    """

    def __init__(self, *, loss_curve, validation_scores=None, validation_loss_curve=None,
                 estimator_name=None):
        self.loss_curve = list(loss_curve)
        self.validation_scores = None if validation_scores is None else list(validation_scores)
        self.validation_loss_curve = (
            None if validation_loss_curve is None else list(validation_loss_curve)
        )
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, extra_scores=None, extra_label="score"):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        extra_scores : list of float, default=None
            Another per-epoch score to draw on the score axis (for example a
            test accuracy recorded by a callback).
        extra_label : str, default='score'
            Its legend label.

        Returns
        -------
        self : LossCurveDisplay
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        epochs = np.arange(1, len(self.loss_curve) + 1)
        lines = ax.plot(epochs, self.loss_curve, color="C0", label="training loss")
        if self.validation_loss_curve is not None:
            lines += ax.plot(epochs[: len(self.validation_loss_curve)], self.validation_loss_curve,
                             color="C0", linestyle="--", label="validation loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.score_ax_ = None
        scores = [(self.validation_scores, "validation score", "C1"),
                  (extra_scores, extra_label, "C2")]
        if any(s is not None for s, _, _ in scores):
            self.score_ax_ = ax.twinx()
            for values, label, color in scores:
                if values is not None:
                    lines += self.score_ax_.plot(np.arange(1, len(values) + 1), values,
                                                 color=color, label=label)
            self.score_ax_.set_ylabel("score")
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
        if self.estimator_name:
            ax.set_title(f"{self.estimator_name}: training curves")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, extra_scores=None, extra_label="score"):
        """Draw the curves of a fitted BPNetClassifier or BPNetRegressor.

        Parameters
        ----------
        estimator : BPNetClassifier or BPNetRegressor
            A fitted estimator.
        ax : matplotlib Axes, default=None
            Where to draw.
        extra_scores : list of float, default=None
            Another per-epoch score to draw.
        extra_label : str, default='score'
            Its label.

        Returns
        -------
        LossCurveDisplay
        """
        check_is_fitted(estimator, "loss_curve_")
        disp = cls(loss_curve=estimator.loss_curve_,
                   validation_scores=getattr(estimator, "validation_scores_", None),
                   validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
                   estimator_name=type(estimator).__name__)
        return disp.plot(ax, extra_scores=extra_scores, extra_label=extra_label)
