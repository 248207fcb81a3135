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
bytes per body) are answered with 413 and a message saying the limit (a chunked body, whose
size is unknown until read, with 411); a malformed request with
422 and the field at fault; never a 500 for bad input. The model is loaded once, at start-up.
Privacy: a prediction request's text is never stored or logged; the request log keeps counts
only (entities per type, mean score, latency). A correction's text is stored, because the user
sent it to be learnt from (lessons/07_ship.md). The server binds to 127.0.0.1 unless told.

``helpers.server`` runs this service as a real process and load-tests it.

Imports: ``bundle`` (model version, card), ``device``, ``guards`` (the body limit), ``hub``,
``modelfolder``, ``predict``, ``schemas``, ``store``, ``tagging``.
"""


import argparse
import hashlib
import os
import queue
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from helpers.bundle import CARD, check_card, model_version
from helpers.device import pick_precision, set_threads, threads_problem
from helpers.guards import BodyLimit
from helpers.hub import ModelError
from helpers.modelfolder import check_model_folder
from helpers.predict import NerPredictor
from helpers.schemas import schemas
from helpers.store import AnnotationStore
from helpers.tagging import entity_types, tags_from_char_spans

DEMO_PAGE = Path(__file__).resolve().parent / "demo" / "index.html"
SERVE_DIR = Path(__file__).resolve().parent.parent / "build" / "serve"


@dataclass(frozen=True)
class Limits:
    """What one request may hold; larger requests get 413 with the limit in the message."""

    max_chars: int = 5000  # characters per text (a long log entry is ~1,000)
    max_texts: int = 64  # texts per request
    # words per request, all its texts together: the model's time per request is bounded (about a
    # second of a 2-core CPU for MiniLM), so a small request never waits long behind a large one
    max_words: int = 4000
    body_seconds: float = 10.0  # to receive a whole body, from its first bytes
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

    def __init__(self, predict, max_texts: int = 32, max_words: int = 4000):
        self.predict, self.max_texts, self.max_words = predict, max_texts, max_words
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
            count, words = len(group[0]["texts"]), _words(group[0]["texts"])
            while count < self.max_texts and words < self.max_words:  # a batch's work is bounded
                try:
                    group.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
                count, words = count + len(group[-1]["texts"]), words + _words(group[-1]["texts"])
            try:
                found = self.predict([text for slot in group for text in slot["texts"]])
                for slot in group:
                    slot["result"], found = found[:len(slot["texts"])], found[len(slot["texts"]):]
            except Exception as err:  # noqa: BLE001 - each caller re-raises it
                for slot in group:
                    slot["error"] = err
            for slot in group:
                slot["done"].set()


def _words(texts: list[str]) -> int:
    return sum(len(text.split()) for text in texts)


class Refused(ValueError):
    """Input the service will not take: ``status`` (413 over a limit, 422 malformed, 503 not
    kept) and a message saying why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Service:
    """What the app does, apart from HTTP: the model (loaded once), the batcher, the stores."""

    def __init__(self, model_dir: str | Path, store_path: str | Path | None = None,
                 request_log: str | Path | None = None, limits: Limits = Limits(),
                 device: str | None = None):
        model_dir = Path(model_dir)
        check_card(model_dir)  # the version served is the one its card describes
        self.predictor = NerPredictor(model_dir, device=device)
        self.limits = limits
        self.info = {"model_id": _model_id(model_dir), "model_version": model_version(model_dir),
                     "precision": self.predictor.precision
                     or pick_precision(self.predictor.device.type)[0],
                     "device": str(self.predictor.device), "labels": self.predictor.labels,
                     "limits": asdict(limits)}
        self.version = self.info["model_version"]
        self.corrections = AnnotationStore(store_path) if store_path else None
        self.requests_log = AnnotationStore(request_log) if request_log else None
        self.batcher = Batcher(self.predictor.predict, max_texts=max(limits.max_texts, 32),
                               max_words=limits.max_words)

    def entities(self, texts: list[str]) -> dict:
        """The entities of each text (``Refused`` over a limit), its counts in the request log."""
        if len(texts) > self.limits.max_texts:
            raise Refused(413, f"{len(texts)} texts in one request: the limit is "
                               f"{self.limits.max_texts}")
        for number, text in enumerate(texts):
            if len(text) > self.limits.max_chars:
                raise Refused(413, f"texts[{number}] has {len(text)} characters: the limit is "
                                   f"{self.limits.max_chars} per text")
        if (words := _words(texts)) > self.limits.max_words:
            raise Refused(413, f"{words} words in one request: the limit is {self.limits.max_words}"
                               " (send them in several requests)")
        start = time.perf_counter()
        found = self.batcher(texts)
        milliseconds = 1000 * (time.perf_counter() - start)
        if self.requests_log:
            try:  # a prediction never depends on its log line (a full disk, say)
                self.requests_log.append(_request_record(found, texts, self.version, milliseconds))
            except OSError as err:
                print(f"warning: {self.requests_log.path}: request not logged ({err.strerror})",
                      file=sys.stderr, flush=True)
        return {"model_id": self.info["model_id"], "model_version": self.version,
                "results": [{"entities": e} for e in found]}

    def correct(self, text: str, entities: list[dict], model_version: str, predicted: list[dict],
                source: str) -> dict:
        """Append a user's corrected entities for ``text`` to the store, on disk (fsync) before
        it returns; ``Refused`` for a bad span, a text over the limit, or no store."""
        if self.corrections is None:
            raise Refused(503, "this server keeps no corrections (start it with --store)")
        if len(text) > self.limits.max_chars:
            raise Refused(413, f"text has {len(text)} characters: the limit is "
                               f"{self.limits.max_chars}")
        try:
            tokens, tags = tags_from_char_spans(text, entities, types=entity_types(self.predictor.labels))
        except ValueError as err:
            raise Refused(422, str(err)) from None
        for i, e in enumerate(predicted):  # what the model found, as the page received it
            if not 0 <= e["start"] < e["end"] <= len(text) or text[e["start"]:e["end"]] != e["text"]:
                raise Refused(422, f"predicted[{i}]: characters {e['start']}-{e['end']} of the text are "
                                   f"{text[e['start']:e['end']]!r}, not {e['text']!r}")
        record = {"id": "user-" + hashlib.sha256(text.encode()).hexdigest()[:16],
                  "tokens": tokens, "tags": tags, "text": text, "annotator": "app-user",
                  "source": source, "model_version": model_version,
                  "served_version": self.version, "predicted": predicted, "saved_at": utc_now()}
        try:  # the store encodes the record before it writes a byte
            self.corrections.append(record)
        except UnicodeEncodeError as err:  # a lone surrogate ("\ud800") the schema let through
            raise Refused(422, f"the correction holds {err.object[err.start:err.end]!r}, half of a "
                               "UTF-16 pair and no Unicode character: send valid text") from None
        except OSError as err:
            raise Refused(507, f"the correction was not saved: {self.corrections.path} cannot be "
                               f"written ({err.strerror}); send it again later") from None
        return {"saved": True, "id": record["id"], "tokens": tokens, "tags": tags,
                "model_version": self.version}


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
UNREADABLE = (422, "request body: not a JSON text this service can read (UTF-8 JSON, nested at "
                   "most a few levels)")


