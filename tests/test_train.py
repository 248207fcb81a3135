"""helpers/train.py (the loop), ner.py, config.py and cli.py on a tiny BERT: history,
checkpoints, reproducibility, resume, clear stops, the recipe, and the CLI's JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from helpers import cli, ner, recipe, train
from helpers.formats import read_conll
from helpers.recipe import NerConfig, TrainConfig
from helpers.tagging import iob2_labels
from helpers.train import TrainingStopped


def splits(paths):
    labels = iob2_labels()
    return {name: read_conll(path, labels) for name, path in paths.items()}


def config(tiny_bert, tmp_path, **changes):
    base = dict(model=tiny_bert, output_dir=str(tmp_path / "run"), epochs=2, lr=5e-4,
                batch_size=8, eval_batch_size=16, max_length=64, log_every=2, patience=5)
    base.update(changes)
    return NerConfig(**base)


def test_train_ner_history_and_checkpoint(tiny_bert, tiny_ner, tmp_path):
    result = ner.train_ner(config(tiny_bert, tmp_path), splits(tiny_ner))
    history = result.history
    assert [row["epoch"] for row in history.epochs] == [1, 2]
    for key in ("train_loss", "f1", "samples_per_second", "peak_memory_mb", "seconds"):
        assert key in history.epochs[0]
    assert history.steps and {"loss", "lr", "epoch"} <= set(history.steps[0])
    assert history.summary.train_samples_per_second > 0
    assert history.summary.optimizer == "AdamW (fused)"  # torch 2.13 has it on CPU
    assert history.summary.precision in {"bf16", "fp32"}
    best = Path(result.model_dir)
    assert (best / "model.safetensors").is_file() and not list(best.glob("*.bin"))
    assert (best / "tokenizer.json").is_file()
    saved = json.loads((best / "config.json").read_text())
    assert saved["id2label"]["1"] == "B-SYMPTOM"
    assert json.loads((best / "run_config.json").read_text())["lr"] == 5e-4
    assert 0.0 <= result.test["f1"] <= 1.0


def test_learning_rate_warms_up_then_decays(tiny_bert, tiny_ner, tmp_path):
    result = ner.train_ner(config(tiny_bert, tmp_path, epochs=3, warmup=0.3, log_every=1),
                             splits(tiny_ner))
    lrs = [s["lr"] for s in result.history.steps]
    peak = lrs.index(max(lrs))
    assert 0 < peak < len(lrs) - 1
    assert lrs[:peak] == sorted(lrs[:peak]) and lrs[peak:] == sorted(lrs[peak:], reverse=True)


def test_seeded_cpu_runs_are_reproducible(tiny_bert, tiny_ner, tmp_path):
    a = ner.train_ner(config(tiny_bert, tmp_path / "a", epochs=1), splits(tiny_ner))
    b = ner.train_ner(config(tiny_bert, tmp_path / "b", epochs=1), splits(tiny_ner))
    assert [s["loss"] for s in a.history.steps] == [s["loss"] for s in b.history.steps]
    assert a.dev == b.dev


def test_resume_continues_after_an_interruption(tiny_bert, tiny_ner, tmp_path, monkeypatch):
    """Ctrl-C in the middle of epoch 2 saves the state; the next run resumes there."""
    cfg = config(tiny_bert, tmp_path, epochs=2)
    from transformers import DataCollatorForTokenClassification

    calls = {"n": 0}
    original = DataCollatorForTokenClassification.__call__

    def interrupting(self, features, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 14:  # epoch 1: 8 train + 2 dev batches; this is a few batches into epoch 2
            raise KeyboardInterrupt
        return original(self, features, *args, **kwargs)

    monkeypatch.setattr(DataCollatorForTokenClassification, "__call__", interrupting)
    with pytest.raises(KeyboardInterrupt):
        ner.train_ner(cfg, splits(tiny_ner))
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert state["epoch"] == 1 and state["batch"] > 0
    monkeypatch.setattr(DataCollatorForTokenClassification, "__call__", original)
    result = ner.train_ner(cfg, splits(tiny_ner), resume=True)
    assert [row["epoch"] for row in result.history.epochs] == [1, 2]


def test_nan_loss_stops_with_a_clear_message(tiny_bert, tiny_ner, tmp_path, monkeypatch):
    from transformers import BertForTokenClassification

    original = BertForTokenClassification.forward

    def nan_forward(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        out.loss = out.loss * float("nan")
        return out

    monkeypatch.setattr(BertForTokenClassification, "forward", nan_forward)
    with pytest.raises(TrainingStopped, match="loss became nan.*lower the learning rate"):
        ner.train_ner(config(tiny_bert, tmp_path), splits(tiny_ner))


def test_out_of_memory_says_how_to_fix_it(tiny_bert, tiny_ner, tmp_path, monkeypatch):
    from transformers import BertForTokenClassification

    def oom(self, *args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(BertForTokenClassification, "forward", oom)
    with pytest.raises(TrainingStopped, match="--batch-size 4 --grad-accum 2"):
        ner.train_ner(config(tiny_bert, tmp_path), splits(tiny_ner))


def test_time_waiting_for_batches_is_measured(tiny_bert, tiny_ner, tmp_path, monkeypatch):
    import time

    from transformers import DataCollatorForTokenClassification

    quick = ner.train_ner(config(tiny_bert, tmp_path / "quick"), splits(tiny_ner))
    original = DataCollatorForTokenClassification.torch_call

    def slow(self, features):
        time.sleep(0.05)  # a collator (or disk) that cannot keep up
        return original(self, features)

    monkeypatch.setattr(DataCollatorForTokenClassification, "torch_call", slow)
    starved = ner.train_ner(config(tiny_bert, tmp_path / "slow"), splits(tiny_ner))
    waited = starved.history.summary.data_wait_seconds
    batches = 2 * -(-len(splits(tiny_ner)["train"]) // 8)  # 2 epochs of batches of 8
    assert waited >= 0.05 * batches  # every batch's sleep counted
    assert 0.0 < quick.history.summary.data_wait_seconds < waited
    assert 0.0 < quick.history.summary.data_wait_share < 1.0


def test_early_stopping(tiny_bert, tiny_ner, tmp_path):
    result = ner.train_ner(config(tiny_bert, tmp_path, epochs=6, lr=0.0, patience=1),
                             splits(tiny_ner))  # lr 0: dev never improves after epoch 1
    assert len(result.history.epochs) == 2


def test_weight_decay_groups():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    optimizer = train.adamw(model, TrainConfig(weight_decay=0.1), "cpu")
    decayed, plain = optimizer.param_groups
    assert decayed["weight_decay"] == 0.1 and len(decayed["params"]) == 1  # the Linear weight
    assert plain["weight_decay"] == 0.0 and len(plain["params"]) == 3  # biases, LayerNorm


def test_optimizer_kernel_can_be_forced():
    model = torch.nn.Linear(4, 4)
    assert train.adamw(model, TrainConfig(), "cpu").defaults["fused"]  # torch 2.13 on CPU
    assert not train.adamw(model, TrainConfig(optimizer="foreach"), "cpu").defaults["fused"]
    assert train.adamw(model, TrainConfig(optimizer="fused"), "cpu").defaults["fused"]
    with pytest.raises(ValueError, match="expected fused or foreach"):
        train.adamw(model, TrainConfig(optimizer="sgd"), "cpu")


def test_cli_prints_one_json_line_last(tiny_bert, tiny_ner, tmp_path, capsys):
    code = cli.main(["ner", "--train", str(tiny_ner["train"]),
                       "--validation", str(tiny_ner["validation"]),
                       "--test", str(tiny_ner["test"]), "--model", tiny_bert, "--epochs", "1",
                       "--batch-size", "8", "--output", str(tmp_path / "cli"), "--seed", "3"])
    assert code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    for key in ("dev_f1", "test_f1", "train_seconds", "train_samples_per_second", "model"):
        assert key in result
    assert Path(result["model_dir"], "model.safetensors").is_file()


def test_cli_defaults_come_from_the_course_recipe(tiny_bert, tiny_ner, tmp_path, capsys):
    """No flags: the recipe's lr and case feature for this small uncased model; flags win."""
    common = ["ner", "--train", str(tiny_ner["train"]), "--validation",
              str(tiny_ner["validation"]), "--model", tiny_bert, "--epochs", "1",
              "--batch-size", "8"]
    assert cli.main(common + ["--output", str(tmp_path / "a")]) == 0
    saved = json.loads((tmp_path / "a" / "best" / "run_config.json").read_text())
    assert (saved["lr"], saved["case_feature"], saved["freeze_word_embeddings"]) == \
        (3e-4, True, False)
    capsys.readouterr()
    assert cli.main(common + ["--output", str(tmp_path / "b"), "--lr", "1e-4",
                                "--no-case-feature", "--freeze-word-embeddings",
                                "--optimizer", "foreach", "--precision", "fp32"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["optimizer"], line["precision"]) == ("AdamW (foreach)", "fp32")
    saved = json.loads((tmp_path / "b" / "best" / "run_config.json").read_text())
    assert (saved["lr"], saved["case_feature"], saved["freeze_word_embeddings"]) == \
        (1e-4, False, True)


def test_recipe_by_task_and_width(tiny_bert, tmp_path):
    from transformers import AutoTokenizer, BertConfig

    assert recipe.defaults(tiny_bert, "ner") == {"lr": 3e-4, "case_feature": True,
                                              "freeze_word_embeddings": False}
    assert recipe.defaults(tiny_bert, "classify") == {"lr": 1e-4, "freeze_word_embeddings": True}
    assert recipe.defaults(tiny_bert, "classify", "lora")["lr"] == 2e-3
    wide = tmp_path / "wide"
    BertConfig(hidden_size=768).save_pretrained(wide)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(wide)
    assert recipe.defaults(str(wide), "ner")["lr"] == 5e-5
    assert recipe.defaults(str(wide), "classify")["lr"] == 2e-5


def test_cli_reports_a_bad_file_in_one_line(tmp_path, tiny_bert, capsys):
    bad = tmp_path / "bad.conll"
    bad.write_text("took O\n400 I-DOSAGE x\n")
    code = cli.main(["ner", "--train", str(bad), "--validation", str(bad), "--model", tiny_bert])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1] == f"error: {bad}:2: expected 2 columns like the lines before, " \
        "found 3: '400 I-DOSAGE x'"


