"""Speed and cost of the inference variants (``runtime``): latency per call, throughput, the
accuracy each variant keeps, and what a million requests cost.

* ``measure``: p50 and p95 latency of ``predictor.predict`` calls of one batch size, and
  throughput (texts per second of calls);
* ``measure_interleaved``: the same for several predictors and batch sizes, taking turns;
* ``benchmark``: every available variant, checked (ONNX graphs against PyTorch), scored on a
  test set (strict entity F1 with its 95 % interval) and timed at several batch sizes: one table;
* ``cost_table``: cost per million requests from measured throughput, with the assumptions
  (price per hour, utilisation) as columns beside the numbers;
* ``pick_variant``: the cheapest variant that keeps its accuracy and meets a p95 budget;
* ``plot_latency``: p95 latency and throughput per variant and batch size, F1 beside.

A variant more than ``max_f1_drop`` (0.5) F1 points below fp32 is reported, not recommended:
a faster model that finds fewer entities is a different product. Prices are assumptions, not
quotes (``ASSUMED_PRICE_PER_HOUR``); a notebook states its own.

Imports: ``device``, ``env``, ``evaluate``, ``runtime``, ``tagging``.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.device import set_threads
from helpers.env import REPO_ROOT
from helpers.evaluate import entity_f1_interval
from helpers.runtime import VARIANTS, check_onnx, load_variant, logit_difference, variant_available
from helpers.tagging import tag_strings

# An assumption, not a quote: roughly what a 2-vCPU general-purpose cloud instance costs on
# demand (USD per hour); put your provider's price in its place.
ASSUMED_PRICE_PER_HOUR = 0.10
# An assumption: the share of paid hours the service spends predicting (traffic is uneven).
ASSUMED_UTILISATION = 0.5
COLUMNS = ("variant", "batch", "p50_ms", "p95_ms", "texts_per_s", "speedup", "test_f1", "f1_low",
           "f1_high", "f1_drop_points", "recommended")


@dataclass(frozen=True)
class Latency:
    """Timings of ``calls`` calls of one batch size: median and 95th-percentile latency per
    call, and throughput (texts over the seconds the calls took)."""

    variant: str
    batch: int
    p50_ms: float
    p95_ms: float
    texts_per_s: float
    calls: int


def _batches(texts: list, batch_size: int):
    """Endless batches of ``batch_size`` texts, cycling through ``texts`` in order.

    >>> b = _batches(["a", "b", "c"], 2); next(b), next(b)
    (['a', 'b'], ['c', 'a'])
    """
    stream = itertools.cycle(texts)
    while True:
        yield list(itertools.islice(stream, batch_size))


def _call_seconds(predictor, batches, batch_size: int, calls: int) -> list[float]:
    """Seconds of each of ``calls`` calls of ``predictor.predict`` on the next batches."""
    seconds = []
    for _ in range(calls):
        batch = next(batches)
        started = time.perf_counter()
        predictor.predict(batch, batch_size=batch_size)
        seconds.append(time.perf_counter() - started)
    return seconds


def _latency(variant: str, batch_size: int, seconds: list[float]) -> Latency:
    """Percentiles and throughput of one cell's call times.

    >>> _latency("x", 4, [0.01, 0.02, 0.03, 0.04]).texts_per_s
    160.0
    """
    import numpy as np

    ms = np.array(seconds) * 1000
    return Latency(variant=variant, batch=batch_size, p50_ms=float(np.percentile(ms, 50)),
                   p95_ms=float(np.percentile(ms, 95)),
                   texts_per_s=round(batch_size * len(seconds) / sum(seconds), 6), calls=len(seconds))


def measure(predictor, texts: list, batch_size: int, repeats: int, warmup: int = 2) -> Latency:
    """Time ``repeats`` calls of ``predictor.predict`` on batches of ``batch_size`` texts
    cycled from ``texts`` (``time.perf_counter``), after ``warmup`` untimed calls."""
    if not texts or batch_size < 1 or repeats < 1:
        raise ValueError("measure needs texts, a batch size >= 1 and repeats >= 1")
    batches = _batches(texts, batch_size)
    _call_seconds(predictor, batches, batch_size, warmup)
    return _latency(getattr(predictor, "variant", "default"), batch_size,
                    _call_seconds(predictor, batches, batch_size, repeats))


def measure_interleaved(predictors: list, texts: list, batch_sizes, budget_s: float,
                        rounds: int = 3) -> list[Latency]:
    """One ``Latency`` per predictor and batch size, each cell about ``budget_s`` seconds of
    calls (at least 2 a round, so at least 6): the cells take turns, ``rounds`` times, so a
    burst of load from elsewhere on the machine slows every variant, not just one. Each
    turn starts with one untimed call; the number of calls comes from two warm-up calls."""
    cells = [(k, b) for k in range(len(predictors)) for b in batch_sizes]
    streams = {cell: _batches(texts, cell[1]) for cell in cells}
    calls = {}
    for k, b in cells:
        warm = _call_seconds(predictors[k], streams[k, b], b, 2)[-1]
        calls[k, b] = min(max(2, math.ceil(budget_s / rounds / max(warm, 1e-6))), 100_000)
    timed: dict = {cell: [] for cell in cells}
    for _ in range(rounds):
        for k, b in cells:  # one untimed call first: the previous cell's runtime had the caches
            _call_seconds(predictors[k], streams[k, b], b, 1)
            timed[k, b] += _call_seconds(predictors[k], streams[k, b], b, calls[k, b])
    return [_latency(getattr(predictors[k], "variant", str(k)), b, timed[k, b]) for k, b in cells]


def _score(predictor, test):
    """Strict entity F1 of the predictor on a NER data set, with its 95 % interval."""
    pred = [tags for tags, _ in predictor.tag_batch(list(test["tokens"]))]
    return entity_f1_interval(tag_strings(test), pred)


def _check_and_score(predictor, reference, test) -> dict:
    """A loaded variant's logit check against fp32 and its F1 with interval."""
    words = list(test["tokens"])[:64]
    diff = 0.0
    if predictor.variant == "onnx":  # a float graph must compute what PyTorch computes
        diff = check_onnx(predictor, reference, words)
    elif predictor is not reference:  # approximate by design: reported, judged by its F1
        diff = logit_difference(predictor, reference, words)
    f1 = _score(predictor, test)
    return {"test_f1": f1.value, "f1_low": f1.low, "f1_high": f1.high, "max_logit_diff": diff}


