"""Run the course's notebooks headless, in order, and report each one's key result.

``make course`` calls ``python -m helpers.course run``: every ``notebooks/NN_*.ipynb`` is
executed with the current Python's kernel, the executed copy is written to
``build/notebooks/``, and a table of wall time and key result is printed.

A notebook states its key result with ``report(...)``; the runner reads it back from the
executed notebook's output metadata, so nothing else is written to disk.

    >>> report(dev_f1=0.871)                           # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from helpers.env import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
BUILD = REPO_ROOT / "build"
METADATA_KEY = "lab_to_launch"
GITHUB_SLUG = "lab-to-launch/lab-to-launch"  # where the course is published (Colab badges)

# The first code cell of every notebook (tests/test_notebooks.py checks it is identical).
# On Colab it fetches the course and installs what Colab lacks (never torch); elsewhere it
# does nothing, since `make` has already installed the course into the environment.
SETUP_CELL = f"""\
# Setup: on Colab, fetch the course and install what Colab lacks; locally this does nothing.
import os, sys
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
    """The course notebooks in order (``NN_*.ipynb``), or those named."""
    if names:
        return [Path(n).resolve() for n in names]
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path: Path, out_dir: Path, timeout: int = 3600) -> tuple[float, dict, str]:
    """Execute one notebook; returns (wall seconds, key results, error or "")."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), ""
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:200]
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return seconds, key_results(nb), error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.course",
                                     description="Run the course notebooks headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute notebooks in order and print a table")
    run.add_argument("notebooks", nargs="*", help="paths (default: notebooks/NN_*.ipynb)")
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


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------- the plan (00_setup)
# name, what it does, data (online, offline), training set size (online, offline), fine-tuning runs
PLAN = [
    ("00_setup", "check the environment", ("-", "-"), None, 0),
    ("01_market_framing", "score opportunities, size the market, write the brief",
     ("your assumptions", "your assumptions"), None, 0),
    ("02_dataset_building", "guideline, pre-labels, annotation, quality checks",
     ("data/health_ner", "data/health_ner"), None, 0),
    ("03_tokenization_alignment", "WordPiece, word_ids, label alignment",
     ("data/health_ner", "data/health_ner"), None, 0),
    ("04_finetune_ner", "fine-tune BERT for NER", ("CoNLL-2003 (hub)", "data/health_ner"),
     (14041, 1260), 1),
    ("05_evaluate_ner", "strict/lenient/token metrics, error analysis, demo",
     ("CoNLL-2003 (hub)", "data/health_ner"), None, 0),
    ("06_text_classification", "app-feedback triage; full vs frozen vs LoRA",
     ("SST-2 (hub)", "data/app_feedback"), (67349, 1400), 4),
]


def plan(cfg, samples_per_second: float) -> list[dict]:
    """Which data and model each notebook will use here, and a rough training-time estimate.

    ``cfg`` is ``env.setup()``'s result; ``samples_per_second`` a measured training speed.
    Sizes of the course's own corpora are their planned sizes; estimates count training
    steps only (evaluation and loading add seconds, not minutes).
    """
    use_public = cfg.online and cfg.profile.name != "smoke"
    rows = []
    for name, what, data, sizes, runs in PLAN:
        row = {"notebook": name, "does": what, "data": data[0] if use_public else data[1],
               "model": cfg.model.short_name if runs else "-",
               "status": "ready" if (NOTEBOOKS / f"{name}.ipynb").exists() else "coming"}
        if sizes:
            size = sizes[0] if use_public else sizes[1]
            n = min(size, cfg.profile.train_limit or size)
            seconds = n * cfg.profile.epochs * runs / samples_per_second
            row["training (est.)"] = (f"{n:,} x {cfg.profile.epochs} epochs"
                                      f"{f' x {runs} runs' if runs > 1 else ''}"
                                      f" ≈ {_duration(seconds)}")
        else:
            row["training (est.)"] = "no training"
        rows.append(row)
    return rows


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
