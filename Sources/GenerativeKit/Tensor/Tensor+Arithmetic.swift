extension Tensor {
  /// Applies `transform` to every element.
  public func map(_ transform: (Float) -> Float) -> Tensor {
    let result = Tensor(uninitializedShape: shape)
    let (source, target) = (pointer, result.storage.pointer)
    for i in 0..<count { target[i] = transform(source[i]) }
    return result
  }

  /// Combines two tensors of the same shape element by element.
  public func zipWith(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
    enforce(shape == other.shape, "elementwise op: shapes \(shapeDescription) and \(other.shapeDescription) differ")
    let result = Tensor(uninitializedShape: shape)
    let (a, b, target) = (pointer, other.pointer, result.storage.pointer)
    for i in 0..<count { target[i] = combine(a[i], b[i]) }
    return result
  }

  /// Element-wise sum of two tensors of the same shape.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipWith(rhs, +) }
  /// Element-wise difference of two tensors of the same shape.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipWith(rhs, -) }
  /// Element-wise (Hadamard) product.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipWith(rhs, *) }
  /// Every element times a scalar.
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
  /// A scalar times every element.
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
  /// A scalar added to every element.
  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }

  /// Adds a tensor of the same shape in place (stops with both shapes named when they differ).
  public static func += (lhs: inout Tensor, rhs: Tensor) {
    enforce(lhs.shape == rhs.shape, "+=: shapes \(lhs.shapeDescription) and \(rhs.shapeDescription) differ")
    let source = rhs.pointer
    let target = lhs.mutablePointer()
    for i in 0..<lhs.count { target[i] += source[i] }
  }

  /// The sum of all elements, accumulated in Double.
  public func sum() -> Float {
    var total = 0.0
    for i in 0..<count { total += Double(pointer[i]) }
    return Float(total)
  }

  /// The mean of all elements, accumulated in Double.
  public func mean() -> Float { count == 0 ? 0 : Float(Double(sum()) / Double(count)) }

  /// The smallest element (nil for an empty tensor).
  public func min() -> Float? { withUnsafeBufferPointer { $0.min() } }

  /// The largest element (nil for an empty tensor).
  public func max() -> Float? { withUnsafeBufferPointer { $0.max() } }

  /// Whether every element is finite (no NaN or infinity).
  public var isFinite: Bool { withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) } }

  /// The largest absolute element-wise difference from a tensor of the same shape.
  public func maxAbsoluteDifference(to other: Tensor) -> Float {
    enforce(shape == other.shape, "maxAbsoluteDifference: shapes \(shapeDescription) and \(other.shapeDescription) differ")
    var worst: Float = 0
    for i in 0..<count { worst = Swift.max(worst, abs(pointer[i] - other.pointer[i])) }
    return worst
  }

  /// Whether every element is within `absoluteTolerance + relativeTolerance * |other|` of `other`'s.
  public func isApproximatelyEqual(
    to other: Tensor, absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-4
  ) -> Bool {
    guard shape == other.shape else { return false }
    for i in 0..<count {
      let (a, b) = (pointer[i], other.pointer[i])
      if !(abs(a - b) <= absoluteTolerance + relativeTolerance * abs(b)) { return false }
    }
    return true
  }

  /// Images `start..<end` of a batch (the first dimension), copied.
  public func slice(batch range: Range<Int>) -> Tensor {
    enforce(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                 "slice: range \(range) outside the batch of \(shapeDescription)")
    let itemSize = shape[0] == 0 ? 0 : count / shape[0]
    let result = Tensor(uninitializedShape: [range.count] + shape.dropFirst())
    result.storage.pointer.update(from: pointer + range.lowerBound * itemSize, count: range.count * itemSize)
    return result
  }

  /// Concatenates tensors along the first dimension; all other dimensions must agree.
  public static func concatenate(batches parts: [Tensor]) -> Tensor {
    enforce(!parts.isEmpty, "concatenate: no tensors given")
    let tail = Array(parts[0].shape.dropFirst())
    for part in parts {
      enforce(Array(part.shape.dropFirst()) == tail,
                   "concatenate: \(part.shapeDescription) does not match [N, \(tail.map(String.init).joined(separator: ", "))]")
    }
    let result = Tensor(uninitializedShape: [parts.reduce(0) { $0 + $1.shape[0] }] + tail)
    var target = result.storage.pointer
    for part in parts {
      target.update(from: part.pointer, count: part.count)
      target += part.count
    }
    return result
  }
}
