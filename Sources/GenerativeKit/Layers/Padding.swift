/// How a convolution pads its input.
///
/// The report's Keras models use "same"; ``same`` gives the same output sizes with PyTorch's
/// symmetric padding, so checkpoints load into the equivalent PyTorch modules unchanged.
public enum Padding: Equatable, Sendable, CustomStringConvertible {
  /// No padding.
  case valid
  /// Symmetric padding `(kernel - 1) / 2` (PyTorch `padding=(k-1)//2`). For odd kernels the output
  /// is `ceil(input / stride)` for a convolution and `input * stride` for a transposed one (which
  /// then uses `outputPadding = stride - 1`).
  case same
  /// TensorFlow's "same": the same output sizes as ``same``, but the extra row and column of an
  /// uneven padding go to the bottom and right (for k = 5, s = 2: one on top, two at the bottom).
  case tensorflowSame
  /// `p` zeros on every side (PyTorch `padding=p`).
  case explicit(Int)

  public var description: String {
    switch self {
    case .valid: return "valid"
    case .same: return "same"
    case .tensorflowSame: return "tensorflow-same"
    case .explicit(let p): return "\(p)"
    }
  }
}

extension Padding: ExpressibleByIntegerLiteral {
  /// `padding: 1` is ``explicit(_:)`` with 1, as PyTorch's `padding=1`.
  public init(integerLiteral value: Int) { self = .explicit(value) }
}
