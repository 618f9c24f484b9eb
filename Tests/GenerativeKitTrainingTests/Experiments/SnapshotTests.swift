import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitTraining

/// Snapshots after minutes of training, the stop at the last one, and the training clock that
/// checkpoints carry across a resume.
@Suite("Snapshots after minutes of training")
struct SnapshotTests {
  @Test("Snapshots are written when their time is crossed, the run can stop mid-epoch, and a snapshot is refused as a resume point")
  func snapshotsAndStop() throws {
    let directory = try TestData.temporaryDirectory("gan-snapshots")
    let experiment = try GANExperiment(
      options: GANExperimentTests.tinyOptions(epochs: 3), dataSet: GANExperimentTests.syntheticDigits(),
      outputDirectory: directory)
    // Microseconds: the first step crosses both.
    experiment.snapshotMinutes = [1e-6, 1e-7]
    experiment.stopsAtLastSnapshot = true
    let reports = try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(reports.isEmpty && experiment.epoch == 0 && experiment.steps == 1)
    #expect(!FileManager.default.fileExists(atPath: experiment.latestCheckpointURL.path))
    for minutes in ["1e-06", "1e-07"] {
      let url = directory.appendingPathComponent("checkpoints/minutes-\(minutes).safetensors")
      let snapshot = try Checkpoint(contentsOf: url)
      #expect(snapshot.metadata["snapshot_minutes"] == minutes && snapshot.step == 1 && snapshot.epoch == 0)
      let seconds = try #require(snapshot.metadata["training_seconds"].flatMap(Double.init))
      #expect(seconds > 0 && seconds < 60)
      let resumed = try GANExperiment(
        options: GANExperimentTests.tinyOptions(epochs: 3), dataSet: GANExperimentTests.syntheticDigits(),
        outputDirectory: try TestData.temporaryDirectory("gan-snapshot-resume"))
      #expect {
        try resumed.resume(from: url)
      } throws: { error in
        "\(error)".contains(url.path) && "\(error)".contains("snapshot") && "\(error)".contains("latest.safetensors")
      }
    }
    experiment.snapshotMinutes = [0]
    #expect(throws: GenerativeKitError.self) { try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 3)) }
  }

  @Test("The training clock is saved with every checkpoint and continues after a resume")
  func clockContinues() throws {
    let data = GANExperimentTests.syntheticDigits()
    let first = try GANExperiment(
      options: GANExperimentTests.tinyOptions(epochs: 1), dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-clock"))
    try first.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    #expect(first.trainingSeconds > 0)
    let stored = try Checkpoint(contentsOf: first.latestCheckpointURL).metadata["training_seconds"].flatMap(Double.init)
    #expect(stored == first.trainingSeconds)

    let second = try GANExperiment(
      options: GANExperimentTests.tinyOptions(epochs: 2), dataSet: data, outputDirectory: first.outputDirectory)
    try second.resume(from: first.latestCheckpointURL)
    #expect(second.trainingSeconds == first.trainingSeconds)
    try second.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    #expect(second.trainingSeconds > first.trainingSeconds)
  }
}
