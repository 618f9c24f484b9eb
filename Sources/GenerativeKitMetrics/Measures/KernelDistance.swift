import GenerativeKit

/// The kernel distance between two feature sets (Bińkowski et al. 2018's KID, here on whatever
/// features are given): the unbiased estimate of the squared maximum mean discrepancy with the
/// cubic polynomial kernel `k(x, y) = (x . y / d + 1)^3`, averaged over random subsets.
///
/// Unlike the Fréchet distance, its estimate has no bias from the sample size, so runs with 1,000
/// and 10,000 samples give comparable values, and the spread over subsets gives it an error bar.
public struct KernelDistance: Sendable, Equatable, CustomStringConvertible {
  /// The mean of the subsets' unbiased MMD^2 estimates (can be slightly negative for equal distributions).
  public var mean: Double
  /// Their standard deviation (population; divide by `sqrt(subsets)` for the standard error of
  /// the mean).
  public var standardDeviation: Double
  /// The subsets averaged.
  public var subsets: Int
  /// Rows drawn from each set for each subset (without replacement within a subset).
  public var subsetSize: Int

  /// The standard error of ``mean``.
  public var standardError: Double { standardDeviation / Double(max(subsets, 1)).squareRoot() }

  public var description: String {
    "KID \(formatFixed(mean, digits: 5)) +- \(formatFixed(standardError, digits: 5)) (\(subsets) subsets of \(subsetSize))"
  }
}

/// The kernel distance between `real` and `generated` feature sets (`[N, F]` and `[M, F]`, or
/// image sets viewed as rows of pixels).
///
/// - Parameters:
///   - real: the reference features.
///   - generated: the samples' features, of the same width.
///   - subsets: how many random subset pairs are averaged (100 in Bińkowski et al.).
///   - subsetSize: rows per subset from each set (1,000 in Bińkowski et al.); at most the smaller
///     set's size, and at least 2.
///   - seed: chooses the subsets (the same seed, the same value).
/// - Throws: `GenerativeKitError` when a set has fewer than `subsetSize` rows or fewer than 2, the
///   widths differ, or `subsets` is below 1.
public func kernelDistance(
  _ real: Tensor, _ generated: Tensor, subsets: Int = 100, subsetSize: Int = 1_000, seed: UInt64 = 0
) throws -> KernelDistance {
  let function = "kernelDistance"
  let x = try FeatureMatrix.rows(real, argument: "real", function: function, minimumRows: 2)
  let y = try FeatureMatrix.rows(generated, argument: "generated", function: function, minimumRows: 2)
  try FeatureMatrix.checkSameWidth(x, y, names: ("real", "generated"), originals: (real, generated), function: function)
  guard subsets >= 1 else { throw GenerativeKitError.invalidArgument("\(function): subsets must be at least 1, got \(subsets)") }
  let available = min(x.shape[0], y.shape[0])
  guard (2...available).contains(subsetSize) else {
    throw GenerativeKitError.invalidArgument(
      "\(function): subsetSize must be between 2 and the smaller set's \(available) rows, got \(subsetSize)")
  }
  var random = SeededGenerator(seed: seed)
  var estimates: [Double] = []
  for _ in 0..<subsets {
    let a = subsetRows(x, count: subsetSize, using: &random)
    let b = subsetRows(y, count: subsetSize, using: &random)
    estimates.append(unbiasedSquaredMMD(a, b, width: x.shape[1], count: subsetSize))
  }
  let mean = estimates.reduce(0, +) / Double(subsets)
  let variance = estimates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(subsets)
  return KernelDistance(mean: mean, standardDeviation: variance.squareRoot(), subsets: subsets, subsetSize: subsetSize)
}

/// `count` distinct rows of `matrix` `[N, D]` chosen with a partial Fisher-Yates shuffle, as Double.
private func subsetRows(_ matrix: Tensor, count: Int, using random: inout SeededGenerator) -> [Double] {
  let (rows, width) = (matrix.shape[0], matrix.shape[1])
  var order = Array(0..<rows)
  for i in 0..<count {
    let j = i + Int(random.next() % UInt64(rows - i))
    order.swapAt(i, j)
  }
  let source = matrix.pointer
  var result = [Double](repeating: 0, count: count * width)
  for (r, row) in order.prefix(count).enumerated() {
    for t in 0..<width { result[r * width + t] = Double(source[row * width + t]) }
  }
  return result
}

/// The unbiased MMD^2 of two `[count, width]` row sets with `k(x, y) = (x . y / width + 1)^3`: the
/// within-set kernel means without their diagonals, minus twice the cross-set mean.
func unbiasedSquaredMMD(_ a: [Double], _ b: [Double], width: Int, count m: Int) -> Double {
  func kernelSum(_ p: [Double], _ q: [Double], skippingDiagonal: Bool) -> Double {
    var gram = [Double](repeating: 0, count: m * m)
    p.withUnsafeBufferPointer { pp in
      q.withUnsafeBufferPointer { qq in
        gram.withUnsafeMutableBufferPointer { g in
          BLAS.dgemm(transposeB: true, m: m, n: m, k: width, alpha: 1 / Double(width),
                     a: pp.baseAddress!, b: qq.baseAddress!, c: g.baseAddress!)
        }
      }
    }
    var total = 0.0
    for i in 0..<m {
      for j in 0..<m where !(skippingDiagonal && i == j) {
        let base = gram[i * m + j] + 1
        total += base * base * base
      }
    }
    return total
  }
  let pairs = Double(m * (m - 1))
  return kernelSum(a, a, skippingDiagonal: true) / pairs + kernelSum(b, b, skippingDiagonal: true) / pairs
    - 2 * kernelSum(a, b, skippingDiagonal: false) / Double(m * m)
}
