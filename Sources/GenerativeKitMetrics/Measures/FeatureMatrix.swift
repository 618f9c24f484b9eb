import GenerativeKit

/// Argument checks and small reductions shared by the metrics.
///
/// Metrics take feature sets `[N, F]` or image sets `[N, C, H, W]`; image sets are viewed as rows
/// of `C * H * W` pixels (no copy).
enum FeatureMatrix {
  /// `tensor` viewed as `[N, D]` (rank 2 as is, higher ranks flattened after the first
  /// dimension), with at least `minimumRows` rows and one column.
  ///
  /// - Throws: ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` naming `function`
  ///   and `argument` when the rank is below 2, or too few rows or no columns.
  static func rows(
    _ tensor: Tensor, argument: String, function: String, minimumRows: Int = 1
  ) throws -> Tensor {
    guard tensor.rank >= 2, tensor.shape[0] >= minimumRows, tensor.shape.dropFirst().allSatisfy({ $0 > 0 }) else {
      let expected = minimumRows > 1 ? "[N, F] or [N, C, H, W] with N >= \(minimumRows)" : "[N, F] or [N, C, H, W]"
      throw GenerativeKitError.shapeMismatch(context: "\(function): \(argument)", expected: expected, actual: tensor.shape)
    }
    let width = tensor.shape.dropFirst().reduce(1, *)
    return tensor.rank == 2 ? tensor : tensor.reshaped([tensor.shape[0], width])
  }

  /// Throws unless two row sets have the same width.
  static func checkSameWidth(
    _ a: Tensor, _ b: Tensor, names: (String, String), originals: (Tensor, Tensor), function: String
  ) throws {
    guard a.shape[1] == b.shape[1] else {
      throw GenerativeKitError.invalidArgument(
        "\(function): \(names.0) \(originals.0.shapeDescription) and \(names.1) \(originals.1.shapeDescription) "
          + "have different feature sizes (\(a.shape[1]) and \(b.shape[1]))")
    }
  }

  /// The squared Euclidean norm of every row of `[N, D]`, summed in Double.
  static func squaredRowNorms(_ matrix: Tensor) -> [Float] {
    let (rows, width) = (matrix.shape[0], matrix.shape[1])
    let x = matrix.pointer
    var norms = [Float](repeating: 0, count: rows)
    norms.withUnsafeMutableBufferPointer { out in
      let target = out.baseAddress!
      Threading.parallelRanges(rows, costPerItem: width) { range in
        for row in range {
          var sum = 0.0
          let r = x + row * width
          for j in 0..<width { sum += Double(r[j]) * Double(r[j]) }
          target[row] = Float(sum)
        }
      }
    }
    return norms
  }

  /// The exact squared distance between row `i` of `a` and row `j` of `b` (both `[*, D]`), in Double.
  static func exactSquaredDistance(_ a: Tensor, _ i: Int, _ b: Tensor, _ j: Int) -> Double {
    let width = a.shape[1]
    let (x, y) = (a.pointer + i * width, b.pointer + j * width)
    var sum = 0.0
    for t in 0..<width {
      let d = Double(x[t]) - Double(y[t])
      sum += d * d
    }
    return sum
  }
}

/// Mean and standard error of the mean of per-item values (the spread of a Monte Carlo or
/// per-image estimate), accumulated in Double.
func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
  guard !values.isEmpty else { return (.nan, .nan) }
  let n = Double(values.count)
  let mean = values.reduce(0, +) / n
  guard values.count > 1 else { return (mean, 0) }
  let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
  // The population standard deviation over sqrt(n): the protocol of Goodfellow et al.'s Parzen code
  // (`ll.std() / sqrt(n)`), which the published +- figures use.
  return (mean, (variance / n).squareRoot())
}

/// `log(sum exp(values))` in Double, stable for any magnitudes; `-infinity` for an empty list.
func logSumExp(_ values: UnsafeBufferPointer<Double>) -> Double {
  guard let largest = values.max(), largest > -.infinity else { return -.infinity }
  if largest == .infinity { return .infinity }
  var sum = 0.0
  for v in values { sum += exp(v - largest) }
  return largest + log(sum)
}

#if canImport(Glibc)
  import Glibc
#endif
