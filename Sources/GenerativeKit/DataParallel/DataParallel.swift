/// The rows of a global batch one process trains on in data-parallel training.
///
/// N processes training one model each take a contiguous shard of every global batch; with the
/// noise, dropout masks and batch statistics of the whole global batch (see
/// ``GANTrainer/step(realImages:labels:shard:)``, ``BatchShardedLayer``, ``BatchStatisticsLayer``) and
/// gradients averaged by a ``GradientSynchronizer``, the step equals one process's step on the
/// global batch, up to the order of floating-point sums.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
  /// The first row of the global batch in this shard.
  public let offset: Int
  /// The rows in this shard (at least 1).
  public let count: Int
  /// The rows of the whole global batch.
  public let globalCount: Int

  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` unless `0 <= offset`, `count >= 1` and
  ///   `offset + count <= globalCount`.
  public init(offset: Int, count: Int, globalCount: Int) throws {
    guard offset >= 0, count >= 1, offset + count <= globalCount else {
      throw GenerativeKitError.invalidArgument(
        "BatchShard: rows \(offset)..<\(offset + count) do not fit in a global batch of \(globalCount)")
    }
    self.offset = offset
    self.count = count
    self.globalCount = globalCount
  }

  /// Process `rank`'s shard of a global batch of `globalCount` rows split over `processes`:
  /// contiguous rows, shard sizes differing by at most one (`globalCount * rank / processes` up to
  /// the next rank's start).
  ///
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` when `rank` is not in `0..<processes` or
  ///   the batch has fewer rows than there are processes.
  public static func of(globalCount: Int, rank: Int, processes: Int) throws -> BatchShard {
    guard processes >= 1, (0..<processes).contains(rank) else {
      throw GenerativeKitError.invalidArgument("BatchShard: rank \(rank) is not one of \(processes) processes")
    }
    guard globalCount >= processes else {
      throw GenerativeKitError.invalidArgument(
        "BatchShard: a global batch of \(globalCount) rows cannot give each of \(processes) processes one")
    }
    let start = globalCount * rank / processes
    let end = globalCount * (rank + 1) / processes
    return try BatchShard(offset: start, count: end - start, globalCount: globalCount)
  }

  /// The shard's rows of the global batch.
  public var rows: Range<Int> { offset..<(offset + count) }

  /// The shard's share of the global batch, the weight of its mean-loss gradient in the global mean.
  public var fraction: Float { Float(count) / Float(globalCount) }

  public var description: String { "rows \(offset)..<\(offset + count) of \(globalCount)" }
}

/// Adds up values across the processes of a data-parallel job. Every process calls it with the
/// same number of values at the same point of its step (a collective operation).
public protocol CrossProcessSum: AnyObject {
  /// Replaces every value with its sum over all processes.
  func sumAcrossProcesses(_ values: inout [Double]) throws
}

/// Averages parameter gradients across the processes of a data-parallel job before the optimizer
/// steps (for MPI: `GenerativeKitDistributed`).
public protocol GradientSynchronizer: AnyObject {
  /// Replaces every gradient of `parameters` with `sum over processes of weight * gradient`;
  /// `weight` is this process's ``BatchShard/fraction``, so that the sum is the gradient of the
  /// global batch's mean loss. Every process passes the same parameters in the same order.
  func synchronize(_ parameters: [Parameter], weight: Float) throws

  /// Starts the same for parameters whose gradients are final while the backward pass goes on;
  /// it may return before the gradients are averaged. ``finishSynchronizing()`` completes every
  /// start. The default averages at once.
  func startSynchronizing(_ parameters: [Parameter], weight: Float) throws

  /// Gives started averages a chance to move on (between layers of the backward pass).
  func progressSynchronizing() throws

  /// Waits until every started average is in its parameters' gradients.
  func finishSynchronizing() throws
}

