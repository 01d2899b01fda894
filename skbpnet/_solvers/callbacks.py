"""The ``callbacks`` hyperparameter as a list, for its validation and for the trainer."""

__all__ = ["callback_list"]


def callback_list(callbacks):
    """The ``callbacks`` parameter as a list: one callable, or an iterable of them.

    Examples
    --------
    >>> from skbpnet._solvers.callbacks import callback_list
    >>> callback_list(print) == [print], callback_list((print, len)) == [print, len]
    (True, True)
    """
    try:
        return list(callbacks)
    except TypeError:
        return [callbacks]
