import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

@Suite("GAN experiment")
struct GANExperimentTests {
  static func tinyOptions(epochs: Int) -> GANOptions {
    var options = GANOptions()
    options.width = 4
    options.noiseDimension = 8
    options.epochs = epochs
    options.batchSize = 16
    options.learningRate = 1e-3
    options.saveEvery = 2
    options.sampleEvery = 2
    options.sampleCount = 9
    options.seed = 11
    return options
  }

  static func syntheticDigits(count: Int = 40) -> ImageDataSet {
    var random = SeededGenerator(seed: 5)
    let images = Tensor.randomUniform(shape: [count, 1, 28, 28], in: -1...1, using: &random)
    return ImageDataSet(name: "synthetic", images: images, pixelRange: .symmetric)
  }

  @Test("A conditional run trains on labels, saves its classes, resumes only as conditional, and samples a chosen class")
  func conditionalRun() throws {
    var options = Self.tinyOptions(epochs: 2)
    options.classes = 3
    let unlabelled = Self.syntheticDigits()
    #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: options, dataSet: unlabelled, outputDirectory: try TestData.temporaryDirectory("cgan-none"))
    }
    let labels = (0..<40).map { $0 % 3 }
    let data = ImageDataSet(name: "synthetic", images: unlabelled.images, labels: labels, pixelRange: .symmetric)
    let wrongLabels = ImageDataSet(name: "synthetic", images: unlabelled.images, labels: labels.map { $0 + 1 }, pixelRange: .symmetric)
    #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: options, dataSet: wrongLabels, outputDirectory: try TestData.temporaryDirectory("cgan-wrong"))
    }
    let directory = try TestData.temporaryDirectory("cgan")
    let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: directory)
    #expect(experiment.generator.layers.first.map { ($0 as? Dense)?.inFeatures } == 8 + 3)
    let reports = try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    #expect(reports.count == 2 && reports.allSatisfy { $0.metrics.firstNonFinite == nil })

    let checkpoint = try Checkpoint(contentsOf: experiment.latestCheckpointURL)
    #expect(try checkpoint.configuration(GANOptions.self).classes == 3)
    let unconditional = try GANExperiment(
      options: Self.tinyOptions(epochs: 3), dataSet: data, outputDirectory: try TestData.temporaryDirectory("cgan-resume"))
    #expect(throws: GenerativeKitError.self) { try unconditional.resume(from: experiment.latestCheckpointURL) }

    let gan = try options.makeModel()
    try checkpoint.restore(model: gan, strict: false)
    var random = SeededGenerator(seed: 3)
    let images = try gan.sample(count: 6, labels: [2, 2, 0, 1, 0, 2], using: &random)
    #expect(images.shape == [6, 1, 28, 28])
    #expect(throws: GenerativeKitError.self) { try gan.generate(Tensor(shape: [2, 8]), labels: nil) }
  }

  @Test("A run writes checkpoints, grids, curves and the log, and resuming reproduces the uninterrupted run bit for bit")
  func runAndResume() throws {
    let data = Self.syntheticDigits()
    let straightDirectory = try TestData.temporaryDirectory("gan-straight")
    let straight = try GANExperiment(options: Self.tinyOptions(epochs: 3), dataSet: data, outputDirectory: straightDirectory)
    let reports = try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(reports.count == 3 && reports.allSatisfy { $0.metrics.firstNonFinite == nil })
    for file in ["checkpoints/latest.safetensors", "checkpoints/epoch-0002.safetensors", "checkpoints/epoch-0003.safetensors",
                 "samples/epoch-0002.png", "samples/epoch-0003.png", "losses.svg", "log.jsonl", "log.csv"] {
      #expect(FileManager.default.fileExists(atPath: straightDirectory.appendingPathComponent(file).path), "\(file)")
    }
    let csv = try String(contentsOf: straightDirectory.appendingPathComponent("log.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 4 && csv.hasPrefix("epoch,d_loss,g_loss,d_real,d_fake"))

    // Interrupted after epoch 2, resumed in a fresh experiment from the numbered checkpoint.
    let resumedDirectory = try TestData.temporaryDirectory("gan-resumed")
    let first = try GANExperiment(options: Self.tinyOptions(epochs: 2), dataSet: data, outputDirectory: resumedDirectory)
    try first.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    let second = try GANExperiment(options: Self.tinyOptions(epochs: 3), dataSet: data, outputDirectory: resumedDirectory)
    try second.resume(from: resumedDirectory.appendingPathComponent("checkpoints/epoch-0002.safetensors"))
    #expect(second.epoch == 2)
    let resumedReports = try second.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(resumedReports.map(\.epoch) == [3])
    #expect(resumedReports[0].metrics == reports[2].metrics)
    for (a, b) in zip(straight.generator.stateDict + straight.discriminator.stateDict,
                      second.generator.stateDict + second.discriminator.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming")
    }
    let log = try RunLog(directory: resumedDirectory, keepingEpochsThrough: 3)
    #expect(log.epochs.map(\.epoch) == [1, 2, 3])
  }

  @Test("A generator average leaves training unchanged, is saved, resumed bit for bit, started from the generator when a checkpoint lacks it, and sampled by default")
  func generatorAverage() throws {
    let data = Self.syntheticDigits()
    var options = Self.tinyOptions(epochs: 3)
    options.generatorAverageDecay = 0.9
    let straight = try GANExperiment(options: options, dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-ema"))
    try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    let average = try #require(straight.generatorAverage)
    let averaged = average.average.stateDict
    #expect(straight.samplingModel.generator === average.average && straight.samplingModel.discriminator === straight.discriminator)
    #expect(zip(averaged, straight.generator.stateDict).contains { $0.value != $1.value })
    // Keeping an average changes nothing in training.
    let plain = try GANExperiment(options: Self.tinyOptions(epochs: 3), dataSet: data,
                                  outputDirectory: try TestData.temporaryDirectory("gan-no-ema"))
    try plain.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    for (a, b) in zip(plain.generator.stateDict + plain.discriminator.stateDict,
                      straight.generator.stateDict + straight.discriminator.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs with an average kept")
    }

    // Resumed from epoch 2: the same average as the uninterrupted run.
    var twoEpochs = options
    twoEpochs.epochs = 2
    let directory = try TestData.temporaryDirectory("gan-ema-resumed")
    try GANExperiment(options: twoEpochs, dataSet: data, outputDirectory: directory).run(
      progress: ProgressReporter(style: .silent, totalEpochs: 2))
    let resumed = try GANExperiment(options: options, dataSet: data, outputDirectory: directory)
    try resumed.resume(from: directory.appendingPathComponent("checkpoints/epoch-0002.safetensors"))
    try resumed.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    for (a, b) in zip(averaged, try #require(resumed.generatorAverage).average.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming")
    }
    #expect(resumed.generatorAverage?.updateCount == straight.steps && straight.steps > 0, "the warm-up continues where it was")

    // A checkpoint from before the warm-up (no update count) continues with the constant decay.
    var legacy = try Checkpoint(contentsOf: directory.appendingPathComponent("checkpoints/epoch-0002.safetensors"))
    legacy.metadata["generator_average_updates"] = nil
    let legacyFile = try TestData.temporaryDirectory("gan-ema-legacy").appendingPathComponent("legacy.safetensors")
    try legacy.save(to: legacyFile)
    let continued = try GANExperiment(options: options, dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-ema-legacy-run"))
    try continued.resume(from: legacyFile)
    #expect(continued.generatorAverage?.currentDecay == 0.9)
    legacy.metadata["generator_average_updates"] = "-3"
    try legacy.save(to: legacyFile)
    #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: options, dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-ema-bad")).resume(from: legacyFile)
    }

    // Sampling loads the average by default, the trained weights on request.
    let file = try Checkpoint(contentsOf: straight.latestCheckpointURL)
    #expect(!file.names(withPrefix: GANExperiment.averagePrefix).isEmpty)
    let (model, loadedOptions, usesAverage) = try GANExperiment.loadModel(from: file)
    #expect(usesAverage && loadedOptions.generatorAverageDecay == 0.9)
    for (a, b) in zip(model.generator.stateDict, averaged) { #expect(a.value == b.value, "\(a.name)") }
    let trained = try GANExperiment.loadModel(from: file, generator: .trained)
    #expect(!trained.averaged)
    for (a, b) in zip(trained.model.generator.stateDict, straight.generator.stateDict) { #expect(a.value == b.value, "\(a.name)") }

    // A checkpoint of a run without an average: the average starts at its generator.
    let plainDirectory = try TestData.temporaryDirectory("gan-ema-plain")
    try GANExperiment(options: Self.tinyOptions(epochs: 1), dataSet: data, outputDirectory: plainDirectory).run(
      progress: ProgressReporter(style: .silent, totalEpochs: 1))
    let adopted = try GANExperiment(options: options, dataSet: data, outputDirectory: plainDirectory)
    try adopted.resume(from: plainDirectory.appendingPathComponent("checkpoints/latest.safetensors"))
    for (a, b) in zip(try #require(adopted.generatorAverage).average.stateDict, adopted.generator.stateDict) {
      #expect(a.value == b.value, "\(a.name)")
    }
    #expect(try GANExperiment.loadModel(from: Checkpoint(contentsOf: plainDirectory.appendingPathComponent("checkpoints/latest.safetensors"))).averaged == false)
    var wrongKind = file
    wrongKind.metadata["format"] = "generativekit-vae"
    let error = #expect(throws: GenerativeKitError.self) { try GANExperiment.loadModel(from: wrongKind) }
    #expect("\(error!)".contains("not a GAN checkpoint"))
  }

  @Test("Resuming refuses a checkpoint of another architecture, naming the file and the difference")
  func resumeMismatch() throws {
    let data = Self.syntheticDigits(count: 16)
    let directory = try TestData.temporaryDirectory("gan-mismatch")
    let small = try GANExperiment(options: Self.tinyOptions(epochs: 1), dataSet: data, outputDirectory: directory)
    try small.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    var wider = Self.tinyOptions(epochs: 2)
    wider.width = 8
    let other = try GANExperiment(options: wider, dataSet: data, outputDirectory: directory)
    let url = directory.appendingPathComponent("checkpoints/latest.safetensors")
    let error = #expect(throws: GenerativeKitError.self) { try other.resume(from: url) }
    #expect("\(error!)".contains("latest.safetensors") && "\(error!)".contains("width 4 vs 8"))
    #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: Self.tinyOptions(epochs: 1), dataSet: ImageDataSet(
        name: "wrong", images: Tensor(shape: [2, 1, 32, 32]), pixelRange: .symmetric), outputDirectory: directory)
    }
  }

  @Test("A batch-norm discriminator is built, trained and saved; resuming with the report's is refused by name, and DCGAN-64 takes none")
  func batchNormDiscriminator() throws {
    var options = Self.tinyOptions(epochs: 1)
    options.discriminator = .batchNorm
    let data = Self.syntheticDigits(count: 16)
    let directory = try TestData.temporaryDirectory("gan-batch-norm")
    let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: directory)
    #expect(experiment.discriminator.layers.contains { $0 is BatchNorm })
    try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    let url = directory.appendingPathComponent("checkpoints/latest.safetensors")
    let saved = try Checkpoint(contentsOf: url)
    #expect(saved.names.contains { $0.hasPrefix("discriminator.") && $0.hasSuffix("running_mean") })

    let report = try GANExperiment(options: Self.tinyOptions(epochs: 2), dataSet: data, outputDirectory: directory)
    let error = #expect(throws: GenerativeKitError.self) { try report.resume(from: url) }
    #expect("\(error!)".contains("discriminator batch-norm vs report"), "\(error!)")
    var continued = options
    continued.epochs = 2
    try GANExperiment(options: continued, dataSet: data, outputDirectory: directory).resume(from: url)

    options.architecture = .dcgan64
    (options.imageHeight, options.imageWidth) = (64, 64)
    let refusal = #expect(throws: GenerativeKitError.self) { try options.check() }
    #expect("\(refusal!)".contains("dcgan-64"), "\(refusal!)")
  }

  @Test("The fast preset's light networks: sizes of any multiple of 4, conditional, every parameter trained, resumed bit for bit; no discriminator option")
  func lightArchitecture() throws {
    var options = GANOptions(preset: .fast)
    #expect(options.architecture == .light && options.batchSize == 64 && options.learningRate == 4e-4
            && options.generatorLearningRate == 1.6e-3 && options.generatorAverageDecay == 0.99)
    options.width = 4
    options.noiseDimension = 8
    options.batchSize = 16
    options.epochs = 2
    options.sampleCount = 9
    options.classes = 3
    for (height, width) in [(28, 28), (28, 20), (12, 8)] {
      var sized = options
      (sized.imageHeight, sized.imageWidth) = (height, width)
      let model = try sized.makeModel()
      var random = SeededGenerator(seed: 1)
      let images = try model.generate(Tensor.randomNormal(shape: [2, 8], using: &random), labels: [0, 2])
      #expect(images.shape == [2, 1, height, width])
      #expect(try model.discriminator.outputShape(forInputShape: [2, 1 + 3, height, width]) == [2, 1])
    }
    let labels = (0..<40).map { $0 % 3 }
    let data = ImageDataSet(name: "synthetic", images: Self.syntheticDigits().images, labels: labels, pixelRange: .symmetric)
    let straight = try GANExperiment(options: options, dataSet: data, outputDirectory: try TestData.temporaryDirectory("gan-light"))
    let initial = straight.model.stateDict
    try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    for (before, after) in zip(initial, straight.model.stateDict) where !before.name.hasSuffix("num_batches_tracked") {
      #expect(before.value != after.value, "\(before.name) did not change in training")
    }
    var first = options
    first.epochs = 1
    let directory = try TestData.temporaryDirectory("gan-light-resumed")
    try GANExperiment(options: first, dataSet: data, outputDirectory: directory).run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    let resumed = try GANExperiment(options: options, dataSet: data, outputDirectory: directory)
    try resumed.resume(from: directory.appendingPathComponent("checkpoints/latest.safetensors"))
    try resumed.run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    for (a, b) in zip(straight.model.stateDict + straight.generatorAverage!.average.stateDict,
                      resumed.model.stateDict + resumed.generatorAverage!.average.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming")
    }
    options.discriminator = .batchNorm
    let refusal = #expect(throws: GenerativeKitError.self) { try options.check() }
    #expect("\(refusal!)".contains("dcgan-light has its own"), "\(refusal!)")
  }

  @Test("A hinge-loss run trains, saves its losses, and a resume with the report's BCE is refused by name")
  func hingeObjective() throws {
    var options = Self.tinyOptions(epochs: 1)
    options.discriminatorLoss = .hinge
    options.generatorLoss = .hinge
    let data = Self.syntheticDigits(count: 16)
    let directory = try TestData.temporaryDirectory("gan-hinge")
    let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: directory)
    #expect(experiment.trainer.loss as? GANObjective == GANObjective(discriminator: .hinge, generator: .hinge))
    let reports = try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    #expect(reports.first?.metrics["d_loss"].map(\.isFinite) == true)
    var bce = Self.tinyOptions(epochs: 2)
    bce.generatorLoss = .hinge
    let error = #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: bce, dataSet: data, outputDirectory: directory)
        .resume(from: directory.appendingPathComponent("checkpoints/latest.safetensors"))
    }
    #expect("\(error!)".contains("discriminatorLoss hinge in the checkpoint, bce now"), "\(error!)")
  }

  @Test("Non-square images (Frey faces' 28 x 20) get networks of their size; DCGAN-64 refuses other sizes")
  func otherSizes() throws {
    var options = Self.tinyOptions(epochs: 1)
    (options.imageHeight, options.imageWidth) = (28, 20)
    var random = SeededGenerator(seed: 6)
    let faces = ImageDataSet(name: "faces", images: Tensor.randomUniform(shape: [16, 1, 28, 20], in: -1...1, using: &random),
                             pixelRange: .symmetric)
    let experiment = try GANExperiment(options: options, dataSet: faces, outputDirectory: try TestData.temporaryDirectory("gan-frey"))
    #expect(try experiment.samples().shape == [9, 1, 28, 20])
    #expect(try experiment.discriminator.outputShape(forInputShape: [2, 1, 28, 20]) == [2, 1])
    options.architecture = .dcgan64
    let error = #expect(throws: GenerativeKitError.self) {
      try GANExperiment(options: options, dataSet: faces, outputDirectory: try TestData.temporaryDirectory("gan-64"))
    }
    #expect("\(error!)".contains("64 x 64"))
    let vae = ConvolutionalVAE.make(latentDimension: 3, imageHeight: 28, imageWidth: 20, seed: 1)
    var sampler = SeededGenerator(seed: 2)
    #expect(try vae.sample(count: 2, using: &sampler).shape == [2, 1, 28, 20])
  }

  @Test("A last batch of one image is left out (batch norm cannot train on it); too few images for a batch is refused by name")
  func lastBatchOfOne() throws {
    var options = Self.tinyOptions(epochs: 1)
    options.sampleEvery = 1
    let experiment = try GANExperiment(
      options: options, dataSet: Self.syntheticDigits(count: 33), outputDirectory: try TestData.temporaryDirectory("gan-last-one"))
    let reports = try experiment.run(progress: ProgressReporter(style: .silent, totalEpochs: 1))
    #expect(reports.count == 1 && reports[0].metrics.firstNonFinite == nil)
    let lone = try GANExperiment(
      options: options, dataSet: Self.syntheticDigits(count: 1), outputDirectory: try TestData.temporaryDirectory("gan-one-image"))
    let error = #expect(throws: GenerativeKitError.self) { try lone.run(progress: ProgressReporter(style: .silent, totalEpochs: 1)) }
    #expect("\(error!)".contains("synthetic has 1 image"), "\(error!)")
  }
}
