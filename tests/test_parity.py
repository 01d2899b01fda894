"""BPNet beside scikit-learn's MLP: what must be the same, checked side by side.

Weights differ by construction (He initialisation, another random stream), so
these tests compare what does not depend on them: signatures, attributes and
their types, epoch counts on problems whose stopping is forced, the
learning-rate sequence as a function of ``t_``, warnings, messages and the
verbose lines. The differences that remain are listed in
docs/user_guide/estimators.rst.
"""

import inspect
import re
import warnings

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skbpnet import BPNetClassifier, BPNetRegressor

PAIRS = [(BPNetClassifier, MLPClassifier), (BPNetRegressor, MLPRegressor)]
PAIR_IDS = ["classifier", "regressor"]


# -- signatures ------------------------------------------------------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_every_scikit_learn_parameter_exists_with_the_same_default(ours, theirs):
    ours_sig = inspect.signature(ours).parameters
    for name, param in inspect.signature(theirs).parameters.items():
        assert name in ours_sig, f"{ours.__name__} lacks {theirs.__name__}'s {name!r}"
        assert ours_sig[name].default == param.default, name
        assert ours_sig[name].kind == param.kind, name
    # The positional parameters come in the same order: MLPRegressor("poisson", (8,)).
    positional = [n for n, p in inspect.signature(theirs).parameters.items()
                  if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert list(ours_sig)[:len(positional)] == positional


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_our_additions_are_the_documented_ones_with_neutral_defaults(ours, theirs):
    # What we add to MLP's signature (docs/user_guide/estimators.rst lists it);
    # each default leaves MLP's behaviour as it is.
    added = {name: p.default for name, p in inspect.signature(ours).parameters.items()
             if name not in inspect.signature(theirs).parameters}
    expected = {"dropout": 0.0, "input_dropout": 0.0, "max_norm": None, "callbacks": None,
                "dtype": None, "blas_threads": "adaptive", "weight_init": "auto"}
    if ours is BPNetClassifier:
        expected["class_weight"] = None
        expected["label_smoothing"] = 0.0
    assert added == expected
    assert all(p.kind is p.KEYWORD_ONLY for n, p in inspect.signature(ours).parameters.items()
               if n in added)
    names = list(inspect.signature(ours).parameters)
    assert names.index("max_norm") == names.index("input_dropout") + 1


# -- loss='poisson' --------------------------------------------------------------------
def poisson_data(seed, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    rate = np.exp(0.6 * X[:, 0] - 0.4 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3])
    return X, rng.poisson(rate).astype(float)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_poisson_deviance_is_no_worse_than_mlp_regressor():
    ours, theirs = [], []
    for seed in range(3):
        X, y = poisson_data(seed)
        kw = dict(loss="poisson", solver="sgd", hidden_layer_sizes=(16,), max_iter=100,
                  learning_rate_init=0.01, random_state=0)
        ours.append(mean_poisson_deviance(
            y[400:], BPNetRegressor(**kw).fit(X[:400], y[:400]).predict(X[400:])))
        theirs.append(mean_poisson_deviance(
            y[400:], MLPRegressor(**kw).fit(X[:400], y[:400]).predict(X[400:])))
    assert np.mean(ours) <= 1.05 * np.mean(theirs), (ours, theirs)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_output_loss_scale_and_prediction(solver):
    X, y = poisson_data(0, n=200)
    kw = dict(loss="poisson", solver=solver, hidden_layer_sizes=(8,), max_iter=5,
              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = BPNetRegressor(**kw).fit(X, y), MLPRegressor(**kw).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    pred = ours.predict(X)
    assert pred.shape == y.shape and (pred > 0).all()
    np.testing.assert_allclose(pred, np.exp(ours._decision(X).ravel()))
    # loss_ is half the mean Poisson deviance plus the L2 penalty, as in scikit-learn.
    from sklearn.neural_network._base import poisson_loss

    penalty = 0.5 * ours.alpha * sum((c ** 2).sum() for c in ours.coefs_) / len(y)
    if solver == "lbfgs":
        assert ours.loss_ == pytest.approx(poisson_loss(y[:, None], pred[:, None]) + penalty)
    assert 0 < ours.loss_ < 5 and 0 < theirs.loss_ < 5


@pytest.mark.parametrize("cls", [BPNetRegressor, MLPRegressor])
def test_poisson_refuses_negative_targets_only_here(cls):
    X, y = poisson_data(0, n=50)
    y[3] = -1.0
    if cls is MLPRegressor:  # scikit-learn 1.9 trains on them: a documented difference
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(loss="poisson", max_iter=2).fit(X, y)
        return
    with pytest.raises(ValueError, match="not allowed for Poisson regression"):
        cls(loss="poisson", max_iter=2).fit(X, y)


def test_regressor_loss_is_validated_with_a_hint_for_positional_sizes():
    with pytest.raises(ValueError, match="'loss' parameter.*pass hidden_layer_sizes by keyword"):
        BPNetRegressor((8,)).fit(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="'loss' parameter"):
        BPNetRegressor(loss="huber").fit(np.zeros((4, 1)), np.zeros(4))


# -- learning-rate sequences -------------------------------------------------------------
@pytest.fixture
def rates(monkeypatch):
    """The rate each epoch ran at: {'ours': [...], 'theirs': [...]}, recorded side by side."""
    from sklearn.neural_network import _stochastic_optimizers as so

    from skbpnet._solvers import stochastic

    seen = {"ours": [], "theirs": []}
    run_epoch, iteration_ends = stochastic.Trainer.run_epoch, so.SGDOptimizer.iteration_ends

    def ours(self, *args, **kwargs):
        seen["ours"].append(self.optimizer.learning_rate)
        return run_epoch(self, *args, **kwargs)

    def theirs(self, time_step):  # called once per epoch, before the rate changes
        seen["theirs"].append(self.learning_rate)
        return iteration_ends(self, time_step)

    monkeypatch.setattr(stochastic.Trainer, "run_epoch", ours)
    monkeypatch.setattr(so.SGDOptimizer, "iteration_ends", theirs)
    return seen


def binary_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)


def side_by_side(pair, X, y, calls, **params):
    """Run the same sequence of calls on both; return (ours, theirs, warnings of each)."""
    ours_cls, theirs_cls = pair
    out, caught = [], []
    for cls in (ours_cls, theirs_cls):
        est = cls(hidden_layer_sizes=(4,), random_state=0, **params)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for call in calls:
                call(est, X, y)
        out.append(est)
        caught.append([(type(x.message), str(x.message)) for x in w
                       if issubclass(x.category, (ConvergenceWarning, UserWarning))])
    return out[0], out[1], caught


def fit(**params):
    return lambda est, X, y: est.set_params(**params).fit(X, y)


def partial(est, X, y):
    est.partial_fit(X, y, **({"classes": np.unique(y)} if is_classifier(est) else {}))


@pytest.mark.parametrize("power_t", [0.5, 0.25])
def test_invscaling_rates_match_through_warm_starts_and_partial_fit(rates, power_t):
    X, y = binary_data()
    calls = [fit(max_iter=3), fit(warm_start=True, max_iter=2), partial, partial,
             fit(warm_start=True, max_iter=1), partial]
    ours, theirs, caught = side_by_side(
        PAIRS[0], X, y, calls, solver="sgd", learning_rate="invscaling", power_t=power_t,
        learning_rate_init=0.1, n_iter_no_change=1000)
    assert rates["ours"] == rates["theirs"]  # exactly, epoch by epoch
    assert len(rates["ours"]) == 3 + 2 + 1 + 1 + 1 + 1
    assert ours.t_ == theirs.t_ == 9 * len(X)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate \
        == 0.1 / (9 * len(X) + 1) ** power_t
    assert caught[0] == caught[1]  # the ConvergenceWarnings of the fits, word for word


def test_two_warm_start_fits_on_four_samples(rates):
    X, y = binary_data(n=4)
    calls = [fit(max_iter=1), fit(warm_start=True, max_iter=1)]
    ours, theirs, _ = side_by_side(PAIRS[0], X, y, calls, solver="sgd",
                                   learning_rate="invscaling", learning_rate_init=0.3)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate == 0.3 / 9 ** 0.5
    assert ours._schedule.learning_rate == 0.3 / 9 ** 0.5
    assert rates["ours"] == rates["theirs"] == [0.3, 0.3]  # each fit starts afresh


@pytest.mark.parametrize("early_stopping", [False, True])
def test_adaptive_divides_by_five_and_stops_when_mlp_does(rates, early_stopping):
    # tol is so large that no epoch after the first improves: every third epoch
    # after the first is a plateau (n_iter_no_change=2), and the rate is divided
    # by 5 until it is below 1e-6, when training stops.
    X, y = binary_data()
    ours, theirs, caught = side_by_side(
        PAIRS[0], X, y, [fit()], solver="sgd", learning_rate="adaptive", tol=1e9,
        n_iter_no_change=2, learning_rate_init=1e-3, early_stopping=early_stopping,
        validation_fraction=0.2)
    assert rates["ours"] == rates["theirs"]
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate
    assert ours.n_iter_ == theirs.n_iter_ == 19
    assert len(set(rates["ours"])) == 6 and rates["ours"][-1] == pytest.approx(1e-3 / 5 ** 5)
    assert ours.t_ == 19 * (len(X) - 12 * early_stopping)
    assert theirs.t_ == 19 * (len(X) - 12 * early_stopping)
    assert caught[0] == caught[1] == []  # stopped by the rule: no ConvergenceWarning
    # And across partial_fit calls: the plateau count goes on, the rate is divided.
    rates["ours"].clear(), rates["theirs"].clear()
    ours, theirs, _ = side_by_side(
        PAIRS[0], X, y, [partial] * 12, solver="sgd", learning_rate="adaptive", tol=1e9,
        n_iter_no_change=2, learning_rate_init=1e-3)
    assert rates["ours"] == rates["theirs"] and len(set(rates["ours"])) == 4


@pytest.mark.parametrize("max_iter, warns", [(20, False), (4, True)])
def test_plateau_stop_and_max_iter_warning(max_iter, warns):
    X, y = binary_data()
    for pair in PAIRS:
        ours, theirs, caught = side_by_side(pair, X, y.astype(float), [fit()], solver="sgd",
                                            tol=1e9, n_iter_no_change=3, max_iter=max_iter)
        assert ours.n_iter_ == theirs.n_iter_ == min(5, max_iter)
        assert ours.t_ == theirs.t_ == ours.n_iter_ * len(X)
        assert caught[0] == caught[1] and bool(caught[0]) == warns


# -- verbose lines -----------------------------------------------------------------------
def _normalised(text):
    """The lines with their loss and score values (which differ) replaced by '#'."""
    import re

    text = re.sub(r"(loss = )-?[0-9.]+(e[-+]?\d+)?", r"\1#", text)
    return re.sub(r"(Validation score: )-?[0-9.]+", r"\1#", text).splitlines()


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("learning_rate", ["constant", "adaptive"])
def test_verbose_lines_are_mlps_with_extras_after_them(capsys, early_stopping, learning_rate):
    X, y = binary_data()
    out = []
    for cls in (BPNetClassifier, MLPClassifier):
        cls(hidden_layer_sizes=(4,), solver="sgd", tol=1e9, n_iter_no_change=2, verbose=True,
            early_stopping=early_stopping, learning_rate=learning_rate, random_state=0,
            learning_rate_init=1e-5).fit(X, y)
        out.append(_normalised(capsys.readouterr().out))
    ours, theirs = out
    assert len(ours) == len(theirs) > 0
    for mine, line in zip(ours, theirs):
        assert mine.startswith(line), (mine, line)  # ours may say more, after theirs
        assert mine == line or mine[len(line)] == ","


# -- fitted attributes -------------------------------------------------------------------
def _kind(value):
    if value is None:
        return None
    if isinstance(value, list):
        return ("list", {_kind(v) for v in value})
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype)
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    return type(value).__name__


