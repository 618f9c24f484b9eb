/// Inverted dropout (PyTorch's `nn.Dropout`): in training mode each element is zeroed with
/// probability `rate` and the survivors are scaled by `1 / (1 - rate)`; in inference mode the
/// input passes through unchanged. Masks come from the layer's own seeded generator.
public final class Dropout: Layer, BatchShardedLayer {
  /// The probability that an input is zeroed in training mode.
  public let rate: Float
  public var isTraining = true
  /// The generator masks are drawn from; save and restore it to replay a run exactly.
  public var generator: SeededGenerator
  /// This process's rows of the global batch, in data-parallel training: the masks are those of
  /// the global batch's elements, so they do not depend on the number of processes. Nil: the
  /// input is the whole batch.
  public var shard: BatchShard?
  /// Masks (0 or `1 / (1 - rate)` per element) for the next forward passes instead of draws, in
  /// order (tests comparing a step with another framework's).
  var injectedMasks: [Tensor] = []
  private var mask: Tensor?
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()
  private let masks = TensorPool(depth: 1)

  /// - Parameters:
  ///   - rate: probability of dropping an element, in [0, 1).
  ///   - seed: seeds the masks; without one the layer draws a seed from ``GlobalRandom``.
  public init(rate: Float, seed: UInt64? = nil) {
    enforce(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
    self.rate = rate
    self.generator = seed.map(SeededGenerator.init(seed:)) ?? GlobalRandom.split()
  }

  public var description: String { "Dropout(\(rate))" }
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

  public func forward(_ input: Tensor) throws -> Tensor {
    guard isTraining, rate > 0 else {
      mask = nil
      return input
    }
    mask = nil
    if !injectedMasks.isEmpty {
      let given = injectedMasks.removeFirst()
      try given.checkShape(input.shape, context: "\(description) injected mask")
      mask = given
      return input * given
    }
    let newMask = masks.make(input.shape)
    let output = outputs.make(input.shape)
    let (x, m, y) = (input.pointer, newMask.storage.pointer, output.storage.pointer)
    let (rate, scale, count) = (self.rate, 1 / (1 - rate), input.count)
    if let shard {
      try input.checkShape([shard.count] + input.shape.dropFirst().map { $0 }, context: "\(description) (shard \(shard))")
    }
    // Element i of this input is element `first + i` of the global batch.
    let first = (shard?.offset ?? 0) * (input.shape.first.map { count / max($0, 1) } ?? 0)
    // One draw from the layer's generator seeds this pass; each fixed block of the global batch's
    // elements gets its own stream from it, so the masks are the same for any thread count and
    // any number of processes.
    let passSeed = generator.next()
    let blockSize = 1 << 14
    let firstBlock = first / blockSize
    let blocks = (first + count + blockSize - 1) / blockSize - firstBlock
    Threading.parallelRanges(blocks, costPerItem: blockSize) { range in
      for block in range.lowerBound + firstBlock..<range.upperBound + firstBlock {
        var stream = SeededGenerator(seed: passSeed &+ UInt64(block) &* 0x9E37_79B9_7F4A_7C15)
        let start = block * blockSize
        for _ in start..<max(start, first) { _ = stream.nextUniform() }  // the rows of other processes
        for global in max(start, first)..<min(first + count, start + blockSize) {
          let keep: Float = stream.nextUniform() < rate ? 0 : scale
          let i = global - first
          m[i] = keep
          y[i] = x[i] * keep
        }
      }
    }
    mask = newMask
    return output
  }

  public func releaseBackwardState() { mask = nil }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard isTraining, rate > 0 else { return outputGradient }
    guard let mask else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return try elementwiseGradient(outputGradient, mask, layer: self, pool: inputGradients) { dy, m, dx, range in
      for i in range { dx[i] = dy[i] * m[i] }
    }
  }
}
