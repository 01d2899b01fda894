"""One way to write a file so that readers see the old file or the new one, never half.

The new file is written to a temporary file in the same folder, named
``.skbpnet-<pid>-<16 hex digits>.tmp`` whatever the target's name (so a target
name of up to 255 bytes works), locked with ``flock`` while it is written, and
renamed over the target. A process killed on the way (SIGKILL, a power cut)
cannot remove its temporary file; the next write in that folder does, once it
is sure that no process holds it: its process is gone and its lock is free.
"""

import os
import re
import secrets
import stat

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no clean-up of orphans
    fcntl = None

__all__ = ["write_atomic"]

_TEMP = re.compile(r"\.skbpnet-([0-9]{1,10})-[0-9a-f]{16}\.tmp")


def write_atomic(path, write):
    """Write a new file next to ``path`` with ``write(fh)``, sync it, rename it over ``path``.

    If anything fails on the way (an exception in ``write``, a full disk, a
    KeyboardInterrupt), the temporary file is removed and an existing file at
    ``path`` is left exactly as it was. A replaced file keeps its permission
    bits; a new one gets ``0o666`` minus the umask, as any new file. On POSIX
    the folder is synced too, so the rename itself survives a power cut.

    The temporary file, ``.skbpnet-<pid>-<16 hex digits>.tmp`` in the folder of
    ``path``, is locked while it is written. Temporary files that earlier
    writers left in the folder when they were killed (their process is gone
    and nothing holds their lock) are removed first.

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
    remove_orphans(folder)
    fh, tmp = _open_locked(folder, os.getpid())
    try:
        with fh:  # the lock is held until the file is in place (POSIX)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            try:
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
            except FileNotFoundError:
                pass
            if fcntl is not None:
                os.replace(tmp, path)
        if fcntl is None:  # pragma: no cover - Windows renames only a closed file
            os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    _sync_folder(folder)


def _open_locked(folder, pid):
    """A new temporary file in ``folder``, open for writing and locked, and its path.

    The lock is taken right after the file is made; if a clean-up in another
    process removed the file in between (it found the lock free), make another.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".skbpnet-{pid}-{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, flags, 0o666)
        try:
            _lock(fd)
            if os.path.samestat(os.fstat(fd), os.lstat(tmp)):
                return os.fdopen(fd, "wb"), tmp
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            _unlink(tmp)
            raise
        os.close(fd)


def _lock(fd):
    """Lock a new temporary file; where the file system has no locks, go on without."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # ENOLCK, EOPNOTSUPP: the pid in the name still protects it
            pass


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def remove_orphans(folder):
    """Remove the temporary files in ``folder`` that killed writers left behind.

    A file is removed only if its name is one that :func:`write_atomic` makes,
    the process in its name no longer exists, and no one holds its lock: a
    file that a live process is writing is never touched. Does nothing where
    ``flock`` does not exist (Windows). Errors are ignored: this is tidying.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to tidy.

    Returns
    -------
    removed : list of str
        The names of the files removed.

    Examples
    --------
    >>> import os, tempfile
    >>> from skbpnet._atomic import remove_orphans
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for pid in (os.getpid(), 2**31 - 1):  # this process, and one that cannot exist
    ...         open(os.path.join(folder, f".skbpnet-{pid}-{'0' * 16}.tmp"), "w").close()
    ...     print(remove_orphans(folder), len(os.listdir(folder)))
    ['.skbpnet-2147483647-0000000000000000.tmp'] 1
    """
    if fcntl is None:  # pragma: no cover
        return []
    removed = []
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.startswith(".skbpnet-")]
    except OSError:
        return removed
    for name in entries:
        match = _TEMP.fullmatch(name)
        if match and not _alive(int(match.group(1))) and _remove_unlocked(folder, name):
            removed.append(name)
    return removed


def _alive(pid):
    """Whether a process ``pid`` may exist (in doubt, yes)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # PermissionError: it exists, and belongs to another user
    return True


def _remove_unlocked(folder, name):
    """Remove ``folder/name`` if it is a regular file whose lock no one holds."""
    path = os.path.join(folder, name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not os.path.samestat(os.fstat(fd), os.lstat(path)):
            return False
        os.unlink(path)  # under the lock: its writer, if any, sees it gone and makes another
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


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
