import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// Classifier Inception Score and the class histogram on sets with known answers.
@Suite("Metrics: Inception Score and class histogram")
struct MetricsInceptionScoreTests {
  /// `[labels.count, classes]` one-hot rows, optionally softened to `confidence` on the label.
  static func predictions(_ labels: [Int], classes: Int = 10, confidence: Float = 1) -> Tensor {
    let other = (1 - confidence) / Float(classes - 1)
    return Tensor(shape: [labels.count, classes], scalars: labels.flatMap { label in
      (0..<classes).map { $0 == label ? confidence : other }
    })
  }

  @Test("One repeated digit is flagged: IS 1, one class present, KL from uniform log 10")
  func repeatedDigit() throws {
    let p = Self.predictions(Array(repeating: 7, count: 50))
    let score = try inceptionScore(probabilities: p)
    #expect(abs(score.mean - 1) < 1e-12)
    let histogram = try ClassHistogram(probabilities: p)
    #expect(histogram.classesPresent == 1)
    #expect(histogram.counts[7] == 50 && histogram.total == 50)
    #expect(histogram.missingClasses == [0, 1, 2, 3, 4, 5, 6, 8, 9])
    #expect(abs(histogram.klDivergenceFromUniform - log(10)) < 1e-12)
  }

  @Test("Confident, balanced predictions give IS 10 and KL 0")
  func balancedConfident() throws {
    let labels = (0..<100).map { $0 % 10 }
    let p = Self.predictions(labels)
    #expect(abs(try inceptionScore(probabilities: p).mean - 10) < 1e-9)
    let histogram = try ClassHistogram(labels: labels, classCount: 10)
    #expect(histogram.classesPresent == 10)
    #expect(abs(histogram.klDivergenceFromUniform) < 1e-12)
    // Ten splits of ten balanced rows each: every split scores 10.
    let split = try inceptionScore(probabilities: p, splits: 10)
    #expect(split.splitScores.count == 10 && split.splitScores.allSatisfy { abs($0 - 10) < 1e-9 })
    #expect(split.standardDeviation < 1e-9)
  }

  @Test("Unconfident predictions score 1 however balanced; softened ones score in between")
  func uncertain() throws {
    let uniform = Tensor(shape: [20, 10], repeating: 0.1)
    #expect(abs(try inceptionScore(probabilities: uniform).mean - 1) < 1e-9)
    let soft = try inceptionScore(probabilities: Self.predictions((0..<100).map { $0 % 10 }, confidence: 0.6)).mean
    #expect(soft > 1.5 && soft < 9)
  }

  @Test("Confident fraction counts rows whose top probability reaches the threshold")
  func confident() throws {
    // Rows with top probability 1, 0.95, 0.9 and 0.6 (as softened one-hot rows) and a uniform row.
    let rows = [Self.predictions([3]), Self.predictions([1], confidence: 0.95), Self.predictions([2], confidence: 0.9),
                Self.predictions([4], confidence: 0.6), Tensor(shape: [1, 10], repeating: 0.1)]
    let p = Tensor.concatenate(batches: rows)
    #expect(try confidentFraction(probabilities: p) == 3.0 / 5)
    #expect(try confidentFraction(probabilities: p, threshold: 0.5) == 4.0 / 5)
    #expect(try confidentFraction(probabilities: p, threshold: 0.1) == 1)
    #expect(throws: GenerativeKitError.self) { try confidentFraction(probabilities: p, threshold: 0) }
    #expect(throws: GenerativeKitError.self) { try confidentFraction(probabilities: Tensor(shape: [10], repeating: 0.1)) }
  }

  @Test("Hand computation with two classes")
  func handComputed() throws {
    let p = Tensor(shape: [2, 2], scalars: [0.9, 0.1, 0.2, 0.8])
    let marginal = [0.55, 0.45]
    func kl(_ q: [Double]) -> Double { zip(q, marginal).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) } }
    let expected = exp((kl([0.9, 0.1]) + kl([0.2, 0.8])) / 2)
    #expect(abs(try inceptionScore(probabilities: p).mean - expected) < 1e-7)
  }

  @Test("Histogram KL from uniform for a known imbalance")
  func histogramKL() throws {
    // Two classes of four used 3:1: KL = 0.75 log(4 * 0.75) + 0.25 log(4 * 0.25).
    let histogram = try ClassHistogram(labels: [0, 0, 0, 2], classCount: 4)
    #expect(histogram.counts == [3, 0, 1, 0])
    #expect(abs(histogram.klDivergenceFromUniform - 0.75 * log(3.0)) < 1e-12)
    #expect(histogram.description.contains("2/4 classes present"))
  }

  @Test("Bad shapes, split counts, probabilities and labels are rejected")
  func errors() throws {
    #expect(throws: GenerativeKitError.self) { try inceptionScore(probabilities: Tensor(shape: [10])) }
    #expect(throws: GenerativeKitError.self) { try inceptionScore(probabilities: Tensor(shape: [3, 10]), splits: 4) }
    #expect(throws: GenerativeKitError.self) {
      try inceptionScore(probabilities: Tensor(shape: [1, 2], scalars: [-0.5, 1.5]))
    }
    #expect(throws: GenerativeKitError.invalidArgument("ClassHistogram: label 10 at index 1 is outside 0..<10")) {
      try ClassHistogram(labels: [1, 10], classCount: 10)
    }
  }
}
