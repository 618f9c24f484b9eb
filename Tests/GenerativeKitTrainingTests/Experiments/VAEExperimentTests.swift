import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

@Suite("VAE experiment")
struct VAEExperimentTests {
  static func options(epochs: Int) -> VAEOptions {
    var options = VAEOptions()
    options.latentDimension = 2
    options.epochs = epochs
    options.batchSize = 16
    options.learningRate = 1e-3
    options.saveEvery = 2
    options.sampleEvery = 2
    options.sampleCount = 4
    options.seed = 3
    return options
  }

  static func squares(count: Int, seed: UInt64) -> ImageDataSet {
    var random = SeededGenerator(seed: seed)
    var images = Tensor(shape: [count, 1, 28, 28])
    for n in 0..<count {
      let (top, left) = (Int(random.next() % 18), Int(random.next() % 18))
      for y in top..<(top + 10) { for x in left..<(left + 10) { images[n, 0, y, x] = 1 } }
    }
    return ImageDataSet(name: "squares", images: images, pixelRange: .unit)
  }

  @Test("A conditional run needs labels, trains on them with its test set's, saves its classes, and decodes a chosen class")
  func conditionalRun() throws {
    var options = Self.options(epochs: 2)
    options.classes = 4
    let unlabelled = Self.squares(count: 32, seed: 5)
    #expect(throws: GenerativeKitError.self) {
      try VAEExperiment(options: options, dataSet: unlabelled, outputDirectory: try TestData.temporaryDirectory("cvae-none"))
    }
    // Each square's label is its quadrant, so the class tells the decoder where to draw.
    let labels = (0..<32).map { n in
      let image = unlabelled.images(in: n..<(n + 1))
      let (row, column) = (0..<(28 * 28)).first { image[flat: $0] > 0 }.map { ($0 / 28, $0 % 28) } ?? (0, 0)
      return (row >= 9 ? 2 : 0) + (column >= 9 ? 1 : 0)
    }
    let data = ImageDataSet(name: "squares", images: unlabelled.images, labels: labels, pixelRange: .unit)
    let test = ImageDataSet(
      name: "squares-test", images: unlabelled.images(in: 0..<8), labels: Array(labels[0..<8]), pixelRange: .unit)
    let directory = try TestData.temporaryDirectory("cvae")
    let experiment = try VAEExperiment(options: options, dataSet: data, testSet: test, outputDirectory: directory)
    #expect((experiment.model.decoder.layers.first as? Dense)?.inFeatures == 2 + 4)
    #expect((experiment.model.encoder.layers.first as? Conv2D)?.inChannels == 1 + 4)
    let reports = try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    #expect(reports.count == 2 && reports.allSatisfy { $0.metrics.firstNonFinite == nil })
    let log = try String(contentsOf: directory.appendingPathComponent("log.csv"), encoding: .utf8)
    #expect(log.contains("test_loss"))
    #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("reconstructions/epoch-0002.png").path))

