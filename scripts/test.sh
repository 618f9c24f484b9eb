#!/usr/bin/env bash
# Sets up the system libraries, builds everything and runs the test suite.
# Data sets are found through GENERATIVEKIT_DATA (default: ../shared/data beside the package).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift build --build-tests
swift test --skip-build "$@"
