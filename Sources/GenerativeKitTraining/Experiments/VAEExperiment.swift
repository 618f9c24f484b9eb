import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics

/// Everything that defines a VAE run; saved in every checkpoint's metadata.
public struct VAEOptions: Codable, Equatable, Sendable {
  public var channels = 1
  /// Image sides, multiples of 4 (28 x 28 for MNIST, 28 x 20 for Frey faces).
  public var imageHeight = 28
  public var imageWidth = 28
  public var latentDimension = 16
  public var epochs = 30
  public var batchSize = 128
  public var learningRate: Float = 1e-4
  /// The KL weight: loss = reconstruction + beta * KL.
  public var beta: Float = 1
  public var reconstructionLoss = ReconstructionLoss.meanSquaredError
  public var seed: UInt64 = 1
  public var saveEvery = 10
  public var sampleEvery = 10
  public var sampleCount = 64
  /// For a class-conditional VAE, the number of classes (the data set's labels are `0..<classes`):
  /// the encoder gets one plane per class beside the image, the decoder the label one-hot beside
  /// the code. Nil: unconditional (the report's).
  public var classes: Int?
  /// Trains on binary images drawn afresh for every batch, each pixel 1 with probability its grey
  /// value (Burda et al.'s dynamic binarization; use with the Bernoulli loss); the test set is
  /// binarized once, with a fixed seed. Nil or false: the grey images as they are.
  public var dynamicBinarization: Bool?

  public init() {}

  func architectureMismatch(with other: VAEOptions) -> String? {
    if channels != other.channels { return "channels \(other.channels) vs \(channels)" }
    if imageHeight != other.imageHeight || imageWidth != other.imageWidth {
      return "images \(other.imageHeight) x \(other.imageWidth) vs \(imageHeight) x \(imageWidth)"
    }
    if latentDimension != other.latentDimension { return "latent dimension \(other.latentDimension) vs \(latentDimension)" }
    if classes != other.classes {
      return "classes \(other.classes.map(String.init) ?? "none (unconditional)") vs \(classes.map(String.init) ?? "none (unconditional)")"
    }
    return nil
  }
}

extension VAEOptions {
  /// The VAE these options describe, initialised from the run's seed.
  public func makeModel() throws -> VAE {
    guard let classes else {
      return ConvolutionalVAE.mnist(latentDimension: latentDimension, channels: channels, imageHeight: imageHeight,
                                    imageWidth: imageWidth, seed: seed &+ 1)
    }
    return try ConvolutionalVAE.conditionalMNIST(
      classes: classes, latentDimension: latentDimension, channels: channels, imageHeight: imageHeight,
      imageWidth: imageWidth, seed: seed &+ 1)
  }
}

/// A complete VAE training run: the report's convolutional VAE (for any image size with sides
/// that are multiples of 4), its Adam
/// optimizer, the data, and everything written into the run's folder.
///
/// Folder layout: `checkpoints/` (`latest.safetensors` every epoch, `epoch-NNNN.safetensors`
/// every `saveEvery`), `samples/epoch-NNNN.png` (decoded prior samples) and
/// `reconstructions/epoch-NNNN.png` (test images above their reconstructions) every `sampleEvery`
/// epochs and after the last, `losses.svg`, `log.jsonl`, `log.csv`. When a test set is given its
/// loss is measured after every epoch (`test_loss`, `test_reconstruction`, `test_kl`).
public final class VAEExperiment {
  public let options: VAEOptions
  public let dataSet: ImageDataSet
  public let testSet: ImageDataSet?
  public let outputDirectory: URL
  public let model: VAE
  public let trainer: VAETrainer
  /// The prior samples behind every sample grid of a run.
  public let fixedCodes: Tensor
  /// The `format` metadata of this experiment's checkpoints.
  public static let format = "generativekit-vae"
  /// Whether a fresh run may replace an earlier run found in ``outputDirectory`` (its
  /// checkpoints, pictures and log are deleted first). False by default: such a run is refused, so
  /// nothing is overwritten by accident (``resume(from:)`` continues the earlier run instead).
  public var replacesEarlierRun = false
  /// Several processes training this run together; see ``TrainingExperiment/parallelism``.
  public var parallelism: (any DataParallelism)?
  private var completedEpochs = 0
  /// The checkpoint ``resume(from:)`` read (nil for a fresh run).
  private var resumedFrom: RunCheckpoint.ResumePoint?
  private var steps = 0
  /// Draws the binary training pixels under ``VAEOptions/dynamicBinarization``; saved in checkpoints.
  private var binarizer: SeededGenerator
  /// The test set as the test figures see it: binarized once, with a fixed seed, when training is.
  private let measuredTestSet: ImageDataSet?