def validation_message(errors: list[dict]) -> str:
    """pydantic's errors as one line: ``field/path: message; ...``."""
    return "; ".join(("/".join(str(p) for p in e["loc"][1:]) or "request body") + ": " + e["msg"]
                     if e["type"] != "json_invalid" else "request body: not valid JSON" for e in errors)


def create_app(model_dir: str | Path, store_path: str | Path | None = None,
               request_log: str | Path | None = None, limits: Limits = Limits(),
               device: str | None = None, hosts: tuple[str, ...] = LOCAL_HOSTS):
    """The FastAPI app serving the model in ``model_dir`` (loaded now, once). Corrections go
    to ``store_path`` and per-request counts to ``request_log`` (``None``: not kept); requests
    for another ``Host`` than ``hosts`` get 400."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError, StarletteHTTPException
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    schema = schemas(limits)
    service = Service(model_dir, store_path, request_log, limits, device)
    app = FastAPI(title="Lab to Launch: health-log entities", version=service.version,
                  description="Symptoms, body parts, medications, doses and times in free-text "
                              "health logs. Not medical advice.")
    demo = DEMO_PAGE.read_text(encoding="utf-8") if DEMO_PAGE.is_file() else ""
    problems = {413: {"model": schema.Problem}, 422: {"model": schema.Problem}}

    def problem(status: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"detail": message,
                                                         "model_version": service.version})

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, err: RequestValidationError):
        return problem(422, validation_message(err.errors()))

    @app.exception_handler(Refused)
    async def refused(_request, err: Refused):
        return problem(err.status, str(err))

    @app.exception_handler(StarletteHTTPException)  # 400: a body not UTF-8 or nested too deep
    async def http_error(_request, err: StarletteHTTPException):
        return problem(*(UNREADABLE if err.status_code == 400 else (err.status_code, str(err.detail))))

    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, seconds=limits.body_seconds)
    # only the names this server answers to: a page elsewhere cannot post through DNS rebinding
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))

    @app.get("/healthz", response_model=schema.Health)
    def healthz():
        return {"status": "ok", **service.info}

    @app.post("/v1/entities", response_model=schema.EntitiesResponse, responses=problems)
    def entities(body: schema.EntitiesRequest):
        return service.entities([body.texts] if isinstance(body.texts, str) else body.texts)

    @app.post("/v1/corrections", response_model=schema.CorrectionResponse,
              responses={**problems, 503: {"model": schema.Problem}})
    def correct(body: schema.CorrectionRequest):
        return service.correct(body.text, [e.model_dump() for e in body.entities],
                               body.model_version, [e.model_dump() for e in body.predicted],
                               body.source)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        return demo or "<p>The demo page (helpers/demo/index.html) is missing.</p>"

    return app


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
    parser.add_argument("--max-words", type=int, default=Limits.max_words,
                        help="words per request, all its texts together")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--allowed-host", action="append", default=[],
                        help="a host name clients may use besides 127.0.0.1 and localhost (repeat it)")
    args = parser.parse_args(argv)
    check_args(parser, args)
    import uvicorn

    if args.threads:
        set_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder
    hosts = LOCAL_HOSTS + tuple(args.allowed_host) + (() if args.host in ("0.0.0.0", "::") else (args.host,))
    app = create_app(args.model, args.store, args.request_log, hosts=hosts,
                     limits=Limits(max_chars=args.max_chars, max_texts=args.max_texts,
                                   max_words=args.max_words))
    print(f"Serving {args.model} on http://{args.host}:{args.port} (demo at /, docs at /docs); "
          f"corrections go to {args.store}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def check_args(parser: argparse.ArgumentParser, args) -> None:
    """Every setting checked before the model loads or the port opens: argparse's one-line error."""
    if not 1 <= args.port <= 65535 or args.max_chars < 1 or args.max_texts < 1 or args.max_words < 1:
        parser.error("--port must be 1-65535, --max-chars, --max-texts and --max-words at least 1")
    if args.threads is not None and (problem := threads_problem(args.threads)):
        parser.error(f"--threads {args.threads} {problem}")
    if not (args.model / "model.safetensors").is_file():
        parser.error(f"--model {args.model}: no model.safetensors there; expected a folder "
                     "saved by notebook 04 or bundled by notebook 07")
    try:
        check_model_folder(args.model, "token")  # before anything loads or listens
        check_card(args.model)
    except ModelError as err:
        parser.error(f"--model {err}")
    if args.store.expanduser().resolve() == args.request_log.expanduser().resolve():
        parser.error(f"--store and --request-log are both {args.store}: expected two files")
    for flag, path in (("--store", args.store), ("--request-log", args.request_log)):
        try:
            AnnotationStore(path)  # refuses a folder or a file that is no store
        except (ValueError, OSError) as err:
            parser.error(f"{flag} {err}")


if __name__ == "__main__":
    sys.exit(main())
