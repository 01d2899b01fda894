"""Full-batch training with SciPy's L-BFGS-B (``solver='lbfgs'``)."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .history import TrainResult
from .penalty import l2_scale, l2_value

__all__ = ["fit_lbfgs"]


def fit_lbfgs(net, loss, X, y, sw, history, *, params):
    """Minimise the penalised loss over all of (X, y); returns a TrainResult.

    The network's flat parameter vector is the optimisation variable.
    ``history`` is updated in place (one loss-curve entry per iteration); if
    the result is not finite the parameters are put back and the result says
    ``diverged``.
    """
    from scipy.optimize import minimize

    pv = net.param_vector
    start = pv.copy()
    alpha, verbose = float(params["alpha"]), params["verbose"]
    objective = _objective(net, loss, X, y, sw, alpha)
    curve = []

    def record(intermediate_result):
        curve.append(float(intermediate_result.fun))
        if verbose:
            print("Iteration %d, loss = %.8f" % (len(curve), curve[-1]))

    with np.errstate(over="ignore", invalid="ignore"):
        res = minimize(objective, pv.astype(np.float64), method="L-BFGS-B", jac=True,
                       callback=record,
                       options={"maxfun": params["max_fun"], "maxiter": params["max_iter"],
                                "gtol": params["tol"]})
    history.validated = False
    result = TrainResult(n_iter=int(res.nit),
                         n_samples_seen=history.t + int(res.nit) * X.shape[0])
    pv[...] = res.x
    if not (np.isfinite(pv).all() and np.isfinite(res.fun)):
        pv[...] = start
        result.diverged, result.n_iter = True, 0
        result.n_samples_seen = history.t
        return result
    history.loss_curve.extend(curve or [float(res.fun)])
    history.loss_curve[-1] = float(res.fun)
    history.best_loss = min(history.best_loss, float(res.fun))
    history.n_epochs += result.n_iter
    history.t = result.n_samples_seen
    if res.status != 0:
        result.stopped = "lbfgs"
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}):\n"
            f"{res.message}\n\nIncrease max_iter or max_fun, or scale the data, for "
            f"example with sklearn.preprocessing.StandardScaler.",
            ConvergenceWarning,
        )
    return result


def _objective(net, loss, X, y, sw, alpha):
    """``x -> (loss, gradient)`` at parameters ``x``, in float64 as SciPy wants."""
    pv, gv, k = net.param_vector, net.grad_vector, net.n_penalized
    sw_sum = float(X.shape[0] if sw is None else sw.sum())
    net.train(True)
    net.input_grad = False

    def loss_grad(x):
        pv[...] = x
        value = loss.forward(net.forward(X), y, sw) + l2_value(net, alpha, sw_sum)
        net.backward(loss.backward())
        g = gv.astype(np.float64)
        g[:k] += l2_scale(alpha, sw_sum) * pv[:k]
        return value, g

    return loss_grad
