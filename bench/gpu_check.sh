#!/usr/bin/env bash
# One-shot GPU session: CUDA timing of faithful ZSSR per BSD100-size image, the test suite on a
# CUDA machine, and Set5 x2 one-jump vs gradual on the same device. Each phase is bounded so the
# whole script ends inside BUDGET seconds and results survive a phase that fails or runs long.
#
#   DATA=.devdata OUT=/tmp/gpu BUDGET=540 bash bench/gpu_check.sh
#
# DATA holds bsd/ (BSD100 HR images for timing) and set5/ (Set5 HR). Results: $OUT/gpu.tar.gz
# (one results.jsonl and log per run) and $OUT/summary.txt.
set -u
DATA=${DATA:-.devdata}
OUT=${OUT:?set OUT}
BUDGET=${BUDGET:-540}
RUNS=$(mktemp -d)
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}  # e.g. "--max-iters 30" for a dry run on the CPU
STEPS=${STEPS:-300}
left() { echo $((BUDGET - SECONDS)); }
summary=$OUT/summary.txt

{
  echo "# $(date -u +%FT%TZ)"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  $PY -c "import torch, numpy, scipy, skimage, cv2; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0)); print('numpy', numpy.__version__, 'scipy', scipy.__version__, 'skimage', skimage.__version__, 'cv2', cv2.__version__)"
  nproc
} >"$summary" 2>&1

# Phase 1, alone on the GPU: faithful `ideal` and the `fast` preset on three BSD100 images.
for preset in ideal fast; do
  if [ "$preset" = ideal ]; then cap=180; else cap=60; fi
  [ "$(left)" -gt $((cap + 120)) ] || break
  timeout "$cap" $PY bench/zssr_table1.py --data-dir "$DATA/bsd" --scale 2 --preset "$preset" \
    --device "$DEVICE" $EXTRA --out "$RUNS/timing_$preset" >"$RUNS/timing_$preset.log" 2>&1
  echo "timing $preset rc=$? at ${SECONDS}s" >>"$summary"
  grep -v '%|' "$RUNS/timing_$preset.log" | tail -5 >>"$summary"
done
timeout 60 $PY bench/train_step.py --steps "$STEPS" --device "$DEVICE" >"$RUNS/train_step.log" 2>&1
echo "train_step rc=$? at ${SECONDS}s" >>"$summary"
cat "$RUNS/train_step.log" >>"$summary"

# Phase 2, shared GPU (not for timing): Set5 one jump and gradual, one process per image, and
# the test suite on a machine where device='auto' means CUDA.
cap=$(( $(left) - 25 ))
pids=()
for img in "$DATA"/set5/*.png; do
  stem=$(basename "$img" .png)
  for preset in ideal ideal-gradual; do
    timeout "$cap" $PY bench/zssr_table1.py --data-dir "$DATA/set5" --images "$stem" --scale 2 \
      --preset "$preset" --device "$DEVICE" $EXTRA --out "$RUNS/set5_$preset/$stem" \
      >"$RUNS/set5_${preset}_$stem.log" 2>&1 &
    pids+=($!)
  done
done
timeout "$cap" $PY -m pytest -q -p no:cacheprovider tests >"$RUNS/pytest.log" 2>&1
echo "pytest rc=$? at ${SECONDS}s" >>"$summary"
tail -15 "$RUNS/pytest.log" >>"$summary"
wait "${pids[@]}"
echo "set5 done at ${SECONDS}s" >>"$summary"
cat "$RUNS"/set5_*/*/results.jsonl >>"$summary" 2>/dev/null
tar -czf "$OUT/gpu.tar.gz" -C "$RUNS" --exclude='*.png' .
echo "end at ${SECONDS}s" >>"$summary"
