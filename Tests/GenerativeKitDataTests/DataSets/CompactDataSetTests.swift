import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// Data sets kept as bytes read exactly like the same set stored as Floats.
@Suite("Compact (8-bit) data sets")
struct CompactDataSetTests {
  /// 37 images of [2, 3, 4] with every byte value appearing, as bytes and as the Floats they scale to.
  static func pair(range: PixelRange) -> (compact: ImageDataSet, floats: ImageDataSet) {
    let shape = [37, 2, 3, 4]
    let pixels = (0..<Tensor.count(of: shape)).map { UInt8(($0 * 7) % 256) }
    let labels = (0..<37).map { $0 % 10 }
    let compact = ImageDataSet(name: "bytes", pixels: pixels, shape: shape, labels: labels, pixelRange: range)
    let floats = ImageDataSet(name: "floats", images: Tensor(shape: shape, scalars: pixels.map(range.scale)),
                              labels: labels, pixelRange: range)
    return (compact, floats)
  }

  @Test("Whole set, ranges of images and prefixes equal the Float set's", arguments: [PixelRange.unit, .symmetric])
  func reads(range: PixelRange) {
    let (compact, floats) = Self.pair(range: range)
    #expect(compact.isCompact && !floats.isCompact)
    #expect(compact.count == 37 && compact.imageShape == [2, 3, 4])
    #expect(compact.images == floats.images)
    #expect(compact.images(in: 5..<19) == floats.images(in: 5..<19))
    #expect(compact.images(in: 3..<3).shape == [0, 2, 3, 4])
    let prefix = compact.prefix(10)
    #expect(prefix.isCompact && prefix.count == 10 && prefix.labels == Array(floats.labels!.prefix(10)))
    #expect(prefix.images == floats.prefix(10).images)
  }

  @Test("The data loader gives the same batches, flips included")
  func loader() {
    let (compact, floats) = Self.pair(range: .symmetric)
    let a = DataLoader(compact, batchSize: 8, horizontalFlip: true, seed: 3, prefetch: false)
    let b = DataLoader(floats, batchSize: 8, horizontalFlip: true, seed: 3, prefetch: false)
    for epoch in 1...2 {
      for index in 0..<a.batchesPerEpoch {
        let (x, y) = (a.batch(index, epoch: epoch), b.batch(index, epoch: epoch))
        #expect(x.images == y.images && x.labels == y.labels)
      }
    }
  }

  @Test("Rescaling keeps the bytes and reads them in the new range; Float sets are converted")
  func rescale() {
    let (compact, floats) = Self.pair(range: .unit)
    let symmetric = compact.rescaled(to: .symmetric)
    #expect(symmetric.isCompact && symmetric.pixelRange == .symmetric)
    #expect(symmetric.images == Self.pair(range: .symmetric).floats.images)
    let converted = floats.rescaled(to: .symmetric)
    #expect(!converted.isCompact)
    #expect(converted.images.maxAbsoluteDifference(to: symmetric.images) < 1e-6)
    #expect(converted.rescaled(to: .unit).images.maxAbsoluteDifference(to: floats.images) < 1e-6)
  }

  @Test("MNIST loads compact: 47 MB of bytes instead of 188 MB of Floats")
  func mnistIsCompact() throws {
    let set = try DataFixtures.mnistTrain.get()
    #expect(set.isCompact)
    #expect(set.images(in: 100..<104) == set.images.slice(batch: 100..<104))
  }
}
