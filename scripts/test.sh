#!/usr/bin/env bash
# Sets up the system libraries, builds everything and runs the test suite.
# Data sets are found through GENERATIVEKIT_DATA (default: ../shared/data beside the package).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift build --build-tests
# Serial: a few tests change process-wide settings (thread count, convolution chunk size) to check
# that results do not depend on them, and a concurrent test's bit-for-bit resume check would see
# the change. On two cores running tests in parallel saves little anyway.
swift test --skip-build --no-parallel "$@"
