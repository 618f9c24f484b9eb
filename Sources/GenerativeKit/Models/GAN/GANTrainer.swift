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
    // A conditional GAN's networks see the labels through `Conditional` wrappers: one-hot columns
    // beside the noise, label planes beside the images (their gradient stops at the join).
    let (generator, discriminator) = classCount.map {
      (Conditional(classes: $0, body: self.generator) as any Layer, Conditional(classes: $0, body: self.discriminator) as any Layer)
    } ?? (self.generator, self.discriminator)
    let fakeLabels = classCount.map { drawFakeLabels(classes: $0, batch: batch, shard: shard) } ?? []
    (generator as? Conditional)?.labels = fakeLabels
    let fake = try generator.forward(noise)
    guard fake.shape == realImages.shape else {
      throw GenerativeKitError.shapeMismatch(
        context: "GANTrainer: real batch (the generator makes \(fake.shapeDescription))",
        expected: fake.shapeDescription, actual: realImages.shape)
    }

    (discriminator as? Conditional)?.labels = labels ?? []
    let realLogits = try discriminator.forward(realImages)
    let realLoss = try binaryCrossEntropy(logits: realLogits, target: 1)
    try discriminator.backwardParametersOnly(realLoss.gradient)
    // The real batch's activations are done with: the fake batch's forward pass reuses their memory.
    discriminator.releaseBackwardState()

    (discriminator as? Conditional)?.labels = fakeLabels
    let fakeLogits = try discriminator.forward(fake)
    let fakeLoss = try binaryCrossEntropy(logits: fakeLogits, target: 0)
    try discriminator.backwardParametersOnly(fakeLoss.gradient)

    let lossG = try generatorLoss.evaluate(fakeLogits: fakeLogits)
    // Data-parallel: the discriminator's gradients are final now and travel while the generator's
    // backward pass runs; each generator layer's leave as soon as its backward is done.
    let overlap = gradientSynchronizer.map { GradientOverlap(synchronizer: $0, weight: shard?.fraction ?? 1) }
    try overlap?.start(discriminatorOptimizer.parameters)
    discriminator.setRequiresGradient(false)
    defer { discriminator.setRequiresGradient(true) }
    let inputGradient = try discriminator.backward(lossG.gradient)
    if let overlap {
      try overlap.reportingLayers(of: self.generator) { try generator.backwardParametersOnly(inputGradient) }
    } else {
      try generator.backwardParametersOnly(inputGradient)
    }
    discriminator.releaseBackwardState()
    generator.releaseBackwardState()
    try overlap?.finish(discriminatorOptimizer.parameters + generatorOptimizer.parameters)
    discriminatorOptimizer.step()
    generatorOptimizer.step()
    return GANStepMetrics(
      discriminatorLoss: realLoss.value + fakeLoss.value, generatorLoss: lossG.value,
      realScore: meanSigmoid(realLogits), fakeScore: meanSigmoid(fakeLogits))
  }
}

extension GANTrainer {
  /// The fake images' labels of a conditional step, drawn uniformly for the whole global batch
  /// (after its noise, from the same generator); this process's rows.
  fileprivate func drawFakeLabels(classes: Int, batch: Int, shard: BatchShard?) -> [Int] {
    let drawn = (0..<(shard?.globalCount ?? batch)).map { _ in Int(noiseGenerator.next() % UInt64(classes)) }
    return shard.map { Array(drawn[$0.rows]) } ?? drawn
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
