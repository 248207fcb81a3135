"""The same loop in two processes (issue 17): ``torchrun`` and ``accelerate launch`` run the real
command line (``tests/launched.py`` wraps it with test hooks) on the CPU over gloo.

With the bundled MiniLM on 312 sentences of the course corpus: two processes × batch 8 (under
``accelerate launch``), one × 16 and one × 8 with two accumulated batches see the same examples
at every optimizer step, take as many steps, and reach the same dev F1 within 0.02. With the
tiny BERT (seconds a run, under ``torchrun``): the main process alone prints and writes; dev
scores are gathered without duplicates from a dev set of odd size; a run whose second process
alone gets a Ctrl-C stops both at one step and resumes to the uninterrupted result, and its
state is refused by one process. The tiny runs are fp32, so that scoring in shares and scoring
whole agree to the last digit (bf16 at another padding length may flip a near tie)."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import torch

from helpers import checkpoint, distributed, ner
from helpers.formats import read_conll

REPO = Path(__file__).resolve().parent.parent
LAUNCHED = REPO / "tests" / "launched.py"
TRAIN, DEV, EPOCHS = 128, 41, 2  # tiny runs: 16 batches of 8, 8 per process; 41 = 21 + 20
# The equivalence runs: 312 = 19 × 16 + 8 sentences, so an epoch ends with half a global batch.
REAL_TRAIN, REAL_EPOCHS = 312, 2
# Dev F1 of 2 × 8, 1 × 16 and 1 × 8 with 2 accumulated may differ this much (the bound the
# issue sets on the full corpus): the same examples and steps, but not the same dropout masks
# (each process draws its own), nor the same loss weighting (two means over each half's tokens,
# averaged, against one mean over all tokens), nor quite the last step of an epoch (below).
F1_TOLERANCE = 0.02
TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launcher(kind: str) -> list[str]:
    if kind == "torchrun":
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                "2"]
    if kind == "accelerate":  # --multi_gpu names the launcher; without GPUs it runs over gloo
        return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
                "--num_processes", "2", "--main_process_port", str(free_port())]
    return [sys.executable]


def train(kind: str, out: Path, flags: list[str], env: dict | None = None,
          check: bool = True) -> subprocess.CompletedProcess:
    """Run the command line (``ner`` with ``flags``) under ``kind``: torchrun, accelerate or
    one process."""
    command = launcher(kind) + [str(LAUNCHED), "ner", "--output", str(out), *flags]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), **(env or {})}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_PORT"):
        full_env.pop(name, None)
    done = subprocess.run(command, cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done


def tiny_flags(model: str, paths: dict, *more: str) -> list[str]:
    return ["--model", model, "--train", str(paths["train"]), "--validation",
            str(paths["validation"]), "--epochs", str(EPOCHS), "--lr", "0.007", "--max-length",
            "32", "--patience", "5", "--precision", "fp32", "--batch-size", "8", *more]


def json_lines(done) -> list[dict]:
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def steps_seen(record: Path, processes: int, accumulated: int) -> list[list]:
    """The examples (token id tuples, sorted) of every optimizer step, from the recorded batches:
    a step is batch i of every process, or ``accumulated`` consecutive batches of one epoch."""
    logged = [[json.loads(line) for line in (record / f"rank{r}.jsonl").open()]
              for r in range(processes)]
    steps = []
    for epoch in sorted({row["epoch"] for row in logged[0]}):
        merged = [sum(rows, []) for rows in zip(*([row["rows"] for row in rank
                                                   if row["epoch"] == epoch] for rank in logged))]
        steps += [sum(merged[i:i + accumulated], []) for i in range(0, len(merged), accumulated)]
    return [sorted(map(tuple, rows)) for rows in steps]


def weights(out: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(out / "best" / "model.safetensors")


@pytest.fixture(scope="module")
def data(make_learnable) -> dict:
    return make_learnable(train=TRAIN, validation=DEV)


@pytest.fixture(scope="module")
def equivalence(tmp_path_factory) -> dict:
    """name -> (JSON line, record folder): the bundled MiniLM on the course corpus, the global
    batch of 16 split three ways."""
    corpus = REPO / "data" / "health_ner"
    common = ["--train", str(corpus / "train.conll"), "--validation", str(corpus / "dev.conll"),
              "--epochs", str(REAL_EPOCHS), "--train-limit", str(REAL_TRAIN)]
    done = {}
    for name, kind, flags in (("2x8", "accelerate", ["--batch-size", "8"]),
                              ("1x16", "one", ["--batch-size", "16"]),
                              ("1x8x2", "one", ["--batch-size", "8", "--grad-accum", "2"])):
        out, record = tmp_path_factory.mktemp(name), tmp_path_factory.mktemp(name + "-batches")
        process = train(kind, out, common + flags, env={"COURSE_TEST_RECORD": str(record)})
        [line] = json_lines(process)
        done[name] = (line, record)
    return done


@pytest.fixture(scope="module")
def two(tiny_bert, data, tmp_path_factory):
    """(process, output folder) of the tiny BERT trained by two processes under torchrun."""
    out = tmp_path_factory.mktemp("two")
    return train("torchrun", out, tiny_flags(tiny_bert, data)), out


def test_every_split_of_the_global_batch_sees_the_same_examples_per_step(equivalence):
    """The same examples at every step but the last of each epoch: there 312 = 19 × 16 + 8, and
    accelerate (like HF Trainer) gives the second process a batch of the epoch's first examples
    again so that both take the step; one process takes a step of 8."""
    two = steps_seen(equivalence["2x8"][1], processes=2, accumulated=1)
    one = steps_seen(equivalence["1x16"][1], processes=1, accumulated=1)
    accumulated = steps_seen(equivalence["1x8x2"][1], processes=1, accumulated=2)
    per_epoch = math.ceil(REAL_TRAIN / 16)
    assert len(two) == len(one) == len(accumulated) == REAL_EPOCHS * per_epoch
    assert one == accumulated
    for epoch in range(REAL_EPOCHS):
        first, last = epoch * per_epoch, (epoch + 1) * per_epoch - 1
        assert two[first:last] == one[first:last]  # not a copy of one process's share
        repeated = Counter(two[last]) - Counter(one[last])
        assert not Counter(one[last]) - Counter(two[last])  # nothing left out
        assert sum(repeated.values()) == 16 - REAL_TRAIN % 16
        assert not repeated - Counter(two[first] + two[first + 1])  # the epoch's first examples


def test_same_optimizer_steps_and_dev_f1_within_tolerance(equivalence):
    lines = {name: line for name, (line, _) in equivalence.items()}
    assert lines["2x8"]["processes"] == 2 and lines["2x8"]["global_batch_size"] == 16
    steps = REAL_EPOCHS * math.ceil(REAL_TRAIN / 16)
    assert {line["optimizer_steps"] for line in lines.values()} == {steps}
    reference = lines["1x16"]["dev_f1"]
    assert reference > 0.3  # it learned: the comparison is of two models that work
    for name, line in lines.items():
        assert abs(line["dev_f1"] - reference) <= F1_TOLERANCE, (name, line["dev_f1"], reference)


def test_the_main_process_alone_prints_and_writes(two):
    process, out = two
    [line] = json_lines(process)  # one JSON line, not one per process
    assert line["processes"] == 2 and line["global_batch_size"] == 16
    assert process.stderr.count("Run config:") == 1
    assert sorted(p.name for p in out.iterdir()) == ["best", "history.json"]  # no .partial left
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history["epochs"]] == list(range(1, EPOCHS + 1))
    assert history["optimizer_steps"] == line["optimizer_steps"] == EPOCHS * math.ceil(TRAIN / 16)


def test_dev_scores_gathered_from_two_processes_equal_scoring_in_one(two, data):
    """41 dev sentences in shares of 21 and 20: each scored once, none padded or repeated."""
    from transformers import DataCollatorForTokenClassification

    from helpers.align import tokenize_and_align

    [line] = json_lines(two[0])
    model, tokenizer, run = checkpoint.load_model(line["model_dir"], "token", "cpu")
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]  # as trained
    dev = read_conll(data["validation"], labels)
    tokenized, _ = tokenize_and_align(dev, tokenizer, run["max_length"], run["label_all_subtokens"],
                                      run["context"], run["case_feature"])
    scorer = ner.Scorer(dev, tokenized, DataCollatorForTokenClassification(tokenizer), 64, "fp32")
    assert 0.0 < line["dev_f1"] < 1.0
    assert scorer(model)["f1"] == pytest.approx(line["dev_f1"], abs=1e-12)
    assert len(scorer.tags) == DEV


MAP_SHARDED = """
import json, torch.distributed as dist
from helpers.distributed import any_process, map_sharded
dist.init_process_group("gloo")
rank = dist.get_rank()
rows = map_sharded(lambda start, stop: [[i, rank] for i in range(start, stop)], 41)
stop = any_process(rank == 1)  # only the second process says stop: both hear it
if rank == 0:
    print(json.dumps({"rows": rows, "stop": stop}))
