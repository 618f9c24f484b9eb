#!/usr/bin/env bash
# gk-explore in a real browser: trains two tiny conditional models (a GAN and a VAE) on 256 MNIST
# digits, serves each with gk-explore on a free port, and drives the page in headless Chromium
# (Tests/Browser/explorer_browser_test.py): click, drag and key through the sliders, the class
# selector, the interpolation and the VAE's reconstructions, checking that every picture changes
# and that the page shows no error. Installs Chromium when it is missing.
#
#     bash scripts/browser-test.sh                       # debug build, screenshots in a temporary folder
#     bash scripts/browser-test.sh --release --screenshots docs/images --report latency.json \
#         gan=output/mnist-gan/checkpoints/latest.safetensors   # trained models, figures for the docs
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh --browser
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"

configuration=debug
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
screenshots="$work/screenshots"
report=()
checkpoints=()
while [ $# -gt 0 ]; do
  case "$1" in
    --release) configuration=release ;;
    --screenshots) screenshots="$2"; shift ;;
    --report) report=(--report "$2"); shift ;;
    *=*) checkpoints+=(--checkpoint "$1") ;;
    *) echo "browser-test: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

for product in gk-explore mnist-gan mnist-vae; do
  if ! output="$(swift build -c "$configuration" --product "$product" 2>&1)"; then echo "$output" >&2; exit 1; fi
done
bin="$(swift build -c "$configuration" --show-bin-path)"
if [ ${#checkpoints[@]} -eq 0 ]; then
  quiet=(--epochs 1 --limit 256 --batch-size 64)
  "$bin/mnist-gan" --conditional --width 8 "${quiet[@]}" --output "$work/gan" >/dev/null
  "$bin/mnist-vae" --conditional --no-test "${quiet[@]}" --output "$work/vae" >/dev/null
  checkpoints=(--checkpoint "gan=$work/gan/checkpoints/latest.safetensors" --checkpoint "vae=$work/vae/checkpoints/latest.safetensors")
fi
python3 Tests/Browser/explorer_browser_test.py --server "$bin/gk-explore" "${checkpoints[@]}" \
  --data-dir "$GENERATIVEKIT_DATA" --screenshots "$screenshots" ${report[@]+"${report[@]}"}
