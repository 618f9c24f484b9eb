import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Data loader")
struct DataLoaderTests {
  /// 10 images [1, 2, 3] whose pixels encode the image index (index * 100 + position) and labels
  /// equal to the index, so every batch can be traced back to its images.
  static func numbered(count: Int = 10, channels: Int = 1) -> ImageDataSet {
    let size = channels * 2 * 3
    let scalars = (0..<(count * size)).map { Float(($0 / size) * 100 + $0 % size) }
    return ImageDataSet(name: "numbered", images: Tensor(shape: [count, channels, 2, 3], scalars: scalars),
                        labels: Array(0..<count), pixelRange: .unit)
  }

  /// The image index a batch row came from (its first pixel, unflipped or flipped).
  static func sourceIndex(of images: Tensor, row: Int) -> Int {
    Int(images[row, 0, 0, 0]) / 100
  }

  func collect(_ epoch: DataLoader.Epoch) -> [DataBatch] { Array(epoch) }

  @Test("Batch counts and sizes follow the last-batch policy")
  func batchCounts() {
    let set = Self.numbered()
    let keep = DataLoader(set, batchSize: 4, lastBatch: .keep)
    #expect(keep.batchesPerEpoch == 3)
    #expect(collect(keep.epoch(1)).map { $0.images.shape[0] } == [4, 4, 2])
    #expect(keep.epoch(1).count == 3)
    let drop = DataLoader(set, batchSize: 4, lastBatch: .drop)
    #expect(drop.batchesPerEpoch == 2)
    #expect(collect(drop.epoch(1)).map { $0.images.shape } == [[4, 1, 2, 3], [4, 1, 2, 3]])
    #expect(DataLoader(set, batchSize: 5, lastBatch: .drop).batchesPerEpoch == 2)
    #expect(DataLoader(set, batchSize: 11, lastBatch: .drop).batchesPerEpoch == 0)
    #expect(collect(DataLoader(set, batchSize: 11, lastBatch: .drop).epoch(1)).isEmpty)
    #expect(DataLoader(set, batchSize: 11).batchesPerEpoch == 1)
    // Ten images: a remainder of 2 is kept at a minimum of 2, left out at a minimum of 3.
    #expect(collect(DataLoader(set, batchSize: 4, lastBatch: .keepAtLeast(2)).epoch(1)).map { $0.images.shape[0] } == [4, 4, 2])
    #expect(collect(DataLoader(set, batchSize: 4, lastBatch: .keepAtLeast(3)).epoch(1)).map { $0.images.shape[0] } == [4, 4])
    #expect(DataLoader(set, batchSize: 3, lastBatch: .keepAtLeast(2)).batchesPerEpoch == 3)
    #expect(DataLoader(set, batchSize: 5, lastBatch: .keepAtLeast(2)).batchesPerEpoch == 2)
  }

  @Test("Without shuffling, batches come in stored order with matching labels")
  func inOrder() {
    let loader = DataLoader(Self.numbered(), batchSize: 3, shuffle: false)
    let batches = collect(loader.epoch(1))
    #expect(batches.map { $0.labels ?? [] } == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
    #expect(batches[1].images == Self.numbered().images.slice(batch: 3..<6))
  }

  @Test("Shuffling is a seeded permutation: same seed and epoch, same order")
  func seededShuffle() {
    let set = Self.numbered(count: 50)
    let loader = DataLoader(set, batchSize: 8, seed: 7)
    let order = loader.order(epoch: 1)
    #expect(order.sorted() == Array(0..<50))
    #expect(order != Array(0..<50))
    #expect(DataLoader(set, batchSize: 8, seed: 7).order(epoch: 1) == order)
    #expect(loader.order(epoch: 2) != order)
    #expect(DataLoader(set, batchSize: 8, seed: 8).order(epoch: 1) != order)
    // The batches follow the order, images and labels together.
    let batches = collect(loader.epoch(1))
    let seen = batches.flatMap { batch in (0..<batch.images.shape[0]).map { Self.sourceIndex(of: batch.images, row: $0) } }
    #expect(seen == order)
    #expect(batches.flatMap { $0.labels ?? [] } == order)
  }

  @Test("An epoch's batches do not depend on earlier epochs, prefetching or timing")
  func deterministic() {
    let set = Self.numbered(count: 37)
    let prefetching = DataLoader(set, batchSize: 5, horizontalFlip: true, seed: 3, prefetch: true)
    let direct = DataLoader(set, batchSize: 5, horizontalFlip: true, seed: 3, prefetch: false)
    for _ in 0..<3 {
      let a = collect(prefetching.epoch(3))
      let b = collect(direct.epoch(3))
      #expect(a.map(\.images) == b.map(\.images))
      #expect(a.map { $0.labels ?? [] } == b.map { $0.labels ?? [] })
    }
    // Slow consumption (the prefetch finishes first) gives the same batches.
    var slow: [DataBatch] = []
    for batch in prefetching.epoch(3) {
      Thread.sleep(forTimeInterval: 0.002)
      slow.append(batch)
    }
    #expect(slow.map(\.images) == collect(direct.epoch(3)).map(\.images))
    // Random access agrees with iteration.
    #expect(direct.batch(3, epoch: 3).images == slow[3].images)
  }

