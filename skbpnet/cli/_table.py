"""Reading tables (CSV, Parquet) for ``skbpnet train`` and ``skbpnet predict``."""

import os

import numpy as np

from ._common import fail

__all__ = ["read_table", "as_text", "is_table_file", "check_lines", "sniff_separator"]

PARQUET_SUFFIXES = (".parquet", ".pq")
# Bounds on what a text table may hold, checked before it is parsed: a single
# 200 MB line ran pandas out of memory, and each column costs it about 1.6 KB.
MAX_LINE_BYTES = 8 * 2**20
MAX_COLUMNS = 100_000
SEPARATORS = (",", ";", "\t")
SNIFF_BYTES = 64 * 2**10  # the start of the file that the separator is guessed from
INSTALL = 'pip install "skbpnet[tables]"'


def is_table_file(path):
    """Whether ``path`` names a CSV or Parquet file (by its extension).

    Parameters
    ----------
    path : str
        A file name.

    Returns
    -------
    bool

    Examples
    --------
    >>> from skbpnet.cli._table import is_table_file
    >>> is_table_file("a.CSV"), is_table_file("b.parquet"), is_table_file("c.npy")
    (True, True, False)
    """
    return path.lower().endswith((".csv", ".tsv", ".txt") + PARQUET_SUFFIXES)


def check_lines(path, sep=","):
    """Refuse a text table with a line over ``MAX_LINE_BYTES``, or over ``MAX_COLUMNS`` fields.

    The file is read in blocks of 1 MiB, never more at a time, so the check
    itself cannot run out of memory.

    Parameters
    ----------
    path : str
        The CSV (or other delimited text) file.
    sep : str, default=','
        The field separator.

    Raises
    ------
    SystemExit
        With a message naming the file and the line.

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet.cli._table import check_lines
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "t.csv")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("a,b\\n1,2\\n")
    ...     check_lines(path)
    """

    def refuse(line):
        fail(f"line {line} of {path} is longer than {MAX_LINE_BYTES:,} bytes: skbpnet reads "
             f"tables with one row per line; check that the file is a {sep!r}-separated table")

    with open(path, "rb") as fh:
        first = fh.readline(MAX_LINE_BYTES + 2)
        if len(first.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            refuse(1)
        fields = first.count(sep.encode()) + 1
        if fields > MAX_COLUMNS:
            fail(f"{path} has {fields} columns in its first line, more than the "
                 f"{MAX_COLUMNS} skbpnet reads: keep the columns you need")
        size = min(2**20, MAX_LINE_BYTES)  # a line within one block is never too long
        line, run = 2, 0  # the line in progress, and its bytes so far
        for block in iter(lambda: fh.read(size), b""):
            ends = block.count(b"\n")
            if ends and run + block.index(b"\n") > MAX_LINE_BYTES:
                refuse(line)
            line, run = line + ends, (run + len(block) if not ends
                                      else len(block) - block.rindex(b"\n") - 1)
            if run > MAX_LINE_BYTES:
                refuse(line)


def _pandas():
    try:
        import pandas
    except ImportError:
        fail(f"reading tables needs pandas, which is not installed: {INSTALL} "
             f"(or pip install pandas)")
    return pandas


def sniff_separator(path):
    """The separator among comma, semicolon and tab that splits the first lines alike.

    Each candidate splits the first lines (up to 64 KiB, quoted fields
    respected); the one that gives every line the same number of fields, and
    the most, wins. A ``.tsv`` file is tab-separated; by default, a comma.

    Parameters
    ----------
    path : str
        A CSV file (a UTF-8 byte-order mark is skipped).

    Returns
    -------
    str

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet.cli._table import sniff_separator
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "t.csv")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write('a;b;"c,d"\\n1;2,5;x\\n')
    ...     sniff_separator(path)
    ';'
    """
    import csv
    import io

    if path.lower().endswith(".tsv"):
        return "\t"
    with open(path, "rb") as fh:
        sample = fh.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    lines = sample.splitlines()
    lines = lines[:-1] if len(lines) > 1 and len(sample) == SNIFF_BYTES else lines
    best, most = ",", 1
    for sep in SEPARATORS:
        widths = {len(row) for row in csv.reader(io.StringIO("\n".join(lines[:50])),
                                                 delimiter=sep) if row}
        if len(widths) == 1 and widths.pop() > most:
            best, most = sep, len(next(csv.reader([lines[0]], delimiter=sep)))
    return best


def read_table(path, text_columns=(), sep=None):
    """Read a CSV (with a header row) or a Parquet file into a DataFrame.

    Parameters
    ----------
    path : str
        The file; ``.parquet`` and ``.pq`` are Parquet (needs pyarrow), anything
        else is CSV (``.tsv``: tab-separated).
    text_columns : sequence of str, default=()
        Columns to read as text even when they look numeric (the columns that
        a model one-hot encodes).
    sep : str, optional
        The CSV's separator (``tab`` for a tab); by default sniffed
        (:func:`sniff_separator`).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SystemExit
        When the file cannot be read, or Parquet without pyarrow.

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet.cli._table import read_table
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "t.csv")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("a,b\\n1,007\\n2,\\n")
    ...     df = read_table(path, text_columns=["b"])
    >>> df["b"].tolist()
    ['007', nan]
    """
    pd = _pandas()
    if not os.path.exists(path):
        fail(f"no such file: {path}")
    try:
        if path.lower().endswith(PARQUET_SUFFIXES):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                fail(f"reading Parquet ({path}) needs pyarrow, which is not installed: "
                     f"pip install pyarrow (or give a CSV file)")
            df = pd.read_parquet(path)
        else:
            sep = {"tab": "\t"}.get(sep, sep) or sniff_separator(path)
            check_lines(path, sep)
            df = pd.read_csv(path, sep=sep, dtype={c: str for c in text_columns} or None,
                             encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        fail(f"cannot read {path}: {exc}")
    if df.shape[0] == 0:
        fail(f"{path} holds no data rows")
    return as_text(df, text_columns)


def as_text(df, columns):
    """Make ``columns`` of ``df`` text (str objects), leaving missing values missing.

    One-hot encoding needs one kind of value per column: this turns booleans
    and numbers read from a text column into strings, the same at training and
    at prediction time.

    Parameters
    ----------
    df : pandas.DataFrame
        Modified in place.
    columns : sequence of str
        The columns to convert (absent ones are skipped).

    Returns
    -------
    pandas.DataFrame
        ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbpnet.cli._table import as_text
    >>> as_text(pd.DataFrame({"b": [True, None]}), ["b"])["b"].tolist()
    ['True', nan]
    """
    for c in columns:
        if c in df.columns:
            col = df[c].astype(object)
            df[c] = col.where(col.isna(), col.astype(str)).where(col.notna(), np.nan)
    return df
