#!/usr/bin/env bash
# One GPU session for the translator: train (synthetic pretraining + MassBank fine-tuning),
# decode the dev_500 spectra (beam 10 and 50, free and constrained to the true formula), and time
# beam search (free and formula-constrained) against HF BART.
# Inputs (made on a CPU machine, see docs/translate.md): $DATA/sets.npz, $DATA/eval_dev500.npz.
# Outputs in $OUT: run.log, bench.json, raw_b{10,50}.npz, true_b{10,50}.npz, translator.pt split
# into <15 MB parts. SKIP_BENCH=1 leaves out the throughput benchmark (and bench.json), e.g. to fit
# a longer training run; CHECKPOINT=path skips training and uses that checkpoint.
set -euo pipefail
DATA=${DATA:-.trdata}
OUT=${OUT:-out}
SECONDS_PER_PHASE=${SECONDS_PER_PHASE:-170}
mkdir -p "$OUT"
export PYTHONPATH=$PWD/workflow PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba-cache
log="$OUT/run.log"
{ nvidia-smi -L || true; python3 -c "import torch; print('torch', torch.__version__)"; } 2>&1 | tee "$log"
if [ -n "${CHECKPOINT:-}" ]; then
  cp "$CHECKPOINT" /tmp/translator.pt
else
  python3 -m specsweep.translate.commands train-translator --prepared "$DATA/sets.npz" --output /tmp/translator.pt \
    --pretrain-steps 30000 --finetune-steps 30000 --max-seconds "$SECONDS_PER_PHASE" --batch-size 512 --lr 6e-4 \
    --half 2>&1 | tee -a "$log"
  split -b 15M -d /tmp/translator.pt "$OUT/translator.pt.part"
fi
for beam in 10 50; do
  for mode in none true; do
    name=$([ $mode = none ] && echo raw || echo true)
    python3 benchmarks/translate_eval.py decode --checkpoint /tmp/translator.pt --arrays "$DATA/eval_dev500.npz" \
      --output "$OUT/${name}_b$beam.npz" --beam-size $beam --batch-size $((2560 / beam)) --constrain $mode \
      2>&1 | tee -a "$log" || echo "decode beam $beam ($mode) FAILED" | tee -a "$log"
  done
done
if [ "${SKIP_BENCH:-0}" = 1 ]; then
  echo "throughput benchmark skipped (SKIP_BENCH=1)" | tee -a "$log"
else
  python3 benchmarks/translate_bench.py --checkpoint /tmp/translator.pt --arrays "$DATA/eval_dev500.npz" \
    --n 4096 --batch-size 512 --hf-spectus --json "$OUT/bench.json" 2>&1 | tee -a "$log" \
    || echo "benchmark FAILED" | tee -a "$log"
fi