ATTRIBUTES = ["loss_", "best_loss_", "loss_curve_", "validation_scores_",
              "best_validation_score_", "t_", "n_iter_", "n_layers_", "n_outputs_",
              "out_activation_", "n_features_in_", "coefs_", "intercepts_"]


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("solver, early_stopping, tol", [
    ("sgd", False, 1e-4), ("adam", False, 1e-4), ("adam", False, 1e9), ("sgd", True, 1e9),
    ("adam", True, 1e-4)], ids=["sgd", "adam", "adam-plateau", "sgd-early", "adam-early"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fitted_attributes_have_mlps_shapes_and_types(pair, solver, early_stopping, tol, dtype):
    X, y = binary_data()
    X = X.astype(dtype)
    ours, theirs, caught = side_by_side(
        pair, X, y.astype(float) if pair[1] is MLPRegressor else y, [fit()], solver=solver,
        early_stopping=early_stopping, tol=tol, max_iter=8, n_iter_no_change=2)
    for name in ATTRIBUTES:
        assert _kind(getattr(ours, name)) == _kind(getattr(theirs, name)), name
    for est in (ours, theirs):
        assert len(est.loss_curve_) == len(est.validation_scores_ or est.loss_curve_) \
            == est.n_iter_
        assert est.t_ == est.n_iter_ * (len(X) - 6 * early_stopping)  # the same hold-out size
    if tol > 1 or not early_stopping:  # where stopping is forced, or not by validation
        assert ours.n_iter_ == theirs.n_iter_ == (8 if tol < 1 else 4)
        assert caught[0] == caught[1]  # the same warnings, word for word
    assert ours.predict(X).dtype == theirs.predict(X).dtype


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_lbfgs_attributes(pair):
    # scikit-learn's lbfgs leaves loss_curve_ and best_loss_ unset and t_ at 0;
    # ours keeps them (a documented difference). What both have agrees.
    X, y = binary_data()
    ours, theirs, caught = side_by_side(pair, X, y, [fit()], solver="lbfgs", max_iter=5)
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert _kind(ours.loss_) == _kind(theirs.loss_) == "float"
    assert not hasattr(theirs, "loss_curve_") and len(ours.loss_curve_) == 5
    assert theirs.t_ == 0 and ours.t_ == 5 * len(X)
    assert ours.validation_scores_ is None and ours.best_validation_score_ is None
    assert [str(m).split("(")[0] for _, m in caught[0]] == \
        [str(m).split("(")[0] for _, m in caught[1]] == ["lbfgs failed to converge after 5 iteration"]


def _targets(kind, X):
    if kind == "binary":
        return (X[:, 0] > 0).astype(int)
    if kind == "multiclass":
        return np.digitize(X[:, 0], [-0.5, 0.5])
    if kind == "multilabel":
        return np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0], axis=1).astype(int)
    if kind == "single":
        return np.full(len(X), "only")
    return np.exp(X[:, 0]) if kind == "poisson" else X[:, 0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind, activation", [
    ("binary", "logistic"), ("multiclass", "softmax"), ("multilabel", "logistic"),
    ("single", "logistic"), ("regression", "identity"), ("poisson", "exp")])
