/// The least-squares GAN objective (Mao et al. 2017, LSGAN, with targets a = 0, b = c = 1): the
/// discriminator regresses real logits to 1 and generated ones to 0, the generator pulls the
/// logits of its images to 1. Its gradients do not vanish for fakes far on the real side, which
/// the sigmoid cross-entropy's do.
///
/// - discriminator: `0.5 * mean((D(x) - 1)^2) + 0.5 * mean(D(G(z))^2)`;
/// - generator: `0.5 * mean((D(G(z)) - 1)^2)`.
public struct LeastSquaresLoss: AdversarialLoss {
  /// The least-squares objective (it has no settings).
  public init() {}

  public func discriminatorLoss(realLogits: Tensor) throws -> LossResult { halfSquaredError(realLogits, target: 1) }
  public func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult { halfSquaredError(fakeLogits, target: 0) }
  public func generatorLoss(fakeLogits: Tensor) throws -> LossResult { halfSquaredError(fakeLogits, target: 1) }

  /// `0.5 * mean((d - target)^2)` and its gradient `(d - target) / N`.
  private func halfSquaredError(_ logits: Tensor, target: Float) -> LossResult {
    let count = Float(max(1, logits.count))
    var gradient = Tensor(shape: logits.shape)
    var total = 0.0
    logits.withUnsafeBufferPointer { d in
      gradient.withUnsafeMutableBufferPointer { g in
        for i in d.indices {
          let difference = d[i] - target
          total += 0.5 * Double(difference) * Double(difference)
          g[i] = difference / count
        }
      }
    }
    return LossResult(value: Float(total / Double(count)), gradient: gradient)
  }
}
