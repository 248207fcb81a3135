"""helpers/serve.py: the API through FastAPI's TestClient (schema, limits, errors, corrections,
privacy), then the real uvicorn process: a bounded load test, and a kill -9 that loses no
acknowledged correction. The model is the tiny random tagger: mechanics, not quality."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from helpers import serve, server
from helpers.bundle import model_version
from helpers.store import AnnotationStore

TEXT = "Took 400mg ibuprofen for a headache at 9am."


@pytest.fixture(scope="module")
def served(tiny_tagger, tmp_path_factory):
    """A TestClient on the app, its correction store and its request log."""
    from fastapi.testclient import TestClient

    folder = tmp_path_factory.mktemp("served")
    store, log = folder / "corrections.jsonl", folder / "requests.jsonl"
    app = serve.create_app(tiny_tagger, store, log, serve.Limits(max_chars=200, max_texts=4,
                                                                  max_body_bytes=20_000))
    return TestClient(app, base_url="http://127.0.0.1"), store, log


def test_healthz_names_the_model_and_its_version(served, tiny_tagger):
    client, _, _ = served
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["model_version"] == model_version(tiny_tagger)
    assert health["precision"] in ("fp32", "bf16", "fp16") and len(health["labels"]) == 11
    assert health["limits"] == {"max_chars": 200, "max_texts": 4, "max_words": 4000, "max_body_bytes": 20_000,
                                "body_seconds": 10.0}


def test_one_text_or_many_give_entities_with_offsets(served, tiny_tagger):
    client, _, _ = served
    one = client.post("/v1/entities", json={"texts": TEXT})
    many = client.post("/v1/entities", json={"texts": [TEXT, "", "sore throat since Monday"]})
    assert one.status_code == many.status_code == 200
    assert one.json()["model_version"] == model_version(tiny_tagger)
    results = many.json()["results"]
    assert len(results) == 3 and results[1]["entities"] == []
    assert results[0] == one.json()["results"][0]  # batching changes nothing
    for text, result in zip([TEXT, "", "sore throat since Monday"], results):
        for entity in result["entities"]:
            assert text[entity["start"]:entity["end"]] == entity["text"]
            assert 0 <= entity["score"] <= 1


@pytest.mark.parametrize("body, status, message", [
    ({"texts": ["a"] * 5}, 413, "5 texts in one request: the limit is 4"),
    ({"texts": ["x" * 201]}, 413, "texts[0] has 201 characters: the limit is 200 per text"),
    ({"texts": "x" * 30_000}, 413, "the limit is 20000"),  # the body itself
    ({"text": TEXT}, 422, "texts: Field required"),
    ({"texts": [1, 2]}, 422, "texts"),
    ({"texts": None}, 422, "texts"),
    ([TEXT], 422, "request body"),
    ("not json", 422, "request body: not valid JSON"),
])
def test_bad_input_gets_a_clear_4xx_never_a_500(served, body, status, message):
    client, _, _ = served
    if isinstance(body, str):
        answer = client.post("/v1/entities", content=body,
                             headers={"content-type": "application/json"})
    else:
        answer = client.post("/v1/entities", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"] and answer.json()["model_version"]


def test_a_chunked_body_is_refused_before_it_is_read(served):
    client, _, _ = served

    def chunks():
        yield b'{"texts": ["'
        yield b"x" * 30_000 + b'"]}'

    answer = client.post("/v1/entities", content=chunks(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 411 and "Content-Length" in answer.json()["detail"]


def test_openapi_docs_describe_the_endpoints(served):
    client, _, _ = served
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/entities", "/v1/corrections", "/healthz"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_a_correction_is_stored_with_text_version_and_time(served, tiny_tagger):
    client, store, _ = served
    before = len(AnnotationStore(store).records())
    answer = client.post("/v1/corrections", json={
        "text": TEXT, "model_version": "0123456789ab", "source": "test",
        "entities": [{"start": 5, "end": 10, "type": "DOSAGE"},
                     {"start": 11, "end": 20, "type": "MEDICATION"}]})
    assert answer.status_code == 200, answer.text
    records = AnnotationStore(store).records()
    assert len(records) == before + 1
    record = records[-1]
    assert record["text"] == TEXT and record["model_version"] == "0123456789ab"
    assert record["served_version"] == model_version(tiny_tagger) and record["saved_at"]
    assert record["tokens"][:3] == ["Took", "400mg", "ibuprofen"]
    assert record["tags"][:4] == ["O", "B-DOSAGE", "B-MEDICATION", "O"]


@pytest.mark.parametrize("entities, message", [
    ([{"start": 5, "end": 99, "type": "DOSAGE"}], "entities[0]: expected 0 <= start < end <= 43"),
    ([{"start": 5, "end": 10, "type": "DRUG"}], "type 'DRUG' is not one of"),
    ([{"start": 4, "end": 5, "type": "TIME"}], "hold no word"),
    ([{"start": 5, "end": 10, "type": "DOSAGE"}, {"start": 8, "end": 20, "type": "MEDICATION"}],
     "entities[1]: overlaps another entity"),
])
def test_a_bad_correction_is_refused_and_not_stored(served, entities, message):
    client, store, _ = served
    before = len(AnnotationStore(store).records())
    answer = client.post("/v1/corrections", json={"text": TEXT, "entities": entities,
                                                  "model_version": "x"})
    assert answer.status_code == 422 and message in answer.json()["detail"]
    assert len(AnnotationStore(store).records()) == before


GOOD_SPAN = {"start": 5, "end": 10, "type": "DOSAGE"}


@pytest.mark.parametrize("changes, message", [
    # true was stored as 1, "5" as 5
    ({"entities": [{**GOOD_SPAN, "start": True}]}, "entities/0/start: Input should be a valid integer"),
    ({"entities": [{**GOOD_SPAN, "start": "5"}]}, "entities/0/start: Input should be a valid integer"),
    ({"entities": [{**GOOD_SPAN, "type": 3}]}, "entities/0/type"),
    ({"text": "   \n "}, "only white space"),  # was stored as an empty record
    ({"predicted": [{"text": "ibuprofen", "type": "MEDICATION", "start": 5, "end": 10, "score": 0.9}]},
     "predicted[0]: characters 5-10 of the text are '400mg', not 'ibuprofen'"),
    ({"predicted": [{"text": "400mg", "type": "DOSAGE", "start": 5, "end": 10, "score": "0.9"}]},
     "predicted/0/score"),
])
def test_correction_fields_are_taken_as_sent_or_refused(served, changes, message):
    """Strict types: a correction is stored exactly as the user meant it, or refused."""
    client, store, _ = served
    before = len(AnnotationStore(store).records())
    body = {"text": TEXT, "entities": [GOOD_SPAN], "model_version": "x", **changes}
    answer = client.post("/v1/corrections", json=body)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"] and answer.json()["model_version"]
    assert len(AnnotationStore(store).records()) == before


def test_the_request_log_keeps_counts_never_text(served):
    client, _, log = served
    secret = "my private rash behind the left knee"
    assert client.post("/v1/entities", json={"texts": [secret]}).status_code == 200
    kept = log.read_text(encoding="utf-8")
    assert "private" not in kept and "knee" not in kept
    last = json.loads(kept.splitlines()[-1])
    assert last["texts"] == 1 and last["characters"] == len(secret) and last["latency_ms"] > 0


def test_without_a_store_corrections_are_refused(tiny_tagger):
    from fastapi.testclient import TestClient

    client = TestClient(serve.create_app(tiny_tagger), base_url="http://127.0.0.1")
    answer = client.post("/v1/corrections", json={"text": TEXT, "entities": [],
                                                  "model_version": "x"})
    assert answer.status_code == 503 and "--store" in answer.json()["detail"]


def test_the_command_line_refuses_a_folder_without_a_model(tmp_path, capsys):
    with pytest.raises(SystemExit):
        serve.main(["--model", str(tmp_path)])
    assert "no model.safetensors" in capsys.readouterr().err


def test_the_batcher_gives_each_caller_its_own_results_and_errors():
    """Concurrent callers are batched together, yet each gets exactly its texts' results."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    sizes, gate = [], threading.Event()

    def predict(texts):
        gate.wait(5)  # hold the first batch so that the others queue up behind it
        sizes.append(len(texts))
        if "boom" in texts:
            raise RuntimeError("model failed")
        return [[{"text": t}] for t in texts]

    batcher = serve.Batcher(predict, max_texts=64)
    requests = [[f"text {k}-{j}" for j in range(k % 3 + 1)] for k in range(20)]
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(batcher, r) for r in requests]
        gate.set()
        results = [f.result(timeout=10) for f in futures]
    assert results == [[[{"text": t}] for t in r] for r in requests]
    assert sum(sizes) == sum(map(len, requests)) and max(sizes) > 3  # some calls shared a pass
    with pytest.raises(RuntimeError, match="model failed"):
        batcher(["boom"])
    assert batcher(["fine"]) == [[{"text": "fine"}]]  # the worker lives on


