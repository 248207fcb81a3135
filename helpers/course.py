"""Run the course's notebooks headless, in order, and report each one's key result.

``make course`` calls ``python -m helpers.course run``: every ``notebooks/NN_*.ipynb``, then the
appendix ``A1_*.ipynb``, is executed with the current Python's kernel, the executed copy is
written to ``build/notebooks/``, and a table of wall time and key result is printed.

A notebook states its key result with ``report(...)``; the runner reads it back from the
executed notebook's output metadata, so nothing else is written to disk.

    >>> report(dev_f1=0.871)                           # doctest: +SKIP

Imports: ``corpora``, ``env``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.corpora import benchmark_plan
from helpers.env import COURSE_TIMES, PATHS, REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
BUILD = REPO_ROOT / "build"
METADATA_KEY = "lab_to_launch"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the colours of an IPython traceback
GITHUB_SLUG = "lab-to-launch/lab-to-launch"  # where the course is published (Colab badges)

# The first code cell of every notebook (tests/test_notebooks.py checks it is identical).
# On Colab it fetches the course and installs what Colab lacks (never torch); elsewhere it
# does nothing, since `make` has already installed the course into the environment.
SETUP_CELL = f"""\
# Setup: on Colab, fetch the course and install what Colab lacks; locally this does nothing.
import os
import sys

if "google.colab" in sys.modules and not os.path.isdir("/content/lab-to-launch"):
    !git clone -q --depth 1 https://github.com/{GITHUB_SLUG} /content/lab-to-launch
    !pip install -q -e /content/lab-to-launch
if "google.colab" in sys.modules:
    %cd /content/lab-to-launch/notebooks"""


def colab_badge(notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of ``notebooks/<notebook>``."""
    url = f"https://colab.research.google.com/github/{GITHUB_SLUG}/blob/main/notebooks/{notebook}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def report(**results: object) -> None:
    """Show a notebook's key results and tag them so ``make course`` can list them.

    Values are shown rounded; pass plain numbers or short strings.
    """
    from IPython.display import display

    text = ", ".join(f"{k} = {_fmt(v)}" for k, v in results.items())
    display({"text/plain": f"Key result: {text}",
             "text/html": f"<p><b>Key result:</b> {text}</p>"},
            raw=True, metadata={METADATA_KEY: {"key_results": results}})


@dataclass(frozen=True)
class Expected:
    """Where a result should land: ``low`` is the floor a notebook asserts (below the worst
    measured seed, with a margin), ``high`` the top of the range (above the best)."""

    low: float
    high: float
    measured: str  # what the range comes from: seeds, profile, machine, the results


# The results the notebooks assert, on the course's own corpora with the bundled MiniLM,
# measured with `COURSE_SEED=<seed> make course` (seeds 42, 1, 2) on the 2-core CI CPU
# (README, "Dev against test"). Floor: 0.05 below the worst seed; top: 0.04 above the best.
_SEEDS = "bf16 (AVX512-BF16 CPU), seeds 42/1/2 measured"
_FP32 = "fp32 (AVX2 CPU) seed 42:"
EXPECTED: dict[tuple[str, str], Expected] = {
    ("ner_dev_f1", "smoke"): Expected(0.69, 0.83, f"{_SEEDS} 0.782/0.759/0.749"),
    ("ner_test_f1", "smoke"): Expected(0.72, 0.84, f"{_SEEDS} 0.792/0.781/0.772"),
    ("ner_dev_f1", "cpu"): Expected(0.86, 0.97, f"{_SEEDS} 0.928/0.913/0.914; "
                                          f"{_FP32} 0.929"),
    ("ner_test_f1", "cpu"): Expected(0.85, 0.97, f"{_SEEDS} 0.923/0.909/0.907; "
                                          f"{_FP32} 0.921"),
    ("feedback_dev_accuracy", "smoke"): Expected(0.81, 0.92, f"{_SEEDS} 0.870/0.873/0.861"),
    ("feedback_test_accuracy", "smoke"): Expected(0.81, 0.94, f"{_SEEDS} 0.864/0.896/0.867"),
    ("feedback_dev_accuracy", "cpu"): Expected(0.87, 0.97, f"{_SEEDS} 0.925/0.925/0.922; "
                                          f"{_FP32} 0.925"),
    ("feedback_test_accuracy", "cpu"): Expected(0.86, 0.98, f"{_SEEDS} 0.928/0.936/0.916; "
                                          f"{_FP32} 0.925"),
    # notebook 07: retrained on the base training data plus the simulated users' corrections
    ("ner_test_f1_corrected", "smoke"): Expected(0.80, 0.92, f"{_SEEDS} 0.862/0.874/0.859"),
    ("ner_test_f1_corrected", "cpu"): Expected(0.86, 0.98, f"{_SEEDS} 0.932/0.936/0.915; "
                                          f"{_FP32} 0.941"),
}


