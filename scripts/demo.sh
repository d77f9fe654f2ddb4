#!/usr/bin/env bash
# The demo, on the CPU, from a fresh clone: install, generate a small LaSOT-format dataset, train the tiny
# config (Phase 1), resume it from epoch 2 in its own directory (Phase 2), prove both agree, draw the curves,
# then track the test split and compare with the baseline that never moves the first box.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_env.sh"
cd "$ROOT"
DATA="${DEMO_DATA:-data/synthetic_lasot}"
OUT="${DEMO_OUT:-output/demo}"
START=$(date +%s)

echo "== 1/6 generating a LaSOT-format dataset (2 classes x 20 sequences) in $DATA"
python scripts/make_synthetic_lasot.py --out "$DATA" --classes mouse electricfan --seed 0
python scripts/count_dataset.py --lasot_dir "$DATA" --classes mouse electricfan

echo "== 2/6 Phase 1: training seqtrack_tiny for all its epochs into $OUT/phase1"
rm -rf "$OUT/phase1" "$OUT/phase2" "$OUT/results"
python tracking/train.py --script seqtrack --config seqtrack_tiny --save_dir "$OUT/phase1" --mode single \
    --lasot_dir "$DATA"

echo "== 3/6 Phase 2: resuming from Phase 1's epoch-2 checkpoint into $OUT/phase2"
python tracking/train.py --script seqtrack --config seqtrack_tiny --save_dir "$OUT/phase2" --mode single \
    --lasot_dir "$DATA" --resume "$OUT/phase1/checkpoints/train/seqtrack/seqtrack_tiny/SEQTRACK_ep0002.pth.tar"

echo "== 4/6 comparing the phases"
python scripts/compare_phases.py "$OUT/phase1" "$OUT/phase2" --diff-only

echo "== 5/6 drawing the curves"
python scripts/plot_training_curves.py "$OUT/phase1" "$OUT/phase2" --labels "phase 1" "phase 2" \
    --out "$OUT/curves.png"
echo "== 6/6 tracking the 8 test sequences with Phase 1's last checkpoint, against the frozen-box baseline"
python tracking/test.py seqtrack seqtrack_tiny --dataset_name lasot --save_dir "$OUT/phase1" --lasot_dir "$DATA" \
    --results_dir "$OUT/results" --epoch 5 --device cpu
python tracking/analysis_results.py --runs seqtrack/seqtrack_tiny:ep5 --results_dir "$OUT/results" \
    --lasot_dir "$DATA" --baseline
echo "demo done in $(( $(date +%s) - START )) s: log $OUT/phase1/logs/seqtrack-seqtrack_tiny.log, curves $OUT/curves.png"