def test_load_test_against_a_real_uvicorn_process(tiny_tagger, tmp_path):
    """8 concurrent clients, 400 requests against the real server on 127.0.0.1: no errors."""
    texts = [TEXT, "sore throat since Monday", "cramps in my left calf at 3am, took 2 paracetamol"]
    with server.serving(tiny_tagger, store_path=tmp_path / "c.jsonl") as url:
        assert url.startswith("http://127.0.0.1:")
        report = server.load_test(url, texts, clients=8, requests=400)
    print(f"load test: {report}")
    assert report.requests == 400 and report.errors == 0
    assert 0 < report.p50_ms <= report.p95_ms and report.requests_per_s > 0


def test_a_killed_server_loses_no_acknowledged_correction(tiny_tagger, tmp_path):
    store = tmp_path / "corrections.jsonl"
    url, process = server.start(tiny_tagger, store_path=store)
    try:
        for n in range(20):
            text = f"headache number {n} since Monday"
            answer = httpx.post(f"{url}/v1/corrections", timeout=10, json={
                "text": text, "model_version": "v", "entities": [
                    {"start": 0, "end": 8, "type": "SYMPTOM"}]})
            assert answer.status_code == 200
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        server.stop(process)
    records = AnnotationStore(store).records()
    assert [r["text"] for r in records] == [f"headache number {n} since Monday" for n in range(20)]
