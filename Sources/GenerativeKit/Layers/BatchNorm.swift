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
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private let normalizedPool = TensorPool(depth: 1)
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
    let output = outputs.make(input.shape)
    let (x, y) = (input.pointer, output.storage.pointer)
    let (gamma, beta) = (weight.value.pointer, bias.value.pointer)

    guard isTraining else {
      let (mean, variance) = (runningMean.value.pointer, runningVariance.value.pointer)
      var scales = [Float](repeating: 0, count: features)
      var shifts = [Float](repeating: 0, count: features)
      for c in 0..<features {
        scales[c] = gamma[c] / (variance[c] + epsilon).squareRoot()
        shifts[c] = beta[c] - mean[c] * scales[c]
      }
      applyPerChannel(x, batch: batch, plane: plane, scales: scales, shifts: shifts, into: y)
      normalized = nil
      return output
    }

    guard batch * plane > 1 || !unbiasedRunningVariance else {
      throw GenerativeKitError.invalidArgument(
        "\(description): training needs more than one value per channel, got input \(input.shapeDescription)")
    }
    normalized = nil
    let xhat = normalizedPool.make(input.shape)
    let count = Double(batch * plane)
    let (sums, squares) = channelSums(x, nil, batch: batch, channels: features, plane: plane)
    var means = [Float](repeating: 0, count: features)
    var variances = [Float](repeating: 0, count: features)
    var shifts = [Float](repeating: 0, count: features)
    var scales = [Float](repeating: 0, count: features)
    inverseStd = [Float](repeating: 0, count: features)
    for c in 0..<features {
      let mean = sums[c] / count
      let variance = max(squares[c] / count - mean * mean, 0)
      let inv = 1 / (variance + Double(epsilon)).squareRoot()
      means[c] = Float(mean)
      variances[c] = Float(variance)
      inverseStd[c] = Float(inv)
      scales[c] = Float(inv)
      shifts[c] = Float(-mean)
    }
    // xhat = (x - mean) * inv; y = gamma * xhat + beta
    applyPerChannel(x, batch: batch, plane: plane, scales: scales, shifts: shifts, shiftFirst: true,
                    into: xhat.storage.pointer)
    applyPerChannel(xhat.pointer, batch: batch, plane: plane, scales: Array(UnsafeBufferPointer(start: gamma, count: features)),
                    shifts: Array(UnsafeBufferPointer(start: beta, count: features)), into: y)
    let runMean = runningMean.value.mutablePointer()
    let runVar = runningVariance.value.mutablePointer()
    let correction: Float = unbiasedRunningVariance && count > 1 ? Float(count / (count - 1)) : 1
    for c in 0..<features {
      runMean[c] = momentum * runMean[c] + (1 - momentum) * means[c]
      runVar[c] = momentum * runVar[c] + (1 - momentum) * variances[c] * correction
    }
    normalized = xhat
    return output
  }

  public func releaseBackwardState() { normalized = nil }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let xhat = normalized else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape(xhat.shape.map { $0 }, context: description + " backward")
    let batch = xhat.shape[0]
    let plane = xhat.rank == 4 ? xhat.shape[2] * xhat.shape[3] : 1
    let inputGradient = inputGradients.make(xhat.shape)
    let (dy, xh, dx) = (outputGradient.pointer, xhat.pointer, inputGradient.storage.pointer)
    let gamma = weight.value.pointer
    let dgamma = weight.requiresGradient ? weight.gradient.mutablePointer() : nil
    let dbeta = bias.requiresGradient ? bias.gradient.mutablePointer() : nil
    let count = Float(batch * plane)
    let (sumDy, sumDyXhat) = channelSums(dy, xh, batch: batch, channels: features, plane: plane)
    // dx = gamma * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat)), written as
    // dx = a * dy + b * xhat + c per channel.
    var a = [Float](repeating: 0, count: features)
    var b = [Float](repeating: 0, count: features)
    var c = [Float](repeating: 0, count: features)
    for channel in 0..<features {
      dgamma?[channel] += Float(sumDyXhat[channel])
      dbeta?[channel] += Float(sumDy[channel])
      let scale = gamma[channel] * inverseStd[channel] / count
      a[channel] = scale * count
      b[channel] = -scale * Float(sumDyXhat[channel])
      c[channel] = -scale * Float(sumDy[channel])
    }
    let rowLength = features * plane
    Threading.parallelRanges(batch, costPerItem: rowLength) { rows in
      for row in rows {
        for channel in 0..<features {
          let (ca, cb, cc) = (a[channel], b[channel], c[channel])
          let offset = row * rowLength + channel * plane
          for i in offset..<(offset + plane) { dx[i] = ca * dy[i] + cb * xh[i] + cc }
        }
      }
    }
    return inputGradient
  }

  /// `target = source * scales[c] + shifts[c]` (or `(source + shifts[c]) * scales[c]` with
  /// `shiftFirst`) over `[N, C, S]`, rows split across threads.
  private func applyPerChannel(
    _ source: UnsafePointer<Float>, batch: Int, plane: Int, scales: [Float], shifts: [Float],
    shiftFirst: Bool = false, into target: UnsafeMutablePointer<Float>
  ) {
    let features = self.features
    let rowLength = features * plane
    scales.withUnsafeBufferPointer { scale in
      shifts.withUnsafeBufferPointer { shift in
        Threading.parallelRanges(batch, costPerItem: rowLength) { rows in
          for row in rows {
            if plane == 1 {
              let (x, y) = (source + row * rowLength, target + row * rowLength)
              if shiftFirst {
                for c in 0..<features { y[c] = (x[c] + shift[c]) * scale[c] }
              } else {
                for c in 0..<features { y[c] = x[c] * scale[c] + shift[c] }
              }
            } else {
              for c in 0..<features {
                let (k, m) = (scale[c], shift[c])
                let offset = row * rowLength + c * plane
                if shiftFirst {
                  for i in offset..<(offset + plane) { target[i] = (source[i] + m) * k }
                } else {
                  for i in offset..<(offset + plane) { target[i] = source[i] * k + m }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Per-channel sums over `[N, C, S]` in Double: of `a`, and of `a * b` (of `a * a` when `b` is nil).
///
/// With `S > 1` channels are split across threads; with `S == 1` (features) contiguous feature
/// ranges are, each summed row by row so memory is read in order. Either way every channel is
/// summed in a fixed order, so results do not depend on the thread count.
func channelSums(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, batch: Int, channels: Int, plane: Int
) -> (first: [Double], second: [Double]) {
  var first = [Double](repeating: 0, count: channels)
  var second = [Double](repeating: 0, count: channels)
  let other = b ?? a
  first.withUnsafeMutableBufferPointer { sums in
    second.withUnsafeMutableBufferPointer { products in
      let (s, p) = (sums.baseAddress!, products.baseAddress!)
      Threading.parallelRanges(channels, costPerItem: 2 * batch * plane) { range in
        if plane == 1 {
          for row in 0..<batch {
            let (x, y) = (a + row * channels, other + row * channels)
            for c in range {
              s[c] += Double(x[c])
              p[c] += Double(x[c]) * Double(y[c])
            }
          }
          return
        }
        for c in range {
          var (total, product) = (0.0, 0.0)
          for n in 0..<batch {
            let offset = (n * channels + c) * plane
            for i in offset..<(offset + plane) {
              total += Double(a[i])
              product += Double(a[i]) * Double(other[i])
            }
          }
          s[c] = total
          p[c] = product
        }
      }
    }
  }
  return (first, second)
}
