#!/usr/bin/env bash
# The every-layer firm's grid at the paper's 25,000 resumes on one GPU, from an offline bundle
# (grids/transformer_every_layer_25k_gpu.yaml: Strategy 1 at 8 alphas x seeds 0-2, Strategy 2
# at 6 alphas x seed 0, class Database_Administrator, 128 tokens, 5 epochs; 30 runs), trained
# by the batched executor K runs at a time. Records are appended to $RESULTS after each batch
# (a rerun computes only what is missing there), the sweep's log goes to $OUT/sweep.log and a
# table of the results to $OUT/results.txt.
#
# Needs: the repository (PYTHONPATH is set here), torch, transformers, numpy, scipy, sklearn,
# pandas, pyyaml, tqdm, filelock; not the corpus, network or `datasets`. Make the bundle on a
# machine with the corpus first: collective bundle bundle --max-length 128 (47 MiB for the real corpus).
#
#   BUNDLE=bundle OUT=$OUT benchmarks/gpu_every_layer_grid.sh            # the GPU run
#   BUNDLE=bundle OUT=$OUT K=10 benchmarks/gpu_every_layer_grid.sh       # records every 10 runs
#   GRID_SCALE=tiny BUNDLE=tiny-bundle OUT=/tmp/out benchmarks/gpu_every_layer_grid.sh
#                                                   # the CPU twin (tests/test_gpu_script.py)
#
# Time: 15,625 steps per run. Measured on an H200 (benchmarks/results/gpu_session_h200.md):
# 34.8 ms per step of all K=25 runs, and one batch of K=13 at 25,000 resumes took 448 s in
# all, so K=30 is roughly 10 minutes for the whole grid (records at the end); smaller K writes
# records sooner. benchmarks/gpu_session.py plans a lease's batches by measuring.
# GRID_SCALE=tiny keeps the grid's 30 runs and
# shrinks each: 24 training resumes, 16 tokens, one epoch, a trigger every 4 words.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${BUNDLE:-bundle}
OUT=${OUT:-/tmp/collective-gpu}
RESULTS=${RESULTS:-$OUT/results}
K=${K:-30}
PYTHON=${PYTHON:-python3}
GRID=grids/transformer_every_layer_25k_gpu.yaml
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    PYTHONUNBUFFERED=1
mkdir -p "$OUT"
if [ "${GRID_SCALE:-full}" = tiny ]; then
    tiny="$OUT/grid_tiny.yaml"
    "$PYTHON" - "$GRID" "$tiny" <<'PY'
import sys, yaml
grid = yaml.safe_load(open(sys.argv[1]))
grid["name"] += "_tiny"
grid["defaults"]["max_train"] = 24
grid["defaults"]["spacing"] = 4  # a 16-token bundle's resumes hold at most 14 words
grid["defaults"]["firm_params"] = {"max_length": 16, "epochs": 1}
yaml.safe_dump(grid, open(sys.argv[2], "w"), sort_keys=False)
PY
    GRID=$tiny
elif [ "${GRID_SCALE:-full}" != full ]; then
    echo "GRID_SCALE must be full or tiny, got ${GRID_SCALE}" >&2
    exit 2
fi
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')" \
    | tee "$OUT/sweep.log"
"$PYTHON" -m collective sweep "$GRID" --executor batched --runs-per-batch "$K" \
    --bundle "$BUNDLE" --results "$RESULTS" 2>&1 | tee -a "$OUT/sweep.log"
"$PYTHON" -m collective results --results "$RESULTS" --grid "$GRID" | tee "$OUT/results.txt"
