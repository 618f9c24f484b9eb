import GenerativeKit

/// The decoder's observation model `p(x | z)`, which turns decoder logits into a log-likelihood.
public enum ObservationModel: Sendable, Equatable {
  /// Independent Bernoulli pixels with means `sigmoid(logits)`:
  /// `log p(x | z) = sum [x log p + (1 - x) log(1 - p)] = -BCE`, summed over pixels. A true
  /// likelihood for binary images (published MNIST figures use dynamically binarized test images,
  /// ``dynamicallyBinarized(_:using:)``); for grey values in [0, 1] it is the usual VAE
  /// "log-likelihood", not a normalised density.
  case bernoulli
  /// Independent Gaussian pixels with means `sigmoid(logits)` and a fixed `variance`:
  /// `log p(x | z) = -sum (x - p)^2 / (2 variance) - (D / 2) log(2 pi variance)` over D pixels.
  case gaussian(variance: Double)

  /// The report's MSE decoder read as a Gaussian: training on `sum (x - p)^2` (the report's loss)
  /// is maximum likelihood for variance 1/2, since then `-log p(x | z) = sum (x - p)^2 +
  /// (D / 2) log(pi)`, the loss plus a constant. Its bounds are densities on R^D (in nats), so they
  /// are not comparable with Bernoulli figures.
  public static let reportMeanSquaredError = ObservationModel.gaussian(variance: 0.5)

  /// The log-likelihood of `count` pixels `x` under decoder logits `logits`, in Double.
  func logLikelihood(logits: UnsafePointer<Float>, pixels x: UnsafePointer<Float>, count: Int) -> Double {
    var total = 0.0
    switch self {
    case .bernoulli:
      for i in 0..<count {
        let (z, t) = (Double(logits[i]), Double(x[i]))
        // x z - log(1 + e^z), written so no positive number is exponentiated.
        total += t * z - max(z, 0) - log1p(exp(-abs(z)))
      }
    case .gaussian(let variance):
      var squares = 0.0
      for i in 0..<count {
        let z = Double(logits[i])
        let p = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
        let d = Double(x[i]) - p
        squares += d * d
      }
      total = -squares / (2 * variance) - 0.5 * Double(count) * log(2 * Double.pi * variance)
    }
    return total
  }
}

/// How the ELBO's KL term is estimated.
public enum KLEstimate: Sendable, Equatable {
  /// The closed form `KL(N(mu, sigma^2) || N(0, I))` (lower variance; the training loss).
  case analytic
  /// The single-sample estimate `log q(z | x) - log p(z)` at each drawn `z`, which makes the ELBO
  /// the average of the log importance weights (what the importance-weighted bound with k = 1 is).
  case monteCarlo
}

/// A per-image bound on `log p(x)` in nats, averaged over a test set.
public struct LikelihoodBound: Sendable, Equatable, CustomStringConvertible {
  /// The mean bound per image; the test negative log-likelihood figure is `-mean`.
  public var mean: Double
  /// The standard error of the mean over images.
  public var standardError: Double
  /// The bound for each image.
  public var perImage: [Double]
  /// Latent samples per image.
  public var samples: Int

  /// The mean and standard error of per-image bounds taken with `samples` latent samples each.
  public init(perImage: [Double], samples: Int) {
    (mean, standardError) = meanAndStandardError(perImage)
    self.perImage = perImage
    self.samples = samples
  }

  init(mean: Double, standardError: Double, perImage: [Double], samples: Int) {
    (self.mean, self.standardError, self.perImage, self.samples) = (mean, standardError, perImage, samples)
  }

  public var description: String {
    "\(formatFixed(mean, digits: 2)) +- \(formatFixed(standardError, digits: 2)) nats per image "
      + "(\(perImage.count) images, \(samples) samples each)"
  }
}

/// The seed test sets are binarized with, once, so that every evaluation of a Bernoulli VAE (the
/// per-epoch test loss, `mnist-vae --test-nll`, `gan-vs-vae --presets`) sees the same binary digits.
public let testSetBinarizationSeed: UInt64 = 0x7E57

/// Binary images drawn pixel by pixel from Bernoulli(pixel) (Burda et al.'s dynamic binarization):
/// 1 with probability `x`, else 0. `images` must be in [0, 1].
public func dynamicallyBinarized(_ images: Tensor, using generator: inout SeededGenerator) -> Tensor {
  images.map { x in generator.nextUniform() < x ? 1 : 0 }
}

