"""The base of BPNetClassifier and BPNetRegressor: building, fitting, rolling back."""

import copy
import math
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import nn
from ._params import _as_list, validate_params
from ._training import DivergenceWarning, Trainer, hash_split, row_hashes
from ._version import __version__

_PREDICT_CHUNK = 8192
_RELU_LIKE = ("relu", "leaky_relu", "gelu")


class _BaseBPNet(BaseEstimator):
    """Everything the classifier and the regressor share."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The estimators live in the private module skbpnet._estimators but are
        # public as skbpnet.BPNetClassifier and skbpnet.BPNetRegressor. Naming
        # that path makes pickle, joblib and skops files refer to it: files
        # survive a move between private modules, and
        # skops.io.get_untrusted_types lists no private path.
        if cls.__module__ == "skbpnet._estimators":
            cls.__module__ = "skbpnet"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        input_dropout=0.0,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.callbacks = callbacks

    # -- the network's parameters, seen as scikit-learn's lists ----------------------
    def _linears(self):
        check_is_fitted(self, "_net")
        return [m for m in self._net.layers if isinstance(m, nn.Linear)]

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is the weight matrix of layer ``i``, shape (n_in, n_out)."""
        if "_net" not in self.__dict__:
            raise AttributeError("coefs_ exists only after fit.")
        return [m.weight for m in self._linears()]

    @coefs_.setter
    def coefs_(self, values):
        for m, v in zip(self._linears(), values, strict=True):
            m.set_state({"weight": v, "bias": m.bias})

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is the bias vector of layer ``i``."""
        if "_net" not in self.__dict__:
            raise AttributeError("intercepts_ exists only after fit.")
        return [m.bias for m in self._linears()]

    @intercepts_.setter
    def intercepts_(self, values):
        for m, v in zip(self._linears(), values, strict=True):
            m.set_state({"weight": m.weight, "bias": v})

    # -- building ---------------------------------------------------------------------
    def _build(self, hidden, n_outputs, dtype, rng):
        init = "he" if self.activation in _RELU_LIKE else "glorot"
        sizes = [self.n_features_in_, *hidden, n_outputs]
        layers = []
        if self.input_dropout > 0:
            layers.append(nn.Dropout(self.input_dropout, random_state=rng))
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0 and self.dropout > 0:
                layers.append(nn.Dropout(self.dropout, random_state=rng))
            layers.append(nn.Linear(a, b, init=init, dtype=dtype, random_state=rng))
            if i < len(sizes) - 2:
                layers.append(nn.ACTIVATIONS[self.activation]())
        return nn.Sequential(*layers)

    def _make_optimizer(self):
        if self.solver == "sgd":
            return nn.SGD(self.learning_rate_init, self.momentum, self.nesterovs_momentum)
        return nn.Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _make_schedule(self):
        name, lr = self.learning_rate, self.learning_rate_init
        if name == "invscaling":
            return nn.InvScalingLR(lr, self.power_t)
        if name == "cosine":
            return nn.CosineLR(lr, self.max_iter)
        return nn.SCHEDULES[name](lr)

    def _updated_optimizer(self, opt):
        """The continued optimizer, with any setting changed since the last fit applied.

        Its state (velocities, moments) carries over while the solver stays the
        same; a new solver starts with fresh state.
        """
        fresh = self._make_optimizer()
        if type(fresh) is not type(opt):
            return fresh
        for name in ("momentum", "nesterov", "beta_1", "beta_2", "epsilon"):
            if hasattr(fresh, name):
                setattr(opt, name, getattr(fresh, name))
        return opt

    def _updated_schedule(self, schedule):
        """The continued schedule, or a new one if its settings changed since the last fit."""
        fresh = self._make_schedule()
        settings = ("learning_rate_init", "power_t", "total_epochs", "eta_min")
        same = type(fresh) is type(schedule) and all(
            getattr(fresh, k, None) == getattr(schedule, k, None) for k in settings
        )
        if same and isinstance(schedule, nn.CosineLR) and schedule.epochs_done >= schedule.total_epochs:
            return fresh  # a cosine schedule that has run its course restarts (SGDR)
        return schedule if same else fresh

    def _architecture(self, hidden):
        return (tuple(hidden), self.activation, float(self.dropout), self.n_features_in_,
                float(self.input_dropout))

    # -- fitting ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32, anything else in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels, a label indicator matrix, or real values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; the loss is their weighted mean.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        hidden = validate_params(self)
        fitted = "_net" in self.__dict__
        continuing = fitted and (incremental or self.warm_start)
        saved = dict(self.__dict__)  # restored if anything below fails
        try:
            X, y = validate_data(
                self,
                X,
                y,
                reset=not continuing,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=not isinstance(self, ClassifierMixin),
            )
            if sparse.issparse(X) and X.format == "csc":
                X = X.tocsr()  # row batches need CSR
            y_enc, n_outputs = self._encode_y(y, continuing, incremental, classes)
            sw = self._sample_weight(X, y, sample_weight)
            self._fit_validated(X, y_enc, sw, hidden, n_outputs, continuing, incremental)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return self

    def _fit_validated(self, X, y, sw, hidden, n_outputs, continuing, incremental):
        if continuing:
            if self._arch != self._architecture(hidden):
                raise ValueError(
                    f"{type(self).__name__} cannot continue training: hidden_layer_sizes, "
                    f"activation, dropout, input_dropout or the number of features changed since the last "
                    f"fit. Set warm_start=False to start a new network."
                )
            dtype = self._net.dtype
            if X.dtype != dtype:
                X = X.astype(dtype)
            # Work on copies: the estimator changes only if training ends well.
            # The generator too: shuffling advances it, and a failed call must not.
            net, opt, schedule, rng = copy.deepcopy(
                (self._net, self._optimizer, self._schedule, self._rng)
            )
            opt, schedule = self._updated_optimizer(opt), self._updated_schedule(schedule)
            history = copy.deepcopy(self._history)
        else:
            dtype = X.dtype
            rs = check_random_state(self.random_state)
            rng = np.random.default_rng(rs.randint(np.iinfo(np.int32).max))
            net = self._build(hidden, n_outputs, dtype, rng)
            opt, schedule = self._make_optimizer(), self._make_schedule()
            history = {"n_epochs": 0, "loss_curve": [], "validation_scores": [],
                       "validation_loss_curve": [], "best_loss": np.inf,
                       "best_validation_score": -np.inf, "no_improvement": 0, "t": 0}
            self._dropout_seed = int(rng.integers(2**31))
        if y.dtype.kind == "f" and y.dtype != dtype:
            y = y.astype(dtype)
        if sw is not None:
            sw = sw.astype(dtype, copy=False)
        loss = self._make_loss()

        if self.solver == "lbfgs":
            status = self._run_lbfgs(net, loss, X, y, sw, history)
        else:
            status = self._run_stochastic(net, loss, opt, schedule, rng, X, y, sw, history,
                                          incremental)
        self._report(status, continuing, incremental)
        if continuing and status["n_iter"] == 0:
            rng = self._rng  # nothing of this call was kept (divergence): nor its shuffling

        # Commit: from here on nothing can fail.
        net.eval()
        self._net, self._optimizer, self._schedule, self._rng = net, opt, schedule, rng
        self._history, self._loss_fn = history, loss
        self._arch = self._architecture(hidden)
        self._skbpnet_version = __version__
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden) + 2
        self.out_activation_ = self._out_activation(n_outputs)
        self.n_iter_ = status["n_iter"]
        self.t_ = history["t"] = status["n_samples_seen"]
        self.loss_curve_ = list(history["loss_curve"])
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        early = self.early_stopping and not incremental and self.solver != "lbfgs"
        self.best_loss_ = None if early else history["best_loss"]
        self.validation_scores_ = list(history["validation_scores"]) if early else None
        self.validation_loss_curve_ = list(history["validation_loss_curve"]) if early else None
        self.best_validation_score_ = history["best_validation_score"] if early else None

    def _run_stochastic(self, net, loss, opt, schedule, rng, X, y, sw, history, incremental):
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    f"batch_size={self.batch_size} is larger than the {n} samples; "
                    f"using batches of {n}.",
                    UserWarning,
                )
            batch_size = min(self.batch_size, n)
        need_hash = (self.dropout > 0 or self.input_dropout > 0
                     or (self.early_stopping and not incremental))
        hashes = row_hashes(X) if need_hash else None
        validation = None
        if self.early_stopping and not incremental:
            train = hash_split(hashes, sw, self.validation_fraction)
            val = ~train
            validation = (X[val], y[val], None if sw is None else sw[val])
            X, y, hashes = X[train], y[train], hashes[train]
            sw = None if sw is None else sw[train]
            batch_size = min(batch_size, X.shape[0])
        trainer = Trainer(
            net, loss, opt, schedule, alpha=float(self.alpha), batch_size=batch_size,
            shuffle=bool(self.shuffle), rng=rng, tol=float(self.tol),
            n_iter_no_change=self.n_iter_no_change, verbose=bool(self.verbose),
            callbacks=_as_list(self.callbacks) if self.callbacks is not None else (),
            dropout_seed=self._dropout_seed, score_fn=self._validation_score,
        )
        return trainer.fit(X, y, sw, max_iter=1 if incremental else self.max_iter,
                           n_samples_seen=history["t"], history=history,
                           validation=validation, hashes=hashes, incremental=incremental)

    def _run_lbfgs(self, net, loss, X, y, sw, history):
        from scipy.optimize import minimize

        pv, gv, k = net.param_vector, net.grad_vector, net.n_penalized
        start = pv.copy()
        sw_sum = float(X.shape[0] if sw is None else sw.sum())
        alpha = float(self.alpha)
        net.train(True)
        net.input_grad = False

        def loss_grad(x):
            pv[...] = x
            value = loss.forward(net.forward(X), y, sw)
            value += 0.5 * alpha * float(np.dot(pv[:k], pv[:k])) / sw_sum
            net.backward(loss.backward())
            g = gv.astype(np.float64)
            g[:k] += (alpha / sw_sum) * pv[:k]
            return value, g

        curve = []

        def record(intermediate_result):
            curve.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(curve)}: loss = {curve[-1]:.6f}")

        with np.errstate(over="ignore", invalid="ignore"):
            res = minimize(loss_grad, pv.astype(np.float64), method="L-BFGS-B", jac=True,
                           callback=record,
                           options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                                    "gtol": self.tol})
        status = {"n_iter": int(res.nit), "diverged": False, "interrupted": False,
                  "stopped": None, "n_samples_seen": history["t"] + int(res.nit) * X.shape[0]}
        pv[...] = res.x
        if not (np.isfinite(pv).all() and np.isfinite(res.fun)):
            pv[...] = start
            status["diverged"], status["n_iter"] = True, 0
            return status
        history["loss_curve"].extend(curve or [float(res.fun)])
        history["loss_curve"][-1] = float(res.fun)
        history["best_loss"] = min(history["best_loss"], float(res.fun))
        history["n_epochs"] += status["n_iter"]
        if res.status != 0:
            status["stopped"] = "lbfgs"
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iterations (status={res.status}: "
                f"{res.message}). Increase max_iter or max_fun, or scale the data, for "
                f"example with sklearn.preprocessing.StandardScaler.",
                ConvergenceWarning,
            )
        return status

    def _report(self, status, continuing, incremental):
        name = type(self).__name__
        if status["diverged"]:
            advice = (
                f"The training loss of {name} became inf or nan. Lower learning_rate_init "
                f"(now {self.learning_rate_init}), scale the features (for example with "
                f"StandardScaler), or raise alpha."
            )
            if status["n_iter"] == 0 and not continuing:
                raise ValueError(advice + " No epoch finished with a finite loss, so the "
                                 "estimator was left unchanged.")
            kept = ("the state it had before this call" if status["n_iter"] == 0
                    else f"the weights of epoch {status['n_iter']}, the last finite one")
            warnings.warn(f"{advice} Training stopped; the model keeps {kept}.",
                          DivergenceWarning, stacklevel=4)
        elif (not incremental and self.solver != "lbfgs" and status["stopped"] is None
              and not status["interrupted"] and status["n_iter"] == self.max_iter):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                f"the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _sample_weight(self, X, y, sample_weight):
        if sample_weight is None:
            return None
        sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if not sw.sum() > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one sample needs a positive weight."
            )
        return sw

    def _validation_score(self, net, X, y, sw):
        scores = self._scores(net, X)
        loss = self._make_loss().forward(scores, y, sw)
        return loss, self._score_encoded(scores, y, sw)

    @staticmethod
    def _scores(net, X):
        """Raw output scores in chunks, via the network's stateless inference path."""
        n = X.shape[0]
        if n <= _PREDICT_CHUNK:
            return net.infer(X)
        out = None
        for start in range(0, n, _PREDICT_CHUNK):
            block = net.infer(X[start : start + _PREDICT_CHUNK])
            if out is None:
                out = np.empty((n, block.shape[1]), block.dtype)
            out[start : start + _PREDICT_CHUNK] = block
        return out

    def _decision(self, X):
        check_is_fitted(self, "_net")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                          reset=False)
        if sparse.issparse(X) and X.format == "csc":
            X = X.tocsr()
        if X.dtype != self._net.dtype:
            X = X.astype(self._net.dtype)
        return self._scores(self._net, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __setstate__(self, state):
        version = state.get("_skbpnet_version")
        if version is not None and version != __version__:
            warnings.warn(
                f"This {type(self).__name__} was fitted with skbpnet {version} and is loaded "
                f"with skbpnet {__version__}; results may differ. Refit it, or load it with "
                f"skbpnet {version}.",
                InconsistentSkbpnetVersionWarning,
            )
        super().__setstate__(state)


class InconsistentSkbpnetVersionWarning(UserWarning):
    """A model saved by one version of skbpnet is loaded by another.

    Examples
    --------
    >>> from skbpnet import InconsistentSkbpnetVersionWarning
    >>> issubclass(InconsistentSkbpnetVersionWarning, UserWarning)
    True
    """


def _is_stochastic(est):
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; {est.solver!r} is not."
        )
    return True
