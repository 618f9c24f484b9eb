import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics

/// A complete VAE training run: the report's convolutional VAE (for any image size with sides
/// that are multiples of 4), its Adam optimizer, the data, and everything written into the run's
/// folder; an ``Experiment`` of a ``VAERecipe``.
///
/// Folder layout: `checkpoints/` (`latest.safetensors` every epoch, `epoch-NNNN.safetensors`
/// every `saveEvery`), `samples/epoch-NNNN.png` (decoded prior samples) and
/// `reconstructions/epoch-NNNN.png` (test images above their reconstructions) every `sampleEvery`
/// epochs and after the last, `losses.svg`, `log.jsonl`, `log.csv`. When a test set is given its
/// loss is measured after every epoch (`test_loss`, `test_reconstruction`, `test_kl`).
public typealias VAEExperiment = Experiment<VAERecipe>

extension Experiment where Recipe == VAERecipe {
  /// Builds the VAE for `options` and checks that the data (and the test set) fit it.
  public convenience init(options: VAEOptions, dataSet: ImageDataSet, testSet: ImageDataSet? = nil, outputDirectory: URL) throws {
    self.init(recipe: try VAERecipe(options: options, dataSet: dataSet, testSet: testSet), dataSet: dataSet,
              outputDirectory: outputDirectory)
  }

  /// The loss on the whole test set (see ``VAERecipe/testMetrics()``).
  public func testMetrics() throws -> VAEStepMetrics? { try recipe.testMetrics() }

  /// Decoded prior samples from the fixed codes (see ``VAERecipe/samples()``).
  public func samples() throws -> Tensor { try recipe.samples() }

  /// Writes a grid of the fixed-code samples.
  public func writeSamples(to url: URL) throws { try recipe.writeSamples(to: url) }

  /// Writes test images above their reconstructions.
  public func writeReconstructions(to url: URL) throws { try recipe.writeReconstructions(to: url) }

  /// The VAE saved in a checkpoint of a VAE experiment, in inference mode, with the run's options:
  /// built from the options, or for ``VAEArchitecture/custom`` from the checkpoint's description
  /// of its networks.
  ///
  /// - Throws: `GenerativeKitError.file` for a checkpoint of another kind or a description that
  ///   cannot be built, and the errors of `Checkpoint.restore(model:prefix:strict:)` for tensors that do not fit.
  public static func loadModel(from checkpoint: Checkpoint) throws -> (model: VAE, options: VAEOptions) {
    guard checkpoint.metadata["format"] == VAERecipe.format else {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint",
        reason: "not a VAE checkpoint (metadata 'format' is \(checkpoint.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(VAERecipe.format)')")
    }
    let options = try checkpoint.configuration(VAEOptions.self)
    let model = options.architecture == .custom ? try VAERecipe.storedModel(in: checkpoint) : try options.makeModel()
    try checkpoint.restore(model: model, strict: false)  // the file also holds optimizer moments
    model.isTraining = false
    return (model, options)
  }
}

/// How a VAE trains in an ``Experiment``: `VAETrainer` with Keras's Adam, optional dynamic
/// binarization of every global batch, the test loss after every epoch, and grids of prior
/// samples and reconstructions every `sampleEvery` epochs.
public final class VAERecipe: ExperimentRecipe {
  public let options: VAEOptions
  /// The images reconstructions are drawn from when there is no test set, and the name in titles.
  public let dataSet: ImageDataSet
  /// The test images, measured after every epoch; nil for none.
  public let testSet: ImageDataSet?
  /// The encoder and decoder.
  public let model: VAE
  /// Trains ``model``.
  public let trainer: VAETrainer
  /// The prior samples behind every sample grid of a run.
  public let fixedCodes: Tensor
  /// The `format` metadata of this recipe's checkpoints.
  public static let format = "generativekit-vae"
  /// The networks' structure, stored in every checkpoint under `VAE.configurationKey`.
  private let configuration: VAEConfiguration
  /// Draws the binary training pixels under ``VAEOptions/dynamicBinarization``; saved in checkpoints.
  private var binarizer: SeededGenerator
  /// The test set as the test figures see it: binarized once, with a fixed seed, when training is.
  private let measuredTestSet: ImageDataSet?

  /// Builds the VAE for `options` and checks that `dataSet` and `testSet` fit it.
  public convenience init(options: VAEOptions, dataSet: ImageDataSet, testSet: ImageDataSet? = nil) throws {
    try options.check()
    try self.init(options: options, model: options.makeModel(), dataSet: dataSet, testSet: testSet)
  }

