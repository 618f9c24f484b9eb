import Foundation
import GenerativeKit
import GenerativeKitData

/// The architecture family of a GAN experiment.
public enum GANArchitecture: String, Codable, Sendable, CaseIterable {
  /// The report's DCGAN (TensorFlow's DCGAN tutorial): 28 x 28 images, or any size whose sides
  /// are multiples of 4 (two stride-2 upsamplings from a quarter-size base).
  case report = "report-dcgan"
  /// Radford et al.'s DCGAN for 64 x 64 images.
  case dcgan64 = "dcgan-64"

  /// Whether the architecture makes `height x width` images.
  public func supports(height: Int, width: Int) -> Bool {
    switch self {
    case .report: return height % 4 == 0 && width % 4 == 0 && height > 0 && width > 0
    case .dcgan64: return height == 64 && width == 64
    }
  }
}

/// Which discriminator a GAN of the report's architecture uses.
public enum GANDiscriminator: String, Codable, Sendable, CaseIterable {
  /// The report's (the TensorFlow tutorial's): two 5 x 5 convolutions with dropout
  /// (`DCGAN.mnistDiscriminator`).
  case report
  /// Radford et al.'s practice: three stride-2 convolutions with batch norm and LeakyReLU 0.2, no
  /// dropout (`DCGAN.batchNormDiscriminator`).
  case batchNorm = "batch-norm"
}

/// Everything that defines a GAN run; saved in every checkpoint's metadata.
public struct GANOptions: Codable, Equatable, Sendable {
  public var architecture = GANArchitecture.report
  public var channels = 1
  public var imageHeight = 28
  public var imageWidth = 28
  public var noiseDimension = 100
  /// The base width w of the networks (64 in the report).
  public var width = 64
  public var epochs = 50
  public var batchSize = 256
  public var learningRate: Float = 1e-4
  /// Adam's beta1 (Keras default 0.9, as the report; DCGAN's paper uses 0.5).
  public var beta1: Float = 0.9
  public var generatorLoss = GeneratorLoss.nonSaturating
  public var seed: UInt64 = 1
  /// Epochs between the report's loss lines, checkpoints and sample grids.
  public var logEvery = 10
  public var saveEvery = 20
  public var sampleEvery = 30
  /// Images in each sample grid.
  public var sampleCount = 64
  /// For a class-conditional GAN, the number of classes (the data set's labels are `0..<classes`):
  /// the generator gets the label one-hot beside the noise, the discriminator one plane per class
  /// beside the image. Nil: unconditional (the report's).
  public var classes: Int?
  /// The decay of an exponential moving average of the generator's weights kept beside training
  /// (`WeightAverage` of the core, updated after every step; 0.999 spans about 1,000 steps). Grids and
  /// ``GANExperiment/loadModel(from:generator:)`` draw from the average. Nil: no average (the report's).
  public var generatorAverageDecay: Float?
  /// The discriminator of the report's architecture (``GANArchitecture/report``); nil: the report's.
  /// DCGAN-64 has its own batch-norm discriminator and takes none.
  public var discriminator: GANDiscriminator?

  public init() {}

  /// The fields that must agree between a checkpoint and the run resuming from it.
  func architectureMismatch(with other: GANOptions) -> String? {
    if architecture != other.architecture { return "architecture \(other.architecture.rawValue) vs \(architecture.rawValue)" }
    if channels != other.channels { return "channels \(other.channels) vs \(channels)" }
    if imageHeight != other.imageHeight || imageWidth != other.imageWidth {
      return "images \(other.imageHeight) x \(other.imageWidth) vs \(imageHeight) x \(imageWidth)"
    }
    if noiseDimension != other.noiseDimension { return "noise dimension \(other.noiseDimension) vs \(noiseDimension)" }
    if width != other.width { return "width \(other.width) vs \(width)" }
    if (discriminator ?? .report) != (other.discriminator ?? .report) {
      return "discriminator \((other.discriminator ?? .report).rawValue) vs \((discriminator ?? .report).rawValue)"
    }
    if classes != other.classes {
      return "classes \(other.classes.map(String.init) ?? "none (unconditional)") vs \(classes.map(String.init) ?? "none (unconditional)")"
    }
    return nil
  }
}

extension GANOptions {
  /// The generator these options describe, initialised from the run's seed.
  public func makeGenerator() -> Sequential {
    switch architecture {
    case .report:
      return DCGAN.mnistGenerator(noiseDimension: noiseDimension + (classes ?? 0), channels: channels, width: width,
                                  imageHeight: imageHeight, imageWidth: imageWidth, seed: seed &+ 1)
    case .dcgan64:
      return DCGAN.generator64(noiseDimension: noiseDimension + (classes ?? 0), channels: channels, width: width, seed: seed &+ 1)
    }
  }

