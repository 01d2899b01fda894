"""Validation of the estimators' hyperparameters, with messages that name them."""

import numbers

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ._solvers.callbacks import callback_list
from ._solvers.registry import SOLVERS, is_stochastic
from .nn import ACTIVATIONS, LOSSES, SCHEDULES
from .nn.init import INITIALIZERS


def _real(lo=None, hi=None, lo_open=False, hi_open=False, allow_inf=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or np.isnan(v):
            return False
        if np.isinf(v) and not allow_inf:
            return False
        if lo is not None and (v < lo or (lo_open and v == lo)):
            return False
        if hi is not None and (v > hi or (hi_open and v == hi)):
            return False
        return True

    lo_s = "(" if lo_open else "["
    hi_s = ")" if hi_open else "]"
    text = f"a number in {lo_s}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{hi_s}"
    return check, text


def _int(lo, allow_inf=False):
    def check(v):
        if allow_inf and isinstance(v, numbers.Real) and v == np.inf:
            return True
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= lo

    return check, f"an integer >= {lo}" + (" or numpy.inf" if allow_inf else "")


def _options(options):
    # read when called: a registry may have grown since this module was imported
    return (lambda v: isinstance(v, str) and v in options), lambda: f"one of {list(options)}"


_BOOL = (lambda v: isinstance(v, (bool, np.bool_)), "True or False")

_CONSTRAINTS = {
    "activation": _options(ACTIVATIONS),
    "solver": _options(SOLVERS),
    "alpha": _real(0),
    "learning_rate": _options(SCHEDULES),
    "learning_rate_init": _real(0, lo_open=True),
    "power_t": _real(0),
    "max_iter": _int(1),
    "shuffle": _BOOL,
    "tol": _real(0),
    "warm_start": _BOOL,
    "momentum": _real(0, 1),
    "nesterovs_momentum": _BOOL,
    "early_stopping": _BOOL,
    "validation_fraction": _real(0, 1, hi_open=True),
    "beta_1": _real(0, 1, hi_open=True),
    "beta_2": _real(0, 1, hi_open=True),
    "epsilon": _real(0, lo_open=True),
    "n_iter_no_change": _int(1, allow_inf=True),
    "max_fun": _int(1),
    "dropout": _real(0, 1, hi_open=True),
    "input_dropout": _real(0, 1, hi_open=True),
    "label_smoothing": _real(0, 1, hi_open=True),
    "weight_init": _options(("auto", *INITIALIZERS)),
    "loss": _options(LOSSES),
}


def validate_params(est):
    """Raise an InvalidParameterError naming the first invalid hyperparameter of ``est``.

    scikit-learn's ``InvalidParameterError`` is both a ``ValueError`` and a
    ``TypeError``, as the error of any scikit-learn estimator's parameters is.
    """
    name = type(est).__name__
    params = est.get_params(deep=False)
    for key, (check, text) in _CONSTRAINTS.items():
        if key in params and not check(params[key]):
            text = text() if callable(text) else text
            hint = ""
            if key == "loss" and not isinstance(params[key], str):
                hint = (" As in MLPRegressor, loss is the first positional parameter: pass "
                        "hidden_layer_sizes by keyword.")
            raise InvalidParameterError(
                f"The '{key}' parameter of {name} must be {text}; got {params[key]!r}.{hint}")
    hidden = params["hidden_layer_sizes"]
    # An integer, or a sequence that can be read twice: an iterator would be
    # consumed by the first fit, and a dict would count its keys.
    if isinstance(hidden, numbers.Integral):
        sizes = [hidden]
    elif isinstance(hidden, (list, tuple)) or (isinstance(hidden, np.ndarray) and hidden.ndim == 1):
        sizes = list(hidden)
    else:
        sizes = None
    if sizes is None or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise InvalidParameterError(
            f"The 'hidden_layer_sizes' parameter of {name} must be a positive integer or a "
            f"sequence of positive integers; got {hidden!r}."
        )
    bs = params["batch_size"]
    if not (bs == "auto" if isinstance(bs, str) else _int(1)[0](bs)):
        raise InvalidParameterError(
            f"The 'batch_size' parameter of {name} must be 'auto' or an integer >= 1; got {bs!r}."
        )
    _check_precision_and_threads(name, params)
    verbose = params["verbose"]
    if not isinstance(verbose, (bool, numbers.Integral, np.bool_)):
        raise InvalidParameterError(
            f"The 'verbose' parameter of {name} must be a bool or an int; got {verbose!r}.")
    callbacks = params.get("callbacks")
    if callbacks is not None and (
        isinstance(callbacks, (str, bytes))
        or not all(callable(cb) for cb in callback_list(callbacks))
    ):
        raise InvalidParameterError(
            f"The 'callbacks' parameter of {name} must be None or a list of callables; "
            f"got {callbacks!r}."
        )
    _check_class_weight(name, params.get("class_weight"))
    _check_lbfgs(name, params)
    _check_max_norm(name, params)
    _check_early_stopping(name, params)
    return [int(s) for s in sizes]


def stochastic_solvers():
    """The registered stochastic solvers as messages name them, for their advice.

    Examples
    --------
    >>> from skbpnet._params import stochastic_solvers
    >>> stochastic_solvers()
    "solver='adam' or 'sgd'"
    """
    names = [repr(n) for n in sorted(SOLVERS) if is_stochastic(n)]
    return "solver=" + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])


