"""``python -m skbpnet``: the ``skbpnet`` command (see :mod:`skbpnet.cli`).

Examples
--------
::

    skbpnet mnist                      # train 784-256-10 on MNIST, save the model
    skbpnet mnist --hidden 1024 1024 --dropout 0.2 --epochs 30
    skbpnet digits                     # offline: scikit-learn's bundled 8x8 digits
    skbpnet train data.csv --target y  # your own table, preprocessing included
    skbpnet predict skbpnet-data.skbpnet new.csv
"""

import sys

from .cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
