#!/usr/bin/env bash
# GPU runs through the benchmark harness (`blindsr bench`), one phase per call so each call's
# results come back even if a later one does not run. Every phase is bounded by BUDGET seconds;
# the harness writes one row per finished unit, so a timeout loses only unfinished units.
#
#   PHASE=gradual DATA=.devdata OUT=$OUT BUDGET=340 bash bench/gpu_harness.sh
#   PHASE=gradual SEED=1 DATA=.devdata OUT=$OUT BUDGET=340 bash ...   (another seed; default 0)
#   PHASE=table2  DATA=.devdata OUT=$OUT BUDGET=290 bash bench/gpu_harness.sh
#   PHASE=table2est EST=estimator.query_score=laplacian DATA=.devdata OUT=$OUT BUDGET=230 bash ...
#   PHASE=modern DATA=.devdata OUT=$OUT BUDGET=230 bash bench/gpu_harness.sh
#   PHASE=collapsed DATA=.devdata OUT=$OUT BUDGET=185 bash bench/gpu_harness.sh
#
# gradual: Set5 and Set14 x2 (protocol `ideal`), preset `ideal-gradual` with the dead-net guard,
#          one worker per image, the GPU shared (not a timing run).
# table2est: ZSSR[est] with the estimator options EST on the first LIMIT (default 20) Table-2
#          images, REPEATS (default 1) repeats; the other methods' rows are copied in from
#          bench/results/table2_bsd100 and skipped.
# modern:  Set5 and Set14 x2, one-jump `ideal` with `slope_variance=modern` (the numpy >= 1.16
#          slope std, sqrt(3) smaller than the 2018 code's, so the rate drops later).
# collapsed: the same for head (Set5), ppt3 and pepper (Set14) only.
# table2:  BSD100 Table-2 protocol with ZSSR[bicubic], ZSSR[est] (narrowing 1.5) and ZSSR[true]:
#          images 11-20 of the sorted list (repeat 0), and repeats 1-2 of images 1-10 (repeat 0
#          is in bench/results/table2_bsd100 and is skipped: the store is copied in first).
# DATA holds set5/, set14/ and t2/ (the first 20 BSD100 HR images, sorted).
set -u
DATA=${DATA:-.devdata}
OUT=${OUT:?set OUT}
BUDGET=${BUDGET:-300}
DEVICE=${DEVICE:-cuda}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
# The device machine has no internet; PyWavelets (a scikit-image dependency) travels as a wheel.
if ! $PY -c "import pywt" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
cap=$((BUDGET - 15))
bench() {  # protocol data out workers methods [extra...]
  local protocol=$1 data=$2 out=$3 workers=$4 methods=$5
  shift 5
  timeout "$cap" $PY -m blindsr bench "$protocol" --data-dir "$data" --out "$out" \
    --workers "$workers" --device "$DEVICE" --methods "$methods" --seed "${SEED:-0}" "$@" \
    >"$out.log" 2>&1
  echo "$(basename "$out") rc=$? at ${SECONDS}s" >>"$OUT/summary.txt"
}
{ date -u +%FT%TZ; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; nproc; } \
  >"$OUT/summary.txt" 2>&1
case ${PHASE:?set PHASE} in
  gradual)
    m="zssr-bicubic:preset=ideal-gradual,revive_dead_net=true"
    bench ideal "$DATA/set5" "$OUT/set5_gradual" 5 "$m" &
    bench ideal "$DATA/set14" "$OUT/set14_gradual" 14 "$m" &
    wait
    ;;
  modern)  # one jump with the slope std of numpy >= 1.16 (zssr-reference.md §0.2, §5)
    m="zssr-bicubic:preset=ideal,slope_variance=modern"
    bench ideal "$DATA/set5" "$OUT/set5_modern" 5 "$m" &
    bench ideal "$DATA/set14" "$OUT/set14_modern" 14 "$m" &
    wait
    ;;
  collapsed)  # the three images whose gradual runs collapsed under the first guard
    m="zssr-bicubic:preset=ideal-gradual,revive_dead_net=true"
    bench ideal "$DATA/set5" "$OUT/set5_gradual" 1 "$m" --images head &
    bench ideal "$DATA/set14" "$OUT/set14_gradual" 2 "$m" --images ppt3,pepper &
    wait
    ;;
  table2)
    m="bicubic;zssr-bicubic;zssr-est:estimator.narrowing=1.5;zssr-true"
    mkdir -p "$OUT/t2_more" "$OUT/t2_repeats"
    cp bench/results/table2_bsd100/results.jsonl "$OUT/t2_more/"
    cp bench/results/table2_bsd100/results.jsonl "$OUT/t2_repeats/"
    bench table2 "$DATA/t2" "$OUT/t2_more" 9 "$m" --limit 20 &
    bench table2 "$DATA/t2" "$OUT/t2_repeats" 9 "$m" --limit 10 --repeats 3 &
    wait
    ;;
  table2est)  # one more ZSSR[est] variant (EST = its method options) on all 20 Table-2 images
    m="bicubic;zssr-bicubic;zssr-est:${EST:?set EST};zssr-true"
    mkdir -p "$OUT/t2_est"
    cp bench/results/table2_bsd100/results.jsonl "$OUT/t2_est/"
    bench table2 "$DATA/t2" "$OUT/t2_est" 20 "$m" --limit "${LIMIT:-20}" --repeats "${REPEATS:-1}"
    ;;
  *) echo "unknown PHASE $PHASE" >&2; exit 2 ;;
esac
for f in "$OUT"/*/table.md; do echo "== $f"; cat "$f"; done >>"$OUT/summary.txt" 2>/dev/null
rm -rf "$OUT"/*/inputs
cat "$OUT/summary.txt"
