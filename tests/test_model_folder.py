"""A model folder is checked whole before it is used (issue: no broken model is served as a
working one). Each case damages a copy of ``tiny_tagger`` the way it happens in practice and
runs the real commands: ``python -m helpers.serve`` must refuse before it listens, ``python -m
helpers.train ner --model`` before it trains, each with one ``error:`` line naming the file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import hub, modelfolder
from helpers.checkpoint import load_model

REPO = Path(__file__).resolve().parents[1]


def damaged(tiny_tagger, tmp_path, how) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(tiny_tagger, folder)
    how(folder)
    return folder


def no_tokenizer(folder: Path):
    for name in modelfolder.TOKENIZER_FILES + ("tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)


def five_token_vocab(folder: Path):
    (folder / "tokenizer.json").unlink()
    (folder / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")


def edit_json(name: str, **changes):
    def edit(folder: Path):
        data = json.loads((folder / name).read_text())
        data.update(changes)
        (folder / name).write_text(json.dumps(data))
    return edit


def run_config(**fields):
    def write(folder: Path):
        (folder / "run_config.json").write_text(json.dumps({"task": "ner", **fields}))
    return write


CASES = {
    # transformers 5 builds a five-token tokenizer: every word [UNK], tags of garbage
    "no tokenizer files": (no_tokenizer, "no tokenizer"),
    "a tokenizer of another vocabulary": (five_token_vocab, "the tokenizer has 5 tokens"),
    "labels outside IOB2": (edit_json("config.json", id2label={str(i): f"LABEL_{i}" for i in range(11)}),
                            "no IOB2 label map"),
    "case_feature as a string": (run_config(case_feature="no"), "field 'case_feature' is 'no'"),
    "an unknown precision": (run_config(precision="int4"), "field 'precision' is 'int4'"),
    "pickled weights only": (lambda f: (f / "model.safetensors").rename(f / "pytorch_model.bin"),
                             "no weights as safetensors"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_damaged_model_folder_is_refused_by_the_loader(tiny_tagger, tmp_path, case):
    how, message = CASES[case]
    folder = damaged(tiny_tagger, tmp_path, how)
    with pytest.raises(hub.ModelError, match=message):
        load_model(folder, "token")


def test_the_undamaged_folder_loads(tiny_tagger):
    modelfolder.check_model_folder(tiny_tagger, "token")
    model, tokenizer, _ = load_model(tiny_tagger, "token")
    assert len(tokenizer) == model.config.vocab_size


def command(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)


@pytest.mark.parametrize("case", ["no tokenizer files", "a tokenizer of another vocabulary",
                                  "an unknown precision"])
def test_serve_refuses_before_it_listens(tiny_tagger, tmp_path, case):
    """Before the check, ``serve`` answered 200 with [UNK] tags (here it would listen until the
    timeout); now it exits with one line naming the folder and what is wrong."""
    how, message = CASES[case]
    folder = damaged(tiny_tagger, tmp_path, how)
    done = command("helpers.serve", "--model", str(folder), "--port", "8799",
                   "--store", str(tmp_path / "c.jsonl"), "--request-log", str(tmp_path / "r.jsonl"),
                   timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and str(folder) in done.stderr
    assert not (tmp_path / "c.jsonl").exists()


def test_train_refuses_a_model_without_tokenizer(tiny_tagger, tmp_path, make_learnable):
    """Before the check, ``train --model`` trained on [UNK]s and exited 0 with a dev F1."""
    data = make_learnable(train=20, validation=10)
    folder = damaged(tiny_tagger, tmp_path, no_tokenizer)
    done = command("helpers.train", "ner", "--model", str(folder), "--train", str(data["train"]),
                   "--validation", str(data["validation"]), "--epochs", "1",
                   "--output", str(tmp_path / "run"))
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no tokenizer" in errors[0]
    assert not (tmp_path / "run").exists()


def test_serve_names_a_weights_file_cut_short(tiny_tagger, tmp_path):
    """A damaged bundle printed ~30 lines without naming the bad file."""
    def cut(folder: Path):
        weights = folder / "model.safetensors"
        os.truncate(weights, weights.stat().st_size // 2)

    folder = damaged(tiny_tagger, tmp_path, cut)
    done = command("helpers.serve", "--model", str(folder), "--port", "8797",
                   "--store", str(tmp_path / "c.jsonl"), "--request-log", str(tmp_path / "r.jsonl"),
                   timeout=60)
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{folder / 'model.safetensors'}: not a whole safetensors file" in done.stderr
