"""The model as a service: a FastAPI app on uvicorn, with the web demo and users' corrections.

    python -m helpers.serve --model build/bundles/ner-smoke [--host 127.0.0.1] [--port 8000]

- ``POST /v1/entities``: one text or many in, entities (character offsets, type, score) out,
  through ``predict.NerPredictor.predict``, the course's one inference API;
- ``POST /v1/corrections``: a user's corrected entities for a text, appended to the annotation
  store (``store.AnnotationStore``: append-only, fsynced before the answer) with the text, the
  model version that was corrected and a timestamp;
- ``GET /healthz``: model id, version, precision, device, limits; ``GET /``: the web demo
  (``helpers/demo/index.html``); ``GET /docs``: the OpenAPI docs FastAPI generates.

Requests that arrive while the model is busy share its next forward pass (``Batcher``). Every
response names the served model's version. Limits (characters per text, texts per request,
bytes per body) are answered with 413 and a message saying the limit; a malformed request with
422 and the field at fault; never a 500 for bad input. The model is loaded once, at start-up.
Privacy: a prediction request's text is never stored or logged; the request log keeps counts
only (entities per type, mean score, latency). A correction's text is stored, because the user
sent it to be learnt from (lessons/07_ship.md). The server binds to 127.0.0.1 unless told.

``start_server`` and ``serving`` run the real server in a subprocess (tests, notebook 07);
``load_test`` sends it a bounded number of concurrent requests and reports errors and latency
percentiles.

Imports: ``bundle`` (model version), ``device``, ``predict``, ``store``, ``tagging``.
"""


import argparse
import atexit
import contextlib
import hashlib
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from helpers.bundle import CARD, model_version
from helpers.device import pick_precision, set_threads
from helpers.predict import NerPredictor
from helpers.store import AnnotationStore
from helpers.tagging import tags_from_char_spans

DEMO_PAGE = Path(__file__).resolve().parent / "demo" / "index.html"
SERVE_DIR = Path(__file__).resolve().parent.parent / "build" / "serve"


@dataclass(frozen=True)
class Limits:
    """What one request may hold; larger requests get 413 with the limit in the message."""

    max_chars: int = 5000  # characters per text (a long log entry is ~1,000)
    max_texts: int = 64  # texts per request
    max_body_bytes: int = 1_000_000  # the whole JSON body


