"""helpers/course.py: notebook runner, key results, the plan table."""

from __future__ import annotations

import nbformat
import pytest

from helpers import course, env


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


def test_main_prints_a_table_and_fails_on_a_failed_notebook(tmp_path, capsys):
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    nbformat.write(_notebook("from helpers.course import report", "report(f1=0.9)"), good)
    nbformat.write(_notebook("1/0"), bad)
    code = course.main(["run", str(good), str(bad), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "01_good.ipynb" in out and "f1=0.9" in out and "FAILED" in out and "total" in out


def test_notebook_paths_are_ordered_course_notebooks():
    names = [p.name for p in course.notebook_paths()]
    assert names == sorted(names) and "00_setup.ipynb" in names


@pytest.mark.parametrize("profile,online,expected", [
    ("smoke", True, "data/health_ner"),  # CI-sized runs use the course's own data
    ("cpu", False, "data/health_ner"),
    ("cpu", True, "CoNLL-2003 (hub)"),
])
def test_plan_picks_data_by_profile_and_hub(monkeypatch, profile, online, expected):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = env.CourseEnv(profile=env.get_profile(profile), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=online,
                        online_reason="", model=env.resolve_model("minilm"))
    rows = {r["notebook"]: r for r in course.plan(cfg, samples_per_second=100.0)}
    assert rows["04_finetune_ner"]["data"] == expected
    assert rows["00_setup"]["status"] == "ready"
    assert rows["01_market_framing"]["training (est.)"] == "no training"


def test_plan_estimate_arithmetic(monkeypatch):
    cfg = env.CourseEnv(profile=env.get_profile("smoke"), device="cpu", precision="fp32",
                        precision_reason="", threads=2, seed=0, online=False,
                        online_reason="", model=env.resolve_model("minilm"))
    rows = {r["notebook"]: r for r in course.plan(cfg, samples_per_second=40.0)}
    # smoke: 400 sentences x 3 epochs / 40 per second = 30 s
    assert rows["04_finetune_ner"]["training (est.)"] == "400 x 3 epochs ≈ 30 s"
    # four fine-tuning runs in the classification comparison: 120 s = 2 min
    assert rows["06_text_classification"]["training (est.)"].endswith("x 4 runs ≈ 2 min")


def test_colab_badge_points_at_the_notebook():
    badge = course.colab_badge("00_setup.ipynb")
    assert f"github/{course.GITHUB_SLUG}/blob/main/notebooks/00_setup.ipynb" in badge
