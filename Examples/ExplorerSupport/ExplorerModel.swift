import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

/// A GAN or VAE checkpoint loaded for exploring: decodes latent codes to images on request, one
/// request at a time (layers keep per-pass state, so calls are serialised by a lock).
public final class ExplorerModel: @unchecked Sendable {
  /// Which kind of model the checkpoint holds.
  public enum Kind: String, Codable, Sendable {
    case gan
    case vae
  }

  public let kind: Kind
  /// The length of a latent code (a GAN's noise, a VAE's code).
  public let latentDimension: Int
  /// The classes of a conditional model; nil for an unconditional one.
  public let classCount: Int?
  /// `[C, H, W]` of one image.
  public let imageShape: [Int]
  /// The epochs the checkpoint was trained for.
  public let epoch: Int
  /// The checkpoint's file name.
  public let checkpointName: String
  /// The sliders' directions, `[k, latentDimension]`, orthonormal, strongest first (see
  /// `LatentDirections.principal`).
  public let directions: Tensor
  /// Test images whose reconstructions a VAE shows (nil when the data was not found, or for a GAN).
  public let testSet: ImageDataSet?

  private let lock = NSLock()
  private let decoder: (Tensor, [Int]?) throws -> Tensor
  private let vae: VAE?
  /// How the VAE scored its reconstructions in training (to infer an upload's class).
  private let reconstructionLoss: ReconstructionLoss

  /// Loads `url`.
  ///
  /// - Parameters:
  ///   - directionCount: sliders wanted (at most the latent dimension).
  ///   - testSet: images in [0, 1] for a VAE's reconstructions, with labels for a conditional one.
  /// - Throws: `GenerativeKitError.file` naming the file when it is not a GenerativeKit GAN or VAE
  ///   checkpoint, or its tensors do not fit the model its configuration describes.
  public init(checkpoint url: URL, directionCount: Int = 8, testSet: ImageDataSet? = nil) throws {
    let file = try Checkpoint(contentsOf: url)
    func fail(_ reason: String) -> GenerativeKitError { .file(path: url.path, reason: reason) }
    do {
      switch file.metadata["format"] {
      case GANExperiment.format:
        let (gan, options, _) = try GANExperiment.loadModel(from: file)
        gan.isTraining = false
        kind = .gan
        latentDimension = options.noiseDimension
        classCount = options.classes
        imageShape = [options.channels, options.imageHeight, options.imageWidth]
        decoder = { codes, labels in try gan.generate(codes, labels: labels) }
        vae = nil
        reconstructionLoss = .meanSquaredError
        self.testSet = nil
      case VAEExperiment.format:
        let (model, options) = try VAEExperiment.loadModel(from: file)
        kind = .vae
        latentDimension = options.latentDimension
        classCount = options.classes
        imageShape = [options.channels, options.imageHeight, options.imageWidth]
        decoder = { codes, labels in try model.decode(codes, labels: labels) }
        vae = model
        reconstructionLoss = options.reconstructionLoss
        self.testSet = testSet.flatMap { $0.imageShape == [options.channels, options.imageHeight, options.imageWidth] ? $0 : nil }
      default:
        throw fail(
          "not a GenerativeKit GAN or VAE checkpoint (metadata 'format' is "
            + "\(file.metadata["format"].map { "'\($0)'" } ?? "missing"); write one with mnist-gan or mnist-vae)")
      }
    } catch let error as GenerativeKitError {
      switch error {
      case .file, .checkpoint: throw error
      default: throw fail("\(error)")
      }
    }
    epoch = file.epoch ?? 0
    checkpointName = url.lastPathComponent
    var random = SeededGenerator(seed: 1)
    let decode = decoder
    let classes = classCount
    directions = try LatentDirections.principal(
      dimension: latentDimension, count: min(directionCount, latentDimension), samples: 256, using: &random
    ) { codes in
      // A conditional model's directions are found across all classes.
      try decode(codes, classes.map { count in (0..<codes.shape[0]).map { $0 % count } })
    }
  }

  /// Images in [0, 1], `[N, C, H, W]`, for codes `[N, latentDimension]` (with one label per code
  /// for a conditional model).
  public func decode(_ codes: Tensor, labels: [Int]?) throws -> Tensor {
    lock.lock()
    defer { lock.unlock() }
    return try decoder(codes, labels)
  }

  /// A VAE's reconstructions of `images` `[N, C, H, W]` in [0, 1], and their codes (the posterior means).
  public func reconstruct(_ images: Tensor, labels: [Int]?) throws -> (images: Tensor, codes: Tensor) {
    guard let vae else { throw GenerativeKitError.invalidArgument("reconstruction needs a VAE; this checkpoint holds a GAN") }
    lock.lock()
    defer { lock.unlock() }
    let codes = try vae.encode(images, labels: labels).mean
    return (try vae.decode(codes, labels: labels), codes)
  }

  /// A conditional VAE's guess of one image's class `[1, C, H, W]`: the class under which the
  /// image costs least, reconstruction (the model's own loss, decoded from the posterior mean)
  /// plus KL, the negative ELBO without its sampling noise. Also returns every class's cost.
  public func inferClass(of image: Tensor) throws -> (label: Int, costs: [Double]) {
    guard let vae, let classes = vae.classCount else {
      throw GenerativeKitError.invalidArgument("inferring a class needs a conditional VAE")
    }
    lock.lock()
    defer { lock.unlock() }
    let costs = try (0..<classes).map { label -> Double in
      let (mean, logVariance) = try vae.encode(image, labels: [label])
      let rebuilt = try vae.decode(mean, labels: [label])
      let kl = Double(try gaussianKLDivergence(mean: mean, logVariance: logVariance).value)
      var reconstruction = 0.0
      for i in 0..<image.count {
        let (x, p) = (Double(image[flat: i]), min(max(Double(rebuilt[flat: i]), 1e-7), 1 - 1e-7))
        reconstruction += reconstructionLoss == .bernoulli ? -(x * log(p) + (1 - x) * log(1 - p)) : (p - x) * (p - x)
      }
      return reconstruction + kl
    }
    return (costs.indices.min { costs[$0] < costs[$1] } ?? 0, costs)
  }
}
