/// A generative adversarial network: a generator from noise to images, a discriminator from images
/// to logits, and the noise distribution N(0, I) (Goodfellow et al. 2014; DCGAN's layout in
/// ``DCGAN``).
///
/// - Generator: noise `[N, noiseDimension]` -> images `[N, C, H, W]` in [-1, 1] (a tanh output);
///   ``generate(_:labels:statistics:)`` and ``sample(count:labels:using:batchSize:statistics:)`` map them to [0, 1].
/// - Discriminator: images `[N, C, H, W]` in [-1, 1] -> logits `[N, 1]` (no sigmoid layer, so the
///   losses can use the stable logit form).
///
/// Parameters are named `generator.<i>.<name>` and `discriminator.<i>.<name>`, as the experiments'
/// checkpoints store them. Train it with ``GANTrainer``.
public final class GAN: Model {
  /// Noise `[N, noiseDimension]` to images `[N, C, H, W]` in [-1, 1].
  public let generator: Sequential
  /// Images `[N, C, H, W]` to logits `[N, 1]`.
  public let discriminator: Sequential
  /// The length of each noise vector.
  public let noiseDimension: Int
  /// For a class-conditional GAN, the number of classes: the generator takes the noise with a
  /// one-hot label appended (`[N, noiseDimension + classCount]`), the discriminator the images
  /// with one label plane per class appended (`[N, C + classCount, H, W]`). Nil: unconditional.
  public let classCount: Int?

  /// The generator as it runs: with the labels joined to the noise for a conditional GAN.
  public var conditionalGenerator: Conditional { Conditional(classes: classCount, body: generator) }

  /// The discriminator as it runs: with label planes joined to the images for a conditional GAN.
  public var conditionalDiscriminator: Conditional { Conditional(classes: classCount, body: discriminator) }

  public var isTraining: Bool {
    get { generator.isTraining }
    set {
      generator.isTraining = newValue
      discriminator.isTraining = newValue
    }
  }

  /// - Parameters:
  ///   - generator: noise `[N, noiseDimension]` (with `classCount` one-hot columns appended for a
  ///     conditional GAN) to images in [-1, 1].
  ///   - discriminator: images (with `classCount` label planes appended) to logits `[N, 1]`.
  ///   - noiseDimension: the length of each noise vector.
  ///   - classCount: the classes of a conditional GAN; nil (the default) for an unconditional one.
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` when `noiseDimension` or `classCount` is
  ///   not positive.
  public init(generator: Sequential, discriminator: Sequential, noiseDimension: Int, classCount: Int? = nil) throws {
    guard noiseDimension > 0 else {
      throw GenerativeKitError.invalidArgument("GAN: noiseDimension must be positive, got \(noiseDimension)")
    }
    if let classCount, classCount < 1 {
      throw GenerativeKitError.invalidArgument("GAN: classCount must be positive, got \(classCount)")
    }
    self.generator = generator
    self.discriminator = discriminator
    self.noiseDimension = noiseDimension
    self.classCount = classCount
  }

  /// `generator` and `discriminator`.
  public var children: [(name: String, module: any Module)] {
    [("generator", generator), ("discriminator", discriminator)]
  }

  /// Images in [0, 1] for noise `[N, noiseDimension]`. A conditional GAN needs one label per noise
  /// vector (the class of each image).
  ///
  /// With `statistics` ``GenerationStatistics/running`` (the default) the generator runs in
  /// inference mode: batch norm uses its running statistics and each image depends on its own
  /// noise only. With ``GenerationStatistics/batch`` its batch norm layers normalise by the
  /// statistics of this batch of noise, as in training; their running statistics are left as
  /// they were. The generator's mode is restored afterwards either way.
  public func generate(_ noise: Tensor, labels: [Int]? = nil, statistics: GenerationStatistics = .running) throws -> Tensor {
    try noise.checkShape([nil, noiseDimension], context: "GAN.generate (noise \(noiseDimension))")
    if classCount != nil, labels?.count != noise.shape[0] {
      throw GenerativeKitError.invalidArgument(
        "GAN.generate: a conditional GAN needs one label per noise vector, got \(labels.map { "\($0.count)" } ?? "none") for \(noise.shape[0])")
    }
    let wasTraining = generator.isTraining
    generator.eval()
    let normalizations = statistics == .batch ? generator.modules.compactMap { $0 as? BatchNorm } : []
    let saved = normalizations.map { ($0.runningMean.value, $0.runningVariance.value) }
    for layer in normalizations { layer.isTraining = true }
    defer {
      for (layer, (mean, variance)) in zip(normalizations, saved) {
        layer.releaseBackwardState()
        layer.runningMean.value = mean
        layer.runningVariance.value = variance
      }
      if wasTraining { generator.train() }
    }
    return try conditionalGenerator.forward(noise, labels: labels).map { ($0 + 1) / 2 }
  }

  /// `count` images in [0, 1] from noise drawn with `generator`, in inference mode, `batchSize`
  /// at a time so that memory stays bounded for large counts: `[count, C, H, W]`.
  ///
  /// The noise of every batch is drawn in turn from the same stream, so the images depend on
  /// `batchSize` only through batch norm's (fixed) inference statistics: not at all.
  ///
  /// A conditional GAN draws image `i` of class `labels[i]` (`labels` has `count` entries); without
  /// labels it cycles through the classes (0, 1, ..., 0, 1, ...).
  ///
  /// With `statistics` ``GenerationStatistics/batch`` batch norm normalises each batch of
  /// `batchSize` images by its own statistics, so the images then depend on `batchSize` (use the
  /// training batch size).
  public func sample(
    count: Int, labels: [Int]? = nil, using generator: inout SeededGenerator, batchSize: Int = 500,
    statistics: GenerationStatistics = .running
  ) throws -> Tensor {
    try sampleInBatches(
      count: count, labels: labels, classCount: classCount, dimension: noiseDimension, batchSize: batchSize,
      function: "GAN.sample", using: &generator
    ) { noise, labels in try generate(noise, labels: labels, statistics: statistics) }
  }
}

/// The statistics a generator's batch norm layers normalise with when it generates images.
public enum GenerationStatistics: String, CaseIterable, Sendable {
  /// The running statistics gathered in training (inference mode, the TensorFlow tutorial's
  /// `training=False`): each image depends on its own noise only.
  case running
  /// The statistics of each batch of noise, as in training (PyTorch's DCGAN example samples this
  /// way): an image also depends on the other noise vectors of its batch.
  case batch
}
