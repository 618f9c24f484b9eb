/// Batch normalisation over features (`[N, F]`, PyTorch's `BatchNorm1d`) or over channels
/// (`[N, C, H, W]`, `BatchNorm2d`): `y = weight * (x - mean) / sqrt(var + epsilon) + bias`.
///
/// In training mode the mean and (biased) variance come from the batch, and the running statistics
/// move towards them. `momentum` has **PyTorch's** meaning, the weight of the new batch:
/// `running = (1 - momentum) * running + momentum * batch` (default 0.1). Keras's
/// `BatchNormalization(momentum=0.99)` weighs the old statistics instead;
/// ``keras(features:momentum:epsilon:)`` takes that meaning and Keras's defaults, as the report's
/// models use. In inference mode the running statistics are used.
///
/// - Parameters: `weight` (gamma) and `bias` (beta), `[features]`; buffers `running_mean`, `running_var`.
public final class BatchNorm: Layer, BatchShardedLayer, BatchStatisticsLayer {
  /// Channels (`C` of `[N, C, H, W]`) or features (`F` of `[N, F]`) normalised separately.
  public let features: Int
  /// The weight of the batch's statistics in each update of the running ones (PyTorch's meaning:
  /// 0.1 moves them a tenth of the way to the batch's).
  public let momentum: Float
  /// Added to the variance before the square root.
  public let epsilon: Float
  /// Whether the running variance is updated with the unbiased batch variance (PyTorch) rather
  /// than the biased one (Keras).
  public let unbiasedRunningVariance: Bool
  /// The learnable scale gamma, `[features]`, initially 1 unless another initialiser is given.
  public let weight: Parameter
  /// The learnable shift beta, `[features]`, initially 0 unless another initialiser is given.
  public let bias: Parameter
  /// The running mean used in inference mode (buffer `running_mean`, not trained).
  public let runningMean: Parameter
  /// The running variance used in inference mode (buffer `running_var`, not trained).
  public let runningVariance: Parameter
  public var isTraining = true

  /// The last training-mode input (a reference, not a copy: the previous layer's output buffer)
  /// and its per-channel `-mean` and `1 / std`, from which backward recomputes the normalised
  /// values instead of keeping a second activation-sized tensor.
  private var cachedInput: Tensor?
  private var negativeMean: [Float] = []
  private var inverseStd: [Float] = []
  /// Values per channel of the whole (global) batch in the last training-mode forward pass.
  private var normalizedCount: Double = 0

  /// In data-parallel training, sums the per-channel statistics across processes so that every
  /// process normalises by the mean and variance of the global batch (synchronised batch norm),
  /// in the forward pass and in the matching terms of the backward pass. Nil (the default): the
  /// statistics of this process's batch.
  public var statisticsReducer: (any CrossProcessSum)?
  /// This process's rows of the global batch, in data-parallel training: the backward pass weights
  /// its gradient sums by the shard's share before adding them up, so that shards of different
  /// sizes (each with its own mean loss) give the global batch's input gradient. Nil: one process.
  public var shard: BatchShard?
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()

