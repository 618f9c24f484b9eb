import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitTraining

/// A GAN run's learning-rate schedule: set before every step from the run's position, saved with
/// the options, continued exactly by a resume.
@Suite("Learning-rate schedules in runs")
struct LearningRateScheduleRunTests {
  @Test("The position is the larger of the fractions of steps and of the time budget")
  func position() {
    #expect(TrainingPosition(step: 25, plannedSteps: 100, trainingSeconds: 10, plannedSeconds: nil).fraction == 0.25)
    #expect(TrainingPosition(step: 25, plannedSteps: 100, trainingSeconds: 30, plannedSeconds: 60).fraction == 0.5)
    #expect(TrainingPosition(step: 900, plannedSteps: 100, trainingSeconds: 0, plannedSeconds: nil).fraction == 1)
    #expect(TrainingPosition(step: 0, plannedSteps: 0, trainingSeconds: 0, plannedSeconds: 0).fraction == 0)
  }

  @Test("A decaying run sets both Adams' rates per step (the generator's own), differs from a constant run, and resumes bit for bit")
  func decayingRun() throws {
    let data = GANExperimentTests.syntheticDigits()
    var options = GANExperimentTests.tinyOptions(epochs: 3)
    options.saveEvery = 1
    options.learningRateSchedule = .linearDecay(after: 0)
    options.generatorLearningRate = 2 * options.learningRate
    let straight = try GANExperiment(options: options, dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-decay"))
    try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    // 40 images in batches of 16: 3 batches an epoch (the last of 8), 9 steps; the last step ran at
    // the rate of position 8/9.
    #expect(straight.steps == 9)
    for (optimizer, baseRate) in [(straight.trainer.generatorOptimizer, 2 * options.learningRate),
                                  (straight.trainer.discriminatorOptimizer, options.learningRate)] {
      let adam = try #require(optimizer as? Adam)
      let lastRate = baseRate * Float(1.0 / 9.0)
      #expect(abs(adam.learningRate - lastRate) <= 1e-6 * baseRate, "rate \(adam.learningRate), expected \(lastRate)")
    }

    let constant = try GANExperiment(
      options: GANExperimentTests.tinyOptions(epochs: 3), dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-constant"))
    try constant.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(zip(straight.generator.stateDict, constant.generator.stateDict).contains { $0.value != $1.value })

    // Resumed after epoch 1 in a fresh experiment: the same schedule continues.
    let resumedFolder = try TestData.temporaryDirectory("gan-decay-resumed")
    try FileManager.default.createDirectory(at: resumedFolder.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    let epochOne = resumedFolder.appendingPathComponent("checkpoints/epoch-0001.safetensors")
    try FileManager.default.copyItem(at: straight.checkpointDirectory.appendingPathComponent("epoch-0001.safetensors"), to: epochOne)
    let resumed = try GANExperiment(options: options, dataSet: data, outputDirectory: resumedFolder)
    try resumed.resume(from: epochOne)
    try resumed.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    for (a, b) in zip(straight.generator.stateDict + straight.discriminator.stateDict,
                      resumed.generator.stateDict + resumed.discriminator.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming")
    }

    // A resume with another schedule or generator rate is refused, naming the field.
    var other = options
    other.learningRateSchedule = .linearDecay(after: 0.5)
    let refused = try GANExperiment(options: other, dataSet: data, outputDirectory: resumedFolder)
    #expect { try refused.resume(from: epochOne) } throws: { "\($0)".contains("learningRateSchedule") }
    other = options
    other.generatorLearningRate = nil
    let sameRates = try GANExperiment(options: other, dataSet: data, outputDirectory: resumedFolder)
    #expect { try sameRates.resume(from: epochOne) } throws: { "\($0)".contains("generatorLearningRate") }
    var bad = options
    bad.learningRateSchedule = .linearDecay(after: 1)
    #expect { try bad.check() } throws: { "\($0)".contains("learningRateSchedule") }
  }
}
