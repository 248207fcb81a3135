"""Resume that is exact or refuses (issue 14, items 1 and 2): an interrupted and resumed run ends
where an uninterrupted one ends (same losses, same weights, same dev F1), however it was
interrupted (Ctrl-C while waiting for a batch, inside a step, during dev scoring, in the middle of
a gradient accumulation, a second Ctrl-C during the save, kill -9 during the save); a damaged
state or changed settings are refused with one line that says what to do."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from helpers import checkpoint, files, ner
from helpers.formats import read_conll
from helpers.recipe import NerConfig
from helpers.tagging import iob2_labels
from helpers.train import TrainingStopped

REPO = Path(__file__).resolve().parent.parent
TRAIN_BATCHES, DEV_BATCHES = 8, 3  # 60 sentences in batches of 8; 40 dev sentences in 16s


@pytest.fixture(scope="module")
def learnable(make_learnable) -> dict:
    """CoNLL files that the tiny BERT half learns in two epochs (``conftest.make_learnable``)."""
    return make_learnable(train=60, validation=40)


def splits(paths):
    return {name: read_conll(path, iob2_labels()) for name, path in paths.items()}


def settings(tiny_bert, out, **changes) -> NerConfig:
    base = dict(model=tiny_bert, output_dir=str(out), epochs=2, lr=1e-2, batch_size=8,
                eval_batch_size=16, max_length=32, log_every=1, patience=5)
    return NerConfig(**{**base, **changes})


def outcome(result) -> dict:
    from safetensors.torch import load_file

    history = result.history
    return {"f1": result.dev["f1"], "steps": [(s["epoch"], s["loss"], s["lr"]) for s in history.steps],
            "epochs": [(e["epoch"], e["f1"], e["train_loss"]) for e in history.epochs],
            "weights": load_file(Path(result.model_dir) / "model.safetensors")}


def assert_same(resumed: dict, reference: dict) -> None:
    assert 0.0 < reference["f1"] < 1.0  # the check means something only if F1 can move
    assert resumed["f1"] == pytest.approx(reference["f1"], abs=1e-4)
    for logged in ("steps", "epochs"):  # (epoch, loss, lr) and (epoch, f1, train loss) rows
        assert len(resumed[logged]) == len(reference[logged])
        for row, expected in zip(resumed[logged], reference[logged]):
            assert row == pytest.approx(expected, abs=1e-6)
    for name, tensor in reference["weights"].items():
        torch.testing.assert_close(resumed["weights"][name], tensor, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def uninterrupted(tiny_bert, learnable, tmp_path_factory):
    """The outcome of an uninterrupted run, by the settings that differ from ``settings``."""
    done = {}

    def run(**changes) -> dict:
        key = tuple(sorted(changes.items()))
        if key not in done:
            out = tmp_path_factory.mktemp("uninterrupted")
            done[key] = outcome(ner.train_ner(settings(tiny_bert, out, **changes), splits(learnable)))
        return done[key]

    return run


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)  # what the terminal (or Jupyter's stop button) sends


def raise_interrupt():
    raise KeyboardInterrupt


@contextmanager
def at_collator_call(n: int, action):
    """``action()`` when the collator is called for the ``n``-th time (training and dev batches
    alike: epoch 1 makes TRAIN_BATCHES + DEV_BATCHES calls)."""
    from transformers import DataCollatorForTokenClassification

    original, calls = DataCollatorForTokenClassification.__call__, {"n": 0}

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            action()
        return original(self, *args, **kwargs)

    DataCollatorForTokenClassification.__call__ = counting
    try:
        yield calls
    finally:
        DataCollatorForTokenClassification.__call__ = original


EPOCH_2 = TRAIN_BATCHES + DEV_BATCHES


def saved_point(out: Path) -> tuple[int, int]:
    """(epoch, batch) of the state saved in ``out/last``: 0-based epoch, batches done in it."""
    state = json.loads((out / "last" / checkpoint.STATE).read_text())
    return state["epoch"], state["batch"]


@pytest.mark.parametrize("call, action, changes, point", [
    (EPOCH_2 + 4, raise_interrupt, {}, (1, 2)),  # waiting for batch 4 of epoch 2 (3 is fetched)
    (TRAIN_BATCHES + 2, raise_interrupt, {}, (0, TRAIN_BATCHES)),  # scoring dev after epoch 1
    # 3 batches of 4 done, half an accumulation of 2: the Ctrl-C waits for the 4th
    (5, ctrl_c, {"batch_size": 4, "grad_accum": 2}, (0, 4)),
], ids=["epoch-2", "dev-scoring", "mid-accumulation"])
def test_an_interrupted_run_ends_as_an_uninterrupted_one(tiny_bert, learnable, tmp_path,
                                                         uninterrupted, capsys, call, action,
                                                         changes, point):
    cfg = settings(tiny_bert, tmp_path / "run", **changes)
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), at_collator_call(call, action):
        ner.train_ner(cfg, splits(learnable))
    assert signal.getsignal(signal.SIGINT) is handler  # the handler is given back
    assert saved_point(tmp_path / "run") == point
    said = capsys.readouterr().out
    assert "--resume" in said and "resume=True" in said  # "run again" is not enough
    resumed = ner.train_ner(cfg, splits(learnable), resume=True)
    assert "Resuming from" in capsys.readouterr().out
    assert_same(outcome(resumed), uninterrupted(**changes))


def test_an_interruption_that_leaves_no_whole_state_saves_nothing(tiny_bert, learnable,
                                                                  tmp_path, capsys):
    """A KeyboardInterrupt raised by code (not Ctrl-C) while gradients are half accumulated:
    the gradients so far are in no file, so no state is saved rather than a wrong one."""
    cfg = settings(tiny_bert, tmp_path / "run", batch_size=4, grad_accum=2)
    with pytest.raises(KeyboardInterrupt), at_collator_call(5, raise_interrupt):
        ner.train_ner(cfg, splits(learnable))
    assert not (tmp_path / "run" / "last").exists()
    assert "was not updated" in capsys.readouterr().out


def test_ctrl_c_inside_a_step_waits_for_the_step_to_end(tiny_bert, learnable, tmp_path,
                                                        uninterrupted, monkeypatch):
    """Ctrl-C between the optimizer's step and the scheduler's: the state saved must not be
    that half step (weights moved, schedule and batch count not)."""
    original, steps = torch.optim.AdamW.step, {"n": 0}

    def step_then_ctrl_c(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        steps["n"] += 1
        if steps["n"] == TRAIN_BATCHES + 3:
            ctrl_c()
        return result

    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_ctrl_c)
    cfg = settings(tiny_bert, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        ner.train_ner(cfg, splits(learnable))
    monkeypatch.setattr(torch.optim.AdamW, "step", original)
    assert saved_point(tmp_path / "run") == (1, 3)  # the 11th step done: batch 3 of epoch 2
    assert_same(outcome(ner.train_ner(cfg, splits(learnable), resume=True)), uninterrupted())


def test_a_second_ctrl_c_during_the_save_is_ignored(tiny_bert, learnable, tmp_path,
                                                     uninterrupted, monkeypatch):
    """A first interruption leaves a state; the second one's save gets a Ctrl-C once the new
    weights are written: the state must not end up new weights beside the old position."""
    import accelerate.checkpointing

    cfg = settings(tiny_bert, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt), at_collator_call(5, raise_interrupt):
        ner.train_ner(cfg, splits(learnable))  # a state in epoch 1
    original, sent = accelerate.checkpointing.save, []

    def save_then_ctrl_c(obj, f, *args, **kwargs):
        original(obj, f, *args, **kwargs)
        if Path(f).name == "model.safetensors" and not sent:
            sent.append(f)
            ctrl_c()

    monkeypatch.setattr(accelerate.checkpointing, "save", save_then_ctrl_c)
    rest_of_epoch_1 = TRAIN_BATCHES - 3 + DEV_BATCHES  # the resumed run's collator calls
    with pytest.raises(KeyboardInterrupt), at_collator_call(rest_of_epoch_1 + 4, raise_interrupt):
        ner.train_ner(cfg, splits(learnable), resume=True)  # 3 batches were done; now in epoch 2
    assert sent
    monkeypatch.setattr(accelerate.checkpointing, "save", original)
    assert saved_point(tmp_path / "run") == (1, 2)  # the second save finished
    assert_same(outcome(ner.train_ner(cfg, splits(learnable), resume=True)), uninterrupted())


KILLED_CHILD = """
import json, os, sys, time
from pathlib import Path
import accelerate.checkpointing
from transformers import DataCollatorForTokenClassification
from helpers import ner, train
from helpers.formats import read_conll
from helpers.recipe import NerConfig
from helpers.tagging import iob2_labels