def utc_now() -> str:
    """Now, in UTC, as the logs write it (ISO 8601, milliseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _model_id(model_dir: Path) -> str:
    """The id in the model card's title (``# <id> (version ...)``), else the folder's name."""
    card = model_dir / CARD
    found = re.search(r"^# (\S+) \(version", card.read_text(encoding="utf-8"), re.M) \
        if card.is_file() else None
    return found.group(1) if found else model_dir.name


class Batcher:
    """Requests that wait together share one forward pass (server-side batching).

    Calls from the server's threads queue up; one worker thread takes what is waiting (up to
    ``max_texts`` texts), runs ``predict`` on all of it, and hands each caller its own results.
    When a request finds the model idle it runs at once (batch 1, no added wait); under load
    the queue fills while the model works, so batches grow with traffic and throughput follows
    the batched column of notebook 07's latency table. An exception reaches the callers whose
    texts were in the failed batch.
    """

    def __init__(self, predict, max_texts: int = 32):
        self.predict, self.max_texts = predict, max_texts
        self.waiting: queue.Queue = queue.Queue()
        threading.Thread(target=self._work, daemon=True, name="batcher").start()

    def __call__(self, texts: list[str]) -> list[list[dict]]:
        slot = {"texts": texts, "done": threading.Event()}
        self.waiting.put(slot)
        slot["done"].wait()
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def _work(self) -> None:
        while True:
            group = [self.waiting.get()]
            count = len(group[0]["texts"])
            while count < self.max_texts:
                try:
                    group.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
                count += len(group[-1]["texts"])
            try:
                found = self.predict([text for slot in group for text in slot["texts"]])
                for slot in group:
                    slot["result"], found = found[:len(slot["texts"])], found[len(slot["texts"]):]
            except Exception as err:  # noqa: BLE001 - each caller re-raises it
                for slot in group:
                    slot["error"] = err
            for slot in group:
                slot["done"].set()


def create_app(model_dir: str | Path, store_path: str | Path | None = None,
               request_log: str | Path | None = None, limits: Limits = Limits(),
               device: str | None = None):
    """The FastAPI app serving the model in ``model_dir`` (loaded now, once). Corrections go
    to ``store_path`` and per-request counts to ``request_log`` (``None``: not kept)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse

    schema = _schemas(limits)
    model_dir = Path(model_dir)
    predictor = NerPredictor(model_dir, device=device)
    info = {"model_id": _model_id(model_dir), "model_version": model_version(model_dir),
            "precision": predictor.precision or pick_precision(predictor.device.type)[0],
            "device": str(predictor.device), "labels": predictor.labels, "limits": asdict(limits)}
    corrections = AnnotationStore(store_path) if store_path else None
    requests_log = AnnotationStore(request_log) if request_log else None
    batcher = Batcher(predictor.predict, max_texts=max(limits.max_texts, 32))  # one pass at a time
    app = FastAPI(title="Lab to Launch: health-log entities", version=info["model_version"],
                  description="Symptoms, body parts, medications, doses and times in free-text "
                              "health logs. Not medical advice.")
    demo = DEMO_PAGE.read_text(encoding="utf-8") if DEMO_PAGE.is_file() else ""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, err: RequestValidationError):
        problems = [("/".join(str(p) for p in e["loc"][1:]) or "request body") + ": " + e["msg"]
                    if e["type"] != "json_invalid" else "request body: not valid JSON"
                    for e in err.errors()]
        return JSONResponse(status_code=422, content={
            "detail": "; ".join(problems), "model_version": info["model_version"]})

    @app.middleware("http")
    async def body_limit(request: Request, call_next):
        size = request.headers.get("content-length", "0")
        if not size.isdigit() or int(size) > limits.max_body_bytes:
            return JSONResponse(status_code=413, content={
                "detail": f"request body of {size} bytes: the limit is {limits.max_body_bytes}",
                "model_version": info["model_version"]})
        return await call_next(request)

    def too_large(message: str) -> JSONResponse:
        return JSONResponse(status_code=413, content={"detail": message,
                                                      "model_version": info["model_version"]})

    @app.get("/healthz", response_model=schema.Health)
    def healthz():
        return {"status": "ok", **info}

    @app.post("/v1/entities", response_model=schema.EntitiesResponse,
              responses={413: {"model": schema.Problem}, 422: {"model": schema.Problem}})
    def entities(body: schema.EntitiesRequest):
        texts = [body.texts] if isinstance(body.texts, str) else body.texts
        if len(texts) > limits.max_texts:
            return too_large(f"{len(texts)} texts in one request: the limit is {limits.max_texts}")
        for number, text in enumerate(texts):
            if len(text) > limits.max_chars:
                return too_large(f"texts[{number}] has {len(text)} characters: the limit is "
                                 f"{limits.max_chars} per text")
        start = time.perf_counter()
        found = batcher(texts)
        milliseconds = 1000 * (time.perf_counter() - start)
        if requests_log:
            requests_log.append(_request_record(found, texts, info["model_version"], milliseconds))
        return {"model_id": info["model_id"], "model_version": info["model_version"],
                "results": [{"entities": e} for e in found]}

    @app.post("/v1/corrections", response_model=schema.CorrectionResponse,
              responses={413: {"model": schema.Problem}, 422: {"model": schema.Problem},
                         503: {"model": schema.Problem}})
    def correct(body: schema.CorrectionRequest):
        if corrections is None:
            return JSONResponse(status_code=503, content={
                "detail": "this server keeps no corrections (start it with --store)",
                "model_version": info["model_version"]})
        if len(body.text) > limits.max_chars:
            return too_large(f"text has {len(body.text)} characters: the limit is "
                             f"{limits.max_chars}")
        try:
            tokens, tags = tags_from_char_spans(body.text, [e.model_dump() for e in body.entities],
                                                types=_types(predictor.labels))
        except ValueError as err:
            return JSONResponse(status_code=422, content={"detail": str(err),
                                                          "model_version": info["model_version"]})
        record = {"id": "user-" + hashlib.sha256(body.text.encode()).hexdigest()[:16],
                  "tokens": tokens, "tags": tags, "text": body.text, "annotator": "app-user",
                  "source": body.source, "model_version": body.model_version,
                  "served_version": info["model_version"],
                  "predicted": [e.model_dump() for e in body.predicted], "saved_at": utc_now()}
        corrections.append(record)  # on disk (fsync) before the user hears "saved"
        return {"saved": True, "id": record["id"], "tokens": tokens, "tags": tags,
                "model_version": info["model_version"]}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        return demo or "<p>The demo page (helpers/demo/index.html) is missing.</p>"

    return app


def _types(labels: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label[2:] for label in labels if label != "O"))


