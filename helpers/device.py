"""The machine a run uses: device, precision, threads, seeds, peak memory.

Answers "where does this compute run and how": the best device (``cuda`` → ``mps`` → ``cpu``),
the autocast precision that device supports, the torch dtype for that precision, the usable
CPU cores, seeding, and peak memory. Imports no other ``helpers`` module (every other module
may import this one); torch and transformers are imported inside the functions that need them,
so ``import helpers.device`` is instant.

    >>> pick_device("cpu")
    'cpu'

Imports: none.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

PRECISIONS = ("bf16", "fp16", "fp32")


def is_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def pick_device(prefer: str | None = None) -> str:
    """Return the best available device: ``cuda`` → ``mps`` → ``cpu`` (or ``$COURSE_DEVICE``).

    >>> pick_device("cpu")
    'cpu'
    """
    import torch

    prefer = (prefer or os.environ.get("COURSE_DEVICE") or "").strip().lower()
    if prefer:
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": torch.backends.mps.is_available()}
        if prefer not in available:
            raise ValueError(f"device {prefer!r} unknown; expected cuda, mps or cpu")
        if not available[prefer]:
            raise RuntimeError(f"device {prefer!r} was asked for but is not available here")
        return prefer
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(device: str, prefer: str | None = None) -> tuple[str, str]:
    """Return ``(precision, reason)`` with precision one of ``bf16``, ``fp16``, ``fp32``.

    CUDA: bf16 where the GPU supports it (Ampere and newer), else fp16 with loss scaling.
    MPS: fp16 autocast. CPU: bf16 autocast where the CPU has native bf16 (AVX512-BF16 or AMX;
    as accurate as fp32 on CoNLL-2003, measured in lessons/04_finetune_ner.md), else fp32.
    ``prefer`` (or ``$COURSE_PRECISION``, ``env_precision``) forces a choice when the device
    supports it; either may be written in any case, like the profile's name.

    >>> pick_precision("cpu", "fp32")[0]
    'fp32'
    >>> pick_precision("mps", "fp16")
    ('fp16', 'fp16 autocast on Apple MPS')
    """
    prefer = prefer.strip().lower() if prefer else env_precision()
    if prefer and prefer not in PRECISIONS:
        raise ValueError(f"precision {prefer!r} unknown; expected bf16, fp16 or fp32")
    if device == "cuda":
        return _cuda_precision(prefer)
    if device == "mps":
        if prefer in (None, "fp16"):
            return "fp16", "fp16 autocast on Apple MPS"
        return prefer, f"{prefer} asked for"
    return _cpu_precision(prefer)


def env_precision() -> str | None:
    """``$COURSE_PRECISION`` in lower case, ``None`` when unset or empty; a ``ValueError``
    naming the variable when it is not a precision.

    >>> os.environ["COURSE_PRECISION"] = " FP32 "; env_precision()
    'fp32'
    >>> del os.environ["COURSE_PRECISION"]; env_precision() is None
    True
    """
    raw = os.environ.get("COURSE_PRECISION", "")
    if raw.strip() and raw.strip().lower() not in PRECISIONS:
        raise ValueError(f"COURSE_PRECISION={raw!r} is not a precision; expected bf16, fp16 or "
                         "fp32 (any case), or unset it to let the device decide")
    return raw.strip().lower() or None


def _cuda_precision(prefer: str | None) -> tuple[str, str]:
    import torch

    bf16_ok = torch.cuda.is_bf16_supported()
    if prefer == "fp32":
        return "fp32", "fp32 asked for"
    if prefer == "fp16" or (prefer is None and not bf16_ok):
        return "fp16", "fp16 autocast with loss scaling (this GPU has no bf16)" if not bf16_ok \
            else "fp16 asked for"
    if prefer == "bf16" and not bf16_ok:
        raise RuntimeError("bf16 asked for, but this GPU does not support it; use fp16")
    return "bf16", "bf16 autocast: the GPU supports it and it needs no loss scaling"


def _cpu_precision(prefer: str | None) -> tuple[str, str]:
    # bf16 autocast where the CPU has native bf16 matrix instructions: the same dev F1 as fp32
    # and faster (the comparison, same seed and recipe, is in lessons/04_finetune_ner.md).
    if prefer == "fp16":
        raise RuntimeError("fp16 autocast is not useful on CPU; use bf16 or fp32")
    if prefer == "fp32":
        return "fp32", "fp32 asked for"
    if cpu_supports_bf16():
        return "bf16", ("bf16 autocast: this CPU has native bf16 (AVX512-BF16/AMX), measured "
                        "as accurate as fp32 and 1.45x faster; COURSE_PRECISION=fp32 to opt out")
    if prefer == "bf16":
        raise RuntimeError("bf16 asked for, but this CPU has no fast bf16 (AVX512-BF16/AMX)")
    return "fp32", "fp32: this CPU has no native bf16 (AVX512-BF16/AMX)"


def cpu_supports_bf16() -> bool:
    """True when this CPU has native bf16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # macOS/Windows: let torch's capability string decide
        import torch

        return "AMX" in torch.backends.cpu.get_cpu_capability()
    return " avx512_bf16" in flags or " amx_bf16" in flags


