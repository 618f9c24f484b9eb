#!/usr/bin/env bash
# Compiles every Swift snippet of the README and the DocC catalogues as a user's package would
# (scripts/snippets.py: a path dependency on this repository, Swift 6 mode, each page's snippets one
# program, `@Test` snippets a test target, package manifests packages of their own), in
# .build-snippets/ (git ignores it). Fails on the first snippet that does not compile.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
rm -rf .build-snippets/Snippets/Sources .build-snippets/Snippets/Tests
manifests=$(python3 scripts/snippets.py . .build-snippets)
status=0
build() {  # folder, what
  if (cd "$1" && swift build --build-tests >"$1/build.log" 2>&1); then
    echo "snippets: $2 compiled"
  else
    echo "snippets: $2 does not compile:"
    grep -E '\.swift:[0-9]+:[0-9]+: error:|^error:' "$1/build.log" | grep -v 'cancelled\|emit-module' | sort -u | head -20 | sed 's/^/  /'
    status=1
  fi
}
build "$PWD/.build-snippets/Snippets" "README and DocC programs and tests ($(ls .build-snippets/Snippets/Sources | wc -l) pages)"
for manifest in $manifests; do
  build "$manifest" "the package manifest $(basename "$manifest")"
done
exit $status
