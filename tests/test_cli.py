"""helpers/cli.py: settings are checked before any data or model is loaded; each bad setting is
one ``error:`` line and a non-zero exit, never a traceback, a late failure or a substitute model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import classify, cli, hub, ner

REPO = Path(__file__).resolve().parent.parent
FEEDBACK = REPO / "data" / "app_feedback"


@pytest.fixture
def nothing_loaded(monkeypatch):
    """Fail the test if the CLI gets as far as reading data (the settings must be refused first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the data were loaded before the settings were checked")

    monkeypatch.setattr(ner, "load_splits", refuse)
    monkeypatch.setattr(classify, "load_splits", refuse)


def run_main(argv, capsys) -> tuple[int, list[str]]:
    """``cli.main(argv)``: the exit code (argparse's too) and the non-empty stderr lines."""
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def data_flags(tiny_ner) -> list[str]:
    return ["--train", str(tiny_ner["train"]), "--validation", str(tiny_ner["validation"])]


BAD_FLAGS = [  # (flags, fragment the error line must hold)
    (["--batch-size", "0"], "--batch-size: expected a whole number >= 1, got '0'"),
    (["--grad-accum", "0"], "--grad-accum: expected a whole number >= 1"),
    (["--train-limit", "0"], "--train-limit: expected a whole number >= 1"),
    (["--lr", "-1"], "--lr: expected a number >= 0, got '-1'"),
    (["--lr", "nan"], "--lr: expected a number >= 0"),
    (["--epochs", "0"], "--epochs: expected a whole number >= 1"),  # was: "No such file ... history.json"
    (["--warmup", "2"], "--warmup: expected a number from 0 to 1"),
    (["--patience", "0"], "--patience: expected a whole number >= 1"),
    (["--max-length", "1"], "--max-length: expected a whole number >= 2"),
]


@pytest.mark.parametrize("flags, fragment", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_a_bad_number_is_refused_by_its_flag(flags, fragment, tiny_bert, tiny_ner, tmp_path,
                                             nothing_loaded, capsys):
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert,
                          "--output", str(tmp_path / "run"), *flags], capsys)
    assert code == 2 and "error: argument " + fragment in err[-1]
    assert not (tmp_path / "run").exists()


def test_the_config_refuses_what_the_flags_refuse(tiny_bert):
    """Notebooks build configs without the CLI: the same bounds apply (declared once)."""
    from helpers.recipe import ClassifyConfig, NerConfig

    with pytest.raises(ValueError, match="batch_size=0: expected a whole number >= 1"):
        NerConfig(batch_size=0)
    with pytest.raises(ValueError, match="dropout=1.5: expected a number from 0 to 1"):
        ClassifyConfig(dropout=1.5)
    assert NerConfig(lr=0.0, train_limit=None).lr == 0.0  # lr 0 and "no limit" stay allowed


def test_a_folder_as_a_data_file_is_one_error_line(tiny_bert, tiny_ner, tmp_path, nothing_loaded,
                                                   capsys):
    code, err = run_main(["ner", "--train", str(tmp_path), "--validation",
                          str(tiny_ner["validation"]), "--model", tiny_bert], capsys)
    assert code == 2 and err[-1].endswith(f"error: argument --train: {tmp_path} is a folder; "
                                          "expected a data file (or a hub name: conll2003, "
                                          "eriktks/conll2003)")
    code, err = run_main(["ner", *data_flags(tiny_ner), "--test", str(tmp_path / "no.conll"),
                          "--model", tiny_bert], capsys)
    assert code == 2 and err[-1].endswith(f"error: argument --test: {tmp_path / 'no.conll'}: "
                                          "no such file")


def test_an_output_that_is_a_file_is_refused_before_training(tiny_bert, tiny_ner, tmp_path,
                                                             nothing_loaded, capsys):
    """Was: the run trained a whole epoch, then failed writing best/ into a file."""
    taken = tmp_path / "taken.txt"
    taken.write_text("a file the user keeps\n")
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert,
                          "--output", str(taken)], capsys)
    assert code == 2 and "error: argument --output:" in err[-1] and "is a file" in err[-1]
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert,
                          "--output", str(taken / "run")], capsys)
    assert code == 2 and "error: argument --output:" in err[-1] and "is a file" in err[-1]
    assert taken.read_text() == "a file the user keeps\n"


