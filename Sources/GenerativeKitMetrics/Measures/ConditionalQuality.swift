import GenerativeKit

/// How well a class-conditional model's samples of one class match that class.
public struct ClassQuality: Sendable, Equatable {
  /// The class asked for.
  public var label: Int
  /// The samples generated for it.
  public var sampleCount: Int
  /// The fraction of those samples that the classifier labels as `label` (a well-trained
  /// conditional model comes close to the classifier's own test accuracy).
  public var agreement: Double
  /// FID between the class's samples and the real images of the class, on the classifier's
  /// features; nil when either set has too few images (see ``DigitClassifier/conditionalQuality(of:labels:against:realLabels:neighbors:)``).
  public var frechetDistance: Double?
  /// Precision and recall of the class's samples against the class's real images; nil as above.
  public var precisionRecall: PrecisionRecall?
}

/// Per-class and overall figures of a class-conditional model's samples.
public struct ConditionalSampleQuality: Sendable, CustomStringConvertible {
  /// One entry per class that has samples, in class order.
  public var classes: [ClassQuality]
  /// The fraction of all samples labelled as the class they were generated for.
  public var agreement: Double

  /// A Markdown table, one row per class, then the overall agreement.
  public var description: String {
    func figure(_ value: Double?, digits: Int) -> String { value.map { formatFixed($0, digits: digits) } ?? "-" }
    var lines = ["| class | samples | labelled as the class | FID | precision | recall |", "|---|---|---|---|---|---|"]
    for entry in classes {
      lines.append(
        "| \(entry.label) | \(entry.sampleCount) | \(formatFixed(100 * entry.agreement, digits: 1)) % | "
          + "\(figure(entry.frechetDistance, digits: 2)) | \(figure(entry.precisionRecall?.precision, digits: 3)) | "
          + "\(figure(entry.precisionRecall?.recall, digits: 3)) |")
    }
    lines.append("overall: \(formatFixed(100 * agreement, digits: 1)) % of the samples labelled as their class")
    return lines.joined(separator: "\n")
  }
}

extension DigitClassifier {
  /// Measures a conditional model's samples class by class: how many of the samples generated for
  /// class K the classifier labels K, and FID and precision/recall of those samples against the
  /// real images of class K.
  ///
  /// - Parameters:
  ///   - samples: generated images `[N, 1, 28, 28]` in [0, 1].
  ///   - labels: the class each sample was generated for (N labels).
  ///   - real: real images `[M, 1, 28, 28]` in [0, 1] (the test set).
  ///   - realLabels: their classes (M labels).
  ///   - neighbors: the k of precision and recall; a class needs more than k images on both sides
  ///     (and at least 2) for FID and precision/recall, otherwise those are nil.
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` when a label count differs from its image count.
  public func conditionalQuality(
    of samples: Tensor, labels: [Int], against real: Tensor, realLabels: [Int], neighbors: Int = 3
  ) throws -> ConditionalSampleQuality {
    for (name, images, given) in [("samples", samples, labels), ("real", real, realLabels)] {
      guard images.rank == 4, given.count == images.shape[0] else {
        throw GenerativeKitError.invalidArgument(
          "DigitClassifier.conditionalQuality: \(given.count) labels for \(name) \(images.shapeDescription)")
      }
    }
    let predicted = try predictions(samples)
    let (sampleFeatures, realFeatures) = (try features(samples), try features(real))
    let minimumRows = max(2, neighbors + 1)
    var entries: [ClassQuality] = []
    for label in Set(labels).sorted() {
      let sampleRows = labels.indices.filter { labels[$0] == label }
      let realRows = realLabels.indices.filter { realLabels[$0] == label }
      let agreed = sampleRows.filter { predicted[$0] == label }.count
      var entry = ClassQuality(
        label: label, sampleCount: sampleRows.count, agreement: Double(agreed) / Double(sampleRows.count))
      if sampleRows.count >= minimumRows, realRows.count >= minimumRows {
        let (generated, reference) = (sampleFeatures.selectingRows(sampleRows), realFeatures.selectingRows(realRows))
        entry.frechetDistance = try frechetDistance(generated, reference)
        entry.precisionRecall = try precisionRecall(real: reference, generated: generated, k: neighbors)
      }
      entries.append(entry)
    }
    let agreed = labels.indices.filter { predicted[$0] == labels[$0] }.count
    return ConditionalSampleQuality(classes: entries, agreement: Double(agreed) / Double(max(1, labels.count)))
  }
}

extension Tensor {
  /// The rows `indices` of a `[N, F]` matrix, in that order: `[indices.count, F]`.
  fileprivate func selectingRows(_ indices: [Int]) -> Tensor {
    let width = shape[1]
    let result = Tensor(uninitializedShape: [indices.count, width])
    for (row, index) in indices.enumerated() {
      (result.storage.pointer + row * width).update(from: pointer + index * width, count: width)
    }
    return result
  }
}
