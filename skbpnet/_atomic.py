"""One way to write a file so that readers see the old file or the new one, never half."""

import os
import secrets
import stat

__all__ = ["write_atomic"]


def write_atomic(path, write):
    """Write a new file next to ``path`` with ``write(fh)``, sync it, rename it over ``path``.

    If anything fails on the way (an exception in ``write``, a full disk, a
    KeyboardInterrupt), the temporary file is removed and an existing file at
    ``path`` is left exactly as it was. A replaced file keeps its permission
    bits; a new one gets ``0o666`` minus the umask, as any new file. On POSIX
    the folder is synced too, so the rename itself survives a power cut.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace.
    write : callable
        Called once with a binary file object open for writing.

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet._atomic import write_atomic
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "a.bin")
    ...     write_atomic(path, lambda fh: fh.write(b"new"))
    ...     with open(path, "rb") as fh:
    ...         print(fh.read(), os.listdir(folder))
    b'new' ['a.bin']
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fd = None
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def _sync_folder(folder):
    """Make a rename in ``folder`` durable (POSIX only; a no-op elsewhere)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
