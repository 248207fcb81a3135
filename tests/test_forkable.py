"""What a fork or a workshop needs (issue 18): the GitHub workflows parse and call only what
exists, the canary is a Makefile target that runs the same tests, Binder's configuration is
complete, the licences, the citation, the changelog, the contributor and instructor guides."""

from __future__ import annotations

import re
import stat

import pytest
import yaml

from helpers.env import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9_-]*):(?!=)", text, re.M))


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def run_lines(data: dict) -> list[str]:
    return [line.strip() for job in data["jobs"].values() for step in job["steps"]
            if "run" in step for line in step["run"].splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["ci.yml", "canary.yml"])
def test_each_workflow_parses_and_calls_only_make_targets_that_exist(name):
    data = workflow(name)
    assert "workflow_dispatch" in data["on"]
    for job in data["jobs"].values():
        assert job["runs-on"].startswith("ubuntu") and job["timeout-minutes"] <= 90
        python = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
        assert python and python[0]["with"]["python-version"] == "3.11"
    called = {target for line in run_lines(data) for target in re.findall(r"\bmake (\w[\w-]*)", line)}
    assert called <= makefile_targets(), called - makefile_targets()
    for script in re.findall(r"bash (\S+)", " ".join(run_lines(data))):
        assert (REPO_ROOT / script).is_file(), script


def test_ci_workflow_runs_exactly_ci_run_on_pushes_and_pull_requests_with_a_pip_cache():
    data = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    assert run_lines(data) == ["bash .ci/run"]
    [setup] = [s for s in data["jobs"]["course"]["steps"] if "setup-python" in s.get("uses", "")]
    assert setup["with"]["cache"] == "pip" and "constraints.txt" in setup["with"]["cache-dependency-path"]
    assert "download.pytorch.org/whl/cpu" in data["jobs"]["course"]["env"]["TORCH_PIP_ARGS"]


def test_canary_runs_weekly_the_newest_releases_through_make_canary():
    data = workflow("canary.yml")
    [schedule] = data["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5 and schedule["cron"].split()[4] != "*"  # weekly
    assert "make canary" in run_lines(data)
    assert data["jobs"]["canary"]["env"]["CANARY_TORCH"] == "torch"  # unpinned: the newest
    script = (REPO_ROOT / ".ci" / "canary").read_text(encoding="utf-8")
    for package in ("transformers", "datasets", "accelerate", "peft", "seqeval"):
        assert package in script.split("NEWEST=")[1].splitlines()[0]
    # the same tests as make test: unit tests with doctests, every notebook under nbval, smoke
    assert "tests helpers --doctest-modules" in script and "notebooks --nbval-lax" in script
    assert "COURSE_PROFILE=smoke" in script and "HF_HUB_OFFLINE=1" in script


def test_binder_builds_the_pinned_cpu_set_and_starts_in_smoke():
    binder = REPO_ROOT / "binder"
    env = yaml.safe_load((binder / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert any("download.pytorch.org/whl/cpu" in line for line in pip) and "torch==2.13.0" in pip
    for script in ("postBuild", "start"):
        assert (binder / script).stat().st_mode & stat.S_IXUSR, f"binder/{script} not executable"
    assert "-c constraints.txt -e" in (binder / "postBuild").read_text(encoding="utf-8")
    start = (binder / "start").read_text(encoding="utf-8")
    assert 'COURSE_PROFILE="${COURSE_PROFILE:-smoke}"' in start and 'exec "$@"' in start
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "https://mybinder.org/badge_logo.svg" in readme


def test_licences_citation_and_changelog():
    assert (REPO_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    content = (REPO_ROOT / "LICENSE-CONTENT.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in content and "creativecommons.org/licenses/by/4.0" in content
    for datasheet in sorted((REPO_ROOT / "data").glob("*/README.md")):
        assert "## Licence" in datasheet.read_text(encoding="utf-8"), datasheet
    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    for key in ("title", "authors", "version", "date-released", "repository-code"):
        assert citation[key], key
    assert (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")


def test_contributing_and_instructor_guides_say_what_they_must():
    contributing = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needed in ("notebooks/TEMPLATE.ipynb", "SETUP_CELL", "course.report", "helpers/exercises/",
                   "lessons/NN_name.md", "README.md", "make lint", "make test", "make strip",
                   "make_corpus.py", "make canary"):
        assert needed in contributing, needed
    guide = (REPO_ROOT / "lessons" / "instructor.md").read_text(encoding="utf-8")
    for needed in ("half-day", "two-day", "Runtime type", "Pre-install", "Pre-trained checkpoints",
                   "out of memory", "hub", "drift"):
        assert needed.lower() in guide.lower(), needed
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "lessons/instructor.md" in readme and "CONTRIBUTING.md" in readme