def benchmark(model_dir: str | Path, texts: list[str], test, variants: list[str] | None = None,
              batch_sizes: tuple[int, ...] = (1, 8, 32), budget_s: float = 1.5,
              workdir: str | Path | None = None, max_f1_drop: float = 0.5,
              threads: int | None = None, verbose: bool = True):
    """Every available variant of a saved NER model (``variants``, default all; fp32, the
    reference, is always in): loaded once, ONNX checked against PyTorch, scored on ``test`` (a
    NER data set), then timed on ``texts`` at each batch size for about ``budget_s`` seconds
    (``measure_interleaved``: the variants take turns).

    Returns a DataFrame with one row per variant and batch size: ``COLUMNS`` (speedup is
    against fp32 at the same batch; f1_drop_points is 100 x (fp32 F1 - F1); recommended is a
    drop of at most ``max_f1_drop`` points) and ``max_logit_diff``. Sets torch's threads
    (``threads``, default every usable core) so every runtime gets the same; ONNX graphs go
    under ``workdir`` (default ``build/runtime``). Unavailable variants are left out, saying why.
    Time on a quiet machine: where other programs busy the cores, PyTorch's threads wait for
    each other (a 5 ms call can take hundreds) far more than ONNX Runtime's, which turns the
    comparison around; fp32's p50 next to a quiet run's says whether that happened.
    """
    import pandas as pd

    threads = set_threads(threads)
    workdir = Path(workdir) if workdir else REPO_ROOT / "build" / "runtime"
    names = ["fp32"] + [v for v in (variants or VARIANTS) if v != "fp32"]
    predictors, scores = [], {}
    for name in names:
        available, reason = variant_available(name)
        if not available:
            if verbose:
                print(f"{name}: left out ({reason})")
            continue
        predictors.append(load_variant(model_dir, name, workdir, threads=threads))
        scores[name] = _check_and_score(predictors[-1], predictors[0], test)
        if verbose:
            print(f"{name}: test F1 {scores[name]['test_f1']:.3f}, logits within "
                  f"{scores[name]['max_logit_diff']:.2g} of fp32")
    if verbose:
        print(f"timing {len(predictors)} variants x {len(batch_sizes)} batch sizes, "
              f"about {budget_s:g} s each ({threads} threads)")
    cells = measure_interleaved(predictors, texts, batch_sizes, budget_s)
    rows = [{**cell.__dict__, **scores[cell.variant]} for cell in cells]
    return _finish(pd.DataFrame(rows), max_f1_drop)


