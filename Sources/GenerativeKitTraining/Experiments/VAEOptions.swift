import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics

/// The networks of a VAE experiment.
public enum VAEArchitecture: String, Codable, Sendable, CaseIterable {
  /// The report's convolutional VAE (`ConvolutionalVAE`).
  case convolutional
  /// Networks of your own, passed to `VAERecipe(options:model:dataSet:testSet:)`: checkpoints
  /// describe their layers (`VAEConfiguration` under metadata `vae`), and
  /// ``Experiment/loadModel(from:)`` builds them from that.
  case custom
}

/// Everything that defines a VAE run; saved in every checkpoint's metadata.
public struct VAEOptions: ExperimentOptions {
  /// The networks; nil: ``VAEArchitecture/convolutional`` (the report's).
  public var architecture: VAEArchitecture?
  public var channels = 1
  /// Image sides, multiples of 4 (28 x 28 for MNIST, 28 x 20 for Frey faces).
  public var imageHeight = 28
  public var imageWidth = 28
  public var latentDimension = 16
  public var epochs = 30
  public var batchSize = 128
  public var learningRate: Float = 1e-4
  /// The KL weight: loss = reconstruction + beta * KL.
  public var beta: Float = 1
  public var reconstructionLoss = ReconstructionLoss.meanSquaredError
  public var seed: UInt64 = 1
  public var saveEvery = 10
  public var sampleEvery = 10
  public var sampleCount = 64
  /// For a class-conditional VAE, the number of classes (the data set's labels are `0..<classes`):
  /// the encoder gets one plane per class beside the image, the decoder the label one-hot beside
  /// the code. Nil: unconditional (the report's).
  public var classes: Int?
  /// Trains on binary images drawn afresh for every batch, each pixel 1 with probability its grey
  /// value (Burda et al.'s dynamic binarization; use with the Bernoulli loss); the test set is
  /// binarized once, with a fixed seed. Nil or false: the grey images as they are.
  public var dynamicBinarization: Bool?

  public init() {}

  /// The first field where the network of a checkpoint's options (`other`) differs from this
  /// run's, as "field stored vs current"; nil when the checkpoint fits.
  public func architectureMismatch(with other: VAEOptions) -> String? {
    let (mine, stored) = (architecture ?? .convolutional, other.architecture ?? .convolutional)
    if mine != stored { return "architecture \(stored.rawValue) vs \(mine.rawValue)" }
    if channels != other.channels { return "channels \(other.channels) vs \(channels)" }
    if imageHeight != other.imageHeight || imageWidth != other.imageWidth {
      return "images \(other.imageHeight) x \(other.imageWidth) vs \(imageHeight) x \(imageWidth)"
    }
    if latentDimension != other.latentDimension { return "latent dimension \(other.latentDimension) vs \(latentDimension)" }
    if classes != other.classes {
      return "classes \(other.classes.map(String.init) ?? "none (unconditional)") vs \(classes.map(String.init) ?? "none (unconditional)")"
    }
    return nil
  }
}

extension VAEOptions {
  /// The VAE these options describe, initialised from the run's seed; a custom architecture's
  /// networks are the caller's, and asking for them here throws.
  public func makeModel() throws -> VAE {
    if architecture == .custom {
      throw GenerativeKitError.invalidArgument(
        "VAE configuration: architecture custom has networks of your own: pass them to VAERecipe(options:model:dataSet:testSet:), "
          + "or load a checkpoint's with VAEExperiment.loadModel(from:), which builds them from its 'vae' metadata")
    }
    guard let classes else {
      return ConvolutionalVAE.make(latentDimension: latentDimension, channels: channels, imageHeight: imageHeight,
                                    imageWidth: imageWidth, seed: seed &+ 1)
    }
    return try ConvolutionalVAE.makeConditional(
      classes: classes, latentDimension: latentDimension, channels: channels, imageHeight: imageHeight,
      imageWidth: imageWidth, seed: seed &+ 1)
  }
}
