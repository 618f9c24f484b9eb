import Dispatch
import Synchronization
import GenerativeKit

/// What a ``DataLoader`` does with the last, smaller batch when the data set's size is not a
/// multiple of the batch size.
public enum LastBatchPolicy: Sendable, Equatable {
  /// Leave the remaining images out of the epoch (every batch has `batchSize` images).
  case drop
  /// Yield them as a final, smaller batch.
  case keep
  /// Yield them as a final, smaller batch when there are at least this many, otherwise leave
  /// them out: a batch of one image cannot be batch-normalised in training mode, and a global
  /// batch split over N processes needs N images.
  case keepAtLeast(Int)
}

/// One batch: images `[B, C, H, W]` and, where the data set has labels, one label per image.
public typealias DataBatch = (images: Tensor, labels: [Int]?)

/// Where a ``DataLoader`` is in its stream of batches: enough to continue exactly after a
/// checkpoint with ``DataLoader/resume(from:)``.
public struct DataLoaderState: Codable, Equatable, Sendable {
  /// The loader's seed; every epoch's order and flips derive from it.
  public var seed: UInt64
  /// The epoch in progress (from 1, as ``DataLoader/epoch(_:startingAt:)`` counts).
  public var epoch: Int
  /// The index of the next batch to yield in that epoch.
  public var batch: Int

  public init(seed: UInt64, epoch: Int, batch: Int) {
    self.seed = seed
    self.epoch = epoch
    self.batch = batch
  }
}

/// Cuts an ``ImageDataSet`` into batches, epoch after epoch.
///
/// Each epoch's order (a seeded shuffle) and horizontal flips (each image with probability 0.5)
/// are a pure function of the seed and the epoch number, computed before the epoch starts, so they
/// do not depend on timing or on which epochs ran before: `epoch(3)` gives the same batches in a
/// fresh process as after two epochs. Epochs count from 1, as `TrainingLoop`, the experiments'
/// reports and their checkpoints count them. While a batch is used, the next one is assembled on a
/// background thread.
///
/// ```swift
/// let loader = DataLoader(mnist, batchSize: 64, seed: 42)
/// for epoch in 1...10 {
///   for (images, labels) in loader.epoch(epoch) { ... }  // images: [64, 1, 28, 28]
/// }
/// ```
public struct DataLoader: Sendable {
  /// The images (and labels) batches are taken from.
  public let dataSet: ImageDataSet
  /// Images per batch (the last batch may be smaller with ``LastBatchPolicy/keep``).
  public let batchSize: Int
  /// Whether each epoch visits the images in a seeded random order (otherwise in stored order).
  public let shuffle: Bool
  /// What happens to the last, smaller batch.
  public let lastBatch: LastBatchPolicy
  /// Whether images are mirrored left-right, each with probability 0.5 per epoch.
  public let horizontalFlip: Bool
  /// The seed every epoch's order and flips derive from.
  public let seed: UInt64
  /// Whether the next batch is assembled on a background thread.
  public let prefetch: Bool

  /// A loader over `dataSet`.
  ///
  /// - Precondition: `batchSize >= 1`.
  public init(
    _ dataSet: ImageDataSet, batchSize: Int, shuffle: Bool = true, lastBatch: LastBatchPolicy = .keep,
    horizontalFlip: Bool = false, seed: UInt64 = 0, prefetch: Bool = true
  ) {
    enforce(batchSize >= 1, "DataLoader(\(dataSet.name)): batchSize must be at least 1, got \(batchSize)")
    self.dataSet = dataSet
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.lastBatch = lastBatch
    self.horizontalFlip = horizontalFlip
    self.seed = seed
    self.prefetch = prefetch
  }

  /// The number of batches in every epoch.
  public var batchesPerEpoch: Int {
    let count = dataSet.count
    switch lastBatch {
    case .drop: return count / batchSize
    case .keep: return (count + batchSize - 1) / batchSize
    case .keepAtLeast(let minimum):
      let remainder = count % batchSize
      return count / batchSize + (remainder > 0 && remainder >= minimum ? 1 : 0)
    }
  }

  /// The images of epoch `epoch` (from 1), in the order they are visited (indices into the data set).
  public func order(epoch: Int) -> [Int] {
    checkEpoch(epoch)
    return plan(epoch: epoch).order
  }

  /// The batches of epoch `epoch` (from 1), starting at batch `start` (from 0).
  public func epoch(_ epoch: Int, startingAt start: Int = 0) -> Epoch {
    checkEpoch(epoch)
    enforce((0...batchesPerEpoch).contains(start),
                 "DataLoader(\(dataSet.name)): start batch \(start) outside 0...\(batchesPerEpoch)")
    return Epoch(loader: self, epoch: epoch, start: start)
  }

