import Testing

@testable import GenerativeKit
@testable import GenerativeKitMetrics

@Suite("Metrics: per-class quality of conditional samples")
struct MetricsConditionalQualityTests {
  /// Three "classes" of 12 images each: a bright square in a different place per class.
  static func images(seed: UInt64) -> (Tensor, [Int]) {
    var random = SeededGenerator(seed: seed)
    var images = Tensor(shape: [36, 1, 28, 28])
    var labels: [Int] = []
    for n in 0..<36 {
      let label = n % 3
      let (top, left) = (2 + 8 * label + Int(random.next() % 3), 4 + Int(random.next() % 10))
      for y in top..<(top + 6) { for x in left..<(left + 6) { images[n, 0, y, x] = 0.5 + Float(random.next() % 50) / 100 } }
      labels.append(label)
    }
    return (images, labels)
  }

  @Test("Samples that are the real images of their class: FID 0, precision and recall 1, agreement the classifier's accuracy")
  func realImagesAsSamples() throws {
    let classifier = DigitClassifier(seed: 1)
    let (real, labels) = Self.images(seed: 2)
    let quality = try classifier.conditionalQuality(of: real, labels: labels, against: real, realLabels: labels)
    #expect(quality.classes.map(\.label) == [0, 1, 2])
    #expect(quality.classes.allSatisfy { $0.sampleCount == 12 })
    for entry in quality.classes {
      #expect(try #require(entry.frechetDistance) < 1e-3, "class \(entry.label)")
      #expect(entry.precisionRecall?.precision == 1 && entry.precisionRecall?.recall == 1)
    }
    let predicted = try classifier.predictions(real)
    let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / 36
    #expect(abs(quality.agreement - accuracy) < 1e-12)
    let firstClass = Double(labels.indices.filter { labels[$0] == 0 && predicted[$0] == 0 }.count) / 12
    #expect(abs(quality.classes[0].agreement - firstClass) < 1e-12)
    #expect(quality.description.contains("| 2 | 12 |"))
  }

  @Test("Samples of another class than asked score worse than the right class's; tiny classes and bad counts")
  func wrongClasses() throws {
    let classifier = DigitClassifier(seed: 1)
    let (real, labels) = Self.images(seed: 2)
    let (samples, _) = Self.images(seed: 3)
    let right = try classifier.conditionalQuality(of: samples, labels: labels, against: real, realLabels: labels)
    let shifted = labels.map { ($0 + 1) % 3 }
    let wrong = try classifier.conditionalQuality(of: samples, labels: shifted, against: real, realLabels: labels)
    for (good, bad) in zip(right.classes, wrong.classes) {
      #expect(try #require(good.frechetDistance) < (try #require(bad.frechetDistance)), "class \(good.label)")
    }
    // Three samples of class 0 are too few for precision/recall with k = 3: nil, not a crash.
    let few = try classifier.conditionalQuality(
      of: samples.slice(batch: 0..<3), labels: [0, 0, 0], against: real, realLabels: labels)
    #expect(few.classes.count == 1 && few.classes[0].frechetDistance == nil && few.classes[0].precisionRecall == nil)
    #expect(throws: GenerativeKitError.self) {
      try classifier.conditionalQuality(of: samples, labels: [0], against: real, realLabels: labels)
    }
  }
}
