import Dispatch
import GenerativeKit

// The work the suite measures, kept apart from package-benchmark's registration code: the
// convolution layers of the report's two models (DESIGN.md section 4) and their training steps.

/// One convolution layer of the report's models at its training batch size.
struct LayerCase {
  /// `model.layer`, as in docs/PERFORMANCE.md and the reference benchmarks' shapes.txt.
  var name: String
  var make: () -> any Layer
  /// Input shape `[N, C, H, W]`.
  var input: [Int]
  /// Multiply-accumulates of one forward pass over the whole batch. The backward pass (input and
  /// weight gradients) costs twice that; FLOPs = 2 x MACs.
  var macs: Double

  static func conv(_ name: String, _ cin: Int, _ cout: Int, kernel k: Int, stride s: Int, size h: Int, batch: Int) -> LayerCase {
    let out = (h + s - 1) / s
    return LayerCase(
      name: name,
      make: { Conv2D(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: .same, seed: 1) },
      input: [batch, cin, h, h], macs: Double(batch * out * out * cout * cin * k * k))
  }

  static func convT(_ name: String, _ cin: Int, _ cout: Int, kernel k: Int, stride s: Int, size h: Int, batch: Int,
                    bias: Bool) -> LayerCase {
    LayerCase(
      name: name,
      make: { ConvTranspose2D(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: .same, bias: bias, seed: 1) },
      input: [batch, cin, h, h], macs: Double(batch * h * h * cin * cout * k * k))
  }

  /// Every convolution of the DCGAN (batch 256; the generator's have no bias) and of the VAE (batch 128).
  static let all: [LayerCase] = [
    convT("dcgan.g_convT1", 256, 128, kernel: 5, stride: 1, size: 7, batch: 256, bias: false),
    convT("dcgan.g_convT2", 128, 64, kernel: 5, stride: 2, size: 7, batch: 256, bias: false),
    convT("dcgan.g_convT3", 64, 1, kernel: 5, stride: 2, size: 14, batch: 256, bias: false),
    conv("dcgan.d_conv1", 1, 64, kernel: 5, stride: 2, size: 28, batch: 256),
    conv("dcgan.d_conv2", 64, 128, kernel: 5, stride: 2, size: 14, batch: 256),
    conv("vae.e_conv1", 1, 32, kernel: 3, stride: 2, size: 28, batch: 128),
    conv("vae.e_conv2", 32, 64, kernel: 3, stride: 2, size: 14, batch: 128),
    conv("vae.e_conv3", 64, 128, kernel: 3, stride: 1, size: 7, batch: 128),
    convT("vae.v_convT1", 64, 64, kernel: 3, stride: 2, size: 7, batch: 128, bias: true),
    convT("vae.v_convT2", 64, 32, kernel: 3, stride: 2, size: 14, batch: 128, bias: true),
    convT("vae.v_convT3", 32, 1, kernel: 3, stride: 1, size: 28, batch: 128, bias: true),
  ]
}

/// A layer with its input, built on first use so that a filtered run builds only what it measures.
final class LayerState {
  let layer: any Layer
  let input: Tensor
  var output: Tensor

  init(_ layerCase: LayerCase) throws {
    var random = SeededGenerator(seed: 2)
    layer = layerCase.make()
    input = Tensor.randomNormal(shape: layerCase.input, using: &random)
    output = try layer.forward(input)
  }
}

/// The report's DCGAN training step: batch 256, noise 100, Adam(1e-4) for both networks.
final class GANStepState {
  static let batch = 256
  let trainer: GANTrainer
  let realImages: Tensor

  init() {
    let generator = DCGAN.tutorialGenerator(seed: 1)
    let discriminator = DCGAN.tutorialDiscriminator(seed: 2)
    trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 100),
      generatorOptimizer: Adam.keras(model: generator, learningRate: 1e-4),
      discriminatorOptimizer: Adam.keras(model: discriminator, learningRate: 1e-4), seed: 3)
    var random = SeededGenerator(seed: 4)
    realImages = Tensor.randomUniform(shape: [Self.batch, 1, 28, 28], in: -1...1, using: &random)
  }

  func step() throws { try trainer.step(realImages: realImages) }
}

/// The report's VAE training step: batch 128, latent 16, Adam(1e-4), MSE reconstruction + KL.
final class VAEStepState {
  static let batch = 128
  let trainer: VAETrainer
  let images: Tensor

  init() {
    let model = ConvolutionalVAE.make(latentDimension: 16, seed: 1)
    trainer = VAETrainer(model: model, optimizer: Adam.keras(model: model, learningRate: 1e-4), seed: 3)
    var random = SeededGenerator(seed: 4)
    images = Tensor.randomUniform(shape: [Self.batch, 1, 28, 28], in: 0...1, using: &random)
  }

  func step() throws { try trainer.step(images: images) }
}

/// Wall time of `body` in seconds (monotonic clock).
func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
