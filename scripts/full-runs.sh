#!/usr/bin/env bash
# Runs the report's two MNIST experiments at their full settings (VAE: 30 epochs, about half an
# hour on two cores; GAN: 50 epochs, several hours), each resuming from its latest checkpoint when
# one exists, so the script can be stopped at any time and started again.
#
#   bash scripts/full-runs.sh [OUTPUT_FOLDER]      (default output/full)
#
# Logs go to OUTPUT_FOLDER/<experiment>.log; docs/RESULTS.md describes what the runs produced.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
out="${1:-output/full}"
mkdir -p "$out"
swift build -c release --product mnist-gan
swift build -c release --product mnist-vae
bin="$(swift build -c release --show-bin-path)"

run() {
  local name=$1
  shift
  local latest="$out/$name/checkpoints/latest.safetensors"
  local resume=()
  [ -f "$latest" ] && resume=(--resume "$latest")
  echo "$(date -u +%FT%TZ) $name ${resume[*]:-}" | tee -a "$out/$name.log"
  "$bin/$name" --output "$out/$name" --threads 2 "${resume[@]}" "$@" >>"$out/$name.log" 2>&1
}

run mnist-vae --sample-every 5 --save-every 10
run mnist-gan
