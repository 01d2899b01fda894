"""Losses: a value for a batch of predictions and its gradient.

Each loss is averaged over the batch, weighted by optional per-sample weights
``w``: ``L = sum_i w_i l_i / sum_i w_i`` (plain mean when ``w`` is ``None``),
the same normalisation as scikit-learn's ``MLPClassifier``. ``forward``
returns ``L`` and caches ``dL/dscores``; ``backward`` returns it.

The two cross-entropies take raw scores (logits), not probabilities: fusing the
output activation with the loss gives the simple gradient ``p - y`` and avoids
the overflow and ``log(0)`` of computing them apart.

Scores that are NumPy arrays take the NumPy code of each loss; scores of any
other array API namespace (PyTorch, CuPy) take :meth:`Loss.forward_xp`, the
same formulas in that namespace and on the scores' device (targets and
weights are moved there). The value is a Python float either way.
"""

import numpy as np

from ._namespace import asarray_on, device_of, get_namespace
from .activations import sigmoid
from .registry import Registry

__all__ = [
    "Loss", "MSELoss", "PoissonLoss", "SoftmaxCrossEntropyLoss", "SigmoidBinaryCrossEntropyLoss",
    "softmax", "LOSSES",
]


class Loss:
    """Base class of the losses: ``forward(scores, y, sample_weight) -> float``, ``backward() -> dscores``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import MSELoss
    >>> loss = MSELoss()
    >>> loss.forward(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))
    2.5
    >>> loss.backward()
    array([[0.5],
           [1.5]])
    """

    link = "identity"
    """What a regressor with this loss predicts from its scores: ``'identity'`` or ``'exp'``."""
    init = None
    """The initialisation a regressor with this loss starts from (None: its activation's)."""
    nonnegative_targets = False
    """Whether the loss is defined only for targets >= 0."""

    def forward(self, scores, y, sample_weight=None):
        raise NotImplementedError

    def __call__(self, scores, y, sample_weight=None):
        return self.forward(scores, y, sample_weight)

    def get_config(self):
        """The loss's settings (none for the built-in losses).

        Examples
        --------
        >>> from skbpnet.nn import MSELoss
        >>> MSELoss.from_config(MSELoss().get_config())
        MSELoss()
        """
        return {}

    @classmethod
    def from_config(cls, config):
        """Build a loss from :meth:`get_config`'s output.

        Parameters
        ----------
        config : dict

        Returns
        -------
        Loss
        """
        return cls(**config)

    def backward(self):
        """Return dL/dscores for the last :meth:`forward`."""
        try:
            return self._grad
        except AttributeError:
            raise RuntimeError("Call forward before backward.") from None

    @staticmethod
    def _weights(n, sample_weight, dtype):
        """Per-sample factors ``w_i / sum(w)`` as a column, or a scalar ``1 / n``."""
        if sample_weight is None:
            return 1.0 / n
        w = np.asarray(sample_weight, dtype=dtype).reshape(-1, 1)
        if w.shape[0] != n:
            raise ValueError(f"sample_weight has {w.shape[0]} entries for {n} samples.")
        total = w.sum()
        if not total > 0:
            raise ValueError("sample_weight must have a positive sum.")
        return w / total

    def forward_xp(self, scores, y, sample_weight=None, to_float=True):
        """:meth:`forward` for scores of an array API namespace other than NumPy.

        With ``to_float=False`` the value stays a 0-d array on the scores'
        device and nothing waits for the device (the caller has checked that
        the weights have a positive sum): a training loop on a GPU reads its
        losses once per epoch.
        """
        xp, device = get_namespace(scores), device_of(scores)
        factor = 1.0 / scores.shape[0]
        if sample_weight is not None:
            w = xp.reshape(asarray_on(sample_weight, xp, device, dtype=scores.dtype), (-1, 1))
            if w.shape[0] != scores.shape[0]:
                raise ValueError(f"sample_weight has {w.shape[0]} entries for "
                                 f"{scores.shape[0]} samples.")
            total = xp.sum(w)
            if to_float and not float(total) > 0:
                raise ValueError("sample_weight must have a positive sum.")
            factor = w / total
        per_sample, grad = self._xp(xp, scores, y, device)
        self._grad = grad * factor
        if isinstance(factor, float):
            value = xp.mean(per_sample)
        else:
            value = xp.sum(per_sample * xp.reshape(factor, (-1,)))
        return float(value) if to_float else value

    def _xp(self, xp, scores, y, device):
        """Array API: (loss per sample, unweighted gradient per sample)."""
        raise NotImplementedError

    @staticmethod
    def _targets_xp(xp, y, scores, device):
        return xp.reshape(asarray_on(y, xp, device, dtype=scores.dtype), tuple(scores.shape))

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_grad"}

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Half squared error, summed over outputs and averaged over samples.

    ``l_i = ||p_i - y_i||^2 / 2`` and ``dL/dp_i = (p_i - y_i) w_i / sum(w)``.

    For one output this equals scikit-learn's ``squared_error`` loss; for
    several, scikit-learn divides its reported value (not its gradient) by the
    number of outputs, while here value and gradient always agree (the value
    is half the squared norm, whose gradient this is, not the norm).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import MSELoss
    >>> MSELoss().forward(np.array([[2.0, 0.0]]), np.array([[0.0, 0.0]]))
    2.0
    """

    def forward(self, scores, y, sample_weight=None):
        if not isinstance(scores, np.ndarray):
            return self.forward_xp(scores, y, sample_weight)
        y = np.asarray(y, dtype=scores.dtype).reshape(scores.shape)  # float64 targets must not upcast
        diff = scores - y
        factor = self._weights(scores.shape[0], sample_weight, scores.dtype)
        self._grad = diff * factor
        return 0.5 * float(np.vdot(diff, self._grad))

    def _xp(self, xp, scores, y, device):
        diff = scores - self._targets_xp(xp, y, scores, device)
        return 0.5 * xp.sum(diff * diff, axis=1), diff


class PoissonLoss(Loss):
    """Half Poisson deviance with an exponential output, for counts and rates.

    With scores ``s``, predictions ``p = exp(s)`` and targets ``y >= 0``:
    ``l_i = sum_k y_ik log(y_ik / p_ik) - y_ik + p_ik`` (``0 log 0 = 0``) and
    ``dL/ds_i = (p_i - y_i) w_i / sum(w)``: the value and gradient of
    scikit-learn's ``MLPRegressor(loss='poisson')`` (summed over outputs,
    averaged over samples). The exponential output is fused with the loss, as
    the cross-entropies fuse theirs: the network's raw output is ``log p``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import PoissonLoss
    >>> loss = PoissonLoss()
    >>> loss.forward(np.array([[0.0], [0.0]]), np.array([[1.0], [1.0]]))
    0.0
    >>> round(loss.forward(np.array([[0.0]]), np.array([[0.0]])), 6)
    1.0
    >>> loss.backward()
    array([[1.]])
    """

    link = "exp"
    init = "glorot"  # exp(scores) amplifies the spread of the first scores
    nonnegative_targets = True

    def _xp(self, xp, scores, y, device):
        y = self._targets_xp(xp, y, scores, device)
        p = xp.exp(scores)
        positive = y > 0
        y_log_y = xp.where(positive, y * xp.log(xp.where(positive, y, xp.ones_like(y))),
                           xp.zeros_like(y))
        return xp.sum(y_log_y - y * scores - y + p, axis=1), p - y

    def forward(self, scores, y, sample_weight=None):
        if not isinstance(scores, np.ndarray):
            return self.forward_xp(scores, y, sample_weight)
        y = np.asarray(y, dtype=scores.dtype).reshape(scores.shape)
        p = np.exp(scores)
        positive = y > 0
        y_log_y = np.zeros_like(y)
        np.multiply(y, np.log(y, where=positive, out=np.zeros_like(y)), out=y_log_y,
                    where=positive)
        per_sample = (y_log_y - y * scores - y + p).sum(axis=1)
        p -= y
        factor = self._weights(scores.shape[0], sample_weight, scores.dtype)
        p *= factor
        self._grad = p
        if np.isscalar(factor):
            return float(per_sample.mean())
        return float(per_sample @ factor.ravel())


class _Smoothed:
    """The ``label_smoothing`` setting of the two cross-entropies (validated, stored, shown)."""

    def __init__(self, label_smoothing=0.0):
        eps = label_smoothing
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)) \
                or not 0.0 <= float(eps) < 1.0:
            raise ValueError(f"label_smoothing must be a number in [0, 1); got {eps!r}.")
        self.label_smoothing = float(eps)

    def get_config(self):
        """``{'label_smoothing': ...}``, what the constructor takes.

        Examples
        --------
        >>> from skbpnet.nn import SoftmaxCrossEntropyLoss
        >>> SoftmaxCrossEntropyLoss(0.1).get_config()
        {'label_smoothing': 0.1}
        """
        return {"label_smoothing": self.label_smoothing}

    def __repr__(self):
        eps = self.label_smoothing
        return f"{type(self).__name__}({f'label_smoothing={eps!r}' if eps else ''})"


def softmax(scores, out=None):
    """Row-wise softmax, stable by subtracting each row's maximum.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
    out : ndarray, optional
        Where to write the result.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Rows that sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn.losses import softmax
    >>> softmax(np.array([[1e4, 1e4]]))
    array([[0.5, 0.5]])
    """
    if not isinstance(scores, np.ndarray):  # array API namespace
        xp = get_namespace(scores)
        e = xp.exp(scores - xp.max(scores, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)
    out = np.subtract(scores, scores.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


class SoftmaxCrossEntropyLoss(_Smoothed, Loss):
    """Softmax cross-entropy fused with its gradient, for one-of-K classification.

    With scores ``s`` and ``p = softmax(s)``:
    ``l_i = logsumexp(s_i) - s_i[y_i]`` and ``dL/ds_i = (p_i - onehot(y_i)) w_i / sum(w)``.

    ``logsumexp`` is computed as ``m + log(sum(exp(s - m)))`` with ``m`` the
    row maximum, so scores of +-1e4 give finite values (exponentiating the raw
    scores would overflow to inf).

    ``y`` is either a 1-D array of class indices or a 2-D array of target
    probabilities (one-hot rows, or soft labels) of the scores' shape.

    Parameters
    ----------
    label_smoothing : float in [0, 1), default=0.0
        Train towards ``t = (1 - eps) y + eps / K`` instead of the targets
        ``y`` (``K`` classes; a row of soft labels keeps its sum): ``l_i =
        sum_k t_ik (logsumexp(s_i) - s_ik)`` and ``dL/ds_i = (p_i - t_i) w_i /
        sum(w)``. The loss then never reaches zero, and the scores stop
        growing once ``p`` matches ``t``: a regulariser against overconfident
        probabilities (Szegedy et al. 2016; PyTorch's ``CrossEntropyLoss``
        has the same option, with the same meaning).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import SoftmaxCrossEntropyLoss
    >>> loss = SoftmaxCrossEntropyLoss()
    >>> round(loss.forward(np.array([[0.0, 0.0]]), np.array([1])), 6)
    0.693147
    >>> loss.backward()
    array([[ 0.5, -0.5]])
    >>> loss.forward(np.array([[1e4, -1e4]]), np.array([1]))
    20000.0
    >>> smoothed = SoftmaxCrossEntropyLoss(label_smoothing=0.2)
    >>> round(smoothed.forward(np.array([[0.0, 0.0]]), np.array([1])), 6)
    0.693147
    >>> smoothed.backward()  # p - t with t = (0.1, 0.9)
    array([[ 0.4, -0.4]])
    """

    def _xp(self, xp, scores, y, device):
        shifted = scores - xp.max(scores, axis=1, keepdims=True)
        p = xp.exp(shifted)
        sums = xp.sum(p, axis=1, keepdims=True)
        log_norm = xp.reshape(xp.log(sums), (-1,))
        eps, k = self.label_smoothing, scores.shape[1]
        if len(y.shape) == 1:  # class indices: a one-hot matrix
            classes = xp.arange(k, device=device)
            y = xp.reshape(asarray_on(y, xp, device, dtype=classes.dtype), (-1, 1))
            target = xp.astype(y == xp.reshape(classes, (1, -1)), scores.dtype)
            if eps:
                target = (1.0 - eps) * target + eps / k
            per_sample = log_norm - xp.sum(shifted * target, axis=1)
        else:
            target = self._targets_xp(xp, y, scores, device)
            if eps:
                target = (1.0 - eps) * target + (eps / k) * xp.sum(target, axis=1, keepdims=True)
            per_sample = log_norm * xp.sum(target, axis=1) - xp.sum(shifted * target, axis=1)
        return per_sample, p / sums - target

    def forward(self, scores, y, sample_weight=None):
        if not isinstance(scores, np.ndarray):
            return self.forward_xp(scores, y, sample_weight)
        n = scores.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        sums = p.sum(axis=1, keepdims=True)
        p /= sums
        log_norm = np.log(sums).ravel()  # logsumexp(s) - max(s)
        y, eps, k = np.asarray(y), self.label_smoothing, scores.shape[1]
        if y.ndim == 1:
            rows = np.arange(n)
            if eps:  # t = (1 - eps) onehot(y) + eps / k, whose row sums are 1
                per_sample = log_norm - (1.0 - eps) * shifted[rows, y] \
                    - (eps / k) * shifted.sum(axis=1)
                p -= eps / k
                p[rows, y] -= 1.0 - eps
            else:
                per_sample = log_norm - shifted[rows, y]
                p[rows, y] -= 1.0
        else:
            y = y.reshape(scores.shape)
            if eps:
                y = (1.0 - eps) * y + (eps / k) * y.sum(axis=1, keepdims=True)
            per_sample = log_norm * y.sum(axis=1) - np.einsum("ij,ij->i", shifted, y)
            p -= y
        factor = self._weights(n, sample_weight, scores.dtype)
        p *= factor
        self._grad = p
        if np.isscalar(factor):
            return float(per_sample.mean())
        return float(per_sample @ factor.ravel())


class SigmoidBinaryCrossEntropyLoss(_Smoothed, Loss):
    """Sigmoid cross-entropy per output, for binary and multilabel targets.

    With scores ``s`` and targets ``y`` in {0, 1} (same shape):
    ``l_i = sum_k softplus(s_ik) - y_ik s_ik`` and
    ``dL/ds_i = (sigmoid(s_i) - y_i) w_i / sum(w)``, where
    ``softplus(s) = max(s, 0) + log1p(exp(-|s|))`` never overflows.

    Parameters
    ----------
    label_smoothing : float in [0, 1), default=0.0
        Train each output towards ``t = (1 - eps) y + eps / 2`` instead of
        ``y`` (each output is a two-class problem: the same smoothing as the
        softmax loss with K = 2, and as Keras's ``BinaryCrossentropy``).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.nn import SigmoidBinaryCrossEntropyLoss
    >>> loss = SigmoidBinaryCrossEntropyLoss()
    >>> round(loss.forward(np.array([[0.0]]), np.array([[1.0]])), 6)
    0.693147
    >>> loss.backward()
    array([[-0.5]])
    >>> smoothed = SigmoidBinaryCrossEntropyLoss(label_smoothing=0.2)
    >>> _ = smoothed.forward(np.array([[0.0]]), np.array([[1.0]]))
    >>> smoothed.backward()  # sigmoid(0) - 0.9
    array([[-0.4]])
    """

    def _smoothed(self, y):
        eps = self.label_smoothing
        return (1.0 - eps) * y + 0.5 * eps if eps else y

    def _xp(self, xp, scores, y, device):
        y = self._smoothed(self._targets_xp(xp, y, scores, device))
        softplus = xp.clip(scores, min=0.0) + xp.log1p(xp.exp(-xp.abs(scores)))
        return xp.sum(softplus - y * scores, axis=1), sigmoid(scores) - y

    def forward(self, scores, y, sample_weight=None):
        if not isinstance(scores, np.ndarray):
            return self.forward_xp(scores, y, sample_weight)
        y = self._smoothed(np.asarray(y, dtype=scores.dtype).reshape(scores.shape))
        softplus = np.maximum(scores, 0) + np.log1p(np.exp(-np.abs(scores)))
        per_sample = (softplus - y * scores).sum(axis=1)
        grad = sigmoid(scores)
        grad -= y
        factor = self._weights(scores.shape[0], sample_weight, scores.dtype)
        grad *= factor
        self._grad = grad
        if np.isscalar(factor):
            return float(per_sample.mean())
        return float(per_sample @ factor.ravel())


# The regressor's ``loss`` parameter, by name (the classifier's loss follows
# from its targets): a new loss is one more ``LOSSES.register(name, cls)``.
LOSSES = Registry("loss")
LOSSES.register("squared_error", MSELoss)
LOSSES.register("poisson", PoissonLoss)
