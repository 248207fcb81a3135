"""benchmarks/: ner_throughput.py (three recipes timed in one process, a JSON line last; with
--epochs, dev F1 for the Trainer and the course loop), classify_reference.py (the Trainer
reference against the course loop's defaults) and gpu_check.py (its mechanics, on the CPU), on
a tiny model and small data."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from helpers.env import REPO_ROOT


def _script(name: str):
    """Import ``benchmarks/<name>.py`` (a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_times_three_recipes_and_compares_dev_f1(tiny_bert, tiny_ner, tmp_path, capsys):
    folder = tmp_path / "conll"
    folder.mkdir()
    shutil.copy(tiny_ner["train"], folder / "train.txt")
    shutil.copy(tiny_ner["validation"], folder / "valid.txt")
    code = _script("ner_throughput").main(["--data", str(folder), "--model", tiny_bert,
                                           "--steps", "3", "--warmup-steps", "1",
                                           "--batch-size", "8", "--epochs", "1"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for recipe in ("articles", "trainer", "trainer_grouped", "ours"):
        assert summary[f"{recipe}_samples_per_second"] > 0
    # the ratio is of the unrounded speeds; the speeds printed are rounded to 0.01
    assert summary["ratio_vs_trainer"] == pytest.approx(
        summary["ours_samples_per_second"] / summary["trainer_samples_per_second"], abs=2e-3)
    assert summary["precision"] in {"bf16", "fp32"} and summary["device"] == "cpu"
    # the tiny model's tokenizer is MiniLM's (uncased), so the course recipe adds the case
    # feature, and the loop is also run on exactly the Trainer's inputs
    assert summary["case_feature"] is True and summary["lr"] == 3e-4
    for key in ("trainer_dev_f1", "ours_dev_f1", "ours_same_inputs_dev_f1"):
        assert 0.0 <= summary[key] <= 1.0


def test_classification_reference_compares_trainer_and_course_loop(tiny_bert, tmp_path, capsys):
    """Both runs train on the same rows, are scored on the same held-out sentences and timed;
    the course loop's recipe is the course's (train.recipe) unless a flag changes it."""
    rows = ["text\tlabel"] + [f"{w} film number {i}{' and more' * (i % 5)}\t{int(w == 'good')}"
                              for i in range(40) for w in ("good", "bad")]
    (tmp_path / "sst.tsv").write_text("\n".join(rows) + "\n")
    code = _script("classify_reference").main(["--train", str(tmp_path / "sst.tsv"),
                                               "--model", tiny_bert, "--dev-size", "16",
                                               "--lr", "1e-3"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["dev_rows"] == 16 and summary["train_rows"] == 64  # dev sentences left train
    for run in ("trainer", "ours"):
        assert 0.0 <= summary[f"{run}_dev_accuracy"] <= 1.0 and summary[f"{run}_train_seconds"] > 0
    assert summary["ours_recipe"]["lr"] == 1e-3 and summary["trainer_recipe"]["lr"] == 5e-5
    assert summary["accuracy_gain"] == round(summary["ours_dev_accuracy"]
                                             - summary["trainer_dev_accuracy"], 4)


def test_trainer_predictions_are_scored_in_the_order_they_come_back():
    """Trainer groups prediction batches by length too, so its rows come back permuted: scoring
    them against the dataset's label order gave chance accuracy (0.49) on SST-2."""
    import numpy as np
    from transformers.trainer_utils import PredictionOutput

    labels = np.array([1, 0, 0, 1, 1])
    logits = np.stack([1 - labels, labels], axis=1).astype(float) * 4  # right on every row
    output = PredictionOutput(predictions=logits, label_ids=labels, metrics={})
    assert _script("classify_reference").score_prediction(output)["accuracy"] == 1.0


def test_the_gpu_check_refuses_a_machine_without_a_gpu_unless_asked(capsys):
    assert _script("gpu_check").main([]) == 2
    assert "No CUDA GPU here" in capsys.readouterr().err


def test_the_gpu_check_runs_its_five_steps_on_the_cpu(tiny_bert, tiny_ner, tmp_path, capsys):
    folder = tmp_path / "conll"
    folder.mkdir()
    shutil.copy(tiny_ner["train"], folder / "train.conll")
    shutil.copy(tiny_ner["validation"], folder / "dev.conll")
    code = _script("gpu_check").main([
        "--allow-cpu", "--shape", "tiny", "--model", tiny_bert, "--data", str(folder),
        "--out", str(tmp_path / "out"), "--steps", "3", "--warmup-steps", "1", "--epochs", "1",
        "--matmul-size", "128", "--peak-tflops", "2.0", "--processes", "2"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    steps = [json.loads(line) for line in (tmp_path / "out" / "gpu_check.jsonl").open()]
    assert [s["step"] for s in steps] == ["environment", "matmul", "speed", "quality",
                                          "several_processes"]
    speed = steps[2]
    assert speed["samples_per_second"] > 0 and speed["tokens_per_second"] > speed["samples_per_second"]
    assert speed["mfu_vs_datasheet"] == pytest.approx(speed["model_tflops"] / 2.0, abs=1e-4)
    assert steps[4]["processes"] == 2 and steps[4]["global_batch_size"] == steps[3]["global_batch_size"]
    assert steps[4]["command"].startswith("torchrun --nproc-per-node 2 -m helpers.train ner")
    precision = speed["precision"]  # the CPU's default: one pass (a GPU adds fp16, `precisions`)
    assert summary["gpu"] == "cpu" and 0.0 <= summary[f"{precision}_dev_f1"] <= 1.0
    assert "speedup" in summary and summary["several_precision"] == precision


def test_the_gpu_check_passes_the_precision_to_the_learners_command(tiny_bert, tiny_ner, tmp_path):
    """The fp16 pass on a GPU is the learner's command with --precision fp16; here the same
    mechanics with fp32, the precision every CPU has."""
    check = _script("gpu_check")
    row = check.quality({"train": tiny_ner["train"], "validation": tiny_ner["validation"]},
                        tiny_bert, 1, 8, 1, tmp_path / "run", precision="fp32")
    assert row["command"].endswith("--precision fp32") and row["precision"] == "fp32"


def test_the_gpu_check_doctests_hold():  # benchmarks/ is no package: make test runs them here
    import doctest

    assert doctest.testmod(_script("gpu_check")).failed == 0


def test_the_rehearsal_model_is_minilm_cut_to_its_first_layers(tmp_path):
    """make rehearse trains the full profile with it: MiniLM's own embeddings and first layers
    (the same weights, fewer layers), its tokenizer, safetensors; an impossible depth is refused."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoTokenizer

    from helpers.hub import bundled_model_path

    small = _script("small_model")
    out = small.save_small_model(tmp_path / "small", layers=2)
    assert AutoConfig.from_pretrained(out).num_hidden_layers == 2
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    mine = load_file(out / "model.safetensors")
    theirs = load_file(bundled_model_path() / "model.safetensors")
    for key in ("embeddings.word_embeddings.weight", "encoder.layer.1.output.dense.weight"):
        assert (mine[key] == theirs[key]).all()
    assert not any(key.startswith("encoder.layer.2.") for key in mine)
    assert AutoTokenizer.from_pretrained(out).tokenize("Ibuprofen") == \
        AutoTokenizer.from_pretrained(bundled_model_path()).tokenize("Ibuprofen")
    with pytest.raises(SystemExit):
        small.main(["--layers", "7", "--out", str(tmp_path / "x")])
