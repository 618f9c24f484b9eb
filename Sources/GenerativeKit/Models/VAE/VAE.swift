/// A variational autoencoder: an encoder to the mean and log-variance of q(z | x), and a decoder
/// from a latent code to per-pixel logits (Kingma & Welling 2014).
///
/// - Encoder: images `[N, C, H, W]` -> `[N, 2 * latentDimension]`, the first half the means, the
///   second half `log sigma^2`.
/// - Decoder: codes `[N, latentDimension]` -> logits `[N, C, H, W]`; ``decode(_:labels:)`` applies the
///   sigmoid, so images come out in [0, 1]. The sigmoid is not a layer of the decoder, so the
///   Bernoulli loss can use the numerically stable logit form; a PyTorch port appends `nn.Sigmoid()`.
///
/// A class-conditional VAE (``classCount`` set) shows both networks the label: the encoder gets
/// label planes beside the images (`[N, C + classes, H, W]`), the decoder a one-hot label beside
/// the code (`[N, latent + classes]`), through ``conditionalEncoder`` and ``conditionalDecoder``;
/// every call then takes one label per image.
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
  /// For a class-conditional VAE, the number of classes; nil for an unconditional one.
  public let classCount: Int?

  public var isTraining: Bool {
    get { encoder.isTraining }
    set {
      encoder.isTraining = newValue
      decoder.isTraining = newValue
    }
  }

  /// A VAE from its two networks; `latentDimension` (and `classCount`, for a conditional VAE whose
  /// networks take the label columns and planes) must match their shapes.
  public init(encoder: Sequential, decoder: Sequential, latentDimension: Int, classCount: Int? = nil) {
    enforce(latentDimension > 0, "VAE: latentDimension must be positive, got \(latentDimension)")
    enforce(classCount.map { $0 >= 1 } ?? true, "VAE: classCount must be positive, got \(classCount ?? 0)")
    self.classCount = classCount
    self.encoder = encoder
    self.decoder = decoder
    self.latentDimension = latentDimension
  }

  /// `encoder` and `decoder`.
  public var children: [(name: String, module: any Module)] {
    [("encoder", encoder), ("decoder", decoder)]
  }

  /// The encoder as it runs: label planes joined to the images for a conditional VAE.
  public var conditionalEncoder: Conditional { Conditional(classes: classCount, body: encoder) }

  /// The decoder as it runs: a one-hot label joined to the code for a conditional VAE.
  public var conditionalDecoder: Conditional { Conditional(classes: classCount, body: decoder) }

  /// The posterior parameters for a batch: means and clamped log-variances, each `[N, latent]`.
  /// A conditional VAE needs each image's label.
  public func encode(_ images: Tensor, labels: [Int]? = nil) throws -> (mean: Tensor, logVariance: Tensor) {
    let statistics = try conditionalEncoder.forward(images, labels: labels)
    try statistics.checkShape([nil, 2 * latentDimension], context: "VAE encoder output (latent \(latentDimension))")
    let (mean, logVariance) = splitColumns(statistics, at: latentDimension)
    let range = logVarianceRange
    return (mean, logVariance.map { min(max($0, range.lowerBound), range.upperBound) })
  }

  /// Images in [0, 1] for latent codes `[N, latent]` (of classes `labels` for a conditional VAE).
  public func decode(_ codes: Tensor, labels: [Int]? = nil) throws -> Tensor {
    try codes.checkShape([nil, latentDimension], context: "VAE.decode (latent \(latentDimension))")
    return try conditionalDecoder.forward(codes, labels: labels).map(stableSigmoid)
  }

  /// Reconstructions in [0, 1] from the posterior means (no sampling noise), in inference mode.
  public func reconstruct(_ images: Tensor, labels: [Int]? = nil) throws -> Tensor {
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    return try decode(try encode(images, labels: labels).mean, labels: labels)
  }

  /// `count` samples from the prior N(0, I), decoded to images in [0, 1] in inference mode,
  /// `batchSize` at a time so that memory stays bounded for large counts: `[count, C, H, W]`.
  ///
  /// A conditional VAE decodes image `i` as class `labels[i]` (`count` labels); without labels it
  /// cycles through the classes (0, 1, ..., 0, 1, ...).
  public func sample(
    count: Int, labels: [Int]? = nil, using generator: inout SeededGenerator, batchSize: Int = 500
  ) throws -> Tensor {
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    return try sampleInBatches(
      count: count, labels: labels, classCount: classCount, dimension: latentDimension, batchSize: batchSize,
      function: "VAE.sample", using: &generator
    ) { codes, labels in try decode(codes, labels: labels) }
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
