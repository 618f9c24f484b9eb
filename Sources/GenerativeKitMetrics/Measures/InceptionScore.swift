import GenerativeKit

/// A classifier-based Inception Score (Salimans et al. 2016) with its spread over splits.
public struct InceptionScore: Sendable, Equatable {
  /// The mean score over the splits.
  public var mean: Double
  /// The standard deviation of the per-split scores (0 for one split).
  public var standardDeviation: Double
  /// The score of each split.
  public var splitScores: [Double]
}

/// `IS = exp(E_x KL(p(y | x) || p(y)))` for class probabilities `[N, K]`, where `p(y)` is the mean
/// of the rows (of each split).
///
/// The score lies in `[1, K]`: 1 when every sample gets the same class distribution (one repeated
/// digit, or no confident predictions at all), K when each sample is confidently one class and the
/// classes are used equally. With a ``DigitClassifier`` it measures MNIST digits, not ImageNet
/// classes, so it is not comparable with Inception-network scores. Sums are in Float64; `0 log 0 = 0`.
///
/// - Parameters:
///   - probabilities: `[N, K]`, rows of non-negative class probabilities (``DigitClassifier/probabilities(_:batchSize:)``).
///   - splits: the rows are cut into this many consecutive, nearly equal parts, scored separately
///     (Salimans et al. used 10 splits of 5,000); at most N.
/// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if `probabilities` is
///   not `[N, K]` with N >= 1; `GenerativeKitError/invalidArgument(_:)` for a bad split count or
///   a negative or non-finite probability.
public func inceptionScore(probabilities: Tensor, splits: Int = 1) throws -> InceptionScore {
  guard probabilities.rank == 2, probabilities.shape[0] >= 1, probabilities.shape[1] >= 1 else {
    throw GenerativeKitError.shapeMismatch(
      context: "inceptionScore: probabilities", expected: "[N, K] with N >= 1", actual: probabilities.shape)
  }
  let (n, k) = (probabilities.shape[0], probabilities.shape[1])
  guard (1...n).contains(splits) else {
    throw GenerativeKitError.invalidArgument(
      "inceptionScore: splits must be in 1...\(n) for probabilities \(probabilities.shapeDescription), got \(splits)")
  }
  let p = probabilities.pointer
  if let bad = (0..<(n * k)).first(where: { !(p[$0] >= 0) || !p[$0].isFinite }) {
    throw GenerativeKitError.invalidArgument(
      "inceptionScore: probability \(p[bad]) at row \(bad / k), class \(bad % k) is negative or not finite")
  }
  var scores: [Double] = []
  for split in 0..<splits {
    let rows = (n * split / splits)..<(n * (split + 1) / splits)
    var marginal = [Double](repeating: 0, count: k)
    var rowSums = [Double](repeating: 0, count: rows.count)
    for (index, row) in rows.enumerated() {
      for j in 0..<k { rowSums[index] += Double(p[row * k + j]) }
    }
    // Rows are renormalised, so float rounding in a softmax does not bias the score.
    for (index, row) in rows.enumerated() where rowSums[index] > 0 {
      for j in 0..<k { marginal[j] += Double(p[row * k + j]) / rowSums[index] }
    }
    for j in 0..<k { marginal[j] /= Double(rows.count) }
    var klSum = 0.0
    for (index, row) in rows.enumerated() where rowSums[index] > 0 {
      for j in 0..<k {
        let q = Double(p[row * k + j]) / rowSums[index]
        if q > 0 { klSum += q * (log(q) - log(marginal[j])) }
      }
    }
    scores.append(exp(klSum / Double(rows.count)))
  }
  let mean = scores.reduce(0, +) / Double(scores.count)
  let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)
  return InceptionScore(mean: mean, standardDeviation: variance.squareRoot(), splitScores: scores)
}