def check_result(name: str, label: str, value: float, cfg, learned_above: float = 0.0) -> str:
    """Print ``value`` beside its expected range for this profile and stop the notebook if it
    is below the range's floor (the model did not learn as it should).

    The ranges were measured on the course's corpora (the data of every profile) with the
    bundled MiniLM. With another model (``$COURSE_MODEL``, or bert-base-cased in ``full``) no
    range was measured, so only "it learned" is checked: the value must beat ``learned_above``
    (what guessing scores).

    >>> from types import SimpleNamespace as NS
    >>> cfg = NS(profile=NS(name="smoke"), model=NS(source="hub"))
    >>> check_result("ner_dev_f1", "dev F1", 0.7, cfg)
    dev F1 0.700: no range measured for this model; it beats 0.0, so it learned
    'no measured range'
    """
    expected = EXPECTED.get((name, cfg.profile.name))
    if expected and cfg.model.source == "bundled":
        print(f"{label} {value:.3f}: expected between {expected.low} and {expected.high} in the "
              f"'{cfg.profile.name}' profile ({expected.measured})")
        if value < expected.low:
            raise AssertionError(f"{label} {value:.3f} is below {expected.low}, the floor "
                                 f"measured for this profile: the model did not learn as it "
                                 "should")
        if value > expected.high:
            print("  above the measured range: a better result than any measured seed")
        return "in range" if value <= expected.high else "above range"
    if value <= learned_above:
        raise AssertionError(f"{label} {value:.3f} is no better than guessing "
                             f"({learned_above}): the model did not learn")
    print(f"{label} {value:.3f}: no range measured for this model; it beats "
          f"{learned_above}, so it learned")
    return "no measured range"


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def key_results(notebook) -> dict:
    """Collect what ``report`` recorded in an executed notebook (a ``nbformat`` node)."""
    found: dict = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            found.update(output.get("metadata", {}).get(METADATA_KEY, {}).get("key_results", {}))
    return found


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The course notebooks in order, or those named: the story (``NN_*.ipynb``), then the
    appendices (``A1_*.ipynb``...).

    >>> [p.name for p in notebook_paths()][-1]
    'A1_benchmarks.ipynb'
    """
    if names:
        return [Path(n).resolve() for n in names]
    return [*sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), *sorted(NOTEBOOKS.glob("A[0-9]_*.ipynb"))]


def run_notebook(path: Path, out_dir: Path, timeout: int = 3600) -> tuple[float, dict, str]:
    """Execute one notebook; returns (wall seconds, key results, error or "").

    The kernel talks to this process over local IPC sockets, not TCP ports: nothing listens
    on the network, and the kernel has no "running over TCP without encryption" warning to
    give. The error is the traceback's last line, without its terminal colour codes.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    start, error = time.perf_counter(), ""
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=os.path.join(sockets, "kernel"))
        client = NotebookClient(nb, km=km, timeout=timeout,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except CellExecutionError as err:
            error = ANSI_ESCAPE.sub("", str(err)).strip().splitlines()[-1][:200]
        finally:
            if km.has_kernel:
                km.shutdown_kernel()
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return seconds, key_results(nb), error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.course",
                                     description="Run the course notebooks headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute notebooks in order and print a table")
    run.add_argument("notebooks", nargs="*",
                     help="paths (default: notebooks/NN_*.ipynb, then A[0-9]_*.ipynb)")
    run.add_argument("--profile", help="COURSE_PROFILE for the run (default: $COURSE_PROFILE "
                                       "or auto)")
    run.add_argument("--out", type=Path, default=BUILD / "notebooks")
    args = parser.parse_args(argv)

    if args.profile:
        os.environ["COURSE_PROFILE"] = args.profile
    paths = notebook_paths(args.notebooks)
    if not paths:
        print("no notebooks found under notebooks/", file=sys.stderr)
        return 1
    print(f"Running {len(paths)} notebook(s), profile {os.environ.get('COURSE_PROFILE', 'auto')}"
          f"; executed copies go to {args.out}")
    rows = []
    for path in paths:
        print(f"  {path.name} ...", flush=True)
        seconds, results, error = run_notebook(path, args.out)
        result = ", ".join(f"{k}={_fmt(v)}" for k, v in results.items())
        rows.append((path.name, seconds, f"FAILED: {error}" if error else result or "-"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  key result")
    for name, seconds, result in rows:
        print(f"{name:<{width}}  {seconds:8.1f}  {result}")
    print(f"{'total':<{width}}  {sum(r[1] for r in rows):8.1f}")
    return 1 if any(r[2].startswith("FAILED") for r in rows) else 0


# --------------------------------------------------------------------------- the plan (00_setup)
# name, what it does, data (the same on every machine), training corpus, fine-tuning runs of
# the whole training split, side experiments (``recipe.experiment_config``: on the profile's
# ``experiment_limit`` examples, plus a reference run on them when that is a slice)
PLAN = [
    ("00_setup", "check the environment", "-", None, 0, 0),
    ("01_market_framing", "score opportunities, size the market, write the brief",
     "your assumptions", None, 0, 0),
    ("02_dataset_building", "guideline, pre-labels, annotation, quality checks", "data/health_ner",
     None, 0, 0),
    ("03_tokenization_alignment", "WordPiece, word_ids, label alignment", "data/health_ner", None,
     0, 0),
    ("04_finetune_ner", "fine-tune BERT for NER", "data/health_ner", "health_ner", 1, 1),
    ("05_evaluate_ner", "strict/lenient/token metrics, error analysis, demo", "data/health_ner",
     None, 0, 0),
    ("06_text_classification", "app-feedback triage; full vs frozen vs LoRA", "data/app_feedback",
     "app_feedback", 1, 5),
    ("07_ship", "model card, latency and cost, service, web demo, corrections, retrain",
     "data/health_ner", "health_ner", 1, 0),
    ("08_iterate", "learning curve, labelling budget, active learning, SetFit", "data/health_ner",
     "health_ner", 3, 0),
    ("A1_benchmarks", "appendix: the loop on CoNLL-2003 and SST-2 against published numbers",
     "CoNLL-2003, SST-2 (benchmark files)", "benchmarks", 1, 0),
]
# Training rows of the benchmarks as the appendix uses them: CoNLL-2003's train split, and SST-2's
# train.tsv less the 872 held-out dev sentences with their phrases (README, Results).
BENCHMARK_TRAIN_ROWS = {"ner": 14041, "classify": 59213}


def course_train_size(corpus: str) -> int:
    """Training examples in one of the course's corpora, counted from its file in ``data/``:
    sentences of ``health_ner/train.conll``, rows of ``app_feedback/train.tsv``."""
    folder = REPO_ROOT / "data" / corpus
    if corpus == "health_ner":
        blocks = (folder / "train.conll").read_text(encoding="utf-8").strip().split("\n\n")
        return sum(not block.startswith("-DOCSTART-") for block in blocks)
    with open(folder / "train.tsv", encoding="utf-8") as rows:
        return sum(1 for _ in rows) - 1  # the header


def plan(cfg, samples_per_second: float) -> list[dict]:
    """Which data and model each notebook will use here, and a rough training-time estimate.

    ``cfg`` is ``env.setup()``'s result; ``samples_per_second`` a measured training speed.
    Sizes of the course's corpora are counted from their files; estimates count training
    steps only (evaluation and loading add seconds, not minutes).
    """
    rows = []
    for name, what, data, corpus, runs, side in PLAN:
        row = {"notebook": name, "does": what, "data": data,
               "model": cfg.model.short_name if runs else "-",
               "status": "ready" if (NOTEBOOKS / f"{name}.ipynb").exists() else "coming"}
        if corpus == "benchmarks":
            row["training (est.)"] = _benchmark_estimate(cfg.profile.name, samples_per_second)
        elif corpus:
            size = course_train_size(corpus)
            n = min(size, cfg.profile.train_limit or size)
            m = min(n, cfg.profile.experiment_limit or n)
            side += 1 if side and m < n else 0  # the reference trained on the slice
            seconds = (n * runs + m * side) * cfg.profile.epochs / samples_per_second
            row["training (est.)"] = (f"{n:,}{f' x {runs} runs' if runs > 1 else ''}"
                                      f"{f' + {m:,} x {side} runs' if side else ''}"
                                      f" x {cfg.profile.epochs} epochs ≈ {_duration(seconds)}")
        else:
            row["training (est.)"] = "no training"
        rows.append(row)
    return rows


def _benchmark_estimate(profile: str, samples_per_second: float) -> str:
    """The appendix's training in ``profile`` (``corpora.BENCHMARK_PLAN``), in examples and time.

    >>> _benchmark_estimate("smoke", 100.0)
    'CoNLL 600 x 1 + SST-2 800 x 1 ≈ 14 s'
    """
    plan = benchmark_plan(profile)
    parts, samples = [], 0
    for task, name in (("ner", "CoNLL"), ("classify", "SST-2")):
        changes = plan.changes(task)
        n = changes["train_limit"] or BENCHMARK_TRAIN_ROWS[task]
        parts.append(f"{name} {n:,} x {changes['epochs']}")
        samples += n * changes["epochs"]
    return f"{' + '.join(parts)} ≈ {_duration(samples / samples_per_second)}"


def measured_times(cfg=None) -> list[dict]:
    """Each learner path (``env.PATHS``) with the ``make course`` time measured for it, or "not
    measured"; the row of this machine (``cfg``, ``env.setup()``'s result) is marked. Notebook 00
    shows it beside the plan; README and the instructor's guide give the same numbers.

    >>> measured_times()[-1]["path"]
    'full · cuda · fp16'
    """
    here = (cfg.profile.name, cfg.device, cfg.precision) if cfg is not None else None
    rows = []
    for path in PATHS:
        measured = COURSE_TIMES.get(path)
        rows.append({"path": " · ".join(path),
                     "make course": _duration(measured.seconds) if measured else "not measured",
                     "model": measured.model if measured else "-",
                     "where": measured.where if measured else "-",
                     "here": "← this machine" if path == here else ""})
    return rows


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


if __name__ == "__main__":
    sys.exit(main())