dist.destroy_process_group()
"""


def test_map_sharded_covers_every_row_once_in_order(tmp_path):
    script = tmp_path / "sharded.py"
    script.write_text(textwrap.dedent(MAP_SHARDED))
    done = subprocess.run(launcher("torchrun") + [str(script)], cwd=REPO, capture_output=True,
                          text=True, timeout=TIMEOUT, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    [result] = json_lines(done)
    assert [row for row, _ in result["rows"]] == list(range(41))
    assert Counter(rank for _, rank in result["rows"]) == {0: 21, 1: 20}
    assert result["stop"] is True


def test_a_ctrl_c_to_one_process_stops_both_and_the_run_resumes_exactly(two, tiny_bert, data,
                                                                      tmp_path):
    out, flags = tmp_path / "run", tiny_flags(tiny_bert, data)
    stopped = train("torchrun", out, flags, env={"COURSE_TEST_CTRL_C": "1:10"},  # batch 2 of
                    check=False)                                                 # epoch 2
    assert stopped.returncode != 0 and not json_lines(stopped)
    assert "state saved to" in stopped.stderr + stopped.stdout
    state = json.loads((out / "last" / checkpoint.STATE).read_text())
    assert (state["epoch"], state["batch"]) == (1, 2)  # both stopped after the same step
    assert {"random_states_0.pkl", "random_states_1.pkl"} <= set(state["files"])
    kept = tmp_path / "kept"
    shutil.copytree(out, kept)

    resumed = train("torchrun", out, [*flags, "--resume"])
    assert "Resuming from" in resumed.stderr + resumed.stdout
    [line], [reference] = json_lines(resumed), json_lines(two[0])
    assert 0.0 < reference["dev_f1"] < 1.0  # the check means something only if F1 can move
    assert line["dev_f1"] == reference["dev_f1"]
    assert line["optimizer_steps"] == reference["optimizer_steps"]
    expected = weights(two[1])
    for name, tensor in weights(out).items():
        torch.testing.assert_close(tensor, expected[name], rtol=0, atol=1e-6)

    # the state of two processes does not resume in one: refused, naming the change
    alone = train("one", kept, [*flags, "--resume"], check=False)
    assert alone.returncode == 1 and "processes 2 -> 1" in alone.stderr


def test_threads_are_shared_between_the_processes_of_one_machine(clean_env):
    clean_env.setenv("LOCAL_WORLD_SIZE", "2")
    from helpers.device import cpu_count, set_threads

    threads = torch.get_num_threads()
    try:
        assert set_threads() == max(1, cpu_count() // 2)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("n, processes", [(0, 2), (1, 2), (41, 2), (64, 8), (7, 3), (3, 4)])
def test_shard_bounds_cover_every_row_once_in_nearly_equal_shares(n, processes):
    bounds = distributed.shard_bounds(n, processes)
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(n))
    sizes = [stop - start for start, stop in bounds]
    assert len(sizes) == processes and max(sizes) - min(sizes) <= 1