  public init(options: VAEOptions, dataSet: ImageDataSet, testSet: ImageDataSet? = nil, outputDirectory: URL) throws {
    try options.check()
    for set in [dataSet] + (testSet.map { [$0] } ?? []) {
      let expected = [options.channels, options.imageHeight, options.imageWidth]
      guard set.imageShape == expected else {
        throw GenerativeKitError.invalidArgument(
          "VAE: the model is set up for \(Tensor.describe(shape: expected)) images, \(set.name) has \(Tensor.describe(shape: set.imageShape))")
      }
      guard options.imageHeight % 4 == 0 && options.imageWidth % 4 == 0 else {
        throw GenerativeKitError.invalidArgument(
          "VAE: image sides must be multiples of 4, got \(options.imageHeight) x \(options.imageWidth)")
      }
      guard set.pixelRange == .unit else {
        throw GenerativeKitError.invalidArgument("VAE: the decoder ends in a sigmoid, so \(set.name) must be scaled to [0, 1]")
      }
      if let classes = options.classes { try checkLabels(of: set, classes: classes, model: "VAE") }
    }
    self.options = options
    self.dataSet = dataSet
    self.testSet = testSet
    self.outputDirectory = outputDirectory
    model = try options.makeModel()
    trainer = VAETrainer(
      model: model, optimizer: Adam.keras(model: model, learningRate: options.learningRate),
      reconstructionLoss: options.reconstructionLoss, beta: options.beta, seed: options.seed &+ 3)
    var noise = SeededGenerator(seed: options.seed &+ 4)
    fixedCodes = Tensor.randomNormal(shape: [options.sampleCount, options.latentDimension], using: &noise)
    binarizer = SeededGenerator(seed: options.seed &+ 6)
    measuredTestSet = testSet.map { test in
      guard options.dynamicBinarization == true else { return test }
      var fixed = SeededGenerator(seed: testSetBinarizationSeed)
      let binary = dynamicallyBinarized(test.images(in: 0..<test.count), using: &fixed)
      return ImageDataSet(name: test.name + " (binarized)", images: binary, labels: test.labels, pixelRange: .unit)
    }
  }

  public var epoch: Int { completedEpochs }
  public var checkpointDirectory: URL { outputDirectory.appendingPathComponent("checkpoints") }
  public var latestCheckpointURL: URL { checkpointDirectory.appendingPathComponent("latest.safetensors") }

  // MARK: - Checkpoints

  public func checkpoint() throws -> Checkpoint {
    var checkpoint = try RunCheckpoint.make(format: Self.format, options: options, epoch: completedEpochs, step: steps)
    checkpoint.add(model: model)
    checkpoint.add(optimizer: trainer.optimizer, prefix: "optimizer.")
    checkpoint.setRandomGenerator(trainer.noiseGenerator, named: "rng.noise")
    if options.dynamicBinarization == true { checkpoint.setRandomGenerator(binarizer, named: "rng.binarize") }
    return checkpoint
  }

  public func resume(from url: URL) throws {
    let (checkpoint, epoch, step) = try RunCheckpoint.open(
      url, format: Self.format, as: VAEOptions.self, mismatch: options.architectureMismatch(with:))
    if let difference = RecipeCheck.difference(stored: try checkpoint.configuration(VAEOptions.self), current: options) {
      throw GenerativeKitError.file(
        path: url.path, reason: "the run was trained with another recipe (\(difference)); a resume continues it as it "
          + "was (only the epochs and the reporting may change): start a new run to train with other settings")
    }
    let noise = try checkpoint.randomGenerator(named: "rng.noise")
    // The model's tensors have no prefix, so the strict check is done here: besides them, only
    // the optimizer's state and the random generators belong in the file.
    let modelNames = Set(model.namedParameters.map(\.name))
    if let extra = checkpoint.names.first(where: { !modelNames.contains($0) && !$0.hasPrefix("optimizer.") && !$0.hasPrefix("rng.") }) {
      throw GenerativeKitError.file(
        path: url.path, reason: "tensor '\(extra)' is not a parameter or buffer of the VAE, nor optimizer or random state")
    }
    try checkpoint.restore(models: [("", model)], optimizers: [("optimizer.", trainer.optimizer)], strict: false)
    trainer.noiseGenerator = noise
    if options.dynamicBinarization == true { binarizer = try checkpoint.randomGenerator(named: "rng.binarize") }
    completedEpochs = epoch
    resumedFrom = RunCheckpoint.ResumePoint(url: url, checkpoint: checkpoint)
    steps = step
  }

  // MARK: - Training

