// The built-in layers' configurations: the arguments that fix their shapes and arithmetic. Weights
// are built as placeholders (zeros, seed 0, so that building draws nothing from GlobalRandom) for
// a checkpoint's tensors to replace. Arguments read from a file are checked here, with thrown
// errors, before the initialisers' own preconditions could stop the program.

extension Sequential: ConfigurableLayer {
  public static var configurationType: String { "Sequential" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, layers: try layers.enumerated().map { index, layer in
      do {
        return try LayerRegistry.configuration(of: layer)
      } catch GenerativeKitError.invalidArgument(let reason) {
        throw GenerativeKitError.invalidArgument("layer \(index): \(reason)")  // nested containers give a path
      }
    })
  }
  public convenience init(configuration: LayerConfiguration) throws {
    self.init(try (configuration.layers ?? []).enumerated().map { index, layer in
      do {
        return try LayerRegistry.makeLayer(from: layer)
      } catch GenerativeKitError.invalidArgument(let reason) {
        throw GenerativeKitError.invalidArgument("Sequential layer \(index): \(reason)")
      }
    })
  }
}

extension Dense: ConfigurableLayer {
  public static var configurationType: String { "Dense" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: [
      "inFeatures": .integer(inFeatures), "outFeatures": .integer(outFeatures), "bias": .flag(bias != nil),
    ])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    self.init(inFeatures: try configuration.integer("inFeatures"), outFeatures: try configuration.integer("outFeatures"),
              bias: try configuration.flag("bias", default: true), weightInitializer: .zeros, seed: 0)
  }
}

extension Conv2D: ConfigurableLayer {
  public static var configurationType: String { "Conv2D" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: [
      "inChannels": .integer(inChannels), "outChannels": .integer(outChannels), "kernelSize": .integer(kernelSize),
      "stride": .integer(stride), "padding": padding.argument, "bias": .flag(bias != nil),
    ])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    self.init(
      inChannels: try configuration.integer("inChannels"), outChannels: try configuration.integer("outChannels"),
      kernelSize: try configuration.integer("kernelSize"), stride: try configuration.integer("stride"),
      padding: try Padding(configuration, "padding"), bias: try configuration.flag("bias", default: true),
      weightInitializer: .zeros, seed: 0)
  }
}

extension ConvTranspose2D: ConfigurableLayer {
  public static var configurationType: String { "ConvTranspose2D" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: [
      "inChannels": .integer(inChannels), "outChannels": .integer(outChannels), "kernelSize": .integer(kernelSize),
      "stride": .integer(stride), "padding": padding.argument, "outputPadding": .integer(outputPadding),
      "bias": .flag(bias != nil),
    ])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    let stride = try configuration.integer("stride")
    let padding = try Padding(configuration, "padding")
    let outputPadding = try configuration.integer("outputPadding", atLeast: 0)
    guard outputPadding < stride else {
      throw GenerativeKitError.invalidArgument(
        "layer configuration ConvTranspose2D: argument 'outputPadding' is \(outputPadding), expected less than the stride \(stride)")
    }
    if outputPadding > 0, padding == .same || padding == .tensorflowSame {
      throw GenerativeKitError.invalidArgument(
        "layer configuration ConvTranspose2D: argument 'outputPadding' applies to explicit or valid padding, not \(padding)")
    }
    self.init(
      inChannels: try configuration.integer("inChannels"), outChannels: try configuration.integer("outChannels"),
      kernelSize: try configuration.integer("kernelSize"), stride: stride, padding: padding, outputPadding: outputPadding,
      bias: try configuration.flag("bias", default: true), weightInitializer: .zeros, seed: 0)
  }
}

extension BatchNorm: ConfigurableLayer {
  public static var configurationType: String { "BatchNorm" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: [
      "features": .integer(features), "momentum": .float(momentum), "epsilon": .float(epsilon),
      "unbiasedRunningVariance": .flag(unbiasedRunningVariance),
    ])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    let epsilon = try configuration.number("epsilon", in: 0...1)
    guard epsilon > 0 else {
      throw GenerativeKitError.invalidArgument("layer configuration BatchNorm: argument 'epsilon' is 0, expected a positive number")
    }
    self.init(features: try configuration.integer("features"), momentum: try configuration.number("momentum", in: 0...1),
              epsilon: epsilon, unbiasedRunningVariance: try configuration.flag("unbiasedRunningVariance", default: true))
  }
}

extension Dropout: ConfigurableLayer {
  public static var configurationType: String { "Dropout" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: ["rate": .float(rate)])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    let rate = try configuration.number("rate", in: 0...1)
    guard rate < 1 else {
      throw GenerativeKitError.invalidArgument("layer configuration Dropout: argument 'rate' is 1, expected a number in [0, 1)")
    }
    self.init(rate: rate, seed: 0)
  }
}

extension LeakyReLU: ConfigurableLayer {
  public static var configurationType: String { "LeakyReLU" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: ["slope": .float(slope)])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    self.init(slope: try configuration.number("slope"))
  }
}

extension Reshape: ConfigurableLayer {
  public static var configurationType: String { "Reshape" }
  public func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: ["shape": .integers(shape)])
  }
  public convenience init(configuration: LayerConfiguration) throws {
    self.init(try configuration.integers("shape"))
  }
}

/// Layers without arguments: their configuration is their type name.
public protocol ArgumentFreeLayer: ConfigurableLayer {
  /// The layer (it takes no arguments).
  init()
}

extension ArgumentFreeLayer {
  public func configuration() throws -> LayerConfiguration { LayerConfiguration(type: Self.configurationType) }
  public init(configuration: LayerConfiguration) throws { self.init() }
}

extension ReLU: ArgumentFreeLayer {
  public static var configurationType: String { "ReLU" }
}

extension Sigmoid: ArgumentFreeLayer {
  public static var configurationType: String { "Sigmoid" }
}

extension Tanh: ArgumentFreeLayer {
  public static var configurationType: String { "Tanh" }
}

extension Flatten: ArgumentFreeLayer {
  public static var configurationType: String { "Flatten" }
}

extension Padding {
  /// The padding as a configuration argument: its name, or its size for explicit padding.
  var argument: LayerArgument {
    switch self {
    case .explicit(let size): return .integer(size)
    default: return .text(description)
    }
  }

  /// The padding a configuration's argument `name` holds.
  init(_ configuration: LayerConfiguration, _ name: String) throws {
    switch configuration.arguments[name]?.normalized {
    case .integer(let size) where size >= 0: self = .explicit(size)
    case .text("valid"): self = .valid
    case .text("same"): self = .same
    case .text("tensorflow-same"): self = .tensorflowSame
    default:
      throw GenerativeKitError.invalidArgument(
        "layer configuration \(configuration.type): argument '\(name)' is "
          + (configuration.arguments[name].map { "\($0)" } ?? "missing")
          + ", expected a non-negative integer or \"valid\", \"same\" or \"tensorflow-same\"")
    }
  }
}
