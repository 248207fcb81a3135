"""The annotation store: an append-only JSONL log that loses no saved record, with any number
of processes writing and reading it at once (the notebook, a service, two annotators).

Every record is one line, appended with ``O_APPEND`` and fsynced before ``append`` returns; a
saved record is never rewritten (a correction is a newer record; the latest wins). Processes
coordinate through an advisory lock on a sidecar file ``<name>.lock``, which stays in place:

- a writer holds it exclusively while it appends its line and fsyncs it, so no one ever sees
  its line half written and two writers' lines never mix;
- a reader holds it shared while it reads, so it reads whole lines only;
- hence a last line without its newline is always that of a writer killed in the middle of
  ``append``, a record never acknowledged. An opener, or the next writer before it appends,
  moves those bytes to ``<name>.torn`` (fsynced, with the byte offset they were cut at) and cuts
  them from the log: under the exclusive lock, and only if the tail is still torn once it holds
  the lock (until then it may be a live writer's line).

The lock is ``flock`` on POSIX and a byte lock (``msvcrt.locking``, exclusive for readers too) on
Windows. It is advisory: a program that writes the file without this class is not held back.

    >>> import tempfile
    >>> store = AnnotationStore(Path(tempfile.mkdtemp()) / "pool.jsonl")
    >>> store.append({"id": "s1", "tags": ["O"]})
    >>> store.append({"id": "s1", "tags": ["B-SYMPTOM"]})
    >>> [r["tags"] for r in store.records()], store.latest()["s1"]["tags"]
    ([['O'], ['B-SYMPTOM']], ['B-SYMPTOM'])

Imports: ``files`` (folder sync), ``formats``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from helpers.files import fsync_folder

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in os.write


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (created if missing) for the ``with`` block: shared for
    readers, exclusive for a writer. Waits until it is granted; the system releases it when the
    block ends or the process dies. A reader in a folder it cannot write, where no lock file
    exists, reads without one (no writer can have made a lock there either)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | BINARY, 0o644)  # locking needs no write access
    except OSError:
        if not shared:
            raise
        fd = _open_existing(path)
    if fd is None:
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        else:
            _windows_lock(fd)
            try:
                yield
            finally:
                _windows_lock(fd, unlock=True)
    finally:
        os.close(fd)  # closing also releases a flock


def _open_existing(path: Path) -> int | None:
    """A lock file opened read-only (a shared lock needs no more), or None if there is none."""
    try:
        return os.open(path, os.O_RDONLY | BINARY)
    except FileNotFoundError:
        return None


def _windows_lock(fd: int, unlock: bool = False) -> None:
    """Lock (or unlock) the first byte of ``fd``; ``LK_LOCK`` gives up after about 10 s, so wait on."""
    import msvcrt

    os.lseek(fd, 0, os.SEEK_SET)
    if unlock:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    while True:
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            return
        except OSError as err:
            if err.errno not in (errno.EDEADLK, errno.EACCES):
                raise


JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "true/false",
              type(None): "null"}


class AnnotationStore:
    """Append-only JSONL of annotation records ``{id, tokens, tags, annotator, saved_at}``, safe
    with several writers and readers in several processes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_if_not_a_store()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.torn_path = self.path.with_name(self.path.name + ".torn")
        if self._ends_torn():  # a writer may be in the middle of its line: look again under the lock
            with file_lock(self.lock_path):
                self._set_aside_torn_tail()

    def _refuse_if_not_a_store(self) -> None:
        """A ``ValueError`` naming the path when it is a folder or another kind of file (a TSV of
        training data, say): appending records to it would damage it. A new or empty file, or
        one whose first line is a record (or a killed writer's unfinished first line), is a store."""
        if self.path.exists() and not self.path.is_file():
            raise ValueError(f"{self.path}: not a file; expected an annotation store (JSONL) or the "
                             "name of a new one")
        try:
            with open(self.path, "rb") as handle:
                first = handle.readline(1 << 20)
        except FileNotFoundError:
            return
        if not first.endswith(b"\n"):
            return  # empty, or one unfinished line: set aside as torn below
        try:
            record = json.loads(first)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict) or "id" not in record:
            shown = first[:60].decode("utf-8", "replace").rstrip()
            raise ValueError(f"{self.path}: not an annotation store (its first line, {shown!r}, is "
                             "no JSON record with an \"id\"); records are only appended to a store "
                             "or a new file: choose another name")

    def _ends_torn(self) -> bool:
        """Whether the log's last byte is not a newline (an empty or missing log is not torn)."""
        try:
            with open(self.path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                if size == 0:
                    return False
                handle.seek(size - 1)
                return handle.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def _set_aside_torn_tail(self) -> None:
        """Under the exclusive lock: a last line without its newline was left by a writer killed
        in the middle of ``append`` (never acknowledged). Append its bytes to ``<name>.torn``
        after a ``# `` line giving their size and offset, fsync that, then cut them from the log
        (a repair killed in its turn is done again by the next one: at worst a duplicate entry)."""
        if not self._ends_torn():
            return
        with open(self.path, "r+b") as handle:
            data = handle.read()
            keep = data.rfind(b"\n") + 1
            created = not self.torn_path.exists()
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            header = f"# {len(data) - keep} bytes cut from {self.path.name} at byte {keep} on {when}\n"
            with open(self.torn_path, "ab") as torn:
                torn.write(header.encode("utf-8") + data[keep:] + b"\n")
                torn.flush()
                os.fsync(torn.fileno())
            if created:
                fsync_folder(self.path.parent)
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        warnings.warn(f"{self.path}: an unfinished last record ({len(data) - keep} bytes, never "
                      f"acknowledged: its writer stopped mid-write) was set aside in "
                      f"{self.torn_path.name} (byte {keep}); every saved record is intact", stacklevel=3)

    def append(self, record: dict) -> None:
        """Append one record as one line; returns only once it is on disk (fsync). Holds the
        exclusive lock throughout, and first sets aside a torn tail left by a killed writer."""
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with file_lock(self.lock_path):
            self._set_aside_torn_tail()
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | BINARY, 0o644)
            try:
                view = memoryview(line)
                while view:  # a write may be short: go on with the rest
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_folder(self.path.parent)

    def records(self) -> list[dict]:
        """Every complete record in file order, read under the shared lock. A torn last line (no
        newline: a killed writer's) is ignored; a damaged line raises ``ValueError`` naming file
        and line."""
        if not self.path.is_file():
            return []
        with file_lock(self.lock_path, shared=True):
            lines = self.path.read_bytes().split(b"\n")
        out = []
        for number, line in enumerate(lines[:-1], start=1):  # the part after the last \n is torn
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                reason = err.msg if isinstance(err, json.JSONDecodeError) else "not UTF-8"
                raise ValueError(f"{self.path}:{number}: not a JSON record ({reason}); the "
                                 "file was edited by hand?") from None
            if not isinstance(record, dict) or "id" not in record:
                found = "an object without one" if isinstance(record, dict) else \
                    f"a JSON {JSON_KINDS.get(type(record), 'value')}"
                raise ValueError(f"{self.path}:{number}: expected a JSON object with an \"id\", "
                                 f"found {found}; the file was edited by hand?")
            out.append(record)
        return out

    def latest(self) -> dict[str, dict]:
        """The newest record of each sentence id."""
        return {record["id"]: record for record in self.records()}

    def export_conll(self, path: str | Path, labels: list[str]) -> Path:
        """Write the latest annotation of each sentence as a CoNLL file (atomically)."""
        from datasets import Dataset

        from helpers.formats import ner_features, write_conll

        latest = list(self.latest().values())
        dataset = Dataset.from_dict({
            "id": [r["id"] for r in latest], "doc_id": list(range(len(latest))),
            "line": [0] * len(latest), "tokens": [r["tokens"] for r in latest],
            "ner_tags": [[labels.index(t) for t in r["tags"]] for r in latest],
        }, features=ner_features(labels))
        return write_conll(dataset, path, docstart=False)
