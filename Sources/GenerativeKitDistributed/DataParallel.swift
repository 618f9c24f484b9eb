import GenerativeKit

/// Averages gradients across the processes of an MPI job: Horovod's and DistributedDataParallel's
/// recipe. The gradients are scaled by the process's share of the global batch and packed into a
/// few flat buffers (buckets of at most ``bucketElements`` floats, "tensor fusion"), each summed
/// with one allreduce, instead of one call per tensor. The trainers start buckets while their
/// backward pass still runs (``startSynchronizing(_:weight:)``, non-blocking allreduces that MPI
/// moves along between layers) and wait only for what is still in flight at the end.
public final class MPIGradientAverager: GradientSynchronizer {
  /// The communicator the sums go through.
  public let communicator: MPICommunicator
  /// The most floats one allreduce carries (default 4 Mi, 16 MB).
  public var bucketElements: Int
  /// Whether sums started during the backward pass run while it goes on (the default); false
  /// waits for each one where it starts, to measure what the overlap saves.
  public var overlapsBackward = true
  private var bucket: [Float] = []

  /// An averager over `communicator`'s processes.
  public init(communicator: MPICommunicator, bucketElements: Int = 4 << 20) {
    self.communicator = communicator
    self.bucketElements = max(1, bucketElements)
  }

  /// Buckets started by ``startSynchronizing(_:weight:)`` and not yet finished, in start order.
  private var pending: [(buffer: UnsafeMutableBufferPointer<Float>, members: [Parameter], reduction: PendingReduction)] = []
  /// Buffers of earlier steps' buckets, reused by position (a step starts the same buckets each time).
  private var spareBuffers: [UnsafeMutableBufferPointer<Float>] = []

  // Pending buckets live in these buffers too.
  deinit { for buffer in spareBuffers { buffer.deallocate() } }

  /// Packs the gradients of `parameters` (scaled by `weight`) into a buffer and starts their sum
  /// across the processes without waiting (a non-blocking allreduce).
  public func startSynchronizing(_ parameters: [Parameter], weight: Float) throws {
    guard overlapsBackward else { return try synchronize(parameters, weight: weight) }
    let members = parameters.filter(\.isTrainable)
    let count = members.reduce(0) { $0 + $1.gradient.count }
    guard count > 0 else { return }
    let position = pending.count
    if position < spareBuffers.count, spareBuffers[position].count < count {
      spareBuffers[position].deallocate()
      spareBuffers[position] = .allocate(capacity: count)
    } else if position >= spareBuffers.count {
      spareBuffers.append(.allocate(capacity: count))
    }
    let buffer = UnsafeMutableBufferPointer(rebasing: spareBuffers[position][0..<count])
    FlatTensors.gather(members.map(\.gradient), scaledBy: weight, into: buffer)
    let reduction = try communicator.startAllreduceSum(buffer.baseAddress!, count: count)
    pending.append((buffer, members, reduction))
  }

  /// Lets MPI move the started sums along.
  public func progressSynchronizing() throws {
    for bucket in pending where !bucket.reduction.isComplete { try communicator.poll(bucket.reduction) }
  }

  /// Waits for every started sum and writes it into the gradients.
  public func finishSynchronizing() throws {
    defer { pending.removeAll() }
    for bucket in pending {
      try communicator.wait(bucket.reduction)
      FlatTensors.scatter(bucket.buffer, into: bucket.members, \.gradient)
    }
  }

  public func synchronize(_ parameters: [Parameter], weight: Float) throws {
    let trainable = parameters.filter(\.isTrainable)
    var index = 0
    while index < trainable.count {
      // Parameters are packed whole; one larger than a bucket goes alone.
      var members: [Parameter] = []
      var elements = 0
      while index < trainable.count, members.isEmpty || elements + trainable[index].gradient.count <= bucketElements {
        members.append(trainable[index])
        elements += trainable[index].gradient.count
        index += 1
      }
      if bucket.count < elements { bucket = [Float](repeating: 0, count: elements) }
      try bucket.withUnsafeMutableBufferPointer { flat in
        FlatTensors.gather(members.map(\.gradient), scaledBy: weight, into: flat)
        try communicator.allreduceSum(flat.baseAddress!, count: elements)
        FlatTensors.scatter(flat, into: members, \.gradient)
      }
    }
  }
}

/// Tensors packed one after another into a flat buffer, for one collective call, and back.
enum FlatTensors {
  /// Copies `tensors`, each multiplied by `scale`, into the start of `buffer`.
  static func gather(_ tensors: [Tensor], scaledBy scale: Float = 1, into buffer: UnsafeMutableBufferPointer<Float>) {
    var offset = 0
    for tensor in tensors {
      tensor.withUnsafeBufferPointer { values in
        for i in values.indices { buffer[offset + i] = scale * values[i] }
      }
      offset += tensor.count
    }
  }

