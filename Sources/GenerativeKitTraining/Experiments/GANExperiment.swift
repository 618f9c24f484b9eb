import Foundation
import GenerativeKit
import GenerativeKitData

/// Which of a checkpoint's generator weights ``Experiment/loadModel(from:generator:)`` loads.
public enum GeneratorWeights: String, CaseIterable, Sendable {
  /// The moving average of the weights (``GANOptions/generatorAverageDecay``) when the checkpoint
  /// holds one, else the last step's weights.
  case averaged
  /// The weights of the last training step.
  case trained
}

/// A complete GAN training run: networks, optimizers, data, and everything written into the run's
/// folder (checkpoints, sample grids, loss curves, a per-epoch log); an ``Experiment`` of a
/// ``GANRecipe``.
///
/// Folder layout:
/// - `checkpoints/epoch-0020.safetensors` every `saveEvery` epochs, `checkpoints/latest.safetensors`
///   after every epoch (so a crash loses at most one epoch);
/// - `samples/epoch-0030.png` every `sampleEvery` epochs and after the last, from a fixed noise batch;
/// - `losses.svg`, `log.jsonl`, `log.csv`.
public typealias GANExperiment = Experiment<GANRecipe>

extension Experiment where Recipe == GANRecipe {
  /// Builds the networks for `options` and checks that the data fits them.
  public convenience init(options: GANOptions, dataSet: ImageDataSet, outputDirectory: URL) throws {
    self.init(recipe: try GANRecipe(options: options, dataSet: dataSet), dataSet: dataSet, outputDirectory: outputDirectory)
  }

  /// `samples/` in the run folder.
  public var samplesDirectory: URL { outputDirectory.appendingPathComponent("samples") }

  /// Images `[sampleCount, C, H, W]` in [-1, 1] from the fixed noise (see ``GANRecipe/samples()``).
  public func samples() throws -> Tensor { try recipe.samples() }

  /// Writes a grid of the fixed-noise samples.
  public func writeSamples(to url: URL) throws { try recipe.writeSamples(to: url) }

  /// The checkpoint prefix of the averaged generator's weights.
  public static var averagePrefix: String { GANRecipe.averagePrefix }

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
    guard checkpoint.metadata["format"] == GANRecipe.format else {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint",
        reason: "not a GAN checkpoint (metadata 'format' is \(checkpoint.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(GANRecipe.format)')")
    }
    let options = try checkpoint.configuration(GANOptions.self)
    let model = options.architecture == .custom ? try GANRecipe.storedModel(in: checkpoint) : try options.makeModel()
    try checkpoint.restore(model: model, strict: false)  // the file also holds optimizer moments and the average
    let averaged = weights == .averaged && !checkpoint.names(withPrefix: GANRecipe.averagePrefix).isEmpty
    if averaged { try checkpoint.restore(model: model.generator, prefix: GANRecipe.averagePrefix) }
    return (model, options, averaged)
  }

}

/// How a GAN trains in an ``Experiment``: the report's loop (`GANTrainer`, one Adam per
/// network), an optional moving average of the generator's weights, and a grid of samples from a
/// fixed noise batch every `sampleEvery` epochs.
public final class GANRecipe: ExperimentRecipe {
  public let options: GANOptions
  /// The generator and discriminator.
  public let model: GAN
  /// Trains ``model``: noise, both losses, both optimizers.
  public let trainer: GANTrainer
  /// The noise the sample grids are drawn from, the same for every grid of a run.
  public let fixedNoise: Tensor
  /// The moving average of the generator's weights, when ``GANOptions/generatorAverageDecay`` is
  /// set, warmed up (see `WeightAverage`) so that early grids are not dominated by the initial
  /// weights; checkpoints store it under `generator_average.` with its update count.
  public let generatorAverage: WeightAverage?
  /// The model to sample from: ``model`` with the averaged generator in place of the trained one
  /// when the run keeps an average (the discriminator is shared), else ``model`` itself.
  public let samplingModel: GAN
  /// Both Adams, whose step size ``GANOptions/learningRateSchedule`` sets before every step.
  private let scheduledOptimizers: [(optimizer: Adam, baseRate: Float)]
  /// The name of the training images, for titles.
  private let dataSetName: String
  /// The checkpoint prefix of the averaged generator's weights.
  public static let averagePrefix = "generator_average."
  /// The checkpoint metadata key of the average's update count (the warm-up's position).
  static let averageUpdatesKey = "generator_average_updates"
  /// The update count that puts the warm-up out of play: checkpoints written before the warm-up
  /// existed continue their average with the constant decay they were trained with.
  static let warmedUp = 1 << 40
  /// The `format` metadata of this recipe's checkpoints.
  public static let format = "generativekit-gan"
  /// The networks' structure, stored in every checkpoint under `GAN.configurationKey`.
  private let configuration: GANConfiguration