  /// PyTorch's `BatchNorm1d`/`BatchNorm2d(features, eps, momentum)`: by default `momentum` 0.1
  /// (the batch's weight), `epsilon` 1e-5 and the unbiased batch variance in the running variance.
  ///
  /// - Parameters:
  ///   - features: channels (`C` of `[N, C, H, W]`) or features (`F` of `[N, F]`).
  ///   - momentum: the new batch's weight in each update of the running statistics, in [0, 1].
  ///   - epsilon: added to the variance before the square root; positive.
  ///   - unbiasedRunningVariance: whether the running variance takes the unbiased batch variance.
  ///   - weightInitializer: the scale gamma's initial values, 1 by default; PyTorch's DCGAN
  ///     example draws them from N(1, 0.02^2): `.normal(mean: 1, std: 0.02)`.
  ///   - biasInitializer: the shift beta's initial values, 0 by default.
  ///   - seed: seeds a random initialiser; without one the layer draws from ``GlobalRandom``
  ///     (only when an initialiser is random).
  public init(
    features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, unbiasedRunningVariance: Bool = true,
    weightInitializer: Initializer = .constant(1), biasInitializer: Initializer = .zeros, seed: UInt64? = nil
  ) {
    enforce(features > 0, "BatchNorm: features must be positive, got \(features)")
    enforce((0...1).contains(momentum), "BatchNorm: momentum must be in [0, 1], got \(momentum)")
    enforce(epsilon > 0, "BatchNorm: epsilon must be positive, got \(epsilon)")
    self.features = features
    self.momentum = momentum
    self.epsilon = epsilon
    self.unbiasedRunningVariance = unbiasedRunningVariance
    var generator = weightInitializer.isRandom || biasInitializer.isRandom
      ? seed.map(SeededGenerator.init(seed:)) ?? GlobalRandom.split() : SeededGenerator(seed: 0)
    weight = Parameter(weightInitializer.make(shape: [features], fanIn: 1, fanOut: 1, using: &generator))
    bias = Parameter(biasInitializer.make(shape: [features], fanIn: 1, fanOut: 1, using: &generator))
    runningMean = Parameter(Tensor(shape: [features]), isTrainable: false)
    runningVariance = Parameter(Tensor(shape: [features], repeating: 1), isTrainable: false)
  }

  /// PyTorch's defaults spelled out (the same as ``init(features:momentum:epsilon:unbiasedRunningVariance:weightInitializer:biasInitializer:seed:)``'s).
  public static func pytorch(features: Int) -> BatchNorm {
    BatchNorm(features: features)
  }

  /// Keras's `BatchNormalization(momentum, epsilon)`: `momentum` is the weight of the **old**
  /// running statistics (0.99 by default: `running = 0.99 * running + 0.01 * batch`), `epsilon`
  /// 1e-3, and the biased batch variance in the running variance. The report's models use it.
  public static func keras(features: Int, momentum: Float = 0.99, epsilon: Float = 1e-3) -> BatchNorm {
    enforce((0...1).contains(momentum), "BatchNorm.keras: momentum must be in [0, 1], got \(momentum)")
    // 1 - (1 - m) is m exactly for m in [0.5, 1], so the update multiplies by the same two
    // factors as Keras's `m * running + (1 - m) * batch`.
    return BatchNorm(features: features, momentum: 1 - momentum, epsilon: epsilon, unbiasedRunningVariance: false)
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
      cachedInput = nil
      return output
    }

