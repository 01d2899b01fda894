"""BPNetClassifier and BPNetRegressor: scikit-learn estimators over ``skbpnet.nn``."""

import functools

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import column_or_1d
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from . import nn
from .nn import asarray_on, device_of, get_namespace, is_numpy, standard_namespace, to_numpy
from ._base import _BaseBPNet
from ._guard import stochastic_only
from ._solvers.validation import AccuracyOfScores, r2_of_scores

_COMMON_PARAMETERS = """\
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Units of each hidden layer; ``()`` gives a linear model.
    activation : {{'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'gelu'}}, default='relu'
        Activation of the hidden layers. The first four mean what they mean in
        scikit-learn; 'leaky_relu' (slope 0.01) and 'gelu' are additions.
        ReLU-like activations get He initialisation, the others Glorot.
    solver : {{'adam', 'sgd', 'lbfgs'}}, default='adam'
        'sgd' is minibatch SGD with (Nesterov) momentum, 'adam' is Adam,
        'lbfgs' is scipy's full-batch L-BFGS-B.
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), with scikit-learn's
        scaling: ``alpha / 2 * ||W||^2`` divided by the batch's total weight.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``. Unused by lbfgs.
    learning_rate : {{'constant', 'invscaling', 'adaptive', 'cosine', 'cosine_restart'}}, default='constant'
        Learning-rate schedule, for 'sgd' and (unlike scikit-learn) 'adam'
        too. 'invscaling' sets ``learning_rate_init / (t + 1) ** power_t``
        after each epoch, ``t`` being the samples seen; 'adaptive' divides the
        rate by 5 whenever ``n_iter_no_change`` epochs bring no improvement of
        ``tol``; 'cosine' anneals to 0 over ``max_iter`` epochs, and
        restarts when warm_start or partial_fit continues past them;
        'cosine_restart' runs two cosine cycles in ``max_iter`` epochs, a
        quarter of them from ``learning_rate_init`` and the rest from half of
        it (:class:`skbpnet.nn.CosineRestartLR`).
    learning_rate_init : float, default=0.001
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Maximum number of epochs (lbfgs: iterations).
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the dropout masks. The
        same seed on the same data gives bitwise-identical weights.
    tol : float, default=1e-4
        Improvement of the loss (or validation score) below which an epoch
        counts as no improvement.
    verbose : bool, default=False
        Print scikit-learn's lines, ``Iteration N, loss = 0.12345678`` and
        (early stopping) ``Validation score: 0.912000``, with the epoch's
        seconds and the validation loss after them on the same lines.
    warm_start : bool, default=False
        Continue from the previous fit's weights. Unlike scikit-learn, the
        optimizer's state (momentum velocities, Adam moments) continues too.
        The learning rate restarts from ``learning_rate_init`` on each fit, as
        in scikit-learn ('invscaling' then continues from the samples seen,
        ``t_``); 'cosine' continues its plan. Settings changed in between
        (learning rate, schedule, momentum, Adam's betas) take effect; a
        changed solver starts with fresh state.
    momentum : float in [0, 1], default=0.9
        Momentum of 'sgd'; 1.0 is accepted, as in scikit-learn.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop when the
        validation score stops improving, and restore the weights of the
        best epoch. An epoch counts as an improvement when the validation
        score rises by ``tol`` or the validation loss falls by ``tol`` (the
        loss keeps moving while an accuracy on few samples sits still).
        The hold-out is chosen by a hash of each sample's values,
        so duplicates of a sample never straddle the split and the split does
        not depend on row order; for classifiers it is stratified (each class
        gives its share). Ignored by lbfgs; partial_fit refuses it, as in
        scikit-learn.
    validation_fraction : float in [0, 1), default=0.1
        Share of distinct samples held out for early stopping (at least 2);
        0.0 only with ``early_stopping=False``, where it is unused.
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical stabiliser.
    n_iter_no_change : int, default=10
        Epochs without improvement of ``tol`` before stopping (or, with
        'adaptive', before dividing the learning rate).
    max_fun : int, default=15000
        Maximum number of loss evaluations of lbfgs.
    dropout : float in [0, 1), default=0.0
        Inverted dropout on every hidden layer's output during training. A
        sample's mask depends on its values, the epoch and the seed, not on
        its batch. Not available with lbfgs.
    input_dropout : float in [0, 1), default=0.0
        Inverted dropout on the input features during training (0.2 is the
        classic choice for pixels). Not available with lbfgs.
    max_norm : float or None, default=None
        Max-norm constraint (Srivastava et al., 2014): after every update,
        each unit's incoming weight vector (a column of ``coefs_[i]``, output
        layer included; never the intercepts) whose L2 norm exceeds
        ``max_norm`` is scaled back to norm ``max_norm``. It bounds the
        weights without shrinking them all, which lets dropout networks use
        large learning rates; 3 or 4 are usual. None applies no constraint.
        Not available with lbfgs (see :func:`skbpnet.nn.max_norm_`).
    weight_init : {{'auto', 'he', 'glorot'}}, default='auto'
        How the initial weights are drawn (biases start at zero). 'he' is
        ``U(-b, b)`` with ``b = sqrt(6 / fan_in)``; 'glorot' has
        ``b = sqrt(6 / (fan_in + fan_out))``, the bound MLPClassifier draws
        ReLU networks from. 'auto' is He for ReLU-like activations and Glorot
        otherwise (and for ``loss='poisson'``). Glorot's smaller weights
        suit small tables: ``skbpnet train`` uses it (``--weight-init``).
    callbacks : list of callable, default=None
        Each is called after every epoch as ``callback(info)`` with a dict
        (``epoch``, ``loss``, ``seconds``, ``network``: the
        :class:`skbpnet.nn.Sequential` being trained, whose ``infer(X)``
        gives raw output scores, and with early stopping
        ``validation_score`` and ``validation_loss``); one returning True
        stops training. Refused with lbfgs, which has no epochs. ``clone``
        (and so every search and meta-estimator) deep-copies them.
    dtype : {None, 'float32', 'float64'}, default=None
        The precision of the network. None follows X, as scikit-learn does:
        float32 data trains in float32, anything else in float64. 'float32'
        converts X once on entry (no second copy per epoch) and trains about
        twice as fast as float64 on the same data, at the cost of float32's
        precision (about 7 significant digits; the weights, gradients and
        losses are all float32). A continued fit keeps the dtype of the
        fitted network.
    blas_threads : 'adaptive', None or int, default='adaptive'
        BLAS threads while training. 'adaptive' times a few steps with one
        thread and with the BLAS's current count at the start of every epoch
        and uses the faster: when another process takes a core, the default
        threads can collapse (2-10x slower), and one thread does not. It
        never uses more threads than an outer ``threadpool_limits`` allows.
        An int fixes the count (capped likewise); None leaves the BLAS as it
        is. Results differ between thread counts only by the rounding of the
        matrix products."""

