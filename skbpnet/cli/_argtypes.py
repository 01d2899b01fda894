"""Argument types of the command's numeric options: a bad value is refused while parsing.

Each constant here is an argparse ``type=``: it turns the text of an option
into its value, or raises :class:`argparse.ArgumentTypeError` with a message
that says what the option takes, which argparse prefixes with the option's
name (``argument --epochs: ...``). So ``--epochs 0`` or ``--lr nan`` is
refused before any data is read, not as an estimator's ``ValueError`` after
it. The ranges are those the estimators check (:mod:`skbpnet._params`).
"""

import argparse
import math

__all__ = ["Number", "positive_int", "thread_count", "seed", "positive_float",
           "non_negative_float", "rate", "fraction"]


class Number:
    """An argparse type: a whole or finite number within bounds, or a message naming them.

    Parameters
    ----------
    kind : {int, float}
        How to read the text.
    what : str
        The values allowed, in words, for the message.
    lo, hi : float, default=None
        The bounds (None: none).
    lo_open, hi_open : bool, default=False
        Whether a bound itself is excluded.

    Examples
    --------
    >>> from skbpnet.cli._argtypes import positive_int, positive_float, rate
    >>> positive_int("12"), positive_float("0.1"), rate("0.5")
    (12, 0.1, 0.5)
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number >= 1; got '0'
    >>> positive_float("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number > 0; got 'nan'
    """

    def __init__(self, kind, what, lo=None, hi=None, lo_open=False, hi_open=False):
        self.kind, self.what = kind, what
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.__name__ = kind.__name__  # what argparse calls the type in its own messages

    def _within(self, value):
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        return self.hi is None or (value < self.hi or (not self.hi_open and value == self.hi))

    def __call__(self, text):
        """The value of ``text``; ``ArgumentTypeError`` if it is not a number in range."""
        try:
            value = self.kind(text)
        except ValueError:
            value = None
        if value is None or not self._within(value):
            raise argparse.ArgumentTypeError(f"must be {self.what}; got {text!r}")
        return value


# epochs, units, batch size, rows
positive_int = Number(int, "a whole number >= 1", lo=1)
# BLAS threads (the BLAS libraries take a C int)
thread_count = Number(int, "a whole number from 1 to 4096", lo=1, hi=4096)
# what NumPy accepts as a seed
seed = Number(int, f"a whole number from 0 to {2**32 - 1}", lo=0, hi=2**32 - 1)
# the learning rate, the max-norm bound
positive_float = Number(float, "a finite number > 0", lo=0, lo_open=True)
# the L2 penalty
non_negative_float = Number(float, "a finite number >= 0", lo=0)
# dropout rates, momentum
rate = Number(float, "a number from 0 up to, not including, 1", lo=0, hi=1, hi_open=True)
# the share of rows held out
fraction = Number(float, "a number between 0 and 1 (not 0, not 1)", lo=0, hi=1,
                  lo_open=True, hi_open=True)
