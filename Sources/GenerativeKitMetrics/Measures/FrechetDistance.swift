import GenerativeKit

/// The mean and covariance of a feature set, in Float64: what the Frechet distance compares.
///
/// Compute the statistics of a fixed reference set (the real test images' features) once and
/// compare many generated sets against them.
public struct FeatureStatistics: Sendable, Equatable {
  /// The number of feature vectors the statistics were computed from.
  public let count: Int
  /// The feature size F.
  public let dimension: Int
  /// `[F]`: the mean feature vector.
  public let mean: [Double]
  /// `[F * F]`, row-major: the unbiased sample covariance (divisor `N - 1`, as `numpy.cov`).
  public let covariance: [Double]

  /// Statistics of `features` `[N, F]` (N >= 2). Means are accumulated in Float64 and the
  /// covariance is formed from Float64 centred features (two passes), so large means do not
  /// cancel the variances.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if `features` is not
  ///   `[N, F]` with N >= 2.
  public init(features: Tensor) throws {
    guard features.rank == 2, features.shape[0] >= 2, features.shape[1] >= 1 else {
      throw GenerativeKitError.shapeMismatch(
        context: "FeatureStatistics(features:)", expected: "[N, F] with N >= 2", actual: features.shape)
    }
    let (n, f) = (features.shape[0], features.shape[1])
    let x = features.pointer
    var mean = [Double](repeating: 0, count: f)
    for row in 0..<n {
      let r = x + row * f
      for j in 0..<f { mean[j] += Double(r[j]) }
    }
    for j in 0..<f { mean[j] /= Double(n) }
    var centred = [Double](repeating: 0, count: n * f)
    for row in 0..<n {
      let r = x + row * f
      for j in 0..<f { centred[row * f + j] = Double(r[j]) - mean[j] }
    }
    var covariance = [Double](repeating: 0, count: f * f)
    centred.withUnsafeBufferPointer { c in
      covariance.withUnsafeMutableBufferPointer { out in
        // C[F, F] = X^T[F, N] x X[N, F] / (N - 1)
        BLAS.dgemm(transposeA: true, m: f, n: f, k: n, alpha: 1 / Double(n - 1),
                   a: c.baseAddress!, b: c.baseAddress!, c: out.baseAddress!)
      }
    }
    try self.init(count: n, mean: mean, covariance: covariance)
  }

