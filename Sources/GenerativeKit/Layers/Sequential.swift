/// Layers applied one after another, built with a result builder so a model reads like its diagram:
///
/// ```swift
/// let discriminator = Sequential {
///   Conv2D(inChannels: 1, outChannels: 64, kernelSize: 5, stride: 2, padding: .same)
///   LeakyReLU(slope: 0.3)
///   Flatten()
///   Dense(inFeatures: 64 * 14 * 14, outFeatures: 1)
/// }
/// ```
///
/// Parameters are named `<index>.<name>` (`0.weight`, `3.running_mean`), as PyTorch names the
/// same `nn.Sequential`'s state dictionary, and nested containers add their index in front.
public final class Sequential: Layer, Model, LayerwiseBackward {
  /// The layers in application order.
  public let layers: [any Layer]

  /// Wall time spent in each layer's forward and backward passes, accumulated while
  /// ``isProfiling`` is on (index-aligned with ``layers``): where a step's time goes.
  public private(set) var forwardSeconds: [Double]
  /// Wall time of each layer's backward passes (see ``forwardSeconds``).
  public private(set) var backwardSeconds: [Double]
  /// Turns per-layer timing on (off by default; timing costs two clock reads per layer).
  public var isProfiling = false

  public var layerBackwardFinished: ((_ layer: any Layer) throws -> Void)?

  /// Clears the accumulated per-layer times.
  public func resetProfile() {
    forwardSeconds = Array(repeating: 0, count: layers.count)
    backwardSeconds = Array(repeating: 0, count: layers.count)
  }

  public var isTraining: Bool = true {
    didSet { for layer in layers { layer.isTraining = isTraining } }
  }

  /// A container of the given layers, in training mode.
  public init(_ layers: [any Layer]) {
    self.layers = layers
    forwardSeconds = Array(repeating: 0, count: layers.count)
    backwardSeconds = Array(repeating: 0, count: layers.count)
    for layer in layers { layer.isTraining = true }
  }

  /// A container built with ``LayerBuilder``.
  public convenience init(@LayerBuilder _ build: () -> [any Layer]) {
    self.init(build())
  }

  public var description: String {
    "Sequential(" + layers.map(\.description).joined(separator: ", ") + ")"
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    var x = input
    for (index, layer) in layers.enumerated() {
      let start = isProfiling ? monotonicSeconds() : 0
      x = try Self.locate(index, layer) { try layer.forward(x) }
      if isProfiling { forwardSeconds[index] += monotonicSeconds() - start }
    }
    return x
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    try propagateBack(outputGradient, downTo: 0, parametersOnlyAtBottom: false)!
  }

  /// Back-propagates through every layer but stops at the first one that has parameters to train,
  /// which skips its input gradient and everything below it (nothing there needs a gradient).
  public func backwardParametersOnly(_ outputGradient: Tensor) throws {
    guard let first = layers.firstIndex(where: { layer in layer.trainableParameters.contains { $0.requiresGradient } })
    else { return }
    _ = try propagateBack(outputGradient, downTo: first, parametersOnlyAtBottom: true)
  }

  /// Runs the backward passes from the last layer down to layer `bottom`. Where a ReLU or
  /// LeakyReLU feeds a convolution, the convolution applies the activation's derivative itself and
  /// the activation's pass is skipped (see ``ActivationDerivative``); profiles then show the pair's
  /// time on the convolution.
  private func propagateBack(_ outputGradient: Tensor, downTo bottom: Int, parametersOnlyAtBottom: Bool) throws -> Tensor? {
    var gradient = outputGradient
    var index = layers.count - 1
    while index >= bottom {
      let (layer, current) = (layers[index], index)
      let start = isProfiling ? monotonicSeconds() : 0
      defer { if isProfiling { backwardSeconds[current] += monotonicSeconds() - start } }
      if index == bottom && parametersOnlyAtBottom {
        try Self.locate(index, layer) { try layer.backwardParametersOnly(gradient) }
        try layerBackwardFinished?(layer)
        return nil
      }
      if index - 1 >= bottom, let fusing = layer as? any ActivationFusingLayer,
         let derivative = (layers[index - 1] as? any FusibleActivation)?.fusedDerivative {
        gradient = try Self.locate(index, layer) {
          try fusing.backward(gradient, throughPrecedingActivation: derivative)
        }
        try layerBackwardFinished?(layer)
        try layerBackwardFinished?(layers[index - 1])
        index -= 2
      } else {
        gradient = try Self.locate(index, layer) { try layer.backward(gradient) }
        try layerBackwardFinished?(layer)
        index -= 1
      }
    }
    return gradient
  }

  public func releaseBackwardState() {
    for layer in layers { layer.releaseBackwardState() }
  }

  /// The layers, named by their index (`0`, `1`, ...).
  public var children: [(name: String, module: any Module)] {
    layers.enumerated().map { index, layer in ("\(index)", layer) }
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    var current = shape
    for (index, layer) in layers.enumerated() {
      current = try Self.locate(index, layer) { try layer.outputShape(forInputShape: current) }
    }
    return current
  }

  /// Prefixes a layer's error with its position, so "layer 3" points into the diagram.
  private static func locate<R>(_ index: Int, _ layer: any Layer, _ body: () throws -> R) throws -> R {
    do {
      return try body()
    } catch GenerativeKitError.shapeMismatch(let context, let expected, let actual) {
      let where_ = context.hasPrefix("layer ") ? context : "layer \(index) \(context)"
      throw GenerativeKitError.shapeMismatch(context: where_, expected: expected, actual: actual)
    } catch GenerativeKitError.backwardBeforeForward(let name) {
      throw GenerativeKitError.backwardBeforeForward(layer: name.hasPrefix("layer ") ? name : "layer \(index) \(name)")
    }
  }
}

/// Builds a list of layers from statements, with `if`, `for` and optional support.
@resultBuilder
public enum LayerBuilder {
  /// One layer.
  public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
  /// A list of layers, spliced in order.
  public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
  /// The statements of a block, in order.
  public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
  /// An `if` without `else`: its layers, or none.
  public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
  /// The `if` branch of an `if`-`else`.
  public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
  /// The `else` branch of an `if`-`else`.
  public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
  /// The layers of every iteration of a `for` loop, in order.
  public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}
