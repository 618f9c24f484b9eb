import Foundation

/// Runs a program of the tests (an example, `mpirun`) with both outputs captured in a file, so
/// that a chatty child can never block on a full pipe, and stops it at a deadline.
public enum ChildProcess {
  /// How a child ended and what it printed.
  public struct Outcome: Sendable {
    public var status: Int32
    /// Ended by a signal (a trap, a kill) rather than an exit.
    public var signalled: Bool
    /// Still ran at the deadline and was terminated.
    public var timedOut: Bool
    /// Standard output and standard error, interleaved.
    public var text: String
  }

  /// Runs `path` with `arguments` (and `environment` added to this process's), for at most `timeout` seconds.
  public static func run(
    _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval
  ) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("gk-child-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    let timedOut = process.isRunning
    if timedOut { process.terminate() }  // mpirun ends its own children when terminated
    process.waitUntilExit()
    try handle.close()
    return Outcome(
      status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
      text: String(decoding: try Data(contentsOf: output), as: UTF8.self))
  }
}