def _request_record(found: list[list[dict]], texts: list[str], version: str,
                    milliseconds: float) -> dict:
    """What the request log keeps of one request: counts, never the text."""
    scores = [e["score"] for entities in found for e in entities]
    return {"id": f"request-{time.time_ns()}", "at": utc_now(), "model_version": version,
            "texts": len(texts), "characters": sum(map(len, texts)),
            "texts_without_entities": sum(not entities for entities in found),
            "entities": dict(Counter(e["type"] for entities in found for e in entities)),
            "mean_score": round(sum(scores) / len(scores), 4) if scores else None,
            "latency_ms": round(milliseconds, 2)}


def _schemas(limits: Limits):
    """The request and response models (pydantic, imported only when a server is made)."""
    from types import SimpleNamespace

    from pydantic import BaseModel, Field

    class Entity(BaseModel):
        text: str
        type: str
        start: int = Field(ge=0)
        end: int = Field(ge=0)
        score: float = Field(ge=0, le=1)

    class Span(BaseModel):
        start: int = Field(ge=0, description="first character (0-based)")
        end: int = Field(gt=0, description="one past the last character")
        type: str

    class EntitiesRequest(BaseModel):
        texts: str | list[str] = Field(description=f"one text or a list of up to "
                                                   f"{limits.max_texts}, each up to "
                                                   f"{limits.max_chars} characters",
                                       examples=[["took 400mg ibuprofen for a headache at 9am"]])

    class Result(BaseModel):
        entities: list[Entity]

    class EntitiesResponse(BaseModel):
        model_id: str
        model_version: str
        results: list[Result]

    class CorrectionRequest(BaseModel):
        text: str = Field(min_length=1)
        entities: list[Span] = Field(description="every entity the text should have, corrected")
        model_version: str = Field(max_length=64, description="the version whose output was "
                                                              "corrected")
        predicted: list[Entity] = Field(default=[], description="what that model found")
        source: str = Field(default="api", max_length=32)

    class CorrectionResponse(BaseModel):
        saved: bool
        id: str
        tokens: list[str]
        tags: list[str]
        model_version: str

    class Health(BaseModel):
        status: str
        model_id: str
        model_version: str
        precision: str
        device: str
        labels: list[str]
        limits: dict

    class Problem(BaseModel):
        detail: str
        model_version: str

    return SimpleNamespace(**{c.__name__: c for c in (
        Entity, Span, EntitiesRequest, Result, EntitiesResponse, CorrectionRequest,
        CorrectionResponse, Health, Problem)})


# --------------------------------------------------------------------------- a real server
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def start_server(model_dir: str | Path, store_path: str | Path | None = None,
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
            stop_server(process)
            raise TimeoutError(f"no answer from {url}/healthz within {timeout:.0f} s")
        time.sleep(0.2)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
    atexit.register(stop_server, process)  # a notebook's kernel that exits stops its server
    return url, process


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by ``start_server`` (SIGTERM, then SIGKILL after 10 s)."""
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
    """The real server (``start_server``) for the ``with`` block; yields its base URL."""
    url, process = start_server(model_dir, store_path, port, timeout, extra, request_log)
    try:
        yield url
    finally:
        stop_server(process)


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


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.serve",
                                     description="Serve a NER model folder over HTTP, with the "
                                                 "web demo at / and the API docs at /docs.")
    parser.add_argument("--model", required=True, type=Path, help="a model folder (bundle)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--store", type=Path, default=SERVE_DIR / "corrections.jsonl",
                        help="annotation store for users' corrections")
    parser.add_argument("--request-log", type=Path, default=SERVE_DIR / "requests.jsonl",
                        help="counts per request (never the text)")
    parser.add_argument("--max-chars", type=int, default=Limits.max_chars)
    parser.add_argument("--max-texts", type=int, default=Limits.max_texts)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args(argv)
    if not (args.model / "model.safetensors").is_file():
        parser.error(f"--model {args.model}: no model.safetensors there; expected a folder "
                     "saved by notebook 04 or bundled by notebook 07")
    if not 1 <= args.port <= 65535 or args.max_chars < 1 or args.max_texts < 1:
        parser.error("--port must be 1-65535, --max-chars and --max-texts at least 1")
    import uvicorn

    if args.threads:
        set_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder
    app = create_app(args.model, args.store, args.request_log,
                     Limits(max_chars=args.max_chars, max_texts=args.max_texts))
    print(f"Serving {args.model} on http://{args.host}:{args.port} (demo at /, docs at /docs); "
          f"corrections go to {args.store}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
