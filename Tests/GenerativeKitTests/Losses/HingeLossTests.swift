import Foundation
import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The hinge objective against its formulas and against finite differences.
@Suite("Hinge loss")
struct HingeLossTests {
  static let logits: [Float] = [-3, -1.5, -0.5, 0, 0.25, 0.75, 2, 4]
  static var tensor: Tensor { Tensor(shape: [logits.count, 1], scalars: logits) }

  @Test("Discriminator: mean(max(0, 1 - d)) on reals, mean(max(0, 1 + d)) on fakes; generator: -mean(d)")
  func values() throws {
    let d = Self.logits.map(Double.init)
    let n = Double(d.count)
    let loss = HingeLoss()
    let real = try loss.discriminatorLoss(realLogits: Self.tensor)
    let fake = try loss.discriminatorLoss(fakeLogits: Self.tensor)
    let generator = try loss.generatorLoss(fakeLogits: Self.tensor)
    #expect(abs(Double(real.value) - d.map { max(0, 1 - $0) }.reduce(0, +) / n) < 1e-6)
    #expect(abs(Double(fake.value) - d.map { max(0, 1 + $0) }.reduce(0, +) / n) < 1e-6)
    #expect(abs(Double(generator.value) + d.reduce(0, +) / n) < 1e-6)
    for (index, di) in d.enumerated() {
      #expect(Double(real.gradient.scalars[index]) == (di < 1 ? -1 / n : 0), "real logit \(di)")
      #expect(Double(fake.gradient.scalars[index]) == (di > -1 ? 1 / n : 0), "fake logit \(di)")
      #expect(Double(generator.gradient.scalars[index]) == -1 / n)
    }
  }

  @Test("GANObjective(discriminator: .hinge, generator: .hinge) is HingeLoss; GANObjective() is BCE with the non-saturating loss")
  func objectives() throws {
    let hinge = GANObjective(discriminator: .hinge, generator: .hinge)
    let reference = HingeLoss()
    for (a, b) in [(try hinge.discriminatorLoss(realLogits: Self.tensor), try reference.discriminatorLoss(realLogits: Self.tensor)),
                   (try hinge.discriminatorLoss(fakeLogits: Self.tensor), try reference.discriminatorLoss(fakeLogits: Self.tensor)),
                   (try hinge.generatorLoss(fakeLogits: Self.tensor), try reference.generatorLoss(fakeLogits: Self.tensor))] {
      #expect(a.value == b.value && a.gradient == b.gradient)
    }
    let report = GANObjective()
    #expect(try report.discriminatorLoss(realLogits: Self.tensor).value == binaryCrossEntropy(logits: Self.tensor, target: 1).value)
    #expect(try report.discriminatorLoss(fakeLogits: Self.tensor).value == binaryCrossEntropy(logits: Self.tensor, target: 0).value)
    #expect(try report.generatorLoss(fakeLogits: Self.tensor).value == GeneratorLoss.nonSaturating.evaluate(fakeLogits: Self.tensor).value)
  }

  @Test("Each gradient matches central differences (logits away from the hinges)")
  func finiteDifferences() throws {
    let loss = HingeLoss()
    let functions: [(String, (Tensor) throws -> LossResult)] = [
      ("real", loss.discriminatorLoss(realLogits:)), ("fake", loss.discriminatorLoss(fakeLogits:)),
      ("generator", loss.generatorLoss(fakeLogits:)),
    ]
    for (name, function) in functions {
      var logits = Self.tensor
      let analytic = try function(logits).gradient
      var generator = SeededGenerator(seed: 3)
      let report = try GradientCheck.compare(
        name: "hinge \(name)", values: logits, analytic: analytic, step: 1e-2, set: { logits = $0 },
        loss: { Double(try function(logits).value) }, generator: &generator)
      #expect(report.worstRelativeError < 1e-3, "\(report)")
    }
  }
}
