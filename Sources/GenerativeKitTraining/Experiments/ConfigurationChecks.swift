import GenerativeKit
import GenerativeKitData

/// The bounds ``CheckedConfiguration`` conformances share.
enum ConfigurationLimits {
  static let channels = 1...4
  static let imageSide = 4...1_024
  static let vectorDimension = 1...65_536
  static let width = 1...1_024
  static let batchSize = 1...65_536
  /// A run trains for at least one epoch (a resume may raise the count, never below what is done).
  static let epochs = 1...1_000_000
  /// Floats in the largest weight a configuration may ask for (1 GiB).
  static let largestWeight = 1 << 28

  static func require(_ value: Int, in range: ClosedRange<Int>, _ field: String, of kind: String) throws {
    guard range.contains(value) else {
      throw GenerativeKitError.invalidArgument(
        "\(kind) configuration: \(field) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
  }

  /// The image fields every configuration has.
  static func requireImages(channels: Int, height: Int, width: Int, of kind: String) throws {
    try require(channels, in: Self.channels, "channels", of: kind)
    try require(height, in: imageSide, "imageHeight", of: kind)
    try require(width, in: imageSide, "imageWidth", of: kind)
  }

  /// `factors` multiplied, or an error when the product passes ``largestWeight``.
  static func requireWeight(_ factors: [Int], _ what: String, of kind: String) throws {
    var product = 1
    for factor in factors {
      let (next, overflow) = product.multipliedReportingOverflow(by: factor)
      guard !overflow, next <= largestWeight else {
        throw GenerativeKitError.invalidArgument(
          "\(kind) configuration: \(what) would hold more than \(largestWeight) floats (\(factors.map(String.init).joined(separator: " x ")))")
      }
      product = next
    }
  }

  static func requireRate(_ value: Float, _ field: String, of kind: String, below upper: Float? = nil) throws {
    guard value.isFinite, value >= 0, upper.map({ value < $0 }) ?? true else {
      throw GenerativeKitError.invalidArgument(
        "\(kind) configuration: \(field) must be a finite number of at least 0\(upper.map { " and below \($0)" } ?? ""), got \(value)")
    }
  }
}

extension GANOptions: CheckedConfiguration {
  public func check() throws {
    let kind = "GAN"
    try ConfigurationLimits.requireImages(channels: channels, height: imageHeight, width: imageWidth, of: kind)
    guard architecture.supports(height: imageHeight, width: imageWidth) else {
      throw GenerativeKitError.invalidArgument(
        "GAN configuration: imageHeight x imageWidth is \(imageHeight) x \(imageWidth), but \(architecture.rawValue) "
          + (architecture == .dcgan64 ? "makes 64 x 64 images" : "needs sides that are multiples of 4"))
    }
    if architecture != .tensorflowTutorial, let discriminator {
      throw GenerativeKitError.invalidArgument(
        "GAN configuration: discriminator \(discriminator.rawValue) applies to the report-dcgan architecture; "
          + "\(architecture.rawValue) has its own batch-norm discriminator")
    }
    try ConfigurationLimits.require(noiseDimension, in: ConfigurationLimits.vectorDimension, "noiseDimension", of: kind)
    try ConfigurationLimits.require(width, in: ConfigurationLimits.width, "width", of: kind)
    try ConfigurationLimits.require(batchSize, in: ConfigurationLimits.batchSize, "batchSize", of: kind)
    try ConfigurationLimits.require(epochs, in: ConfigurationLimits.epochs, "epochs", of: kind)
    try ConfigurationLimits.require(sampleCount, in: 1...4_096, "sampleCount", of: kind)
    if let classes { try ConfigurationLimits.require(classes, in: 1...1_000, "classes", of: kind) }
    try ConfigurationLimits.requireRate(learningRate, "learningRate", of: kind)
    if let generatorLearningRate { try ConfigurationLimits.requireRate(generatorLearningRate, "generatorLearningRate", of: kind) }
    try ConfigurationLimits.requireRate(beta1, "beta1", of: kind, below: 1)
    do { try learningRateSchedule?.validate() } catch GenerativeKitError.invalidArgument(let message) {
      throw GenerativeKitError.invalidArgument("GAN configuration: learningRateSchedule: \(message)")
    }
    if let discriminatorWeightClip {
      guard discriminatorWeightClip > 0, discriminatorWeightClip.isFinite else {
        throw GenerativeKitError.invalidArgument("GAN configuration: discriminatorWeightClip must be a positive number, got \(discriminatorWeightClip)")
      }
    }
    if let generatorAverageDecay {
      try ConfigurationLimits.requireRate(generatorAverageDecay, "generatorAverageDecay", of: kind, below: 1)
    }
    // The generator's first (dense) layer is the largest weight of both architectures.
    let cells = switch architecture {
    case .dcgan64: 4 * 4 * 8
    case .tensorflowTutorial: (imageHeight / 4) * (imageWidth / 4) * 4
    case .light: (imageHeight / 4) * (imageWidth / 4) * 2
    case .custom: 1  // the caller's networks exist already
    }
    try ConfigurationLimits.requireWeight([noiseDimension + (classes ?? 0), cells, width], "the generator's dense layer", of: kind)
  }
}

extension VAEOptions: CheckedConfiguration {
  public func check() throws {
    let kind = "VAE"
    try ConfigurationLimits.requireImages(channels: channels, height: imageHeight, width: imageWidth, of: kind)
    guard architecture == .custom || (imageHeight % 4 == 0 && imageWidth % 4 == 0) else {
      throw GenerativeKitError.invalidArgument(
        "VAE configuration: imageHeight x imageWidth must be multiples of 4, got \(imageHeight) x \(imageWidth)")
    }
    try ConfigurationLimits.require(latentDimension, in: ConfigurationLimits.vectorDimension, "latentDimension", of: kind)
    try ConfigurationLimits.require(batchSize, in: ConfigurationLimits.batchSize, "batchSize", of: kind)
    try ConfigurationLimits.require(epochs, in: ConfigurationLimits.epochs, "epochs", of: kind)
    try ConfigurationLimits.require(sampleCount, in: 1...4_096, "sampleCount", of: kind)
    if let classes { try ConfigurationLimits.require(classes, in: 1...1_000, "classes", of: kind) }
    try ConfigurationLimits.requireRate(learningRate, "learningRate", of: kind)
    try ConfigurationLimits.requireRate(beta, "beta", of: kind)
    // The encoder's dense layer: 128 channels of the quarter-size plane to 2 x latent.
    if architecture != .custom {  // a custom model's networks exist already
      try ConfigurationLimits.requireWeight([128 * (imageHeight / 4) * (imageWidth / 4), 2 * latentDimension],
                                            "the encoder's dense layer", of: kind)
    }
  }
}

/// Stops a conditional model's run before training when `set` has no labels or a label outside
/// `0..<classes`, naming the set.
func checkLabels(of set: ImageDataSet, classes: Int, model: String) throws {
  guard let labels = set.labels else {
    throw GenerativeKitError.invalidArgument("\(model): a conditional \(model) needs labels, and \(set.name) has none")
  }
  if let wrong = labels.first(where: { !(0..<classes).contains($0) }) {
    throw GenerativeKitError.invalidArgument(
      "\(model): \(set.name) has label \(wrong), but the \(model) is conditional on \(classes) classes (0..<\(classes))")
  }
}