def test_out_activation_predict_and_predict_proba_shapes(kind, activation):
    X, _ = binary_data()
    y = _targets(kind, X)
    classify = kind not in ("regression", "poisson")
    pair = PAIRS[0] if classify else PAIRS[1]
    extra = {} if classify else {"loss": "poisson" if kind == "poisson" else "squared_error"}
    ours = pair[0](hidden_layer_sizes=(4,), max_iter=3, random_state=0, **extra).fit(X, y)
    theirs = pair[1](hidden_layer_sizes=(4,), max_iter=3, random_state=0, **extra).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == activation
    assert ours.n_outputs_ == theirs.n_outputs_
    for method in ("predict", "predict_proba", "predict_log_proba"):
        if hasattr(theirs, method):
            a, b = getattr(ours, method)(X), getattr(theirs, method)(X)
            assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, method
    if classify:
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)


# -- the same mistakes, the same messages --------------------------------------------------
MISTAKES = [
    ("warm start with a new class",
     lambda est, X, y: (est.fit(X, y), est.set_params(warm_start=True).fit(X, y + (y == 1))),
     "warm_start can only be used where `y` has the same classes"),
    ("partial_fit without classes", lambda est, X, y: est.partial_fit(X, y),
     "classes must be passed on the first call to partial_fit"),
    ("partial_fit with other classes",
     lambda est, X, y: (est.partial_fit(X, y, classes=[0, 1]),
                        est.partial_fit(X, y, classes=[0, 1, 2])),
     "is not the same as on last call to partial_fit"),
    ("partial_fit with an unknown label",
     lambda est, X, y: (est.partial_fit(X, y, classes=[0, 1]), est.partial_fit(X, y * 2)),
     "`y` has classes not in `self.classes_`"),
    ("partial_fit with early stopping",
     lambda est, X, y: est.set_params(early_stopping=True).partial_fit(X, y, classes=[0, 1]),
     "partial_fit does not support early_stopping=True"),
    ("partial_fit after a fit with early stopping",
     lambda est, X, y: est.set_params(early_stopping=True).fit(X, y).partial_fit(X, y),
     "partial_fit does not support early_stopping=True"),
    ("a class too small to split",
     lambda est, X, y: est.set_params(early_stopping=True).fit(X, np.r_[y[:-1] * 0, 1]),
     "The least populated classes in y have only 1 member"),
    ("too few samples to validate on",
     lambda est, X, y: est.set_params(early_stopping=True).fit(X[:2], y[:2]),
     "The validation set is too small"),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("what, call, phrase", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_the_same_mistake_gives_the_same_key_phrase(what, call, phrase):
    X, y = binary_data()
    if what == "too few samples to validate on":
        pair, y = PAIRS[1], y.astype(float)
    else:
        pair = PAIRS[0]
    for cls in pair:
        with pytest.raises(ValueError, match=re.escape(phrase)):
            call(cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y)


def test_poisson_networks_start_from_glorot_weights_as_mlpregressor():
    # exp(scores) amplifies the spread of the first scores: both libraries start
    # a Poisson network from Glorot-uniform weights, bound sqrt(6 / (fan_in + fan_out)).
    import numpy as np

    from skbpnet import BPNetRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 40))
    y = rng.poisson(1.0, size=300).astype(float)
    est = BPNetRegressor(loss="poisson", hidden_layer_sizes=(200,), max_iter=1,
                         learning_rate_init=1e-12, random_state=0)
    with pytest.warns(Warning):
        est.fit(X, y)
    w = est.coefs_[0]
    glorot, he = np.sqrt(6 / (40 + 200)), np.sqrt(6 / 40)
    assert np.abs(w).max() <= glorot * (1 + 1e-6)
    assert np.abs(w).max() > 0.9 * glorot  # not smaller either
    assert he > 2 * glorot


