/// A GAN's structure: both networks' layer configurations and the noise and class counts, so a
/// checkpoint that stores it (metadata ``GAN/configurationKey``) can be opened by a program that did
/// not build the networks (`sample`, `gk-explore`).
public struct GANConfiguration: Codable, Equatable, Sendable {
  /// Noise (with one-hot labels for a conditional GAN) to images.
  public var generator: LayerConfiguration
  /// Images (with label planes) to logits.
  public var discriminator: LayerConfiguration
  /// The length of each noise vector.
  public var noiseDimension: Int
  /// The classes of a conditional GAN; nil for an unconditional one.
  public var classCount: Int?

  /// The first difference between this (stored) configuration and `other` (built now), or nil.
  public func firstDifference(from other: GANConfiguration) -> String? {
    if noiseDimension != other.noiseDimension { return "noise dimension \(noiseDimension) vs \(other.noiseDimension)" }
    if classCount != other.classCount { return "classes \(classCount.map(String.init) ?? "none") vs \(other.classCount.map(String.init) ?? "none")" }
    if let difference = generator.firstDifference(from: other.generator) { return "generator: " + difference }
    if let difference = discriminator.firstDifference(from: other.discriminator) { return "discriminator: " + difference }
    return nil
  }
}

extension GAN {
  /// The checkpoint metadata key under which experiments store ``configuration()``.
  public static let configurationKey = "gan"

  /// The structure of both networks; throws naming a layer that cannot describe itself.
  public func configuration() throws -> GANConfiguration {
    GANConfiguration(
      generator: try describe(generator, "generator"), discriminator: try describe(discriminator, "discriminator"),
      noiseDimension: noiseDimension, classCount: classCount)
  }

  /// A GAN with the structure `configuration` describes and placeholder weights (restore a
  /// checkpoint's into it); throws naming the network and layer at fault.
  public convenience init(configuration: GANConfiguration) throws {
    try self.init(
      generator: try configuration.generator.makeSequential(role: "GAN generator"),
      discriminator: try configuration.discriminator.makeSequential(role: "GAN discriminator"),
      noiseDimension: configuration.noiseDimension, classCount: configuration.classCount)
  }
}

/// A VAE's structure: both networks' layer configurations and the latent and class counts (see
/// ``GANConfiguration``).
public struct VAEConfiguration: Codable, Equatable, Sendable {
  /// Images (with label planes) to means and log-variances.
  public var encoder: LayerConfiguration
  /// Codes (with one-hot labels) to logits.
  public var decoder: LayerConfiguration
  /// The length of a latent code.
  public var latentDimension: Int
  /// The classes of a conditional VAE; nil for an unconditional one.
  public var classCount: Int?

  /// The first difference between this (stored) configuration and `other` (built now), or nil.
  public func firstDifference(from other: VAEConfiguration) -> String? {
    if latentDimension != other.latentDimension { return "latent dimension \(latentDimension) vs \(other.latentDimension)" }
    if classCount != other.classCount { return "classes \(classCount.map(String.init) ?? "none") vs \(other.classCount.map(String.init) ?? "none")" }
    if let difference = encoder.firstDifference(from: other.encoder) { return "encoder: " + difference }
    if let difference = decoder.firstDifference(from: other.decoder) { return "decoder: " + difference }
    return nil
  }
}

extension VAE {
  /// The checkpoint metadata key under which experiments store ``configuration()``.
  public static let configurationKey = "vae"

  /// The structure of both networks; throws naming a layer that cannot describe itself.
  public func configuration() throws -> VAEConfiguration {
    VAEConfiguration(
      encoder: try describe(encoder, "encoder"), decoder: try describe(decoder, "decoder"),
      latentDimension: latentDimension, classCount: classCount)
  }

  /// A VAE with the structure `configuration` describes and placeholder weights; throws naming the
  /// network and layer at fault.
  public convenience init(configuration: VAEConfiguration) throws {
    guard configuration.latentDimension > 0, configuration.classCount.map({ $0 > 0 }) ?? true else {
      throw GenerativeKitError.invalidArgument(
        "VAE configuration: latent dimension \(configuration.latentDimension) and classes \(configuration.classCount.map(String.init) ?? "none") must be positive")
    }
    self.init(
      encoder: try configuration.encoder.makeSequential(role: "VAE encoder"),
      decoder: try configuration.decoder.makeSequential(role: "VAE decoder"),
      latentDimension: configuration.latentDimension, classCount: configuration.classCount)
  }
}

/// `network`'s configuration, with errors prefixed by its role.
private func describe(_ network: Sequential, _ role: String) throws -> LayerConfiguration {
  do {
    return try network.configuration()
  } catch GenerativeKitError.invalidArgument(let reason) {
    throw GenerativeKitError.invalidArgument("\(role) \(reason)")
  }
}
