"""scikit-learn's estimator checks, for both estimators in several configurations.

Nothing is marked as an expected failure.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbpnet import BPNetClassifier, BPNetRegressor

CONFIGS = [
    {},
    {"solver": "adam", "learning_rate_init": 0.01},
    {"solver": "sgd", "learning_rate_init": 0.01},
    {"solver": "lbfgs"},
    {"early_stopping": True, "validation_fraction": 0.2},
    {"dropout": 0.2, "input_dropout": 0.1, "max_norm": 3.0},
]

ESTIMATORS = [cls(**params) for params in CONFIGS for cls in (BPNetClassifier, BPNetRegressor)]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {})
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_configs_are_distinct():
    # Each configuration must differ from the defaults, or the matrix tests less than it says.
    reprs = {repr(est) for est in ESTIMATORS}
    assert len(reprs) == len(ESTIMATORS)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_array_api_values_match_numpy(estimator):
    # Beyond the checks above, which compare types, shapes and devices: the fitted
    # attributes and every method's output on array_api_strict equal the NumPy ones.
    pytest.importorskip("array_api_strict", reason="array_api_strict is not installed (the "
                                                   "[test] extra brings it)")
    from sklearn.utils.estimator_checks import check_array_api_input_and_values

    check_array_api_input_and_values(type(estimator).__name__, estimator, "array_api_strict",
                                     "CPU_DEVICE", "float64")
