import GenerativeKit
import GenerativeKitData

/// For each generated sample, its closest training image: the check that a generator has not
/// memorised (copied) its training set.
public struct NearestNeighbors: Sendable, Equatable {
  /// `indices[i]`: the index in the training set of sample `i`'s nearest image.
  public var indices: [Int]
  /// `distances[i]`: the Euclidean (L2) distance in pixel space from sample `i` to that image.
  public var distances: [Double]
}

/// The nearest training image (L2 in pixel space) of every sample.
///
/// Candidates come from blocked Float32 GEMMs (`PairwiseDistances`); the reported distance of
/// the winner is then recomputed exactly in Float64, so a sample that is a copy of a training
/// image gets distance 0. Ties go to the lowest index.
///
/// - Parameters:
///   - samples: `[N, C, H, W]` (or `[N, D]`).
///   - training: `[M, C, H, W]` with the same image shape, in the same pixel range.
/// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` for an empty set;
///   `GenerativeKitError/invalidArgument(_:)` if the image shapes differ.
public func nearestNeighbors(of samples: Tensor, in training: Tensor) throws -> NearestNeighbors {
  let function = "nearestNeighbors"
  let x = try FeatureMatrix.rows(samples, argument: "samples", function: function)
  let t = try FeatureMatrix.rows(training, argument: "training", function: function)
  guard samples.shape.dropFirst() == training.shape.dropFirst() else {
    throw GenerativeKitError.invalidArgument(
      "\(function): samples \(samples.shapeDescription) and training \(training.shapeDescription) have different image shapes")
  }
  let (n, m) = (x.shape[0], t.shape[0])
  var indices = [Int](repeating: 0, count: n)
  indices.withUnsafeMutableBufferPointer { out in
    let target = out.baseAddress!
    PairwiseDistances(queries: x, references: t).forEachBlock { rows, d in
      Threading.parallelRanges(rows.count, costPerItem: m) { part in
        for i in part {
          let row = d + i * m
          var best = 0
          for j in 1..<max(m, 1) where row[j] < row[best] { best = j }
          target[rows.lowerBound + i] = best
        }
      }
    }
  }
  let distances = (0..<n).map { FeatureMatrix.exactSquaredDistance(x, $0, t, indices[$0]).squareRoot() }
  return NearestNeighbors(indices: indices, distances: distances)
}

/// Pairs each sample with its nearest training image for a picture: `[2N, C, H, W]` in the order
/// sample 0, its neighbour, sample 1, its neighbour, ... Rendered with an even number of columns
/// (`ImageGrid` with `.fixed(2)` for one pair per row), each sample sits left of its neighbour.
///
/// - Parameters:
///   - samples: `[N, C, H, W]`.
///   - training: `[M, C, H, W]`, the set `neighbors` indexes into.
///   - neighbors: from ``nearestNeighbors(of:in:)`` for these samples.
/// - Throws: `GenerativeKitError/invalidArgument(_:)` if the shapes or the neighbour count
///   disagree, or an index is outside the training set.
public func nearestNeighborPanel(samples: Tensor, training: Tensor, neighbors: NearestNeighbors) throws -> Tensor {
  let function = "nearestNeighborPanel"
  guard samples.rank == 4, training.rank == 4, samples.shape.dropFirst() == training.shape.dropFirst() else {
    throw GenerativeKitError.invalidArgument(
      "\(function): samples \(samples.shapeDescription) and training \(training.shapeDescription) must be "
        + "[N, C, H, W] and [M, C, H, W] with the same image shape")
  }
  let n = samples.shape[0]
  guard neighbors.indices.count == n else {
    throw GenerativeKitError.invalidArgument(
      "\(function): \(neighbors.indices.count) neighbour indices for \(n) samples \(samples.shapeDescription)")
  }
  if let bad = neighbors.indices.firstIndex(where: { !(0..<training.shape[0]).contains($0) }) {
    throw GenerativeKitError.invalidArgument(
      "\(function): neighbour index \(neighbors.indices[bad]) of sample \(bad) is outside training \(training.shapeDescription)")
  }
  let size = samples.count / max(n, 1)
  var panel = Tensor(shape: [2 * n] + samples.shape.dropFirst())
  let target = panel.mutablePointer()
  for i in 0..<n {
    (target + 2 * i * size).update(from: samples.pointer + i * size, count: size)
    (target + (2 * i + 1) * size).update(from: training.pointer + neighbors.indices[i] * size, count: size)
  }
  return panel
}
