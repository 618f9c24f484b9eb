import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// k-NN precision and recall, and the blocked GEMM distances under them.
@Suite("Metrics: precision and recall")
struct MetricsPrecisionRecallTests {
  /// `perMode` points from N(centre, I) around each listed mode; the modes sit 100 apart from
  /// the origin on 12 directions of the plane, moved by `offset` along the first axis.
  static func clusters(modes: [Int], perMode: Int, seed: UInt64, offset: Float = 0) -> Tensor {
    var random = SeededGenerator(seed: seed)
    var scalars: [Float] = []
    for mode in modes {
      let angle = 2 * Float.pi * Float(mode) / 12
      for _ in 0..<perMode {
        let (a, b) = random.nextNormalPair()
        scalars += [offset + 100 * cosf(angle) + a, 100 * sinf(angle) + b]
      }
    }
    return Tensor(shape: [modes.count * perMode, 2], scalars: scalars)
  }

  @Test("Blocked GEMM distances equal direct ones, with self-distances at zero")
  func pairwiseDistances() throws {
    var random = SeededGenerator(seed: 1)
    let a = Tensor.randomNormal(shape: [37, 5], using: &random)
    let b = Tensor.randomNormal(shape: [23, 5], using: &random)
    var blocks = 0
    var worst = 0.0
    // A tiny block size forces many blocks (4 query rows each).
    PairwiseDistances(queries: a, references: b, blockElements: 100).forEachBlock { rows, d in
      blocks += 1
      for (i, row) in rows.enumerated() {
        for j in 0..<23 {
          worst = max(worst, abs(Double(d[i * 23 + j]) - FeatureMatrix.exactSquaredDistance(a, row, b, j)))
        }
      }
    }
    #expect(blocks == 10)
    #expect(worst < 1e-4)
    PairwiseDistances(queries: a, references: a).forEachBlock { rows, d in
      for (i, row) in rows.enumerated() { #expect(d[i * 37 + row] < 1e-5) }
    }
  }

  @Test("k-NN radii match a brute-force search")
  func radii() throws {
    var random = SeededGenerator(seed: 2)
    let points = Tensor.randomNormal(shape: [40, 3], using: &random)
    let radii = kNearestNeighborRadii(points, k: 3)
    for i in 0..<40 {
      let sorted = (0..<40).filter { $0 != i }.map { FeatureMatrix.exactSquaredDistance(points, i, points, $0) }.sorted()
      #expect(abs(Double(radii[i]) - sorted[2]) < 1e-4 * max(1, sorted[2]), "point \(i)")
    }
  }

  @Test("Identical sets have precision and recall 1")
  func identical() throws {
    let set = Self.clusters(modes: Array(0..<10), perMode: 20, seed: 3)
    let result = try precisionRecall(real: set, generated: set)
    #expect(result.precision == 1 && result.recall == 1 && result.k == 3)
  }

  @Test("Disjoint, far-apart sets have precision and recall 0")
  func disjoint() throws {
    let real = Self.clusters(modes: [0, 1, 2], perMode: 30, seed: 4)
    let generated = Self.clusters(modes: [0, 1, 2], perMode: 30, seed: 5, offset: 1000)
    let result = try precisionRecall(real: real, generated: generated)
    #expect(result.precision == 0 && result.recall == 0)
  }

  @Test("A generator covering half the modes has high precision and recall about 0.5")
  func halfTheModes() throws {
    let real = Self.clusters(modes: Array(0..<10), perMode: 40, seed: 6)
    // Modes 0, 2, 4, 6, 8, twice as many samples each: the same count as the real set.
    let generated = Self.clusters(modes: [0, 2, 4, 6, 8, 0, 2, 4, 6, 8], perMode: 40, seed: 7)
    let result = try precisionRecall(real: real, generated: generated)
    #expect(result.precision > 0.9, "precision \(result.precision)")
    #expect(result.recall > 0.45 && result.recall <= 0.5, "recall \(result.recall)")
  }

  @Test("Image sets are flattened; bad shapes and k are rejected")
  func shapes() throws {
    var random = SeededGenerator(seed: 8)
    let images = Tensor.randomUniform(shape: [12, 1, 4, 4], using: &random)
    let result = try precisionRecall(real: images, generated: images, k: 2)
    #expect(result.precision == 1 && result.recall == 1)
    #expect(throws: GenerativeKitError.self) { try precisionRecall(real: images, generated: Tensor(shape: [12, 3])) }
    #expect(throws: GenerativeKitError.self) { try precisionRecall(real: images, generated: images, k: 0) }
    #expect(throws: GenerativeKitError.self) { try precisionRecall(real: images.slice(batch: 0..<3), generated: images) }
  }
}
