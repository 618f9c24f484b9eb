/// The figures of one GAN training step.
public struct GANStepMetrics: Sendable, Equatable {
  /// The discriminator's loss on the real batch plus its loss on the generated batch (with the
  /// report's objective L_D = BCE(D(x), 1) + BCE(D(G(z)), 0)).
  public var discriminatorLoss: Float
  /// The generator's loss (``AdversarialLoss/generatorLoss(fakeLogits:)``).
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
/// 2. D on the real batch, backward of D's loss on it (BCE(D(x), 1) in the report) into D's
///    gradients; the real batch's backward runs before the fakes' forward pass, because a layer
///    keeps only its last forward pass;
/// 3. D on the fakes, backward of D's loss on them (BCE(D(G(z)), 0)) into D's gradients;
/// 4. with D's gradients switched off, backward of the generator loss through D: D's input gradient
///    is handed to G's backward (darknet's `train_dcgan` hand-off);
/// 5. both optimizers step.
///
/// With ``updateOrder`` ``GANUpdateOrder/alternating`` (PyTorch's DCGAN example), D's optimizer
/// steps after 3, and step 4 scores the same fakes again with the updated D.
public final class GANTrainer: DataParallelTrainable {
  /// The networks trained; a conditional GAN's ``GAN/classCount`` makes every step take labels.
  public let model: GAN
  /// Updates the generator's parameters.
  public let generatorOptimizer: any Optimizer
  /// Updates the discriminator's parameters.
  public let discriminatorOptimizer: any Optimizer
  /// The objective: the discriminator's losses and the generator's (the report's BCE with the
  /// non-saturating generator loss by default; ``HingeLoss``, or a loss of your own).
  public var loss: any AdversarialLoss
  /// Whether D is updated before G's gradient is taken (``GANUpdateOrder/alternating``) or both
  /// together (``GANUpdateOrder/simultaneous``, the report's and the default).
  public var updateOrder = GANUpdateOrder.simultaneous
  /// When set, every trainable parameter of the discriminator is clipped to `[-c, c]` after each
  /// of its steps: the original WGAN's Lipschitz constraint for ``WassersteinLoss`` (c = 0.01 in
  /// Arjovsky et al. 2017). Nil (the default): no clipping.
  public var discriminatorWeightClip: Float?
  /// Draws the noise; part of the state a checkpoint saves.
  public var noiseGenerator: SeededGenerator
  /// In data-parallel training, averages both networks' gradients across processes before the
  /// optimizers step; nil for one process.
  public var gradientSynchronizer: (any GradientSynchronizer)?
  /// The noise of the next step instead of a draw (tests comparing a step with another framework's).
  var injectedNoise: Tensor?

  /// Noise `[N, noiseDimension]` (with a one-hot label for a conditional GAN) to images.
  public var generator: Sequential { model.generator }
  /// Images (with label planes for a conditional GAN) to logits `[N, 1]`.
  public var discriminator: Sequential { model.discriminator }
  /// `[noiseDimension]` noise per image.
  public var noiseDimension: Int { model.noiseDimension }
  /// The whole GAN (``DataParallelTrainable``).
  public var trainedModel: any Module { model }

