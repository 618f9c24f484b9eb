import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// Laplacian pyramids and the sliced Wasserstein distance between patch distributions.
@Suite("Metrics: sliced Wasserstein distance")
struct MetricsSlicedWassersteinTests {
  /// Images with sharp edges: a few random rectangles of random brightness on a dark background.
  static func rectangles(count: Int, size: Int = 32, seed: UInt64) -> Tensor {
    var random = SeededGenerator(seed: seed)
    var images = Tensor(shape: [count, 1, size, size])
    images.withUnsafeMutableBufferPointer { p in
      for n in 0..<count {
        for _ in 0..<4 {
          let (top, left) = (Int(random.next() % UInt64(size - 4)), Int(random.next() % UInt64(size - 4)))
          let (height, width) = (4 + Int(random.next() % 12), 4 + Int(random.next() % 12))
          let value = 0.3 + 0.7 * random.nextUniform()
          for y in top..<min(size, top + height) {
            for x in left..<min(size, left + width) { p[(n * size + y) * size + x] = value }
          }
        }
      }
    }
    return images
  }

  static func blurred(_ images: Tensor, times: Int) -> Tensor {
    var x = images
    for _ in 0..<times { x = LaplacianPyramid.blur(x, stride: 1, gain: 1) }
    return x
  }

  static let quick = SlicedWassersteinSettings(
    patchesPerImage: 32, projectionRepeats: 2, projectionsPerRepeat: 32, seed: 5)

  @Test("Level sizes follow Karras et al.'s rule (down to 16 pixels), with odd sizes rounded up")
  func levelSizes() {
    let settings = SlicedWassersteinSettings()
    #expect(settings.levelSizes(height: 64, width: 64).map(\.height) == [64, 32, 16])
    #expect(settings.levelSizes(height: 28, width: 28).map(\.height) == [28])
    let small = SlicedWassersteinSettings(minimumResolution: 8).levelSizes(height: 28, width: 20)
    #expect(small.map(\.height) == [28, 14] && small.map(\.width) == [20, 10])
  }

  @Test("The pyramid reconstructs its input exactly, and a constant image has no band-pass content")
  func pyramid() throws {
    let images = Self.rectangles(count: 2, size: 27, seed: 1)
    let levels = LaplacianPyramid.build(images, levels: 3)
    #expect(levels.map(\.shape) == [[2, 1, 27, 27], [2, 1, 14, 14], [2, 1, 7, 7]])
    var reconstruction = levels[2]
    for level in [1, 0] {
      reconstruction = levels[level] + LaplacianPyramid.up(reconstruction, height: levels[level].shape[2], width: levels[level].shape[3])
    }
    #expect(reconstruction.maxAbsoluteDifference(to: images) < 1e-5)

    let constant = Tensor(shape: [1, 1, 20, 13], repeating: 0.7)
    let flat = LaplacianPyramid.build(constant, levels: 2)
    #expect(flat[0].maxAbsoluteDifference(to: Tensor(shape: [1, 1, 20, 13])) < 1e-6)
    #expect(flat[1].maxAbsoluteDifference(to: Tensor(shape: [1, 1, 10, 7], repeating: 0.7)) < 1e-6)
  }

  @Test("1-D Wasserstein-1 of sorted samples: equal and unequal sizes")
  func wassersteinOneD() {
    #expect(abs(wasserstein1(sorted: [0, 1, 2], sorted: [0.5, 1, 4]) - (0.5 + 0 + 2) / 3) < 1e-12)
    // Quantile functions differ by 0.5 on t in [1/3, 2/3): 1/6.
    #expect(abs(wasserstein1(sorted: [0, 1], sorted: [0, 0.5, 1]) - 1.0 / 6) < 1e-12)
    #expect(wasserstein1(sorted: [1, 2], sorted: [1, 1, 2, 2]) == 0)
  }

  @Test("The radix sort orders negative, zero and positive floats like the standard sort")
  func radixSort() {
    var random = SeededGenerator(seed: 9)
    var values = (0..<1000).map { _ in Float(random.nextNormalPair().0) * 1e3 }
    values += [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.infinity]
    let sorted = values.withUnsafeBufferPointer { radixSorted($0) }
    #expect(sorted == values.sorted())
  }

  @Test("Identical sets are at distance 0 on every level")
  func identical() throws {
    let images = Self.rectangles(count: 8, seed: 2)
    let result = try slicedWassersteinDistance(images, images, settings: Self.quick)
    #expect(result.levels.map(\.height) == [32, 16])
    #expect(result.levels.allSatisfy { $0.distance == 0 })
    #expect(result.mean == 0)
  }

  @Test("Blurred sets are clearly further away, and more blur means a larger distance")
  func blurIsMonotone() throws {
    let images = Self.rectangles(count: 24, seed: 3)
    // The same images in reverse order get other patch positions: the estimator's own noise.
    let reversed = Tensor.concatenate(batches: (0..<24).reversed().map { images.slice(batch: $0..<($0 + 1)) })
    let settings = SlicedWassersteinSettings(patchesPerImage: 128, projectionRepeats: 2, projectionsPerRepeat: 64, seed: 5)
    let noiseFloor = try slicedWassersteinDistance(images, reversed, settings: settings).mean
    let distances = try [1, 2, 4, 8].map {
      try slicedWassersteinDistance(images, Self.blurred(images, times: $0), settings: settings).mean
    }
    #expect(distances[0] > 2 * noiseFloor, "blur 1: \(distances[0]), same images re-sampled: \(noiseFloor)")
    #expect(distances[0] < distances[1] && distances[1] < distances[2] && distances[2] < distances[3], "\(distances)")
  }

  @Test("Additive noise is detected; mismatched shapes and tiny images are rejected")
  func noiseAndErrors() throws {
    let images = Self.rectangles(count: 8, seed: 6)
    var random = SeededGenerator(seed: 7)
    let noisy = images + Tensor.randomNormal(shape: images.shape, standardDeviation: 0.1, using: &random)
    #expect(try slicedWassersteinDistance(images, noisy, settings: Self.quick).mean > 0.05)
    #expect(throws: GenerativeKitError.self) {
      try slicedWassersteinDistance(images, Tensor(shape: [8, 1, 32, 31]), settings: Self.quick)
    }
    #expect(throws: GenerativeKitError.self) {
      try slicedWassersteinDistance(Tensor(shape: [2, 1, 5, 5]), Tensor(shape: [2, 1, 5, 5]))
    }
  }
}
