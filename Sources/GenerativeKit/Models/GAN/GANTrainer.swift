/// The figures of one GAN training step.
public struct GANStepMetrics: Sendable, Equatable {
  /// L_D = BCE(D(x), 1) + BCE(D(G(z)), 0).
  public var discriminatorLoss: Float
  /// The generator's loss (``GeneratorLoss``).
  public var generatorLoss: Float
  /// Mean D(x) = sigmoid(logit) on the real batch (1 = judged real).
  public var realScore: Float
  /// Mean D(G(z)) on the generated batch.
  public var fakeScore: Float

  /// Whether every figure is finite.
  public var isFinite: Bool {
    discriminatorLoss.isFinite && generatorLoss.isFinite && realScore.isFinite && fakeScore.isFinite
  }
}

/// Trains a generator and a discriminator against each other, one batch at a time, as the report's
/// TensorFlow loop does: both losses come from one pass of D over a real and a generated batch, and
/// each network is updated by its own Adam.
///
/// One ``step(realImages:labels:shard:)``:
/// 1. `z ~ N(0, I)`, `fake = G(z)`;
/// 2. D on the real batch, backward of BCE(D(x), 1) into D's gradients;
/// 3. D on the fakes, backward of BCE(D(G(z)), 0) into D's gradients;
/// 4. with D's gradients switched off, backward of the generator loss through D: D's input gradient
///    is handed to G's backward (darknet's `train_dcgan` hand-off);
/// 5. both optimizers step.
public final class GANTrainer {
  /// Noise `[N, noiseDimension]` to images.
  public let generator: any Layer
  /// Images to logits `[N, 1]`.
  public let discriminator: any Layer
  /// Updates the generator's parameters.
  public let generatorOptimizer: any Optimizer
  /// Updates the discriminator's parameters.
  public let discriminatorOptimizer: any Optimizer
  /// `[noiseDimension]` noise per image.
  public let noiseDimension: Int
  /// The generator's objective.
  public var generatorLoss: GeneratorLoss
  /// Draws the noise; part of the state a checkpoint saves.
  public var noiseGenerator: SeededGenerator
  /// In data-parallel training, averages both networks' gradients across processes before the
  /// optimizers step; nil for one process.
  public var gradientSynchronizer: (any GradientSynchronizer)?
  /// The noise of the next step instead of a draw (tests comparing a step with another framework's).
  var injectedNoise: Tensor?
  /// For a class-conditional GAN, the number of classes: the generator then takes the noise with
  /// a one-hot label appended (`[N, noiseDimension + classCount]`), the discriminator the images
  /// with one label plane per class appended (`[N, C + classCount, H, W]`), and every step needs
  /// the real images' labels (the fake images' labels are drawn uniformly). Nil: unconditional.
  public var classCount: Int?

  /// - Parameters:
  ///   - generator: noise `[N, noiseDimension]` to images scaled like the real batches.
  ///   - discriminator: images to logits `[N, 1]`.
  ///   - noiseDimension: the length of each noise vector.
  ///   - generatorOptimizer: built over the generator's parameters.
  ///   - discriminatorOptimizer: built over the discriminator's parameters.
  ///   - generatorLoss: non-saturating by default (the report's).
  ///   - seed: seeds ``noiseGenerator``.
  public init(
    generator: any Layer, discriminator: any Layer, noiseDimension: Int,
    generatorOptimizer: any Optimizer, discriminatorOptimizer: any Optimizer,
    generatorLoss: GeneratorLoss = .nonSaturating, seed: UInt64 = 0
  ) {
    self.generator = generator
    self.discriminator = discriminator
    self.noiseDimension = noiseDimension
    self.generatorOptimizer = generatorOptimizer
    self.discriminatorOptimizer = discriminatorOptimizer
    self.generatorLoss = generatorLoss
    self.noiseGenerator = SeededGenerator(seed: seed)
  }

  /// Noise `[count, noiseDimension]` from N(0, I), drawn from ``noiseGenerator``.
  public func sampleNoise(count: Int) -> Tensor {
    Tensor.randomNormal(shape: [count, noiseDimension], using: &noiseGenerator)
  }

