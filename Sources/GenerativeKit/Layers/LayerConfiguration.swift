/// A layer's type and the arguments it was built with, and for a container the configurations of
/// its layers: what a checkpoint stores so that a program that did not build the network (`sample`,
/// `gk-explore`) can build it again, as Keras's model config or a JSON of PyTorch's module tree.
///
/// ```json
/// {"type": "Sequential", "layers": [
///   {"type": "Dense", "arguments": {"inFeatures": 100, "outFeatures": 6272, "bias": true}},
///   {"type": "LeakyReLU", "arguments": {"slope": 0.2}}, ...]}
/// ```
///
/// Get one with ``LayerRegistry/configuration(of:)`` and build from one with
/// ``LayerRegistry/makeLayer(from:)``; the weights are not part of it (they are the checkpoint's
/// tensors).
public struct LayerConfiguration: Codable, Equatable, Sendable, CustomStringConvertible {
  /// The layer's registered type name (``ConfigurableLayer/configurationType``), e.g. `Conv2D`.
  public var type: String
  /// The arguments that determine the layer's shapes and arithmetic (not its initial weights).
  public var arguments: [String: LayerArgument]
  /// A container's layers, in order; nil for a leaf.
  public var layers: [LayerConfiguration]?

  /// A configuration of `type` with `arguments` and, for a container, its `layers`.
  public init(type: String, arguments: [String: LayerArgument] = [:], layers: [LayerConfiguration]? = nil) {
    self.type = type
    self.arguments = arguments
    self.layers = layers
  }

  public var description: String {
    let shown = arguments.keys.sorted().map { "\($0): \(arguments[$0]!)" }.joined(separator: ", ")
    return type + "(" + shown + (layers.map { (shown.isEmpty ? "" : ", ") + "\($0.count) layers" } ?? "") + ")"
  }

  /// The first difference between `self` (as stored) and `other` (as built now), as "what: stored
  /// vs current" with the path of the layer (`2.kernelSize`), or nil when both describe the same network.
  public func firstDifference(from other: LayerConfiguration, path: String = "") -> String? {
    let at = path.isEmpty ? "" : path + "."
    if type != other.type { return "\(path.isEmpty ? "layer" : "layer " + path) type \(type) vs \(other.type)" }
    for key in Set(arguments.keys).union(other.arguments.keys).sorted() where arguments[key] != other.arguments[key] {
      return "\(at)\(key) \(arguments[key].map { "\($0)" } ?? "absent") vs \(other.arguments[key].map { "\($0)" } ?? "absent")"
    }
    let mine = layers ?? [], theirs = other.layers ?? []
    if mine.count != theirs.count { return "\(path.isEmpty ? "the network" : path) has \(mine.count) layers vs \(theirs.count)" }
    for (index, (a, b)) in zip(mine, theirs).enumerated() {
      if let difference = a.firstDifference(from: b, path: at + "\(index)") { return difference }
    }
    return nil
  }

  /// The argument `name` as an integer (at least `minimum`), or an error naming the layer type and the argument.
  public func integer(_ name: String, atLeast minimum: Int = 1) throws -> Int {
    guard let value = arguments[name] else { throw missing(name, "an integer") }
    guard case .integer(let integer) = value.normalized, integer >= minimum else {
      throw invalid(name, value, "an integer of at least \(minimum)")
    }
    return integer
  }

