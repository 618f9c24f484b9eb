import GenerativeKit

/// Squared Euclidean distances between the rows of two matrices, a block of query rows at a time,
/// through one GEMM per block: `|q - r|^2 = |q|^2 + |r|^2 - 2 q . r`.
///
/// Queries are `[Nq, D]`, references `[Nr, D]`. Each block is a row-major `[rows, Nr]` matrix of
/// Float32 distances, clamped at zero (rounding can make `|q|^2 + |r|^2 - 2 q . r` slightly
/// negative for near-identical rows); its absolute error is about `1e-7 * (|q|^2 + |r|^2)`.
/// Callers that need an exact value for a chosen pair recompute it with
/// ``FeatureMatrix/exactSquaredDistance(_:_:_:_:)``.
struct PairwiseDistances {
  let queries: Tensor
  let references: Tensor
  /// Query rows per block, chosen so a block holds about `blockElements` distances.
  let rowsPerBlock: Int

  private let queryNorms: [Float]
  private let referenceNorms: [Float]

  /// About 16 MB of Float32 distances per block.
  static let blockElements = 4 << 20

  init(queries: Tensor, references: Tensor, blockElements: Int = PairwiseDistances.blockElements) {
    enforce(queries.rank == 2 && references.rank == 2 && queries.shape[1] == references.shape[1],
                 "PairwiseDistances: \(queries.shapeDescription) and \(references.shapeDescription) are not [N, D] with one D")
    self.queries = queries
    self.references = references
    rowsPerBlock = max(1, min(queries.shape[0], blockElements / max(1, references.shape[0])))
    queryNorms = FeatureMatrix.squaredRowNorms(queries)
    referenceNorms = queries.storage === references.storage ? queryNorms : FeatureMatrix.squaredRowNorms(references)
  }

  /// Calls `body(rows, distances)` for consecutive blocks of query rows; `distances` is the
  /// `[rows.count, Nr]` block, valid only during the call.
  func forEachBlock(_ body: (Range<Int>, UnsafePointer<Float>) throws -> Void) rethrows {
    let (count, width, referenceCount) = (queries.shape[0], queries.shape[1], references.shape[0])
    guard count > 0, referenceCount > 0 else { return }
    let block = TensorStorage(capacity: rowsPerBlock * referenceCount)
    var start = 0
    while start < count {
      let rows = start..<min(count, start + rowsPerBlock)
      let d = block.pointer
      // D[rows, Nr] = -2 Q[rows, D] x R^T[D, Nr]
      BLAS.sgemm(transposeB: true, m: rows.count, n: referenceCount, k: width, alpha: -2,
                 a: queries.pointer + rows.lowerBound * width, b: references.pointer, c: d)
      queryNorms.withUnsafeBufferPointer { qn in
        referenceNorms.withUnsafeBufferPointer { rn in
          let (q, r) = (qn.baseAddress!, rn.baseAddress!)
          Threading.parallelRanges(rows.count, costPerItem: referenceCount) { part in
            for i in part {
              let row = d + i * referenceCount
              let qi = q[rows.lowerBound + i]
              for j in 0..<referenceCount { row[j] = max(0, row[j] + qi + r[j]) }
            }
          }
        }
      }
      try body(rows, UnsafePointer(d))
      start = rows.upperBound
    }
  }
}