    let checkpoint = try Checkpoint(contentsOf: experiment.latestCheckpointURL)
    #expect(try checkpoint.configuration(VAEOptions.self).classes == 4)
    let unconditional = try VAEExperiment(
      options: Self.options(epochs: 3), dataSet: data, outputDirectory: try TestData.temporaryDirectory("cvae-resume"))
    #expect(throws: GenerativeKitError.self) { try unconditional.resume(from: experiment.latestCheckpointURL) }
    let model = try options.makeModel()
    try checkpoint.restore(model: model, strict: false)
    var random = SeededGenerator(seed: 3)
    #expect(try model.sample(count: 5, labels: [3, 3, 0, 1, 2], using: &random).shape == [5, 1, 28, 28])
  }

  @Test("A run lowers the test loss, writes its files, and resumes bit for bit")
  func runAndResume() throws {
    let train = Self.squares(count: 48, seed: 1)
    let test = Self.squares(count: 16, seed: 2)
    let straightDirectory = try TestData.temporaryDirectory("vae-straight")
    let straight = try VAEExperiment(options: Self.options(epochs: 3), dataSet: train, testSet: test, outputDirectory: straightDirectory)
    let before = try #require(try straight.testMetrics())
    let reports = try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    let after = try #require(try straight.testMetrics())
    #expect(after.loss < before.loss, "test loss \(before.loss) -> \(after.loss)")
    #expect(reports.count == 3)
    for file in ["checkpoints/latest.safetensors", "checkpoints/epoch-0002.safetensors", "samples/epoch-0003.png",
                 "reconstructions/epoch-0002.png", "losses.svg", "log.jsonl", "log.csv"] {
      #expect(FileManager.default.fileExists(atPath: straightDirectory.appendingPathComponent(file).path), "\(file)")
    }
    let log = try String(contentsOf: straightDirectory.appendingPathComponent("log.csv"), encoding: .utf8)
    #expect(log.hasPrefix("epoch,loss,reconstruction,kl,test_loss,test_reconstruction,test_kl"))

    let resumedDirectory = try TestData.temporaryDirectory("vae-resumed")
    let first = try VAEExperiment(options: Self.options(epochs: 2), dataSet: train, testSet: test, outputDirectory: resumedDirectory)
    try first.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    let second = try VAEExperiment(options: Self.options(epochs: 3), dataSet: train, testSet: test, outputDirectory: resumedDirectory)
    try second.resume(from: resumedDirectory.appendingPathComponent("checkpoints/latest.safetensors"))
    try second.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    for (a, b) in zip(straight.model.stateDict, second.model.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming")
    }
  }

  @Test("Inspection: interpolation endpoints, the 2-D manifold, and clear errors")
  func inspection() throws {
    let model = ConvolutionalVAE.make(latentDimension: 2, seed: 4)
    let start = Tensor(shape: [2], scalars: [-1, 0])
    let end = Tensor(shape: [2], scalars: [1, 2])
    let decoded = try model.interpolate(from: start, to: end, steps: 5)
    #expect(decoded.shape == [5, 1, 28, 28])
    // Equal to rounding: a GEMM's blocking, and with it the last bits of a row, can depend on how
    // many rows it has (OpenBLAS's Zen kernels give 1 row and 5 rows different last bits).
    #expect(decoded.slice(batch: 0..<1).maxAbsoluteDifference(to: try model.decode(start.reshaped([1, 2]))) <= 1e-6)
    #expect(try model.manifold(side: 3).shape == [9, 1, 28, 28])
    let path = try Tensor.interpolation(from: start, to: end, steps: 3)
    #expect(path == Tensor(shape: [3, 2], scalars: [-1, 0, 0, 1, 1, 2]))
    #expect(abs(standardNormalQuantile(0.975) - 1.959964) < 1e-5)
    #expect(throws: GenerativeKitError.self) { try ConvolutionalVAE.make(latentDimension: 3, seed: 5).manifold(side: 3) }
    #expect(throws: GenerativeKitError.self) { try model.interpolate(from: start, to: Tensor(shape: [3]), steps: 4) }
  }

  @Test("A resume refuses a checkpoint holding a tensor that belongs to no part of the VAE, naming it")
  func resumeRefusesExtraTensor() throws {
    let folder = try TestData.temporaryDirectory("vae-extra-tensor")
    let experiment = try VAEExperiment(options: Self.options(epochs: 1), dataSet: Self.squares(count: 32, seed: 1), outputDirectory: folder)
    try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    var checkpoint = try Checkpoint(contentsOf: experiment.latestCheckpointURL)
    checkpoint.set(Tensor(shape: [2], scalars: [1, 2]), named: "encoder.99.weight")
    let tampered = folder.appendingPathComponent("tampered.safetensors")
    try checkpoint.save(to: tampered)
    let resumed = try VAEExperiment(options: Self.options(epochs: 2), dataSet: Self.squares(count: 32, seed: 1),
                                    outputDirectory: try TestData.temporaryDirectory("vae-extra-tensor-resume"))
    let error = #expect(throws: GenerativeKitError.self) { try resumed.resume(from: tampered) }
    #expect("\(error!)".contains("encoder.99.weight") && "\(error!)".contains("tampered.safetensors"), "\(error!)")
  }
}