  /// Noise `[N, noiseDimension]` to images (``model``'s).
  public var generator: Sequential { model.generator }
  /// Images to logits (``model``'s).
  public var discriminator: Sequential { model.discriminator }

  /// Builds the networks for `options` and checks that `dataSet` fits them.
  public convenience init(options: GANOptions, dataSet: ImageDataSet) throws {
    try options.check()  // sizes the architecture can make, widths and dimensions in range
    try self.init(options: options, model: options.makeModel(), dataSet: dataSet)
  }

  /// Trains `model`: networks of your own when `options.architecture` is
  /// ``GANArchitecture/custom`` (their layers must conform to `ConfigurableLayer`, so that
  /// checkpoints describe them and `sample` and `gk-explore` can open them), with the rest of the
  /// recipe (optimizers, loss, schedule, average) from `options`.
  ///
  /// - Throws: when the model's noise or class count differs from the options', when the generator
  ///   does not make images of `dataSet`'s shape, or when a layer cannot describe itself; each
  ///   error names what differs.
  public init(options: GANOptions, model: GAN, dataSet: ImageDataSet) throws {
    try options.check()
    let expected = [options.channels, options.imageHeight, options.imageWidth]
    guard dataSet.imageShape == expected else {
      throw GenerativeKitError.invalidArgument(
        "GAN \(options.architecture.rawValue) is set up for images \(Tensor.describe(shape: expected)), but \(dataSet.name) has "
          + "\(Tensor.describe(shape: dataSet.imageShape))")
    }
    guard model.noiseDimension == options.noiseDimension, model.classCount == options.classes else {
      throw GenerativeKitError.invalidArgument(
        "GAN: the model takes noise \(model.noiseDimension) and classes \(model.classCount.map(String.init) ?? "none"), "
          + "the options say noise \(options.noiseDimension) and classes \(options.classes.map(String.init) ?? "none")")
    }
    let made = try model.generator.outputShape(forInputShape: [1, options.noiseDimension + (options.classes ?? 0)])
    guard made == [1] + expected else {
      throw GenerativeKitError.invalidArgument(
        "GAN: the generator makes images \(Tensor.describe(shape: Array(made.dropFirst()))), but \(dataSet.name) has "
          + "\(Tensor.describe(shape: expected))")
    }
    configuration = try model.configuration()
    guard dataSet.pixelRange == .symmetric else {
      throw GenerativeKitError.invalidArgument(
        "GAN: the generator ends in tanh, so \(dataSet.name) must be scaled to [-1, 1] (PixelRange.symmetric)")
    }
    if let classes = options.classes { try checkLabels(of: dataSet, classes: classes, model: "GAN") }
    self.options = options
    dataSetName = dataSet.name
    self.model = model
    func adam(_ network: Sequential, _ rate: Float) -> Adam {
      options.adam == .pytorch
        ? .pytorch(model: network, learningRate: rate, beta1: options.beta1)
        : .keras(model: network, learningRate: rate, beta1: options.beta1)
    }
    let optimizers = (generator: adam(model.generator, options.generatorRate), discriminator: adam(model.discriminator, options.learningRate))
    scheduledOptimizers = [(optimizers.generator, options.generatorRate), (optimizers.discriminator, options.learningRate)]
    trainer = GANTrainer(
      model: model, generatorOptimizer: optimizers.generator, discriminatorOptimizer: optimizers.discriminator,
      loss: GANObjective(discriminator: options.discriminatorLoss ?? .binaryCrossEntropy, generator: options.generatorLoss),
      seed: options.seed &+ 3)
    trainer.updateOrder = options.updateOrder ?? .simultaneous
    trainer.discriminatorWeightClip = options.discriminatorWeightClip
    var noise = SeededGenerator(seed: options.seed &+ 4)
    fixedNoise = Tensor.randomNormal(shape: [options.sampleCount, options.noiseDimension], using: &noise)
    if let decay = options.generatorAverageDecay {
      let averaged = try LayerRegistry.copy(of: model.generator)
      generatorAverage = try WeightAverage(of: model.generator, into: averaged, decay: decay, warmUp: true)
      samplingModel = try GAN(generator: averaged, discriminator: model.discriminator,
                              noiseDimension: options.noiseDimension, classCount: options.classes)
    } else {
      generatorAverage = nil
      samplingModel = model
    }
  }

  public var outputFolders: [String] { ["samples"] }
  public var dataParallelTrainer: any DataParallelTrainable { trainer }

  public func prepareStep(at position: TrainingPosition) {
    guard let schedule = options.learningRateSchedule else { return }
    let multiplier = schedule.multiplier(at: position.fraction)
    for (optimizer, baseRate) in scheduledOptimizers { optimizer.learningRate = baseRate * multiplier }
  }

