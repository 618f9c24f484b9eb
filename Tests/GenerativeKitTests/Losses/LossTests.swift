import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// Loss values against closed forms, gradients against finite differences, and stability.
@Suite("Losses")
struct LossTests {
  /// Central-difference check of a loss's gradient with respect to its first argument.
  private func checkGradient(
    _ prediction: Tensor, _ analytic: Tensor, step: Float = 1e-2, tolerance: Double = 1e-2,
    _ loss: (Tensor) throws -> Float
  ) throws {
    var generator = SeededGenerator(seed: 1)
    var current = prediction
    let report = try GradientCheck.compare(
      name: "loss", values: prediction, analytic: analytic, step: step, set: { current = $0 },
      loss: { Double(try loss(current)) }, generator: &generator)
    #expect(report.worstRelativeError < tolerance, "\(report)")
  }

  @Test("Binary cross-entropy from logits: value, gradient, all reductions")
  func binaryCrossEntropyValues() throws {
    let logits = Tensor(shape: [3, 1], scalars: [0, 2, -1])
    let targets = Tensor(shape: [3, 1], scalars: [1, 0, 0.25])
    let result = try binaryCrossEntropy(logits: logits, targets: targets)
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    let expected = [(0.0, 1.0), (2.0, 0.0), (-1.0, 0.25)].map { z, t in
      -(t * log(sigmoid(z)) + (1 - t) * log(1 - sigmoid(z)))
    }
    #expect(abs(Double(result.value) - expected.reduce(0, +) / 3) < 1e-6)
    for reduction in [Reduction.mean, .sum, .sumPerItemMeanOverBatch] {
      let r = try binaryCrossEntropy(logits: logits, targets: targets, reduction: reduction)
      try checkGradient(logits, r.gradient) { try binaryCrossEntropy(logits: $0, targets: targets, reduction: reduction).value }
    }
  }

  @Test("Binary cross-entropy stays finite and exact for logits of ±1000")
  func binaryCrossEntropyStability() throws {
    let logits = Tensor(shape: [4, 1], scalars: [1000, -1000, 1000, -1000])
    let targets = Tensor(shape: [4, 1], scalars: [1, 0, 0, 1])
    let result = try binaryCrossEntropy(logits: logits, targets: targets, reduction: .sum)
    #expect(result.value == 2000)  // two confident right answers cost 0, two confident wrong ones 1000 each
    #expect(result.gradient.scalars == [0, 0, 1, -1])
    #expect(result.gradient.isFinite)
  }

  @Test("Mean squared error: mean, sum and per-image sum averaged over the batch")
  func meanSquaredErrorValues() throws {
    let prediction = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let target = Tensor(shape: [2, 3], scalars: [0, 2, 5, 4, 8, 6])
    // squared errors 1, 0, 4, 0, 9, 0: sum 14
    #expect(try meanSquaredError(prediction: prediction, target: target, reduction: .sum).value == 14)
    #expect(abs(try meanSquaredError(prediction: prediction, target: target, reduction: .mean).value - 14 / 6) < 1e-6)
    #expect(try meanSquaredError(prediction: prediction, target: target, reduction: .sumPerItemMeanOverBatch).value == 7)
    for reduction in [Reduction.mean, .sum, .sumPerItemMeanOverBatch] {
      let r = try meanSquaredError(prediction: prediction, target: target, reduction: reduction)
      try checkGradient(prediction, r.gradient) { try meanSquaredError(prediction: $0, target: target, reduction: reduction).value }
    }
    #expect(throws: GenerativeKitError.self) {
      try meanSquaredError(prediction: prediction, target: Tensor(shape: [3, 2]))
    }
  }

  @Test("Gaussian KL divergence: closed form, zero at the prior, gradients")
  func gaussianKL() throws {
    let zero = try gaussianKLDivergence(mean: Tensor(shape: [3, 4]), logVariance: Tensor(shape: [3, 4]))
    #expect(zero.value == 0)
    var generator = SeededGenerator(seed: 2)
    let mean = Tensor.randomNormal(shape: [3, 4], using: &generator)
    let logVariance = Tensor.randomNormal(shape: [3, 4], standardDeviation: 0.5, using: &generator)
    let result = try gaussianKLDivergence(mean: mean, logVariance: logVariance)
    var expected = 0.0
    for i in 0..<12 {
      let (mu, lv) = (Double(mean[flat: i]), Double(logVariance[flat: i]))
      expected += 0.5 * (mu * mu + exp(lv) - 1 - lv)
    }
    #expect(abs(Double(result.value) - expected / 3) < 1e-5)
    try checkGradient(mean, result.meanGradient) { try gaussianKLDivergence(mean: $0, logVariance: logVariance).value }
    try checkGradient(logVariance, result.logVarianceGradient) { try gaussianKLDivergence(mean: mean, logVariance: $0).value }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
