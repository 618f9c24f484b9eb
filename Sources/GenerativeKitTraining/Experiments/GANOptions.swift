import Foundation
import GenerativeKit
import GenerativeKitData

/// The architecture family of a GAN experiment.
public enum GANArchitecture: String, Codable, Sendable, CaseIterable {
  /// The report's DCGAN (TensorFlow's DCGAN tutorial): 28 x 28 images, or any size whose sides
  /// are multiples of 4 (two stride-2 upsamplings from a quarter-size base).
  case tensorflowTutorial = "report-dcgan"
  /// Radford et al.'s DCGAN for 64 x 64 images.
  case dcgan64 = "dcgan-64"
  /// The light DCGAN PyTorch users write for digits (4 x 4 kernels, 2w then w channels, a
  /// batch-norm discriminator; `DCGAN.lightGenerator`, `DCGAN.lightDiscriminator`): any size whose
  /// sides are multiples of 4, about a quarter of the tutorial networks' arithmetic.
  case light = "dcgan-light"
  /// Networks of your own, passed to `GANRecipe(options:model:dataSet:)`: checkpoints describe
  /// their layers (`GANConfiguration` under metadata `gan`), and `loadModel` builds them from that.
  case custom

  /// Whether the architecture makes `height x width` images (a custom one is checked against the
  /// data when the recipe is made).
  public func supports(height: Int, width: Int) -> Bool {
    switch self {
    case .tensorflowTutorial, .light: return height % 4 == 0 && width % 4 == 0 && height > 0 && width > 0
    case .dcgan64: return height == 64 && width == 64
    case .custom: return height > 0 && width > 0
    }
  }
}

/// Which discriminator a GAN of the report's architecture uses.
public enum GANDiscriminator: String, Codable, Sendable, CaseIterable {
  /// The report's (the TensorFlow tutorial's): two 5 x 5 convolutions with dropout
  /// (`DCGAN.tutorialDiscriminator`). `report` on the command line and in checkpoints.
  case tensorflowTutorial = "report"
  /// Radford et al.'s practice: three stride-2 convolutions with batch norm and LeakyReLU 0.2, no
  /// dropout (`DCGAN.batchNormDiscriminator`).
  case batchNorm = "batch-norm"
}

/// Whose Adam a GAN experiment's optimizers follow: the same update with epsilon in another place.
public enum AdamConvention: String, Codable, Sendable, CaseIterable {
  /// Keras's (the report's): epsilon 1e-7 added before the bias correction (`Adam.keras`).
  case keras
  /// PyTorch's `torch.optim.Adam`: epsilon 1e-8 added to the bias-corrected root (`Adam.pytorch`).
  case pytorch
}

/// Everything that defines a GAN run; saved in every checkpoint's metadata.
public struct GANOptions: ExperimentOptions {
  public var architecture = GANArchitecture.tensorflowTutorial
  public var channels = 1
  public var imageHeight = 28
  public var imageWidth = 28
  public var noiseDimension = 100
  /// The base width w of the networks (64 in the report).
  public var width = 64
  public var epochs = 50
  public var batchSize = 256
  /// Adam's step size for the discriminator, and for the generator unless ``generatorLearningRate`` is set.
  public var learningRate: Float = 1e-4
  /// The generator's own Adam step size (two time-scale training, Heusel et al. 2017); nil: ``learningRate``.
  public var generatorLearningRate: Float?
  /// Adam's beta1 (Keras default 0.9, as the report; DCGAN's paper uses 0.5).
  public var beta1: Float = 0.9
  /// Whose Adam both optimizers follow; nil: ``AdamConvention/keras`` (the report's).
  public var adam: AdamConvention?
  /// How both networks' learning rate changes over the planned training (the epochs' steps, or
  /// the minutes of a run that stops after a time); nil: constant (the report's).
  public var learningRateSchedule: LearningRateSchedule?
  public var generatorLoss = GeneratorLoss.nonSaturating
  /// The discriminator's loss; nil: binary cross-entropy (the report's).
  public var discriminatorLoss: DiscriminatorLoss?
  /// Clips every discriminator weight to `[-c, c]` after each of its steps (the original WGAN's
  /// constraint, for `DiscriminatorLoss.wasserstein`); nil: no clipping.
  public var discriminatorWeightClip: Float?
  /// When D is updated relative to G's gradient; nil: `GANUpdateOrder.simultaneous` (the report's).
  public var updateOrder: GANUpdateOrder?
  public var seed: UInt64 = 1
  /// Epochs between the report's loss lines, checkpoints and sample grids.
  public var logEvery = 10
  public var saveEvery = 20
  public var sampleEvery = 30
  /// Images in each sample grid.
  public var sampleCount = 64
  /// For a class-conditional GAN, the number of classes (the data set's labels are `0..<classes`):
  /// the generator gets the label one-hot beside the noise, the discriminator one plane per class
  /// beside the image. Nil: unconditional (the report's).
  public var classes: Int?
  /// The decay of an exponential moving average of the generator's weights kept beside training
  /// (`WeightAverage` of the core, updated after every step; 0.999 spans about 1,000 steps). Grids and
  /// ``Experiment/loadModel(from:generator:)`` draw from the average. Nil: no average (the report's).
  public var generatorAverageDecay: Float?
  /// The discriminator of the report's architecture (``GANArchitecture/tensorflowTutorial``); nil: the report's.
  /// DCGAN-64 has its own batch-norm discriminator and takes none.
  public var discriminator: GANDiscriminator?

