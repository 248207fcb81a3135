"""Writing files safely: a crash or a full disk never leaves a half-written file behind.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write_text(folder / "notes" / "a.txt", "hello\\n").read_text()
    'hello\\n'
    >>> sorted(p.name for p in (folder / "notes").iterdir())  # no temporary file left
    ['a.txt']

Imports: no helpers module (standard library only).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8, ``\\n`` line ends, parent folders created) so that a
    crash leaves either the old file or the new one; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def fsync_folder(folder: str | Path) -> None:
    """Make a folder's entries (new names, renames) durable. POSIX only (Windows has no such
    call), and best effort: a file system that refuses to sync a folder is not an error.

    >>> fsync_folder(tempfile.gettempdir())
    """
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