extension VAE {
  /// `log w = log p(x | z) + log p(z) - log q(z | x)` for given noise, in inference mode and Float64:
  /// `z = mu + sigma * eps` for `eps = noise[n, s]`.
  ///
  /// - Parameters:
  ///   - images: `[N, C, H, W]` in [0, 1], the decoder's output shape.
  ///   - noise: `[N, S, latent]`, standard normal draws (S samples per image).
  ///   - observation: the decoder's likelihood.
  /// - Returns: `[N][S]` log weights in nats.
  public func logImportanceWeights(
    images: Tensor, noise: Tensor, observation: ObservationModel = .bernoulli
  ) throws -> [[Double]] {
    let terms = try likelihoodTerms(images: images, noise: noise, observation: observation)
    return terms.reconstruction.indices.map { n in
      zip(terms.reconstruction[n], terms.latent[n]).map { $0 + $1 }
    }
  }

  /// The evidence lower bound `E_q[log p(x | z)] - KL(q(z | x) || p(z))` of every image, estimated
  /// with `samples` draws of `z` per image, in inference mode.
  ///
  /// - Parameters:
  ///   - images: `[N, C, H, W]` with pixels in [0, 1].
  ///   - observation: ``ObservationModel/bernoulli`` or the report's Gaussian
  ///     (``ObservationModel/reportMeanSquaredError``).
  ///   - kl: the analytic KL (default) or its single-sample estimate.
  ///   - batchSize: images encoded at a time; the decoder sees at most about 1,000 codes at once.
  ///   - generator: draws the noise, `[batch, samples, latent]` per batch of images, so the same
  ///     seed gives the same `z` as ``importanceWeightedBound(images:samples:observation:batchSize:using:)``.
  public func evidenceLowerBound(
    images: Tensor, observation: ObservationModel = .bernoulli, samples: Int = 1, kl: KLEstimate = .analytic,
    batchSize: Int = 100, using generator: inout SeededGenerator
  ) throws -> LikelihoodBound {
    try bound(images: images, samples: samples, batchSize: batchSize, function: "evidenceLowerBound",
              generator: &generator, observation: observation) { terms, n in
      let k = Double(terms.reconstruction[n].count)
      switch kl {
      case .analytic:
        return terms.reconstruction[n].reduce(0, +) / k - terms.analyticKL[n]
      case .monteCarlo:
        return zip(terms.reconstruction[n], terms.latent[n]).reduce(0) { $0 + $1.0 + $1.1 } / k
      }
    }
  }

  /// The importance-weighted bound of Burda et al. 2015,
  /// `log p(x) >= E[log (1/k) sum_i p(x, z_i) / q(z_i | x)]`, with `k = samples` draws from
  /// `q(z | x)` per image; the log-mean-exp is taken in Float64. It equals the Monte Carlo ELBO
  /// for k = 1 and rises towards `log p(x)` as k grows (Burda et al. report test NLLs with
  /// k = 5,000). In inference mode.
  ///
  /// - Parameters: as ``evidenceLowerBound(images:observation:samples:kl:batchSize:using:)``.
  public func importanceWeightedBound(
    images: Tensor, samples: Int, observation: ObservationModel = .bernoulli, batchSize: Int = 100,
    using generator: inout SeededGenerator
  ) throws -> LikelihoodBound {
    try bound(images: images, samples: samples, batchSize: batchSize, function: "importanceWeightedBound",
              generator: &generator, observation: observation) { terms, n in
      let weights = zip(terms.reconstruction[n], terms.latent[n]).map { $0 + $1 }
      return weights.withUnsafeBufferPointer { logSumExp($0) } - log(Double(weights.count))
    }
  }

  // MARK: - Implementation

  /// Per image and sample: `log p(x | z)` and `log p(z) - log q(z | x)`; per image: the analytic KL.
  struct LikelihoodTerms {
    var reconstruction: [[Double]]
    var latent: [[Double]]
    var analyticKL: [Double]
  }

  /// Runs `perImage` over batches of images with fresh noise, and collects the per-image bounds.
  private func bound(
    images: Tensor, samples: Int, batchSize: Int, function: String, generator: inout SeededGenerator,
    observation: ObservationModel, perImage: (LikelihoodTerms, Int) -> Double
  ) throws -> LikelihoodBound {
    guard samples >= 1 else { throw GenerativeKitError.invalidArgument("VAE.\(function): samples must be at least 1, got \(samples)") }
    guard batchSize >= 1 else { throw GenerativeKitError.invalidArgument("VAE.\(function): batchSize must be at least 1, got \(batchSize)") }
    guard images.rank >= 2, images.shape[0] >= 1 else {
      throw GenerativeKitError.shapeMismatch(context: "VAE.\(function): images", expected: "[N, C, H, W] with N >= 1", actual: images.shape)
    }
    var values: [Double] = []
    values.reserveCapacity(images.shape[0])
    var start = 0
    while start < images.shape[0] {
      let end = min(images.shape[0], start + batchSize)
      let batch = images.slice(batch: start..<end)
      let noise = Tensor.randomNormal(shape: [end - start, samples, latentDimension], using: &generator)
      let terms = try likelihoodTerms(images: batch, noise: noise, observation: observation)
      for n in 0..<(end - start) { values.append(perImage(terms, n)) }
      start = end
    }
    let (mean, standardError) = meanAndStandardError(values)
    return LikelihoodBound(mean: mean, standardError: standardError, perImage: values, samples: samples)
  }