  /// Trains `model`: networks of your own when `options.architecture` is
  /// ``VAEArchitecture/custom`` (their layers must conform to `ConfigurableLayer`, so that
  /// checkpoints describe them), with the rest of the recipe from `options`.
  ///
  /// - Throws: when the model's latent or class count differs from the options', when the
  ///   networks' shapes do not fit the data, or when a layer cannot describe itself.
  public init(options: VAEOptions, model: VAE, dataSet: ImageDataSet, testSet: ImageDataSet? = nil) throws {
    try options.check()
    let imageShape = [options.channels, options.imageHeight, options.imageWidth]
    guard model.latentDimension == options.latentDimension, model.classCount == options.classes else {
      throw GenerativeKitError.invalidArgument(
        "VAE: the model has latent \(model.latentDimension) and classes \(model.classCount.map(String.init) ?? "none"), "
          + "the options say latent \(options.latentDimension) and classes \(options.classes.map(String.init) ?? "none")")
    }
    let labelInputs = options.classes ?? 0
    let encoded = try model.encoder.outputShape(forInputShape: [1, options.channels + labelInputs, options.imageHeight, options.imageWidth])
    let decoded = try model.decoder.outputShape(forInputShape: [1, options.latentDimension + labelInputs])
    guard encoded == [1, 2 * options.latentDimension], decoded == [1] + imageShape else {
      throw GenerativeKitError.invalidArgument(
        "VAE: the encoder makes \(Tensor.describe(shape: Array(encoded.dropFirst()))) (expected [\(2 * options.latentDimension)]: means, "
          + "then log-variances) and the decoder \(Tensor.describe(shape: Array(decoded.dropFirst()))) (expected the images' \(Tensor.describe(shape: imageShape)))")
    }
    configuration = try model.configuration()
    for set in [dataSet] + (testSet.map { [$0] } ?? []) {
      let expected = [options.channels, options.imageHeight, options.imageWidth]
      guard set.imageShape == expected else {
        throw GenerativeKitError.invalidArgument(
          "VAE: the model is set up for \(Tensor.describe(shape: expected)) images, \(set.name) has \(Tensor.describe(shape: set.imageShape))")
      }
      guard options.architecture == .custom || (options.imageHeight % 4 == 0 && options.imageWidth % 4 == 0) else {
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
    self.model = model
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

  public var outputFolders: [String] { ["samples", "reconstructions"] }
  public var dataParallelTrainer: any DataParallelTrainable { trainer }

  /// Every process draws the same binary pixels for the whole global batch, then takes its rows.
  public func prepareGlobalBatch(_ batch: DataBatch) throws -> DataBatch {
    guard options.dynamicBinarization == true else { return batch }
    return (images: dynamicallyBinarized(batch.images, using: &binarizer), labels: batch.labels)
  }

  public func trainStep(on batch: DataBatch, shard: BatchShard?) throws -> TrainingFigures {
    try trainer.step(images: batch.images, labels: options.classes == nil ? nil : batch.labels, shard: shard).metrics
  }

  /// Adds the test figures (`test_loss`, `test_reconstruction`, `test_kl`) when there is a test set.
  public func finishEpoch(_ report: inout EpochReport, progress: ProgressReporter) throws {
    guard let test = try testMetrics() else { return }
    for (name, value) in test.metrics { report.metrics["test_" + name] = value }
    progress.message("epoch \(report.epoch): test loss \(formatMetric(test.loss)) (reconstruction "
                     + "\(formatMetric(test.reconstruction)), KL \(formatMetric(test.kl)))")
  }

  /// The VAE's weights (unprefixed), the optimizer, and the noise and binarization generators.
  public func save(into checkpoint: inout Checkpoint) throws {
    try checkpoint.setConfiguration(configuration, forKey: VAE.configurationKey)
    checkpoint.add(model: model)
    checkpoint.add(optimizer: trainer.optimizer, prefix: "optimizer.")
    checkpoint.setRandomGenerator(trainer.noiseGenerator, named: "rng.noise")
    if options.dynamicBinarization == true { checkpoint.setRandomGenerator(binarizer, named: "rng.binarize") }
  }

  public func restore(from checkpoint: Checkpoint) throws {
    if options.architecture == .custom {
      try RunCheckpoint.requireSameNetworks(VAEConfiguration.self, in: checkpoint, key: VAE.configurationKey, model: "VAE") {
        $0.firstDifference(from: configuration)
      }
    }
    let noise = try checkpoint.randomGenerator(named: "rng.noise")
    let binarization = options.dynamicBinarization == true ? try checkpoint.randomGenerator(named: "rng.binarize") : nil
    // The model's tensors have no prefix, so the strict check is done here: besides them, only
    // the optimizer's state and the random generators belong in the file.
    let modelNames = Set(model.namedParameters.map(\.name))
    if let extra = checkpoint.names.first(where: { !modelNames.contains($0) && !$0.hasPrefix("optimizer.") && !$0.hasPrefix("rng.") }) {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint",
        reason: "tensor '\(extra)' is not a parameter or buffer of the VAE, nor optimizer or random state")
    }
    try checkpoint.restore(models: [("", model)], optimizers: [("optimizer.", trainer.optimizer)], strict: false)
    trainer.noiseGenerator = noise
    if let binarization { binarizer = binarization }
  }

  /// The VAE a checkpoint's `vae` metadata describes (``VAEConfiguration``), with placeholder
  /// weights; the error names the file and what in the description cannot be built.
  static func storedModel(in checkpoint: Checkpoint) throws -> VAE {
    try RunCheckpoint.model(VAEConfiguration.self, in: checkpoint, key: VAE.configurationKey, model: "VAE", build: VAE.init(configuration:))
  }

  public func writeFiles(after report: EpochReport, log: RunLog, in directory: URL, progress: ProgressReporter) throws {
    let epoch = report.epoch
    if epoch % options.sampleEvery == 0 || epoch == options.epochs {
      let name = RunCheckpoint.fileName(epoch: epoch, extension: "png")
      try writeSamples(to: directory.appendingPathComponent("samples").appendingPathComponent(name))
      try writeReconstructions(to: directory.appendingPathComponent("reconstructions").appendingPathComponent(name))
    }
    var plot = LinePlot(title: "VAE losses (\(dataSet.name))", xLabel: "epoch", yLabel: "loss per image")
    for (label, metric) in [("train loss", "loss"), ("train reconstruction", "reconstruction"), ("train KL", "kl"),
                            ("test loss", "test_loss")] {
      let (x, y) = log.series(metric)
      if !x.isEmpty { plot.addSeries(label, x: x, y: y) }
    }
    try plot.write(to: directory.appendingPathComponent("losses.svg"))
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
