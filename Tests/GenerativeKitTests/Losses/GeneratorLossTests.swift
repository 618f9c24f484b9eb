import Foundation
import Testing

@testable import GenerativeKit

/// The generator losses against their formulas, written out in Double: the trainer's gradient
/// checks differentiate `GeneratorLoss.evaluate` itself, so they cannot see a wrong formula.
@Suite("Generator losses")
struct GeneratorLossTests {
  static let logits: [Float] = [-30, -4, -0.5, 0, 0.25, 3, 30]

  static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

  @Test("Non-saturating: mean of -log sigmoid(z); its gradient (sigmoid(z) - 1) / N")
  func nonSaturating() throws {
    let result = try GeneratorLoss.nonSaturating.evaluate(fakeLogits: Tensor(shape: [Self.logits.count, 1], scalars: Self.logits))
    let z = Self.logits.map(Double.init)
    let n = Double(z.count)
    // -log sigmoid(z) = log(1 + exp(-z)), written stably for large |z|.
    let expected = z.map { max(-$0, 0) + log1p(exp(-abs($0))) }.reduce(0, +) / n
    #expect(abs(Double(result.value) - expected) <= 1e-6 * expected, "\(result.value) vs \(expected)")
    for (index, zi) in z.enumerated() {
      let gradient = (Self.sigmoid(zi) - 1) / n
      #expect(abs(Double(result.gradient.scalars[index]) - gradient) <= 1e-6, "logit \(zi)")
    }
  }

  @Test("Minimax: mean of log(1 - sigmoid(z)); its gradient -sigmoid(z) / N")
  func minimax() throws {
    let result = try GeneratorLoss.minimax.evaluate(fakeLogits: Tensor(shape: [Self.logits.count, 1], scalars: Self.logits))
    let z = Self.logits.map(Double.init)
    let n = Double(z.count)
    // log(1 - sigmoid(z)) = -log(1 + exp(z)), written stably for large |z|.
    let expected = z.map { -(max($0, 0) + log1p(exp(-abs($0)))) }.reduce(0, +) / n
    #expect(expected < 0)
    #expect(abs(Double(result.value) - expected) <= 1e-6 * abs(expected), "\(result.value) vs \(expected)")
    for (index, zi) in z.enumerated() {
      let gradient = -Self.sigmoid(zi) / n
      #expect(abs(Double(result.gradient.scalars[index]) - gradient) <= 1e-6, "logit \(zi)")
    }
  }
}
