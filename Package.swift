// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "GenerativeKit",
  products: [
    .library(name: "GenerativeKit", targets: ["GenerativeKit"])
  ],
  dependencies: [
    // Examples only; the library itself depends on system libraries alone.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // MARK: - System libraries

    .systemLibrary(
      name: "COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
      name: "CPNG",
      pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]
    ),
    .systemLibrary(
      name: "CJPEG",
      pkgConfig: "libjpeg",
      providers: [.apt(["libjpeg-dev"])]
    ),

    // MARK: - Library

    .target(
      name: "GenerativeKit",
      dependencies: ["COpenBLAS", "CZlib", "CPNG", "CJPEG"]
    ),

    // MARK: - Examples

    .target(
      name: "ExampleSupport",
      dependencies: [
        "GenerativeKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/ExampleSupport"
    ),
    .executableTarget(
      name: "mnist-gan",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/mnist-gan"
    ),
    .executableTarget(
      name: "mnist-vae",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/mnist-vae"
    ),
    .executableTarget(
      name: "sample",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/sample"
    ),
    .executableTarget(
      name: "faces-gan",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/faces-gan"
    ),
    .executableTarget(
      name: "faces-vae",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/faces-vae"
    ),

    .executableTarget(
      name: "toy-fit",
      dependencies: [
        "GenerativeKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/toy-fit"
    ),

    .executableTarget(
      name: "mnist-classifier",
      dependencies: [
        "GenerativeKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/mnist-classifier"
    ),

    .executableTarget(
      name: "gan-vs-vae",
      dependencies: [
        "GenerativeKit", "ExampleSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/gan-vs-vae"
    ),

    // MARK: - Benchmarks

    .executableTarget(
      name: "gk-bench",
      dependencies: [
        "GenerativeKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/gk-bench"
    ),

    // MARK: - Tests

    .testTarget(
      name: "GenerativeKitTests",
      dependencies: ["GenerativeKit"]
    ),
  ],
  swiftLanguageModes: [.v5]
)