  @discardableResult
  public func run(progress: ProgressReporter) throws -> [EpochReport] {
    try parallelism?.prepare(trainer)
    // Every process draws the same binary pixels for the whole global batch, then takes its rows.
    let binarize: ((DataBatch) throws -> DataBatch)? = options.dynamicBinarization == true
      ? { [unowned self] batch in
        let images = dynamicallyBinarized(batch.images, using: &binarizer)
        return (images: images, labels: batch.labels)
      } : nil
    return try ExperimentEpochs.run(
      folders: ["checkpoints", "samples", "reconstructions"].map { outputDirectory.appendingPathComponent($0) },
      outputDirectory: outputDirectory, dataSet: dataSet, batchSize: options.batchSize, seed: options.seed,
      completedEpochs: completedEpochs, totalEpochs: options.epochs, firstStep: steps,
      replacingEarlierRun: replacesEarlierRun, resumedFrom: resumedFrom, parallelism: parallelism, progress: progress,
      prepareBatch: binarize,
      step: { [unowned self] batch, shard in
        try trainer.step(images: batch.images, labels: options.classes == nil ? nil : batch.labels, shard: shard).metrics
      },
      stepFinished: { [unowned self] in steps = $0 },
      epochFinished: { [unowned self] report in
        completedEpochs = report.epoch
        guard let test = try testMetrics() else { return }
        for (name, value) in test.metrics { report.metrics["test_" + name] = value }
        progress.message("epoch \(report.epoch): test loss \(formatMetric(test.loss)) (reconstruction "
                         + "\(formatMetric(test.reconstruction)), KL \(formatMetric(test.kl)))")
      },
      checkpointsWritten: { [unowned self] report in
        try RunCheckpoint.save(try checkpoint(), report: report, of: options.epochs, saveEvery: options.saveEvery,
                               in: checkpointDirectory)
      },
      filesWritten: { [unowned self] report, log in try epochFinished(report.epoch, log: log) })
  }

  /// The loss on the whole test set with a fixed noise seed (comparable across epochs).
  public func testMetrics() throws -> VAEStepMetrics? {
    guard let testSet = measuredTestSet else { return nil }
    var generator = SeededGenerator(seed: options.seed &+ 5)
    var sums = (loss: 0.0, reconstruction: 0.0, kl: 0.0)
    let batch = 500
    for start in stride(from: 0, to: testSet.count, by: batch) {
      let rows = start..<min(testSet.count, start + batch)
      let images = testSet.images(in: rows)
      let m = try trainer.evaluate(images: images, labels: labels(of: testSet, rows: rows), using: &generator)
      let weight = Double(images.shape[0])
      sums.loss += Double(m.loss) * weight
      sums.reconstruction += Double(m.reconstruction) * weight
      sums.kl += Double(m.kl) * weight
    }
    let n = Double(max(testSet.count, 1))
    return VAEStepMetrics(loss: Float(sums.loss / n), reconstruction: Float(sums.reconstruction / n), kl: Float(sums.kl / n))
  }

  private func epochFinished(_ epoch: Int, log: RunLog) throws {
    let last = epoch == options.epochs
    if epoch % options.sampleEvery == 0 || last {
      let name = RunCheckpoint.fileName(epoch: epoch, extension: "png")
      try writeSamples(to: outputDirectory.appendingPathComponent("samples").appendingPathComponent(name))
      try writeReconstructions(to: outputDirectory.appendingPathComponent("reconstructions").appendingPathComponent(name))
    }
    var plot = LinePlot(title: "VAE losses (\(dataSet.name))", xLabel: "epoch", yLabel: "loss per image")
    for (label, metric) in [("train loss", "loss"), ("train reconstruction", "reconstruction"), ("train KL", "kl"),
                            ("test loss", "test_loss")] {
      let (x, y) = log.series(metric)
      if !x.isEmpty { plot.addSeries(label, x: x, y: y) }
    }
    try plot.write(to: outputDirectory.appendingPathComponent("losses.svg"))
  }

  /// Decoded prior samples from the fixed codes, in [0, 1]; for a conditional VAE image `i` is of
  /// class `i mod classes`.
  public func samples() throws -> Tensor {
    model.eval()
    defer { model.train() }
    return try model.decode(fixedCodes, labels: options.classes.map { classes in (0..<fixedCodes.shape[0]).map { $0 % classes } })
  }

  /// Writes a grid of the fixed-code samples (one column per class for a conditional VAE).
  public func writeSamples(to url: URL) throws {
    let scale = options.imageHeight <= 32 ? 2 : 1
    let grid = options.classes.map { ImageGrid(columns: .fixed($0), scale: scale) } ?? ImageGrid(scale: scale)
    try grid.write(try samples(), range: .unit, to: url)
  }

  /// The labels of `rows` of `set` when the VAE is conditional; nil otherwise.
  private func labels(of set: ImageDataSet, rows: Range<Int>) -> [Int]? {
    guard options.classes != nil, let labels = set.labels else { return nil }
    return Array(labels[rows])
  }

  /// Up to 16 test (or training) images in the first rows, their reconstructions in the rows below.
  public func writeReconstructions(to url: URL) throws {
    let source = testSet ?? dataSet
    let originals = source.images(in: 0..<min(16, source.count))
    let rebuilt = try model.reconstruct(originals, labels: labels(of: source, rows: 0..<originals.shape[0]))
    try ImageGrid(columns: .fixed(8), scale: options.imageHeight <= 32 ? 2 : 1)
      .write(Tensor.concatenate(batches: [originals, rebuilt]), range: .unit, to: url)
  }
}
