/// Squared error `(prediction - target)^2`, reduced as asked.
///
/// The report's VAE uses ``Reduction/sumPerItemMeanOverBatch`` (sum over pixels, mean over images);
/// PyTorch's `MSELoss()` default is ``Reduction/mean``. The gradient is `2 (prediction - target) / divisor`.
public func meanSquaredError(prediction: Tensor, target: Tensor, reduction: Reduction = .mean) throws -> LossResult {
  try checkSameShape(prediction, target, loss: "meanSquaredError")
  let divisor = reduction.divisor(for: prediction.shape)
  let gradient = Tensor(uninitializedShape: prediction.shape)
  let (p, t, g) = (prediction.pointer, target.pointer, gradient.storage.pointer)
  var total = 0.0
  for i in 0..<prediction.count {
    let d = p[i] - t[i]
    total += Double(d * d)
    g[i] = 2 * d / divisor
  }
  return LossResult(value: Float(total / Double(divisor)), gradient: gradient)
}
