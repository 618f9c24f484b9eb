import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// Frechet distance against closed forms.
@Suite("Metrics: Frechet distance")
struct MetricsFrechetDistanceTests {
  /// `[n, f]` features: correlated Gaussian-ish rows (a random linear mix of normals plus an offset).
  static func correlatedFeatures(n: Int, f: Int, seed: UInt64, offset: Float = 3) -> Tensor {
    var random = SeededGenerator(seed: seed)
    let base = Tensor.randomNormal(shape: [n, f], using: &random)
    let mix = Tensor.randomNormal(shape: [f, f], standardDeviation: 0.5, using: &random)
    return Tensor.matmul(base, mix) + offset
  }

  @Test("Identical sets are at distance 0")
  func identical() throws {
    let features = Self.correlatedFeatures(n: 300, f: 16, seed: 1)
    let statistics = try FeatureStatistics(features: features)
    let distance = try frechetDistance(features, features)
    let scale = 2 * statistics.covarianceTrace
    #expect(distance <= 1e-6 * scale, "distance \(distance) for trace scale \(scale)")
  }

  @Test("A shifted copy is at |shift|^2: equal covariances leave only the mean term")
  func shifted() throws {
    let features = Self.correlatedFeatures(n: 200, f: 8, seed: 2)
    let shift: [Float] = [1, -2, 0.5, 0, 3, 0, 0, -1]
    let moved = features.zipWith(Tensor(shape: [200, 8], scalars: (0..<200).flatMap { _ in shift })) { $0 + $1 }
    let expected = shift.reduce(0.0) { $0 + Double($1 * $1) }
    let distance = try frechetDistance(features, moved)
    #expect(abs(distance - expected) < 1e-4 * expected, "\(distance) vs \(expected)")
  }

  @Test("Diagonal Gaussians: |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2")
  func diagonal() throws {
    let a: [Double] = [1, 4, 0.25, 9]
    let b: [Double] = [4, 1, 1, 9]
    let first = try FeatureStatistics(count: 10, mean: [0, 0, 1, 2], covariance: Self.diagonalMatrix(a))
    let second = try FeatureStatistics(count: 10, mean: [1, 0, 1, 0], covariance: Self.diagonalMatrix(b))
    let expected = (1.0 + 0 + 0 + 4) + zip(a, b).reduce(0.0) { $0 + pow($1.0.squareRoot() - $1.1.squareRoot(), 2) }
    #expect(abs(try frechetDistance(first, second) - expected) < 1e-10)
  }

  @Test("Non-commuting 2 x 2 covariances: Tr sqrt(C1 C2) = sqrt(tr(C1 C2) + 2 sqrt(det C1 det C2))")
  func nonCommuting() throws {
    let c1: [Double] = [2, 0.8, 0.8, 1]
    let c2: [Double] = [1, -0.3, -0.3, 3]
    let product = [c1[0] * c2[0] + c1[1] * c2[2], c1[0] * c2[1] + c1[1] * c2[3],
                   c1[2] * c2[0] + c1[3] * c2[2], c1[2] * c2[1] + c1[3] * c2[3]]
    let det1 = c1[0] * c1[3] - c1[1] * c1[2]
    let det2 = c2[0] * c2[3] - c2[1] * c2[2]
    let traceRoot = (product[0] + product[3] + 2 * (det1 * det2).squareRoot()).squareRoot()
    let expected = 0.5 * 0.5 + 1 * 1 + (c1[0] + c1[3]) + (c2[0] + c2[3]) - 2 * traceRoot
    let first = try FeatureStatistics(count: 5, mean: [0.5, 0], covariance: c1)
    let second = try FeatureStatistics(count: 5, mean: [0, 1], covariance: c2)
    #expect(abs(try frechetDistance(first, second) - expected) < 1e-10)
    #expect(abs(try frechetDistance(second, first) - expected) < 1e-10)
  }

  @Test("Sample statistics: means and unbiased covariance match a direct computation")
  func statistics() throws {
    let x = Tensor(shape: [3, 2], scalars: [1, 2, 3, 6, 5, 4])
    let s = try FeatureStatistics(features: x)
    #expect(s.mean == [3, 4])
    // Centred: (-2, -2), (0, 2), (2, 0); covariance / (N - 1) = [[4, 2], [2, 4]].
    #expect(s.covariance.map { ($0 * 1e9).rounded() / 1e9 } == [4, 2, 2, 4])
  }

  @Test("The distance is symmetric in its arguments")
  func symmetric() throws {
    let a = Self.correlatedFeatures(n: 150, f: 12, seed: 3, offset: 0)
    let b = Self.correlatedFeatures(n: 120, f: 12, seed: 4, offset: 1)
    let ab = try frechetDistance(a, b)
    let ba = try frechetDistance(b, a)
    #expect(ab > 1)
    #expect(abs(ab - ba) < 1e-8 * ab, "\(ab) vs \(ba)")
  }

  @Test("Mismatched feature sizes and single samples are rejected")
  func errors() throws {
    #expect(throws: GenerativeKitError.self) { try frechetDistance(Tensor(shape: [4, 3]), Tensor(shape: [4, 2])) }
    #expect(throws: GenerativeKitError.self) { try frechetDistance(Tensor(shape: [1, 3]), Tensor(shape: [4, 3])) }
    #expect(throws: GenerativeKitError.self) { try FeatureStatistics(count: 2, mean: [0, 0], covariance: [1]) }
  }

  static func diagonalMatrix(_ values: [Double]) -> [Double] {
    var matrix = [Double](repeating: 0, count: values.count * values.count)
    for (i, v) in values.enumerated() { matrix[i * values.count + i] = v }
    return matrix
  }
}