    guard batch * plane > 1 || !unbiasedRunningVariance else {
      throw GenerativeKitError.invalidArgument(
        "\(description): training needs more than one value per channel, got input \(input.shapeDescription)")
    }
    var count = Double(batch * plane)
    var (sums, squares) = channelSums(x, nil, batch: batch, channels: features, plane: plane)
    if let statisticsReducer {
      var packed = sums + squares + [count]
      try statisticsReducer.sumAcrossProcesses(&packed)
      sums = Array(packed[0..<features])
      squares = Array(packed[features..<(2 * features)])
      count = packed[2 * features]
    }
    normalizedCount = count
    var means = [Float](repeating: 0, count: features)
    var variances = [Float](repeating: 0, count: features)
    negativeMean = [Float](repeating: 0, count: features)
    inverseStd = [Float](repeating: 0, count: features)
    for c in 0..<features {
      let mean = sums[c] / count
      let variance = max(squares[c] / count - mean * mean, 0)
      let inv = 1 / (variance + Double(epsilon)).squareRoot()
      means[c] = Float(mean)
      variances[c] = Float(variance)
      inverseStd[c] = Float(inv)
      negativeMean[c] = Float(-mean)
    }
    // y = gamma * xhat + beta with xhat = (x - mean) * inv, in one pass.
    normalizeAndScale(x, batch: batch, plane: plane, gamma: gamma, beta: beta, into: y)
    let runMean = runningMean.value.mutablePointer()
    let runVar = runningVariance.value.mutablePointer()
    let correction: Float = unbiasedRunningVariance && count > 1 ? Float(count / (count - 1)) : 1
    for c in 0..<features {
      runMean[c] = (1 - momentum) * runMean[c] + momentum * means[c]
      runVar[c] = (1 - momentum) * runVar[c] + momentum * variances[c] * correction
    }
    cachedInput = input
    return output
  }

  public func releaseBackwardState() { cachedInput = nil }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let input = cachedInput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape(input.shape.map { $0 }, context: description + " backward")
    let batch = input.shape[0]
    let plane = input.rank == 4 ? input.shape[2] * input.shape[3] : 1
    let inputGradient = inputGradients.make(input.shape)
    let (dy, x, dx) = (outputGradient.pointer, input.pointer, inputGradient.storage.pointer)
    let gamma = weight.value.pointer
    let dgamma = weight.requiresGradient ? weight.gradient.mutablePointer() : nil
    let dbeta = bias.requiresGradient ? bias.gradient.mutablePointer() : nil
    let (localSumDy, localSumDyXhat) = negativeMean.withUnsafeBufferPointer { shifts in
      inverseStd.withUnsafeBufferPointer { scales in
        channelSums(dy, x, batch: batch, channels: features, plane: plane,
                    normalizing: (shifts.baseAddress!, scales.baseAddress!))
      }
    }
    // The parameter gradients take this process's sums (a gradient synchronizer adds them up);
    // the input gradient, like the statistics it differentiates, the global batch's.
    var (sumDy, sumDyXhat) = (localSumDy, localSumDyXhat)
    if let statisticsReducer {
      // Each process's dy is its own mean loss's: scaled by its share, the sums add up to the
      // global mean loss's, which this process's dy (1 / share times larger) then matches.
      let share = Double(shard?.fraction ?? 1)
      var packed = (sumDy + sumDyXhat).map { $0 * share }
      try statisticsReducer.sumAcrossProcesses(&packed)
      sumDy = packed[0..<features].map { $0 / share }
      sumDyXhat = packed[features...].map { $0 / share }
    }
    let count = Float(normalizedCount)
    // dx = gamma * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat)), written as
    // dx = a * dy + b * xhat + c per channel.
    var a = [Float](repeating: 0, count: features)
    var b = [Float](repeating: 0, count: features)
    var c = [Float](repeating: 0, count: features)
    for channel in 0..<features {
      dgamma?[channel] += Float(localSumDyXhat[channel])
      dbeta?[channel] += Float(localSumDy[channel])
      let scale = gamma[channel] * inverseStd[channel] / count
      a[channel] = scale * count
      b[channel] = -scale * Float(sumDyXhat[channel])
      c[channel] = -scale * Float(sumDy[channel])
    }
    let rowLength = features * plane
    let coefficients = zip(zip(a, b), zip(c, zip(negativeMean, inverseStd))).flatMap { ab, rest in
      [ab.0, ab.1, rest.0, rest.1.0, rest.1.1]
    }
    coefficients.withUnsafeBufferPointer { buffer in
      let k = buffer.baseAddress!  // per channel: a, b, c, -mean, 1/std
      Threading.parallelRanges(batch, costPerItem: rowLength) { rows in
        for row in rows {
          if plane == 1 {
            let (g, input, out) = (dy + row * rowLength, x + row * rowLength, dx + row * rowLength)
            for f in 0..<features {
              let q = k + 5 * f
              out[f] = q[0] * g[f] + q[1] * ((input[f] + q[3]) * q[4]) + q[2]
            }
            continue
          }
          for channel in 0..<features {
            let q = k + 5 * channel
            let (ca, cb, cc, shift, scale) = (q[0], q[1], q[2], q[3], q[4])
            let offset = row * rowLength + channel * plane
            for i in offset..<(offset + plane) { dx[i] = ca * dy[i] + cb * ((x[i] + shift) * scale) + cc }
          }
        }
      }
    }
    return inputGradient
  }

  /// `y = gamma[c] * ((x + negativeMean[c]) * inverseStd[c]) + beta[c]` over `[N, C, S]`: the same
  /// Float operations, in the same order, as normalising first and scaling after.
  private func normalizeAndScale(
    _ source: UnsafePointer<Float>, batch: Int, plane: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
    into target: UnsafeMutablePointer<Float>
  ) {
    let features = self.features
    let rowLength = features * plane
    negativeMean.withUnsafeBufferPointer { shifts in
      inverseStd.withUnsafeBufferPointer { scales in
        let (shift, scale) = (shifts.baseAddress!, scales.baseAddress!)
        Threading.parallelRanges(batch, costPerItem: rowLength) { rows in
          for row in rows {
            if plane == 1 {
              let (x, y) = (source + row * rowLength, target + row * rowLength)
              for c in 0..<features { y[c] = ((x[c] + shift[c]) * scale[c]) * gamma[c] + beta[c] }
              continue
            }
            for c in 0..<features {
              let (m, k, g, b) = (shift[c], scale[c], gamma[c], beta[c])
              let offset = row * rowLength + c * plane
              for i in offset..<(offset + plane) { target[i] = ((source[i] + m) * k) * g + b }
            }
          }
        }
      }
    }
  }

  /// `target = source * scales[c] + shifts[c]` over `[N, C, S]`, rows split across threads.
  private func applyPerChannel(
    _ source: UnsafePointer<Float>, batch: Int, plane: Int, scales: [Float], shifts: [Float],
    into target: UnsafeMutablePointer<Float>
  ) {
    let features = self.features
    let rowLength = features * plane
    scales.withUnsafeBufferPointer { scale in
      shifts.withUnsafeBufferPointer { shift in
        Threading.parallelRanges(batch, costPerItem: rowLength) { rows in
          for row in rows {
            for c in 0..<features {
              let (k, m) = (scale[c], shift[c])
              let offset = row * rowLength + c * plane
              for i in offset..<(offset + plane) { target[i] = source[i] * k + m }
            }
          }
        }
      }
    }
  }
}

