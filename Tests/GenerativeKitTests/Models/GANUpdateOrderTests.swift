import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// ``GANUpdateOrder/alternating`` against its definition: D's update is the simultaneous step's,
/// and G's gradient is the generator loss's gradient through the D after that update.
@Suite("GAN update order")
struct GANUpdateOrderTests {
  /// A tiny GAN trained one step in `order`, D by SGD and G by an optimizer that leaves it alone.
  private func step(_ order: GANUpdateOrder) throws -> (trainer: GANTrainer, noiseState: SeededGenerator, metrics: GANStepMetrics) {
    let (generator, discriminator) = GenerativeModelGradientTests.tinyGAN()
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 3),
      generatorOptimizer: InspectingOptimizer(generator),
      discriminatorOptimizer: SGD(model: discriminator, learningRate: 0.5), seed: 6)
    trainer.updateOrder = order
    var random = SeededGenerator(seed: 7)
    let real = Tensor.randomUniform(shape: [4, 1, 8, 8], in: -1...1, using: &random)
    let noiseState = trainer.noiseGenerator
    return (trainer, noiseState, try trainer.step(realImages: real))
  }

  /// The worst relative error of G's gradient against finite differences of the generator loss
  /// through the trainer's D as it is now (after the step).
  private func generatorGradientError(_ trainer: GANTrainer, noiseState: SeededGenerator) throws -> Double {
    let (generator, discriminator) = (trainer.generator, trainer.discriminator)
    func objective() throws -> Double {
      var noise = noiseState
      let z = Tensor.randomNormal(shape: [4, 3], using: &noise)
      return Double(try trainer.loss.generatorLoss(fakeLogits: try discriminator.forward(try generator.forward(z))).value)
    }
    var worst = 0.0
    for named in generator.namedParameters where named.parameter.isTrainable {
      let p = named.parameter
      var g = SeededGenerator(seed: 8)
      let report = try GradientCheck.compare(
        name: "generator \(named.name)", values: p.value, analytic: p.gradient, step: 1e-2,
        set: { p.value = $0 }, loss: objective, generator: &g)
      worst = max(worst, report.worstRelativeError)
    }
    return worst
  }

  @Test("alternating: D steps as in the simultaneous step, then G's gradient comes through the updated D")
  func alternatingGradient() throws {
    let alternating = try step(.alternating)
    let simultaneous = try step(.simultaneous)
    #expect(alternating.metrics.isFinite)
    // D's update does not depend on the order.
    for (a, s) in zip(alternating.trainer.discriminator.namedParameters, simultaneous.trainer.discriminator.namedParameters) {
      #expect(a.parameter.value.scalars == s.parameter.value.scalars, "\(a.name) differs between the orders")
    }
    #expect(alternating.metrics.discriminatorLoss == simultaneous.metrics.discriminatorLoss)
    // The generator loss is scored by the updated D.
    #expect(alternating.metrics.generatorLoss != simultaneous.metrics.generatorLoss)
    #expect(try generatorGradientError(alternating.trainer, noiseState: alternating.noiseState) < 3e-2)
    // The same check fails for the simultaneous step, whose G gradient came through the D of before.
    #expect(try generatorGradientError(simultaneous.trainer, noiseState: simultaneous.noiseState) > 0.1)
  }
}
