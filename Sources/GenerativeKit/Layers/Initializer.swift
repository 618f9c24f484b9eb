import Synchronization

/// How a layer's weights are drawn. Keras's default is ``glorotUniform``, PyTorch's
/// ``kaimingUniform(a:)`` (`kaiming_uniform_(a = sqrt(5))`, i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn))).
///
/// Fans follow each framework's definition for the weight layout: for a convolution
/// `fanIn = inChannels * kh * kw`, `fanOut = outChannels * kh * kw`.
public enum Initializer: Sendable, Equatable {
  /// U(-limit, limit) with limit = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio 2010).
  case glorotUniform
  /// U(-bound, bound) with bound = gain * sqrt(3 / fanIn), gain = sqrt(2 / (1 + a^2)); PyTorch's
  /// default `a = sqrt(5)` gives bound = 1 / sqrt(fanIn).
  case kaimingUniform(a: Float)
  /// N(mean, std^2): DCGAN's paper initialises weights with N(0, 0.02^2) and PyTorch's DCGAN
  /// example batch norm's scale with N(1, 0.02^2).
  case normal(mean: Float = 0, std: Float)
  /// Every element `value` (batch norm's scale starts at 1, biases at 0).
  case constant(Float)
  /// Every element zero.
  case zeros

  /// PyTorch's default for Linear and convolution weights.
  public static let pytorchDefault = Initializer.kaimingUniform(a: Float(5).squareRoot())

  /// A tensor of `shape` drawn with this rule for the given fans.
  public func make(shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> Tensor {
    switch self {
    case .glorotUniform:
      let limit = (6 / Float(max(1, fanIn + fanOut))).squareRoot()
      return .randomUniform(shape: shape, in: -limit...limit, using: &generator)
    case .kaimingUniform(let a):
      let gain = (2 / (1 + a * a)).squareRoot()
      let bound = gain * (3 / Float(max(1, fanIn))).squareRoot()
      return .randomUniform(shape: shape, in: -bound...bound, using: &generator)
    case .normal(let mean, let std):
      return .randomNormal(shape: shape, mean: mean, standardDeviation: std, using: &generator)
    case .constant(let value):
      return Tensor(shape: shape, repeating: value)
    case .zeros:
      return Tensor(shape: shape)
    }
  }

  /// Whether ``make(shape:fanIn:fanOut:using:)`` draws random numbers (constants do not, so a
  /// layer that only has constant initialisers takes nothing from ``GlobalRandom``).
  public var isRandom: Bool {
    switch self {
    case .glorotUniform, .kaimingUniform, .normal: return true
    case .constant, .zeros: return false
    }
  }
}

/// Where layers get their random numbers when none is passed: one process-wide seeded stream.
///
/// Set ``seed(_:)`` once at the start of a run for reproducible weights; builders that take a
/// generator use that instead.
public enum GlobalRandom {
  private static let generator = Mutex(SeededGenerator(seed: 0x5EED_6E4B))

  /// Restarts the process-wide stream from `seed`.
  public static func seed(_ seed: UInt64) { generator.withLock { $0 = SeededGenerator(seed: seed) } }

  /// A new generator split off the process-wide stream (each caller gets its own stream; calls
  /// from several threads are serialised, so the streams depend on the order of the calls).
  static func split() -> SeededGenerator { generator.withLock { $0.split() } }
}
