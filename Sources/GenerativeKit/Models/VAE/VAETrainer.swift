/// The VAE's reconstruction term, summed over pixels and averaged over the batch.
public enum ReconstructionLoss: String, Sendable, CaseIterable, Codable {
  /// `sum (sigmoid(logits) - x)^2`: the report's choice.
  case meanSquaredError = "mse"
  /// `-sum [x log p + (1 - x) log(1 - p)]` with `p = sigmoid(logits)`: the Bernoulli negative
  /// log-likelihood, comparable with published MNIST likelihoods.
  case bernoulli

  /// The loss for decoder logits against targets in [0, 1], and its gradient with respect to the logits.
  public func evaluate(logits: Tensor, targets: Tensor) throws -> LossResult {
    try evaluate(logits: logits, targets: targets, gradientInto: Tensor(uninitializedShape: logits.shape))
  }

  /// As ``evaluate(logits:targets:)``, writing the gradient into `gradient` (same shape, not shared):
  /// one fused pass, no temporaries.
  func evaluate(logits: Tensor, targets: Tensor, gradientInto gradient: Tensor) throws -> LossResult {
    try checkSameShape(logits, targets, loss: "VAE reconstruction (\(rawValue))")
    let batch = Float(max(1, logits.shape.first ?? 1))
    let (l, t, g) = (logits.pointer, targets.pointer, gradient.storage.pointer)
    var total = 0.0
    switch self {
    case .bernoulli:
      for i in 0..<logits.count {
        total += Double(max(l[i], 0) - l[i] * t[i] + log1pf(expf(-abs(l[i]))))
        g[i] = (stableSigmoid(l[i]) - t[i]) / batch
      }
    case .meanSquaredError:
      for i in 0..<logits.count {
        let p = stableSigmoid(l[i])
        let d = p - t[i]
        total += Double(d * d)
        // Chain through the sigmoid: d/dlogit = 2 (p - t) * p (1 - p).
        g[i] = 2 * d * p * (1 - p) / batch
      }
    }
    return LossResult(value: Float(total / Double(batch)), gradient: gradient)
  }
}

/// The figures of one VAE training step (per image, averaged over the batch).
public struct VAEStepMetrics: Sendable, Equatable {
  /// reconstruction + beta * KL.
  public var loss: Float
  /// The reconstruction term (negative log-likelihood per image, up to a constant).
  public var reconstruction: Float
  /// KL(q(z | x) || N(0, I)) per image.
  public var kl: Float

  /// Whether every figure is a finite number (a run stops when not).
  public var isFinite: Bool { loss.isFinite && reconstruction.isFinite && kl.isFinite }

  /// Figures as given.
  public init(loss: Float, reconstruction: Float, kl: Float) {
    self.loss = loss
    self.reconstruction = reconstruction
    self.kl = kl
  }
}

/// Trains a ``VAE`` by gradient descent on the negative ELBO, `reconstruction + beta * KL`, with
/// the reparameterisation `z = mu + sigma * eps`, `eps ~ N(0, I)`, so gradients reach the encoder
/// through both the mean and the log-variance.
public final class VAETrainer: DataParallelTrainable {
  /// The model trained.
  public let model: VAE
  /// The VAE (``DataParallelTrainable``).
  public var trainedModel: any Module { model }
  /// Updates the model's parameters.
  public let optimizer: any Optimizer
  /// How reconstructions are scored.
  public var reconstructionLoss: ReconstructionLoss
  /// The KL weight (1 for the ELBO; the beta-VAE uses other values).
  public var beta: Float
  /// Draws `eps`; part of the state a checkpoint saves.
  public var noiseGenerator: SeededGenerator
  /// In data-parallel training, averages the gradients across processes before the optimizer
  /// steps; nil for one process.
  public var gradientSynchronizer: (any GradientSynchronizer)?
  /// The `eps` of the next step instead of a draw (tests comparing a step with another framework's).
  var injectedEpsilon: Tensor?
  private let logitGradients = TensorPool()

  /// - Parameters:
  ///   - model: the VAE to train.
  ///   - optimizer: built over the model's parameters.
  ///   - reconstructionLoss: MSE by default (the report's).
  ///   - beta: the KL weight.
  ///   - seed: seeds ``noiseGenerator``.
  public init(
    model: VAE, optimizer: any Optimizer, reconstructionLoss: ReconstructionLoss = .meanSquaredError,
    beta: Float = 1, seed: UInt64 = 0
  ) {
    self.model = model
    self.optimizer = optimizer
    self.reconstructionLoss = reconstructionLoss
    self.beta = beta
    self.noiseGenerator = SeededGenerator(seed: seed)
  }

