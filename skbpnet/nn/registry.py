"""Registries: each kind of extension (activation, schedule, loss, solver) is one name here.

A :class:`Registry` maps the names that users pass (``activation="relu"``) to
what they build. Validation of the hyperparameters, the command's choices,
the factories, the model format and the ONNX converter all read the
registry, so a new kind is one :meth:`Registry.register` call, and
:meth:`Registry.registered` undoes it when a block ends (tests).
"""

import contextlib
from collections.abc import Mapping

__all__ = ["Registry"]


class Registry(dict):
    """Names of one kind of extension, in the order they were registered.

    Parameters
    ----------
    kind : str
        What the entries are ("activation"), for error messages.
    classes : callable, default=None
        ``entry -> class`` stored in model files (default: the entry itself),
        for :meth:`by_class_name`.

    Examples
    --------
    >>> from skbpnet.nn.registry import Registry
    >>> shapes = Registry("shape")
    >>> @shapes.register("square")
    ... class Square:
    ...     pass
    >>> list(shapes), shapes.by_class_name()["Square"] is Square
    (['square'], True)
    >>> with shapes.registered("circle", object):
    ...     list(shapes)
    ['square', 'circle']
    >>> list(shapes)
    ['square']
    """

    def __init__(self, kind, classes=None):
        super().__init__()
        self.kind = kind
        self._class_of = classes

    def register(self, name, entry=None):
        """Add ``entry`` under ``name``; without ``entry``, a decorator that adds its argument.

        Raises
        ------
        ValueError
            If ``name`` is taken: unregister the old entry first.

        Examples
        --------
        >>> from skbpnet.nn.registry import Registry
        >>> r = Registry("colour")
        >>> r.register("red", 1)
        1
        >>> r.register("red", 2)
        Traceback (most recent call last):
        ...
        ValueError: The colour 'red' is registered already; unregister it first.
        """
        if entry is None:
            return lambda obj: self.register(name, obj)
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.kind} is registered under a non-empty str; got {name!r}.")
        if name in self:
            raise ValueError(f"The {self.kind} {name!r} is registered already; unregister it "
                             f"first.")
        self[name] = entry
        return entry

    def unregister(self, name):
        """Remove ``name`` and return its entry.

        Examples
        --------
        >>> from skbpnet.nn.registry import Registry
        >>> r = Registry("colour")
        >>> _ = r.register("red", 1)
        >>> r.unregister("red"), list(r)
        (1, [])
        """
        return self.pop(name)

    @contextlib.contextmanager
    def registered(self, name, entry):
        """Register ``entry`` under ``name`` for the ``with`` block only.

        Examples
        --------
        >>> from skbpnet.nn.registry import Registry
        >>> r = Registry("colour")
        >>> with r.registered("red", 1):
        ...     r["red"]
        1
        >>> "red" in r
        False
        """
        self.register(name, entry)
        try:
            yield entry
        finally:
            self.unregister(name)

    def by_class_name(self):
        """A live read-only view: class name -> class, as model files name them.

        Examples
        --------
        >>> from skbpnet.nn import SCHEDULES
        >>> SCHEDULES.by_class_name()["CosineLR"].__name__
        'CosineLR'
        """
        return _ByClassName(self)


class _ByClassName(Mapping):
    """What a registry's entries store in files, by class name; follows the registry."""

    def __init__(self, registry):
        self._registry = registry

    def _table(self):
        class_of = self._registry._class_of
        classes = (e if class_of is None else class_of(e) for e in self._registry.values())
        return {cls.__name__: cls for cls in classes}

    def __getitem__(self, name):
        return self._table()[name]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())
