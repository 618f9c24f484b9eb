import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

/// A run folder belongs to one run: a second run is refused while the first holds it, a fresh run
/// does not silently replace an earlier one, and temporary files of interrupted saves are cleaned up.
@Suite("Run folders")
struct RunFolderTests {
  static let silent = ProgressReporter(style: .silent, totalEpochs: 2)

  static func experiment(epochs: Int, in folder: URL) throws -> VAEExperiment {
    try VAEExperiment(options: VAEExperimentTests.options(epochs: epochs),
                      dataSet: VAEExperimentTests.squares(count: 32, seed: 1), outputDirectory: folder)
  }

  @Test("A fresh run into a folder holding a run is refused, and replaces it only when asked")
  func earlierRunKept() throws {
    let folder = try TestData.temporaryDirectory("run-folder-earlier")
    try Self.experiment(epochs: 2, in: folder).run(progress: Self.silent)
    let numbered = folder.appendingPathComponent("checkpoints/epoch-0002.safetensors")
    let log = try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8)
    #expect(FileManager.default.fileExists(atPath: numbered.path))

    do {
      try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
      Issue.record("a fresh run replaced the earlier one")
    } catch {
      #expect("\(error)".contains("--resume") && "\(error)".contains("--overwrite"), "\(error)")
    }
    #expect(try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8) == log)
    #expect(FileManager.default.fileExists(atPath: numbered.path))

    let replacing = try Self.experiment(epochs: 1, in: folder)
    replacing.replacesEarlierRun = true
    try replacing.run(progress: Self.silent)
    #expect(!FileManager.default.fileExists(atPath: numbered.path), "the earlier run's epoch-2 checkpoint is stale")
    let lines = try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 1)
  }

  @Test("A second run on a locked folder is refused with the owner's process id; the lock ends with its holder")
  func lockedFolder() throws {
    let folder = try TestData.temporaryDirectory("run-folder-locked")
    var holder: RunFolderLock? = try RunFolderLock(directory: folder)
    do {
      try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
      Issue.record("a second run started in a locked folder")
    } catch {
      #expect("\(error)".contains("in use by another run") && "\(error)".contains("\(getpid())"), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("log.jsonl").path))
    withExtendedLifetime(holder) {}
    holder = nil
    try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoints/latest.safetensors").path))
  }

  @Test("A failed checkpoint save leaves no log line for the epoch it did not save")
  func failedSaveKeepsLogConsistent() throws {
    let folder = try TestData.temporaryDirectory("run-folder-failed-save")
    // A folder where the epoch-1 checkpoint must go: the save's final rename fails (even as root).
    let blocker = folder.appendingPathComponent("checkpoints/epoch-0001.safetensors")
    try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
    try Data([1]).write(to: blocker.appendingPathComponent("keep"))
    var options = VAEExperimentTests.options(epochs: 1)
    options.saveEvery = 1
    let experiment = try VAEExperiment(options: options, dataSet: VAEExperimentTests.squares(count: 32, seed: 1),
                                       outputDirectory: folder)
    #expect(throws: (any Error).self) { try experiment.run(progress: Self.silent) }
    let log = (try? String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8)) ?? ""
    #expect(log.split(separator: "\n").isEmpty, "the log names an epoch whose checkpoint failed: \(log)")
  }

  @Test("Temporary files of interrupted saves are removed when a run starts")
  func interruptedSaves() throws {
    let folder = try TestData.temporaryDirectory("run-folder-temporary")
    let checkpoints = folder.appendingPathComponent("checkpoints")
    try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
    let stale = checkpoints.appendingPathComponent(".latest.safetensors.tmp-99999-12345")
    try Data(repeating: 1, count: 1_000).write(to: stale)
    try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
    #expect(!FileManager.default.fileExists(atPath: stale.path))
  }
}
