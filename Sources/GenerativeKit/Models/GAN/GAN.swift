/// A generative adversarial network: a generator from noise to images, a discriminator from images
/// to logits, and the noise distribution N(0, I) (Goodfellow et al. 2014; DCGAN's layout in
/// ``DCGAN``).
///
/// - Generator: noise `[N, noiseDimension]` -> images `[N, C, H, W]` in [-1, 1] (a tanh output);
///   ``generate(_:)`` and ``sample(count:using:batchSize:)`` map them to [0, 1].
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

  public var isTraining: Bool {
    get { generator.isTraining }
    set {
      generator.isTraining = newValue
      discriminator.isTraining = newValue
    }
  }

  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` when `noiseDimension` is not positive.
  public init(generator: Sequential, discriminator: Sequential, noiseDimension: Int) throws {
    guard noiseDimension > 0 else {
      throw GenerativeKitError.invalidArgument("GAN: noiseDimension must be positive, got \(noiseDimension)")
    }
    self.generator = generator
    self.discriminator = discriminator
    self.noiseDimension = noiseDimension
  }

  public var namedParameters: [NamedParameter] {
    generator.namedParameters.map { NamedParameter("generator.\($0.name)", $0.parameter) }
      + discriminator.namedParameters.map { NamedParameter("discriminator.\($0.name)", $0.parameter) }
  }

  /// Images in [0, 1] for noise `[N, noiseDimension]`, with the generator in inference mode
  /// (batch norm uses its running statistics); the mode is restored afterwards.
  public func generate(_ noise: Tensor) throws -> Tensor {
    try noise.checkShape([nil, noiseDimension], context: "GAN.generate (noise \(noiseDimension))")
    let wasTraining = generator.isTraining
    defer { generator.isTraining = wasTraining }
    generator.isTraining = false
    return try generator.forward(noise).map { ($0 + 1) / 2 }
  }

  /// `count` images in [0, 1] from noise drawn with `generator`, in inference mode, `batchSize`
  /// at a time so that memory stays bounded for large counts: `[count, C, H, W]`.
  ///
  /// The noise of every batch is drawn in turn from the same stream, so the images depend on
  /// `batchSize` only through batch norm's (fixed) inference statistics: not at all.
  public func sample(count: Int, using generator: inout SeededGenerator, batchSize: Int = 500) throws -> Tensor {
    guard count >= 1, batchSize >= 1 else {
      throw GenerativeKitError.invalidArgument(
        "GAN.sample: count and batchSize must be at least 1, got \(count) and \(batchSize)")
    }
    var parts: [Tensor] = []
    for start in stride(from: 0, to: count, by: batchSize) {
      let noise = Tensor.randomNormal(shape: [min(batchSize, count - start), noiseDimension], using: &generator)
      parts.append(try generate(noise))
    }
    return Tensor.concatenate(batches: parts)
  }
}
