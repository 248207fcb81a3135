"""helpers/course.py: notebook runner, key results, the plan table."""

from __future__ import annotations

from dataclasses import replace

import nbformat
import pytest

from helpers import course, env, hub


def _notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_run_notebook_reads_back_key_results(tmp_path):
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(_notebook("from helpers.course import report",
                             "report(dev_f1=0.5, model='tiny')"), path)
    seconds, results, error = course.run_notebook(path, tmp_path / "out", timeout=120)
    assert error == "" and results == {"dev_f1": 0.5, "model": "tiny"}
    assert seconds > 0 and (tmp_path / "out" / "99_demo.ipynb").is_file()


def test_run_notebook_reports_the_failing_error(tmp_path):
    path = tmp_path / "98_broken.ipynb"
    nbformat.write(_notebook("raise ValueError('data/x.conll:3: expected 2 columns')"), path)
    _, _, error = course.run_notebook(path, tmp_path / "out", timeout=120)
    assert "ValueError" in error and "expected 2 columns" in error
    assert "\x1b" not in error  # no terminal colour codes in the table


def test_run_notebook_kernel_uses_ipc_not_tcp(tmp_path, capfd):
    path = tmp_path / "97_transport.ipynb"
    nbformat.write(_notebook("from helpers.course import report", "report(ran=1)"), path)
    _, results, error = course.run_notebook(path, tmp_path / "out", timeout=120)
    assert error == "" and results
    assert "running over TCP without encryption" not in capfd.readouterr().err


