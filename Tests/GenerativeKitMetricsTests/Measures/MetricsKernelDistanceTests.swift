import Testing

@testable import GenerativeKit
@testable import GenerativeKitMetrics

@Suite("Metrics: kernel distance (KID)")
struct MetricsKernelDistanceTests {
  static func gaussian(_ rows: Int, _ width: Int, shift: Float = 0, seed: UInt64) -> Tensor {
    var random = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape: [rows, width], using: &random).map { $0 + shift }
  }

  /// The unbiased MMD^2 with the cubic kernel, by plain loops in Double.
  static func reference(_ x: Tensor, _ y: Tensor) -> Double {
    let (m, d) = (x.shape[0], x.shape[1])
    func k(_ a: Tensor, _ i: Int, _ b: Tensor, _ j: Int) -> Double {
      var dot = 0.0
      for t in 0..<d { dot += Double(a[i, t]) * Double(b[j, t]) }
      let base = dot / Double(d) + 1
      return base * base * base
    }
    var (xx, yy, xy) = (0.0, 0.0, 0.0)
    for i in 0..<m {
      for j in 0..<m {
        if i != j {
          xx += k(x, i, x, j)
          yy += k(y, i, y, j)
        }
        xy += k(x, i, y, j)
      }
    }
    return (xx + yy) / Double(m * (m - 1)) - 2 * xy / Double(m * m)
  }

  @Test("one subset of every row equals the estimate computed by plain loops")
  func matchesReference() throws {
    let x = Self.gaussian(40, 6, seed: 1)
    let y = Self.gaussian(40, 6, shift: 0.4, seed: 2)
    let result = try kernelDistance(x, y, subsets: 1, subsetSize: 40)
    let expected = Self.reference(x, y)
    #expect(abs(result.mean - expected) <= 1e-9 * max(abs(expected), 1e-12), "\(result.mean) vs \(expected)")
    #expect(result.standardDeviation == 0)
  }

  @Test("near zero for one distribution, growing with the shift, reproducible for a seed")
  func separatesDistributions() throws {
    let real = Self.gaussian(600, 8, seed: 3)
    let same = try kernelDistance(real, Self.gaussian(600, 8, seed: 4), subsets: 20, subsetSize: 200, seed: 5)
    let small = try kernelDistance(real, Self.gaussian(600, 8, shift: 0.3, seed: 6), subsets: 20, subsetSize: 200, seed: 5)
    let large = try kernelDistance(real, Self.gaussian(600, 8, shift: 1, seed: 7), subsets: 20, subsetSize: 200, seed: 5)
    #expect(abs(same.mean) < 4 * same.standardError + 1e-3, "\(same)")
    #expect(small.mean > same.mean + 4 * small.standardError, "\(small) vs \(same)")
    #expect(large.mean > 4 * small.mean, "\(large) vs \(small)")
    let again = try kernelDistance(real, Self.gaussian(600, 8, seed: 4), subsets: 20, subsetSize: 200, seed: 5)
    #expect(again == same)
  }

  @Test("arguments out of range are refused with the reason")
  func refusesBadArguments() {
    let x = Self.gaussian(10, 3, seed: 8)
    #expect(throws: GenerativeKitError.self) { try kernelDistance(x, Self.gaussian(10, 4, seed: 9)) }
    #expect(throws: GenerativeKitError.self) { try kernelDistance(x, x, subsetSize: 11) }
    #expect(throws: GenerativeKitError.self) { try kernelDistance(x, x, subsets: 0, subsetSize: 5) }
    #expect(throws: GenerativeKitError.self) { try kernelDistance(x, x, subsetSize: 1) }
  }
}
