#!/usr/bin/env bash
# Sets up the system libraries, builds in release mode and runs the quick GAN-versus-VAE
# comparison: small versions of the report's DCGAN and convolutional VAE trained on MNIST and on
# Frey faces, measured (FID, Inception score, class histogram, precision/recall, Parzen windows,
# VAE bounds, sliced Wasserstein distance, nearest neighbours) and written up as a report
# (a few minutes on two cores). Extra arguments go to gan-vs-vae (for example --data-dir DIR);
# without --quick it runs the report's full settings (hours), as scripts/full-runs.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh --distributed  # gan-vs-vae links Open MPI for its --distributed mode
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift build -c release --product gan-vs-vae
"$(swift build -c release --show-bin-path)/gan-vs-vae" --quick --output output/gan-vs-vae-quick "$@"
echo
echo "Sample grids: output/gan-vs-vae-quick/figures/mnist-gan-samples.png, mnist-vae-samples.png,"
echo "faces-gan-samples.png, faces-vae-samples.png; the whole report: output/gan-vs-vae-quick/index.html"
