"""The version of skbpnet."""

__version__ = "0.2.0.dev0"


def current():
    """``skbpnet.__version__``, read when called: the one public version.

    Examples
    --------
    >>> import skbpnet
    >>> from skbpnet._version import current
    >>> current() == skbpnet.__version__
    True
    """
    import skbpnet

    return skbpnet.__version__
