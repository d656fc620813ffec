"""Files written whole or not at all.

The new contents go to a temporary file beside the destination, are flushed
and synced to disk, and only then renamed over it (``os.replace``, atomic
on POSIX). A killed process, Ctrl-C or a full disk therefore leaves either
the old file or the whole new one, never a truncated mix.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from typing import IO, Any, Iterator, Union


@contextlib.contextmanager
def atomic_write(path: Union[str, os.PathLike[str]], mode: str = "wb",
                 **open_options: Any) -> Iterator[IO[Any]]:
    """A file open for writing that replaces ``path`` when the block ends
    without an exception; on any exception (KeyboardInterrupt included) the
    temporary file is removed and ``path`` is left as it was."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # Mode 0o666 before the umask, as open() creates files; a file being
    # replaced keeps its own permissions.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, mode, **open_options) as file:
            if os.path.exists(path):
                os.chmod(file.fileno(), stat.S_IMODE(os.stat(path).st_mode))
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself durable (a crash after it keeps the new file)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
