"""The setup notebook's checks: installed versions against the pins, hardware, training speed.

``00_setup`` calls these to catch an environment that would break a later notebook (with the
fix in the message) and to estimate how long the course takes here. Imports
``helpers.device``, ``helpers.hub`` and ``helpers.env`` (for ``REPO_ROOT``); torch,
transformers and pandas are imported inside the functions that need them.

Imports: ``device``, ``env``, ``hub``.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers.device import cpu_count, cpu_supports_bf16, dtype_for, is_colab
from helpers.env import REPO_ROOT
from helpers.hub import quiet_transformers


class SetupError(RuntimeError):
    """Something in the environment would break a later notebook; the message says the fix."""


FIX = ("Fix: from the course folder run `make test` (it rebuilds .venv from constraints.txt), "
       "or in your own environment `pip install torch==2.13.0 && pip install -c constraints.txt "
       "-e .[dev]`. On Colab, re-run the setup cell, then Runtime → Restart session.")
# Packages whose major version the course's code depends on; the others may differ freely.
MAJOR_MATTERS = {"transformers": 5, "datasets": 5}
DEV_ONLY = {"jupyterlab", "nbval", "nbstripout", "pytest", "nbclient", "nbformat", "ipykernel",
            "pyyaml"}


def pinned_versions(path: Path | None = None) -> dict[str, str]:
    """``{package: version}`` from the constraints file (lower-case names, ``-`` not ``_``).

    >>> "transformers" in pinned_versions()
    True
    """
    path = path or REPO_ROOT / "constraints.txt"
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def check_versions(packages: list[str], path: Path | None = None) -> list[dict]:
    """Compare installed versions of ``packages`` with the pinned set; raise if one breaks the course.

    Returns rows ``{package, pinned, installed, status}``. A different minor or patch version
    is reported but allowed (Colab ships its own); a missing package or a wrong major
    version of transformers/datasets raises ``SetupError`` with the fix.
    """
    from importlib.metadata import PackageNotFoundError, version

    pins, rows, problems = pinned_versions(path), [], []
    for name in packages:
        pinned = pins.get(name, "-")
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed is None:
            status = "not needed here" if (name in DEV_ONLY and is_colab()) else "MISSING"
        elif installed.split("+")[0] == pinned:
            status = "ok"
        elif name in MAJOR_MATTERS and int(installed.split(".")[0]) != MAJOR_MATTERS[name]:
            status = f"WRONG MAJOR (need {MAJOR_MATTERS[name]}.x)"
        else:
            status = "differs (fine)"
        if status == "MISSING" or status.startswith("WRONG"):
            problems.append(f"{name}: {status.lower()} (installed {installed}, pinned {pinned})")
        rows.append({"package": name, "pinned": pinned, "installed": installed or "-",
                     "status": status})
    if problems:
        raise SetupError("; ".join(problems) + ". " + FIX)
    return rows


def measure_train_speed(model_path: str, device: str = "cpu", precision: str = "fp32",
                        batch_size: int = 16, seq_len: int = 32, steps: int = 4,
                        warmup: int = 2, num_labels: int = 11) -> float:
    """Time real training steps (forward, backward, AdamW) on random tokens; returns samples/s.

    A quick probe for time estimates, not a benchmark: the NER lesson measures properly.
    """
    grid = throughput_grid(model_path, device, precision, [batch_size], [seq_len], steps,
                           warmup, num_labels)
    return float(grid.iloc[0]["samples_per_second"])


def throughput_grid(model_path: str, device: str = "cpu", precision: str = "fp32",
                    batch_sizes=(8, 16, 32), seq_lens=(16, 32, 64), steps: int = 3,
                    warmup: int = 1, num_labels: int = 11):
    """Training samples/s for every (batch size, sequence length) pair, one model load.

    Returns a DataFrame with ``batch_size``, ``seq_len``, ``samples_per_second``.
    """
    import time

    import pandas as pd
    import torch
    from transformers import AutoModelForTokenClassification

    with quiet_transformers():  # the freshly initialised classifier head is expected
        model = AutoModelForTokenClassification.from_pretrained(model_path, num_labels=num_labels)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    dtype = dtype_for(precision)
    rows = []
    for batch_size in batch_sizes:
        for seq_len in seq_lens:
            ids = torch.randint(1000, model.config.vocab_size, (batch_size, seq_len), device=device)
            labels = torch.randint(0, num_labels, (batch_size, seq_len), device=device)

            def step(ids=ids, labels=labels) -> None:
                with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
                    loss = model(input_ids=ids, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)

            for _ in range(warmup):
                step()
            _synchronize(device)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            _synchronize(device)
            rows.append({"batch_size": batch_size, "seq_len": seq_len,
                         "samples_per_second": batch_size * steps / (time.perf_counter() - start)})
    return pd.DataFrame(rows)


def _synchronize(device: str) -> None:
    """Wait for the accelerator's queued work, so a timer measures it (nothing to do on CPU)."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def hardware_summary(device: str) -> dict:
    """CPU cores, memory and the accelerator's name and memory, for the setup notebook."""
    import platform

    import torch

    info = {"cpu": platform.processor() or platform.machine(), "cores usable": cpu_count(),
            "cpu bf16": cpu_supports_bf16()}
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory GiB"] = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        info.update({"gpu": props.name, "gpu memory GiB": round(props.total_memory / 2**30, 1),
                     "gpu bf16": torch.cuda.is_bf16_supported()})
    elif device == "mps":
        info["gpu"] = "Apple silicon (MPS)"
    return info
