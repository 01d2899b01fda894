"""The base of BPNetClassifier and BPNetRegressor: building, fitting, rolling back."""

import copy
import inspect
import math
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _version, nn
from ._device import (DeviceMixin, cast, check_same_namespace, host_targets, input_namespace,
                      model_namespace, namespace_dtype, numpy_dtype)
from ._factories import continue_optimizer, continue_schedule, make_optimizer, make_schedule
from ._guard import fitting
from ._memory import check_fit_size
from ._network import Architecture
from ._params import stochastic_solvers, validate_params
from ._scoring import predict_scores
from ._solvers import SOLVERS, TrainingHistory, fit_stochastic, report
from ._solvers.legacy import upgrade_history


class _BaseBPNet(DeviceMixin, BaseEstimator):
    """Everything the classifier and the regressor share."""

    # The fitted state: what fit sets (besides the views below) and what a model
    # file stores. Objects, then plain values, then values that may be absent.
    _FITTED_OBJECTS = ("_net", "_optimizer", "_schedule", "_rng", "_history")
    _FITTED_VALUES = ("_skbpnet_version", "_dropout_seed", "n_features_in_", "n_iter_")
    _FITTED_OPTIONAL = ("feature_names_in_",)

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
        max_norm=None,
        weight_init="auto",
        callbacks=None,
        dtype=None,
        blas_threads="adaptive",
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
        self.weight_init = weight_init
        self.max_norm = max_norm
        self.callbacks = callbacks
        self.dtype = dtype
        self.blas_threads = blas_threads

    # -- fitted attributes: views of the network and the training history -------------
    def _fitted(self, name):
        """The training history; an AttributeError before fit (so hasattr is False)."""
        if "_net" not in self.__dict__:
            raise AttributeError(f"{name} exists only after fit.")
        return self._history

    def _linears(self):
        check_is_fitted(self, "_net")
        return self._net.linear_layers()

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is the weight matrix of layer ``i``, shape (n_in, n_out)."""
        self._fitted("coefs_")
        return [m.weight for m in self._linears()]

    @coefs_.setter
    def coefs_(self, values):
        for m, v in zip(self._linears(), values, strict=True):
            m.set_state({"weight": v, "bias": m.bias})

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is the bias vector of layer ``i``."""
        self._fitted("intercepts_")
        return [m.bias for m in self._linears()]

    @intercepts_.setter
    def intercepts_(self, values):
        for m, v in zip(self._linears(), values, strict=True):
            m.set_state({"weight": m.weight, "bias": v})

    @property
    def n_layers_(self):
        """int: number of layers, input and output included."""
        self._fitted("n_layers_")
        return len(self._linears()) + 1

    @property
    def n_outputs_(self):
        """int: number of output units."""
        self._fitted("n_outputs_")
        return self._linears()[-1].n_out

    @property
    def out_activation_(self):
        """str: the output activation ('identity', 'logistic' or 'softmax')."""
        self._fitted("out_activation_")
        return self._out_activation(self.n_outputs_)

    @property
    def t_(self):
        """int: training samples seen over the model's life."""
        return self._fitted("t_").t

    @property
    def loss_curve_(self):
        """list of float: the training loss of every epoch (a copy)."""
        return list(self._fitted("loss_curve_").loss_curve)

    @property
    def loss_(self):
        """float: the training loss of the last epoch."""
        curve = self._fitted("loss_").loss_curve
        return curve[-1] if curve else math.nan

    @property
    def best_loss_(self):
        """float or None: the lowest training loss; None with early stopping."""
        history = self._fitted("best_loss_")
        return None if history.validated else history.best_loss

    @property
    def validation_scores_(self):
        """list of float or None: held-out scores per epoch (early stopping only)."""
        history = self._fitted("validation_scores_")
        return list(history.validation_scores) if history.validated else None

    @property
    def validation_loss_curve_(self):
        """list of float or None: held-out losses per epoch (early stopping only)."""
        history = self._fitted("validation_loss_curve_")
        return list(history.validation_loss_curve) if history.validated else None

    @property
    def best_validation_score_(self):
        """float or None: the best held-out score (early stopping only)."""
        history = self._fitted("best_validation_score_")
        return history.best_validation_score if history.validated else None

    # -- fitting ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32, anything else in float64.
            Under ``sklearn.config_context(array_api_dispatch=True)``, a PyTorch
            tensor, CuPy array or array_api_strict array trains on its device
            (see :doc:`/user_guide/gpu`); y and sample_weight may be of any namespace.
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
        with fitting(self, "partial_fit" if incremental else "fit"):  # refuses a concurrent fit
            return self._fit_locked(X, y, sample_weight, incremental, classes)

    def _fit_locked(self, X, y, sample_weight, incremental, classes):
        hidden = validate_params(self)
        fitted = "_net" in self.__dict__
        continuing = fitted and (incremental or self.warm_start)
        saved = dict(self.__dict__)  # restored if anything below fails
        try:
            xp, device = input_namespace(X)
            if not nn.is_numpy(xp):  # X on a device: y, weights and classes are encoded on the host
                y, sample_weight = host_targets(y, sample_weight)
                classes = None if classes is None else nn.to_numpy(classes)
            X, y = validate_data(
                self,
                X,
                y,
                reset=not continuing,
                accept_sparse=["csr", "csc"],
                dtype=self._input_dtype(continuing, xp),
                multi_output=True,
                y_numeric=not isinstance(self, ClassifierMixin),
            )
            if sparse.issparse(X) and X.format == "csc":
                X = X.tocsr()  # row batches need CSR
            y_enc, n_outputs = self._encode_y(y, continuing, incremental, classes)
            sw = self._sample_weight(y, sample_weight, numpy_dtype(X.dtype))
            self._fit_validated(X, y_enc, sw, hidden, n_outputs, continuing, incremental)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return self

    def _input_dtype(self, continuing, xp=np):
        """The dtype X is converted to, once, on entry (a dtype of X's namespace ``xp``)."""
        if continuing:
            return namespace_dtype(xp, numpy_dtype(self._net.dtype))
        if self.dtype is None:
            return namespace_dtype(xp, np.float64), namespace_dtype(xp, np.float32)
        return namespace_dtype(xp, self.dtype)

    def _fit_validated(self, X, y, sw, hidden, n_outputs, continuing, incremental):
        arch = Architecture.from_params(self, hidden)
        check_fit_size(type(self).__name__, arch, n_outputs, numpy_dtype(X.dtype).itemsize,
                       X.shape[0], self.get_params(deep=False), continuing,
                       SOLVERS[self.solver], stochastic_solvers())
        state = (self._continued_state(arch, incremental) if continuing
                 else self._new_state(arch, n_outputs, numpy_dtype(X.dtype)))
        net, opt, schedule, rng, history, seed = state
        xp, device = input_namespace(X)
        solver = SOLVERS[self.solver]
        if model_namespace(net) != (xp, device) and solver.stochastic:
            # built on the host (or continued from elsewhere): train on X's device
            net.to_namespace(xp, device)
            opt.to_namespace(xp, device)
        X = cast(X, net.dtype)
        dtype = numpy_dtype(net.dtype)
        if y.dtype.kind == "f" and y.dtype != dtype:
            y = y.astype(dtype)
        if sw is not None:
            sw = _check_weight_range(sw.astype(dtype, copy=False))
        params = self.get_params(deep=False)
        if not solver.stochastic:
            result = self._fit_on_host(solver.fit, net, opt, X, y, sw, history, params,
                                       (xp, device))
        else:
            result = fit_stochastic(net, self._make_loss(), opt, schedule, rng, X, y, sw,
                                    history, params=params, incremental=incremental,
                                    dropout_seed=seed, score=self._validation_scorer(),
                                    stratify=self._stratified())
        report(result, name=type(self).__name__, params=params, continuing=continuing,
               incremental=incremental,
               final_loss=history.loss_curve[-1] if history.loss_curve else math.nan)
        if continuing and result.n_iter == 0:
            rng = self._rng  # nothing of this call was kept (divergence): nor its shuffling
        # Commit: from here on nothing can fail. A model at rest is in evaluation
        # mode with every gradient on, as the builder makes it (and load rebuilds it).
        net.eval()
        net.input_grad = True
        self._net, self._optimizer, self._schedule, self._rng = net, opt, schedule, rng
        self._history, self._dropout_seed = history, seed
        self._skbpnet_version = _version.current()
        self.n_iter_ = result.n_iter

    def _fit_on_host(self, fit, net, opt, X, y, sw, history, params, where):
        """A solver that is not stochastic (L-BFGS-B is SciPy's) runs on NumPy: on a
        device on a host copy of the data and the network, moved back after."""
        on_device = not nn.is_numpy(where[0])
        if on_device:
            X = nn.to_numpy(X)
        if not nn.is_numpy(model_namespace(net)[0]):
            net.to_namespace(np)
            opt.to_namespace(np)
        result = fit(net, self._make_loss(), X, y, sw, history, params=params)
        if on_device:
            net.to_namespace(*where)
            opt.to_namespace(*where)
        return result

    def _new_state(self, arch, n_outputs, dtype):
        """(net, optimizer, schedule, rng, history, dropout seed) of a new model."""
        rs = check_random_state(self.random_state)
        rng = np.random.default_rng(rs.randint(np.iinfo(np.int32).max))
        init = self._initialisation() if self.weight_init == "auto" else self.weight_init
        net = arch.build(n_outputs, dtype, rng, init=init)
        params = self.get_params(deep=False)
        seed = int(rng.integers(2**31))
        return net, make_optimizer(params), make_schedule(params), rng, TrainingHistory(), seed

    def _initialisation(self):
        """None: He for ReLU-like activations, Glorot otherwise (see Architecture.build)."""
        return None

    def _continued_state(self, arch, incremental):
        """Copies of the fitted state: the estimator changes only if training ends well."""
        if Architecture.of(self._net) != arch:
            raise ValueError(
                f"{type(self).__name__} cannot continue training: hidden_layer_sizes, "
                f"activation, dropout, input_dropout or the number of features changed since the last "
                f"fit. Set warm_start=False to start a new network."
            )
        # The generator too: shuffling advances it, and a failed call must not.
        net, opt, schedule, rng, history = copy.deepcopy(
            (self._net, self._optimizer, self._schedule, self._rng, self._history))
        params = self.get_params(deep=False)
        opt = continue_optimizer(opt, params)
        schedule = continue_schedule(schedule, params, new_call=not incremental)
        return net, opt, schedule, rng, history, self._dropout_seed

    def _stratified(self):
        """The classes to stratify the early-stopping hold-out on, or None."""
        return None

    def _sample_weight(self, y, sample_weight, dtype):
        """The weights as a NumPy array of ``dtype``, one per row of ``y``, or None.

        Weights are checked and used on the host, as the targets are, wherever X is:
        their rows are counted on ``y`` (the host targets, as many rows as X).
        """
        if sample_weight is None:
            return None
        sw = _check_sample_weight(sample_weight, y, dtype=dtype, ensure_non_negative=True)
        if not sw.sum() > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one sample needs a positive weight."
            )
        return sw

    # -- prediction ---------------------------------------------------------------------
    def _decision(self, X, method="predict", reduce=None):
        check_is_fitted(self, "_net")
        xp, device = input_namespace(X)
        check_same_namespace(self, xp, device, method)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=(namespace_dtype(xp, np.float64), namespace_dtype(xp, np.float32)))
        if sparse.issparse(X) and X.format == "csc":
            X = X.tocsr()
        return predict_scores(self._net, cast(X, self._net.dtype), self.blas_threads, reduce)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    # -- the stored state: the protocol through which skbpnet.io reads and sets it ----------
    def __sklearn_is_fitted__(self):
        """Whether fit (or partial_fit) has run: scikit-learn's ``check_is_fitted`` asks this."""
        return "_net" in self.__dict__

    @classmethod
    def _fitted_fields(cls):
        """The names of the fitted state: ``{"objects", "values", "optional"}``.

        ``objects`` (the network, optimizer, schedule, generator and history)
        are stored under their names without the underscore; ``values`` are
        plain values a model file must hold, ``optional`` ones it may lack.
        Declaring a name in ``_FITTED_VALUES`` or ``_FITTED_OPTIONAL`` makes
        model files store it.
        """
        return {"objects": cls._FITTED_OBJECTS, "values": cls._FITTED_VALUES,
                "optional": cls._FITTED_OPTIONAL}

    def _get_fitted_state(self):
        """The fitted state, with a model on a device copied to NumPy; None before fit.

        Returns ``{"values": {name: value}, "net": ..., "optimizer": ...,
        "schedule": ..., "rng": ..., "history": ...}``: the declared values
        that are set, and the objects (not copies).
        """
        if "_net" not in self.__dict__:
            return None
        state = vars(self._on_host())
        names = self._FITTED_VALUES + self._FITTED_OPTIONAL
        return {"values": {k: state[k] for k in names if k in state},
                **{k[1:]: state[k] for k in self._FITTED_OBJECTS}}

    def _set_fitted_state(self, state):
        """Set a fitted state of the form :meth:`_get_fitted_state` returns; returns self."""
        self.__dict__.update(state["values"])
        self.__dict__.update({k: state[k[1:]] for k in self._FITTED_OBJECTS})
        return self

    # -- pickling -----------------------------------------------------------------------
    def __setstate__(self, state):
        version = state.get("_skbpnet_version")
        if version is not None and version != _version.current():
            warnings.warn(
                f"This {type(self).__name__} was fitted with skbpnet {version} and is loaded "
                f"with skbpnet {_version.current()}; results may differ. Refit it, or load "
                f"it with skbpnet {version}.",
                InconsistentSkbpnetVersionWarning,
            )
        if isinstance(state.get("_history"), dict):  # skbpnet 0.1.0 kept copies
            state["_history"] = upgrade_history(state)
        # Parameters added since the file was written take their defaults.
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if param.default is not param.empty:
                state.setdefault(name, param.default)
        super().__setstate__(state)


def _check_weight_range(sw):
    """Refuse weights whose total overflows, or whose positive entries underflow, in sw's dtype."""
    info = np.finfo(sw.dtype)
    total = float(np.sum(sw, dtype=np.float64))
    if not total < info.max:
        raise ValueError(
            f"sample_weight sums to {total:.3g}, which overflows {sw.dtype.name}: the loss "
            f"would be inf or nan. Divide the weights by a constant (for example by their "
            f"maximum); only their ratios matter to the loss."
        )
    positive = sw[sw > 0]
    if positive.size and positive.min() < info.tiny:
        raise ValueError(
            f"sample_weight holds positive weights below {info.tiny:.3g}, the smallest "
            f"normal {sw.dtype.name} number ({positive.min():.3g}); they lose precision or "
            f"vanish. Multiply the weights by a constant (for example divide them by their "
            f"maximum)."
        )
    return sw


class InconsistentSkbpnetVersionWarning(UserWarning):
    """A model saved by one version of skbpnet is loaded by another.

    Examples
    --------
    >>> from skbpnet import InconsistentSkbpnetVersionWarning
    >>> issubclass(InconsistentSkbpnetVersionWarning, UserWarning)
    True
    """
