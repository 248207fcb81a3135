"""Save the first layers of the bundled MiniLM as a model folder: the model of the `full`
profile's rehearsal on a CPU (``make rehearse``).

The `full` profile is the GPU path (bert-base-cased, every example, the largest plans of
notebooks 06 and 08). CI has no GPU, so it rehearses that path on the CPU with this model:
pretrained word embeddings and the first ``--layers`` transformer layers of all-MiniLM-L6-v2,
the same tokenizer. It learns the course's tasks (its words are pretrained) at a fraction of
MiniLM's cost, so every branch a GPU learner reaches runs in CI within its time budget. Its
scores say nothing about bert-base-cased: the notebooks check only that it learned.

    python benchmarks/small_model.py --layers 2 --out build/rehearsal/minilm-l2

Two layers, not one: with one, notebook 06's classifier stayed at the majority class after 3
epochs (dev accuracy 0.569), while two layers reached 0.746 (measured on the 2-core CPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def save_small_model(out: Path, layers: int = 2) -> Path:
    """Write MiniLM's embeddings and first ``layers`` layers (safetensors) and its tokenizer
    to ``out``; returns ``out``. Loads from the bundled copy: no download."""
    from transformers import AutoModel, AutoTokenizer

    from helpers.hub import bundled_model_path, quiet_transformers

    source = bundled_model_path()
    out.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():  # the unused upper layers' weights are dropped on purpose
        AutoModel.from_pretrained(source, num_hidden_layers=layers).save_pretrained(out)
    AutoTokenizer.from_pretrained(source).save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2, help="transformer layers kept (1-6)")
    parser.add_argument("--out", type=Path, default=Path("build/rehearsal/minilm-l2"))
    args = parser.parse_args(argv)
    if not 1 <= args.layers <= 6:
        parser.error(f"--layers {args.layers}: expected a whole number from 1 to 6")
    print(save_small_model(args.out, args.layers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
