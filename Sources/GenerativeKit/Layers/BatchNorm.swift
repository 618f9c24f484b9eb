/// Batch normalisation over features (`[N, F]`, PyTorch's `BatchNorm1d`) or over channels
/// (`[N, C, H, W]`, `BatchNorm2d`): `y = weight * (x - mean) / sqrt(var + epsilon) + bias`.
///
/// In training mode the mean and (biased) variance come from the batch, and the running statistics
/// move towards them. `momentum` has the **Keras** meaning:
/// `running = momentum * running + (1 - momentum) * batch` (Keras default 0.99; PyTorch's
/// `momentum=0.1` is 0.9 here). In inference mode the running statistics are used.
///
/// - Parameters: `weight` (gamma) and `bias` (beta), `[features]`; buffers `running_mean`, `running_var`.
public final class BatchNorm: Layer {
  public let features: Int
  public let momentum: Float
  public let epsilon: Float
  /// Whether the running variance is updated with the unbiased batch variance (PyTorch) rather
  /// than the biased one (Keras).
  public let unbiasedRunningVariance: Bool
  public let weight: Parameter
  public let bias: Parameter
  public let runningMean: Parameter
  public let runningVariance: Parameter
  public var isTraining = true

  private var normalized: Tensor?
  private var inverseStd: [Float] = []

  /// Keras defaults (`momentum` 0.99, `epsilon` 1e-3, biased running variance), as the report's models use.
  public init(features: Int, momentum: Float = 0.99, epsilon: Float = 1e-3, unbiasedRunningVariance: Bool = false) {
    precondition(features > 0, "BatchNorm: features must be positive, got \(features)")
    precondition((0...1).contains(momentum), "BatchNorm: momentum must be in [0, 1], got \(momentum)")
    precondition(epsilon > 0, "BatchNorm: epsilon must be positive, got \(epsilon)")
    self.features = features
    self.momentum = momentum
    self.epsilon = epsilon
    self.unbiasedRunningVariance = unbiasedRunningVariance
    weight = Parameter(Tensor(shape: [features], repeating: 1))
    bias = Parameter(Tensor(shape: [features]))
    runningMean = Parameter(Tensor(shape: [features]), isTrainable: false)
    runningVariance = Parameter(Tensor(shape: [features], repeating: 1), isTrainable: false)
  }

  /// PyTorch's defaults: `momentum=0.1` (0.9 in the Keras meaning used here), `eps=1e-5`, unbiased
  /// running variance.
  public static func pytorch(features: Int) -> BatchNorm {
    BatchNorm(features: features, momentum: 0.9, epsilon: 1e-5, unbiasedRunningVariance: true)
  }

  public var description: String { "BatchNorm(\(features), momentum \(momentum), epsilon \(epsilon))" }

  public var namedParameters: [NamedParameter] {
    [NamedParameter("weight", weight), NamedParameter("bias", bias),
     NamedParameter("running_mean", runningMean), NamedParameter("running_var", runningVariance)]
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try checkInput(shape)
    return shape
  }

