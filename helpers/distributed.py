"""Several processes, one run: who is main, threads per process, evaluation shared out and
gathered, a stop all processes agree on, and the launch commands for this machine.

``torchrun`` and ``accelerate launch`` start one process per GPU (or several on a CPU, over
gloo) and tell each its place through ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
``LOCAL_WORLD_SIZE``. Every process runs the same code (``train.fit``): accelerate wraps the
model in DDP, which averages the gradients, so the processes keep the same weights; each
process trains on its own share of every global batch. What must not be done N times is done
by the main process alone (printing the JSON line, writing ``best/``, ``last/`` and
``history.json``); what every process needs to agree on (the dev F1 behind early stopping and
the best checkpoint; whether to stop after Ctrl-C) is computed from all of them.

Dev predictions are shared out in contiguous slices, one per process, sizes differing by at
most one and nothing padded or repeated (what ``accelerate``'s ``gather_for_metrics`` does for
a prepared loader), then gathered in order, so every process scores the whole dev set once:

    >>> shard_bounds(41, 2)
    [(0, 21), (21, 41)]
    >>> shard_bounds(3, 4)
    [(0, 1), (1, 2), (2, 3), (3, 3)]
    >>> map_sharded(lambda start, stop: list(range(start, stop)), 5)  # one process: all of it
    [0, 1, 2, 3, 4]

Outside a launcher (a notebook, ``python -m helpers.train``) there is one process and every
function here is a no-op.

Imports: ``device``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from helpers.device import pick_device


def world_size() -> int:
    """How many processes train together (1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True for the process that prints and writes (rank 0); True without a launcher."""
    return int(os.environ.get("RANK", "0")) == 0


def _group():
    """``torch.distributed`` when a process group is running (the Accelerator starts it)."""
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def shard_bounds(n: int, processes: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each process's contiguous share of ``n`` rows, in rank order."""
    size, extra = divmod(n, processes)
    bounds, start = [], 0
    for rank in range(processes):
        stop = start + size + (rank < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


def map_sharded(fn: Callable[[int, int], list], n: int) -> list:
    """``fn(start, stop)`` gives one result per row of ``start:stop``; every process computes
    its share of the ``n`` rows and gets back all ``n`` results, in row order, each computed
    once. One process: ``fn(0, n)``."""
    dist = _group()
    if dist is None or dist.get_world_size() == 1:
        return list(fn(0, n))
    start, stop = shard_bounds(n, dist.get_world_size())[dist.get_rank()]
    shares: list = [None] * dist.get_world_size()
    dist.all_gather_object(shares, list(fn(start, stop)))
    return [row for share in shares for row in share]


def any_process(flag: bool) -> bool:
    """True on every process when ``flag`` is True on any (a collective call: every process
    must make it at the same point). One process: ``flag``."""
    dist = _group()
    if dist is None or dist.get_world_size() == 1:
        return flag
    import torch

    device = process_device() if dist.get_backend() == "nccl" else "cpu"  # nccl: GPU tensors
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def process_device() -> str:
    """The device this process computes on: ``cuda:<local rank>`` for a process of a multi-GPU
    run, else ``device.pick_device()``."""
    device = pick_device()
    if device == "cuda" and world_size() > 1:
        return f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
    return device


def launch_commands(arguments: str, processes: int, gpus: int) -> dict[str, str]:
    """The commands that run ``python -m helpers.train <arguments>`` in ``processes``
    processes on one machine, with ``torchrun`` and with ``accelerate launch``. For accelerate
    the flag is ``--multi_gpu`` on GPUs and on a CPU alike (it names the launcher; without GPUs
    the processes talk over gloo): ``--cpu --num_processes 2`` starts a single process unless
    MPI is set up. ``--batch-size`` is per process: the global batch is batch size × processes
    × gradient accumulation.

    >>> launch_commands("ner --epochs 1", 2, 0)["torchrun"]
    'torchrun --nproc-per-node 2 -m helpers.train ner --epochs 1'
    >>> launch_commands("ner --epochs 1", 4, 4)["accelerate"]
    'accelerate launch --multi_gpu --num_processes 4 -m helpers.train ner --epochs 1'
    """
    return {"torchrun": f"torchrun --nproc-per-node {processes} -m helpers.train {arguments}",
            "accelerate": f"accelerate launch --multi_gpu --num_processes {processes} "
                          f"-m helpers.train {arguments}"}


def commands_for(arguments: str, gpus: int) -> dict[str, str]:
    """``launch_commands`` for a machine with ``gpus`` GPUs: one process per GPU when there are
    two or more; else two processes on the CPU, to watch data parallelism work (slower than one
    process there: lessons/04_finetune_ner.md), with a single GPU left aside (``COURSE_DEVICE``).

    >>> commands_for("ner", 8)["torchrun"]
    'torchrun --nproc-per-node 8 -m helpers.train ner'
    >>> commands_for("ner", 1)["accelerate"]
    'COURSE_DEVICE=cpu accelerate launch --multi_gpu --num_processes 2 -m helpers.train ner'
    """
    if gpus >= 2:
        return launch_commands(arguments, gpus, gpus)
    prefix = "COURSE_DEVICE=cpu " if gpus == 1 else ""
    return {name: prefix + command for name, command in launch_commands(arguments, 2, 0).items()}