def test_a_second_run_with_another_precision_in_the_same_process(tiny_bert, tiny_ner, tmp_path,
                                                                  monkeypatch):
    """HF Trainer (or any earlier run) leaves Accelerate's global state set; ours must still start.
    Runs on both kinds of CPU: ours is this CPU's precision (bf16 with native bf16, else fp32),
    the state left behind is the other one."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    from helpers.device import pick_precision

    ours = pick_precision("cpu")[0]
    left_behind = "no" if ours == "bf16" else "bf16"
    AcceleratorState._reset_state()
    Accelerator(mixed_precision=left_behind, cpu=True)  # what HF Trainer leaves behind
    result = ner.train_ner(config(tiny_bert, tmp_path, epochs=1, precision=ours), splits(tiny_ner))
    assert result.history.summary.precision == ours


def test_config_names_the_model_that_really_loads(monkeypatch):
    """Offline, the full profile asks for bert-base-cased but the bundled MiniLM trains: the run
    config (printed in notebook 04, saved with the checkpoint) must say MiniLM."""
    from helpers import env, hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.CourseEnv(profile=env.get_profile("full"), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=False, online_reason="",
                        model=hub.resolve_model("bert-base-cased"))
    assert cfg.profile.model == "bert-base-cased" and cfg.model.source == "bundled"
    assert recipe.config_for(cfg, "ner").model == hub.BUNDLED_MODEL


@pytest.mark.parametrize("profile, limit", [("smoke", 200), ("cpu", 600), ("full", None)])
def test_side_experiments_train_on_the_profiles_experiment_limit(monkeypatch, profile, limit):
    """04's context run and 06's variants train on ``experiment_limit`` examples in smoke and
    cpu (a reference is trained on the same ones), on everything in full, where the main run
    is the reference."""
    from helpers import env, hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.CourseEnv(profile=env.get_profile(profile), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=False, online_reason="",
                        model=hub.resolve_model(hub.BUNDLED_MODEL))
    main, side = recipe.config_for(cfg, "classify"), recipe.experiment_config(cfg, "classify")
    assert side.train_limit == limit
    assert (side.train_limit == main.train_limit) == (profile == "full")
    assert recipe.experiment_config(cfg, "ner", train_limit=50).train_limit == 50  # a change wins
    assert side.epochs == main.epochs and side.lr == main.lr


def test_cli_flags_are_the_same_as_before():
    """The flags are generated from the config dataclasses; the command line must not change
    but on purpose (``--replace``: a run never replaces another run's model unasked)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "task").choices
    common = {"--train", "--validation", "--test", "--model", "--epochs", "--lr", "--batch-size",
              "--grad-accum", "--max-length", "--warmup", "--weight-decay", "--patience",
              "--precision", "--optimizer", "--train-limit", "--output", "--seed", "--resume",
              "--replace", "--freeze-word-embeddings", "--no-freeze-word-embeddings", "-h", "--help"}
    flags = {name: {s for a in p._actions for s in a.option_strings} for name, p in sub.items()}
    assert flags["ner"] == common | {"--types", "--context", "--label-all-subtokens",
                                     "--case-feature", "--no-case-feature"}
    assert flags["classify"] == common | {"--labels", "--tuning", "--upper-layers", "--lora-r",
                                          "--dropout"}
    args = parser.parse_args(["classify", "--train", "a.tsv", "--validation", "b.tsv",
                              "--tuning", "lora", "--dropout", "0.2", "--train-limit", "50"])
    assert (args.tuning, args.dropout, args.train_limit, args.lr, args.output_dir) == \
        ("lora", 0.2, 50, None, "")


def test_a_timed_run_without_evaluation_stops_at_max_steps(tiny_bert, tiny_ner, tmp_path):
    """What the throughput benchmark does: no dev scoring, a step clock, a fixed step count."""
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
    )

    from helpers.align import tokenize_and_align

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    data = splits(tiny_ner)["train"]
    tokenized, _ = tokenize_and_align(data, tokenizer, 64)
    model = AutoModelForTokenClassification.from_pretrained(tiny_bert, num_labels=11)
    clock = train.StepClock()
    cfg = config(tiny_bert, tmp_path, epochs=3, max_steps=5)
    history = train.fit(model, tokenizer, tokenized, DataCollatorForTokenClassification(tokenizer),
                        None, cfg, callbacks=[clock])
    assert len(clock.ends) == 5 and clock.ends == sorted(clock.ends)
    assert sum(clock.samples) == 5 * 8 and history.epochs == []
    assert not (tmp_path / "run" / "best").exists()