  public init() {}

  /// The first field where the network of a checkpoint's options (`other`) differs from this
  /// run's, as "field stored vs current"; nil when the checkpoint fits.
  public func architectureMismatch(with other: GANOptions) -> String? {
    if architecture != other.architecture { return "architecture \(other.architecture.rawValue) vs \(architecture.rawValue)" }
    if channels != other.channels { return "channels \(other.channels) vs \(channels)" }
    if imageHeight != other.imageHeight || imageWidth != other.imageWidth {
      return "images \(other.imageHeight) x \(other.imageWidth) vs \(imageHeight) x \(imageWidth)"
    }
    if noiseDimension != other.noiseDimension { return "noise dimension \(other.noiseDimension) vs \(noiseDimension)" }
    if width != other.width { return "width \(other.width) vs \(width)" }
    if (discriminator ?? .tensorflowTutorial) != (other.discriminator ?? .tensorflowTutorial) {
      return "discriminator \((other.discriminator ?? .tensorflowTutorial).rawValue) vs \((discriminator ?? .tensorflowTutorial).rawValue)"
    }
    if classes != other.classes {
      return "classes \(other.classes.map(String.init) ?? "none (unconditional)") vs \(classes.map(String.init) ?? "none (unconditional)")"
    }
    return nil
  }
}

extension GANOptions {
  /// The generator's Adam step size: ``generatorLearningRate``, or ``learningRate`` when it is nil.
  public var generatorRate: Float { generatorLearningRate ?? learningRate }

  /// The generator these options describe, initialised from the run's seed; a custom
  /// architecture's networks are the caller's, and asking for them here throws.
  public func makeGenerator() throws -> Sequential {
    switch architecture {
    case .custom: throw Self.customNetworks
    case .tensorflowTutorial:
      return DCGAN.tutorialGenerator(noiseDimension: noiseDimension + (classes ?? 0), channels: channels, width: width,
                                  imageHeight: imageHeight, imageWidth: imageWidth, seed: seed &+ 1)
    case .dcgan64:
      return DCGAN.generator64(noiseDimension: noiseDimension + (classes ?? 0), channels: channels, width: width, seed: seed &+ 1)
    case .light:
      return DCGAN.lightGenerator(noiseDimension: noiseDimension + (classes ?? 0), channels: channels, width: width,
                                  imageHeight: imageHeight, imageWidth: imageWidth, seed: seed &+ 1)
    }
  }

  /// The discriminator these options describe, initialised from the run's seed (see ``makeGenerator()``).
  public func makeDiscriminator() throws -> Sequential {
    switch architecture {
    case .custom: throw Self.customNetworks
    case .tensorflowTutorial where discriminator == .batchNorm:
      return DCGAN.batchNormDiscriminator(channels: channels + (classes ?? 0), width: width, imageHeight: imageHeight,
                                          imageWidth: imageWidth, seed: seed &+ 2)
    case .tensorflowTutorial:
      return DCGAN.tutorialDiscriminator(channels: channels + (classes ?? 0), width: width, imageHeight: imageHeight,
                                      imageWidth: imageWidth, seed: seed &+ 2)
    case .dcgan64: return DCGAN.discriminator64(channels: channels + (classes ?? 0), width: width, seed: seed &+ 2)
    case .light:
      return DCGAN.lightDiscriminator(channels: channels + (classes ?? 0), width: width, imageHeight: imageHeight,
                                      imageWidth: imageWidth, seed: seed &+ 2)
    }
  }

  /// The generator and discriminator these options describe, as one `GAN`.
  public func makeModel() throws -> GAN {
    try GAN(generator: makeGenerator(), discriminator: makeDiscriminator(), noiseDimension: noiseDimension, classCount: classes)
  }

  private static var customNetworks: GenerativeKitError {
    .invalidArgument(
      "GAN configuration: architecture custom has networks of your own: pass them to GANRecipe(options:model:dataSet:), "
        + "or load a checkpoint's with GANExperiment.loadModel(from:), which builds them from its 'gan' metadata")
  }
}