args = json.loads(sys.argv[1])
train.STATE_MIN_SECONDS = 0.0  # a state after epoch 1
original, saves = accelerate.checkpointing.save, []
collate, calls = DataCollatorForTokenClassification.__call__, []

def save(obj, f, *rest, **kwargs):
    original(obj, f, *rest, **kwargs)
    if Path(f).name == "optimizer.bin":
        saves.append(f)
        if len(saves) == 2:  # the save after Ctrl-C in epoch 2, cut in optimizer.bin
            os.truncate(f, os.path.getsize(f) // 2)
            print("SAVING", flush=True)
            time.sleep(300)

def interrupting(self, *rest, **kwargs):
    calls.append(1)
    if len(calls) == args["interrupt_at"]:
        raise KeyboardInterrupt
    return collate(self, *rest, **kwargs)

accelerate.checkpointing.save = save
DataCollatorForTokenClassification.__call__ = interrupting
splits = {name: read_conll(path, iob2_labels()) for name, path in args["data"].items()}
ner.train_ner(NerConfig(**args["config"]), splits)
"""


def test_a_run_killed_while_saving_resumes_from_the_state_before(tiny_bert, learnable, tmp_path,
                                                                 uninterrupted):
    from dataclasses import asdict

    cfg = settings(tiny_bert, tmp_path / "run")
    args = json.dumps({"config": asdict(cfg), "data": {k: str(v) for k, v in learnable.items()},
                       "interrupt_at": EPOCH_2 + 4})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED_CHILD), args], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    watchdog = threading.Timer(300, child.kill)  # a child that hangs fails the test
    watchdog.start()
    line = ""
    try:
        for line in child.stdout:  # until the child says it is saving (or ends)
            if line.strip() == "SAVING":
                break
    finally:
        child.kill()  # SIGKILL: nothing of the child runs after this
        child.wait(timeout=60)
        watchdog.cancel()
    assert line.strip() == "SAVING"
    assert child.returncode == -signal.SIGKILL
    assert saved_point(tmp_path / "run") == (1, 0)  # the state saved after epoch 1 is the last
    resumed = ner.train_ner(cfg, splits(learnable), resume=True)
    assert_same(outcome(resumed), uninterrupted())
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["best", "history.json", "last"]


@pytest.fixture(scope="module")
def saved_state(tiny_bert, learnable, tmp_path_factory) -> Path:
    """A run folder with a state saved by Ctrl-C in epoch 2 (tests copy it, then damage it)."""
    out = tmp_path_factory.mktemp("saved") / "run"
    with pytest.raises(KeyboardInterrupt), at_collator_call(EPOCH_2 + 3, raise_interrupt):
        ner.train_ner(settings(tiny_bert, out), splits(learnable))
    return out


def newer_weights(last: Path) -> None:
    """What a save cut after its first file left: new weights beside the old position."""
    from safetensors.torch import load_file, save_file

    weights = load_file(last / "model.safetensors")
    save_file({k: v + 1e-3 for k, v in weights.items()}, last / "model.safetensors",
              metadata={"format": "pt"})


def optimizer_cut_short(last: Path) -> None:
    os.truncate(last / "optimizer.bin", os.path.getsize(last / "optimizer.bin") // 2)


def no_position(last: Path) -> None:
    (last / checkpoint.STATE).unlink()


def edited_position(last: Path) -> None:
    """``batch: 999, epoch: 9`` typed into trainer_state.json: a resume from a point never reached."""
    saved = json.loads((last / checkpoint.STATE).read_text())
    (last / checkpoint.STATE).write_text(json.dumps({**saved, "batch": 999, "epoch": 9}))


def unloadable_random_states(last: Path) -> None:
    """A random-state file that does not load, its manifest entry and digest made to match (as
    a state from an incompatible version): accelerate would skip it without a word."""
    (last / "random_states_0.pkl").write_bytes(b"not a pickle")
    saved = json.loads((last / checkpoint.STATE).read_text())
    saved["files"] = checkpoint._manifest(last)
    saved["files"].pop(checkpoint.STATE, None)
    saved.pop("digest")
    (last / checkpoint.STATE).write_text(json.dumps({**saved, "digest": checkpoint._digest(saved)}))


@pytest.mark.parametrize("damage, said", [(newer_weights, "model.safetensors"),
                                          (optimizer_cut_short, "optimizer.bin"),
                                          (no_position, checkpoint.STATE),
                                          (edited_position, "changed after it was saved"),
                                          (unloadable_random_states, "random_states_0.pkl does not load")],
                         ids=lambda x: getattr(x, "__name__", ""))
def test_a_damaged_state_is_refused_in_one_line(tiny_bert, learnable, saved_state, tmp_path,
                                                damage, said):
    out = tmp_path / "run"
    shutil.copytree(saved_state, out)
    damage(out / "last")
    with pytest.raises(TrainingStopped) as stopped:
        ner.train_ner(settings(tiny_bert, out), splits(learnable), resume=True)
    message = str(stopped.value)
    assert "\n" not in message and str(out / "last") in message and said in message
    assert "delete" in message


def test_resume_refuses_other_settings_and_names_them(tiny_bert, learnable, saved_state,
                                                      tmp_path):
    out = tmp_path / "run"
    shutil.copytree(saved_state, out)
    with pytest.raises(TrainingStopped) as stopped:
        ner.train_ner(settings(tiny_bert, out, batch_size=4, lr=5e-3), splits(learnable),
                      resume=True)
    message = str(stopped.value)
    assert "\n" not in message and "batch_size 8 -> 4" in message and "lr 0.01 -> 0.005" in message
    assert "epochs" not in message and str(out / "last") in message
    with pytest.raises(TrainingStopped, match=r"train_limit None -> 50.*train_data"):
        ner.train_ner(settings(tiny_bert, out, train_limit=50), splits(learnable), resume=True)
    other = dict(learnable, train=tmp_path / "other.conll")  # same count, other words
    other["train"].write_text(learnable["train"].read_text().replace("aspirin", "insulin"))
    with pytest.raises(TrainingStopped, match=r"^--resume with other settings.*: train_data 60 "):
        ner.train_ner(settings(tiny_bert, out), splits(other), resume=True)


def test_resume_with_nothing_saved_says_so_once(tiny_bert, learnable, tmp_path, capsys):
    cfg = settings(tiny_bert, tmp_path / "run", epochs=1, train_limit=16)
    ner.train_ner(cfg, splits(learnable), resume=True)
    said = capsys.readouterr().out.lower()
    assert said.count("no state to resume") == 1 and "starting fresh" in said


def test_a_swap_cut_short_is_finished_or_undone(tmp_path):
    """kill -9 at each point of the swap: while the new state is written (``last.partial``),
    between the renames (``last`` renamed aside as ``last.old``, the new one complete), or
    while the old one is removed."""
    def folder(name, text):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a").write_text(text)

    def after_recover():
        files.recover_folder(tmp_path / "last")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]
        text = (tmp_path / "last" / "a").read_text()
        shutil.rmtree(tmp_path / "last")
        return text

    folder("last", "old"), folder("last.partial", "half")
    assert after_recover() == "old"
    folder("last.old", "old"), folder("last.partial", "new")
    assert after_recover() == "new"
    folder("last", "new"), folder("last.old", "old")
    assert after_recover() == "new"