extension GradientSynchronizer {
  /// Averages at once (``synchronize(_:weight:)``): a synchronizer that cannot overlap.
  public func startSynchronizing(_ parameters: [Parameter], weight: Float) throws {
    try synchronize(parameters, weight: weight)
  }

  /// Nothing to move along.
  public func progressSynchronizing() throws {}

  /// Nothing in flight.
  public func finishSynchronizing() throws {}
}

extension Tensor {
  /// Rows `shard.rows` of a global batch `[globalCount, ...]`: this process's part.
  ///
  /// - Throws: ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` when the first
  ///   dimension is not the shard's global count.
  public func rows(of shard: BatchShard) throws -> Tensor {
    guard rank >= 1, shape[0] == shard.globalCount else {
      throw GenerativeKitError.shapeMismatch(
        context: "Tensor.rows(of: \(shard))", expected: "[\(shard.globalCount), ...]", actual: shape)
    }
    return slice(batch: shard.rows)
  }
}

/// A layer whose training-mode forward pass depends on the rows of the whole global batch
/// (``Dropout``'s masks, ``BatchNorm``'s gradient shares): data-parallel training tells it which
/// rows this process has.
public protocol BatchShardedLayer: AnyObject {
  /// This process's rows of the global batch; nil when one process trains on the whole batch.
  var shard: BatchShard? { get set }
}

/// A layer that normalises by statistics of its batch (``BatchNorm``): data-parallel training
/// gives it a sum across processes so that the statistics are the global batch's.
public protocol BatchStatisticsLayer: AnyObject {
  /// Adds the per-process sums of the statistics together; nil for this process's batch alone.
  var statisticsReducer: (any CrossProcessSum)? { get set }
}

extension Module {
  /// Tells every ``BatchShardedLayer`` in the tree which rows of the global batch this process
  /// has (nil: one process trains on the whole batch).
  public func setShard(_ shard: BatchShard?) {
    for case let layer as any BatchShardedLayer in modules { layer.shard = shard }
  }

  /// Makes every ``BatchStatisticsLayer`` in the tree normalise by the statistics of the global
  /// batch, summed with `reducer` (nil: each process's own batch).
  public func setBatchStatisticsReducer(_ reducer: (any CrossProcessSum)?) {
    for case let layer as any BatchStatisticsLayer in modules { layer.statisticsReducer = reducer }
  }
}

/// A trainer that can train data-parallel: what a ``DataParallelism`` backend needs to make every
/// process start alike and end each step alike.
public protocol DataParallelTrainable: AnyObject {
  /// Everything the trainer updates: its parameters and buffers are copied from process 0, its
  /// random-state layers' generators too, and its batch-statistics layers are synchronised.
  var trainedModel: any Module { get }
  /// The generator the trainer draws each step's noise from (copied from process 0).
  var noiseGenerator: SeededGenerator { get set }
  /// Averages the gradients across processes before the optimizers step.
  var gradientSynchronizer: (any GradientSynchronizer)? { get set }
}

/// Several processes training one model on shards of the same global batches: what the
/// experiments need from a data-parallel backend (`GenerativeKitDistributed`'s `DataParallel`
/// implements it over MPI).
public protocol DataParallelism: AnyObject {
  /// This process's number, 0 to `processCount - 1`; process 0 writes the files.
  var rank: Int { get }
  /// The processes training the model.
  var processCount: Int { get }
  /// This process's rows of a global batch of `globalCount`.
  func shard(globalCount: Int) throws -> BatchShard
  /// Makes every process start from process 0's weights and random state, with synchronised
  /// batch norm and averaged gradients.
  func prepare(_ trainer: any DataParallelTrainable) throws
  /// The global batch's figures from each process's figures of its shard (the same on every process).
  func average(_ figures: TrainingFigures, shard: BatchShard) throws -> TrainingFigures
}

extension DataParallelism {
  /// Whether this process writes checkpoints, logs and pictures (process 0 only).
  public var writesFiles: Bool { rank == 0 }
}
