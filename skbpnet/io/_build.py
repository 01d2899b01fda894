"""Building one BPNet estimator from its stored parts (a whole file or a nested ``$bpnet``)."""

import numpy as np

from . import _v1
from .codec import expect
from .errors import ModelFileError
from .schema import (OPTIMIZERS, SCHEDULES, architecture_from, assemble, build_net,
                     build_parts, check_consistency, load_object, load_optimizer_state)

__all__ = ["build_estimator", "check_callbacks"]


def build_estimator(cls, meta, decoder, v1=False):
    """The fitted ``cls`` of the parts in ``meta`` (params ... rng), every part checked.

    Returns (estimator, the skbpnet version that fitted it).
    """
    if v1:
        params, attrs, history, arch, n_outputs = _v1.read_parts(cls, meta, decoder)
    else:
        params, attrs, history = build_parts(cls, meta, decoder)
        arch, n_outputs = architecture_from(expect(meta["net"], dict, "net"),
                                            attrs["n_features_in_"])
    check_callbacks(params, "params")
    objects = _load_objects(meta, decoder, arch, n_outputs, history)
    if v1:
        _v1.check_layers(meta["net"], objects["net"])
    check_consistency(cls, attrs, objects["net"])
    return assemble(cls, params, attrs, objects), attrs.get("_skbpnet_version")


def _load_objects(meta, decoder, arch, n_outputs, history):
    """The network, optimizer, schedule, generator and history, each checked."""
    rng = decoder.decode(meta["rng"], "rng")
    if type(rng) is not np.random.Generator:
        raise ModelFileError("rng is not a NumPy Generator.")
    net_meta = expect(meta["net"], dict, "net")
    pv = decoder.decode(net_meta.get("param_vector"), "net.param_vector")
    net = build_net(arch, n_outputs, net_meta.get("dtype"), pv, rng)
    opt_meta = expect(meta["optimizer"], dict, "optimizer")
    opt = load_object(OPTIMIZERS, {k: v for k, v in opt_meta.items() if k != "state"},
                      decoder, "optimizer")
    opt = load_optimizer_state(opt, opt_meta, decoder, net)
    schedule = load_object(SCHEDULES, meta["schedule"], decoder, "schedule")
    return {"net": net, "optimizer": opt, "schedule": schedule, "rng": rng, "history": history}


def check_callbacks(params, where):
    """Refuse stored callbacks: they are code, which ``save`` never writes (None or empty).

    Examples
    --------
    >>> check_callbacks({"callbacks": None}, "params")
    >>> check_callbacks({"callbacks": float}, "params")
    Traceback (most recent call last):
    ...
    skbpnet.io.errors.ModelFileError: params.callbacks is a type; a model file stores no \
callbacks (None), because callbacks are code.
    """
    callbacks = params.get("callbacks")
    if callbacks is not None and not (type(callbacks) in (list, tuple) and not callbacks):
        raise ModelFileError(f"{where}.callbacks is a {type(callbacks).__name__}; a model file "
                             f"stores no callbacks (None), because callbacks are code.")
