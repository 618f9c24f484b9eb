/// Element-wise activations. Each keeps what its derivative needs from the last training-mode
/// forward pass. Any input shape is accepted and returned unchanged.

/// `max(0, x)`.
public final class ReLU: Layer {
  public var isTraining = true
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private var cachedOutput: Tensor?

  /// A ReLU layer (no parameters).
  public init() {}
  public var description: String { "ReLU" }
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  public func releaseBackwardState() { cachedOutput = nil }

  public func forward(_ input: Tensor) throws -> Tensor {
    let output = elementwise(input, pool: outputs) { x, y, range in for i in range { y[i] = max(x[i], 0) } }
    cachedOutput = isTraining ? output : nil
    return output
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let output = cachedOutput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return try elementwiseGradient(outputGradient, output, layer: self, pool: inputGradients) { dy, y, dx, range in
      SignSelect.keepWherePositive(dy + range.lowerBound, sign: y + range.lowerBound, into: dx + range.lowerBound,
                                   count: range.count)
    }
  }
}

/// `x` for `x >= 0`, `slope * x` otherwise: PyTorch's `nn.LeakyReLU(negative_slope)`, default 0.01.
/// Keras's `LeakyReLU()` defaults to 0.3 (the report's models pass it); DCGAN practice uses 0.2.
public final class LeakyReLU: Layer {
  /// The factor applied to negative inputs.
  public let slope: Float
  public var isTraining = true
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private var cachedInput: Tensor?

  /// `slope` defaults to PyTorch's 0.01 (Keras's default is 0.3).
  public init(slope: Float = 0.01) { self.slope = slope }
  public var description: String { "LeakyReLU(\(slope))" }
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  public func releaseBackwardState() { cachedInput = nil }

  public func forward(_ input: Tensor) throws -> Tensor {
    let slope = self.slope
    cachedInput = isTraining ? input : nil
    return elementwise(input, pool: outputs) { x, y, range in for i in range { y[i] = x[i] >= 0 ? x[i] : slope * x[i] } }
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let input = cachedInput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    let slope = self.slope
    return try elementwiseGradient(outputGradient, input, layer: self, pool: inputGradients) { dy, x, dx, range in
      for i in range { dx[i] = x[i] >= 0 ? dy[i] : slope * dy[i] }
    }
  }
}

/// `1 / (1 + exp(-x))`, computed without overflow for large |x|.
public final class Sigmoid: Layer {
  public var isTraining = true
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private var cachedOutput: Tensor?

  /// A sigmoid layer (no parameters).
  public init() {}
  public var description: String { "Sigmoid" }
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  public func releaseBackwardState() { cachedOutput = nil }

  public func forward(_ input: Tensor) throws -> Tensor {
    let output = elementwise(input, pool: outputs) { x, y, range in for i in range { y[i] = stableSigmoid(x[i]) } }
    cachedOutput = isTraining ? output : nil
    return output
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let output = cachedOutput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return try elementwiseGradient(outputGradient, output, layer: self, pool: inputGradients) { dy, y, dx, range in
      for i in range { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    }
  }
}

/// `tanh(x)`.
public final class Tanh: Layer {
  public var isTraining = true
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private var cachedOutput: Tensor?

  /// A tanh layer (no parameters).
  public init() {}
  public var description: String { "Tanh" }
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  public func releaseBackwardState() { cachedOutput = nil }

  public func forward(_ input: Tensor) throws -> Tensor {
    let output = elementwise(input, pool: outputs) { x, y, range in for i in range { y[i] = tanhf(x[i]) } }
    cachedOutput = isTraining ? output : nil
    return output
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let output = cachedOutput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return try elementwiseGradient(outputGradient, output, layer: self, pool: inputGradients) { dy, y, dx, range in
      for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    }
  }
}

/// The logistic function without overflow: `exp` only ever sees a non-positive argument.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + expf(-x)) }
  let e = expf(x)
  return e / (1 + e)
}

/// A new tensor shaped like `input`, filled by `body(x, y, range)` over parallel ranges.
func elementwise(
  _ input: Tensor, pool: TensorPool,
  _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void
) -> Tensor {
  let output = pool.make(input.shape)
  let (x, y) = (input.pointer, output.storage.pointer)
  Threading.parallelRanges(input.count) { body(x, y, $0) }
  return output
}

/// The input gradient of an element-wise layer from the output gradient and one cached tensor.
func elementwiseGradient(
  _ outputGradient: Tensor, _ cached: Tensor, layer: any Layer, pool: TensorPool,
  _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void
) throws -> Tensor {
  try outputGradient.checkShape(cached.shape.map { $0 }, context: layer.description + " backward")
  let inputGradient = pool.make(cached.shape)
  let (dy, c, dx) = (outputGradient.pointer, cached.pointer, inputGradient.storage.pointer)
  Threading.parallelRanges(cached.count) { body(dy, c, dx, $0) }
  return inputGradient
}

#if canImport(Glibc)
  import Glibc
#endif
