#!/usr/bin/env bash
# GAN quality after equal minutes of training: GenerativeKit's `mnist-gan --preset fast` against
# PyTorch's canonical DCGAN recipe and against the same recipe written in PyTorch
# (Benchmarks/reference/torch_gan_minutes.py), each trained alone on the machine for the same
# training time with the same thread count, snapshots taken after each time in --minutes, and every
# snapshot's 10,000 samples measured by the same program (`sample ... --classifier C`: FID, KID,
# precision/recall, classes, on the digit classifier's features against the 10,000 test digits).
#
#     bash scripts/gan-per-minute.sh [--minutes 2,5,10] [--threads 2] [--seed 1] [--out output/gan-per-minute]
#                                    [--runs gk,torch-canonical,torch-fast] [--gk-flags "--update-order alternating"]
#
# The clock of both frameworks counts training (steps and batch assembly); writing checkpoints,
# grids and samples pauses it. Needs the PyTorch venv of Benchmarks/reference/setup.sh (../venv-torch,
# or GK_VENV_ROOT) for the torch runs; trains the classifier (mnist-classifier, about 5 minutes on one
# thread) into OUT/classifier when it is not there. Writes OUT/RUN/, OUT/quality-RUN-M.txt and
# OUT/table.md. About (number of runs x the last minutes) + 1 minute per snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
minutes=2,5,10
threads=2
seed=1
out=output/gan-per-minute
runs=gk,torch-canonical,torch-fast
gk_flags=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --out) out="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --gk-flags) gk_flags="$2"; shift ;;
    *) echo "gan-per-minute: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
last="$(tr ',' '\n' <<< "$minutes" | sort -g | tail -n 1)"
python="${GK_VENV_ROOT:-$(cd .. && pwd)}/venv-torch/bin/python"
if [[ ",$runs," == *",torch-"* ]] && ! [ -x "$python" ]; then
  echo "gan-per-minute: no PyTorch at $python; run bash Benchmarks/reference/setup.sh torch" >&2
  exit 1
fi
mkdir -p "$out"
for product in mnist-gan sample mnist-classifier; do swift build -c release --product "$product" >/dev/null 2>&1; done
bin="$(swift build -c release --show-bin-path)"
classifier="$out/classifier/classifier.safetensors"
[ -f "$classifier" ] || "$bin/mnist-classifier" --threads "$threads" --output "$out/classifier" > "$out/classifier.log"

for run in ${runs//,/ }; do
  echo "gan-per-minute: training $run for $last minutes on $threads threads"
  case "$run" in
    gk)
      # shellcheck disable=SC2086  # the extra flags are words
      "$bin/mnist-gan" --preset fast --seed "$seed" --threads "$threads" --minutes "$last" --snapshot-minutes "$minutes" \
        --overwrite --output "$out/gk" $gk_flags > "$out/gk.log" 2>&1
      ;;
    torch-canonical|torch-fast)
      "$python" Benchmarks/reference/torch_gan_minutes.py --recipe "${run#torch-}" --data "$GENERATIVEKIT_DATA" \
        --seed "$seed" --threads "$threads" --minutes "$minutes" --out "$out/$run" > "$out/$run.log" 2>&1
      ;;
    *) echo "gan-per-minute: unknown run $run (gk, torch-canonical, torch-fast)" >&2; exit 2 ;;
  esac
done

for run in ${runs//,/ }; do
  for m in ${minutes//,/ }; do
    if [ "$run" = gk ]; then
      "$bin/sample" "$out/gk/checkpoints/minutes-$m.safetensors" --count 10000 --threads "$threads" \
        --classifier "$classifier" --output "$out/gk/samples-$m" > "$out/quality-gk-$m.txt"
    else
      "$bin/sample" "$out/$run/samples-$m.npy" --classifier "$classifier" --threads "$threads" \
        --output "$out/$run/measured-$m" > "$out/quality-$run-$m.txt"
    fi
  done
done
python3 scripts/gan-per-minute-table.py "$out" | tee "$out/table.md"