  /// Statistics given directly (for example saved ones): `mean` `[F]`, `covariance` `[F * F]` row-major.
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` if the sizes disagree.
  public init(count: Int, mean: [Double], covariance: [Double]) throws {
    guard !mean.isEmpty, covariance.count == mean.count * mean.count else {
      throw GenerativeKitError.invalidArgument(
        "FeatureStatistics: covariance has \(covariance.count) entries for a mean of \(mean.count) "
          + "(needs \(mean.count * mean.count), row-major [F, F])")
    }
    self.count = count
    self.dimension = mean.count
    self.mean = mean
    self.covariance = covariance
  }

  /// The sum of the covariance's diagonal.
  var covarianceTrace: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
}

/// The Frechet distance between Gaussians fitted to two feature sets `[N1, F]` and `[N2, F]`
/// (Heusel et al. 2017's FID when the features are Inception pool features; with the
/// ``DigitClassifier``'s features it is a classifier FID, not comparable with Inception FIDs):
///
/// `d^2 = |mu1 - mu2|^2 + Tr(C1) + Tr(C2) - 2 Tr sqrt(C1 C2)`.
///
/// The overload on ``FeatureStatistics`` describes how the trace term is computed.
///
/// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if a set is not
///   `[N, F]` with N >= 2; `GenerativeKitError/invalidArgument(_:)` if the feature sizes differ.
public func frechetDistance(_ first: Tensor, _ second: Tensor) throws -> Double {
  if first.rank == 2, second.rank == 2, first.shape[1] != second.shape[1] {
    throw GenerativeKitError.invalidArgument(
      "frechetDistance: feature sets \(first.shapeDescription) and \(second.shapeDescription) have different "
        + "feature sizes")
  }
  return try frechetDistance(FeatureStatistics(features: first), FeatureStatistics(features: second))
}

/// The Frechet distance between two Gaussians given by their statistics.
///
/// The trace term uses only symmetric eigendecompositions (LAPACK `dsyevd`), never a general
/// matrix square root: with `S = sqrt(C1) = V diag(sqrt(max(l, 0))) V^T`, the matrix
/// `M = S C2 S` is symmetric positive semi-definite and similar to `C1 C2`, so
/// `Tr sqrt(C1 C2) = sum_i sqrt(max(eig_i(M), 0))`. Tiny negative eigenvalues from rounding are
/// clamped to zero, and so is a result that rounds below zero.
///
/// - Throws: `GenerativeKitError/invalidArgument(_:)` if the dimensions differ or LAPACK fails to converge.
public func frechetDistance(_ first: FeatureStatistics, _ second: FeatureStatistics) throws -> Double {
  guard first.dimension == second.dimension else {
    throw GenerativeKitError.invalidArgument(
      "frechetDistance: statistics have different feature sizes (\(first.dimension) and \(second.dimension))")
  }
  let f = first.dimension
  var meanTerm = 0.0
  for j in 0..<f {
    let d = first.mean[j] - second.mean[j]
    meanTerm += d * d
  }
  let root = try symmetricSquareRoot(first.covariance, n: f)
  // M = S C2 S, symmetrised against rounding.
  var product = [Double](repeating: 0, count: f * f)
  var m = [Double](repeating: 0, count: f * f)
  root.withUnsafeBufferPointer { s in
    second.covariance.withUnsafeBufferPointer { c2 in
      product.withUnsafeMutableBufferPointer { p in
        BLAS.dgemm(m: f, n: f, k: f, a: s.baseAddress!, b: c2.baseAddress!, c: p.baseAddress!)
      }
    }
    product.withUnsafeBufferPointer { p in
      m.withUnsafeMutableBufferPointer { out in
        BLAS.dgemm(m: f, n: f, k: f, a: p.baseAddress!, b: s.baseAddress!, c: out.baseAddress!)
      }
    }
  }
  for i in 0..<f {
    for j in (i + 1)..<f {
      let average = 0.5 * (m[i * f + j] + m[j * f + i])
      m[i * f + j] = average
      m[j * f + i] = average
    }
  }
  guard let eigenvalues = BLAS.symmetricEigen(&m, n: f) else {
    throw GenerativeKitError.invalidArgument("frechetDistance: the eigendecomposition of sqrt(C1) C2 sqrt(C1) did not converge")
  }
  let traceRoot = eigenvalues.reduce(0) { $0 + max($1, 0).squareRoot() }
  let distance = meanTerm + first.covarianceTrace + second.covarianceTrace - 2 * traceRoot
  return max(distance, 0)
}

/// The principal square root of a symmetric positive semi-definite `n x n` row-major matrix,
/// `V diag(sqrt(max(l, 0))) V^T`, from its eigendecomposition.
func symmetricSquareRoot(_ matrix: [Double], n: Int) throws -> [Double] {
  var vectors = matrix
  guard let eigenvalues = BLAS.symmetricEigen(&vectors, n: n) else {
    throw GenerativeKitError.invalidArgument("frechetDistance: the eigendecomposition of a covariance did not converge")
  }
  // scaled = V diag(l^(1/4)), so scaled x scaled^T = V diag(sqrt(l)) V^T.
  var scaled = vectors
  for column in 0..<n {
    let factor = max(eigenvalues[column], 0).squareRoot().squareRoot()
    for row in 0..<n { scaled[row * n + column] *= factor }
  }
  var root = [Double](repeating: 0, count: n * n)
  scaled.withUnsafeBufferPointer { v in
    root.withUnsafeMutableBufferPointer { out in
      BLAS.dgemm(transposeB: true, m: n, n: n, k: n, a: v.baseAddress!, b: v.baseAddress!, c: out.baseAddress!)
    }
  }
  return root
}