# -- issue 22: parameter errors, accepted values, divergence ------------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_parameter_errors_are_scikit_learns_invalid_parameter_error(ours, theirs):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = binary_data()
    for cls in (ours, theirs):
        with pytest.raises(InvalidParameterError) as info:
            cls(alpha=-1.0).fit(X, y)
        # both a ValueError and a TypeError, as scikit-learn's own
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(TypeError, match=r"The 'alpha' parameter of %s must be a number in "
                                        r"\[0, inf\]; got -1.0." % ours.__name__):
        ours(alpha=-1.0).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", [{"solver": "sgd", "momentum": 1.0},
                                    {"early_stopping": False, "validation_fraction": 0.0}])
@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_values_mlp_accepts_are_accepted(ours, theirs, params):
    X, y = binary_data()
    for cls in (ours, theirs):
        est = cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0, **params).fit(X, y)
        assert est.n_iter_ == 3


def test_validation_fraction_zero_with_early_stopping_is_refused_by_both():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = binary_data()
    with pytest.raises(ValueError, match="test_size=0.0"):
        MLPClassifier(early_stopping=True, validation_fraction=0.0).fit(X, y)
    est = BPNetClassifier(early_stopping=True, validation_fraction=0.0)
    with pytest.raises(InvalidParameterError, match=r"'validation_fraction'.*early_stopping="
                                                    r"True.*or early_stopping=False"):
        est.fit(X, y)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_one_steps_as_mlps_sgd(nesterov):
    # momentum=1.0: the velocity never decays, in both optimizers.
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    from skbpnet import nn

    ours, theirs = [np.zeros(2)], [np.zeros(2)]
    opt = nn.SGD(learning_rate=0.1, momentum=1.0, nesterov=nesterov)
    ref = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=1.0, nesterov=nesterov)
    for g in ([1.0, -2.0], [0.5, 0.5], [1.0, 1.0]):
        opt.step(ours, [np.array(g)])
        ref.update_params(theirs, [np.array(g)])
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    # by hand, first coordinate: v = -0.1, -0.15, -0.25 (no decay); w sums v, or with
    # Nesterov v - 0.1 * g more each step
    assert ours[0][0] == pytest.approx(-0.75 if nesterov else -0.5, rel=1e-12)