  /// The terms of the bounds for `images` `[N, ...]` and `noise` `[N, S, latent]`.
  func likelihoodTerms(images: Tensor, noise: Tensor, observation: ObservationModel) throws -> LikelihoodTerms {
    let function = "VAE.logImportanceWeights"
    guard images.rank >= 2, images.shape[0] >= 1 else {
      throw GenerativeKitError.shapeMismatch(context: "\(function): images", expected: "[N, C, H, W] with N >= 1", actual: images.shape)
    }
    let n = images.shape[0]
    try noise.checkShape([n, nil, latentDimension], context: "\(function): noise for images \(images.shapeDescription)")
    let s = noise.shape[1]
    guard s >= 1 else { throw GenerativeKitError.invalidArgument("\(function): noise \(noise.shapeDescription) has no samples") }
    if case .bernoulli = observation, let bad = images.withUnsafeBufferPointer({ $0.first { !(0...1).contains($0) } }) {
      throw GenerativeKitError.invalidArgument(
        "\(function): Bernoulli pixels must be in [0, 1], images \(images.shapeDescription) contain \(bad)")
    }
    if case .gaussian(let variance) = observation, !(variance > 0 && variance.isFinite) {
      throw GenerativeKitError.invalidArgument("\(function): the Gaussian variance must be positive, got \(variance)")
    }

    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    let (mean, logVariance) = try encode(images)
    let latent = latentDimension
    let pixels = images.count / n
    let (mu, lv, eps, x) = (mean.pointer, logVariance.pointer, noise.pointer, images.pointer)

    var terms = LikelihoodTerms(
      reconstruction: Array(repeating: Array(repeating: 0, count: s), count: n),
      latent: Array(repeating: Array(repeating: 0, count: s), count: n),
      analyticKL: Array(repeating: 0, count: n))
    for image in 0..<n {
      var kl = 0.0
      for j in 0..<latent {
        let (m, v) = (Double(mu[image * latent + j]), Double(lv[image * latent + j]))
        kl += -0.5 * (1 + v - m * m - exp(v))
      }
      terms.analyticKL[image] = kl
    }

    // Decode (image, sample) pairs in chunks of about 1,000 codes; row r of a chunk is pair
    // `first + r` in image-major order.
    let pairs = n * s
    let chunk = max(1, min(pairs, 1024))
    var first = 0
    while first < pairs {
      let count = min(chunk, pairs - first)
      var codes = Tensor(shape: [count, latent])
      let z = codes.mutablePointer()
      for r in 0..<count {
        let (image, sample) = ((first + r) / s, (first + r) % s)
        var latentTerm = 0.0
        for j in 0..<latent {
          let e = Double(eps[(image * s + sample) * latent + j])
          let v = Double(lv[image * latent + j])
          let code = Double(mu[image * latent + j]) + exp(0.5 * v) * e
          z[r * latent + j] = Float(code)
          // log N(z; 0, I) - log N(z; mu, sigma^2) = -z^2/2 + eps^2/2 + log(sigma); the 2 pi terms cancel.
          latentTerm += -0.5 * code * code + 0.5 * e * e + 0.5 * v
        }
        terms.latent[image][sample] = latentTerm
      }
      let logits = try decoder.forward(codes)
      guard logits.count == count * pixels, Array(logits.shape.dropFirst()) == Array(images.shape.dropFirst()) else {
        throw GenerativeKitError.shapeMismatch(
          context: "\(function): images (the decoder makes \(logits.shapeDescription) for \(count) codes)",
          expected: Tensor.describe(shape: [n] + logits.shape.dropFirst()), actual: images.shape)
      }
      var values = [Double](repeating: 0, count: count)
      let base = first
      values.withUnsafeMutableBufferPointer { out in
        let target = out.baseAddress!
        let l = logits.pointer
        Threading.parallelRanges(count, costPerItem: pixels * 20) { part in
          for r in part {
            let image = (base + r) / s
            target[r] = observation.logLikelihood(logits: l + r * pixels, pixels: x + image * pixels, count: pixels)
          }
        }
      }
      for r in 0..<count { terms.reconstruction[(first + r) / s][(first + r) % s] = values[r] }
      first += count
    }
    return terms
  }
}

#if canImport(Glibc)
  import Glibc
#endif
