import Foundation
import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The least-squares and Wasserstein objectives against their formulas and finite differences.
@Suite("Least-squares and Wasserstein losses")
struct AdversarialLossTests {
  static let logits: [Float] = [-3, -1.5, -0.5, 0, 0.25, 0.75, 2, 4]
  static var tensor: Tensor { Tensor(shape: [logits.count, 1], scalars: logits) }

  @Test("Least squares: 0.5 mean((d - 1)^2) on reals, 0.5 mean(d^2) on fakes, 0.5 mean((d - 1)^2) for the generator; gradients (d - target) / N")
  func leastSquaresValues() throws {
    let d = Self.logits.map(Double.init)
    let n = Double(d.count)
    let loss = LeastSquaresLoss()
    let cases: [(LossResult, Double)] = [
      (try loss.discriminatorLoss(realLogits: Self.tensor), 1), (try loss.discriminatorLoss(fakeLogits: Self.tensor), 0),
      (try loss.generatorLoss(fakeLogits: Self.tensor), 1),
    ]
    for (result, target) in cases {
      #expect(abs(Double(result.value) - d.map { 0.5 * ($0 - target) * ($0 - target) }.reduce(0, +) / n) < 1e-6)
      for (index, di) in d.enumerated() {
        #expect(abs(Double(result.gradient.scalars[index]) - (di - target) / n) < 1e-7, "logit \(di), target \(target)")
      }
    }
    #expect(try GANObjective(discriminator: .leastSquares, generator: .leastSquares).generatorLoss(fakeLogits: Self.tensor).value
      == loss.generatorLoss(fakeLogits: Self.tensor).value)
  }

  @Test("Wasserstein: the critic's mean(fake) - mean(real), the generator's -mean(fake); gradients -+1/N")
  func wassersteinValues() throws {
    let mean = Self.logits.map(Double.init).reduce(0, +) / Double(Self.logits.count)
    let n = Float(Self.logits.count)
    let loss = WassersteinLoss()
    let real = try loss.discriminatorLoss(realLogits: Self.tensor)
    let fake = try loss.discriminatorLoss(fakeLogits: Self.tensor)
    let generator = try loss.generatorLoss(fakeLogits: Self.tensor)
    #expect(abs(Double(real.value) + mean) < 1e-6 && abs(Double(fake.value) - mean) < 1e-6 && abs(Double(generator.value) + mean) < 1e-6)
    #expect(real.gradient.scalars.allSatisfy { $0 == -1 / n })
    #expect(fake.gradient.scalars.allSatisfy { $0 == 1 / n })
    #expect(generator.gradient == (try HingeLoss().generatorLoss(fakeLogits: Self.tensor)).gradient)
    #expect(try GANObjective(discriminator: .wasserstein).discriminatorLoss(fakeLogits: Self.tensor).value == fake.value)
  }

  @Test("Each gradient matches central differences", arguments: [
    ("least squares", LeastSquaresLoss() as any AdversarialLoss), ("Wasserstein", WassersteinLoss()),
  ])
  func finiteDifferences(name: String, loss: any AdversarialLoss) throws {
    let functions: [(String, (Tensor) throws -> LossResult)] = [
      ("real", loss.discriminatorLoss(realLogits:)), ("fake", loss.discriminatorLoss(fakeLogits:)),
      ("generator", loss.generatorLoss(fakeLogits:)),
    ]
    for (part, function) in functions {
      var logits = Self.tensor
      let analytic = try function(logits).gradient
      var generator = SeededGenerator(seed: 3)
      let report = try GradientCheck.compare(
        name: "\(name) \(part)", values: logits, analytic: analytic, step: 1e-2, set: { logits = $0 },
        loss: { Double(try function(logits).value) }, generator: &generator)
      #expect(report.worstRelativeError < 1e-3, "\(report)")
    }
  }

  @Test("Weight clipping keeps every discriminator parameter in [-c, c] after a step, and leaves the generator alone")
  func weightClipping() throws {
    let generator = Sequential { Dense(inFeatures: 3, outFeatures: 16, weightInitializer: .normal(std: 1), seed: 1); Tanh(); Reshape([1, 4, 4]) }
    let discriminator = Sequential { Flatten(); Dense(inFeatures: 16, outFeatures: 1, weightInitializer: .normal(std: 1), seed: 2) }
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 3),
      generatorOptimizer: SGD(model: generator, learningRate: 0.1), discriminatorOptimizer: SGD(model: discriminator, learningRate: 0.1),
      loss: WassersteinLoss(), seed: 4)
    trainer.discriminatorWeightClip = 0.01
    var random = SeededGenerator(seed: 5)
    try trainer.step(realImages: Tensor.randomUniform(shape: [4, 1, 4, 4], in: -1...1, using: &random))
    let values = discriminator.trainableParameters.flatMap(\.value.scalars)
    #expect(values.allSatisfy { abs($0) <= 0.01 })
    #expect(values.contains { abs($0) == 0.01 }, "nothing was clipped: the test proves nothing")
    #expect(generator.trainableParameters.flatMap(\.value.scalars).contains { abs($0) > 0.01 })
  }
}