  /// The argument `name` as a finite number in `range`, or an error naming the layer type and the argument.
  public func number(_ name: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Float {
    guard let value = arguments[name] else { throw missing(name, "a number") }
    let number: Double
    switch value {
    case .integer(let integer): number = Double(integer)
    case .number(let double): number = double
    default: throw invalid(name, value, "a number")
    }
    guard number.isFinite, range.contains(number), Float(number).isFinite else {
      throw invalid(name, value, "a number in \(range.lowerBound)...\(range.upperBound)")
    }
    return Float(number)
  }

  /// The argument `name` as a flag; `defaultValue` when it is absent.
  public func flag(_ name: String, default defaultValue: Bool) throws -> Bool {
    guard let value = arguments[name] else { return defaultValue }
    guard case .flag(let flag) = value else { throw invalid(name, value, "true or false") }
    return flag
  }

  /// The argument `name` as text, or an error naming the layer type and the argument.
  public func text(_ name: String) throws -> String {
    guard let value = arguments[name] else { throw missing(name, "text") }
    guard case .text(let text) = value else { throw invalid(name, value, "text") }
    return text
  }

  /// The argument `name` as a list of integers, each at least `minimum`.
  public func integers(_ name: String, atLeast minimum: Int = 1) throws -> [Int] {
    guard let value = arguments[name] else { throw missing(name, "a list of integers") }
    guard case .integers(let integers) = value, !integers.isEmpty, integers.allSatisfy({ $0 >= minimum }) else {
      throw invalid(name, value, "a non-empty list of integers of at least \(minimum)")
    }
    return integers
  }

  private func missing(_ name: String, _ expected: String) -> GenerativeKitError {
    .invalidArgument("layer configuration \(type): argument '\(name)' is missing (expected \(expected))")
  }

  private func invalid(_ name: String, _ value: LayerArgument, _ expected: String) -> GenerativeKitError {
    .invalidArgument("layer configuration \(type): argument '\(name)' is \(value), expected \(expected)")
  }
}

/// One argument of a ``LayerConfiguration``: JSON's scalar kinds and a list of integers (a shape).
public enum LayerArgument: Codable, Sendable, Equatable, CustomStringConvertible {
  /// A count or size (channels, kernel size, stride, explicit padding).
  case integer(Int)
  /// A real number (a slope, a momentum, a rate); ``float(_:)`` makes one from a Float.
  case number(Double)
  /// A name (a padding mode such as `same`).
  case text(String)
  /// A switch (whether a layer has a bias).
  case flag(Bool)
  /// A shape (``Reshape``'s).
  case integers([Int])

  /// A Float argument, written with its shortest decimal (`0.2`, not `0.20000000298023224`)
  /// whenever that decimal reads back as the same Float.
  public static func float(_ value: Float) -> LayerArgument {
    if let decimal = Double("\(value)"), Float(decimal) == value { return .number(decimal) }
    return .number(Double(value))
  }

  /// A whole number stored as a number reads back as an integer from JSON (`1.0` is written `1`),
  /// so comparisons and readers see both as the same value.
  var normalized: LayerArgument {
    if case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 { return .integer(Int(value)) }
    return self
  }

  public static func == (lhs: LayerArgument, rhs: LayerArgument) -> Bool {
    switch (lhs.normalized, rhs.normalized) {
    case (.integer(let a), .integer(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.text(let a), .text(let b)): return a == b
    case (.flag(let a), .flag(let b)): return a == b
    case (.integers(let a), .integers(let b)): return a == b
    default: return false
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let flag = try? container.decode(Bool.self) {
      self = .flag(flag)
    } else if let integer = try? container.decode(Int.self) {
      self = .integer(integer)
    } else if let number = try? container.decode(Double.self) {
      self = .number(number)
    } else if let text = try? container.decode(String.self) {
      self = .text(text)
    } else if let integers = try? container.decode([Int].self) {
      self = .integers(integers)
    } else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "a layer argument is a number, text, true/false or a list of integers")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .integer(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .text(let value): try container.encode(value)
    case .flag(let value): try container.encode(value)
    case .integers(let value): try container.encode(value)
    }
  }

  public var description: String {
    switch self {
    case .integer(let value): return "\(value)"
    case .number(let value): return "\(value)"
    case .text(let value): return "\"\(value)\""
    case .flag(let value): return "\(value)"
    case .integers(let value): return "\(value)"
    }
  }
}

/// A layer that can describe itself as a ``LayerConfiguration`` and be built from one, so that
/// checkpoints of networks made of it carry their structure. Every built-in layer and
/// ``Sequential`` conform; a layer of your own conforms and is registered once with
/// ``LayerRegistry/register(_:)`` before a configuration naming it is built.
public protocol ConfigurableLayer: Layer, SendableMetatype {
  /// The name configurations give this type (`Conv2D`); unique among registered types.
  static var configurationType: String { get }
  /// The layer's arguments (and a container's layers). Throws when a layer inside a container
  /// cannot describe itself.
  func configuration() throws -> LayerConfiguration
  /// Builds the layer `configuration` describes, with placeholder weights (a checkpoint's tensors
  /// replace them); throws naming the argument that is missing or out of range.
  init(configuration: LayerConfiguration) throws
}
