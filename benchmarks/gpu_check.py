"""The GPU check: what to run the day a GPU is lent (Colab, a cluster node, a rented card).

    python benchmarks/gpu_check.py --out build/gpu_check                 # course corpus
    python benchmarks/gpu_check.py --data ../shared/benchmarks/conll2003 # CoNLL-2003
    bash benchmarks/gpu_check.sh                                         # the same, set up

In order, each step a JSON line in ``<out>/gpu_check.jsonl`` (the summary is the last stdout line):

1. **environment**: torch, CUDA, the GPUs (name, memory, bf16), the course's package versions;
2. **matmul**: the bf16 matrix-product rate this GPU really reaches (8192³, mean of ten after
   three warm-ups), the ceiling a training step can approach;
3. **speed**, once per precision (``precisions``: bf16 and fp16 where the GPU has bf16, fp16
   alone where it has not, as on Colab's T4; fp16 trains with accelerate's gradient scaler):
   a ``bert-base-cased``-shaped BERT (12 layers, 768 wide, 12 heads; random weights,
   since speed does not depend on them; the bundled tokenizer's 30,522 words in place of its
   28,996, which changes only the embedding table, a lookup and no matrix product) trained by
   the course's loop for ``--steps`` timed steps: samples/s, tokens/s, peak memory, precision,
   and the model FLOPs utilisation (MFU): the model's training FLOPs (``training_flops``) per
   second against the datasheet's dense bf16 peak (``PEAK_TFLOPS``, or ``--peak-tflops``) and
   against the matmul rate of 2;
4. **quality**, once per precision: ``python -m helpers.train ner --precision P`` (the
   learner's command) with the bundled MiniLM for ``--epochs``: dev F1, seconds;
5. **several GPUs** (two or more present, or ``--processes``): the same command under
   ``torchrun``, one process per GPU, at the same global batch: dev F1 and seconds against 4.

Nothing here writes into the README or the lessons: a number goes there once it has run, with
the GPU it ran on. Without a CUDA GPU the check stops, unless ``--allow-cpu`` (the tests run
the mechanics so, on a tiny shape).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from helpers import device, distributed, formats, hub  # noqa: E402
from helpers.recipe import NerConfig  # noqa: E402
from helpers.train import StepClock, fit  # noqa: E402

# Dense (no sparsity) tensor-core peaks from NVIDIA's datasheets, TFLOP/s: bf16, or fp16 where
# the GPU has no bf16 (T4, V100). Matched against torch's device name, first match wins.
PEAK_TFLOPS = (("H100 PCIe", 756.0), ("H100", 989.4), ("H200", 989.4), ("A100", 312.0),
               ("L40S", 362.0), ("L4", 121.0), ("T4", 65.0), ("V100", 125.0))
SHAPES = {  # name -> BertConfig settings (the vocabulary is the tokenizer's)
    "bert-base-cased": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                            intermediate_size=3072),
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
}


def training_flops(parameters: int, layers: int, width: int, tokens: int, length: float) -> float:
    """Model FLOPs of one training step on ``tokens`` real tokens in sequences of mean
    ``length``: 6 per weight per token (2 forward, 4 backward) and the attention scores,
    12 · layers · width · length per token (PaLM, appendix B). ``parameters``: those in matrix
    products (not the embedding lookups). Padding is not counted: it is work, not model FLOPs.

    >>> training_flops(parameters=10, layers=1, width=2, tokens=3, length=4)
    468.0
    """
    return float(tokens * (6 * parameters + 12 * layers * width * length))


def precisions(env: dict) -> list[str | None]:
    """The precisions to check: on a CUDA GPU bf16 (where it has it) and fp16, the Colab T4's
    path with a gradient scaler; elsewhere the device's default (``None``).

    >>> precisions({"device": "cuda", "bf16": True}), precisions({"device": "cuda", "bf16": False})
    (['bf16', 'fp16'], ['fp16'])
    >>> precisions({"device": "cpu", "bf16": False})
    [None]
    """
    if env["device"] != "cuda":
        return [None]
    return ["bf16", "fp16"] if env["bf16"] else ["fp16"]


def peak_tflops(name: str) -> float | None:
    """The datasheet peak for a GPU named ``name`` (``None`` when unknown).

    >>> peak_tflops("NVIDIA H100 PCIe"), peak_tflops("NVIDIA H200"), peak_tflops("cpu")
    (756.0, 989.4, None)
    """
    return next((tflops for key, tflops in PEAK_TFLOPS if key in name), None)


def environment() -> dict:
    import accelerate
    import torch
    import transformers

    gpus = [{"name": torch.cuda.get_device_name(i),
             "memory_gib": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1)}
            for i in range(torch.cuda.device_count())]
    return {"step": "environment", "torch": torch.__version__, "cuda": torch.version.cuda,
            "transformers": transformers.__version__, "accelerate": accelerate.__version__,
            "gpus": gpus, "bf16": bool(gpus) and torch.cuda.is_bf16_supported(),
            "device": device.pick_device(), "cpu_cores": device.cpu_count()}


def matmul_rate(size: int, repeats: int = 10) -> dict:
    """The bf16 (CPU: fp32) matrix-product rate reached on ``size``³, TFLOP/s."""
    import torch

    on = device.pick_device()
    dtype = torch.bfloat16 if on == "cuda" else torch.float32
    a, b = (torch.randn(size, size, device=on, dtype=dtype) for _ in range(2))
    for _ in range(3):
        a @ b
    _sync(on)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(on)
    seconds = (time.perf_counter() - started) / repeats
    return {"step": "matmul", "size": size, "dtype": str(dtype).removeprefix("torch."),
            "tflops": round(2 * size**3 / seconds / 1e12, 2)}


def _sync(on: str) -> None:
    import torch

    if on == "cuda":
        torch.cuda.synchronize()


class CountingCollator:
    """The token-classification collator, counting the real (unpadded) tokens of each batch."""

    def __init__(self, tokenizer):
        from transformers import DataCollatorForTokenClassification

        self.collate, self.tokens, self.lengths = DataCollatorForTokenClassification(tokenizer), [], []

    def __call__(self, rows):
        batch = self.collate(rows)
        real = batch["attention_mask"].sum(dim=1)
        self.tokens.append(int(real.sum()))
        self.lengths.append(float(real.float().mean()))
        return batch


def speed(splits, tokenizer_path: str, shape: str, batch_size: int, steps: int, warmup: int,
          peak: float | None, reached: float, precision: str | None = None) -> dict:
    """The course loop on a randomly initialised BERT of ``shape`` in ``precision`` (``None``:
    the device's default): samples/s, tokens/s, MFU."""
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from helpers.align import tokenize_and_align

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)  # MiniLM's WordPiece
    names = splits["train"].features["ner_tags"].feature.names
    config = BertConfig(**SHAPES[shape], vocab_size=len(tokenizer), num_labels=len(names))
    device.seed_everything(42)
    model = BertForTokenClassification(config)
    tokenized, _ = tokenize_and_align(splits["train"], tokenizer, 128)
    collator, clock = CountingCollator(tokenizer), StepClock()
    with tempfile.TemporaryDirectory() as out:
        run = NerConfig(model=tokenizer_path, output_dir=out,
                        batch_size=batch_size, epochs=100, max_steps=steps + warmup,
                        log_every=10**9, precision=precision)
        history = fit(model, tokenizer, tokenized, collator, None, run, resume=False,
                      callbacks=[clock])
    timed = slice(warmup + 1, len(clock.ends))
    seconds = clock.ends[-1] - clock.ends[warmup]
    tokens = sum(collator.tokens[timed])
    length = sum(collator.lengths[timed]) / len(collator.lengths[timed])
    matrices = sum(p.numel() for n, p in model.named_parameters()
                   if p.ndim == 2 and "embeddings" not in n)
    achieved = training_flops(matrices, config.num_hidden_layers, config.hidden_size, tokens,
                              length) / seconds / 1e12
    return {"step": "speed", "shape": shape, "batch_size": batch_size, "timed_steps": steps,
            "precision": history.summary.precision,
            "samples_per_second": round(sum(clock.samples[timed]) / seconds, 1),
            "tokens_per_second": round(tokens / seconds), "mean_length": round(length, 1),
            "peak_memory_mb": round(history.summary.peak_memory_mb),
            "model_tflops": round(achieved, 4),
            "mfu_vs_datasheet": round(achieved / peak, 4) if peak else None,
            "mfu_vs_matmul": round(achieved / reached, 4) if reached else None}