def _finish(table, max_f1_drop: float):
    """Speedup and F1 drop against fp32 (same batch) and the recommendation, in ``COLUMNS``
    order (the logit check last)."""
    fp32 = table[table["variant"] == "fp32"].set_index("batch")
    table["speedup"] = table["texts_per_s"] / table["batch"].map(fp32["texts_per_s"])
    table["f1_drop_points"] = 100 * (table["batch"].map(fp32["test_f1"]) - table["test_f1"])
    table["recommended"] = table["f1_drop_points"].round(6) <= max_f1_drop
    return table[list(COLUMNS) + ["max_logit_diff"]].reset_index(drop=True)


def cost_table(table, price_per_hour: float = ASSUMED_PRICE_PER_HOUR,
               utilisation: float = ASSUMED_UTILISATION, batch: int = 8):
    """Cost per million requests (texts) of each variant at ``batch``, from measured
    throughput: hours = 1e6 / (texts_per_s x 3600 x utilisation), cost = hours x price.
    The assumptions are columns of the result, so they travel with the numbers.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"variant": ["fp32", "onnx"], "batch": [8, 8], "texts_per_s": [100.0, 250.0],
    ...                   "test_f1": [0.8, 0.8], "recommended": [True, True]})
    >>> cost_table(t, price_per_hour=0.36, utilisation=0.5)[["variant", "hours_per_million",
    ...                                                      "cost_per_million"]]
      variant  hours_per_million  cost_per_million
    0    fp32           5.555556               2.0
    1    onnx           2.222222               0.8
    """
    import pandas as pd

    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation {utilisation} must be in (0, 1]: the share of paid hours "
                         "spent predicting")
    rows = table[table["batch"] == batch]
    if rows.empty:
        raise ValueError(f"no measurements at batch {batch}; measured: {sorted(set(table['batch']))}")
    hours = 1e6 / (rows["texts_per_s"] * 3600 * utilisation)
    return pd.DataFrame({
        "variant": rows["variant"].to_numpy(), "batch": batch,
        "texts_per_s": rows["texts_per_s"].to_numpy(), "test_f1": rows["test_f1"].to_numpy(),
        "recommended": rows["recommended"].to_numpy(), "hours_per_million": hours.to_numpy(),
        "cost_per_million": (hours * price_per_hour).to_numpy(),
        "assumed_price_per_hour": price_per_hour, "assumed_utilisation": utilisation})


def pick_variant(table, p95_budget_ms: float, batch: int = 8) -> str | None:
    """Among recommended variants whose p95 latency at ``batch`` is within the budget, the one
    with the highest throughput (so the lowest cost); ``None`` when none qualifies.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"variant": ["fp32", "int8", "onnx"], "batch": [8, 8, 8],
    ...                   "p95_ms": [90.0, 30.0, 45.0], "texts_per_s": [100.0, 300.0, 200.0],
    ...                   "recommended": [True, False, True]})
    >>> pick_variant(t, p95_budget_ms=50), pick_variant(t, p95_budget_ms=100), pick_variant(t, 20)
    ('onnx', 'onnx', None)
    """
    rows = table[(table["batch"] == batch) & table["recommended"].astype(bool)
                 & (table["p95_ms"] <= p95_budget_ms)]
    if rows.empty:
        return None
    return str(rows.loc[rows["texts_per_s"].idxmax(), "variant"])


def plot_latency(table, axes=None):
    """Two panels: p95 latency per variant at each batch size, and throughput, bars grouped by
    batch; each variant's test F1 (and whether it is recommended) in its legend label.
    Returns the two axes."""
    import matplotlib.pyplot as plt
    import numpy as np

    axes = axes if axes is not None else plt.subplots(1, 2, figsize=(11, 4))[1]
    variants = list(dict.fromkeys(table["variant"]))
    batches = sorted(set(table["batch"]))
    width = 0.8 / len(variants)
    for k, name in enumerate(variants):
        rows = table[table["variant"] == name].set_index("batch").reindex(batches)
        first = rows.iloc[0]
        label = f"{name}: F1 {first['test_f1']:.3f}" + ("" if first["recommended"] else " (not recommended)")
        x = np.arange(len(batches)) + (k - (len(variants) - 1) / 2) * width
        for ax, column in zip(axes, ("p95_ms", "texts_per_s")):
            ax.bar(x, rows[column], width, label=label, hatch=None if first["recommended"] else "//")
    for ax, title in zip(axes, ("p95 latency per call (ms)", "throughput (texts/s)")):
        ax.set_xticks(range(len(batches)), [str(b) for b in batches])
        ax.set_xlabel("batch size (texts per call)")
        ax.set_title(title)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=8)
    return axes
