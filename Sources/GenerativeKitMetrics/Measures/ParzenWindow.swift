import GenerativeKit

/// A Gaussian Parzen-window density estimate centred on samples (Goodfellow et al. 2014's
/// evaluation of GANs on MNIST and TFD):
///
/// `log p(x) = logsumexp_i(-|x - s_i|^2 / (2 sigma^2)) - log N - (D / 2) log(2 pi sigma^2)`
///
/// for N samples `s_i` of dimension D. The protocol: 10,000 samples with pixels in [0, 1], sigma
/// chosen on a validation set from ``defaultBandwidthGrid`` (``selectBandwidth(validation:grid:)``),
/// then the mean log-likelihood of the 10,000 test images and its standard error
/// (``evaluate(samples:validation:test:grid:)``). Their published MNIST figure for a GAN is 225 +- 2 nats.
///
/// Squared distances come from blocked Float32 GEMMs; every log-sum-exp is in Float64.
public struct ParzenWindow {
  /// The kernel centres, `[N, D]`.
  public let samples: Tensor

  /// The bandwidth grid of Goodfellow et al.'s code: 10 values spaced logarithmically from 0.1 to 1
  /// (`numpy.logspace(-1, 0, 10)`).
  public static let defaultBandwidthGrid: [Double] = (0..<10).map { pow(10, -1 + Double($0) / 9) }

  /// An estimator with kernels on `samples` (`[N, D]`, or images `[N, C, H, W]` flattened).
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if `samples` is not a
  ///   non-empty set of rows.
  public init(samples: Tensor) throws {
    self.samples = try FeatureMatrix.rows(samples, argument: "samples", function: "ParzenWindow")
  }

  /// The log-density (nats) of every row of `points` (`[M, D]` or `[M, C, H, W]`), for each
  /// bandwidth in `sigmas`: `result[s][m]`. The distances are computed once for all bandwidths.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` for an empty point
  ///   set; `GenerativeKitError/invalidArgument(_:)` if the dimension differs from the samples'
  ///   or a bandwidth is not positive and finite.
  public func logLikelihoods(of points: Tensor, sigmas: [Double]) throws -> [[Double]] {
    let function = "ParzenWindow.logLikelihoods"
    let x = try FeatureMatrix.rows(points, argument: "points", function: function)
    try FeatureMatrix.checkSameWidth(x, samples, names: ("points", "samples"), originals: (points, samples),
                                     function: function)
    guard !sigmas.isEmpty, sigmas.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw GenerativeKitError.invalidArgument(
        "\(function): bandwidths must be positive and finite, got \(sigmas.isEmpty ? "none" : "\(sigmas)")")
    }
    let (m, n, dimension) = (x.shape[0], samples.shape[0], Double(samples.shape[1]))
    let sigmaCount = sigmas.count
    // Per bandwidth: -1 / (2 sigma^2) and the constant -log N - (D/2) log(2 pi sigma^2).
    let scales = sigmas.map { -0.5 / ($0 * $0) }
    let constants = sigmas.map { -log(Double(n)) - 0.5 * dimension * log(2 * Double.pi * $0 * $0) }
    var flat = [Double](repeating: 0, count: sigmaCount * m)
    flat.withUnsafeMutableBufferPointer { out in
      let result = out.baseAddress!
      PairwiseDistances(queries: x, references: samples).forEachBlock { rows, d in
        Threading.parallelRanges(rows.count, costPerItem: n * sigmaCount) { part in
          for i in part {
            let row = d + i * n
            var nearest = Float.infinity
            for j in 0..<n { nearest = min(nearest, row[j]) }
            let offset = Double(nearest)
            for s in 0..<sigmaCount {
              // logsumexp with the largest exponent (the nearest sample) factored out.
              let scale = scales[s]
              var sum = 0.0
              for j in 0..<n { sum += exp(scale * (Double(row[j]) - offset)) }
              result[s * m + rows.lowerBound + i] = scale * offset + log(sum) + constants[s]
            }
          }
        }
      }
    }
    return (0..<sigmaCount).map { Array(flat[($0 * m)..<(($0 + 1) * m)]) }
  }

  /// The log-density (nats) of every row of `points` for one bandwidth.
  public func logLikelihoods(of points: Tensor, sigma: Double) throws -> [Double] {
    try logLikelihoods(of: points, sigmas: [sigma])[0]
  }

  /// The mean log-likelihood of `points` and its standard error (`std / sqrt(M)`).
  public func meanLogLikelihood(of points: Tensor, sigma: Double) throws -> ParzenEstimate {
    let (mean, standardError) = meanAndStandardError(try logLikelihoods(of: points, sigma: sigma))
    return ParzenEstimate(sigma: sigma, mean: mean, standardError: standardError, count: points.shape[0])
  }

  /// The bandwidth from `grid` that maximises the mean log-likelihood of `validation`, with the
  /// mean for every bandwidth tried (in grid order).
  public func selectBandwidth(
    validation: Tensor, grid: [Double] = ParzenWindow.defaultBandwidthGrid
  ) throws -> (sigma: Double, scores: [(sigma: Double, meanLogLikelihood: Double)]) {
    let perSigma = try logLikelihoods(of: validation, sigmas: grid)
    let scores = zip(grid, perSigma).map { ($0, meanAndStandardError($1).mean) }
    let best = scores.max { $0.1 < $1.1 || ($0.1.isNaN && !$1.1.isNaN) }!
    return (best.0, scores.map { (sigma: $0.0, meanLogLikelihood: $0.1) })
  }

  /// Goodfellow et al.'s whole protocol: kernels on `samples`, sigma from `grid` by the validation
  /// mean log-likelihood, then the test mean log-likelihood with its standard error.
  ///
  /// - Parameters:
  ///   - samples: generated images (10,000 in the paper), pixels in [0, 1].
  ///   - validation: held-out real images for the bandwidth (not the test set).
  ///   - test: the real test images.
  ///   - grid: the bandwidths tried (by default 10 log-spaced values from 0.1 to 1).
  public static func evaluate(
    samples: Tensor, validation: Tensor, test: Tensor, grid: [Double] = ParzenWindow.defaultBandwidthGrid
  ) throws -> ParzenEvaluation {
    let window = try ParzenWindow(samples: samples)
    let selection = try window.selectBandwidth(validation: validation, grid: grid)
    let estimate = try window.meanLogLikelihood(of: test, sigma: selection.sigma)
    return ParzenEvaluation(test: estimate, validationScores: selection.scores)
  }
}

/// A Parzen-window mean log-likelihood with its standard error.
public struct ParzenEstimate: Sendable, Equatable, CustomStringConvertible {
  /// The kernel bandwidth.
  public var sigma: Double
  /// The mean log-likelihood per point, in nats.
  public var mean: Double
  /// The standard error of the mean (population std / sqrt(count), as Goodfellow et al.'s code).
  public var standardError: Double
  /// The number of points averaged.
  public var count: Int

  public var description: String {
    "\(formatFixed(mean, digits: 2)) +- \(formatFixed(standardError, digits: 2)) nats (sigma \(formatFixed(sigma, digits: 4)), \(count) points)"
  }
}

/// The result of ``ParzenWindow/evaluate(samples:validation:test:grid:)``.
public struct ParzenEvaluation: Sendable {
  /// The test-set estimate at the selected bandwidth.
  public var test: ParzenEstimate
  /// The validation mean log-likelihood for every bandwidth tried.
  public var validationScores: [(sigma: Double, meanLogLikelihood: Double)]
}

#if canImport(Glibc)
  import Glibc
#endif
