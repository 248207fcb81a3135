"""Every notebook, the story's (``NN_*``) and the appendices (``A1_*``): the shared setup cell, a
kernelspec nbval accepts, no stored outputs, a Colab badge, a lesson. notebooks/TEMPLATE.ipynb
(CONTRIBUTING.md) passes the same structural checks, so a notebook copied from it starts right.
The notebooks themselves, the template too, are executed by nbval (`make test`)."""

from __future__ import annotations

import json
import re

import pytest

from helpers.course import NOTEBOOKS, SETUP_CELL, colab_badge, notebook_paths
from helpers.env import REPO_ROOT

PATHS = notebook_paths()  # what `make course` runs: 00-08, then the appendices
TEMPLATE = NOTEBOOKS / "TEMPLATE.ipynb"
WITH_TEMPLATE = [*PATHS, TEMPLATE]


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert PATHS, "no notebooks found"
    assert sorted(NOTEBOOKS.glob("*.ipynb")) == sorted(WITH_TEMPLATE)  # no stray notebook


def test_the_template_has_a_badge_and_a_lesson_link_to_fill_in():
    first = "".join(_load(TEMPLATE)["cells"][0]["source"])
    assert first.startswith("# NN · ") and colab_badge("NN_name.ipynb") in first
    assert "../lessons/NN_name.md" in first and "env.setup()" in "".join(
        "".join(c["source"]) for c in _load(TEMPLATE)["cells"])


def test_the_story_comes_first_then_the_appendices():
    names = [p.name for p in PATHS]
    story = [n for n in names if n[:2].isdigit()]
    assert story and names[:len(story)] == sorted(story) and names[len(story):] == sorted(names[len(story):])
    assert "A1_benchmarks.ipynb" in names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_name_is_numbered_or_an_appendix(path):
    assert re.fullmatch(r"(\d\d|A\d)_[a-z0-9_]+\.ipynb", path.name)


@pytest.mark.parametrize("path", WITH_TEMPLATE, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == SETUP_CELL


@pytest.mark.parametrize("path", WITH_TEMPLATE, ids=lambda p: p.name)
def test_kernelspec_is_plain_python3(path):
    meta = _load(path)["metadata"]
    assert meta["kernelspec"]["name"] == "python3"
    assert meta["kernelspec"]["language"] == "python"


@pytest.mark.parametrize("path", WITH_TEMPLATE, ids=lambda p: p.name)
def test_no_stored_outputs(path):
    """Outputs are never committed: run `make strip` before committing."""
    for cell in _load(path)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name} has stored outputs; run `make strip`"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_title_badge_and_lesson_link(path):
    first = "".join(_load(path)["cells"][0]["source"])
    assert first.startswith("# ")
    assert colab_badge(path.name) in first
    lesson = f"../lessons/{path.stem}.md"
    assert lesson in first and (REPO_ROOT / "lessons" / f"{path.stem}.md").is_file()


@pytest.mark.parametrize("path", WITH_TEMPLATE, ids=lambda p: p.name)
def test_every_exercise_in_the_notebook_is_registered(path):
    from helpers.exercises.core import REGISTRY

    text = "".join("".join(c["source"]) for c in _load(path)["cells"])
    for key in re.findall(r'exercise\("([^"]+)"\)', text):
        assert key in REGISTRY, f"{path.name} uses unregistered exercise {key}"


@pytest.mark.parametrize("path", WITH_TEMPLATE, ids=lambda p: p.name)
def test_notebook_reports_a_key_result(path):
    text = "".join("".join(c["source"]) for c in _load(path)["cells"])
    assert "course.report(" in text


def test_readme_has_a_colab_badge_for_every_notebook():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for path in PATHS:
        assert colab_badge(path.name) in readme, path.name


def test_the_appendix_runs_top_to_bottom_without_the_benchmarks(tmp_path, monkeypatch):
    """No local files and no hub: A1 says why, trains nothing, still shows the references and
    the commands, and reports "not available" (nbval runs the path with the files)."""
    from helpers.course import run_notebook

    monkeypatch.setenv("COURSE_BENCHMARKS", str(tmp_path / "no-benchmarks"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    _, results, error = run_notebook(NOTEBOOKS / "A1_benchmarks.ipynb", tmp_path / "out", timeout=300)
    assert error == ""
    assert results["conll_source"] == results["sst2_source"] == "not available"
    assert results["conll_dev_f1"] == "skipped" and results["comparable"] is False
    text = (tmp_path / "out" / "A1_benchmarks.ipynb").read_text(encoding="utf-8")
    assert "Fallback, CoNLL-2003 is skipped" in text and "BERT paper" in text
    assert "python -m helpers.train ner --train conll2003" in text
