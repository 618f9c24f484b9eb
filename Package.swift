// swift-tools-version: 6.1
import PackageDescription

// Products, each importable on its own; dependencies point down this list only:
//
//   GenerativeKit          Tensor, kernels, layers, losses, optimizers, GAN and VAE models,
//                          safetensors checkpoints. Depends on OpenBLAS alone.
//   GenerativeKitData      data sets (IDX, image folders, named sets, download, checksums),
//                          image decoding and encoding, .npy files.
//   GenerativeKitMetrics   sample quality: FID, Inception score, precision/recall, Parzen, SWD,
//                          VAE bounds, the digit classifier.
//   GenerativeKitTraining  the training loop, progress, run folders and logs, experiments, plots.
//   GenerativeKitTesting   gradient checks for your own layers' tests.
//   GenerativeKitDistributed  data-parallel training over MPI (Open MPI: libopenmpi-dev).
let libraryTargetSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "GenerativeKit",
  products: [
    .library(name: "GenerativeKit", targets: ["GenerativeKit"]),
    .library(name: "GenerativeKitData", targets: ["GenerativeKitData"]),
    .library(name: "GenerativeKitMetrics", targets: ["GenerativeKitMetrics"]),
    .library(name: "GenerativeKitTraining", targets: ["GenerativeKitTraining"]),
    .library(name: "GenerativeKitTesting", targets: ["GenerativeKitTesting"]),
    .library(name: "GenerativeKitDistributed", targets: ["GenerativeKitDistributed"]),
  ],
  dependencies: [
    // The library products depend on system libraries alone; the examples parse arguments with
    // swift-argument-parser.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // gk-explore's web server (an example, never a library product's dependency).
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
    .systemLibrary(
      name: "CMPI",
      pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
    ),

    // SHA-256 and MD5 of data files, in C so that debug builds (the tests) hash 50 MB in about a
    // second; a few hundred lines instead of a cryptography package's build.
    .target(name: "CChecksums"),

    // Kernels in C, each compiled for AVX2 + FMA by a function-level target attribute and chosen
    // with CPUID at run time (no build flags): Winograd's tile transforms.
    .target(name: "CKernels"),

    // MARK: - Libraries

    .target(
      name: "GenerativeKit",
      dependencies: ["COpenBLAS", "CKernels"],
      swiftSettings: libraryTargetSettings
    ),
    .target(
      name: "GenerativeKitData",
      dependencies: [
        "GenerativeKit", "CZlib", "CPNG", "CJPEG", "CChecksums",
      ],
      swiftSettings: libraryTargetSettings
    ),
    .target(
      name: "GenerativeKitMetrics",
      dependencies: ["GenerativeKit", "GenerativeKitData"],
      swiftSettings: libraryTargetSettings
    ),
    .target(
      name: "GenerativeKitTraining",
      dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics"],
      swiftSettings: libraryTargetSettings
    ),
    .target(
      name: "GenerativeKitTesting",
      dependencies: ["GenerativeKit"],
      swiftSettings: libraryTargetSettings
    ),
    .target(
      name: "GenerativeKitDistributed",
      dependencies: ["GenerativeKit", "CMPI"],
      swiftSettings: libraryTargetSettings
    ),

    // MARK: - Examples

    .target(
      name: "ExampleSupport",
      dependencies: [
        "GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/ExampleSupport"
    ),
    // The trainers' --distributed mode (links Open MPI): mnist-gan, mnist-vae, faces-gan, faces-vae.
    .target(
      name: "DistributedSupport",
      dependencies: ["GenerativeKit", "GenerativeKitDistributed"],
      path: "Examples/DistributedSupport"
    ),
    // Each example names the products it imports: a map of which product does what.
    example("mnist-gan", dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitTraining", "ExampleSupport", "DistributedSupport"]),
    example("mnist-vae", dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining", "ExampleSupport", "DistributedSupport"]),
    example("sample", dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining", "ExampleSupport"]),
    example("faces-gan", dependencies: ["GenerativeKit", "GenerativeKitTraining", "ExampleSupport", "DistributedSupport"]),
    example("faces-vae", dependencies: ["GenerativeKit", "GenerativeKitTraining", "ExampleSupport", "DistributedSupport"]),
    example("toy-fit", dependencies: ["GenerativeKit"]),
    // A user's own GAN on the public API only (the article "Your own GAN"): no ExampleSupport.
    example("custom-gan", dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitTraining"]),
    example(
      "mnist-classifier",
      dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining"]),

    // The latent-space explorer: the model, API and page (testable without a server), and the
    // Hummingbird server around them.
    .target(
      name: "ExplorerSupport",
      dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitTraining"],
      path: "Examples/ExplorerSupport"
    ),
    .executableTarget(
      name: "gk-explore",
      dependencies: [
        "GenerativeKit", "GenerativeKitData", "ExampleSupport", "ExplorerSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ],
      path: "Examples/gk-explore"
    ),

    // MARK: - Applications

    .executableTarget(
      name: "gan-vs-vae",
      dependencies: [
        "GenerativeKit", "GenerativeKitData", "GenerativeKitMetrics", "GenerativeKitTraining", "ExampleSupport",
        "DistributedSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Apps/gan-vs-vae"
    ),

    // MARK: - Benchmarks

    // The FP32 FMA peak probe behind gk-bench's roofline: C with per-function target attributes.
    .target(name: "CPeakProbe", path: "Benchmarks/CPeakProbe"),
    .executableTarget(
      name: "gk-bench",
      dependencies: [
        "GenerativeKit", "CPeakProbe",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/gk-bench"
    ),

    // MARK: - Fuzzing

    // scripts/fuzz.sh builds gk-fuzz with libFuzzer; a plain build makes seeds and replays files.
    .target(
      name: "FuzzTargets",
      dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitTraining"],
      path: "Fuzz/FuzzTargets"
    ),
    .executableTarget(
      name: "gk-fuzz",
      dependencies: ["FuzzTargets"],
      path: "Fuzz/gk-fuzz"
    ),

    // MARK: - Tests

    // Data-parallel training against one process, run by GenerativeKitDistributedTests under mpirun.
    .executableTarget(
      name: "gk-distributed-check",
      dependencies: ["GenerativeKit", "GenerativeKitDistributed"],
      path: "Tests/DistributedCheck"
    ),
    // The PyTorch step fixtures' inputs (Tests/Fixtures/pytorch-step/make-fixtures.sh).
    .executableTarget(
      name: "gk-step-fixtures",
      dependencies: ["GenerativeKit", "TestSupport"],
      path: "Tests/StepFixtures"
    ),
    .target(
      name: "TestSupport",
      dependencies: ["GenerativeKit"],
      path: "Tests/TestSupport"
    ),
    .testTarget(
      name: "GenerativeKitTests",
      dependencies: ["GenerativeKit", "GenerativeKitTesting", "TestSupport"]
    ),
    .testTarget(
      name: "GenerativeKitDataTests",
      dependencies: ["GenerativeKit", "GenerativeKitData", "GenerativeKitTesting", "TestSupport"]
    ),
    .testTarget(
      name: "GenerativeKitMetricsTests",
      dependencies: ["GenerativeKitMetrics", "GenerativeKitData", "GenerativeKitTesting", "TestSupport"]
    ),
    .testTarget(
      name: "GenerativeKitTrainingTests",
      dependencies: [
        "GenerativeKitTraining", "GenerativeKitMetrics", "GenerativeKitData", "GenerativeKitTesting", "TestSupport",
        "FuzzTargets",
      ]
    ),
    .testTarget(
      name: "GenerativeKitDistributedTests",
      dependencies: ["GenerativeKit", "GenerativeKitDistributed", "TestSupport"]
    ),
    .testTarget(
      name: "ExplorerTests",
      dependencies: ["ExplorerSupport", "GenerativeKit", "GenerativeKitData", "GenerativeKitTraining", "TestSupport"]
    ),
  ],
  swiftLanguageModes: [.v5]
)

/// An example program in `Examples/NAME`, with the products it imports and the argument parser.
func example(
  _ name: String,
  dependencies: [Target.Dependency] = ["GenerativeKit", "GenerativeKitData", "GenerativeKitTraining", "ExampleSupport"]
) -> Target {
  .executableTarget(
    name: name,
    dependencies: dependencies + [.product(name: "ArgumentParser", package: "swift-argument-parser")],
    path: "Examples/\(name)"
  )
}
