#!/usr/bin/env bash
# One-shot GPU run: preset `ideal-gradual` on all of Set14 x2 (one process per image, the GPU
# shared; not a timing run), and bird (Set5) gradual with seeds 1 and 2, to tell a systematic
# gradual failure on small images from seed noise. Bounded by BUDGET seconds.
#
#   DATA=.devdata OUT=/tmp/gpu BUDGET=470 bash bench/gpu_gradual.sh
set -u
DATA=${DATA:-.devdata}
OUT=${OUT:?set OUT}
BUDGET=${BUDGET:-470}
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}
RUNS=$(mktemp -d)
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
PY=${PY:-python3}
cap=$((BUDGET - 20))
run() {  # data-dir stem preset seed outdir
  timeout "$cap" $PY bench/zssr_table1.py --data-dir "$1" --images "$2" --scale 2 --preset "$3" \
    --seed "$4" --device "$DEVICE" $EXTRA --out "$RUNS/$5/$2" >"$RUNS/$5_$2.log" 2>&1 &
}
for img in "$DATA"/set14/*.png; do run "$DATA/set14" "$(basename "$img" .png)" ideal-gradual 0 set14_gradual; done
for seed in 1 2; do
  run "$DATA/set5" bird ideal-gradual "$seed" "bird_gradual_s$seed"
done
wait
echo "end at ${SECONDS}s" >"$OUT/summary.txt"
cat "$RUNS"/*/*/results.jsonl >>"$OUT/summary.txt" 2>/dev/null
tar -czf "$OUT/gpu.tar.gz" -C "$RUNS" --exclude='*.png' .
