"""The one builder of the estimators' networks.

``fit`` and :func:`skbpnet.load` both build networks here, from an
:class:`Architecture`: the estimator's hyperparameters when it starts a new
network, the architecture recorded in the file when a model is loaded. What
an existing network is (``Architecture.of(net)``) is read off its layers, never
stored beside them.
"""

from typing import NamedTuple

from . import nn

__all__ = ["Architecture"]


class Architecture(NamedTuple):
    """The shape of a network: what must not change when training continues.

    Attributes
    ----------
    n_features : int
    hidden : tuple of int
    activation : str or None
        The hidden activation; None when there is no hidden layer.
    dropout : float
        Dropout before every hidden-to-hidden and hidden-to-output layer
        (0.0 when there is no hidden layer).
    input_dropout : float

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet._network import Architecture
    >>> arch = Architecture(4, (8,), "tanh", 0.0, 0.0)
    >>> net = arch.build(3, np.float32, np.random.default_rng(0))
    >>> Architecture.of(net) == arch
    True
    """

    n_features: int
    hidden: tuple
    activation: str
    dropout: float
    input_dropout: float

    @classmethod
    def from_params(cls, est, hidden):
        """The architecture an estimator's hyperparameters ask for."""
        return cls(int(est.n_features_in_), tuple(int(h) for h in hidden), est.activation,
                   float(est.dropout), float(est.input_dropout)).normalized()

    def normalized(self):
        """Without the settings that make no difference to the network."""
        if not self.hidden:
            return self._replace(activation=None, dropout=0.0)
        return self

    @classmethod
    def of(cls, net):
        """Read the architecture off a network that :meth:`build` made."""
        linears = net.linear_layers()
        acts = [m for m in net.layers if isinstance(m, nn.Activation)]
        drops = [m for m in net.layers if isinstance(m, nn.Dropout)]
        input_dropout = drops[0].p if drops and net.layers[0] is drops[0] else 0.0
        hidden_drops = drops[1:] if input_dropout else drops
        return cls(linears[0].n_in, tuple(m.n_out for m in linears[:-1]),
                   nn.activation_name(acts[0]) if acts else None,
                   hidden_drops[0].p if hidden_drops else 0.0, input_dropout).normalized()

    def build(self, n_outputs, dtype, rng, init=None):
        """A new network, initialised as its activation asks (He for ReLU-like ones).

        Parameters
        ----------
        n_outputs : int
        dtype : numpy.float32 or numpy.float64
        rng : numpy.random.Generator
            Draws the initial weights.
        init : {'he', 'glorot'}, default=None
            Force one initialisation (None: the activation class's ``init``).

        Returns
        -------
        skbpnet.nn.Sequential
        """
        if init is None:
            init = nn.ACTIVATIONS[self.activation].init if self.hidden else "glorot"
        sizes = [self.n_features, *self.hidden, n_outputs]
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
