/// A variational autoencoder: an encoder to the mean and log-variance of q(z | x), and a decoder
/// from a latent code to per-pixel logits (Kingma & Welling 2014).
///
/// - Encoder: images `[N, C, H, W]` -> `[N, 2 * latentDimension]`, the first half the means, the
///   second half `log sigma^2`.
/// - Decoder: codes `[N, latentDimension]` -> logits `[N, C, H, W]`; ``decode(_:)`` applies the
///   sigmoid, so images come out in [0, 1]. The sigmoid is not a layer of the decoder, so the
///   Bernoulli loss can use the numerically stable logit form; a PyTorch port appends `nn.Sigmoid()`.
///
/// Parameters are named `encoder.<i>.<name>` and `decoder.<i>.<name>`.
public final class VAE: Model {
  /// Images `[N, C, H, W]` to `[N, 2 * latentDimension]`: means, then log-variances.
  public let encoder: Sequential
  /// Codes `[N, latentDimension]` to logits `[N, C, H, W]`.
  public let decoder: Sequential
  /// The length of a latent code.
  public let latentDimension: Int
  /// Log-variances are clamped to this range before use, so `exp` can neither overflow nor
  /// underflow to a zero variance; outside it the log-variance gradient is zero.
  public var logVarianceRange: ClosedRange<Float> = -30...20

  public var isTraining: Bool {
    get { encoder.isTraining }
    set {
      encoder.isTraining = newValue
      decoder.isTraining = newValue
    }
  }

  /// A VAE from its two networks; `latentDimension` must match their shapes.
  public init(encoder: Sequential, decoder: Sequential, latentDimension: Int) {
    enforce(latentDimension > 0, "VAE: latentDimension must be positive, got \(latentDimension)")
    self.encoder = encoder
    self.decoder = decoder
    self.latentDimension = latentDimension
  }

  public var namedParameters: [NamedParameter] {
    encoder.namedParameters.map { NamedParameter("encoder.\($0.name)", $0.parameter) }
      + decoder.namedParameters.map { NamedParameter("decoder.\($0.name)", $0.parameter) }
  }

  /// The posterior parameters for a batch: means and clamped log-variances, each `[N, latent]`.
  public func encode(_ images: Tensor) throws -> (mean: Tensor, logVariance: Tensor) {
    let statistics = try encoder.forward(images)
    try statistics.checkShape([nil, 2 * latentDimension], context: "VAE encoder output (latent \(latentDimension))")
    let (mean, logVariance) = splitColumns(statistics, at: latentDimension)
    let range = logVarianceRange
    return (mean, logVariance.map { min(max($0, range.lowerBound), range.upperBound) })
  }

  /// Images in [0, 1] for latent codes `[N, latent]`.
  public func decode(_ codes: Tensor) throws -> Tensor {
    try codes.checkShape([nil, latentDimension], context: "VAE.decode (latent \(latentDimension))")
    return try decoder.forward(codes).map(stableSigmoid)
  }

  /// Reconstructions in [0, 1] from the posterior means (no sampling noise), in inference mode.
  public func reconstruct(_ images: Tensor) throws -> Tensor {
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    return try decode(try encode(images).mean)
  }

  /// `count` samples from the prior N(0, I), decoded to images in [0, 1] in inference mode,
  /// `batchSize` at a time so that memory stays bounded for large counts: `[count, C, H, W]`.
  public func sample(count: Int, using generator: inout SeededGenerator, batchSize: Int = 500) throws -> Tensor {
    guard count >= 1, batchSize >= 1 else {
      throw GenerativeKitError.invalidArgument(
        "VAE.sample: count and batchSize must be at least 1, got \(count) and \(batchSize)")
    }
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    var parts: [Tensor] = []
    for start in stride(from: 0, to: count, by: batchSize) {
      parts.append(try decode(Tensor.randomNormal(shape: [min(batchSize, count - start), latentDimension], using: &generator)))
    }
    return parts.count == 1 ? parts[0] : Tensor.concatenate(batches: parts)
  }
}

/// Splits `[N, 2k]` into its first and last `k` columns.
func splitColumns(_ matrix: Tensor, at k: Int) -> (Tensor, Tensor) {
  let rows = matrix.shape[0]
  let width = matrix.shape[1]
  let left = Tensor(uninitializedShape: [rows, k])
  let right = Tensor(uninitializedShape: [rows, width - k])
  let source = matrix.pointer
  for row in 0..<rows {
    (left.storage.pointer + row * k).update(from: source + row * width, count: k)
    (right.storage.pointer + row * (width - k)).update(from: source + row * width + k, count: width - k)
  }
  return (left, right)
}

/// Joins `[N, a]` and `[N, b]` side by side into `[N, a + b]`.
func joinColumns(_ left: Tensor, _ right: Tensor) -> Tensor {
  let rows = left.shape[0]
  let (a, b) = (left.shape[1], right.shape[1])
  let joined = Tensor(uninitializedShape: [rows, a + b])
  for row in 0..<rows {
    (joined.storage.pointer + row * (a + b)).update(from: left.pointer + row * a, count: a)
    (joined.storage.pointer + row * (a + b) + a).update(from: right.pointer + row * b, count: b)
  }
  return joined
}