  /// One training step on a real batch `[N, C, H, W]` (scaled like the generator's output).
  ///
  /// In data-parallel training `realImages` are this process's rows of the global batch, `shard`
  /// says which: the noise is drawn for the whole global batch and sliced, dropout masks and batch
  /// norm statistics are the global batch's (set ``BatchNorm/statisticsReducer`` on both networks),
  /// and ``gradientSynchronizer`` averages the gradients, so that every process ends the step with
  /// the weights one process would have after a step on the global batch. The returned figures are
  /// this process's rows'.
  ///
  /// A conditional GAN (``classCount`` set) takes the real images' `labels`, in `0..<classCount`.
  @discardableResult
  public func step(realImages: Tensor, labels: [Int]? = nil, shard: BatchShard? = nil) throws -> GANStepMetrics {
    let batch = realImages.shape.first ?? 0
    guard batch > 0 else {
      throw GenerativeKitError.invalidArgument("GANTrainer.step: empty batch \(realImages.shapeDescription)")
    }
    if let shard, shard.count != batch {
      throw GenerativeKitError.invalidArgument("GANTrainer.step: \(batch) real images for the shard \(shard)")
    }
    if let classes = classCount {
      guard let labels, labels.count == batch else {
        throw GenerativeKitError.invalidArgument(
          "GANTrainer.step: a conditional GAN needs one label per real image, got \(labels.map { "\($0.count)" } ?? "none") for \(batch)")
      }
      if let wrong = labels.first(where: { !(0..<classes).contains($0) }) {
        throw GenerativeKitError.invalidArgument("GANTrainer.step: label \(wrong) is not one of the \(classes) classes")
      }
    }
    generator.train()
    discriminator.train()
    generator.zeroGradients()
    discriminator.zeroGradients()
    generator.setShard(shard)
    discriminator.setShard(shard)

    let noise = try injectedNoise.take()
      ?? shard.map { try sampleNoise(count: $0.globalCount).rows(of: $0) } ?? sampleNoise(count: batch)
    let conditioning = try classCount.map {
      try Conditioning(classes: $0, realLabels: labels ?? [], batch: batch, shard: shard, trainer: self)
    }
    let fake = try generator.forward(conditioning?.generatorInput(noise) ?? noise)
    guard fake.shape == realImages.shape else {
      throw GenerativeKitError.shapeMismatch(
        context: "GANTrainer: real batch (the generator makes \(fake.shapeDescription))",
        expected: fake.shapeDescription, actual: realImages.shape)
    }

    let realLogits = try discriminator.forward(conditioning?.discriminatorInput(realImages, fake: false) ?? realImages)
    let realLoss = try binaryCrossEntropy(logits: realLogits, target: 1)
    try discriminator.backwardParametersOnly(realLoss.gradient)
    // The real batch's activations are done with: the fake batch's forward pass reuses their memory.
    discriminator.releaseBackwardState()

    let fakeLogits = try discriminator.forward(conditioning?.discriminatorInput(fake, fake: true) ?? fake)
    let fakeLoss = try binaryCrossEntropy(logits: fakeLogits, target: 0)
    try discriminator.backwardParametersOnly(fakeLoss.gradient)

    let lossG = try generatorLoss.evaluate(fakeLogits: fakeLogits)
    discriminator.setRequiresGradient(false)
    defer { discriminator.setRequiresGradient(true) }
    var fakeGradient = try discriminator.backward(lossG.gradient)
    if let classes = classCount {
      // The label planes are inputs, not outputs of the generator: their gradient stops here.
      fakeGradient = try fakeGradient.split(sizes: [fake.shape[1], classes], axis: 1)[0]
    }
    try generator.backwardParametersOnly(fakeGradient)
    discriminator.releaseBackwardState()
    generator.releaseBackwardState()

    if let gradientSynchronizer {
      // One call for both networks: fewer, larger messages.
      try gradientSynchronizer.synchronize(
        discriminatorOptimizer.parameters + generatorOptimizer.parameters, weight: shard?.fraction ?? 1)
    }
    discriminatorOptimizer.step()
    generatorOptimizer.step()
    return GANStepMetrics(
      discriminatorLoss: realLoss.value + fakeLoss.value, generatorLoss: lossG.value,
      realScore: meanSigmoid(realLogits), fakeScore: meanSigmoid(fakeLogits))
  }
}

/// The labels of one conditional step and the inputs they make.
private struct Conditioning {
  let classes: Int
  let realLabels: [Int]
  let fakeLabels: [Int]

  /// Draws the fake images' labels uniformly for the whole global batch (after its noise) and
  /// keeps this process's rows.
  init(classes: Int, realLabels: [Int], batch: Int, shard: BatchShard?, trainer: GANTrainer) throws {
    self.classes = classes
    self.realLabels = realLabels
    let drawn = (0..<(shard?.globalCount ?? batch)).map { _ in Int(trainer.noiseGenerator.next() % UInt64(classes)) }
    fakeLabels = shard.map { Array(drawn[$0.rows]) } ?? drawn
  }

  /// The noise `[N, D]` with the fake labels one-hot: `[N, D + classes]`.
  func generatorInput(_ noise: Tensor) throws -> Tensor {
    try Tensor.concatenate([noise, Tensor.oneHot(fakeLabels, classes: classes)], axis: 1)
  }

  /// Images `[N, C, H, W]` with their labels' planes: `[N, C + classes, H, W]`.
  func discriminatorInput(_ images: Tensor, fake: Bool) throws -> Tensor {
    guard images.rank == 4 else {
      throw GenerativeKitError.shapeMismatch(
        context: "GANTrainer (conditional): images", expected: "[N, C, H, W]", actual: images.shape)
    }
    let planes = try Tensor.labelPlanes(
      fake ? fakeLabels : realLabels, classes: classes, height: images.shape[2], width: images.shape[3])
    return try Tensor.concatenate([images, planes], axis: 1)
  }
}

/// The mean of `sigmoid` over a tensor of logits.
func meanSigmoid(_ logits: Tensor) -> Float {
  logits.withUnsafeBufferPointer { values in
    values.isEmpty ? 0 : values.reduce(0) { $0 + stableSigmoid($1) } / Float(values.count)
  }
}

extension GANStepMetrics {
  /// The figures as ordered metrics for logs and plots.
  public var metrics: TrainingFigures {
    TrainingFigures(["d_loss": discriminatorLoss, "g_loss": generatorLoss, "d_real": realScore, "d_fake": fakeScore])
  }
}
