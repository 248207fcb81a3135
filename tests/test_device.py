"""helpers/device.py: device and precision choice, threads, seeding, Colab detection."""

from __future__ import annotations

import sys

import pytest
import torch

from helpers import device


def test_pick_device_on_this_machine(clean_env):
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert device.pick_device() == expected
    assert device.pick_device("cpu") == "cpu"


def test_pick_device_rejects_unknown_or_missing(clean_env, monkeypatch):
    with pytest.raises(ValueError, match="expected cuda, mps or cpu"):
        device.pick_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available"):
        device.pick_device("cuda")


def test_cuda_precision_prefers_bf16_then_fp16(clean_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert device.pick_precision("cuda")[0] == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    precision, reason = device.pick_precision("cuda")
    assert precision == "fp16" and "loss scaling" in reason
    with pytest.raises(RuntimeError, match="does not support"):
        device.pick_precision("cuda", "bf16")


def test_cpu_precision_is_bf16_only_where_the_cpu_has_it(clean_env, monkeypatch):
    assert device.pick_precision("mps")[0] == "fp16"
    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: True)
    assert device.pick_precision("cpu")[0] == "bf16"
    assert device.pick_precision("cpu", "fp32")[0] == "fp32"
    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: False)
    assert device.pick_precision("cpu")[0] == "fp32"
    with pytest.raises(RuntimeError, match="no fast bf16"):
        device.pick_precision("cpu", "bf16")
    with pytest.raises(RuntimeError, match="not useful on CPU"):
        device.pick_precision("cpu", "fp16")
    with pytest.raises(ValueError, match="expected bf16, fp16 or fp32"):
        device.pick_precision("cpu", "fp8")


def test_threads_and_cpu_count(clean_env):
    assert 1 <= device.cpu_count() <= (__import__("os").cpu_count() or 1)
    before = torch.get_num_threads()
    try:
        assert device.set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["two", "0", "-2", "1.5"])
def test_course_threads_must_be_a_whole_number_of_at_least_one(clean_env, value):
    clean_env.setenv("COURSE_THREADS", value)
    with pytest.raises(ValueError, match=f"COURSE_THREADS={value!r} is not a whole number >= 1"):
        device.set_threads()


def test_course_threads_is_used_when_valid(clean_env):
    before = torch.get_num_threads()
    clean_env.setenv("COURSE_THREADS", " 1 ")
    try:
        assert device.env_threads() == 1 and device.set_threads() == 1
    finally:
        torch.set_num_threads(before)
    clean_env.setenv("COURSE_THREADS", "")
    assert device.env_threads() is None


def test_course_precision_ignores_case_like_the_profile_name(clean_env, monkeypatch):
    clean_env.setenv("COURSE_PRECISION", "FP32")
    assert device.pick_precision("cpu")[0] == "fp32"
    clean_env.setenv("COURSE_PRECISION", " Fp16 ")
    assert device.pick_precision("mps")[0] == "fp16"
    assert device.pick_precision("cpu", "FP32")[0] == "fp32"
    clean_env.setenv("COURSE_PRECISION", "fp8")
    with pytest.raises(ValueError, match="COURSE_PRECISION='fp8' is not a precision; expected bf16"):
        device.pick_precision("cpu")


def test_seed_everything_makes_torch_repeatable():
    device.seed_everything(7)
    a = torch.rand(3)
    device.seed_everything(7)
    assert torch.equal(a, torch.rand(3))


def test_is_colab_detects_the_runtime(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert device.is_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-20261101")
    assert device.is_colab() is True


def test_dtype_for_each_precision():
    assert device.dtype_for("bf16") is torch.bfloat16
    assert device.dtype_for("fp16") is torch.float16
    assert device.dtype_for("fp32") is None


def test_inference_turns_off_gradients():
    layer = torch.nn.Linear(2, 2)
    with device.inference("cpu", "fp32"):
        out = layer(torch.ones(1, 2))
    assert not out.requires_grad and out.dtype is torch.float32


def test_peak_memory_on_cpu_is_the_process_rss():
    device.reset_peak_memory("cpu")  # nothing to reset on CPU; must not fail
    assert device.peak_memory_mb("cpu") > 0
