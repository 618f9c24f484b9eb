#!/usr/bin/env bash
# Builds a fresh package that depends on the GenerativeKit product alone and trains the toy-fit
# model with it (Examples/toy-fit/SpiralFit.swift, copied as is), then checks that the program
# links none of the other products' libraries (zlib, libpng, libjpeg, Foundation's networking). The package is written to .build-core-alone/ (git ignores it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
root="$PWD"
package="$root/.build-core-alone/CoreAlone"
rm -rf "$package"
mkdir -p "$package/Sources/CoreAlone"
cat >"$package/Package.swift" <<MANIFEST
// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "CoreAlone",
  dependencies: [.package(name: "GenerativeKit", path: "$root")],
  targets: [
    .executableTarget(
      name: "CoreAlone",
      dependencies: [.product(name: "GenerativeKit", package: "GenerativeKit")]
    )
  ]
)
MANIFEST
cp Examples/toy-fit/SpiralFit.swift "$package/Sources/CoreAlone/"
cat >"$package/Sources/CoreAlone/main.swift" <<'MAIN'
import GenerativeKit

#if canImport(Glibc)
  import Glibc
#endif

let result = try SpiralFit(steps: 300).run { print($0) }
guard result.accuracy >= 0.9 else {
  print("core-alone: the toy-fit model reached only \(result.accuracy) accuracy")
  exit(1)
}
MAIN
cd "$package"
swift build 2>&1 | grep -E 'error|warning: |Compiling CoreAlone|Build complete' || true
binary="$(swift build --show-bin-path)/CoreAlone"
[ -x "$binary" ] || { echo "core-alone: the package did not build"; exit 1; }
"$binary"
if ldd "$binary" | grep -E 'libz\.|libpng|libjpeg|FoundationNetworking|Crypto|ssl'; then
  echo "core-alone: a program that imports GenerativeKit alone links the libraries above"
  exit 1
fi
echo "core-alone: trained the toy-fit model on the GenerativeKit product alone; linked: $(ldd "$binary" | awk '{print $1}' | grep -E 'openblas|lapack|Foundation|swift' | tr '\n' ' ')"