  /// The rest of the epoch a saved ``DataLoaderState`` points into.
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` if the state was saved with another seed
  ///   or points outside the epoch.
  public func resume(from state: DataLoaderState) throws -> Epoch {
    guard state.seed == seed else {
      throw GenerativeKitError.invalidArgument(
        "DataLoader(\(dataSet.name)): saved state has seed \(state.seed), this loader uses \(seed)")
    }
    guard state.epoch >= 1, (0...batchesPerEpoch).contains(state.batch) else {
      throw GenerativeKitError.invalidArgument(
        "DataLoader(\(dataSet.name)): saved state epoch \(state.epoch), batch \(state.batch) is outside"
          + " epoch >= 1 (epochs count from 1), batch 0...\(batchesPerEpoch)")
    }
    return epoch(state.epoch, startingAt: state.batch)
  }

  /// Batch `index` (from 0) of epoch `epoch` (from 1), assembled now (``Epoch`` does this ahead of time).
  public func batch(_ index: Int, epoch: Int) -> DataBatch {
    checkEpoch(epoch)
    enforce((0..<batchesPerEpoch).contains(index),
                 "DataLoader(\(dataSet.name)): batch \(index) outside 0..<\(batchesPerEpoch)")
    return assemble(index, plan: plan(epoch: epoch))
  }

  // MARK: - Epoch plans

  /// An epoch's visiting order and, per position in it, whether that image is flipped.
  struct Plan: Sendable {
    var order: [Int]
    var flips: [Bool]
  }

  /// Stops with a message on an epoch below 1 (epochs count from 1).
  private func checkEpoch(_ epoch: Int) {
    enforce(epoch >= 1, "DataLoader(\(dataSet.name)): epochs count from 1, as TrainingLoop counts them; got epoch \(epoch)")
  }

  /// Epoch `epoch`'s plan; the streams are numbered from 0, so epoch 1's is the one epoch 0 had
  /// when epochs were counted from 0, and runs keep their batches.
  func plan(epoch: Int) -> Plan {
    var generator = SeededGenerator(seed: seed ^ Self.scramble(UInt64(epoch - 1)))
    let order = shuffle ? generator.permutation(dataSet.count) : Array(0..<dataSet.count)
    var flips: [Bool] = []
    if horizontalFlip {
      var flipGenerator = generator.split()
      flips = (0..<order.count).map { _ in flipGenerator.next() >> 63 == 1 }
    }
    return Plan(order: order, flips: flips)
  }

  /// SplitMix64's finalizer over the epoch number, so neighbouring epochs get unrelated streams.
  private static func scramble(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Copies batch `index`'s images (flipped where planned) and labels.
  func assemble(_ index: Int, plan: Plan) -> DataBatch {
    let start = index * batchSize
    let end = min(start + batchSize, plan.order.count)
    let imageSize = dataSet.imageSize
    var images = Tensor(uninitializedShape: [end - start] + dataSet.imageShape)
    let target = images.mutablePointer()
    for position in start..<end {
      dataSet.copyImage(plan.order[position], into: target + (position - start) * imageSize,
                        mirrored: !plan.flips.isEmpty && plan.flips[position])
    }
    let labels = dataSet.labels.map { all in plan.order[start..<end].map { all[$0] } }
    return (images, labels)
  }
}

extension DataLoader {
  /// The batches of one epoch. Iterating assembles each next batch on a background thread while
  /// the current one is in use; the batches are the same with or without prefetching.
  public struct Epoch: Sequence {
    /// The loader the batches come from.
    public let loader: DataLoader
    /// The epoch number (from 1).
    public let epoch: Int
    /// The first batch yielded.
    public let start: Int

    /// The number of batches this sequence yields.
    public var count: Int { loader.batchesPerEpoch - start }

    public var underestimatedCount: Int { count }

    public func makeIterator() -> Iterator {
      Iterator(loader: loader, epoch: epoch, start: start)
    }

    /// Yields the batches; ``state`` tells where it is, for checkpoints.
    public final class Iterator: IteratorProtocol {
      private let loader: DataLoader
      private let epoch: Int
      private let plan: Plan
      private let end: Int
      private var nextIndex: Int
      private var pending: (index: Int, slot: PrefetchSlot)?
      private let queue = DispatchQueue(label: "GenerativeKit.DataLoader.prefetch")

      init(loader: DataLoader, epoch: Int, start: Int) {
        self.loader = loader
        self.epoch = epoch
        self.plan = loader.plan(epoch: epoch)
        self.end = loader.batchesPerEpoch
        self.nextIndex = start
      }

      /// The position of the next batch: save it with a checkpoint and pass it to
      /// ``DataLoader/resume(from:)`` to continue from there.
      public var state: DataLoaderState {
        DataLoaderState(seed: loader.seed, epoch: epoch, batch: nextIndex)
      }

      public func next() -> DataBatch? {
        guard nextIndex < end else { return nil }
        let batch: DataBatch
        if let pending, pending.index == nextIndex {
          batch = pending.slot.wait()
        } else {
          batch = loader.assemble(nextIndex, plan: plan)
        }
        pending = nil
        nextIndex += 1
        if loader.prefetch && nextIndex < end {
          let slot = PrefetchSlot()
          let (loader, plan, index) = (self.loader, self.plan, self.nextIndex)
          queue.async { slot.fill(loader.assemble(index, plan: plan)) }
          pending = (nextIndex, slot)
        }
        return batch
      }
    }
  }
}

/// A batch being assembled on another thread; ``wait()`` blocks until it is there.
final class PrefetchSlot: Sendable {
  private let ready = DispatchSemaphore(value: 0)
  private let batch = Mutex<DataBatch?>(nil)

  func fill(_ batch: DataBatch) {
    self.batch.withLock { $0 = batch }
    ready.signal()
  }

  func wait() -> DataBatch {
    ready.wait()
    return batch.withLock { $0! }
  }
}
