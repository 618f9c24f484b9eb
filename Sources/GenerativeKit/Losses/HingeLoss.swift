/// The hinge objective of a GAN (Lim & Ye 2017; Miyato et al. 2018, SAGAN, BigGAN): the
/// discriminator pushes real logits above 1 and generated ones below -1, the generator raises the
/// logits of its images.
///
/// - discriminator: `mean(max(0, 1 - D(x))) + mean(max(0, 1 + D(G(z))))`;
/// - generator: `-mean(D(G(z)))`.
///
/// The gradient of `max(0, 1 - d)` is taken as 0 at the hinge (`d = 1`), as PyTorch's autograd of
/// `relu(1 - d)` does.
public struct HingeLoss: AdversarialLoss {
  /// The hinge objective (it has no settings).
  public init() {}

  public func discriminatorLoss(realLogits: Tensor) throws -> LossResult {
    hinge(realLogits, sign: 1)
  }

  public func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult {
    hinge(fakeLogits, sign: -1)
  }

  public func generatorLoss(fakeLogits: Tensor) throws -> LossResult {
    let count = Float(max(1, fakeLogits.count))
    let mean = fakeLogits.withUnsafeBufferPointer { values in values.reduce(0.0) { $0 + Double($1) } } / Double(count)
    return LossResult(value: Float(-mean), gradient: Tensor(shape: fakeLogits.shape, repeating: -1 / count))
  }

  /// `mean(max(0, 1 - sign * d))` and its gradient, `-sign / N` where the hinge is active.
  private func hinge(_ logits: Tensor, sign: Float) -> LossResult {
    let count = Float(max(1, logits.count))
    var gradient = Tensor(shape: logits.shape)
    var total = 0.0
    logits.withUnsafeBufferPointer { d in
      gradient.withUnsafeMutableBufferPointer { g in
        for i in d.indices where 1 - sign * d[i] > 0 {
          total += Double(1 - sign * d[i])
          g[i] = -sign / count
        }
      }
    }
    return LossResult(value: Float(total / Double(count)), gradient: gradient)
  }
}