def test_nonfinite_weights_message_contains_mlps_verbatim():
    # scikit-learn's test_mlp.py::test_nonfinite_params, with BPNet
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    msg = ("Solver produced non-finite parameter weights. The input data may contain large"
           " values and need to be preprocessed.")
    for cls in (MLPRegressor, BPNetRegressor):
        with pytest.raises(ValueError, match=re.escape(msg)) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls().fit(X, y)
    # then our advice, after MLP's text
    assert str(info.value).startswith(msg + " The training loss of BPNetRegressor became inf")
    assert "StandardScaler" in str(info.value)


def test_a_diverging_run_records_nan_validation_scores_as_mlp():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3)) * 1e3
    y = X.sum(axis=1)
    scores = {}
    for cls in (MLPRegressor, BPNetRegressor):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = cls(solver="sgd", learning_rate_init=10.0, early_stopping=True, max_iter=20,
                      random_state=0).fit(X, y)
        scores[cls] = np.array(est.validation_scores_)
        assert np.isnan(scores[cls][-1])  # the last score: NaN in both
        assert np.isfinite(est.best_validation_score_)
    # ours stops at the first non-finite epoch; MLP carries on with NaN weights
    assert len(scores[BPNetRegressor]) < len(scores[MLPRegressor])
    # MLP's R² overflows to -inf on the epoch before its predictions turn NaN;
    # ours records NaN for every score that is not finite, so never -inf
    assert np.isneginf(scores[MLPRegressor]).any()
    assert not np.isinf(scores[BPNetRegressor]).any()


