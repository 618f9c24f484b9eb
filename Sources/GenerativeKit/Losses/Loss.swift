/// A loss value with its gradient with respect to the prediction, ready for `backward`.
public struct LossResult {
  /// The reduced loss.
  public var value: Float
  /// d(value)/d(prediction), shaped like the prediction.
  public var gradient: Tensor

  /// A loss of your own: its reduced `value` and its gradient with respect to the prediction.
  public init(value: Float, gradient: Tensor) {
    self.value = value
    self.gradient = gradient
  }
}

/// How per-element losses are combined into one number.
public enum Reduction: Sendable, Equatable {
  /// The mean over every element (PyTorch's `reduction='mean'`).
  case mean
  /// The sum over every element (PyTorch's `reduction='sum'`).
  case sum
  /// The sum over each item's elements, then the mean over the batch (first dimension): the VAE's
  /// reconstruction term, a per-image log-likelihood averaged over images.
  case sumPerItemMeanOverBatch

  /// The divisor applied to the summed loss for `shape`.
  func divisor(for shape: [Int]) -> Float {
    switch self {
    case .mean: return Float(max(1, shape.reduce(1, *)))
    case .sum: return 1
    case .sumPerItemMeanOverBatch: return Float(max(1, shape.first ?? 1))
    }
  }
}

func checkSameShape(_ prediction: Tensor, _ target: Tensor, loss: String) throws {
  guard prediction.shape == target.shape else {
    throw GenerativeKitError.shapeMismatch(
      context: "\(loss): target", expected: prediction.shapeDescription, actual: target.shape)
  }
}