def _check_lbfgs(name, params):
    solver = params["solver"]
    if is_stochastic(solver):
        return
    callbacks = params.get("callbacks")
    if callbacks is not None and callback_list(callbacks):
        raise InvalidParameterError(
            f"{name} cannot call callbacks with solver={solver!r}: it fits all rows at once, "
            f"without epochs. Use {stochastic_solvers()}, or callbacks=None."
        )
    for key in ("dropout", "input_dropout"):
        if params.get(key, 0) > 0:
            raise InvalidParameterError(
                f"{name} cannot combine solver={solver!r} with {key}={params[key]}: it "
                f"needs a deterministic objective. Use {stochastic_solvers()}, or {key}=0."
            )


def _check_early_stopping(name, params):
    # As in MLP, validation_fraction=0.0 is accepted when nothing is held out.
    if params["early_stopping"] and params["validation_fraction"] == 0:
        raise InvalidParameterError(
            f"The 'validation_fraction' parameter of {name} must be in (0, 1) with "
            f"early_stopping=True: the hold-out cannot be empty; got 0.0. Pass a fraction "
            f"such as 0.1, or early_stopping=False."
        )


def _check_max_norm(name, params):
    c = params.get("max_norm")
    if c is None:
        return
    if not _real(0, lo_open=True)[0](c):
        raise InvalidParameterError(
            f"The 'max_norm' parameter of {name} must be None or a positive, finite number; "
            f"got {c!r}. Pass None for no constraint, or the largest norm allowed for each "
            f"unit's incoming weights (3 or 4 are usual)."
        )
    if not is_stochastic(params["solver"]):
        raise InvalidParameterError(
            f"{name} cannot combine solver={params['solver']!r} with max_norm={c!r}: the "
            f"constraint is applied after each minibatch update, and this solver makes none. "
            f"Use {stochastic_solvers()}, or max_norm=None."
        )


def _check_precision_and_threads(name, params):
    threads = params.get("blas_threads", None)
    if not (threads is None or (isinstance(threads, str) and threads == "adaptive")
            or _int(1)[0](threads)):
        raise InvalidParameterError(
            f"The 'blas_threads' parameter of {name} must be 'adaptive', None or an integer "
            f">= 1; got {threads!r}."
        )
    dtype = params.get("dtype", None)
    if not (dtype is None or (isinstance(dtype, str) and dtype in ("float32", "float64"))):
        raise InvalidParameterError(
            f"The 'dtype' parameter of {name} must be None, 'float32' or 'float64'; got "
            f"{dtype!r}."
        )


def _check_class_weight(name, cw):
    if cw is None or (isinstance(cw, str) and cw == "balanced"):
        return
    bad = not isinstance(cw, dict) or not all(
        isinstance(w, numbers.Real) and not isinstance(w, bool) and np.isfinite(w) and w >= 0
        for w in cw.values())
    if bad:
        raise InvalidParameterError(
            f"The 'class_weight' parameter of {name} must be None, 'balanced' or a dict "
            f"mapping classes to finite, non-negative weights; got {cw!r}."
        )

