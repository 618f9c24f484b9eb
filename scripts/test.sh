#!/usr/bin/env bash
# Sets up the system libraries, builds everything and runs the test suite, then drives the latent
# explorer in a browser (scripts/browser-test.sh), checks the documentation (scripts/docs.sh), the
# snippets in it (scripts/check-snippets.sh) and the core product on its own (scripts/check-core-alone.sh).
# Data sets are found through GENERATIVEKIT_DATA (default: ../shared/data beside the package).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh --distributed  # the whole package builds, GenerativeKitDistributed (Open MPI) included
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift build --build-tests
# Serial: a few tests change process-wide settings (thread count, convolution chunk size) to check
# that results do not depend on them, and a concurrent test's bit-for-bit resume check would see
# the change. On two cores running tests in parallel saves little anyway.
swift test --skip-build --no-parallel "$@"
# gk-explore's page, driven in headless Chromium (installed here when missing).
bash scripts/browser-test.sh
# The products' documentation: no DocC warning anywhere, no undocumented public symbol in the core.
bash scripts/docs.sh
# Every Swift snippet of the README and the DocC articles, compiled as a user's package would.
bash scripts/check-snippets.sh
# The core on its own: a fresh package that depends on GenerativeKit alone trains the toy-fit model.
bash scripts/check-core-alone.sh
