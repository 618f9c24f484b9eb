import Foundation
import GenerativeKit
import Testing

/// Data-parallel training over MPI against one process: `mpirun -np 2 gk-distributed-check ...`
/// trains the same model both ways in every rank and compares them weight by weight (see
/// Tests/DistributedCheck). The executable is the one `swift build` put beside this test bundle.
@Suite("Data-parallel training over MPI", .serialized)
struct DataParallelTests {
  struct Run: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let runs: [Run] = [
    Run(arguments: ["batchnorm", "--global-batch", "8"]),
    Run(arguments: ["batchnorm", "--global-batch", "7"]),
    Run(arguments: ["gan", "--steps", "3", "--global-batch", "8", "--tolerance", "1e-4"]),
    // Shards of 3 and 4 rows. SGD, because Adam's first steps move every weight by about its
    // learning rate whatever the gradient's size, so the last-bit differences of a gradient that
    // nearly cancels (a batch-norm shift feeding another batch norm) become visible in the weights.
    Run(arguments: ["gan", "--steps", "2", "--global-batch", "7", "--sgd"]),
    Run(arguments: ["vae", "--steps", "3", "--global-batch", "8", "--tolerance", "1e-4"]),
    // Many Adam steps, equal (32 + 32) and unequal (31 + 32) shards. The LeakyReLUs and ReLUs are
    // made the identity (slope 1): at a kink, a last-bit difference in an activation switches
    // its derivative, and one process whose weights move by one unit in the last place then
    // drifts as far (docs/DISTRIBUTED.md, "Equal to one process"). Without kinks, every other part
    // of the step (synchronised batch norm, shards, noise, dropout masks, gradient weights, Adam)
    // must keep the two runs within 1e-4 of each tensor's largest weight.
    Run(arguments: ["gan", "--steps", "32", "--global-batch", "64", "--width", "16", "--noise-dimension", "32",
                    "--leaky-slope", "1", "--tolerance", "1e-4"]),
    Run(arguments: ["gan", "--steps", "32", "--global-batch", "63", "--width", "16", "--noise-dimension", "32",
                    "--leaky-slope", "1", "--tolerance", "1e-4"]),
    Run(arguments: ["vae", "--steps", "32", "--global-batch", "63", "--leaky-slope", "1", "--tolerance", "1e-4"]),
    Run(arguments: ["vae", "--steps", "32", "--global-batch", "64", "--leaky-slope", "1", "--tolerance", "1e-4"]),
  ]

  @Test("two ranks end where one process on the global batch ends (DCGAN, VAE, synchronised batch norm)",
        arguments: runs)
  func twoRanksMatchOneProcess(run: Run) throws {
    let tolerance = run.arguments.firstIndex(of: "--tolerance").flatMap { Double(run.arguments[$0 + 1]) } ?? 1e-5
    let output = try Self.mpirun(processes: 2, run.arguments)
    let lines = output.text.split(separator: "\n").filter { $0.contains("largest relative difference") }
    #expect(output.status == 0, "exit \(output.status): \(output.text)")
    #expect(lines.count == 2, "one report per rank: \(output.text)")
    for line in lines {
      let value = line.split(separator: " ").drop { $0 != "difference" }.dropFirst().first.flatMap { Double($0) }
      let difference = try #require(value, "\(line)")
      #expect(difference <= tolerance, "\(line)")
    }
  }

  @Test("mnist-gan --distributed on 2 ranks for an epoch, resumed on 1 rank for another, ends where one process ends")
  func exampleResumesOnOneRank() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("generativekit-mpi-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (two, one) = (folder.appendingPathComponent("two-ranks").path, folder.appendingPathComponent("one-rank").path)
    let common = ["--limit", "256", "--batch-size", "32", "--width", "8", "--noise-dimension", "16", "--threads", "1"]
    let first = try Self.mpirun(processes: 2, program: "mnist-gan", ["--distributed", "--epochs", "1", "--output", two] + common)
    try #require(first.status == 0, "\(first.text)")
    #expect(first.text.contains("distributed: 2 processes"), "\(first.text)")
    let resumed = try Self.run("mnist-gan", ["--resume", two + "/checkpoints/latest.safetensors", "--epochs", "2", "--output", two] + common)
    try #require(resumed.status == 0, "\(resumed.text)")
    let single = try Self.run("mnist-gan", ["--epochs", "2", "--output", one] + common)
    try #require(single.status == 0, "\(single.text)")

    let a = try Checkpoint(contentsOf: URL(fileURLWithPath: two + "/checkpoints/latest.safetensors"))
    let b = try Checkpoint(contentsOf: URL(fileURLWithPath: one + "/checkpoints/latest.safetensors"))
    #expect(a.names == b.names)
    #expect(a.epoch == 2 && b.epoch == 2)
    for name in b.names {
      guard case .float32(let x)? = a[name], case .float32(let y)? = b[name] else { continue }
      let scale = max(y.scalars.map(abs).max() ?? 0, 1e-12)
      let difference = zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? 0
      #expect(difference / scale <= 1e-5, "\(name): \(difference / scale)")
    }
  }

  /// The directory `swift build` put this test bundle and the executables in.
  static var binaries: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

  /// Runs an executable of this package (one process, no MPI) with both outputs captured.
  static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
    let path = binaries.appendingPathComponent(program).path
    try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: swift build --build-tests")
    return try launch(path, arguments)
  }

  /// Runs an executable of this package under `mpirun` with both outputs captured.
  static func mpirun(
    processes: Int, program: String = "gk-distributed-check", _ arguments: [String]
  ) throws -> (status: Int32, text: String) {
    let path = binaries.appendingPathComponent(program).path
    try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: swift build --build-tests")
    let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let launcher = try #require(mpirun, "mpirun is missing: bash scripts/setup.sh --distributed installs Open MPI")
    return try launch(
      launcher, ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", String(processes), path] + arguments)
  }

  /// Runs `path` with both outputs captured, for at most two minutes.
  static func launch(_ path: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    // In containers without CAP_SYS_PTRACE, Open MPI's shared-memory single-copy transfers fail;
    // plain copies work everywhere and cost nothing at these sizes.
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Read on another thread, so that a job that hangs is stopped at the deadline instead of
    // blocking the read (mpirun ends its processes when it is terminated, which closes the pipe).
    let output = OutputCollector()
    let finished = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      output.data = pipe.fileHandleForReading.readDataToEndOfFile()
      finished.signal()
    }
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
      process.terminate()
      Issue.record("\(path) \(arguments.joined(separator: " ")) still ran after 120 s")
    }
    process.waitUntilExit()
    finished.wait()
    return (process.terminationStatus, String(decoding: output.data, as: UTF8.self))
  }
}

/// What a child process printed, filled in by the reading thread before it signals.
private final class OutputCollector: @unchecked Sendable {
  var data = Data()
}
