"""``python -m helpers.train`` as ``torchrun`` or ``accelerate launch`` starts it, with two hooks
for tests/test_distributed.py (set through the environment, so the command line is the real one):

* ``COURSE_TEST_RECORD=<folder>``: each process appends, for every training batch, its
  sentences (token ids without padding) to ``<folder>/rank<r>.jsonl``, so a test can check
  which examples every optimizer step saw;
* ``COURSE_TEST_CTRL_C=<rank>:<batch>``: that process alone gets a Ctrl-C (SIGINT) just before
  its ``<batch>``-th training batch (counted from 1 over the whole run), as when a terminal's
  Ctrl-C reaches the processes at different moments.

Run as a script only (``tests/launched.py ner --train ...``); importing it does nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def install_hooks() -> None:
    from helpers import train

    rank, original, calls = int(os.environ.get("RANK", "0")), train.training_step, {"n": 0}
    record = os.environ.get("COURSE_TEST_RECORD")
    target = os.environ.get("COURSE_TEST_CTRL_C")
    ctrl_c_rank, ctrl_c_batch = map(int, target.split(":")) if target else (-1, -1)

    def step(loop, batch):
        calls["n"] += 1
        if rank == ctrl_c_rank and calls["n"] == ctrl_c_batch:
            os.kill(os.getpid(), signal.SIGINT)
        if record:
            mask = batch["attention_mask"].bool()
            rows = [ids[keep].tolist() for ids, keep in zip(batch["input_ids"], mask)]
            with open(Path(record) / f"rank{rank}.jsonl", "a") as log:
                log.write(json.dumps({"epoch": loop.epoch, "rows": rows}) + "\n")
        return original(loop, batch)

    train.training_step = step


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    install_hooks()
    from helpers.cli import main

    sys.exit(main())