@pytest.mark.parametrize("model", ["./no/such/model", "no/such/model/best", "~/no-such-model-xyz"])
def test_a_model_path_that_does_not_exist_is_an_error_not_the_bundled_minilm(
        model, tiny_ner, tmp_path, nothing_loaded, capsys):
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", model,
                          "--output", str(tmp_path / "run")], capsys)
    assert code == 1 and err[-1].startswith("error: ") and repr(model) in err[-1]
    assert "no such folder" in err[-1] and not (tmp_path / "run").exists()


def test_a_folder_that_is_not_a_model_is_an_error(tiny_ner, tmp_path, nothing_loaded, capsys):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a model\n")
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", str(tmp_path / "notes")], capsys)
    assert code == 1 and err[-1].startswith("error: ") and "holds no config.json" in err[-1]


def test_the_run_config_names_the_model_that_really_loads(tiny_ner, capsys):
    """Offline, a hub id falls back to the bundled MiniLM as designed; the config says so."""
    args = cli.build_parser().parse_args(["ner", *data_flags(tiny_ner), "--model", "bert-base-cased"])
    assert cli.config_from(args).model == hub.BUNDLED_MODEL
    assert cli.settle(args).model == hub.BUNDLED_MODEL
    assert "bert-base-cased cannot be downloaded, so the bundled all-MiniLM-L6-v2 is used instead" \
        in capsys.readouterr().err


@pytest.mark.parametrize("variable, value, fragment", [
    ("COURSE_THREADS", "two", "COURSE_THREADS='two' is not a whole number >= 1"),
    ("COURSE_PRECISION", "fp8", "COURSE_PRECISION='fp8' is not a precision"),
])
def test_a_bad_environment_variable_is_one_error_line(variable, value, fragment, tiny_bert, tiny_ner,
                                                      clean_env, nothing_loaded, capsys):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    clean_env.setenv(variable, value)
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert], capsys)
    assert code == 1 and err[-1].startswith("error: " + fragment)


def test_a_max_length_beyond_the_model_is_refused(tiny_bert, tiny_ner, nothing_loaded, capsys):
    """The tiny BERT has 128 positions; a longer --max-length would fail mid-run on a long text."""
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert, "--max-length", "129"],
                         capsys)
    assert code == 1 and err[-1].startswith("error: --max-length 129: ") and "at most 128" in err[-1]


def test_precision_flag_and_variable_ignore_case(tiny_bert, tiny_ner, clean_env):
    clean_env.setenv("HF_HUB_OFFLINE", "1")
    args = cli.build_parser().parse_args(["ner", *data_flags(tiny_ner), "--model", tiny_bert,
                                          "--precision", "FP32"])
    assert args.precision == "fp32"


