"""The service (``helpers.serve``) as a real server process, and a bounded load test of it.

``start`` runs ``python -m helpers.serve`` on 127.0.0.1 in a subprocess and returns once its
``/healthz`` answers; ``stop`` ends it; ``serving`` does both around a ``with`` block (tests,
notebook 07). ``load_test`` sends a server a fixed number of requests from concurrent clients and
reports errors and latency percentiles; it stops by itself.

    >>> 1024 <= free_port() <= 65535
    True

Imports: no helpers module (it runs ``helpers.serve`` as a program).
"""

from __future__ import annotations

import atexit
import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def start(model_dir: str | Path, store_path: str | Path | None = None,
                 port: int | None = None, timeout: float = 120, extra: list[str] | None = None,
                 request_log: str | Path | None = None) -> tuple[str, subprocess.Popen]:
    """Start ``python -m helpers.serve`` on 127.0.0.1 in a subprocess; returns its base URL
    and the process once ``/healthz`` answers (the server's output if it fails to start).
    The request log goes to ``request_log``, else beside ``store_path`` (``requests.jsonl``),
    else to the server's default."""
    import httpx

    port = port or free_port()
    if request_log is None and store_path:
        request_log = Path(store_path).with_name("requests.jsonl")
    command = [sys.executable, "-m", "helpers.serve", "--model", str(model_dir), "--port",
               str(port), *(["--store", str(store_path)] if store_path else []),
               *(["--request-log", str(request_log)] if request_log else []), *(extra or [])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, cwd=Path(__file__).resolve().parent.parent)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start-up:\n{process.stdout.read()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        if time.monotonic() > deadline:
            stop(process)
            raise TimeoutError(f"no answer from {url}/healthz within {timeout:.0f} s")
        time.sleep(0.2)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
    atexit.register(stop, process)  # a notebook's kernel that exits stops its server
    return url, process


def stop(process: subprocess.Popen) -> None:
    """Stop a server started by ``start`` (SIGTERM, then SIGKILL after 10 s)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(model_dir: str | Path, store_path: str | Path | None = None, port: int | None = None,
            timeout: float = 120, extra: list[str] | None = None,
            request_log: str | Path | None = None) -> Iterator[str]:
    """The real server (``start``) for the ``with`` block; yields its base URL."""
    url, process = start(model_dir, store_path, port, timeout, extra, request_log)
    try:
        yield url
    finally:
        stop(process)


@dataclass(frozen=True)
class LoadReport:
    """What a bounded load test saw."""

    requests: int
    clients: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds


def load_test(url: str, texts: list[str], clients: int = 8, requests: int = 400,
              timeout: float = 30) -> LoadReport:
    """``requests`` POSTs of one text each to ``url``/v1/entities from ``clients`` concurrent
    clients (threads, one HTTP connection each); stops by itself. An error is any answer but
    200 with one result per text, or a failed connection."""
    import httpx
    import numpy as np

    def one_client(share: list[str]) -> tuple[list[float], int]:
        times, errors = [], 0
        with httpx.Client(base_url=url, timeout=timeout) as client:
            for text in share:
                start = time.perf_counter()
                try:
                    answer = client.post("/v1/entities", json={"texts": [text]})
                    errors += answer.status_code != 200 or len(answer.json()["results"]) != 1
                except httpx.HTTPError:
                    errors += 1
                times.append(1000 * (time.perf_counter() - start))
        return times, errors

    work = [texts[i % len(texts)] for i in range(requests)]
    shares = [work[k::clients] for k in range(clients)]
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(one_client, shares))
    seconds = time.perf_counter() - start
    times = [t for share, _ in done for t in share]
    return LoadReport(requests=requests, clients=clients, errors=sum(e for _, e in done),
                      seconds=seconds, p50_ms=float(np.percentile(times, 50)),
                      p95_ms=float(np.percentile(times, 95)))
