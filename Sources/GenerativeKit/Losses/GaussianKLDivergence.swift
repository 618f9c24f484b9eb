/// The KL divergence of a diagonal Gaussian from the standard normal, with its gradients.
public struct GaussianKLResult {
  /// `KL(N(mean, exp(logVariance)) || N(0, I))`, summed over latent dimensions, mean over the batch.
  public var value: Float
  /// d(value)/d(mean) = mean / N.
  public var meanGradient: Tensor
  /// d(value)/d(logVariance) = (exp(logVariance) - 1) / (2N).
  public var logVarianceGradient: Tensor
}

/// `KL = -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2)` per item (Kingma & Welling 2014,
/// appendix B), averaged over the batch.
///
/// - Parameters:
///   - mean: `[N, latent]`.
///   - logVariance: `[N, latent]`, the encoder's `log sigma^2`.
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor) throws -> GaussianKLResult {
  guard mean.rank == 2 else {
    throw GenerativeKitError.shapeMismatch(context: "gaussianKLDivergence: mean", expected: "[N, latent]", actual: mean.shape)
  }
  try checkSameShape(mean, logVariance, loss: "gaussianKLDivergence (logVariance vs mean)")
  let batch = Float(max(1, mean.shape[0]))
  let meanGradient = Tensor(uninitializedShape: mean.shape)
  let logVarianceGradient = Tensor(uninitializedShape: mean.shape)
  let (mu, lv) = (mean.pointer, logVariance.pointer)
  let (dmu, dlv) = (meanGradient.storage.pointer, logVarianceGradient.storage.pointer)
  var total = 0.0
  for i in 0..<mean.count {
    let variance = expf(lv[i])
    total += Double(-0.5 * (1 + lv[i] - mu[i] * mu[i] - variance))
    dmu[i] = mu[i] / batch
    dlv[i] = 0.5 * (variance - 1) / batch
  }
  return GaussianKLResult(
    value: Float(total / Double(batch)), meanGradient: meanGradient, logVarianceGradient: logVarianceGradient)
}

#if canImport(Glibc)
  import Glibc
#endif
