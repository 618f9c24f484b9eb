import GenerativeKit

/// Improved precision and recall of a generated distribution (Kynkaanniemi et al. 2019).
public struct PrecisionRecall: Sendable, Equatable {
  /// The fraction of generated samples inside the real manifold: quality.
  public var precision: Double
  /// The fraction of real samples inside the generated manifold: coverage.
  public var recall: Double
  /// The neighbour count that set the radii.
  public var k: Int
}

/// Precision and recall of `generated` against `real`, in a feature space (`[N, F]`, for example
/// ``DigitClassifier/features(_:batchSize:)``) or pixel space (`[N, C, H, W]`, flattened).
///
/// Each set's manifold is the union of balls around its samples, each ball reaching the sample's
/// k-th nearest neighbour within the same set (the sample itself excluded). Precision is the
/// fraction of generated samples inside the real manifold (within the radius of at least one real
/// sample), recall the fraction of real samples inside the generated manifold. The paper uses
/// k = 3 and equal set sizes (50,000 each; 10,000 is common for MNIST).
///
/// All distances come from blocked GEMMs (`PairwiseDistances`) in Float32; a point counts as
/// inside a ball when its squared distance is at most the squared radius plus a rounding slack of
/// `1e-5 (|x|^2 + |y|^2)`, so a sample whose copy is in the other set is always inside.
///
/// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if a set has fewer than
///   k + 1 samples; `GenerativeKitError/invalidArgument(_:)` if the feature sizes differ or k < 1.
public func precisionRecall(real: Tensor, generated: Tensor, k: Int = 3) throws -> PrecisionRecall {
  let function = "precisionRecall"
  guard k >= 1 else { throw GenerativeKitError.invalidArgument("\(function): k must be at least 1, got \(k)") }
  let r = try FeatureMatrix.rows(real, argument: "real", function: function, minimumRows: k + 1)
  let g = try FeatureMatrix.rows(generated, argument: "generated", function: function, minimumRows: k + 1)
  try FeatureMatrix.checkSameWidth(r, g, names: ("real", "generated"), originals: (real, generated), function: function)
  let realRadii = kNearestNeighborRadii(r, k: k)
  let generatedRadii = kNearestNeighborRadii(g, k: k)
  let precision = fractionInsideManifold(points: g, manifold: r, radii: realRadii)
  let recall = fractionInsideManifold(points: r, manifold: g, radii: generatedRadii)
  return PrecisionRecall(precision: precision, recall: recall, k: k)
}

/// The squared distance from each row of `[N, D]` to its k-th nearest other row.
///
/// - Precondition: N > k.
func kNearestNeighborRadii(_ points: Tensor, k: Int) -> [Float] {
  let n = points.shape[0]
  enforce(n > k, "kNearestNeighborRadii: \(n) points cannot have \(k) neighbours each")
  var radii = [Float](repeating: 0, count: n)
  radii.withUnsafeMutableBufferPointer { out in
    let target = out.baseAddress!
    PairwiseDistances(queries: points, references: points).forEachBlock { rows, d in
      Threading.parallelRanges(rows.count, costPerItem: n) { part in
        // The k smallest distances so far, ascending.
        var nearest = [Float](repeating: .infinity, count: k)
        for i in part {
          for t in 0..<k { nearest[t] = .infinity }
          let row = d + i * n
          let own = rows.lowerBound + i
          for j in 0..<n where j != own && row[j] < nearest[k - 1] {
            var t = k - 1
            while t > 0 && nearest[t - 1] > row[j] {
              nearest[t] = nearest[t - 1]
              t -= 1
            }
            nearest[t] = row[j]
          }
          target[own] = nearest[k - 1]
        }
      }
    }
  }
  return radii
}

/// The fraction of rows of `points` within the ball (squared radius `radii[j]`) of at least one row
/// `j` of `manifold`.
func fractionInsideManifold(points: Tensor, manifold: Tensor, radii: [Float]) -> Double {
  let (n, m) = (points.shape[0], manifold.shape[0])
  let pointNorms = FeatureMatrix.squaredRowNorms(points)
  let manifoldNorms = FeatureMatrix.squaredRowNorms(manifold)
  var inside = [Bool](repeating: false, count: n)
  inside.withUnsafeMutableBufferPointer { out in
    let flags = out.baseAddress!
    pointNorms.withUnsafeBufferPointer { pn in
      manifoldNorms.withUnsafeBufferPointer { mn in
        radii.withUnsafeBufferPointer { rb in
          let (p, q, radius) = (pn.baseAddress!, mn.baseAddress!, rb.baseAddress!)
          PairwiseDistances(queries: points, references: manifold).forEachBlock { rows, d in
            Threading.parallelRanges(rows.count, costPerItem: m) { part in
              for i in part {
                let row = d + i * m
                let pi = p[rows.lowerBound + i]
                var found = false
                for j in 0..<m where row[j] <= radius[j] + 1e-5 * (pi + q[j]) {
                  found = true
                  break
                }
                flags[rows.lowerBound + i] = found
              }
            }
          }
        }
      }
    }
  }
  return Double(inside.filter { $0 }.count) / Double(n)
}
