"""The repository's promises: two README commands, CI runs the test command, pinned installs."""

from __future__ import annotations

import re

import yaml

from helpers.env import REPO_ROOT


def read(name: str) -> str:
    return (REPO_ROOT / name).read_text(encoding="utf-8")


def test_layout_of_the_design_card():
    for name in ("environment.yml", "notebooks", "lessons", "helpers", "data", "tests",
                 "README.md", "pyproject.toml", "Makefile", ".ci/run", "constraints.txt"):
        assert (REPO_ROOT / name).exists(), name


def test_ci_runs_both_readme_commands_and_the_rehearsal():
    """CI runs the tests and then the course itself, in the default profile (no
    COURSE_PROFILE set), so `make course` on a new machine is checked too; then the `full`
    profile's rehearsal, so the GPU path has run before a learner takes it."""
    readme, ci = read("README.md"), read(".ci/run")
    assert "make test" in readme and "make course" in readme
    assert re.search(r"^make test$", ci, re.M) and re.search(r"^make course$", ci, re.M)
    assert ci.index("make test") < ci.index("make course") and "COURSE_PROFILE" not in ci
    assert re.search(r"^make rehearse$", ci, re.M)


def test_make_installs_pinned_cpu_torch_before_everything_else():
    makefile = read("Makefile")
    torch_line = makefile.index('pip install --quiet "torch==$(TORCH_VERSION)"')
    rest_line = makefile.index("pip install --quiet -c constraints.txt")
    assert torch_line < rest_line
    assert "TORCH_VERSION ?= 2.13.0" in makefile


def test_tests_run_offline_in_the_smoke_profile():
    makefile = read("Makefile")
    env_line = next(line for line in makefile.splitlines() if line.startswith("TEST_ENV"))
    for setting in ("HF_HUB_OFFLINE=1", "HF_DATASETS_OFFLINE=1", "COURSE_PROFILE=smoke"):
        assert setting in env_line
    assert "--nbval-lax" in makefile and "--nbval-current-env" in makefile


def test_environment_yml_installs_the_same_pinned_set():
    spec = yaml.safe_load(read("environment.yml"))
    deps = spec["dependencies"]
    assert any(str(d).startswith("python=3.11") for d in deps)
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-c constraints.txt" in pip and any(p.startswith("-e .") for p in pip)
    assert "torch==2.13.0" in pip


def test_nothing_generated_is_tracked():
    ignored = read(".gitignore")
    for pattern in (".venv/", "build/", "__pycache__/", "*.safetensors"):
        assert pattern in ignored


def test_data_folder_has_a_readme():
    assert (REPO_ROOT / "data" / "README.md").is_file()


def test_make_test_lints_first_and_pre_commit_strips_and_lints():
    makefile = read("Makefile")
    assert re.search(r"^test: \$\(STAMP\) lint$", makefile, re.M)
    assert re.search(r"^lint: .*\n\t.*ruff check helpers tests benchmarks notebooks$", makefile, re.M)
    hooks = {hook["id"]: repo["rev"] for repo in yaml.safe_load(read(".pre-commit-config.yaml"))["repos"]
             for hook in repo["hooks"]}
    assert set(hooks) == {"nbstripout", "ruff"}
    pins = dict(line.split("==") for line in read("constraints.txt").splitlines() if "==" in line)
    assert hooks["ruff"] == "v" + pins["ruff"] and hooks["nbstripout"] == pins["nbstripout"]
    lint = read("pyproject.toml").split("[tool.ruff.lint]")[1]
    for family in ('"F"', '"E"', '"I"', '"B"', '"UP"'):
        assert family in lint