  @Test("Horizontal flips mirror rows of about half the images, seeded")
  func flips() {
    let set = Self.numbered(count: 400, channels: 2)
    let loader = DataLoader(set, batchSize: 400, shuffle: false, horizontalFlip: true, seed: 11)
    let batch = loader.batch(0, epoch: 1)
    var flipped = 0
    for row in 0..<400 {
      let original = set.images.slice(batch: row..<(row + 1))
      let got = batch.images.slice(batch: row..<(row + 1))
      if got == original { continue }
      // Mirrored: every row of every channel reversed.
      for channel in 0..<2 {
        for y in 0..<2 {
          for x in 0..<3 { #expect(got[0, channel, y, x] == original[0, channel, y, 2 - x]) }
        }
      }
      flipped += 1
    }
    #expect((160...240).contains(flipped), "flipped \(flipped) of 400")
    #expect(batch.labels == Array(0..<400))
    // Same seed, same flips; another epoch, other flips.
    #expect(DataLoader(set, batchSize: 400, shuffle: false, horizontalFlip: true, seed: 11).batch(0, epoch: 1).images
            == batch.images)
    #expect(loader.batch(0, epoch: 2).images != batch.images)
    // Flipping does not change the order.
    let plain = DataLoader(set, batchSize: 400, horizontalFlip: false, seed: 11)
    #expect(DataLoader(set, batchSize: 400, horizontalFlip: true, seed: 11).order(epoch: 5) == plain.order(epoch: 5))
  }

  @Test("The iterator's state resumes the exact remaining batches")
  func resumeFromState() throws {
    let set = Self.numbered(count: 23)
    let loader = DataLoader(set, batchSize: 4, horizontalFlip: true, seed: 5)
    let full = collect(loader.epoch(2))
    let iterator = loader.epoch(2).makeIterator()
    _ = iterator.next()
    _ = iterator.next()
    let state = iterator.state
    #expect(state == DataLoaderState(seed: 5, epoch: 2, batch: 2))
    // The state survives a checkpoint round trip.
    let saved = try JSONEncoder().encode(state)
    let restored = try JSONDecoder().decode(DataLoaderState.self, from: saved)
    let fresh = DataLoader(set, batchSize: 4, horizontalFlip: true, seed: 5)
    let rest = collect(try fresh.resume(from: restored))
    #expect(rest.map(\.images) == full.dropFirst(2).map(\.images))
    #expect(rest.map { $0.labels ?? [] } == full.dropFirst(2).map { $0.labels ?? [] })
    // A state from another seed is refused.
    let other = DataLoader(set, batchSize: 4, seed: 6)
    let text = DataFixtures.errorText { _ = try other.resume(from: restored) }
    #expect(text?.contains("seed 5") == true)
    let outside = DataFixtures.errorText { _ = try fresh.resume(from: DataLoaderState(seed: 5, epoch: 1, batch: 99)) }
    #expect(outside?.contains("batch 99") == true)
    let zeroth = DataFixtures.errorText { _ = try fresh.resume(from: DataLoaderState(seed: 5, epoch: 0, batch: 0)) }
    #expect(zeroth?.contains("epochs count from 1") == true)
  }

  @Test("Unlabelled sets give nil labels; an iterator abandoned mid-epoch is harmless")
  func unlabelledAndAbandoned() {
    let set = ImageDataSet(name: "plain", images: Tensor(shape: [6, 1, 2, 2], repeating: 0.5), pixelRange: .unit)
    let loader = DataLoader(set, batchSize: 4)
    let batches = collect(loader.epoch(1))
    #expect(batches.count == 2)
    #expect(batches.allSatisfy { $0.labels == nil })
    for _ in 0..<20 {
      let iterator = loader.epoch(1).makeIterator()
      #expect(iterator.next() != nil)  // leaves the second batch being prefetched
    }
  }

  @Test("Real data: an MNIST test epoch covers every image once")
  func mnistEpoch() throws {
    let set = try ImageDataSet.load(.mnist, split: .test, directory: DataFixtures.directory,
                                    environment: DataFixtures.isolatedEnvironment())
    let loader = DataLoader(set, batchSize: 128, lastBatch: .keep, horizontalFlip: true, seed: 1)
    #expect(loader.batchesPerEpoch == 79)
    var labels: [Int] = []
    var batches = 0
    for (images, batchLabels) in loader.epoch(1) {
      #expect(images.shape.dropFirst() == [1, 28, 28])
      labels += batchLabels ?? []
      batches += 1
    }
    #expect(batches == 79)
    #expect(labels.count == 10_000)
    #expect(labels.sorted() == set.labels?.sorted())
  }
}