_COMMON_ATTRIBUTES = """\
    loss_ : float
        Training loss of the last epoch (penalty included).
    best_loss_ : float or None
        Lowest training loss; None with early stopping.
    loss_curve_ : list of float
        Training loss of every epoch (lbfgs: every iteration).
    validation_scores_ : list of float or None
        Validation score of every epoch with early stopping, else None.
    validation_loss_curve_ : list of float or None
        Validation loss of every epoch with early stopping, else None
        (scikit-learn has no such attribute).
    best_validation_score_ : float or None
        Best validation score with early stopping, else None.
    t_ : int
        Number of training samples seen.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (units of layer i, units of layer i + 1).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (units of layer i + 1,).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.
    n_iter_ : int
        Epochs (lbfgs: iterations) run by the last call to fit or partial_fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Output activation."""


def _check_classes(classes, name):
    """The sorted classes given to the first partial_fit; refuses NaN and 2-D input."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.size == 0:
        raise ValueError(f"classes given to {name}.partial_fit must be a non-empty 1-D "
                         f"array of labels; got shape {classes.shape}.")
    if classes.dtype.kind in "fc" and not np.isfinite(classes).all():
        raise ValueError(f"classes given to {name}.partial_fit hold NaN or infinite values: "
                         f"{classes.tolist()}.")
    return np.unique(classes)


class BPNetClassifier(ClassifierMixin, _BaseBPNet):
    __doc__ = """Multi-layer perceptron classifier trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters mean the same things, and the fitted attributes have
    the same names. On top: float32 training end to end, dropout, class
    weights, more activations, a cosine schedule, callbacks, a validation
    loss curve, warm starts that keep the optimizer's state, and a training
    loop several times faster.

    Binary and multilabel targets use one sigmoid output per label with
    binary cross-entropy; multiclass targets use a softmax output with
    cross-entropy.

    It supports scikit-learn's array API dispatch: under
    ``sklearn.config_context(array_api_dispatch=True)`` it trains and predicts
    on PyTorch tensors and CuPy arrays where they live, a GPU included
    (:doc:`/user_guide/gpu`).

    Parameters
    ----------
{params}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``. 'balanced'
        uses ``n_samples / (n_classes * np.bincount(y))``; it is refused by
        partial_fit, which sees one chunk at a time (pass a dict instead).
    label_smoothing : float in [0, 1), default=0.0
        Train towards smoothed targets: ``(1 - label_smoothing)`` on the true
        class and ``label_smoothing / n_classes`` spread over all classes
        (binary and multilabel outputs: towards ``label_smoothing / 2`` and
        ``1 - label_smoothing / 2``). A regulariser against overconfident
        probabilities, as in RealMLP's defaults for tables (0.1) and PyTorch's
        ``CrossEntropyLoss``; ``loss_curve_`` reports the smoothed loss.
        scikit-learn's MLPClassifier has no such parameter (0 is its loss).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, ``arange(n_labels)``).
{attrs}

    See Also
    --------
    BPNetRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's implementation.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skbpnet import BPNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = BPNetClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01,
    ...                       max_iter=20, random_state=0)
    >>> clf = clf.fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.95
    True
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 10)
    """.format(params=_COMMON_PARAMETERS, attrs=_COMMON_ATTRIBUTES)

    _FITTED_VALUES = _BaseBPNet._FITTED_VALUES + ("_multilabel", "classes_")

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
        class_weight=None,
        label_smoothing=0.0,
        callbacks=None,
        dtype=None,
        blas_threads="adaptive",
    ):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, input_dropout=input_dropout, max_norm=max_norm,
            weight_init=weight_init,
            callbacks=callbacks, dtype=dtype,
            blas_threads=blas_threads,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    # -- targets ----------------------------------------------------------------------
    def _encode_y(self, y, continuing, incremental, classes):
        name = type(self).__name__
        if sparse.issparse(y):  # a sparse label indicator matrix, as MLPClassifier takes
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            labels = np.arange(y.shape[1])
            if continuing and not (self._multilabel and np.array_equal(labels, self.classes_)):
                raise ValueError(f"{name} was fitted on other targets; y has {y.shape[1]} labels.")
            self._multilabel, self.classes_ = True, labels
            return np.asarray(y, dtype=np.float64), y.shape[1]
        if y.ndim != 1:
            raise ValueError(f"{name} does not support multiclass-multioutput targets ({kind}).")
        labels = self._labels(y, continuing, incremental, classes)
        self._multilabel, self.classes_ = False, labels
        index = np.searchsorted(labels, y)
        if len(labels) <= 2:  # one class: one sigmoid output trained to 0, as in MLPClassifier
            return index.astype(np.float64).reshape(-1, 1), 1
        return index, len(labels)

    def _labels(self, y, continuing, incremental, classes):
        """The classes of a 1-D ``y``; scikit-learn's errors for the same mistakes."""
        name, present = type(self).__name__, np.unique(y)
        if continuing and self._multilabel:
            raise ValueError(f"{name} was fitted on multilabel targets; y is {type_of_target(y)}.")
        if continuing and not incremental:
            if not np.array_equal(present, self.classes_):
                raise ValueError(
                    f"warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {present}. "
                    f"Set warm_start=False to start again.")
            return self.classes_
        if continuing:
            if classes is not None and not np.array_equal(_check_classes(classes, name),
                                                          self.classes_):
                raise ValueError(
                    f"`classes={np.asarray(classes)!r}` is not the same as on last call to "
                    f"partial_fit, was: {self.classes_!r}. The output layer was built for "
                    f"these classes; start a new estimator for others.")
            labels = self.classes_
        elif incremental:
            if classes is None:
                raise ValueError(
                    f"classes must be passed on the first call to partial_fit ({name}): the "
                    f"network's output layer needs every class from the start.")
            labels = _check_classes(classes, name)
        else:
            return present
        unknown = np.setdiff1d(present, labels)
        if unknown.size:
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {labels}. 'y' has "
                f"{present}: {unknown.tolist()} were not among the classes of the first "
                f"partial_fit.")
        return labels

    def _sample_weight(self, y, sample_weight, dtype):
        sw = super()._sample_weight(y, sample_weight, dtype)
        if self.class_weight is None:
            return sw
        cw = compute_sample_weight(self.class_weight, y).astype(dtype)
        sw = cw if sw is None else sw * cw
        if not sw.sum() > 0:
            raise ValueError("class_weight and sample_weight leave every sample with zero weight.")
        return sw

    def _make_loss(self):
        if self._multilabel or len(self.classes_) == 2:
            return nn.SigmoidBinaryCrossEntropyLoss(self.label_smoothing)
        return nn.SoftmaxCrossEntropyLoss(self.label_smoothing)

    def _out_activation(self, n_outputs):
        return "logistic" if self._multilabel or n_outputs == 1 else "softmax"

    def _validation_scorer(self):
        return AccuracyOfScores(multilabel=self._multilabel)

    def _stratified(self):
        return None if self._multilabel else self.classes_

    # -- public API -------------------------------------------------------------------
    @stochastic_only
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that can ever appear; required on the first call
            (unless y is a label indicator matrix), ignored afterwards.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' needs the class counts of all the data, which "
                "partial_fit never sees; pass a dict, for example from "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        return self._partial_fit(X, y, sample_weight, classes)

    def decision_function(self, X):
        """Raw output scores (logits) of the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D for binary targets, like scikit-learn's linear classifiers.
        """
        scores = self._decision(X, "decision_function")
        if scores.shape[1] == 1 and not self._multilabel:
            return _flat(scores)
        return scores

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (a 0/1 indicator matrix for multilabel targets).
        """
        check_is_fitted(self, "_net")
        if not self._multilabel and len(self.classes_) > 2:
            # each block of rows to its classes: never every class's score of every row
            return _take_classes(self._decision(X, reduce=_argmax), self.classes_)
        return _labels(self._decision(X), self.classes_, self._multilabel)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; for multilabel targets
            the probability of each label.
        """
        return self._proba(X, "predict_proba")

    def _proba(self, X, method):
        s = self._decision(X, method)
        if s.shape[1] > 1 and not self._multilabel:
            return nn.losses.softmax(s)
        # Keep sigmoid probabilities strictly inside (0, 1), as probabilities
        # of a label should be, even where the score saturates the sigmoid.
        # (clip positionally in the arrays' own namespace: NumPy's, not compat's
        # wrapper of it, which costs ~30 us a call; concat from the standard one)
        eps = get_namespace(s).finfo(s.dtype).eps
        p = get_namespace(s).clip(nn.activations.sigmoid(s), eps, 1.0 - eps)
        return p if self._multilabel else standard_namespace(s).concat([1.0 - p, p], axis=1)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities: ``log(predict_proba(X))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities; ``-inf`` where a probability underflows to 0.
        """
        p = self._proba(X, "predict_log_proba")
        with np.errstate(divide="ignore"):
            return get_namespace(p).log(p)

    def score(self, X, y, sample_weight=None):
        """Accuracy of ``predict(X)`` against ``y`` (subset accuracy for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            Mean accuracy, as ``ClassifierMixin.score`` (predictions made on a
            device are scored on the host).
        """
        return _score(accuracy_score, self.predict(X), y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class BPNetRegressor(RegressorMixin, _BaseBPNet):
    __doc__ = """Multi-layer perceptron regressor trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`,
    with the additions of :class:`BPNetClassifier`, array API dispatch (GPU
    training) included. Single- and multi-output targets.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        'squared_error' is half the squared error, summed over outputs and
        averaged over samples, with an identity output. 'poisson' is half the
        Poisson deviance with an exponential output (``out_activation_ ==
        'exp'``), for non-negative counts and rates: ``predict`` returns
        ``exp`` of the network's last layer. As in MLPRegressor, ``loss`` is
        the first positional parameter.
{params}

    Attributes
    ----------
{attrs}

    See Also
    --------
    BPNetClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's implementation.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet import BPNetRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(500, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> reg = BPNetRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                      max_iter=300, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """.format(params=_COMMON_PARAMETERS, attrs=_COMMON_ATTRIBUTES)

    def __init__(
        self,
        loss="squared_error",
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
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, input_dropout=input_dropout, max_norm=max_norm,
            weight_init=weight_init,
            callbacks=callbacks, dtype=dtype,
            blas_threads=blas_threads,
        )
        self.loss = loss

    def _initialisation(self):
        # exp(scores) amplifies the spread of the first scores: with Poisson
        # loss the network starts from Glorot's smaller weights, as
        # MLPRegressor's does (held-out deviance 1.165 against 1.203 with He,
        # benchmarks/compare_cv.py).
        return nn.LOSSES[self.loss].init

    def _encode_y(self, y, continuing, incremental, classes):
        y = np.asarray(y, dtype=np.float64)
        if nn.LOSSES[self.loss].nonnegative_targets and (y < 0).any():
            raise ValueError(
                f"Some value(s) of y are negative which is not allowed for Poisson regression "
                f"(loss='poisson' models non-negative counts or rates; the smallest is "
                f"{y.min():g}). Use loss='squared_error' for targets that can be negative."
            )
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if continuing and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}. Set warm_start=False to start a new network."
            )
        return y2, y2.shape[1]

    def _make_loss(self):
        return nn.LOSSES[self.loss]()

    def _out_activation(self, n_outputs):
        return nn.LOSSES[self.loss].link

    def _validation_scorer(self):
        return functools.partial(r2_of_scores, exp=nn.LOSSES[self.loss].link == "exp")

    @stochastic_only
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; 1-D when the model has one output.
        """
        scores = self._decision(X)
        if nn.LOSSES[self.loss].link == "exp":
            scores = get_namespace(scores).exp(scores)
        return _flat(scores) if scores.shape[1] == 1 else scores

    def score(self, X, y, sample_weight=None):
        """R² of ``predict(X)`` against ``y``, as ``RegressorMixin.score``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            R² (uniform average over outputs), as ``RegressorMixin.score``
            (predictions made on a device are scored on the host).
        """
        return _score(r2_score, self.predict(X), y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


# -- predictions, written once for NumPy and every array API namespace -------------------------
def _flat(a):
    return get_namespace(a).reshape(a, (-1,))


def _labels(scores, classes, multilabel):
    """Class labels from scores (a 0/1 indicator matrix for multilabel targets).

    Numeric labels of scores on a device stay there. Fitted on one class, the
    model predicts it, as MLPClassifier.
    """
    xp = standard_namespace(scores)
    if multilabel:
        return xp.astype(scores > 0, xp.int64)
    if len(classes) == 1:
        index = xp.zeros(scores.shape[0], dtype=xp.int64, device=device_of(scores))
    elif scores.shape[1] == 1:
        index = xp.astype(scores[:, 0] > 0, xp.int64)
    else:
        index = xp.argmax(scores, axis=1)
    return _take_classes(index, classes)


def _argmax(scores):
    """The index of the highest score of each row, in the scores' namespace."""
    return get_namespace(scores).argmax(scores, axis=1)


def _take_classes(index, classes):
    """``classes[index]``; numeric labels of indices on a device stay there."""
    xp = get_namespace(index)
    if is_numpy(xp) or classes.dtype.kind not in "biuf":
        return classes[to_numpy(index)]  # strings cannot live on a device
    return xp.take(asarray_on(classes, xp, device_of(index)), index, axis=0)


def _score(metric, pred, y, sample_weight):
    """``metric(y, pred)`` as a float.

    Predictions made on a device are scored on the host: one array of labels
    or values comes back, and the mean is NumPy's float64 one (scikit-learn's
    metrics on PyTorch average in its default float32).
    """
    if not is_numpy(get_namespace(pred)):
        pred, y = to_numpy(pred), to_numpy(y)
        sample_weight = None if sample_weight is None else to_numpy(sample_weight)
        with sklearn.config_context(array_api_dispatch=False):
            return float(metric(y, pred, sample_weight=sample_weight))
    return float(metric(y, pred, sample_weight=sample_weight))
