import GenerativeKit

extension Tensor {
  /// The largest `|self - other|` over all entries, or nil when the shapes differ.
  public func maximumAbsoluteDifference(to other: Tensor) -> Float? {
    guard shape == other.shape else { return nil }
    var worst: Float = 0
    withUnsafeBufferPointer { a in
      other.withUnsafeBufferPointer { b in
        for i in a.indices { worst = Swift.max(worst, abs(a[i] - b[i])) }
      }
    }
    return worst
  }

  /// Whether `other` has the same shape and every entry satisfies
  /// `|self - other| <= absoluteTolerance + relativeTolerance * |other|` (NumPy's `allclose`);
  /// a NaN anywhere makes the tensors differ.
  public func isClose(to other: Tensor, absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-4) -> Bool {
    guard shape == other.shape else { return false }
    return withUnsafeBufferPointer { a in
      other.withUnsafeBufferPointer { b in
        a.indices.allSatisfy { abs(a[$0] - b[$0]) <= absoluteTolerance + relativeTolerance * abs(b[$0]) }
      }
    }
  }
}