def test_main_prints_a_table_and_fails_on_a_failed_notebook(tmp_path, capsys):
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    nbformat.write(_notebook("from helpers.course import report", "report(f1=0.9)"), good)
    nbformat.write(_notebook("1/0"), bad)
    code = course.main(["run", str(good), str(bad), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "01_good.ipynb" in out and "f1=0.9" in out and "FAILED" in out and "total" in out


def test_notebook_paths_are_the_story_in_order_then_the_appendices():
    names = [p.name for p in course.notebook_paths()]
    assert names == sorted(names) and names[0] == "00_setup.ipynb"  # digits sort before "A"
    assert names[-1] == "A1_benchmarks.ipynb" and "TEMPLATE.ipynb" not in names
    appendices = [n for n in names if n.startswith("A")]
    assert names[-len(appendices):] == appendices


@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
@pytest.mark.parametrize("online", [False, True])
def test_plan_uses_the_course_corpora_on_every_machine(monkeypatch, profile, online):
    """One story: the hub and the profile change the model, never the data."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.CourseEnv(profile=env.get_profile(profile), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=online,
                        online_reason="", model=hub.resolve_model("minilm"))
    rows = {r["notebook"]: r for r in course.plan(cfg, samples_per_second=100.0)}
    assert rows["04_finetune_ner"]["data"] == "data/health_ner"
    assert rows["06_text_classification"]["data"] == "data/app_feedback"
    assert rows["00_setup"]["status"] == "ready"
    assert rows["01_market_framing"]["training (est.)"] == "no training"


def test_plan_estimate_arithmetic(monkeypatch):
    cfg = env.CourseEnv(profile=env.get_profile("smoke"), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=False,
                        online_reason="", model=hub.resolve_model("minilm"))
    rows = {r["notebook"]: r for r in course.plan(cfg, samples_per_second=40.0)}
    # smoke: the main run on 400 sentences, then alone and with context on the 200 of the
    # experiments' slice: (400 + 2 x 200) x 3 epochs / 40 per second = 60 s
    assert rows["04_finetune_ner"]["training (est.)"] == "400 + 200 x 2 runs x 3 epochs ≈ 60 s"
    # notebook 06: the main run, then the reference and five variants (head, upper, LoRA, no
    # regularisation, augmentation) on 200 texts: (400 + 6 x 200) x 3 / 40 = 120 s
    assert rows["06_text_classification"]["training (est.)"] == "400 + 200 x 6 runs x 3 epochs ≈ 2 min"
    rows = {r["notebook"]: r for r in course.plan(replace(cfg, profile=env.get_profile("full")), 40.0)}
    # full: no slice, so the main run is the reference: (2,000 + 5 x 2,000) x 3 / 40 = 900 s
    assert rows["06_text_classification"]["training (est.)"] == "2,000 + 2,000 x 5 runs x 3 epochs ≈ 15 min"


def test_course_corpus_sizes_are_counted_from_the_files():
    from helpers import corpora

    assert course.course_train_size("health_ner") == len(corpora.load_health_ner()["train"])
    assert course.course_train_size("app_feedback") == len(corpora.load_app_feedback()["train"])


def test_colab_badge_points_at_the_notebook():
    badge = course.colab_badge("00_setup.ipynb")
    assert f"github/{course.GITHUB_SLUG}/blob/main/notebooks/00_setup.ipynb" in badge


def _cfg(profile, source="bundled"):
    from types import SimpleNamespace as NS

    return NS(profile=NS(name=profile), model=NS(source=source))


def test_check_result_asserts_the_measured_floor(monkeypatch, capsys):
    monkeypatch.setitem(course.EXPECTED, ("x_f1", "cpu"), course.Expected(0.80, 0.90, "3 seeds"))
    assert course.check_result("x_f1", "dev F1", 0.85, _cfg("cpu")) == "in range"
    assert "expected between 0.8 and 0.9 in the 'cpu' profile (3 seeds)" in capsys.readouterr().out
    assert course.check_result("x_f1", "dev F1", 0.95, _cfg("cpu")) == "above range"
    with pytest.raises(AssertionError, match="below 0.8, the floor measured"):
        course.check_result("x_f1", "dev F1", 0.79, _cfg("cpu"))


def test_check_result_without_a_measured_range_only_checks_learning(monkeypatch):
    monkeypatch.setitem(course.EXPECTED, ("x_f1", "cpu"), course.Expected(0.80, 0.90, "3 seeds"))
    # another model (hub or local folder) or another profile: the range does not apply
    assert course.check_result("x_f1", "F1", 0.6, _cfg("cpu", "hub")) == "no measured range"
    assert course.check_result("x_f1", "F1", 0.6, _cfg("cpu", "local")) == "no measured range"
    assert course.check_result("x_f1", "F1", 0.6, _cfg("full")) == "no measured range"
    with pytest.raises(AssertionError, match="no better than guessing"):
        course.check_result("x_acc", "accuracy", 0.5, _cfg("full"), learned_above=0.5)


def test_every_measured_range_is_a_range():
    for (name, profile), expected in course.EXPECTED.items():
        assert profile in env.PROFILES and 0 < expected.low < expected.high <= 1, name
        assert "seed" in expected.measured, name


def test_the_notebooks_checks_have_measured_ranges_in_smoke_and_cpu():
    """The names notebooks 04, 06 and 07 pass to check_result (f"ner_{name}_f1" for dev and test,
    "ner_test_f1_corrected") must have ranges for both profiles, or a typo would silently skip
    the floor."""
    import json
    import re

    names = set()
    for path in course.notebook_paths():
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        for pattern in re.findall(r'check_result\(f?"([a-z0-9_{}]+)"', text):
            names |= {pattern.replace("{name}", split) for split in ("dev", "test")}
    assert names == {"ner_dev_f1", "ner_test_f1", "feedback_dev_accuracy", "feedback_test_accuracy",
                     "ner_test_f1_corrected"}
    for name in names:
        for profile in ("smoke", "cpu"):
            assert (name, profile) in course.EXPECTED, (name, profile)


def test_measured_times_cover_every_path_and_mark_this_machine(monkeypatch):
    """Notebook 00's table: every learner path, measured or said not to be; no GPU row has a
    number until a GPU measured it."""
    monkeypatch.setitem(env.COURSE_TIMES, ("cpu", "cpu", "fp32"),
                        env.Measured(600.0, "all-MiniLM-L6-v2 (bundled)", "a 2-core CPU"))
    cfg = env.CourseEnv(profile=env.get_profile("cpu"), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=False, online_reason="",
                        model=hub.resolve_model("minilm"))
    rows = {row["path"]: row for row in course.measured_times(cfg)}
    assert len(rows) == len(env.PATHS)
    assert rows["cpu · cpu · fp32"]["make course"] == "10 min"
    assert rows["cpu · cpu · fp32"]["here"] == "← this machine"
    assert sum(row["here"] != "" for row in rows.values()) == 1
    assert "10 min measured (a 2-core CPU)" in env.expected_time("cpu", "cpu", "fp32")
    assert "not measured" in env.expected_time("cpu", "cpu", "fp32", model_source="hub")
