"""Latency, throughput, accuracy and cost of a saved NER model's inference variants (PyTorch
fp32, bf16 and int8; ONNX Runtime float32 and int8), measured in one process on this machine:
``helpers.latency.benchmark`` on the health corpus's test split (its sentences, joined by
spaces, are the texts timed; its tags score each variant).

Prints the table, the cost table (at batch 8, or the largest batch measured) and, as its last
line, one JSON object: model, threads, cpu, the rows, and the recommended variant at batch 8.

    python benchmarks/ship_latency.py --model build/models/ner-smoke/best
    python benchmarks/ship_latency.py --model DIR --variants fp32 onnx --batch-sizes 1 8 --threads 4
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import corpora, device, latency, runtime  # noqa: E402


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a saved NER model folder (e.g. .../best)")
    parser.add_argument("--variants", nargs="+", choices=list(runtime.VARIANTS),
                        default=list(runtime.VARIANTS), help="default: all (fp32 is always in)")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--budget-s", type=float, default=1.5, help="seconds of calls per cell")
    parser.add_argument("--threads", type=int, help="CPU threads (default: every usable core)")
    parser.add_argument("--workdir", help="where ONNX graphs go (default: build/runtime)")
    parser.add_argument("--price-per-hour", type=float, default=latency.ASSUMED_PRICE_PER_HOUR)
    parser.add_argument("--utilisation", type=float, default=latency.ASSUMED_UTILISATION)
    parser.add_argument("--max-f1-drop", type=float, default=0.5, help="F1 points below fp32")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    threads = device.set_threads(args.threads)
    test = corpora.load_health_ner()["test"]
    texts = [" ".join(tokens) for tokens in test["tokens"]]
    print(f"{args.model}: {len(texts)} test sentences, {threads} threads, {cpu_name()}",
          file=sys.stderr)
    table = latency.benchmark(args.model, texts, test, variants=args.variants,
                              batch_sizes=tuple(args.batch_sizes), budget_s=args.budget_s,
                              workdir=args.workdir, max_f1_drop=args.max_f1_drop, threads=threads)
    cost_batch = 8 if 8 in args.batch_sizes else max(args.batch_sizes)
    costs = latency.cost_table(table, args.price_per_hour, args.utilisation, batch=cost_batch)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\ncost per million requests at batch {cost_batch} (assumed price and utilisation):")
    print(costs.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    summary = {
        "model": str(args.model), "threads": threads, "cpu": cpu_name(),
        "rows": json.loads(table.to_json(orient="records", double_precision=6)),
        "recommended_at_batch_8": latency.pick_variant(table, float("inf"), 8)
        if 8 in args.batch_sizes else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
