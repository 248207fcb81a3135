"""Writing files safely: a crash or a full disk never leaves a half-written file or folder behind.

A file is written to a temporary name and renamed into place (``atomic_write_text``); a folder
(a checkpoint, a model bundle) is written whole into ``<name>.partial``, flushed to disk, and
swapped in (``swap_in``), and ``recover_folder`` finishes or undoes a swap a kill cut short.

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
import hashlib
import os
import shutil
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


PARTIAL, OLD = ".partial", ".old"  # suffixes of a folder being written, and of the one it replaces


def sibling(folder: str | Path, suffix: str) -> Path:
    """``folder`` with ``suffix`` added to its name (``PARTIAL`` or ``OLD``)."""
    folder = Path(folder)
    return folder.with_name(folder.name + suffix)


def recover_folder(folder: str | Path) -> None:
    """Finish or undo a swap (``swap_in``) that a crash or kill cut short. With ``folder`` gone
    and ``<folder>.old`` there, the kill came between the two renames, when the new folder was
    already whole: it takes the name (else the old one gets it back). A ``.partial`` or ``.old``
    beside ``folder`` is a save that did not finish, or an old folder not yet removed."""
    folder = Path(folder)
    partial, old = sibling(folder, PARTIAL), sibling(folder, OLD)
    if not folder.exists() and old.exists():
        os.replace(partial if partial.exists() else old, folder)
        fsync_folder(folder.parent)
    for leftover in (partial, old):
        if leftover.exists():
            shutil.rmtree(leftover)


def swap_in(partial: str | Path, folder: str | Path) -> None:
    """Put the whole, flushed ``partial`` in ``folder``'s place (after ``recover_folder``)."""
    folder = Path(folder)
    old = sibling(folder, OLD)
    if folder.exists():
        os.replace(folder, old)
    os.replace(partial, folder)
    fsync_folder(folder.parent)
    shutil.rmtree(old, ignore_errors=True)


def flush_tree(folder: str | Path) -> None:
    """Flush every file under ``folder`` to disk, and the folders' entries."""
    folder = Path(folder)
    for path in folder.rglob("*"):
        if path.is_dir():
            fsync_folder(path)
        else:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_folder(folder)


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB chunks.

    >>> sha256_file(atomic_write_text(Path(tempfile.mkdtemp()) / "w", "weights"))[:12]
    '9a129038d9a0'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
