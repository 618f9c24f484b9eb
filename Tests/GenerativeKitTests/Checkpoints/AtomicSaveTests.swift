import Foundation
import TestSupport
import Testing

@testable import GenerativeKit

#if canImport(Glibc)
  import Glibc
#endif

/// A writer killed in the middle of saving must leave the previous checkpoint intact.
///
/// The test re-runs its own test binary as a child process with ``writerVariable`` set; in the
/// child, ``killableCheckpointWriter()`` saves a large checkpoint over and over until the parent
/// kills it with SIGKILL at a random moment. (Forking the test process itself is not safe: it has
/// other threads, which may hold locks the child would need.)
@Suite struct AtomicSaveTests {
  static let writerVariable = "GENERATIVEKIT_TEST_CHECKPOINT_WRITER"
  static let fileName = "run.safetensors"

  /// What the child writes: 8 MB of known values, so a complete file can be recognised.
  static func childCheckpoint() -> Checkpoint {
    var random = SeededGenerator(seed: 77)
    var checkpoint = Checkpoint(metadata: ["writer": "child"])
    checkpoint.set(Tensor.randomUniform(shape: [2048, 1024], using: &random), named: "big.weight")
    checkpoint.set(Tensor(shape: [3], scalars: [1, 2, 3]), named: "small")
    return checkpoint
  }

  @Test(.enabled(if: ProcessInfo.processInfo.environment[writerVariable] != nil))
  func killableCheckpointWriter() throws {
    let path = try #require(ProcessInfo.processInfo.environment[Self.writerVariable])
    let url = URL(fileURLWithPath: path)
    var checkpoint = Self.childCheckpoint()
    let parent = getppid()
    checkpoint.metadata["pid"] = String(getpid())
    var saves = 0
    // Stops by itself if the parent is gone, so a crashed test leaves no process behind.
    while getppid() == parent && saves < 10_000 {
      checkpoint.metadata["save"] = String(saves)
      try checkpoint.save(to: url)
      saves += 1
    }
    #expect(saves > 0)
  }

  @Test func killedWriterLeavesThePreviousCheckpointIntact() throws {
    let directory = try TestData.temporaryDirectory("atomic")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent(Self.fileName)
    var first = Checkpoint(metadata: ["writer": "parent"])
    first.set(Tensor(shape: [2], scalars: [4, 5]), named: "small")
    try first.save(to: url)
    let expected = Self.childCheckpoint()

    var random = SeededGenerator(seed: 3)
    var interrupted = 0
    // Four rounds, and more (up to 16) until a kill has landed inside a save: on a loaded machine
    // a few kills can all fall between saves.
    var round = 0
    while round < 4 || (interrupted == 0 && round < 16) {
      defer { round += 1 }
      let child = try launchWriter(writingTo: url)
      defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
      if round > 0 {
        // Let the child complete a save first, then kill it somewhere inside a later one.
        // (Round 0 kills it while it is still starting.)
        let pid = String(child.processIdentifier)
        try waitUntil(seconds: 30) { (try? Checkpoint(contentsOf: url).metadata["pid"]) == pid }
      }
      usleep(UInt32(random.next() % 150_000))
      kill(child.processIdentifier, SIGKILL)
      child.waitUntilExit()
      #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)

      // The final name holds a complete checkpoint: the parent's, or one of the child's.
      let loaded = try Checkpoint(contentsOf: url)
      if loaded.metadata["writer"] == "child" {
        var withoutCounter = loaded
        withoutCounter.metadata["save"] = nil
        withoutCounter.metadata["pid"] = nil
        #expect(withoutCounter == expected)
      } else {
        #expect(loaded == first)
      }
      // Anything else in the directory is a hidden temporary file of the killed save.
      let others = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != Self.fileName }
      #expect(others.allSatisfy { $0.hasPrefix(".\(Self.fileName).tmp-\(child.processIdentifier)-") }, "\(others)")
      interrupted += others.count
      for name in others { try FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
    }
    // Saves take milliseconds and the gaps between them microseconds: kills land mid-save.
    #expect(interrupted >= 1)
  }

  /// Starts this test binary running only ``killableCheckpointWriter()``.
  private func launchWriter(writingTo url: URL) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    process.arguments = ["--testing-library", "swift-testing", "--filter", "killableCheckpointWriter"]
    var environment = ProcessInfo.processInfo.environment
    environment[Self.writerVariable] = url.path
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  private func waitUntil(seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
      guard Date() < deadline else { throw GenerativeKitError.invalidArgument("timed out waiting for the writer") }
      usleep(10_000)
    }
  }
}
