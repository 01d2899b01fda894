"""A reader of idx files, the format of the original MNIST files, for the tests.

``skbpnet.datasets`` loads MNIST through OpenML; the tests compare what it
returns with the original idx files (``mnist_idx_dir``), read here.
"""

import gzip

import numpy as np

__all__ = ["read_idx", "IDX_DTYPES"]

# idx type codes -> big-endian NumPy dtypes (http://yann.lecun.com/exdb/mnist/).
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Read an idx file (the format of the original MNIST files) into an array.

    Parameters
    ----------
    path : str or path-like
        An idx file, gzip-compressed (as published) or not; compression is
        detected from the content, not the name.

    Returns
    -------
    array : ndarray
        The array, in native byte order: for example uint8 of shape
        (60000, 28, 28) for ``train-images-idx3-ubyte.gz``, and uint8 of
        shape (60000,) for ``train-labels-idx1-ubyte.gz``.

    Raises
    ------
    ValueError
        If the file is not a well-formed idx file.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> from tests._idx import read_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "labels-idx1-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    >>> tmp.cleanup()
    """
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in IDX_DTYPES:
        raise ValueError(f"{path}: not an idx file (bad magic number)")
    dtype, ndim = IDX_DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated idx header")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != header + size:
        raise ValueError(
            f"{path}: idx header announces shape {shape} ({size} bytes of data) "
            f"but the file holds {len(data) - header} bytes"
        )
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))
