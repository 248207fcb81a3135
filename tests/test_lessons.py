"""lessons/: one lesson per notebook, each linking to its notebook; every relative link in the
lessons and the README resolves; the README links the syllabus."""

from __future__ import annotations

import re

import pytest

from helpers.course import notebook_paths
from helpers.env import REPO_ROOT

LESSONS = REPO_ROOT / "lessons"
NOTEBOOKS = notebook_paths()  # the story's 00-08 and the appendices (A1_...)
MARKDOWN = sorted(LESSONS.rglob("*.md")) + [REPO_ROOT / "README.md",
                                           REPO_ROOT / "data" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_a_lesson_that_links_back(notebook):
    lesson = LESSONS / f"{notebook.stem}.md"
    assert lesson.is_file(), f"missing {lesson.relative_to(REPO_ROOT)}"
    assert f"../notebooks/{notebook.name}" in lesson.read_text(encoding="utf-8")


@pytest.mark.parametrize("lesson", sorted([*LESSONS.glob("[0-9][0-9]_*.md"), *LESSONS.glob("A[0-9]_*.md")]),
                         ids=lambda p: p.name)
def test_every_lesson_has_its_notebook_and_sections(lesson):
    assert (REPO_ROOT / "notebooks" / f"{lesson.stem}.ipynb").is_file()
    text = lesson.read_text(encoding="utf-8")
    for section in ("## Learning objectives", "## Why", "## Pitfalls", "## Exercises",
                    "## Further reading", "**Time:**", "**Prerequisites:**"):
        assert section in text, f"{lesson.name} lacks {section}"


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.relative_to(REPO_ROOT)} links to missing {target}"
        if anchor and resolved.suffix == ".md":
            headings = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
                        for h in re.findall(r"^#+ (.+)$", resolved.read_text(encoding="utf-8"),
                                            re.M)}
            assert anchor in headings, f"{page.name}: no heading for #{anchor} in {resolved.name}"


def test_syllabus_lists_every_lesson_and_readme_links_it():
    syllabus = (LESSONS / "README.md").read_text(encoding="utf-8")
    for notebook in NOTEBOOKS:
        assert f"({notebook.stem}.md)" in syllabus, notebook.stem
    assert "lessons/README.md" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert (LESSONS / "glossary.md").is_file() and (LESSONS / "founder" / "README.md").is_file()
