#!/usr/bin/env bash
# Sets up the system libraries, builds in release mode and runs a short version of the report's
# two MNIST experiments: one epoch of the DCGAN and one of the convolutional VAE (a few minutes on
# two cores). Pictures, curves, logs and checkpoints go to output/mnist-gan and output/mnist-vae.
# Extra arguments go to both examples (for example --epochs 5 or --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift build -c release --product mnist-gan
swift build -c release --product mnist-vae
bin="$(swift build -c release --show-bin-path)"
"$bin/mnist-gan" --epochs 1 --sample-every 1 --output output/mnist-gan "$@"
"$bin/mnist-vae" --epochs 1 --sample-every 1 --output output/mnist-vae "$@"
echo
echo "Pictures: output/mnist-gan/samples/epoch-0001.png, output/mnist-vae/samples/epoch-0001.png,"
echo "          output/mnist-vae/reconstructions/epoch-0001.png; curves: output/*/losses.svg"
