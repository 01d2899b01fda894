"""Tested training recipes: the settings behind ``skbpnet mnist`` and ``skbpnet digits``.

Each preset is a plain dict of the command's options (``hidden``, ``epochs``,
``batch_size``, ``solver``, ``lr``, ``momentum``, ``dropout``, ``alpha``,
``schedule``; optionally ``input_dropout``, ``max_norm``, ``weight_init`` and
``label_smoothing``, which the commands apply to classifiers only). The command,
the benchmarks and the examples read them from here, so that a change of recipe
is made once; :func:`estimator_params` turns one into the parameters of
:class:`~skbpnet.BPNetClassifier` (all but ``label_smoothing``).

``MNIST_DEFAULTS`` was chosen by measurement (see the README): 784-256-10
ReLU, Nesterov SGD with batches of 128 over 12 epochs, in two cosine cycles
(``learning_rate='cosine_restart'``: 3 epochs from 0.2, then 9 from 0.1):
98.38% +- 0.03% test accuracy over 3 seeds, passing 98% in epoch 3 (one
cosine cycle from 0.2 gave 98.34% and passed 98% in epoch 6;
``benchmarks/mnist_accuracy_runs.jsonl``).

Examples
--------
>>> from skbpnet.presets import MNIST_DEFAULTS, estimator_params
>>> MNIST_DEFAULTS["hidden"], MNIST_DEFAULTS["epochs"]
([256], 12)
>>> params = estimator_params(MNIST_DEFAULTS)
>>> params["hidden_layer_sizes"], params["learning_rate"], params["learning_rate_init"]
((256,), 'cosine_restart', 0.2)
"""

__all__ = ["MNIST_DEFAULTS", "DIGITS_DEFAULTS", "TABULAR_DEFAULTS", "estimator_params"]

MNIST_DEFAULTS = dict(hidden=[256], epochs=12, batch_size=128, solver="sgd", lr=0.2,
                      momentum=0.9, dropout=0.0, alpha=1e-4, schedule="cosine_restart")
DIGITS_DEFAULTS = dict(hidden=[128], epochs=40, batch_size=32, solver="sgd", lr=0.05,
                       momentum=0.9, dropout=0.0, alpha=1e-4, schedule="cosine")


def estimator_params(preset):
    """The BPNetClassifier parameters of a preset (``nesterovs_momentum`` on).

    Parameters
    ----------
    preset : dict
        ``MNIST_DEFAULTS``, ``DIGITS_DEFAULTS`` or a dict with the same keys
        (``input_dropout``, ``max_norm`` and ``weight_init`` optional).

    Returns
    -------
    dict
        Keyword arguments for :class:`~skbpnet.BPNetClassifier`.

    Examples
    --------
    >>> from skbpnet.presets import DIGITS_DEFAULTS, estimator_params
    >>> estimator_params(DIGITS_DEFAULTS)["batch_size"]
    32
    """
    return dict(
        hidden_layer_sizes=tuple(preset["hidden"]), solver=preset["solver"],
        learning_rate=preset["schedule"], learning_rate_init=preset["lr"],
        momentum=preset["momentum"], nesterovs_momentum=True, alpha=preset["alpha"],
        batch_size=preset["batch_size"], max_iter=preset["epochs"],
        dropout=preset.get("dropout", 0.0), input_dropout=preset.get("input_dropout", 0.0),
        max_norm=preset.get("max_norm"), weight_init=preset.get("weight_init", "auto"),
    )

# ``skbpnet train``: small tables, so one modest hidden layer and Adam, which
# needs no learning-rate tuning from one table to the next. Glorot's smaller
# starting weights and label smoothing (classification only) were measured on
# benchmarks/bench_tables.py's tables (docs/user_guide/tables.rst).
TABULAR_DEFAULTS = dict(hidden=[64], epochs=100, batch_size=32, solver="adam", lr=1e-3,
                        momentum=0.9, dropout=0.0, alpha=1e-4, schedule="constant",
                        weight_init="glorot", label_smoothing=0.1)
