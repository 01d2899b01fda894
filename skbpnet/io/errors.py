"""The error that every refused model file raises."""

__all__ = ["ModelFileError", "Unstorable"]


class ModelFileError(ValueError):
    """A file is not a valid skbpnet model file: damaged, truncated, foreign or unsafe.

    Raised by :func:`load`, which then returns nothing. A subclass of
    ``ValueError``.

    Examples
    --------
    >>> import os, tempfile
    >>> import skbpnet
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skbpnet")
    ...     with open(path, "wb") as fh:
    ...         _ = fh.write(b"not a model")
    ...     try:
    ...         skbpnet.load(path)
    ...     except skbpnet.ModelFileError as exc:
    ...         print("refused:", type(exc).__name__)
    refused: ModelFileError
    """



class Unstorable(ValueError):
    """A value that the safe format cannot hold (raised while saving)."""
