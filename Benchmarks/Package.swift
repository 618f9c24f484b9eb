// swift-tools-version: 6.1
// GenerativeKit's package-benchmark suite, in a package of its own so that users of the library
// never resolve or build the benchmark dependencies. Run from this directory:
//
//     swift package benchmark                          # everything (several minutes)
//     swift package benchmark --filter 'sgemm.*'       # a subset (regular expression)
//     swift package benchmark list                     # the names
//
// See docs/PERFORMANCE.md at the repository root.
import PackageDescription

let package = Package(
  name: "GenerativeKitBenchmarks",
  dependencies: [
    .package(name: "GenerativeKit", path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "GenerativeKitBenchmarks",
      dependencies: [
        .product(name: "GenerativeKit", package: "GenerativeKit"),
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/GenerativeKitBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ],
  swiftLanguageModes: [.v5]
)