  /// - Parameters:
  ///   - model: the generator and discriminator to train; their class count (if any) makes the
  ///     trainer conditional.
  ///   - generatorOptimizer: built over the generator's parameters.
  ///   - discriminatorOptimizer: built over the discriminator's parameters.
  ///   - loss: BCE for the discriminator and the non-saturating generator loss by default (the report's).
  ///   - seed: seeds ``noiseGenerator``.
  public init(
    model: GAN, generatorOptimizer: any Optimizer, discriminatorOptimizer: any Optimizer,
    loss: any AdversarialLoss = GANObjective(), seed: UInt64 = 0
  ) {
    self.model = model
    self.generatorOptimizer = generatorOptimizer
    self.discriminatorOptimizer = discriminatorOptimizer
    self.loss = loss
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
  /// A conditional GAN (``GAN/classCount`` set) takes the real images' `labels`, in `0..<classCount`;
  /// an unconditional one takes none.
  @discardableResult
  public func step(realImages: Tensor, labels: [Int]? = nil, shard: BatchShard? = nil) throws -> GANStepMetrics {
    let batch = realImages.shape.first ?? 0
    guard batch > 0 else {
      throw GenerativeKitError.invalidArgument("GANTrainer.step: empty batch \(realImages.shapeDescription)")
    }
    if let shard, shard.count != batch {
      throw GenerativeKitError.invalidArgument("GANTrainer.step: \(batch) real images for the shard \(shard)")
    }
    do {
      try model.conditionalDiscriminator.checkLabels(labels, rows: batch)
    } catch GenerativeKitError.invalidArgument(let message) {
      throw GenerativeKitError.invalidArgument("GANTrainer.step: real images' labels: \(message)")
    }
    model.train()
    model.zeroGradients()
    model.setShard(shard)

    let noise = try injectedNoise.take()
      ?? shard.map { try sampleNoise(count: $0.globalCount).rows(of: $0) } ?? sampleNoise(count: batch)
    // A conditional GAN's networks see the labels as one-hot columns beside the noise and label
    // planes beside the images (their gradient stops at the join).
    let (generator, discriminator) = (model.conditionalGenerator, model.conditionalDiscriminator)
    let fakeLabels = model.classCount.map { drawFakeLabels(classes: $0, batch: batch, shard: shard) }
    let fake = try generator.forward(noise, labels: fakeLabels)
    guard fake.shape == realImages.shape else {
      throw GenerativeKitError.shapeMismatch(
        context: "GANTrainer: real batch (the generator makes \(fake.shapeDescription))",
        expected: fake.shapeDescription, actual: realImages.shape)
    }

    let realLogits = try discriminator.forward(realImages, labels: labels)
    let realLoss = try loss.discriminatorLoss(realLogits: realLogits)
    try discriminator.backwardParametersOnly(realLoss.gradient)
    // The real batch's activations are done with: the fake batch's forward pass reuses their memory.
    model.discriminator.releaseBackwardState()

    let fakeLogits = try discriminator.forward(fake, labels: fakeLabels)
    let fakeLoss = try loss.discriminatorLoss(fakeLogits: fakeLogits)
    try discriminator.backwardParametersOnly(fakeLoss.gradient)

    let overlap = gradientSynchronizer.map { GradientOverlap(synchronizer: $0, weight: shard?.fraction ?? 1) }
    var generatorLogits = fakeLogits
    if updateOrder == .alternating {
      // D steps first; G's gradient then comes through the updated D, scoring the same fakes again.
      try overlap?.start(discriminatorOptimizer.parameters)
      try overlap?.finish(discriminatorOptimizer.parameters)
      stepDiscriminator()
      generatorLogits = try discriminator.forward(fake, labels: fakeLabels)
    } else {
      // Data-parallel: the discriminator's gradients are final now and travel while the generator's
      // backward pass runs; each generator layer's leave as soon as its backward is done.
      try overlap?.start(discriminatorOptimizer.parameters)
    }
    let lossG = try loss.generatorLoss(fakeLogits: generatorLogits)
    model.discriminator.setRequiresGradient(false)
    defer { model.discriminator.setRequiresGradient(true) }
    let inputGradient = try discriminator.backward(lossG.gradient)
    if let overlap {
      try overlap.reportingLayers(of: model.generator) { try generator.backwardParametersOnly(inputGradient) }
    } else {
      try generator.backwardParametersOnly(inputGradient)
    }
    model.discriminator.releaseBackwardState()
    model.generator.releaseBackwardState()
    if updateOrder == .alternating {
      try overlap?.finish(generatorOptimizer.parameters)
    } else {
      try overlap?.finish(discriminatorOptimizer.parameters + generatorOptimizer.parameters)
      stepDiscriminator()
    }
    generatorOptimizer.step()
    return GANStepMetrics(
      discriminatorLoss: realLoss.value + fakeLoss.value, generatorLoss: lossG.value,
      realScore: meanSigmoid(realLogits), fakeScore: meanSigmoid(fakeLogits))
  }
}

extension GANTrainer {
  /// D's optimizer step, then the weight clipping, if any.
  fileprivate func stepDiscriminator() {
    discriminatorOptimizer.step()
    guard let clip = discriminatorWeightClip else { return }
    for parameter in model.discriminator.trainableParameters {
      parameter.value.withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] = min(max(values[i], -clip), clip) }
      }
    }
  }

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
