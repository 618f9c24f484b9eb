import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitMetrics

/// Samples measured against a small unlabelled image set (the faces experiments).
@Suite("Metrics: image-set quality")
struct MetricsImageSetQualityTests {
  static let settings = SlicedWassersteinSettings(patchSize: 3, patchesPerImage: 8, minimumResolution: 4, seed: 5)

  static func images(_ count: Int, seed: UInt64) -> Tensor {
    var random = SeededGenerator(seed: seed)
    return Tensor.randomUniform(shape: [count, 1, 8, 6], using: &random)
  }

  static func rows(_ set: Tensor, _ indices: some Sequence<Int>) -> Tensor {
    Tensor.concatenate(batches: indices.map { set.slice(batch: $0..<($0 + 1)) })
  }

  @Test("The odd-numbered images as samples score exactly the floor; the set's halves are alternate images")
  func floorFromAlternateImages() throws {
    let set = Self.images(21, seed: 1)
    let odd = Self.rows(set, stride(from: 1, to: 21, by: 2))
    let quality = try imageSetQuality(of: odd, against: set, settings: Self.settings)
    #expect(quality.comparedCount == 10)
    #expect(quality.slicedWasserstein == quality.floor)
    #expect(quality.floor == (try slicedWassersteinDistance(Self.rows(set, stride(from: 0, to: 21, by: 2)), odd, settings: Self.settings)))
    // The first ten images (not alternate ones) as samples give another distance.
    let firstHalf = try imageSetQuality(of: set.slice(batch: 0..<10), against: set, settings: Self.settings)
    #expect(firstHalf.slicedWasserstein != firstHalf.floor)
  }

  @Test("Only the first comparedCount samples enter the distance; the panel shows the first panelCount")
  func samplesUsed() throws {
    let set = Self.images(20, seed: 2)
    let samples = Self.images(30, seed: 3)
    let quality = try imageSetQuality(of: samples, against: set, panelCount: 4, settings: Self.settings)
    let even = Self.rows(set, stride(from: 0, to: 20, by: 2))
    #expect(quality.slicedWasserstein == (try slicedWassersteinDistance(even, samples.slice(batch: 0..<10), settings: Self.settings)))
    let neighbors = try nearestNeighbors(of: samples.slice(batch: 0..<4), in: set)
    #expect(quality.neighbors == neighbors)
    #expect(quality.panel == (try nearestNeighborPanel(samples: samples.slice(batch: 0..<4), training: set, neighbors: neighbors)))
    #expect(abs(quality.meanNearestDistance - neighbors.distances.reduce(0, +) / 4) < 1e-12)
  }

  @Test("Copies of training images sit at distance 0; the real images' distance excludes themselves")
  func copiesAndRealDistance() throws {
    var set = Self.images(12, seed: 4)
    // Image 9 repeats image 0 shifted by 0.5 in every pixel: image 0's nearest other image is at
    // most sqrt(48) * 0.5 away; the real distance is measured against images 8..<12 only.
    let shifted = set.slice(batch: 0..<1).scalars.map { $0 + 0.5 }
    let target = set.mutablePointer()
    for (i, value) in shifted.enumerated() { target[9 * 48 + i] = value }
    let samples = Tensor.concatenate(batches: [Self.rows(set, [3, 5, 7, 1, 0, 2, 4, 6]), Self.images(4, seed: 9)])
    let quality = try imageSetQuality(of: samples, against: set, settings: Self.settings)
    #expect(quality.neighbors.indices == [3, 5, 7, 1, 0, 2, 4, 6])
    #expect(quality.meanNearestDistance == 0)
    let expected = try nearestNeighbors(of: set.slice(batch: 0..<8), in: set.slice(batch: 8..<12)).distances.reduce(0, +) / 8
    #expect(abs(quality.realNearestDistance - expected) < 1e-12)
    #expect(quality.realNearestDistance > 0)
  }

  @Test("Too few samples or images and other shapes are refused with the numbers")
  func refusals() throws {
    let set = Self.images(21, seed: 5)
    #expect {
      try imageSetQuality(of: Self.images(9, seed: 6), against: set, settings: Self.settings)
    } throws: { "\($0)".contains("9 samples") && "\($0)".contains("at least 10") }
    #expect {
      try imageSetQuality(of: Self.images(10, seed: 6), against: set.slice(batch: 0..<9), settings: Self.settings)
    } throws: { "\($0)".contains("9 images are too few") }
    #expect(throws: GenerativeKitError.self) {
      try imageSetQuality(of: Tensor(shape: [12, 1, 6, 8]), against: set, settings: Self.settings)
    }
  }
}
