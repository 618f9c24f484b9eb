import GenerativeKit
import GenerativeKitTraining

/// How big a comparison run is: the report's full settings, or a few minutes' worth.
struct ComparisonSettings {
  var name: String
  var mnistGANEpochs: Int
  var mnistVAEEpochs: Int
  /// MNIST batch sizes and step sizes (the report's: 256 / 1e-4 for the GAN, 128 / 1e-4 for the VAE).
  var ganBatchSize: Int
  /// Base width of the MNIST GAN's networks (the report's 64).
  var ganWidth: Int
  var ganLearningRate: Float
  var ganBeta1: Float
  var vaeBatchSize: Int
  var vaeLearningRate: Float
  /// Training images per MNIST epoch (nil: all 60,000).
  var mnistLimit: Int?
  var facesGANEpochs: Int
  /// Face-set GAN batch size (64 in every setting; the step sizes come from `facesGANPreset`).
  var facesGANBatchSize: Int
  /// Base width of the face-set GAN's networks (64, the report's).
  var facesGANWidth: Int
  /// The face-set GAN's networks and step sizes (`faces-gan --preset`): the report's, or the fast
  /// preset's light networks.
  var facesGANPreset: FacesGANPreset = .report
  var facesVAEEpochs: Int
  var classifierEpochs: Int
  var classifierLimit: Int?
  /// Generated images per metric, and test images the metrics compare them with.
  var sampleCount: Int
  var testCount: Int
  /// Importance samples per image for the VAE's bound.
  var importanceSamples: Int
  /// The MNIST VAE's settings beyond the numbers above: the report's MSE decoder, or the
  /// likelihood papers' Bernoulli decoder on binarized digits (whose bounds are then test NLLs).
  var vaePreset: VAEPreset = .meanSquaredError
  /// The MNIST GAN's settings beyond the numbers above (the dcgan preset keeps a generator average).
  var ganPreset: GANPreset = .tensorflowTutorial

  static let full = ComparisonSettings(
    name: "full", mnistGANEpochs: 50, mnistVAEEpochs: 30, ganBatchSize: 256, ganWidth: 64, ganLearningRate: 1e-4,
    ganBeta1: 0.9,
    vaeBatchSize: 128, vaeLearningRate: 1e-4, mnistLimit: nil, facesGANEpochs: 300, facesGANBatchSize: 64,
    facesGANWidth: 64, facesVAEEpochs: 300, classifierEpochs: 5, classifierLimit: nil, sampleCount: 10_000,
    testCount: 10_000, importanceSamples: 50)

  /// A few minutes on two cores (`scripts/main-job.sh`; its timings are in docs/PERFORMANCE.md,
  /// "Main job"): fewer images and epochs, so larger steps (DCGAN's paper's Adam 2e-4 with beta1
  /// 0.5 for the GANs, 1e-3 for the VAE) to learn something in that time. The MNIST GAN is the fast
  /// recipe (`mnist-gan --preset fast`: the light 4 x 4-kernel networks, a quarter of the report's
  /// arithmetic per image, Adam 4e-4 for D and the preset's 1.6e-3 for G, chosen by quality per
  /// minute in docs/RESULTS.md). The Frey-faces GAN is the faces fast recipe (`faces-gan --preset
  /// fast`: the same light networks, step sizes and generator average, chosen by the sliced
  /// Wasserstein distance after equal minutes in docs/RESULTS.md, "Faces GANs per minute"), for
  /// 16 epochs: about the time the half-width report GAN it replaced took for 20.
  static let quick = ComparisonSettings(
    name: "quick", mnistGANEpochs: 7, mnistVAEEpochs: 3, ganBatchSize: 64, ganWidth: 64, ganLearningRate: 4e-4,
    ganBeta1: 0.5, vaeBatchSize: 64, vaeLearningRate: 1e-3, mnistLimit: 12_000, facesGANEpochs: 16,
    facesGANBatchSize: 64, facesGANWidth: 64, facesGANPreset: .fast, facesVAEEpochs: 10,
    classifierEpochs: 1, classifierLimit: 12_000, sampleCount: 1_000, testCount: 1_000, importanceSamples: 5,
    ganPreset: .fast)

  /// The presets that aim at published figures (`mnist-gan --preset dcgan`, `mnist-vae --preset
  /// bernoulli`): the GAN with DCGAN practice's Adam 2e-4, beta1 0.5, batch 64 for 20 epochs and a
  /// moving average of its generator's weights (decay 0.999) to sample from; the
  /// VAE with a Bernoulli decoder on dynamically binarized digits, latent 32, Adam 1e-3, 50 epochs,
  /// and its test NLL as Burda et al. estimate it (5,000 importance samples per test digit). The
  /// faces part keeps the full settings.
  static let presets = ComparisonSettings(
    name: "presets", mnistGANEpochs: 20, mnistVAEEpochs: 50, ganBatchSize: 64, ganWidth: 64, ganLearningRate: 2e-4,
    ganBeta1: 0.5, vaeBatchSize: 128, vaeLearningRate: 1e-3, mnistLimit: nil, facesGANEpochs: 300, facesGANBatchSize: 64,
    facesGANWidth: 64, facesVAEEpochs: 300, classifierEpochs: 5, classifierLimit: nil, sampleCount: 10_000,
    testCount: 10_000, importanceSamples: 5_000, vaePreset: .bernoulli, ganPreset: .dcgan)
}

/// What training a model cost, from its run log (so resumed runs count every epoch).
struct TrainingCost {
  var epochs: Int
  var seconds: Double
  var images: Int
  var parameters: Int

  var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }

  init(log: RunLog, parameters: Int) {
    epochs = log.epochs.count
    seconds = log.epochs.reduce(0) { $0 + $1.seconds }
    images = log.epochs.reduce(0) { $0 + $1.images }
    self.parameters = parameters
  }
}
