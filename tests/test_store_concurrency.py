"""The annotation store with several real processes: writers appending at once, openers while
they write, writers killed with SIGKILL in the middle of a line. No acknowledged record (one
whose ``append`` returned) is ever lost or made unreadable.

Faults are injected in the children, not simulated in the parent: a child replaces ``os.write``
so that the write of one chosen line is short (POSIX allows it) and then either pauses (a writer
caught in the middle of a line) or sends itself SIGKILL (a writer killed mid-write). The store's
own ``append`` then finishes, or not, exactly as it would after a real short write or kill.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from helpers.annotate import AnnotationSession, AnnotationStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and flock are POSIX")

CHILD = """
import os, signal, sys, time
from helpers.annotate import AnnotationStore
path, name, count, size, fault = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
real_write = os.write

def faulty_write(fd, data):
    if fault == "slow":  # every write short, and the process preempted after it
        done = real_write(fd, data[:1024])
        time.sleep(0.0001)
        return done
    if f'"{name}-victim"'.encode() not in bytes(data):
        return real_write(fd, data)
    os.write = real_write
    done = real_write(fd, data[: len(data) // 2])  # a short write: half the line is on disk
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of the line
    open(path + ".half", "w").close()  # tell the parent the line is half written
    time.sleep(1.5)
    return done  # append() then writes the rest, as after any short write

os.write = faulty_write
store = AnnotationStore(path)
tokens = ["word"] * size
for i in range(count):
    store.append({"id": f"{name}-{i}", "tokens": tokens, "tags": ["O"] * size})
    print(i, flush=True)  # acknowledged: append (and its fsync) returned
if fault in ("pause", "kill"):
    store.append({"id": f"{name}-victim", "tokens": tokens, "tags": ["O"] * size})
    print("victim", flush=True)
"""


def start(path: Path, name: str, count: int, size: int = 50, fault: str = "none") -> subprocess.Popen:
    """A child process appending ``count`` records ``name-0`` ... to the store at ``path``. With
    ``fault`` "slow" each write puts at most 1 kB on disk and then yields the processor; with
    "pause" or "kill" the child then half-writes ``name-victim`` and pauses, or kills itself."""
    return subprocess.Popen([sys.executable, "-c", CHILD, str(path), name, str(count), str(size), fault],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)


def acknowledged(proc: subprocess.Popen, name: str, timeout: float = 30) -> list[str]:
    """The ids whose append returned in ``proc`` (waits for it to end)."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode in (0, -signal.SIGKILL), err
    return [f"{name}-{line}" for line in out.split()]


@pytest.fixture
def children():
    """Processes started by a test; any still running at the end are killed."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def open_and_read(path: Path, caught: list) -> list[dict]:
    """What a notebook does when it (re)opens the store: construct it, read every record."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        store = AnnotationStore(path)
        records = store.records()
    caught += [str(w.message) for w in warned]
    return records


def torn_entries(path: Path) -> int:
    """How many torn lines were set aside in ``<name>.torn`` (each comes after a ``# `` header)."""
    torn = path.with_name(path.name + ".torn")
    return sum(line.startswith(b"# ") for line in torn.read_bytes().splitlines()) if torn.exists() else 0


# ------------------------------------------------------------------ defect 3: openers
def test_opening_while_a_writer_is_mid_line_cuts_nothing(tmp_path, children):
    """A writer has half its line on disk (a short write, then a pause) when another process
    opens the store: the opener must wait for the line, not take it for a torn tail and cut it."""
    path = tmp_path / "pool.jsonl"
    children.append(proc := start(path, "w", 3, fault="pause"))
    deadline = time.time() + 20
    while not Path(str(path) + ".half").exists():
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
        time.sleep(0.01)
    caught: list[str] = []
    open_and_read(path, caught)  # the writer is inside its append right now
    ids = acknowledged(proc, "w")
    assert ids == ["w-0", "w-1", "w-2", "w-victim"]
    assert [r["id"] for r in open_and_read(path, caught)] == ids
    assert caught == [] and not path.with_name("pool.jsonl.torn").exists()


def test_three_writers_and_an_opener_loop_lose_nothing(tmp_path, children):
    """3 processes append 1,000 records each (slow writes of a few kB, so that a line is often
    half on disk) while this one opens and reads the store again and again: every record is
    there once, no read fails, nothing is set aside."""
    path = tmp_path / "pool.jsonl"
    children += [start(path, name, 1000, size=150, fault="slow") for name in "abc"]
    caught: list[str] = []
    opens, deadline = 0, time.time() + 60
    while any(p.poll() is None for p in children):
        assert time.time() < deadline, "the writers did not finish"
        open_and_read(path, caught)
        opens += 1
    ids = [i for proc, name in zip(children, "abc") for i in acknowledged(proc, name)]
    assert len(ids) == 3000 and opens > 1
    records = open_and_read(path, caught)
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert caught == [] and not path.with_name("pool.jsonl.torn").exists()


# ------------------------------------------------------------------ defect 4: killed writers
def test_a_writer_after_a_killed_writer_keeps_every_record_readable(tmp_path, children):
    """kill -9 in the middle of a line, then another writer appends (its store was opened
    before the kill, so only ``append`` can repair): repeated three times, every acknowledged
    record reads back, the session resumes, and each torn line is in ``.torn`` with its offset."""
    path = tmp_path / "pool.jsonl"
    store = AnnotationStore(path)
    expected = []
    for round_ in range(3):
        children.append(proc := start(path, f"k{round_}", 2, fault="kill"))
        expected += acknowledged(proc, f"k{round_}")
        assert proc.returncode == -signal.SIGKILL and not path.read_bytes().endswith(b"\n")
        with pytest.warns(UserWarning, match="set aside"):
            store.append({"id": f"after{round_}", "tokens": ["ok"], "tags": ["O"]})
        expected.append(f"after{round_}")
        assert [r["id"] for r in store.records()] == expected
    torn = path.with_name("pool.jsonl.torn").read_text(encoding="utf-8").splitlines()
    assert len(torn) == 6 and all("victim" in line for line in torn[1::2])
    assert all(line.startswith("# ") and " at byte " in line for line in torn[::2])
    sentences = [{"id": i, "tokens": ["ok"]} for i in expected + ["new"]]
    assert AnnotationSession(sentences, AnnotationStore(path)).current["id"] == "new"


def test_writers_killed_again_and_again_while_others_write(tmp_path, children):
    """Two writers append 400 records each while a third is started, and killed with SIGKILL
    in the middle of a line, five times over, and this process keeps opening the store:
    every acknowledged record is there, every read succeeds, each torn line is set aside once."""
    path = tmp_path / "pool.jsonl"
    steady = [start(path, name, 400) for name in "ab"]
    children += steady
    rng, caught, expected = random.Random(14), [], []
    for round_ in range(5):
        children.append(killed := start(path, f"k{round_}", rng.randint(3, 30), fault="kill"))
        while killed.poll() is None:
            open_and_read(path, caught)
        expected += acknowledged(killed, f"k{round_}")
        assert killed.returncode == -signal.SIGKILL
    for proc, name in zip(steady, "ab"):
        expected += acknowledged(proc, name, timeout=60)
    records = open_and_read(path, caught)
    assert sorted(r["id"] for r in records) == sorted(expected)
    assert all(len(r["tags"]) == 50 for r in records)
    assert torn_entries(path) == 5
    assert all("set aside" in message for message in caught)