  /// One step on a batch `[N, C, H, W]` with pixels in [0, 1] (and, for a conditional VAE, each
  /// image's label).
  ///
  /// In data-parallel training `images` are this process's rows of the global batch and `shard`
  /// says which: `eps` is drawn for the global batch and sliced, and with the batch statistics
  /// reduced and ``gradientSynchronizer`` set the step equals one process's on the global batch
  /// (see ``GANTrainer/step(realImages:labels:shard:)``). The figures are this process's rows'.
  @discardableResult
  public func step(images: Tensor, labels: [Int]? = nil, shard: BatchShard? = nil) throws -> VAEStepMetrics {
    if let shard, images.shape.first != shard.count {
      throw GenerativeKitError.invalidArgument("VAETrainer.step: images \(images.shapeDescription) for the shard \(shard)")
    }
    model.train()
    model.zeroGradients()
    model.setShard(shard)
    let metrics = try lossAndBackward(images: images, labels: labels, shard: shard)
    try gradientSynchronizer?.synchronize(optimizer.parameters, weight: shard?.fraction ?? 1)
    optimizer.step()
    return metrics
  }

  /// Forward and backward on a batch (gradients accumulate in the model), without an update.
  func lossAndBackward(images: Tensor, labels: [Int]? = nil, shard: BatchShard? = nil) throws -> VAEStepMetrics {
    let (encoder, decoder) = (model.conditionalEncoder, model.conditionalDecoder)
    let statistics = try encoder.forward(images, labels: labels)
    try statistics.checkShape([nil, 2 * model.latentDimension], context: "VAE encoder output (latent \(model.latentDimension))")
    let (mean, rawLogVariance) = splitColumns(statistics, at: model.latentDimension)
    let range = model.logVarianceRange
    let logVariance = rawLogVariance.map { min(max($0, range.lowerBound), range.upperBound) }
    let epsilon = try injectedEpsilon.take() ?? shard.map {
      try Tensor.randomNormal(shape: [$0.globalCount, model.latentDimension], using: &noiseGenerator).rows(of: $0)
    } ?? Tensor.randomNormal(shape: mean.shape, using: &noiseGenerator)
    let sigma = logVariance.map { expf(0.5 * $0) }
    let codes = mean + sigma * epsilon

    let logits = try decoder.forward(codes, labels: labels)
    guard logits.shape == images.shape else {
      throw GenerativeKitError.shapeMismatch(
        context: "VAETrainer: images (the decoder makes \(logits.shapeDescription))",
        expected: logits.shapeDescription, actual: images.shape)
    }
    let reconstruction = try reconstructionLoss.evaluate(
      logits: logits, targets: images, gradientInto: logitGradients.make(logits.shape))
    let kl = try gaussianKLDivergence(mean: mean, logVariance: logVariance)
    let codeGradient = try decoder.backward(reconstruction.gradient)

    // dz/dmu = 1; dz/dlogvar = eps * sigma / 2, zero where the clamp was active.
    let beta = self.beta
    let meanGradient = codeGradient.zipWith(kl.meanGradient) { g, k in g + beta * k }
    var logVarianceGradient = codeGradient * epsilon * sigma * 0.5
    logVarianceGradient = logVarianceGradient.zipWith(kl.logVarianceGradient) { g, k in g + beta * k }
    logVarianceGradient = logVarianceGradient.zipWith(rawLogVariance) { g, raw in range.contains(raw) ? g : 0 }
    try encoder.backwardParametersOnly(joinColumns(meanGradient, logVarianceGradient))
    model.encoder.releaseBackwardState()
    model.decoder.releaseBackwardState()
    return VAEStepMetrics(loss: reconstruction.value + beta * kl.value, reconstruction: reconstruction.value, kl: kl.value)
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension VAEStepMetrics {
  /// The figures as ordered metrics for logs and plots.
  public var metrics: TrainingFigures { TrainingFigures(["loss": loss, "reconstruction": reconstruction, "kl": kl]) }
}

extension VAETrainer {
  /// The loss on a batch without training: encoder and decoder in inference mode, one posterior
  /// sample per image drawn from `generator` (pass a fixed seed for comparable figures).
  public func evaluate(images: Tensor, labels: [Int]? = nil, using generator: inout SeededGenerator) throws -> VAEStepMetrics {
    let wasTraining = model.isTraining
    defer { model.isTraining = wasTraining }
    model.isTraining = false
    let (mean, logVariance) = try model.encode(images, labels: labels)
    let epsilon = Tensor.randomNormal(shape: mean.shape, using: &generator)
    let codes = mean + logVariance.map { expf(0.5 * $0) } * epsilon
    let logits = try model.conditionalDecoder.forward(codes, labels: labels)
    let reconstruction = try reconstructionLoss.evaluate(logits: logits, targets: images)
    let kl = try gaussianKLDivergence(mean: mean, logVariance: logVariance)
    return VAEStepMetrics(loss: reconstruction.value + beta * kl.value, reconstruction: reconstruction.value, kl: kl.value)
  }
}