  /// The discriminator these options describe, initialised from the run's seed.
  public func makeDiscriminator() -> Sequential {
    switch architecture {
    case .report where discriminator == .batchNorm:
      return DCGAN.batchNormDiscriminator(channels: channels + (classes ?? 0), width: width, imageHeight: imageHeight,
                                          imageWidth: imageWidth, seed: seed &+ 2)
    case .report:
      return DCGAN.mnistDiscriminator(channels: channels + (classes ?? 0), width: width, imageHeight: imageHeight,
                                      imageWidth: imageWidth, seed: seed &+ 2)
    case .dcgan64: return DCGAN.discriminator64(channels: channels + (classes ?? 0), width: width, seed: seed &+ 2)
    }
  }

  /// The generator and discriminator these options describe, as one `GAN`.
  public func makeModel() throws -> GAN {
    try GAN(generator: makeGenerator(), discriminator: makeDiscriminator(), noiseDimension: noiseDimension, classCount: classes)
  }
}

/// Which of a checkpoint's generator weights ``GANExperiment/loadModel(from:generator:)`` loads.
public enum GeneratorWeights: String, CaseIterable, Sendable {
  /// The moving average of the weights (``GANOptions/generatorAverageDecay``) when the checkpoint
  /// holds one, else the last step's weights.
  case averaged
  /// The weights of the last training step.
  case trained
}

/// A complete GAN training run: networks, optimizers, data, and everything written into the run's
/// folder (checkpoints, sample grids, loss curves, a per-epoch log).
///
/// Folder layout:
/// - `checkpoints/epoch-0020.safetensors` every `saveEvery` epochs, `checkpoints/latest.safetensors`
///   after every epoch (so a crash loses at most one epoch);
/// - `samples/epoch-0030.png` every `sampleEvery` epochs and after the last, from a fixed noise batch;
/// - `losses.svg`, `log.jsonl`, `log.csv`.
public final class GANExperiment {
  public let options: GANOptions
  public let dataSet: ImageDataSet
  public let outputDirectory: URL
  public let generator: Sequential
  public let discriminator: Sequential
  /// ``generator`` and ``discriminator`` as one model, for sampling and interpolation.
  public let model: GAN
  public let trainer: GANTrainer
  /// The noise the sample grids are drawn from, the same for every grid of a run.
  public let fixedNoise: Tensor
  /// The moving average of the generator's weights, when ``GANOptions/generatorAverageDecay`` is
  /// set; checkpoints store it under `generator_average.`.
  public let generatorAverage: WeightAverage?
  /// The model to sample from: ``model`` with the averaged generator in place of the trained one
  /// when the run keeps an average (the discriminator is shared), else ``model`` itself.
  public let samplingModel: GAN
  /// The checkpoint prefix of the averaged generator's weights.
  public static let averagePrefix = "generator_average."
  /// The `format` metadata of this experiment's checkpoints.
  public static let format = "generativekit-gan"
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

  /// Builds the networks for `options` and checks that the data fits them.
  public init(options: GANOptions, dataSet: ImageDataSet, outputDirectory: URL) throws {
    try options.check()  // sizes the architecture can make, widths and dimensions in range
    let expected = [options.channels, options.imageHeight, options.imageWidth]
    guard dataSet.imageShape == expected else {
      throw GenerativeKitError.invalidArgument(
        "GAN \(options.architecture.rawValue) is set up for images \(Tensor.describe(shape: expected)), but \(dataSet.name) has "
          + "\(Tensor.describe(shape: dataSet.imageShape))")
    }
    guard dataSet.pixelRange == .symmetric else {
      throw GenerativeKitError.invalidArgument(
        "GAN: the generator ends in tanh, so \(dataSet.name) must be scaled to [-1, 1] (PixelRange.symmetric)")
    }
    if let classes = options.classes { try checkLabels(of: dataSet, classes: classes, model: "GAN") }
    self.options = options
    self.dataSet = dataSet
    self.outputDirectory = outputDirectory
    model = try options.makeModel()
    generator = model.generator
    discriminator = model.discriminator
    trainer = GANTrainer(
      model: model,
      generatorOptimizer: Adam.keras(model: generator, learningRate: options.learningRate, beta1: options.beta1),
      discriminatorOptimizer: Adam.keras(model: discriminator, learningRate: options.learningRate, beta1: options.beta1),
      generatorLoss: options.generatorLoss, seed: options.seed &+ 3)
    var noise = SeededGenerator(seed: options.seed &+ 4)
    fixedNoise = Tensor.randomNormal(shape: [options.sampleCount, options.noiseDimension], using: &noise)
    if let decay = options.generatorAverageDecay {
      let averaged = options.makeGenerator()
      generatorAverage = try WeightAverage(of: model.generator, into: averaged, decay: decay)
      samplingModel = try GAN(generator: averaged, discriminator: model.discriminator,
                              noiseDimension: options.noiseDimension, classCount: options.classes)
    } else {
      generatorAverage = nil
      samplingModel = model
    }
  }

