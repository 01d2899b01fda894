"""Reading model files of format version 1, written by skbpnet 0.1.

Version 1 stored copies that version 2 derives: the architecture tuple
``_arch``, ``n_outputs_``, ``loss_curve_`` and the other views of the history,
the loss object, and the network's layer list and input-gradient flags. They
are read, checked against each other, and dropped.
"""

from .. import nn
from .._solvers.legacy import DERIVED_0_1, upgrade_history
from .codec import expect
from .errors import ModelFileError
from .schema import architecture_from, check_attribute_names, decode_params

__all__ = ["KEYS", "read_parts", "check_layers"]

KEYS = {"format", "format_version", "estimator", "versions", "params", "attributes", "net",
        "optimizer", "schedule", "loss", "rng", "arrays"}
_LOSSES = ("MSELoss", "SoftmaxCrossEntropyLoss", "SigmoidBinaryCrossEntropyLoss")


def read_parts(cls, meta, decoder):
    """(params, attributes, history, architecture, n_outputs) of a version 1 file."""
    loss = expect(meta["loss"], dict, "loss")
    if loss.get("type") not in _LOSSES or loss.get("settings") != {}:
        raise ModelFileError(f"loss {loss!r} is not a built-in loss.")
    attrs = expect(decoder.decode(expect(meta["attributes"], dict, "attributes"),
                                  "attributes"), dict, "attributes")
    derived = set(DERIVED_0_1) - {"_loss_fn"}
    missing = (derived | {"_history"}) - set(attrs)
    if missing:
        raise ModelFileError(f"the fitted attributes lack {sorted(missing)}.")
    arch, n_outputs = _architecture(attrs)
    expect(attrs["_history"], dict, "attributes._history")
    try:
        history = upgrade_history(attrs)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"attributes._history: {exc}.") from None
    del attrs["_history"]
    check_attribute_names(cls, attrs)
    params = decode_params(cls, meta["params"], decoder)
    return params, attrs, history, arch, n_outputs


def _architecture(attrs):
    """Version 1's ``_arch`` tuple, checked by version 2's architecture check."""
    arch, n_outputs = attrs["_arch"], attrs["n_outputs_"]
    if not (isinstance(arch, tuple) and len(arch) == 5 and isinstance(arch[0], tuple)
            and isinstance(arch[1], str) and arch[1] in nn.ACTIVATIONS):
        raise ModelFileError(f"attributes._arch {arch!r} is not a valid architecture.")
    hidden, activation, dropout, n_features, input_dropout = arch
    if attrs.get("n_features_in_") != n_features:
        raise ModelFileError("n_features_in_ or n_outputs_ does not match the network.")
    spec = {"hidden": list(hidden), "activation": activation if hidden else None,
            "dropout": dropout, "input_dropout": input_dropout, "n_outputs": n_outputs}
    return architecture_from({"architecture": spec}, n_features)


def check_layers(meta, net):
    """The stored layer list is the one the recorded architecture builds."""
    layers = [{"type": type(m).__name__, **m.get_config()} for m in net.layers]
    if expect(meta, dict, "net").get("layers") != layers:
        raise ModelFileError(
            f"net.layers {meta.get('layers')!r} is not the network of the recorded "
            f"architecture: {layers!r}."
        )
    if meta.get("n_params") != net.param_vector.size or meta.get("n_penalized") != net.n_penalized:
        raise ModelFileError("net.n_params or net.n_penalized does not match the network.")
