#!/usr/bin/env bash
# Sets up the system libraries, builds in release mode and runs the main example.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
export GENERATIVEKIT_DATA="${GENERATIVEKIT_DATA:-$(cd .. && pwd)/shared/data}"
swift run -c release toy-fit --steps 600 "$@"