  /// The epochs completed so far (after a resume, the checkpoint's epoch).
  public var epoch: Int { completedEpochs }

  public var checkpointDirectory: URL { outputDirectory.appendingPathComponent("checkpoints") }
  public var samplesDirectory: URL { outputDirectory.appendingPathComponent("samples") }
  public var latestCheckpointURL: URL { checkpointDirectory.appendingPathComponent("latest.safetensors") }

  // MARK: - Checkpoints

  /// Everything needed to continue this run exactly: weights, buffers, both optimizers, the
  /// noise and dropout generators, the options, epoch and step.
  public func checkpoint() throws -> Checkpoint {
    var checkpoint = try RunCheckpoint.make(format: Self.format, options: options, epoch: completedEpochs, step: steps)
    checkpoint.add(model: generator, prefix: "generator.")
    checkpoint.add(model: discriminator, prefix: "discriminator.")
    if let generatorAverage { checkpoint.add(model: generatorAverage.average, prefix: Self.averagePrefix) }
    checkpoint.add(optimizer: trainer.generatorOptimizer, prefix: "optimizer.generator.")
    checkpoint.add(optimizer: trainer.discriminatorOptimizer, prefix: "optimizer.discriminator.")
    checkpoint.setRandomGenerator(trainer.noiseGenerator, named: "rng.noise")
    for (name, layer) in model.randomStateLayers {
      checkpoint.setRandomGenerator(layer.generator, named: "rng.\(name)")
    }
    return checkpoint
  }

  /// Continues from a checkpoint written by ``checkpoint()``. Nothing changes unless everything
  /// in it fits this run's networks and recipe (see ``TrainingExperiment/resume(from:)``); the
  /// error names the file and the first field or tensor that differs.
  /// A generator average missing from the file (a run that kept none) starts at the restored
  /// generator's weights.
  public func resume(from url: URL) throws {
    let (checkpoint, epoch, step) = try RunCheckpoint.open(
      url, format: Self.format, as: GANOptions.self, mismatch: options.architectureMismatch(with:))
    if let difference = RecipeCheck.difference(stored: try checkpoint.configuration(GANOptions.self), current: options) {
      throw GenerativeKitError.file(
        path: url.path, reason: "the run was trained with another recipe (\(difference)); a resume continues it as it "
          + "was (only the epochs and the reporting may change): start a new run to train with other settings")
    }
    let noise = try checkpoint.randomGenerator(named: "rng.noise")
    let dropouts = try model.randomStateLayers.map {
      ($0.layer, try checkpoint.randomGenerator(named: "rng.\($0.name)"))
    }
    let storedAverage = generatorAverage.flatMap { average in
      checkpoint.names(withPrefix: Self.averagePrefix).isEmpty ? nil : average.average
    }
    try checkpoint.restore(
      models: [("generator.", generator), ("discriminator.", discriminator)]
        + (storedAverage.map { [(Self.averagePrefix, $0)] } ?? []),
      optimizers: [("optimizer.generator.", trainer.generatorOptimizer),
                   ("optimizer.discriminator.", trainer.discriminatorOptimizer)])
    if storedAverage == nil { generatorAverage?.reset() }
    trainer.noiseGenerator = noise
    for (layer, state) in dropouts { layer.generator = state }
    completedEpochs = epoch
    resumedFrom = RunCheckpoint.ResumePoint(url: url, checkpoint: checkpoint)
    steps = step
  }

  // MARK: - Training

