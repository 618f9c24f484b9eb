import GenerativeKit

/// One training step of the report's GAN and VAE, small enough for fixtures: the models, their
/// initial weights and the step's inputs (real batch, noise or `eps`, dropout masks), all from
/// fixed seeds. `gk-step-fixtures` writes them for `Tests/Fixtures/pytorch-step/pytorch_step.py`,
/// which performs the same step in PyTorch; the step-equality tests rebuild them here and
/// compare GenerativeKit's step with PyTorch's result.
public enum StepFixture {
  /// The report's DCGAN at width 4 (noise 8) on 28 x 28 images, batch 4, the report's Adam
  /// (learning rate 1e-4, Keras betas and epsilon).
  public static func ganTrainer() throws -> GANTrainer {
    let generator = DCGAN.tutorialGenerator(noiseDimension: 8, channels: 1, width: 4, seed: 101)
    let discriminator = DCGAN.tutorialDiscriminator(channels: 1, width: 4, seed: 102)
    return GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 8),
      generatorOptimizer: Adam.keras(model: generator, learningRate: 1e-4),
      discriminatorOptimizer: Adam.keras(model: discriminator, learningRate: 1e-4))
  }

  /// The GAN step's inputs: real images `[4, 1, 28, 28]` in [-1, 1], noise `[4, 8]`, and for each
  /// of the discriminator's two dropout layers the masks of its two forward passes (real, then
  /// fake), `[4, 4, 14, 14]` and `[4, 8, 7, 7]`, each element 0 or `1 / 0.7` (Float).
  public static func ganInputs() -> (real: Tensor, noise: Tensor, masks: [[Tensor]]) {
    var random = SeededGenerator(seed: 103)
    let real = Tensor.randomNormal(shape: [4, 1, 28, 28], using: &random).map { max(-1, min(1, 0.6 * $0)) }
    let noise = Tensor.randomNormal(shape: [4, 8], using: &random)
    let keep: Float = 1 / (1 - Float(0.3))
    func mask(_ shape: [Int]) -> Tensor {
      Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in random.nextUniform() < 0.3 ? 0 : keep })
    }
    let masks = [[mask([4, 4, 14, 14]), mask([4, 4, 14, 14])], [mask([4, 8, 7, 7]), mask([4, 8, 7, 7])]]
    return (real, noise, masks)
  }

  /// The report's convolutional VAE (latent 4) on 8 x 8 images, batch 4, the report's MSE loss and
  /// Adam (learning rate 1e-3, Keras betas and epsilon).
  public static func vaeTrainer() -> VAETrainer {
    let model = ConvolutionalVAE.make(latentDimension: 4, channels: 1, imageHeight: 8, imageWidth: 8, seed: 201)
    return VAETrainer(model: model, optimizer: Adam.keras(model: model, learningRate: 1e-3), reconstructionLoss: .meanSquaredError)
  }

  /// The VAE step's inputs: images `[4, 1, 8, 8]` in [0, 1] and `eps` `[4, 4]`.
  public static func vaeInputs() -> (images: Tensor, epsilon: Tensor) {
    var random = SeededGenerator(seed: 203)
    let images = Tensor(shape: [4, 1, 8, 8], scalars: (0..<256).map { _ in random.nextUniform() })
    return (images, Tensor.randomNormal(shape: [4, 4], using: &random))
  }

  /// The entries of a tensor of `count` values that the fixtures keep: every `stride`-th, at most
  /// about 64 per tensor, so the committed files stay small.
  public static func sampledIndices(count: Int) -> [Int] {
    Array(stride(from: 0, to: count, by: max(1, count / 64)))
  }

  /// Everything PyTorch needs in one checkpoint: both networks' initial parameters and buffers
  /// (`generator.`, `discriminator.`, `vae.`) and the inputs (`input.`).
  public static func inputsCheckpoint() throws -> Checkpoint {
    var checkpoint = Checkpoint(metadata: ["format": "generativekit-step-fixture"])
    let gan = try ganTrainer()
    checkpoint.add(model: gan.generator, prefix: "generator.")
    checkpoint.add(model: gan.discriminator, prefix: "discriminator.")
    let (real, noise, masks) = ganInputs()
    checkpoint.set(real, named: "input.gan.real")
    checkpoint.set(noise, named: "input.gan.noise")
    for (layer, passes) in masks.enumerated() {
      for (pass, mask) in passes.enumerated() { checkpoint.set(mask, named: "input.gan.mask.\(layer).\(pass)") }
    }
    checkpoint.add(model: vaeTrainer().model, prefix: "vae.")
    let (images, epsilon) = vaeInputs()
    checkpoint.set(images, named: "input.vae.images")
    checkpoint.set(epsilon, named: "input.vae.epsilon")
    return checkpoint
  }
}
