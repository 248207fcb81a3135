"""helpers/env.py: profiles, the seed, and setup()'s decisions and summary."""

from __future__ import annotations

import pytest

from helpers import env, hub


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
    assert smoke.model == hub.BUNDLED_MODEL  # CI never depends on the hub
    assert cpu.model == hub.BUNDLED_MODEL  # a laptop: chosen by the machine, online or not
    assert full.model == hub.DEFAULT_MODEL == "bert-base-cased"


def test_unknown_profile_names_the_choices(clean_env):
    with pytest.raises(ValueError, match="smoke, cpu, full, auto"):
        env.get_profile("fast")


def test_setup_offline_summary(clean_env, capsys):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.setup(profile="smoke")
    out = capsys.readouterr().out
    assert cfg.online is False and cfg.model.source == "bundled"
    assert "Profile smoke" in out and "offline" in out
    assert f"Expected: make course in 'smoke' on cpu ({cfg.precision}):" in out  # before any training
    assert cfg.mixed_precision in {"no", "bf16", "fp16"}


def test_setup_offline_explains_the_substitute_in_one_line(clean_env, capsys):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    env.setup(profile="full")
    lines = capsys.readouterr().out.splitlines()
    assert any("bert-base-cased cannot be downloaded" in line for line in lines)
    assert any(line.startswith("What that changes:") and "uncased" in line for line in lines)


def test_course_seed_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    assert env.course_seed() == 42
    monkeypatch.setenv("COURSE_SEED", " 7 ")
    assert env.course_seed() == 7
    monkeypatch.setenv("COURSE_SEED", "seven")
    with pytest.raises(ValueError, match="COURSE_SEED='seven' is not a whole number"):
        env.course_seed()


def test_setup_names_a_bad_thread_count(clean_env):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    clean_env.setenv("COURSE_THREADS", "two")
    with pytest.raises(ValueError, match="COURSE_THREADS='two' is not a whole number >= 1"):
        env.setup(profile="smoke", quiet=True)


def test_setup_refuses_a_model_folder_that_does_not_exist(clean_env):
    """COURSE_MODEL=./typo is an error, not a silent swap for the bundled MiniLM."""
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    clean_env.setenv("COURSE_MODEL", "./build/no-such-model")
    with pytest.raises(hub.ModelError, match="'./build/no-such-model': no such folder"):
        env.setup(profile="smoke", quiet=True)