def dtype_for(precision: str):
    """The torch dtype autocast runs in for ``precision``; ``None`` for fp32 (autocast off).

    >>> dtype_for("bf16")
    torch.bfloat16
    >>> dtype_for("fp32") is None
    True
    """
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)


@contextmanager
def inference(device, precision: str | None = None):
    """No gradients, and autocast in the precision training uses on ``device`` (``precision``,
    else ``pick_precision``'s choice), so prediction runs as fast as training and scores the
    same way the dev scores were computed during training."""
    import torch

    device_type = torch.device(device).type
    dtype = dtype_for(precision or pick_precision(device_type)[0])
    with torch.inference_mode(), torch.autocast(device_type, dtype=dtype,
                                                enabled=dtype is not None):
        yield


def cpu_count() -> int:
    """CPU cores this process may really use (affinity and the container's CPU quota)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    try:  # cgroup v2 quota, e.g. "200000 100000" = 2 CPUs
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return n


MAX_THREADS_PER_CORE = 4  # more only exhausts the process limit (100000 did)


def threads_problem(n: int) -> str | None:
    """Why ``n`` torch threads cannot be, or ``None``: from 1 to 4 per usable core.

    >>> threads_problem(0), threads_problem(100_000) is not None, threads_problem(1)
    ('is not a whole number >= 1', True, None)
    """
    most = MAX_THREADS_PER_CORE * cpu_count()
    if n < 1:
        return "is not a whole number >= 1"
    return f"is more than {most} (4 per usable core)" if n > most else None


def env_threads() -> int | None:
    """``$COURSE_THREADS`` as a whole number from 1 to 4 per usable core, ``None`` when unset
    or empty; a ``ValueError`` naming the variable otherwise.

    >>> os.environ["COURSE_THREADS"] = " 2 "; env_threads()
    2
    >>> del os.environ["COURSE_THREADS"]; env_threads() is None
    True
    """
    raw = os.environ.get("COURSE_THREADS", "")
    if not raw.strip():
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if problem := threads_problem(n):
        raise ValueError(f"COURSE_THREADS={raw!r} {problem} (the CPU threads torch may use); "
                         "unset it to use every usable core")
    return n


def set_threads(n: int | None = None) -> int:
    """Give torch one intra-op thread per usable core (or ``n``, or ``$COURSE_THREADS``);
    returns the number set. Several processes on one machine (``torchrun``, ``accelerate
    launch`` set ``LOCAL_WORLD_SIZE``) share its cores: more threads than cores in all make
    every one of them several times slower."""
    processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    n = n or env_threads() or max(1, cpu_count() // processes)
    import torch

    torch.set_num_threads(n)
    return n


def seed_everything(seed: int = 42, deterministic: bool = False) -> int:
    """Seed Python, NumPy and torch (all devices) via ``transformers.set_seed``; returns ``seed``.

    ``deterministic=True`` also asks torch for deterministic kernels (slower on GPU).
    """
    from transformers import set_seed

    set_seed(seed, deterministic=deterministic)
    return seed


def reset_peak_memory(device: str) -> None:
    """Start a new peak for ``peak_memory_mb`` (CUDA only; MPS and CPU have no reset)."""
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mb(device: str) -> float:
    """Peak memory: allocated on a CUDA GPU, driver-allocated on MPS, the process's peak RSS on CPU."""
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    if device == "mps":
        return torch.mps.driver_allocated_memory() / 2**20
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    except ImportError:
        return float("nan")
