/// Binary cross-entropy on logits (PyTorch's `BCEWithLogitsLoss`, Keras's
/// `BinaryCrossentropy(from_logits=True)`): `max(z, 0) - z * t + log(1 + exp(-|z|))` per element.
///
/// That form never exponentiates a positive number, so logits of ±1000 give exact, finite losses
/// and gradients. The gradient is `sigmoid(z) - t` divided by the reduction's divisor.
///
/// - Parameters:
///   - logits: any shape, typically `[N, 1]` from a discriminator.
///   - targets: the same shape, values in [0, 1].
///   - reduction: the mean over all elements (default), their sum, or per-image sums averaged
///     over the batch (``Reduction``).
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = .mean) throws -> LossResult {
  try checkSameShape(logits, targets, loss: "binaryCrossEntropy")
  let divisor = reduction.divisor(for: logits.shape)
  let gradient = Tensor(uninitializedShape: logits.shape)
  let (z, t, g) = (logits.pointer, targets.pointer, gradient.storage.pointer)
  var total = 0.0
  for i in 0..<logits.count {
    let loss = max(z[i], 0) - z[i] * t[i] + log1pf(expf(-abs(z[i])))
    total += Double(loss)
    g[i] = (stableSigmoid(z[i]) - t[i]) / divisor
  }
  return LossResult(value: Float(total / Double(divisor)), gradient: gradient)
}

/// Binary cross-entropy on logits against one constant target (1 for "real", 0 for "fake").
public func binaryCrossEntropy(logits: Tensor, target: Float, reduction: Reduction = .mean) throws -> LossResult {
  try binaryCrossEntropy(logits: logits, targets: Tensor(shape: logits.shape, repeating: target), reduction: reduction)
}

#if canImport(Glibc)
  import Glibc
#endif
