#!/usr/bin/env bash
# The report's DCGAN (mnist-gan's defaults: batch 256, Adam 1e-4, width 64) trained with several
# seeds in GenerativeKit and in the PyTorch reference (Benchmarks/reference/torch_train_dcgan.py),
# every run's 10,000 samples measured by the same program (`sample FILE.npy --classifier ...`:
# FID, KID, precision/recall and classes on the 99.29 % digit classifier's features, against the
# 10,000 test digits). The two frameworks train side by side, one thread each.
#
#     bash scripts/seed-spread.sh [--epochs 5] [--sample-at 5] [--seeds 1,2,3] [--out output/seed-spread]
#
# Resumable: run it again with the same --out (and more --epochs) and every run continues from its
# last epoch, in both frameworks, exactly where it stopped; samples are taken after each epoch in
# --sample-at (default: the last). Needs the PyTorch venv of Benchmarks/reference/setup.sh
# (../venv-torch, or GK_VENV_ROOT). Writes OUT/{gk,torch}-seed-S/ and OUT/quality-*-epoch-E.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
epochs=5
seeds=1,2,3
sample_at=""
out=output/seed-spread
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --sample-at) sample_at="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "seed-spread: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
sample_at="${sample_at:-$epochs}"
python="${GK_VENV_ROOT:-$(cd .. && pwd)}/venv-torch/bin/python"
[ -x "$python" ] || { echo "seed-spread: no PyTorch at $python; run bash Benchmarks/reference/setup.sh torch" >&2; exit 1; }
mkdir -p "$out"
for product in mnist-gan sample mnist-classifier; do swift build -c release --product "$product" >/dev/null 2>&1; done
bin="$(swift build -c release --show-bin-path)"
classifier="$out/classifier/classifier.safetensors"
epoch_name() { printf "epoch-%04d" "$1"; }

gk_runs() {
  [ -f "$classifier" ] || "$bin/mnist-classifier" --threads 1 --output "$out/classifier" > "$out/classifier.log"
  for seed in ${seeds//,/ }; do
    run="$out/gk-seed-$seed"
    resume=(--overwrite)
    [ -f "$run/checkpoints/latest.safetensors" ] && resume=(--resume "$run/checkpoints/latest.safetensors")
    # Every epoch of --sample-at must be a multiple of --save-every: checkpoints every epoch.
    "$bin/mnist-gan" --seed "$seed" --epochs "$epochs" --save-every 1 --sample-every "$epochs" --threads 1 \
      --output "$run" "${resume[@]}" >> "$run.log" 2>&1
    for epoch in ${sample_at//,/ }; do
      "$bin/sample" "$run/checkpoints/$(epoch_name "$epoch").safetensors" --count 10000 --threads 1 \
        --output "$run/samples-$(epoch_name "$epoch")" > /dev/null
    done
  done
}

torch_runs() {
  for seed in ${seeds//,/ }; do
    run="$out/torch-seed-$seed"
    "$python" Benchmarks/reference/torch_train_dcgan.py --data "$GENERATIVEKIT_DATA" --seed "$seed" --epochs "$epochs" \
      --sample-at "$sample_at" --threads 1 --resume --out "$run" >> "$run.log" 2>&1
  done
}

gk_runs & gk=$!
torch_runs & torch=$!
wait $gk
wait $torch
for seed in ${seeds//,/ }; do
  for epoch in ${sample_at//,/ }; do
    "$bin/sample" "$out/gk-seed-$seed/samples-$(epoch_name "$epoch")/samples.npy" --classifier "$classifier" \
      > "$out/quality-gk-seed-$seed-$(epoch_name "$epoch").txt"
    "$bin/sample" "$out/torch-seed-$seed/samples-$(epoch_name "$epoch").npy" --classifier "$classifier" \
      > "$out/quality-torch-seed-$seed-$(epoch_name "$epoch").txt"
  done
done
python3 scripts/seed-spread-table.py "$out"/quality-*-epoch-*.txt
