#if canImport(Glibc)
  import Glibc
#endif

/// Softmax cross-entropy on logits with integer class labels (PyTorch's `CrossEntropyLoss`, Keras's
/// `SparseCategoricalCrossentropy(from_logits=True)`).
///
/// Per row: `loss = logsumexp(z) - z[label]`, computed as `log(sum exp(z - max z)) + max z - z[label]`
/// in Double, so no exponent is ever positive and logits of ±1000 stay exact. The gradient is
/// `softmax(z) - onehot(label)`, divided by the reduction's divisor.
///
/// - Parameters:
///   - logits: `[N, K]`, one row of class scores per item.
///   - labels: `N` class indices in `0..<K`.
///   - reduction: ``Reduction/mean`` (the default) and ``Reduction/sumPerItemMeanOverBatch``
///     both average over the N rows; ``Reduction/sum`` sums them.
/// - Throws: ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` if `logits` is not a
///   matrix; ``GenerativeKitError/invalidArgument(_:)`` naming the label count or the first label
///   that is out of range.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int], reduction: Reduction = .mean) throws -> LossResult {
  guard logits.rank == 2 else {
    throw GenerativeKitError.shapeMismatch(context: "softmaxCrossEntropy: logits", expected: "[N, K]", actual: logits.shape)
  }
  let (rows, classes) = (logits.shape[0], logits.shape[1])
  guard labels.count == rows else {
    throw GenerativeKitError.invalidArgument(
      "softmaxCrossEntropy: \(labels.count) labels for logits of shape \(logits.shapeDescription) (need \(rows))")
  }
  if let bad = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
    throw GenerativeKitError.invalidArgument(
      "softmaxCrossEntropy: label \(labels[bad]) at index \(bad) is outside 0..<\(classes) "
        + "(logits \(logits.shapeDescription))")
  }
  // Every reduction except `.sum` is a mean over rows here: a row is one item.
  let divisor = reduction == .sum ? 1.0 : Double(max(rows, 1))
  let gradient = Tensor(uninitializedShape: logits.shape)
  let (z, g) = (logits.pointer, gradient.storage.pointer)
  var total = 0.0
  for row in 0..<rows {
    let zRow = z + row * classes
    let gRow = g + row * classes
    var largest = -Float.infinity
    for j in 0..<classes { largest = max(largest, zRow[j]) }
    var sum = 0.0
    for j in 0..<classes {
      let e = exp(Double(zRow[j] - largest))
      gRow[j] = Float(e)
      sum += e
    }
    let label = labels[row]
    total += log(sum) + Double(largest) - Double(zRow[label])
    let scale = 1 / (sum * divisor)
    for j in 0..<classes { gRow[j] = Float(Double(gRow[j]) * scale) }
    gRow[label] -= Float(1 / divisor)
  }
  return LossResult(value: Float(total / divisor), gradient: gradient)
}

/// The row-wise softmax of `[N, K]` logits: probabilities `[N, K]`, each row summing to 1,
/// computed as `exp(z - max z) / sum exp(z - max z)` so it never overflows.
///
/// - Throws: ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` if `logits` is not a matrix.
public func softmax(logits: Tensor) throws -> Tensor {
  guard logits.rank == 2 else {
    throw GenerativeKitError.shapeMismatch(context: "softmax: logits", expected: "[N, K]", actual: logits.shape)
  }
  let (rows, classes) = (logits.shape[0], logits.shape[1])
  let result = Tensor(uninitializedShape: logits.shape)
  let (z, p) = (logits.pointer, result.storage.pointer)
  for row in 0..<rows {
    let (zRow, pRow) = (z + row * classes, p + row * classes)
    var largest = -Float.infinity
    for j in 0..<classes { largest = max(largest, zRow[j]) }
    var sum = 0.0
    for j in 0..<classes { sum += exp(Double(zRow[j] - largest)) }
    for j in 0..<classes { pRow[j] = Float(exp(Double(zRow[j] - largest)) / sum) }
  }
  return result
}