  /// Trains from the current epoch to `options.epochs`, writing checkpoints, grids, curves and
  /// the log as it goes. A non-finite loss stops the run with ``TrainingError`` and leaves the
  /// checkpoints of the last good epoch in place.
  @discardableResult
  public func run(progress: ProgressReporter) throws -> [EpochReport] {
    try parallelism?.prepare(trainer)
    return try ExperimentEpochs.run(
      folders: [checkpointDirectory, samplesDirectory], outputDirectory: outputDirectory, dataSet: dataSet,
      batchSize: options.batchSize, seed: options.seed, completedEpochs: completedEpochs, totalEpochs: options.epochs,
      firstStep: steps,
      replacingEarlierRun: replacesEarlierRun, resumedFrom: resumedFrom, parallelism: parallelism, progress: progress,
      step: { [unowned self] batch, shard in
        let metrics = try trainer.step(
          realImages: batch.images, labels: options.classes == nil ? nil : batch.labels, shard: shard).metrics
        generatorAverage?.update()
        return metrics
      },
      stepFinished: { [unowned self] in steps = $0 },
      epochFinished: { [unowned self] report in completedEpochs = report.epoch },
      checkpointsWritten: { [unowned self] report in
        try RunCheckpoint.save(try checkpoint(), report: report, of: options.epochs, saveEvery: options.saveEvery,
                               in: checkpointDirectory)
      },
      filesWritten: { [unowned self] report, log in try epochFinished(report, log: log, progress: progress) })
  }

  private func epochFinished(_ report: EpochReport, log: RunLog, progress: ProgressReporter) throws {
    let epoch = report.epoch
    let last = epoch == options.epochs
    if epoch % options.logEvery == 0 || last {
      progress.message("epoch \(epoch): D loss \(formatMetric(report.metrics["d_loss"] ?? .nan)), "
                       + "G loss \(formatMetric(report.metrics["g_loss"] ?? .nan))")
    }
    if epoch % options.sampleEvery == 0 || last {
      try writeSamples(to: samplesDirectory.appendingPathComponent(RunCheckpoint.fileName(epoch: epoch, extension: "png")))
    }
    try plotLosses(log)
  }

  /// Images `[sampleCount, C, H, W]` in [-1, 1] from the fixed noise, in inference mode, from the
  /// averaged generator when there is one.
  public func samples() throws -> Tensor {
    let network = samplingModel.conditionalGenerator
    network.body.eval()
    defer { network.body.train() }
    // A conditional grid: image i of class i mod classes, so each column of a `classes`-wide grid is one class.
    let labels = options.classes.map { classes in (0..<fixedNoise.shape[0]).map { $0 % classes } }
    return try network.forward(fixedNoise, labels: labels)
  }

  /// Writes a grid of the fixed-noise samples.
  public func writeSamples(to url: URL) throws {
    let scale = options.imageHeight <= 32 ? 2 : 1
    let grid = options.classes.map { ImageGrid(columns: .fixed($0), scale: scale) } ?? ImageGrid(scale: scale)
    try grid.write(try samples(), range: .symmetric, to: url)
  }

  /// The GAN saved in a checkpoint of a GAN experiment, with the run's options, for sampling: its
  /// generator holds the moving average of its weights when the run kept one and `generator` is
  /// ``GeneratorWeights/averaged``, else the last step's weights.
  ///
  /// - Returns: the model, the run's options, and whether the generator holds the average.
  /// - Throws: `GenerativeKitError.file` for a checkpoint of another kind, and the errors of
  ///   `Checkpoint.restore(model:prefix:strict:)` for tensors that do not fit.
  public static func loadModel(
    from checkpoint: Checkpoint, generator weights: GeneratorWeights = .averaged
  ) throws -> (model: GAN, options: GANOptions, averaged: Bool) {
    guard checkpoint.metadata["format"] == format else {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint",
        reason: "not a GAN checkpoint (metadata 'format' is \(checkpoint.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
    }
    let options = try checkpoint.configuration(GANOptions.self)
    let model = try options.makeModel()
    try checkpoint.restore(model: model, strict: false)  // the file also holds optimizer moments and the average
    let averaged = weights == .averaged && !checkpoint.names(withPrefix: averagePrefix).isEmpty
    if averaged { try checkpoint.restore(model: model.generator, prefix: averagePrefix) }
    return (model, options, averaged)
  }

  private func plotLosses(_ log: RunLog) throws {
    var plot = LinePlot(title: "GAN losses (\(dataSet.name))", xLabel: "epoch", yLabel: "loss")
    for (label, metric) in [("discriminator", "d_loss"), ("generator", "g_loss")] {
      let (x, y) = log.series(metric)
      plot.addSeries(label, x: x, y: y)
    }
    try plot.write(to: outputDirectory.appendingPathComponent("losses.svg"))
  }
}