# -- issue 22: ONNX export beside MLPClassifier's (tests/test_onnx_meta.py has them all) ---
def _onnx_run(model, X):
    import onnxruntime as ort
    from skl2onnx import to_onnx

    import skbpnet.onnx  # noqa: F401  (registers the converters)

    onx = to_onnx(model, X[:1], options={id(model): {"zipmap": False}})
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": X})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_onnx_of_a_calibrated_classifier_is_right_for_both():
    # scikit-learn calibrates BPNet's decision_function (MLP has none): the export
    # must calibrate the same scores.
    from sklearn.calibration import CalibratedClassifierCV

    X, y = binary_data()
    X = X.astype(np.float32)
    for cls in (MLPClassifier, BPNetClassifier):
        cal = CalibratedClassifierCV(cls((4,), max_iter=20, random_state=0), cv=2).fit(X, y)
        labels, proba = _onnx_run(cal, X)
        np.testing.assert_allclose(proba, cal.predict_proba(X), rtol=0, atol=1e-4)
        np.testing.assert_array_equal(labels, cal.predict(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("input_dtype", [np.int64, np.bool_])
def test_onnx_outputs_of_an_integer_input_are_float32_for_both(input_dtype):
    X, y = binary_data()
    Xi = (X > 0).astype(input_dtype)
    for cls in (MLPClassifier, BPNetClassifier):
        clf = cls((4,), max_iter=20, random_state=0).fit(X, y)
        labels, proba = _onnx_run(clf, Xi)
        assert proba.dtype == np.float32
        np.testing.assert_allclose(proba, clf.predict_proba(Xi), rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_onnx_labels_and_edge_models():
    from sklearn.exceptions import NotFittedError

    X, y = binary_data()
    clf = BPNetClassifier((4,), max_iter=20, random_state=0)
    # labels int64 cannot hold: refused (MLP's export turns them negative)
    with pytest.raises(NotImplementedError, match="int64"):
        _onnx_run(clf.fit(X, np.where(y == 1, 7, 2**63 + 5).astype(np.uint64)), X)
    # a single class: labels and both probability columns, as predict and predict_proba
    for cls in (MLPClassifier, BPNetClassifier):
        one = cls((4,), max_iter=20, random_state=0).fit(X, np.full(len(y), 5))
        labels, proba = _onnx_run(one, X)
        np.testing.assert_array_equal(labels, one.predict(X))
    np.testing.assert_allclose(proba, one.predict_proba(X), rtol=0, atol=1e-12)
    # unfitted: scikit-learn's NotFittedError (MLP's converter raises a RuntimeError)
    with pytest.raises(NotFittedError):
        _onnx_run(BPNetClassifier(), X)