def quality(files: dict, model: str, epochs: int, batch_size: int, processes: int,
            out: Path, precision: str | None = None) -> dict:
    """The learner's command (in ``processes`` processes under torchrun when more than one),
    at the global batch ``batch_size``, in ``precision`` (``None``: the device's default)."""
    per_process = max(1, batch_size // processes)
    arguments = (f"ner --model {model} --train {files['train']} --validation "
                 f"{files['validation']} --epochs {epochs} --batch-size {per_process} --output {out}"
                 " --replace"  # its own folder, from an earlier check
                 + (f" --precision {precision}" if precision else ""))
    command = ([sys.executable, "-m", "helpers.train"] if processes == 1 else
               [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                str(processes), "-m", "helpers.train"]) + arguments.split()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    line = json.loads(done.stdout.strip().splitlines()[-1])
    shown = distributed.launch_commands(arguments, processes, gpus=0)["torchrun"] \
        if processes > 1 else f"python -m helpers.train {arguments}"
    return {"step": "quality" if processes == 1 else "several_processes", "command": shown,
            "model": line["model"],
            **{k: line[k] for k in ("dev_f1", "train_seconds", "train_samples_per_second",
                                    "precision", "processes", "global_batch_size",
                                    "optimizer_steps")}}


def data_files(folder: Path) -> dict:
    """``{"train": path, "validation": path}`` of a CoNLL folder (``formats.split_files``)."""
    found = formats.split_files(folder)
    if not {"train", "validation"} <= found.keys():
        raise SystemExit(f"{folder}: needs a train and a dev/valid CoNLL file")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "health_ner")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "gpu_check")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="bert-base-cased")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3, help="of the quality run")
    parser.add_argument("--model", default="minilm", help="of the quality run (default: bundled)")
    parser.add_argument("--processes", type=int,
                        help="of step 5 (default: one per GPU, when there are two or more)")
    parser.add_argument("--matmul-size", type=int, default=8192)
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, if unknown")
    parser.add_argument("--allow-cpu", action="store_true", help="run the mechanics on a CPU")
    args = parser.parse_args(argv)

    hub.check_hub()
    device.set_threads()
    env = environment()
    if env["device"] != "cuda" and not args.allow_cpu:
        print("No CUDA GPU here: this check is for a machine with one (--allow-cpu to run its "
              "mechanics anyway).", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    log = (args.out / "gpu_check.jsonl").open("a")
    files = data_files(args.data)

    def record(row: dict) -> dict:
        print(json.dumps(row), file=sys.stderr, flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()
        return row

    record(env)
    peak = args.peak_tflops or (peak_tflops(env["gpus"][0]["name"]) if env["gpus"] else None)
    reached = record(matmul_rate(args.matmul_size))["tflops"]
    splits = formats.read_conll_dir(args.data)
    model = hub.resolve_model(args.model).path
    summary = {"gpu": env["gpus"][0]["name"] if env["gpus"] else "cpu", "peak_tflops": peak,
               "matmul_tflops": reached}
    ones = {}  # the quality run of each precision, for step 5
    for precision in precisions(env):
        fast = record(speed(splits, model, args.shape, args.batch_size, args.steps,
                            args.warmup_steps, peak, reached, precision))
        one = ones[precision] = record(quality(files, model, args.epochs, args.batch_size, 1,
                                               args.out / f"one-{precision or 'default'}", precision))
        tag = fast["precision"]
        summary.update({f"{tag}_speed_{k}": v for k, v in fast.items() if k not in ("step", "precision")})
        summary.update({f"{tag}_dev_f1": one["dev_f1"], f"{tag}_train_seconds": one["train_seconds"]})
    processes = args.processes or (len(env["gpus"]) if len(env["gpus"]) >= 2 else 0)
    if processes >= 2:  # in the first precision (the device's default), against its one-process run
        first = precisions(env)[0]
        one = ones[first]
        many = record(quality(files, model, args.epochs, args.batch_size, processes,
                              args.out / "many", first))
        summary.update(processes=processes, several_precision=many["precision"],
                       several_dev_f1=many["dev_f1"], several_train_seconds=many["train_seconds"],
                       speedup=round(one["train_seconds"] / many["train_seconds"], 2))
    log.close()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
