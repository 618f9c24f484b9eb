/// One training step's gradient averaging, started bucket by bucket while the backward pass is
/// still running (PyTorch DDP's and Horovod's overlap): a network's gradients as soon as its
/// backward pass is done, a ``Sequential``'s layer by layer (through
/// ``Sequential/layerBackwardFinished``), gathered into buckets of at least ``minimumBucket``
/// floats so that small layers do not each pay a message's latency.
final class GradientOverlap {
  /// Fewest floats a bucket started mid-pass carries (the last one may carry fewer).
  static let minimumBucket = 65_536

  let synchronizer: any GradientSynchronizer
  let weight: Float
  private var started = Set<ObjectIdentifier>()
  private var collecting: [Parameter] = []
  private var collectingCount = 0

  init(synchronizer: any GradientSynchronizer, weight: Float) {
    self.synchronizer = synchronizer
    self.weight = weight
  }

  /// Starts averaging `parameters` (their gradients are final) as one bucket.
  func start(_ parameters: [Parameter]) throws {
    let fresh = parameters.filter { $0.isTrainable && started.insert(ObjectIdentifier($0)).inserted }
    guard !fresh.isEmpty else { return }
    try synchronizer.startSynchronizing(fresh, weight: weight)
  }

  /// A layer's gradients are final: collects them, and starts the bucket once it is large enough.
  func layerFinished(_ layer: any Layer) throws {
    let parameters = layer.trainableParameters.filter { !started.contains(ObjectIdentifier($0)) }
    collecting += parameters
    collectingCount += parameters.reduce(0) { $0 + $1.value.count }
    if collectingCount >= Self.minimumBucket {
      try start(collecting)
      (collecting, collectingCount) = ([], 0)
    } else {
      try synchronizer.progressSynchronizing()
    }
  }

  /// Starts whatever of `parameters` has not left yet, then waits for every bucket.
  func finish(_ parameters: [Parameter]) throws {
    try start(collecting + parameters)
    (collecting, collectingCount) = ([], 0)
    try synchronizer.finishSynchronizing()
  }

  /// Runs `body` (a backward pass through `network`) with `network`'s layers reporting here as
  /// they finish, when it is a ``Sequential``.
  func reportingLayers<R>(of network: any Layer, _ body: () throws -> R) throws -> R {
    guard let sequential = network as? Sequential else { return try body() }
    sequential.layerBackwardFinished = { [unowned self, unowned sequential] index in
      try layerFinished(sequential.layers[index])
    }
    defer { sequential.layerBackwardFinished = nil }
    return try body()
  }
}