/// The share of rows of `[N, K]` class probabilities whose largest probability is at least
/// `threshold`: how many generated digits the classifier reads without hesitation (about 0.99 for
/// real MNIST test digits with a 99 % classifier), where the Inception score mixes that with class
/// balance.
///
/// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if `probabilities` is not
///   `[N, K]` with N >= 1; `GenerativeKitError/invalidArgument(_:)` if `threshold` is not in (0, 1].
public func confidentFraction(probabilities: Tensor, threshold: Float = 0.9) throws -> Double {
  guard probabilities.rank == 2, probabilities.shape[0] >= 1, probabilities.shape[1] >= 1 else {
    throw GenerativeKitError.shapeMismatch(
      context: "confidentFraction: probabilities", expected: "[N, K] with N >= 1", actual: probabilities.shape)
  }
  guard threshold > 0 && threshold <= 1 else {
    throw GenerativeKitError.invalidArgument("confidentFraction: threshold must be in (0, 1], got \(threshold)")
  }
  let (n, k) = (probabilities.shape[0], probabilities.shape[1])
  let p = probabilities.pointer
  let confident = argmaxRows(probabilities).enumerated().filter { p[$0.offset * k + $0.element] >= threshold }.count
  return Double(confident) / Double(n)
}

/// How often each class is predicted for a set of generated samples: a direct check for mode
/// collapse (a GAN that draws only a few digits) and for class imbalance.
public struct ClassHistogram: Sendable, Equatable, CustomStringConvertible {
  /// `counts[c]`: the number of samples assigned to class `c`.
  public let counts: [Int]

  /// A histogram of predicted class indices in `0..<classCount`.
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` naming the first label outside the range,
  ///   or if `classCount` < 1 or there are no labels.
  public init(labels: [Int], classCount: Int) throws {
    guard classCount >= 1 else {
      throw GenerativeKitError.invalidArgument("ClassHistogram: classCount must be at least 1, got \(classCount)")
    }
    guard !labels.isEmpty else { throw GenerativeKitError.invalidArgument("ClassHistogram: no labels given") }
    if let bad = labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
      throw GenerativeKitError.invalidArgument(
        "ClassHistogram: label \(labels[bad]) at index \(bad) is outside 0..<\(classCount)")
    }
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels { counts[label] += 1 }
    self.counts = counts
  }

  /// A histogram of the most probable class of each row of `[N, K]` probabilities or logits.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` if it is not `[N, K]` with N >= 1.
  public init(probabilities: Tensor) throws {
    guard probabilities.rank == 2, probabilities.shape[0] >= 1, probabilities.shape[1] >= 1 else {
      throw GenerativeKitError.shapeMismatch(
        context: "ClassHistogram(probabilities:)", expected: "[N, K] with N >= 1", actual: probabilities.shape)
    }
    try self.init(labels: argmaxRows(probabilities), classCount: probabilities.shape[1])
  }

  /// The number of samples.
  public var total: Int { counts.reduce(0, +) }

  /// The share of samples in each class, summing to 1.
  public var frequencies: [Double] { counts.map { Double($0) / Double(max(total, 1)) } }

  /// The number of classes that occur at least once.
  public var classesPresent: Int { counts.filter { $0 > 0 }.count }

  /// The classes that never occur.
  public var missingClasses: [Int] { counts.indices.filter { counts[$0] == 0 } }

  /// `KL(histogram || uniform) = sum_c f_c log(K f_c)` in nats: 0 for perfectly balanced classes,
  /// `log K` when every sample is one class (log 10 = 2.303 for digits).
  public var klDivergenceFromUniform: Double {
    let k = Double(counts.count)
    return frequencies.reduce(0) { $0 + ($1 > 0 ? $1 * log(k * $1) : 0) }
  }

  public var description: String {
    let shares = frequencies.enumerated().map { "\($0.offset): \(formatFixed(100 * $0.element, digits: 1)) %" }
    return "ClassHistogram(\(classesPresent)/\(counts.count) classes present, KL from uniform "
      + "\(formatFixed(klDivergenceFromUniform, digits: 4)); \(shares.joined(separator: ", ")))"
  }
}

/// The index of the largest entry of every row of `[N, K]` (the first one on ties).
package func argmaxRows(_ matrix: Tensor) -> [Int] {
  let (n, k) = (matrix.shape[0], matrix.shape[1])
  let p = matrix.pointer
  return (0..<n).map { row in
    var best = 0
    for j in 1..<max(k, 1) where p[row * k + j] > p[row * k + best] { best = j }
    return best
  }
}

#if canImport(Glibc)
  import Glibc
#endif
