import Foundation
import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// Softmax cross-entropy from logits: closed-form values, finite-difference gradients, stability.
@Suite("Softmax cross-entropy")
struct SoftmaxCrossEntropyTests {
  @Test("Value equals logsumexp(z) - z[label], averaged over rows")
  func values() throws {
    let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, -1, 0.5])
    let labels = [2, 1]
    func rowLoss(_ z: [Double], _ label: Int) -> Double { log(z.map { exp($0) }.reduce(0, +)) - z[label] }
    let expected = (rowLoss([1, 2, 3], 2) + rowLoss([0, -1, 0.5], 1)) / 2
    let mean = try softmaxCrossEntropy(logits: logits, labels: labels)
    #expect(abs(Double(mean.value) - expected) < 1e-6)
    let sum = try softmaxCrossEntropy(logits: logits, labels: labels, reduction: .sum)
    #expect(abs(Double(sum.value) - 2 * expected) < 1e-5)
    // The gradient rows of the mean are (softmax - onehot) / N: each row sums to zero.
    for row in 0..<2 {
      let rowSum = (0..<3).reduce(Float(0)) { $0 + mean.gradient[row, $1] }
      #expect(abs(rowSum) < 1e-6)
    }
    #expect(mean.gradient[0, 2] < 0 && mean.gradient[0, 0] > 0)
  }

  @Test("Gradient matches central differences for mean and sum reductions")
  func gradientCheck() throws {
    var random = SeededGenerator(seed: 11)
    let logits = Tensor.randomNormal(shape: [5, 7], standardDeviation: 2, using: &random)
    let labels = [0, 6, 3, 3, 1]
    for reduction in [Reduction.mean, .sum] {
      let analytic = try softmaxCrossEntropy(logits: logits, labels: labels, reduction: reduction).gradient
      var current = logits
      var probe = SeededGenerator(seed: 2)
      let report = try GradientCheck.compare(
        name: "softmaxCrossEntropy \(reduction)", values: logits, analytic: analytic, step: 1e-2, maximumProbes: 35,
        set: { current = $0 },
        loss: { Double(try softmaxCrossEntropy(logits: current, labels: labels, reduction: reduction).value) },
        generator: &probe)
      #expect(report.checked == 35)
      #expect(report.worstRelativeError < 1e-2, "\(report)")
    }
  }

  @Test("Logits of ±1000 give exact, finite losses and gradients")
  func stability() throws {
    let logits = Tensor(shape: [2, 3], scalars: [1000, 0, -1000, 1000, 0, -1000])
    let result = try softmaxCrossEntropy(logits: logits, labels: [0, 2], reduction: .sum)
    #expect(result.value == 2000)  // right and confident: 0; wrong by 2000: 2000
    #expect(result.gradient.isFinite)
    #expect(result.gradient.scalars == [0, 0, 0, 1, 0, -1])
    let probabilities = try softmax(logits: logits)
    #expect(probabilities.scalars == [1, 0, 0, 1, 0, 0])
  }

  @Test("softmax equals exp(z) / sum exp(z) computed in Double, row by row")
  func softmaxRows() throws {
    var random = SeededGenerator(seed: 3)
    let logits = Tensor.randomNormal(shape: [4, 10], standardDeviation: 5, using: &random)
    let p = try softmax(logits: logits)
    for row in 0..<4 {
      let exponentials = (0..<10).map { exp(Double(logits[row, $0])) }
      let total = exponentials.reduce(0, +)
      for column in 0..<10 {
        let expected = exponentials[column] / total
        #expect(abs(Double(p[row, column]) - expected) <= 2e-6 * max(expected, 1e-3), "row \(row), column \(column)")
      }
    }
  }

  @Test("Wrong label counts, out-of-range labels and non-matrix logits are rejected by name")
  func errors() throws {
    let logits = Tensor(shape: [2, 3])
    #expect(throws: GenerativeKitError.invalidArgument(
      "softmaxCrossEntropy: 1 labels for logits of shape [2, 3] (need 2)")) {
      try softmaxCrossEntropy(logits: logits, labels: [0])
    }
    #expect(throws: GenerativeKitError.invalidArgument(
      "softmaxCrossEntropy: label 3 at index 1 is outside 0..<3 (logits [2, 3])")) {
      try softmaxCrossEntropy(logits: logits, labels: [0, 3])
    }
    #expect(throws: GenerativeKitError.self) { try softmaxCrossEntropy(logits: Tensor(shape: [6]), labels: [0]) }
  }
}