@pytest.mark.parametrize("bad", [
    ["--model", "./no/such/model"],
    ["--train", "."],
    ["--batch-size", "0"],
    ["--output", "{tmp}/taken.txt"],
    ["--model", "data"],
    ["env:COURSE_THREADS=two"],
], ids=lambda bad: " ".join(bad))
def test_the_command_line_refuses_bad_settings_at_once(bad, tmp_path):
    """A real ``python -m helpers.train``: a non-zero exit with one ``error:`` line, no traceback,
    in seconds (loosely bounded: the machine may be busy)."""
    (tmp_path / "taken.txt").write_text("a file the user keeps\n")
    bad = [item.replace("{tmp}", str(tmp_path)) for item in bad]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    flags = {"--train": "data/health_ner/train.conll", "--validation": "data/health_ner/dev.conll",
             "--output": str(tmp_path / "run"), "--epochs": "1", "--train-limit": "8"}
    for item in bad:
        if item.startswith("env:"):
            env.update([item[4:].split("=", 1)])
    flags.update(zip(bad[::2], bad[1::2]) if not bad[0].startswith("env:") else {})
    command = [sys.executable, "-m", "helpers.train", "ner"] + [w for kv in flags.items() for w in kv]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode in (1, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "error: " in lines[-1]
    assert sum("error: " in line for line in lines) == 1 and done.stdout == ""
    assert seconds < 10, f"took {seconds:.1f} s"
    assert not (tmp_path / "run").exists()
    assert (tmp_path / "taken.txt").read_text() == "a file the user keeps\n"


def test_a_good_command_line_still_trains(tiny_bert, tiny_ner, tmp_path, capsys):
    """The checks refuse only bad settings: a local model folder trains and is recorded as given."""
    code = cli.main(["ner", *data_flags(tiny_ner), "--model", tiny_bert, "--epochs", "1",
                     "--batch-size", "8", "--train-limit", "16", "--output", str(tmp_path / "ok")])
    assert code == 0
    saved = json.loads((tmp_path / "ok" / "best" / "run_config.json").read_text())
    assert saved["model"] == tiny_bert and saved["train_limit"] == 16
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["dev_f1"] >= 0.0


def test_max_length_where_no_labelled_word_fits_says_so(tiny_bert, tiny_ner, tmp_path):
    """Was: "the loss became nan ... lower the learning rate"; the cause is max_length."""
    from helpers.formats import read_conll
    from helpers.recipe import NerConfig
    from helpers.tagging import iob2_labels
    from helpers.train import TrainingStopped

    splits = {name: read_conll(path, iob2_labels()) for name, path in tiny_ner.items()}
    config = NerConfig(model=tiny_bert, output_dir=str(tmp_path / "run"), epochs=1, max_length=2,
                       batch_size=8)
    with pytest.raises(TrainingStopped, match=r"no labelled word.*max_length=2.*of \d+ labelled "
                                              r"words lost.*larger max_length") as caught:
        ner.train_ner(config, splits)
    assert "learning rate" not in str(caught.value)
    assert not (tmp_path / "run").exists()


def test_classify_flags_are_checked_too(tiny_bert, tmp_path, nothing_loaded, capsys):
    files = ["--train", str(FEEDBACK / "train.tsv"), "--validation", str(FEEDBACK / "dev.tsv")]
    for flags, fragment in ((["--dropout", "1.5"], "--dropout: expected a number from 0 to 1"),
                            (["--lora-r", "0"], "--lora-r: expected a whole number >= 1"),
                            (["--upper-layers", "-1"], "--upper-layers: expected a whole number >= 0")):
        code, err = run_main(["classify", *files, "--model", tiny_bert, *flags], capsys)
        assert code == 2 and "error: argument " + fragment in err[-1]


def test_a_good_classify_command_line_still_trains(tiny_bert, tmp_path, capsys):
    code = cli.main(["classify", "--train", str(FEEDBACK / "train.tsv"), "--validation",
                     str(FEEDBACK / "dev.tsv"), "--model", tiny_bert, "--epochs", "1",
                     "--train-limit", "16", "--batch-size", "8", "--precision", "FP32",
                     "--output", str(tmp_path / "ok")])
    assert code == 0
    saved = json.loads((tmp_path / "ok" / "best" / "run_config.json").read_text())
    assert (saved["model"], saved["precision"], saved["train_limit"]) == (tiny_bert, "fp32", 16)


# ------------------------------------------------------------------ the benchmarks by name
def test_train_conll2003_by_name_reads_the_local_benchmark_files(tiny_bert, tiny_benchmarks,
                                                                 tmp_path, monkeypatch, capsys):
    """``--train conll2003`` offline: the files under $COURSE_BENCHMARKS, no --validation needed."""
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tiny_benchmarks))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = cli.main(["ner", "--train", "conll2003", "--model", tiny_bert, "--epochs", "1",
                     "--batch-size", "8", "--train-limit", "16", "--output", str(tmp_path / "run")])
    assert code == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= line["dev_f1"] <= 1.0 and "test_f1" not in line  # no test.txt: held out
    labels = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["id2label"]
    assert list(labels.values()) == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
                                     "B-MISC", "I-MISC"]


def test_train_sst2_by_name_reads_the_local_benchmark_file(tiny_bert, tiny_benchmarks, tmp_path,
                                                           monkeypatch, capsys):
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tiny_benchmarks))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = cli.main(["classify", "--train", "sst2", "--model", tiny_bert, "--epochs", "1",
                     "--batch-size", "8", "--train-limit", "16", "--output", str(tmp_path / "run")])
    assert code == 0
    assert 0.0 <= json.loads(capsys.readouterr().out.strip().splitlines()[-1])["dev_accuracy"] <= 1.0


@pytest.mark.parametrize("task, name", [("ner", "conll2003"), ("classify", "sst2")])
def test_a_benchmark_that_is_not_here_is_one_error_line(task, name, tiny_bert, tmp_path, monkeypatch,
                                                        capsys):
    """Offline without the files: one ``error:`` line saying where it looked and what to do; no
    other corpus trained in its place."""
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, err = run_main([task, "--train", name, "--model", tiny_bert, "--output",
                          str(tmp_path / "run")], capsys)
    assert code == 1 and err[-1].startswith("error: ") and "is not available here: no " in err[-1]
    assert str(tmp_path / "empty") in err[-1] and "COURSE_BENCHMARKS" in err[-1]
    assert "Traceback" not in "\n".join(err) and not (tmp_path / "run").exists()


