"""``python -m helpers.serve`` refuses what would damage a file or serve a wrong answer, in one
``error:`` line before the model loads or the port opens (real processes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.store import AnnotationStore

REPO = Path(__file__).resolve().parents[1]


def serve(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "helpers.serve", "--port", "8798", *args],
                          capture_output=True, text=True, timeout=60, env=env, cwd=REPO)


def test_a_store_that_is_another_file_is_refused_and_left_as_it_was(tiny_tagger, tmp_path):
    """A TSV of training data given as --store used to get JSON lines appended to it."""
    data = tmp_path / "train.tsv"
    shutil.copy(REPO / "data" / "app_feedback" / "train.tsv", data)
    before = data.read_bytes()
    done = serve("--model", str(tiny_tagger), "--store", str(data),
                 "--request-log", str(tmp_path / "r.jsonl"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--store {data}: not an annotation store" in done.stderr.splitlines()[-1]
    assert data.read_bytes() == before and not (tmp_path / "r.jsonl").exists()
    with pytest.raises(ValueError, match="not an annotation store"):
        AnnotationStore(data)


def test_the_same_file_for_store_and_request_log_is_refused(tiny_tagger, tmp_path):
    both = str(tmp_path / "one.jsonl")
    done = serve("--model", str(tiny_tagger), "--store", both, "--request-log", both)
    assert done.returncode == 2 and "--store and --request-log are both" in done.stderr


def test_a_folder_as_store_is_refused(tiny_tagger, tmp_path):
    done = serve("--model", str(tiny_tagger), "--store", str(tmp_path), "--request-log",
                 str(tmp_path / "r.jsonl"))
    assert done.returncode == 2 and f"--store {tmp_path}: not a file" in done.stderr


def test_a_store_where_nothing_can_be_written_is_one_error_line(tiny_tagger, tmp_path):
    """``--store`` under /proc crashed after the model had loaded."""
    done = serve("--model", str(tiny_tagger), "--store", "/proc/course/corrections.jsonl",
                 "--request-log", str(tmp_path / "r.jsonl"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("python -m helpers.serve: error: --store ")


def test_a_store_with_records_or_a_new_name_is_accepted(tmp_path):
    store = AnnotationStore(tmp_path / "corrections.jsonl")
    store.append({"id": "a", "tags": ["O"]})
    assert [r["id"] for r in AnnotationStore(store.path).records()] == ["a"]


def test_a_bundle_whose_weights_no_longer_match_its_card_is_refused(tiny_tagger, tmp_path):
    """Weights replaced after bundling were served under a new version while the card still
    claimed the old version and its F1."""
    from safetensors.torch import load_file, save_file

    from helpers import serve as service
    from helpers.bundle import check_card, model_version
    from helpers.hub import ModelError

    folder = tmp_path / "bundle"
    shutil.copytree(tiny_tagger, folder)
    card = f"---\n---\n\n# lab-to-launch/health-ner (version {model_version(folder)})\n\ntest F1 0.930\n"
    (folder / "README.md").write_text(card)
    check_card(folder)  # the card and its weights: accepted
    weights = load_file(folder / "model.safetensors")
    name = next(iter(weights))
    weights[name] = weights[name] + 1  # a retraining written into the bundle
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    done = serve("--model", str(folder), "--store", str(tmp_path / "c.jsonl"),
                 "--request-log", str(tmp_path / "r.jsonl"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the card is for version" in done.stderr and model_version(folder) in done.stderr
    with pytest.raises(ModelError, match="the card is for version"):
        service.create_app(folder)


# ------------------------------------------------------------------ the body limit and odd bodies
def raw_request(url: str, head: str, body: bytes) -> tuple[int, dict]:
    """One HTTP/1.1 request written byte for byte on a socket (no client library fixes its
    headers); the status and the JSON answer."""
    import json
    import socket
    from urllib.parse import urlparse

    where = urlparse(url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
                re.search(rb"content-length: (\d+)", answer, re.I).group(1)):
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])


def test_a_chunked_body_with_a_small_content_length_is_refused(tiny_tagger, tmp_path):
    """``Content-Length: 10`` with ``Transfer-Encoding: chunked`` let a 14.7 MB correction in."""
    from helpers import server
    from helpers.store import AnnotationStore

    store = tmp_path / "corrections.jsonl"
    text = "headache " * 200_000  # 1.8 MB, over the 1 MB limit
    body = json.dumps({"text": text, "entities": [], "model_version": "x"}).encode()
    chunked = b"".join(f"{len(body[i:i + 65536]):x}\r\n".encode() + body[i:i + 65536] + b"\r\n"
                       for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
    with server.serving(tiny_tagger, store_path=store) as url:
        head = (f"POST /v1/corrections HTTP/1.1\r\nHost: {url.split('//')[1]}\r\n"
                "Content-Type: application/json\r\nContent-Length: 10\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n")
        status, answer = raw_request(url, head, chunked)
    assert status == 411 and "Transfer-Encoding" in answer["detail"] and answer["model_version"]
    assert AnnotationStore(store).records() == []


def asgi_post(app, path: str, body_parts: list[bytes], headers: list[tuple[bytes, bytes]]):
    """Call the ASGI app directly with a body in ``body_parts``, whatever the headers claim."""
    import asyncio
    import json

    parts = [{"type": "http.request", "body": p, "more_body": i < len(body_parts) - 1}
             for i, p in enumerate(body_parts)]
    sent = []

    async def receive():
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def test_the_limit_holds_on_the_bytes_read_whatever_content_length_says(tiny_tagger, tmp_path):
    from helpers import serve as service
    from helpers.store import AnnotationStore

    store = tmp_path / "corrections.jsonl"
    app = service.create_app(tiny_tagger, store, limits=service.Limits(max_body_bytes=1000))
    body = json.dumps({"text": "headache " * 500, "entities": [], "model_version": "x"}).encode()
    status, answer = asgi_post(app, "/v1/corrections", [body[:500], body[500:]],
                               [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                                (b"content-length", b"10")])
    assert status == 413 and "the limit is 1000" in answer["detail"] and answer["model_version"]
    assert AnnotationStore(store).records() == []


@pytest.mark.parametrize("body, said", [
    (b'{"text": "fever \\ud800", "entities": [], "model_version": "x"}', "text: Input should be a valid"),
    (b'{"text": "fever", "entities": [], "model_version": "x", "predicted": [{"text": "\\ud800", '
     b'"type": "SYMPTOM", "start": 0, "end": 5, "score": 0.5}]}', "predicted[0]"),
    # the schema lets a lone surrogate through in a predicted entity's type: the service refuses it
    (b'{"text": "fever", "entities": [], "model_version": "x", "predicted": [{"text": "fever", '
     b'"type": "\\ud800", "start": 0, "end": 5, "score": 0.5}]}', "no Unicode character"),
    ('{"text": "fièvre", "entities": [], "model_version": "x"}'.encode("latin-1"), "request body"),
    (b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}", "request body"),
])
def test_odd_bodies_get_the_documented_422_with_the_version(tiny_tagger, tmp_path, body, said):
    """A lone surrogate gave a 500; a body that is not UTF-8 or nested 5,000 deep a bare 400."""
    from fastapi.testclient import TestClient

    from helpers import serve as service
    from helpers.store import AnnotationStore

    store = tmp_path / "corrections.jsonl"
    client = TestClient(service.create_app(tiny_tagger, store), base_url="http://127.0.0.1",
                        raise_server_exceptions=False)
    answer = client.post("/v1/corrections", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["detail"] and answer.json()["model_version"]
    assert AnnotationStore(store).records() == []


# ------------------------------------------------------------------ availability
def test_a_request_of_too_many_words_is_refused_at_once(tiny_tagger):
    """64 texts of 2,500 words were inside the limits and held the model for 114 s."""
    import time

    from fastapi.testclient import TestClient

    from helpers import serve as service

    client = TestClient(service.create_app(tiny_tagger), base_url="http://127.0.0.1")
    texts = [" ".join(["a"] * 2500)] * 64  # 4,999 characters each: under max_chars
    started = time.perf_counter()
    answer = client.post("/v1/entities", json={"texts": texts})
    assert answer.status_code == 413 and "160000 words in one request: the limit is 4000" in \
        answer.json()["detail"]
    assert time.perf_counter() - started < 10


def test_the_batcher_bounds_the_words_of_one_forward_pass():
    """Requests that wait together share a pass only up to ``max_words``: a small request
    never waits behind more than one bounded pass."""
    import threading

    from helpers.serve import Batcher

    passes, release = [], threading.Event()

    def predict(texts):
        passes.append(len(texts))
        release.wait(5)
        return [[] for _ in texts]

    batcher = Batcher(predict, max_texts=100, max_words=10)
    callers = [threading.Thread(target=batcher, args=(["one two three four five six"],)) for _ in range(4)]
    for caller in callers:
        caller.start()
    release.set()
    for caller in callers:
        caller.join(10)
    assert sum(passes) == 4 and max(passes) <= 2  # 6 words each: two reach the bound of 10


def test_a_body_that_stalls_half_way_gets_408(tiny_tagger, tmp_path):
    """A half-sent body held the server for 80 s; now the body has ``body_seconds`` to arrive."""
    import asyncio

    from helpers import serve as service

    app = service.create_app(tiny_tagger, tmp_path / "c.jsonl",
                             limits=service.Limits(body_seconds=0.5))
    sent, first = [], {"type": "http.request", "body": b'{"text": "fev', "more_body": True}

    async def receive():
        if first:
            message = dict(first)
            first.clear()
            return message
        await asyncio.sleep(60)  # the rest never comes

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/corrections", "raw_path": b"/v1/corrections",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 80),
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", b"100")]}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 20))
    assert next(m["status"] for m in sent if m["type"] == "http.response.start") == 408


def test_a_request_for_another_host_is_refused(tiny_tagger, tmp_path):
    """DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 posts corrections
    with ``Host: evil.example``; the server answers only to the names it was started for."""
    import httpx

    from helpers import server

    store = tmp_path / "corrections.jsonl"
    body = {"text": "fever", "entities": [], "model_version": "x"}
    with server.serving(tiny_tagger, store_path=store) as url:
        evil = httpx.post(f"{url}/v1/corrections", json=body, headers={"Host": "evil.example"})
        local = httpx.post(f"{url}/v1/corrections", json=body)
    assert evil.status_code == 400 and local.status_code == 200
    assert [r["text"] for r in AnnotationStore(store).records()] == ["fever"]


@pytest.mark.parametrize("flags, said", [(["--threads", "-1"], "--threads -1 is not a whole number >= 1"),
                                         (["--threads", "100000"], "--threads 100000 is more than")])
def test_threads_out_of_range_are_one_error_line(tiny_tagger, tmp_path, flags, said):
    done = serve("--model", str(tiny_tagger), "--store", str(tmp_path / "c.jsonl"),
                 "--request-log", str(tmp_path / "r.jsonl"), *flags)
    assert done.returncode == 2 and said in done.stderr.splitlines()[-1]


def test_course_threads_has_an_upper_bound(monkeypatch):
    from helpers.device import env_threads

    monkeypatch.setenv("COURSE_THREADS", "100000")
    with pytest.raises(ValueError, match="COURSE_THREADS='100000' is more than"):
        env_threads()


def test_a_full_disk_keeps_predictions_and_refuses_corrections_clearly(tiny_tagger, tmp_path, monkeypatch):
    """With the disk full every prediction was a bare 500 (its log line could not be written).
    The disk is simulated at the operating system's seam: ``os.write`` in the store says ENOSPC."""
    import errno

    from fastapi.testclient import TestClient

    from helpers import serve as service
    from helpers import store as store_module

    client = TestClient(service.create_app(tiny_tagger, tmp_path / "c.jsonl", tmp_path / "r.jsonl"),
                        base_url="http://127.0.0.1")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "write", full)
    answer = client.post("/v1/entities", json={"texts": ["fever and a headache"]})
    assert answer.status_code == 200 and "results" in answer.json()
    refused = client.post("/v1/corrections", json={"text": "fever", "entities": [], "model_version": "x"})
    assert refused.status_code == 507 and "was not saved" in refused.json()["detail"]
    assert "No space left on device" in refused.json()["detail"] and refused.json()["model_version"]