  /// Copies the start of `buffer` back into each parameter's tensor at `field`, in place, in order.
  static func scatter(
    _ buffer: UnsafeMutableBufferPointer<Float>, into parameters: [Parameter], _ field: ReferenceWritableKeyPath<Parameter, Tensor>
  ) {
    var offset = 0
    for parameter in parameters {
      parameter[keyPath: field].withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] = buffer[offset + i] }
      }
      offset += parameter[keyPath: field].count
    }
  }
}

/// Sums batch-norm statistics across an MPI job's processes (synchronised batch norm).
public final class MPIStatisticsSum: CrossProcessSum {
  /// The communicator the sums go through.
  public let communicator: MPICommunicator

  /// Sums over `communicator`'s processes.
  public init(communicator: MPICommunicator) { self.communicator = communicator }

  public func sumAcrossProcesses(_ values: inout [Double]) throws {
    try communicator.allreduceSum(&values)
  }
}

/// Data-parallel training over MPI: one model trained by every process of the job, each on its
/// shard of every global batch, with the same result as one process training on the global batch.
///
/// ```swift
/// let parallel = try DataParallel(communicator: .world())
/// try parallel.prepare(trainer)                       // rank 0's weights everywhere, synced BN
/// for batch in loader.epoch(epoch) {                  // the same global batches on every rank
///   let shard = try parallel.shard(globalCount: batch.images.shape[0])
///   try trainer.step(realImages: batch.images.rows(of: shard), shard: shard)
/// }
/// ```
public final class DataParallel: DataParallelism {
  /// The job's processes.
  public let communicator: MPICommunicator
  /// Averages the trainers' gradients.
  public let gradients: MPIGradientAverager
  /// Sums the batch-norm statistics.
  public let statistics: MPIStatisticsSum

  /// Data-parallel training over `communicator`.
  public init(communicator: MPICommunicator) {
    self.communicator = communicator
    gradients = MPIGradientAverager(communicator: communicator)
    statistics = MPIStatisticsSum(communicator: communicator)
  }

  /// This process's number in the job.
  public var rank: Int { communicator.rank }

  /// The processes in the job.
  public var processCount: Int { communicator.size }

  /// This process's rows of a global batch of `globalCount`.
  ///
  /// - Throws: `GenerativeKitError.invalidArgument(_:)` when the batch has fewer rows than
  ///   the job has processes.
  public func shard(globalCount: Int) throws -> BatchShard {
    try BatchShard.of(globalCount: globalCount, rank: communicator.rank, processes: communicator.size)
  }

  /// Copies every parameter and buffer of `model` (running statistics included) from process
  /// `root` to the others, in one broadcast.
  public func broadcastParameters(of model: any Module, root: Int = 0) throws {
    let parameters = model.namedParameters.map(\.parameter)
    var flat = [Float](repeating: 0, count: parameters.reduce(0) { $0 + $1.value.count })
    try flat.withUnsafeMutableBufferPointer { buffer in
      FlatTensors.gather(parameters.map(\.value), into: buffer)
      try communicator.broadcast(buffer.baseAddress!, count: buffer.count, root: root)
      FlatTensors.scatter(buffer, into: parameters, \.value)
    }
  }

  /// Copies the random state of every layer that draws random numbers (`Dropout`'s masks) from
  /// process `root` to the others, so that every process draws the global batch's masks.
  public func broadcastRandomState(of model: any Module, root: Int = 0) throws {
    for (_, layer) in model.randomStateLayers {
      layer.generator = try broadcast(layer.generator, root: root)
    }
  }

  /// Process `root`'s generator on every process.
  public func broadcast(_ generator: SeededGenerator, root: Int = 0) throws -> SeededGenerator {
    let bytes = generator.state.flatMap { word in withUnsafeBytes(of: word.littleEndian, Array.init) }
    let received = try communicator.broadcast(bytes: bytes, root: root)
    var result = SeededGenerator(seed: 0)
    result.state = (0..<4).map { word in
      (0..<8).reduce(UInt64(0)) { $0 | UInt64(received[8 * word + $1]) << (8 * UInt64($1)) }
    }
    return result
  }

  /// Makes `trainer` train data-parallel: rank 0's weights, dropout and noise generators on every
  /// process, batch norm synchronised throughout its model, gradients averaged before each step.
  public func prepare(_ trainer: any DataParallelTrainable) throws {
    try broadcastParameters(of: trainer.trainedModel)
    try broadcastRandomState(of: trainer.trainedModel)
    trainer.noiseGenerator = try broadcast(trainer.noiseGenerator)
    trainer.trainedModel.setBatchStatisticsReducer(statistics)
    trainer.gradientSynchronizer = gradients
  }

  /// Figures of the global batch from every process's figures of its shard: the means weighted by
  /// the shards' sizes (the same on every process).
  public func average(_ figures: TrainingFigures, shard: BatchShard) throws -> TrainingFigures {
    var values = figures.values.map { Double($0) * Double(shard.fraction) }
    try communicator.allreduceSum(&values)
    var result = TrainingFigures()
    for (name, value) in zip(figures.names, values) { result[name] = Float(value) }
    return result
  }
}
