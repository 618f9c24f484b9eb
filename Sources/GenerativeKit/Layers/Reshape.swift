/// Views each item of the batch with a new shape (no copy): `[N, ...] -> [N] + shape`.
///
/// The generator's `Reshape([256, 7, 7])` turns `[N, 12544]` into `[N, 256, 7, 7]`.
public final class Reshape: Layer {
  /// The per-item output shape (without the batch dimension).
  public let shape: [Int]
  public var isTraining = true
  private var inputShape: [Int]?

  /// A reshape of every item to `shape` (positive sizes whose product is the item's size).
  public init(_ shape: [Int]) {
    enforce(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "Reshape: shape must be positive, got \(shape)")
    self.shape = shape
  }

  public var description: String { "Reshape(\(Tensor.describe(shape: shape)))" }

  public func outputShape(forInputShape inputShape: [Int]) throws -> [Int] {
    let itemCount = shape.reduce(1, *)
    guard let batch = inputShape.first, inputShape.dropFirst().reduce(1, *) == itemCount else {
      throw GenerativeKitError.shapeMismatch(
        context: description, expected: "[N, ...] with \(itemCount) elements per item", actual: inputShape)
    }
    return [batch] + shape
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    let target = try outputShape(forInputShape: input.shape)
    inputShape = input.shape
    return input.reshaped(target)
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let inputShape else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape([inputShape[0]] + shape, context: description + " backward")
    return outputGradient.reshaped(inputShape)
  }
}

/// Flattens each item of the batch: `[N, d1, d2, ...] -> [N, d1 * d2 * ...]` (PyTorch's `nn.Flatten`).
public final class Flatten: Layer {
  public var isTraining = true
  private var inputShape: [Int]?

  /// A flatten layer: `[N, ...]` to `[N, product of the rest]`.
  public init() {}
  public var description: String { "Flatten" }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    guard shape.count >= 2 else {
      throw GenerativeKitError.shapeMismatch(context: description, expected: "[N, d1, ...]", actual: shape)
    }
    return [shape[0], shape.dropFirst().reduce(1, *)]
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    let target = try outputShape(forInputShape: input.shape)
    inputShape = input.shape
    return input.reshaped(target)
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let inputShape else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape(try outputShape(forInputShape: inputShape).map { $0 }, context: description + " backward")
    return outputGradient.reshaped(inputShape)
  }
}
