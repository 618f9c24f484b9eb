/// One training step's gradient averaging, started bucket by bucket while the backward pass is
/// still running (PyTorch DDP's and Horovod's overlap): a network's gradients as soon as its
/// backward pass is done, a ``LayerwiseBackward`` network's (a ``Sequential``'s) layer by layer,
/// gathered into buckets of at least ``minimumBucket``
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
  /// they finish, when it reports them (``LayerwiseBackward``).
  func reportingLayers<R>(of network: any Layer, _ body: () throws -> R) throws -> R {
    guard let network = network as? any LayerwiseBackward else { return try body() }
    network.layerBackwardFinished = { [unowned self] layer in try layerFinished(layer) }
    defer { network.layerBackwardFinished = nil }
    return try body()
  }
}

/// A network whose backward pass runs layer by layer and says when each layer is done
/// (``Sequential``): data-parallel training starts averaging a layer's gradients then, while the
/// layers below still compute.
public protocol LayerwiseBackward: AnyObject {
  /// Called during a backward pass as soon as a layer's backward is done (its parameter gradients
  /// are final), from the last layer down.
  var layerBackwardFinished: ((_ layer: any Layer) throws -> Void)? { get set }
}
