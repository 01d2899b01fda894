"""The training history that skbpnet 0.1.0 stored, turned into today's TrainingHistory.

Read by both the unpickling of old estimators (``_base.__setstate__``) and the
reader of format version 1 model files (:mod:`skbpnet.io._v1`): it lives
below both, so that neither imports upward.
"""

from .history import TrainingHistory

__all__ = ["DERIVED_0_1", "upgrade_history"]

# The fitted attributes that skbpnet 0.1.0 stored beside the history and the
# network, and are now read from them.
DERIVED_0_1 = ("_arch", "_loss_fn", "n_outputs_", "n_layers_", "out_activation_", "t_",
               "loss_curve_", "loss_", "best_loss_", "validation_scores_",
               "validation_loss_curve_", "best_validation_score_")


def upgrade_history(state):
    """Turn skbpnet 0.1.0's state (a history dict and copies) into a TrainingHistory.

    The copies listed in ``DERIVED_0_1`` are removed from ``state``.

    Examples
    --------
    >>> from skbpnet._solvers.legacy import upgrade_history
    >>> state = {"_history": {"n_epochs": 1, "t": 10, "loss_curve": [0.5]}, "t_": 10}
    >>> history = upgrade_history(state)
    >>> history.loss_curve, state
    ([0.5], {'_history': {'n_epochs': 1, 't': 10, 'loss_curve': [0.5]}})
    """
    old = dict(state["_history"])
    old["validated"] = state.get("validation_scores_") is not None
    for key in DERIVED_0_1:
        state.pop(key, None)
    return TrainingHistory.from_dict(old)
