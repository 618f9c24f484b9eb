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

  @Test("A resume into a folder that holds another run is refused, and the folder is left as it was")
  func resumeIntoAnotherRunRefused() throws {
    let (mine, other) = (try TestData.temporaryDirectory("run-folder-mine"), try TestData.temporaryDirectory("run-folder-other"))
    try Self.experiment(epochs: 1, in: mine).run(progress: Self.silent)
    try Self.experiment(epochs: 2, in: other).run(progress: Self.silent)
    let otherLatest = other.appendingPathComponent("checkpoints/latest.safetensors")
    let (log, latest) = (try Data(contentsOf: other.appendingPathComponent("log.jsonl")), try Data(contentsOf: otherLatest))

    let resumed = try Self.experiment(epochs: 2, in: other)
    try resumed.resume(from: mine.appendingPathComponent("checkpoints/latest.safetensors"))
    do {
      try resumed.run(progress: Self.silent)
      Issue.record("a resume replaced another run's folder")
    } catch {
      #expect("\(error)".contains("holds another run") && "\(error)".contains(other.path), "\(error)")
    }
    #expect(try Data(contentsOf: other.appendingPathComponent("log.jsonl")) == log)
    #expect(try Data(contentsOf: otherLatest) == latest)

    // The folder's own checkpoint continues it; an empty folder takes any run.
    let own = try Self.experiment(epochs: 3, in: other)
    try own.resume(from: otherLatest)
    try own.run(progress: Self.silent)
    #expect(own.epoch == 3)
    let fresh = try Self.experiment(epochs: 2, in: try TestData.temporaryDirectory("run-folder-new"))
    try fresh.resume(from: mine.appendingPathComponent("checkpoints/latest.safetensors"))
    try fresh.run(progress: Self.silent)
    #expect(fresh.epoch == 2)
  }

  @Test("A resume from an earlier epoch of the folder's own run is refused: it would replace later epochs")
  func rewindRefused() throws {
    let folder = try TestData.temporaryDirectory("run-folder-rewind")
    var options = VAEExperimentTests.options(epochs: 2)
    options.saveEvery = 1
    try VAEExperiment(options: options, dataSet: VAEExperimentTests.squares(count: 32, seed: 1), outputDirectory: folder)
      .run(progress: Self.silent)
    let latest = try Data(contentsOf: folder.appendingPathComponent("checkpoints/latest.safetensors"))
    options.epochs = 3
    let rewound = try VAEExperiment(options: options, dataSet: VAEExperimentTests.squares(count: 32, seed: 1), outputDirectory: folder)
    try rewound.resume(from: folder.appendingPathComponent("checkpoints/epoch-0001.safetensors"))
    #expect(throws: GenerativeKitError.self) { try rewound.run(progress: Self.silent) }
    #expect(try Data(contentsOf: folder.appendingPathComponent("checkpoints/latest.safetensors")) == latest)
  }

  @Test("--overwrite deletes only the files a run writes, never through a symbolic link")
  func overwriteDeletesOnlyRunFiles() throws {
    let folder = try TestData.temporaryDirectory("run-folder-overwrite")
    try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
    let keep = ["checkpoints/my-notes.txt", "checkpoints/best-model-keep.safetensors", "samples/favourite.png", "README.txt"]
    for name in keep { try Data("mine".utf8).write(to: folder.appendingPathComponent(name)) }
    let replacing = try Self.experiment(epochs: 1, in: folder)
    replacing.replacesEarlierRun = true
    try replacing.run(progress: Self.silent)
    for name in keep { #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)") }

    // A linked subfolder: refused before anything is deleted, the link's target untouched.
    let linked = try TestData.temporaryDirectory("run-folder-linked")
    let precious = try TestData.temporaryDirectory("run-folder-precious")
    try Self.experiment(epochs: 1, in: linked).run(progress: Self.silent)
    let samples = linked.appendingPathComponent("samples")
    try FileManager.default.removeItem(at: samples)
    try Data("thesis".utf8).write(to: precious.appendingPathComponent("thesis.txt"))
    try Data("figure".utf8).write(to: precious.appendingPathComponent("epoch-0001.png"))
    try FileManager.default.createSymbolicLink(at: samples, withDestinationURL: precious)
    let latest = try Data(contentsOf: linked.appendingPathComponent("checkpoints/latest.safetensors"))
    let throughLink = try Self.experiment(epochs: 1, in: linked)
    throughLink.replacesEarlierRun = true
    do {
      try throughLink.run(progress: Self.silent)
      Issue.record("--overwrite ran through a symbolic link")
    } catch {
      #expect("\(error)".contains("symbolic link"), "\(error)")
    }
    for name in ["thesis.txt", "epoch-0001.png"] {
      #expect(FileManager.default.fileExists(atPath: precious.appendingPathComponent(name).path), "\(name)")
    }
    #expect(try Data(contentsOf: linked.appendingPathComponent("checkpoints/latest.safetensors")) == latest)
  }

  @Test("Run file names: what --overwrite may delete")
  func runFileNames() {
    for name in ["latest.safetensors", "epoch-0001.safetensors", "epoch-0030.png", "epoch-12345.png"] {
      #expect(RunFolder.isRunFile(name), "\(name)")
    }
    for name in ["best-model-keep.safetensors", "epoch-1.png", "epoch-0001.txt", "my-notes.txt", "latest.safetensors.bak", "epoch-00a1.png"] {
      #expect(!RunFolder.isRunFile(name), "\(name)")
    }
    #expect(RunFolder.isTopLevelRunFile("test-nll-k5000.csv") && RunFolder.isTopLevelRunFile("log.jsonl"))
    #expect(!RunFolder.isTopLevelRunFile("test-nll-k.csv") && !RunFolder.isTopLevelRunFile("thesis.txt"))
  }

  @Test("A process killed between the checkpoint and its log line: the resume restores the line from the checkpoint")
  func logLineRestored() throws {
    let folder = try TestData.temporaryDirectory("run-folder-log-gap")
    try Self.experiment(epochs: 2, in: folder).run(progress: Self.silent)
    let logURL = folder.appendingPathComponent("log.jsonl")
    let lines = try String(contentsOf: logURL, encoding: .utf8).split(separator: "\n").map(String.init)
    try #require(lines.count == 2)
    try (lines[0] + "\n").write(to: logURL, atomically: true, encoding: .utf8)  // epoch 2's line never written

    let resumed = try Self.experiment(epochs: 3, in: folder)
    try resumed.resume(from: folder.appendingPathComponent("checkpoints/latest.safetensors"))
    try resumed.run(progress: Self.silent)
    let after = try String(contentsOf: logURL, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(after.count == 3 && after[1] == lines[1], "\(after)")
  }
}
