"""Building one BPNet estimator from its stored parts (a whole file or a nested ``$bpnet``)."""

from . import _v1
from .codec import expect
from .errors import ModelFileError
from .schema import PARTS, architecture_from, assemble, build_parts, check_consistency

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
    """The network, optimizer, schedule, generator and history, each checked.

    Each part of :data:`~skbpnet.io.schema.PARTS` that has a ``load`` is read,
    in the table's order; the result holds every part read.
    """
    built = {"architecture": (arch, n_outputs), "history": history}
    for name, part in PARTS.items():
        if part.load is not None:
            built[name] = part.load(meta[name], decoder, built)
    del built["architecture"]
    return built


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