# ------------------------------------------------------------------ a run never replaces another unasked
def test_a_second_run_into_a_folder_with_a_model_is_refused_unless_asked(tiny_bert, tiny_ner,
                                                                         tmp_path, capsys):
    """--output on a folder holding another run's best/ (here from another task and model) used to
    overwrite it silently; now it is refused, naming the run there, and --replace replaces it."""
    out = tmp_path / "run"
    first = ["classify", "--train", str(FEEDBACK / "train.tsv"), "--validation", str(FEEDBACK / "dev.tsv"),
             "--model", tiny_bert, "--epochs", "1", "--train-limit", "16", "--batch-size", "8",
             "--output", str(out)]
    assert run_main(first, capsys)[0] == 0
    kept = (out / "best" / "model.safetensors").read_bytes()
    second = ["ner", *data_flags(tiny_ner), "--model", tiny_bert, "--epochs", "1", "--output", str(out)]
    code, err = run_main(second, capsys)
    assert code == 2 and len([line for line in err if "error:" in line]) == 1
    assert f"{out} holds the model of a classify run of {tiny_bert}" in err[-1]
    assert "dev f1" in err[-1] and "--replace" in err[-1]
    assert (out / "best" / "model.safetensors").read_bytes() == kept
    assert run_main([*second, "--replace"], capsys)[0] == 0
    assert json.loads((out / "best" / "run_config.json").read_text())["task"] == "ner"


def test_resume_without_a_saved_state_is_refused(tiny_bert, tiny_ner, tmp_path, nothing_loaded, capsys):
    """--resume with no last/ used to say "starting fresh" and replace the finished run's model."""
    out = tmp_path / "run"
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert, "--output", str(out),
                          "--resume"], capsys)
    assert code == 2 and f"error: argument --resume: {out / 'last'} holds no saved state" in err[-1]
    assert not out.exists()


# ------------------------------------------------------------------ one error line, never a traceback
@pytest.mark.parametrize("argv, said", [
    (["curve", "--sizes", "100,200"], "argument --sizes: [100, 200]: expected at least 3 distinct sizes"),
    (["ner", "--types", "SYMPTOM,SYMPTOM"], "argument --types: 'SYMPTOM,SYMPTOM': expected distinct names"),
    (["classify", "--labels", "0,0"], "argument --labels: '0,0': expected distinct names"),
])
def test_lists_are_checked_before_anything_trains(argv, said, tiny_bert, tiny_ner, tmp_path, nothing_loaded,
                                                  capsys):
    code, err = run_main([argv[0], *data_flags(tiny_ner), "--model", tiny_bert, "--output",
                          str(tmp_path / "run"), *argv[1:]], capsys)
    assert code == 2 and said in err[-1] and not any("Traceback" in line for line in err)


def test_an_output_folder_that_cannot_be_written_is_found_before_training(
        tiny_bert, tiny_ner, tmp_path, nothing_loaded, monkeypatch, capsys):
    """The disk is simulated full at the operating system's seam (creating a file says ENOSPC)."""
    import errno
    import tempfile

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    code, err = run_main(["ner", *data_flags(tiny_ner), "--model", tiny_bert, "--output",
                          str(tmp_path / "run")], capsys)
    assert code == 2 and "cannot be written" in err[-1] and "No space left on device" in err[-1]


def test_ctrl_c_is_one_line_after_the_save(tiny_bert, tiny_ner, tmp_path):
    """Ctrl-C saved the state, then printed a 30-line KeyboardInterrupt traceback."""
    out = tmp_path / "run"
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO), COURSE_TEST_CTRL_C="0:3")
    done = subprocess.run([sys.executable, str(REPO / "tests" / "launched.py"), "ner", *data_flags(tiny_ner),
                           "--model", tiny_bert, "--epochs", "2", "--batch-size", "4", "--output", str(out)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert done.returncode == 130, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and done.stderr.strip().splitlines()[-1] == \
        "error: interrupted (Ctrl-C)"
    assert (out / "last").is_dir() and "state saved to" in done.stdout + done.stderr


@pytest.mark.parametrize("variable, value, said", [
    ("COURSE_SEED", str(2**32), "COURSE_SEED='4294967296' is not a whole number from 0 to"),
    ("COURSE_BRIEF", "no/such/brief.json", "COURSE_BRIEF='no/such/brief.json': no such file"),
])
def test_a_bad_environment_variable_is_named(monkeypatch, variable, value, said):
    from helpers import brief, env

    monkeypatch.setenv(variable, value)
    with pytest.raises((ValueError, FileNotFoundError)) as raised:
        env.course_seed() if variable == "COURSE_SEED" else brief.load_brief()
    assert said in str(raised.value)
