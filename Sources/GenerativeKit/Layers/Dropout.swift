/// Inverted dropout (PyTorch's `nn.Dropout`): in training mode each element is zeroed with
/// probability `rate` and the survivors are scaled by `1 / (1 - rate)`; in inference mode the
/// input passes through unchanged. Masks come from the layer's own seeded generator.
public final class Dropout: Layer {
  public let rate: Float
  public var isTraining = true
  /// The generator masks are drawn from; save and restore it to replay a run exactly.
  public var generator: SeededGenerator
  private var mask: Tensor?

  /// - Parameters:
  ///   - rate: probability of dropping an element, in [0, 1).
  ///   - seed: seeds the masks; without one the layer draws a seed from ``GlobalRandom``.
  public init(rate: Float, seed: UInt64? = nil) {
    precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
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
    let newMask = Tensor(uninitializedShape: input.shape)
    let m = newMask.storage.pointer
    let scale = 1 / (1 - rate)
    // Drawn sequentially so the mask depends only on the seed, not on the thread count.
    for i in 0..<input.count { m[i] = generator.nextUniform() < rate ? 0 : scale }
    mask = newMask
    return input * newMask
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard isTraining, rate > 0 else { return outputGradient }
    guard let mask else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    try outputGradient.checkShape(mask.shape.map { $0 }, context: description + " backward")
    return outputGradient * mask
  }
}
