import Foundation
import GenerativeKit
import TestSupport
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

  @Test("A rank killed mid-run ends the job within seconds, the survivor says why, and the last checkpoint resumes on one process")
  func killedRank() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("generativekit-mpi-kill-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("run").path
    let common = ["--limit", "256", "--batch-size", "32", "--width", "8", "--noise-dimension", "16", "--threads", "1"]
    let mpirun = try #require(["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) })
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun)
    process.arguments = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2",
                         Self.binaries.appendingPathComponent("mnist-gan").path, "--distributed", "--epochs", "10000",
                         "--output", output] + common
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
    process.environment = environment
    let log = folder.appendingPathComponent("mpirun.txt")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    // Wait for the first epoch's checkpoint, then kill one of the two training processes.
    let latest = output + "/checkpoints/latest.safetensors"
    let started = Date()
    while !FileManager.default.fileExists(atPath: latest) && process.isRunning && Date().timeIntervalSince(started) < 120 {
      usleep(50_000)
    }
    try #require(FileManager.default.fileExists(atPath: latest), "no checkpoint: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    let ranks = Self.processes(withArgument: output, executable: "mnist-gan")
    try #require(ranks.count == 2, "found training processes \(ranks)")
    kill(ranks[1], SIGKILL)
    let killed = Date()
    while process.isRunning && Date().timeIntervalSince(killed) < 30 { usleep(20_000) }
    let seconds = Date().timeIntervalSince(killed)
    #expect(!process.isRunning, "the job still ran 30 s after a rank was killed")
    process.waitUntilExit()
    try handle.close()
    let text = try String(contentsOf: log, encoding: .utf8)
    #expect(process.terminationStatus != 0)
    #expect(seconds < 10, "the job took \(seconds) s to end")
    #expect(text.contains("stopped: the MPI job is ending"), "the surviving rank said nothing: \(text.suffix(600))")

    let epoch = try #require(try Checkpoint(contentsOf: URL(fileURLWithPath: latest)).epoch)
    let resumed = try Self.run("mnist-gan", ["--resume", latest, "--epochs", String(epoch + 1), "--output", output] + common)
    #expect(resumed.status == 0, "\(resumed.text)")
    #expect(try Checkpoint(contentsOf: URL(fileURLWithPath: latest)).epoch == epoch + 1)
  }

  @Test("A global batch that ends in one image (65 = 2 x 32 + 1) trains on 2 ranks: the lone image is left out, as on one process")
  func lastBatchOfOneOnTwoRanks() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("generativekit-mpi-last-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let common = ["--limit", "65", "--batch-size", "32", "--width", "8", "--noise-dimension", "16", "--threads", "1", "--epochs", "1"]
    let two = try Self.mpirun(processes: 2, program: "mnist-gan", ["--distributed", "--output", folder.appendingPathComponent("two").path] + common)
    #expect(two.status == 0, "\(two.text)")
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("two/checkpoints/latest.safetensors").path))
  }

  /// The process ids of `executable` processes whose command line holds `argument`, read from /proc.
  static func processes(withArgument argument: String, executable: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> pid_t? in
      guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
      let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      guard let first = arguments.first, first.hasSuffix("/" + executable), arguments.contains(argument) else { return nil }
      return pid
    }.sorted()
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
    // In containers without CAP_SYS_PTRACE, Open MPI's shared-memory single-copy transfers fail;
    // plain copies work everywhere and cost nothing at these sizes.
    let outcome = try ChildProcess.run(
      path, arguments, environment: ["OMPI_MCA_btl_vader_single_copy_mechanism": "none"], timeout: 120)
    if outcome.timedOut { Issue.record("\(path) \(arguments.joined(separator: " ")) still ran after 120 s") }
    return (outcome.status, outcome.text)
  }
}