  private func checkInput(_ shape: [Int]) throws {
    let pattern: [Int?] = shape.count == 4 ? [nil, features, nil, nil] : [nil, features]
    try Tensor.check(shape: shape, matches: pattern, context: description + " (input [N, F] or [N, C, H, W])")
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    try checkInput(input.shape)
    let batch = input.shape[0]
    let plane = input.rank == 4 ? input.shape[2] * input.shape[3] : 1
    let output = Tensor(uninitializedShape: input.shape)
    let (x, y) = (input.pointer, output.storage.pointer)
    let (gamma, beta) = (weight.value.pointer, bias.value.pointer)

    guard isTraining else {
      let (mean, variance) = (runningMean.value.pointer, runningVariance.value.pointer)
      forEachChannel(batch: batch, plane: plane) { c, offsets in
        let scale = gamma[c] / (variance[c] + epsilon).squareRoot()
        let shift = beta[c] - mean[c] * scale
        for (start, count) in offsets { for i in start..<(start + count) { y[i] = x[i] * scale + shift } }
      }
      normalized = nil
      return output
    }

    guard batch * plane > 1 || !unbiasedRunningVariance else {
      throw GenerativeKitError.invalidArgument(
        "\(description): training needs more than one value per channel, got input \(input.shapeDescription)")
    }
    let xhat = Tensor(uninitializedShape: input.shape)
    let xh = xhat.storage.pointer
    var batchMeans = [Float](repeating: 0, count: features)
    var batchVariances = [Float](repeating: 0, count: features)
    inverseStd = [Float](repeating: 0, count: features)
    let count = Double(batch * plane)
    batchMeans.withUnsafeMutableBufferPointer { means in
      batchVariances.withUnsafeMutableBufferPointer { variances in
        inverseStd.withUnsafeMutableBufferPointer { invStd in
          forEachChannel(batch: batch, plane: plane) { c, offsets in
            var sum = 0.0
            for (start, n) in offsets { for i in start..<(start + n) { sum += Double(x[i]) } }
            let mean = sum / count
            var squares = 0.0
            for (start, n) in offsets {
              for i in start..<(start + n) { let d = Double(x[i]) - mean; squares += d * d }
            }
            let variance = squares / count
            let inv = Float(1 / (variance + Double(epsilon)).squareRoot())
            let (m, g, b) = (Float(mean), gamma[c], beta[c])
            for (start, n) in offsets {
              for i in start..<(start + n) {
                let normal = (x[i] - m) * inv
                xh[i] = normal
                y[i] = normal * g + b
              }
            }
            means[c] = m
            variances[c] = Float(variance)
            invStd[c] = inv
          }
        }
      }
    }
    let runMean = runningMean.value.mutablePointer()
    let runVar = runningVariance.value.mutablePointer()
    let correction: Float = unbiasedRunningVariance && count > 1 ? Float(count / (count - 1)) : 1
    for c in 0..<features {
      runMean[c] = momentum * runMean[c] + (1 - momentum) * batchMeans[c]
      runVar[c] = momentum * runVar[c] + (1 - momentum) * batchVariances[c] * correction
    }
    normalized = xhat
    return output
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let xhat = normalized else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape(xhat.shape.map { $0 }, context: description + " backward")
    let batch = xhat.shape[0]
    let plane = xhat.rank == 4 ? xhat.shape[2] * xhat.shape[3] : 1
    let inputGradient = Tensor(uninitializedShape: xhat.shape)
    let (dy, xh, dx) = (outputGradient.pointer, xhat.pointer, inputGradient.storage.pointer)
    let gamma = weight.value.pointer
    let dgamma = weight.requiresGradient ? weight.gradient.mutablePointer() : nil
    let dbeta = bias.requiresGradient ? bias.gradient.mutablePointer() : nil
    let count = Float(batch * plane)
    inverseStd.withUnsafeBufferPointer { invStd in
      forEachChannel(batch: batch, plane: plane) { c, offsets in
        var sumDy = 0.0
        var sumDyXhat = 0.0
        for (start, n) in offsets {
          for i in start..<(start + n) { sumDy += Double(dy[i]); sumDyXhat += Double(dy[i] * xh[i]) }
        }
        dgamma?[c] += Float(sumDyXhat)
        dbeta?[c] += Float(sumDy)
        // dx = gamma * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
        let scale = gamma[c] * invStd[c] / count
        let (meanTerm, xhatTerm) = (Float(sumDy), Float(sumDyXhat))
        for (start, n) in offsets {
          for i in start..<(start + n) { dx[i] = scale * (count * dy[i] - meanTerm - xh[i] * xhatTerm) }
        }
      }
    }
    return inputGradient
  }

  /// Calls `body(c, runs)` for every channel with the `(start, count)` runs of that channel's
  /// elements; channels are split across threads.
  private func forEachChannel(batch: Int, plane: Int, _ body: (Int, StrideRuns) -> Void) {
    let features = self.features
    Threading.parallelRanges(features, costPerItem: 4 * batch * plane) { range in
      for c in range { body(c, StrideRuns(first: c * plane, runLength: plane, stride: features * plane, runs: batch)) }
    }
  }
}

/// `runs` runs of `runLength` consecutive indices, `stride` apart: one channel's elements in NC(HW).
struct StrideRuns: Sequence {
  let first: Int
  let runLength: Int
  let stride: Int
  let runs: Int

  func makeIterator() -> Iterator { Iterator(runs: self, index: 0) }

  struct Iterator: IteratorProtocol {
    let runs: StrideRuns
    var index: Int

    mutating func next() -> (Int, Int)? {
      guard index < runs.runs else { return nil }
      defer { index += 1 }
      return (runs.first + index * runs.stride, runs.runLength)
    }
  }
}
