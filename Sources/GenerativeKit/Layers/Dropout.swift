/// Inverted dropout (PyTorch's `nn.Dropout`): in training mode each element is zeroed with
/// probability `rate` and the survivors are scaled by `1 / (1 - rate)`; in inference mode the
/// input passes through unchanged. Masks come from the layer's own seeded generator.
public final class Dropout: Layer {
  /// The probability that an input is zeroed in training mode.
  public let rate: Float
  public var isTraining = true
  /// The generator masks are drawn from; save and restore it to replay a run exactly.
  public var generator: SeededGenerator
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
    let newMask = masks.make(input.shape)
    let output = outputs.make(input.shape)
    let (x, m, y) = (input.pointer, newMask.storage.pointer, output.storage.pointer)
    let (rate, scale, count) = (self.rate, 1 / (1 - rate), input.count)
    // One draw from the layer's generator seeds this pass; each fixed block of elements gets its
    // own stream from it, so the masks are the same for any thread count.
    let passSeed = generator.next()
    let blockSize = 1 << 14
    let blocks = (count + blockSize - 1) / blockSize
    Threading.parallelRanges(blocks, costPerItem: blockSize) { range in
      for block in range {
        var stream = SeededGenerator(seed: passSeed &+ UInt64(block) &* 0x9E37_79B9_7F4A_7C15)
        for i in (block * blockSize)..<min(count, (block + 1) * blockSize) {
          let keep: Float = stream.nextUniform() < rate ? 0 : scale
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