/// Per-channel sums over `[N, C, S]` in Double: of `a`, and of `a * b` (of `a * a` when `b` is nil).
/// With `normalizing`, the second factor is `(b + shifts[c]) * scales[c]`, computed in Float
/// (BatchNorm's normalised input, recomputed rather than stored).
///
/// With `S > 1` channels are split across threads, and each plane segment is summed in eight
/// interleaved lanes (element `i` into lane `i % 8`, the remainder into a ninth), added up in a
/// fixed order at the end: one running sum per channel made every addition wait for the previous
/// one. With `S == 1` (features) contiguous feature ranges are split,
/// each summed row by row so memory is read in order. Either way every channel is summed in a
/// fixed order, so results do not depend on the thread count.
func channelSums(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, batch: Int, channels: Int, plane: Int,
  normalizing: (shifts: UnsafePointer<Float>, scales: UnsafePointer<Float>)? = nil
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
              let other = normalizing.map { (y[c] + $0.shifts[c]) * $0.scales[c] } ?? y[c]
              s[c] += Double(x[c])
              p[c] += Double(x[c]) * Double(other)
            }
          }
          return
        }
        let normalized = normalizing != nil
        for c in range {
          let (cShift, cScale): (Float, Float) = normalizing.map { ($0.shifts[c], $0.scales[c]) } ?? (0, 1)
          var (totals, productTotals) = (SIMD8<Double>(), SIMD8<Double>())
          var (total, product) = (0.0, 0.0)
          let vectorEnd = plane & ~7
          for n in 0..<batch {
            let offset = (n * channels + c) * plane
            let (x, y) = (a + offset, other + offset)
            for i in stride(from: 0, to: vectorEnd, by: 8) {
              let xs = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
              var ys = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
              if normalized { ys = (ys + cShift) * cScale }
              let xd = SIMD8<Double>(xs)
              totals += xd
              productTotals += xd * SIMD8<Double>(ys)
            }
            for i in vectorEnd..<plane {
              let yi = normalized ? (y[i] + cShift) * cScale : y[i]
              total += Double(x[i])
              product += Double(x[i]) * Double(yi)
            }
          }
          s[c] = totals.sum() + total
          p[c] = productTotals.sum() + product
        }
      }
    }
  }
  return (first, second)
}
