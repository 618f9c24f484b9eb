/// The Wasserstein GAN objective (Arjovsky et al. 2017) on the critic's unbounded scores (the
/// discriminator's logits): the critic raises real scores and lowers generated ones, the generator
/// raises its images' scores.
///
/// - discriminator (critic): `mean(D(G(z))) - mean(D(x))`, its two terms the losses on fakes and on reals;
/// - generator: `-mean(D(G(z)))`.
///
/// The objective estimates the Wasserstein distance only while the critic is 1-Lipschitz. This
/// library's passes give first derivatives only, so the gradient penalty of WGAN-GP (Gulrajani et
/// al. 2017), which differentiates a gradient norm, is not available; keep the critic Lipschitz
/// with the original paper's weight clipping instead (`GANTrainer.discriminatorWeightClip`, 0.01
/// in the paper) and no batch norm in the critic.
public struct WassersteinLoss: AdversarialLoss {
  /// The Wasserstein objective (it has no settings).
  public init() {}

  public func discriminatorLoss(realLogits: Tensor) throws -> LossResult { signedMean(realLogits, sign: -1) }
  public func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult { signedMean(fakeLogits, sign: 1) }
  public func generatorLoss(fakeLogits: Tensor) throws -> LossResult { signedMean(fakeLogits, sign: -1) }

  /// `sign * mean(d)` and its gradient, `sign / N` everywhere.
  private func signedMean(_ logits: Tensor, sign: Float) -> LossResult {
    let count = Float(max(1, logits.count))
    let mean = logits.withUnsafeBufferPointer { values in values.reduce(0.0) { $0 + Double($1) } } / Double(count)
    return LossResult(value: sign * Float(mean), gradient: Tensor(shape: logits.shape, repeating: sign / count))
  }
}
