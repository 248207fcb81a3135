"""``python -m helpers.serve`` refuses what would damage a file or serve a wrong answer, in one
``error:`` line before the model loads or the port opens (real processes)."""

from __future__ import annotations

import os
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
