import Synchronization

/// The layer types a ``LayerConfiguration`` can name: the built-in layers and ``Sequential``, and
/// the types registered with ``register(_:)``.
///
/// ```swift
/// try LayerRegistry.register(ScaledTanh.self)   // once, before loading a checkpoint that uses it
/// let network = try LayerRegistry.makeLayer(from: configuration)
/// ```
public enum LayerRegistry {
  private static let types = Mutex<[String: any ConfigurableLayer.Type]>(
    Dictionary(uniqueKeysWithValues: builtInTypes.map { ($0.configurationType, $0) }))

  /// The library's configurable layers.
  public static var builtInTypes: [any ConfigurableLayer.Type] {
    [
      Sequential.self, Dense.self, Conv2D.self, ConvTranspose2D.self, BatchNorm.self, Dropout.self,
      ReLU.self, LeakyReLU.self, Sigmoid.self, Tanh.self, Reshape.self, Flatten.self,
    ]
  }

  /// Makes `type` buildable from configurations that name its ``ConfigurableLayer/configurationType``.
  /// Registering a type under a name already taken by another type throws, naming both.
  public static func register(_ type: any ConfigurableLayer.Type) throws {
    try types.withLock { registered in
      if let existing = registered[type.configurationType], existing != type {
        throw GenerativeKitError.invalidArgument(
          "LayerRegistry: the name '\(type.configurationType)' is taken by \(existing); give \(type) another configurationType")
      }
      registered[type.configurationType] = type
    }
  }

  /// The type names a configuration may use, sorted.
  public static var registeredNames: [String] { types.withLock { $0.keys.sorted() } }

  /// The layer `configuration` describes, with placeholder weights. An unknown type is refused by
  /// name, with the known ones listed.
  public static func makeLayer(from configuration: LayerConfiguration) throws -> any Layer {
    guard let type = types.withLock({ $0[configuration.type] }) else {
      throw GenerativeKitError.invalidArgument(
        "unknown layer type '\(configuration.type)' in a layer configuration (known: "
          + registeredNames.joined(separator: ", ") + "); a layer of your own conforms to ConfigurableLayer "
          + "and is registered with LayerRegistry.register(_:) before the network is built")
    }
    return try type.init(configuration: configuration)
  }

  /// `layer`'s configuration; throws naming the layer when it (or a layer inside it) does not
  /// conform to ``ConfigurableLayer``.
  public static func configuration(of layer: any Layer) throws -> LayerConfiguration {
    guard let configurable = layer as? any ConfigurableLayer else {
      throw GenerativeKitError.invalidArgument(
        "layer \(layer) cannot describe itself for a checkpoint: conform \(type(of: layer)) to ConfigurableLayer "
          + "(and register it with LayerRegistry.register(_:) where the checkpoint is loaded)")
    }
    return try configurable.configuration()
  }

  /// A new network with `network`'s structure (built from its configuration) and a copy of its
  /// parameters and buffers.
  public static func copy(of network: Sequential) throws -> Sequential {
    guard let copy = try makeLayer(from: configuration(of: network)) as? Sequential else {
      throw GenerativeKitError.invalidArgument("LayerRegistry.copy: the copy of \(network) is not a Sequential")
    }
    try copy.loadStateDict(Dictionary(uniqueKeysWithValues: network.stateDict.map { ($0.name, Tensor(shape: $0.value.shape, scalars: $0.value.scalars)) }))
    return copy
  }
}

extension LayerConfiguration {
  /// The ``Sequential`` this configuration describes, or an error naming what it describes instead.
  public func makeSequential(role: String) throws -> Sequential {
    guard type == Sequential.configurationType, let network = try LayerRegistry.makeLayer(from: self) as? Sequential else {
      throw GenerativeKitError.invalidArgument("\(role): expected a Sequential configuration, found \(type)")
    }
    return network
  }
}