  public func trainStep(on batch: DataBatch, shard: BatchShard?) throws -> TrainingFigures {
    let metrics = try trainer.step(realImages: batch.images, labels: options.classes == nil ? nil : batch.labels, shard: shard)
    generatorAverage?.update()
    return metrics.metrics
  }

  /// Weights, buffers, both optimizers, the generator average, and the noise and dropout generators.
  public func save(into checkpoint: inout Checkpoint) throws {
    try checkpoint.setConfiguration(configuration, forKey: GAN.configurationKey)
    checkpoint.add(model: model)
    if let generatorAverage {
      checkpoint.add(model: generatorAverage.average, prefix: Self.averagePrefix)
      checkpoint.metadata[Self.averageUpdatesKey] = String(generatorAverage.updateCount)
    }
    checkpoint.add(optimizer: trainer.generatorOptimizer, prefix: "optimizer.generator.")
    checkpoint.add(optimizer: trainer.discriminatorOptimizer, prefix: "optimizer.discriminator.")
    checkpoint.setRandomGenerator(trainer.noiseGenerator, named: "rng.noise")
    for (name, layer) in model.randomStateLayers {
      checkpoint.setRandomGenerator(layer.generator, named: "rng.\(name)")
    }
  }

  /// A generator average missing from the file (a run that kept none) starts at the restored
  /// generator's weights, with its warm-up; one saved without an update count (before the warm-up
  /// existed) continues with its constant decay.
  public func restore(from checkpoint: Checkpoint) throws {
    if options.architecture == .custom {
      try RunCheckpoint.requireSameNetworks(GANConfiguration.self, in: checkpoint, key: GAN.configurationKey, model: "GAN") {
        $0.firstDifference(from: configuration)
      }
    }
    let noise = try checkpoint.randomGenerator(named: "rng.noise")
    let dropouts = try model.randomStateLayers.map {
      ($0.layer, try checkpoint.randomGenerator(named: "rng.\($0.name)"))
    }
    let storedAverage = generatorAverage.flatMap { average in
      checkpoint.names(withPrefix: Self.averagePrefix).isEmpty ? nil : average.average
    }
    var averageUpdates = Self.warmedUp
    if storedAverage != nil, let text = checkpoint.metadata[Self.averageUpdatesKey] {
      guard let count = Int(text), count >= 0 else {
        throw GenerativeKitError.checkpoint(
          path: checkpoint.path ?? "checkpoint", tensor: nil,
          reason: "metadata '\(Self.averageUpdatesKey)' is \(text), not a count of updates")
      }
      averageUpdates = count
    }
    try checkpoint.restore(
      models: [("generator.", model.generator), ("discriminator.", model.discriminator)]
        + (storedAverage.map { [(Self.averagePrefix, $0)] } ?? []),
      optimizers: [("optimizer.generator.", trainer.generatorOptimizer),
                   ("optimizer.discriminator.", trainer.discriminatorOptimizer)])
    if storedAverage == nil { generatorAverage?.reset() } else { generatorAverage?.updateCount = averageUpdates }
    trainer.noiseGenerator = noise
    for (layer, state) in dropouts { layer.generator = state }
  }

  public func writeFiles(after report: EpochReport, log: RunLog, in directory: URL, progress: ProgressReporter) throws {
    let epoch = report.epoch
    let last = epoch == options.epochs
    if epoch % options.logEvery == 0 || last {
      progress.message("epoch \(epoch): D loss \(formatMetric(report.metrics["d_loss"] ?? .nan)), "
                       + "G loss \(formatMetric(report.metrics["g_loss"] ?? .nan))")
    }
    if epoch % options.sampleEvery == 0 || last {
      try writeSamples(to: directory.appendingPathComponent("samples")
        .appendingPathComponent(RunCheckpoint.fileName(epoch: epoch, extension: "png")))
    }
    var plot = LinePlot(title: "GAN losses (\(dataSetName))", xLabel: "epoch", yLabel: "loss")
    for (label, metric) in [("discriminator", "d_loss"), ("generator", "g_loss")] {
      let (x, y) = log.series(metric)
      plot.addSeries(label, x: x, y: y)
    }
    try plot.write(to: directory.appendingPathComponent("losses.svg"))
  }

  /// The GAN a checkpoint's `gan` metadata describes (``GANConfiguration``), with placeholder
  /// weights; the error names the file and what in the description cannot be built.
  static func storedModel(in checkpoint: Checkpoint) throws -> GAN {
    try RunCheckpoint.model(GANConfiguration.self, in: checkpoint, key: GAN.configurationKey, model: "GAN", build: GAN.init(configuration:))
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
}
