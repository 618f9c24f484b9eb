import GenerativeKit

/// How a set of generated digits compares with real ones, seen through the digit classifier: the
/// figures of the report's MNIST table from one call,
/// ``DigitClassifier/sampleQuality(of:against:realFeatures:parzenValidation:neighbors:inceptionSplits:)``.
public struct SampleQuality: Sendable, CustomStringConvertible {
  /// Fréchet distance between the samples' and the real images' classifier features (lower is better).
  public var frechetDistance: Double
  /// Kernel distance (KID) between the same features: unbiased, with an error bar (lower is better).
  public var kernelDistance: KernelDistance
  /// The classifier's Inception score of the samples (at most the number of classes).
  public var inceptionScore: InceptionScore
  /// The fraction of samples the classifier labels with at least 90 % confidence.
  public var confidentFraction: Double
  /// How the samples spread over the classes.
  public var classHistogram: ClassHistogram
  /// Precision and recall of the samples' features against the real ones (Kynkäänniemi et al. 2019).
  public var precisionRecall: PrecisionRecall
  /// The Parzen-window log-likelihood of the real images under the samples, when validation
  /// images were given to choose the bandwidth.
  public var parzen: ParzenEvaluation?

  public var description: String {
    var lines = [
      "FID \(formatFixed(frechetDistance, digits: 4))",
      "\(kernelDistance)",
      "Inception score \(formatFixed(inceptionScore.mean, digits: 3)) +- \(formatFixed(inceptionScore.standardDeviation, digits: 3))",
      "confident \(formatFixed(100 * confidentFraction, digits: 2)) %",
      "precision \(formatFixed(precisionRecall.precision, digits: 4)), recall \(formatFixed(precisionRecall.recall, digits: 4)) (k = \(precisionRecall.k))",
      "\(classHistogram)",
    ]
    if let parzen { lines.append("Parzen \(parzen.test)") }
    return lines.joined(separator: "\n")
  }
}

extension DigitClassifier {
  /// Measures generated images against real ones: FID, KID and precision/recall on the classifier's
  /// features, the Inception score, confident fraction and class histogram from its
  /// probabilities, and, given validation images, the Parzen-window log-likelihood of `real`.
  ///
  /// - Parameters:
  ///   - samples: generated images `[N, C, H, W]` in [0, 1], the classifier's image shape.
  ///   - real: real images `[M, C, H, W]` in [0, 1] (the test set).
  ///   - realFeatures: ``features(_:batchSize:)`` of `real`, when several models are measured
  ///     against the same images; computed here otherwise.
  ///   - parzenValidation: held-out real images (not `real`) that choose the Parzen bandwidth; no
  ///     Parzen estimate without them.
  ///   - neighbors: the k of precision and recall.
  ///   - inceptionSplits: the Inception score's splits (10 in the literature).
  /// - Throws: the first metric's error, naming the argument whose shape or size is wrong.
  public func sampleQuality(
    of samples: Tensor, against real: Tensor, realFeatures: Tensor? = nil, parzenValidation: Tensor? = nil,
    neighbors: Int = 3, inceptionSplits: Int = 10
  ) throws -> SampleQuality {
    let referenceFeatures = try realFeatures ?? features(real)
    let sampleFeatures = try features(samples)
    let probabilities = try self.probabilities(samples)
    // Subsets of half the smaller set (at most Bińkowski et al.'s 1,000), so that their spread means something.
    let subsetSize = min(1_000, max(2, min(sampleFeatures.shape[0], referenceFeatures.shape[0]) / 2))
    return SampleQuality(
      frechetDistance: try frechetDistance(sampleFeatures, referenceFeatures),
      kernelDistance: try kernelDistance(referenceFeatures, sampleFeatures, subsets: 100, subsetSize: subsetSize),
      inceptionScore: try inceptionScore(probabilities: probabilities, splits: inceptionSplits),
      confidentFraction: try confidentFraction(probabilities: probabilities),
      classHistogram: try ClassHistogram(probabilities: probabilities),
      precisionRecall: try precisionRecall(real: referenceFeatures, generated: sampleFeatures, k: neighbors),
      parzen: try parzenValidation.map { try ParzenWindow.evaluate(samples: samples, validation: $0, test: real) })
  }
}
