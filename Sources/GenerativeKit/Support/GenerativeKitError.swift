/// Errors thrown by GenerativeKit. Every message names the layer, file or argument at fault and
/// what was expected, so a user can fix the call without reading the library's source.
public enum GenerativeKitError: Error, Equatable, CustomStringConvertible {
  /// A tensor reached `context` (usually a layer description) with a shape it cannot take.
  case shapeMismatch(context: String, expected: String, actual: [Int])
  /// `backward` was called on `layer` before any `forward` in training mode.
  case backwardBeforeForward(layer: String)
  /// An argument was out of range or inconsistent with others.
  case invalidArgument(String)
  /// Loading or saving `path` failed for `reason`.
  case file(path: String, reason: String)
  /// The checkpoint at `path` (a file, or a label such as `"in-memory checkpoint"`) is malformed or
  /// does not fit what it is loaded into; `tensor` names the first tensor at fault, if any.
  case checkpoint(path: String, tensor: String?, reason: String)

  public var description: String {
    switch self {
    case .shapeMismatch(let context, let expected, let actual):
      return "\(context): expected input of shape \(expected), got \(Tensor.describe(shape: actual))"
    case .backwardBeforeForward(let layer):
      return "\(layer): backward called before forward (run forward on a batch first)"
    case .invalidArgument(let message):
      return message
    case .file(let path, let reason):
      return "\(path): \(reason)"
    case .checkpoint(let path, let tensor?, let reason):
      return "\(path): tensor '\(tensor)': \(reason)"
    case .checkpoint(let path, nil, let reason):
      return "\(path): \(reason)"
    }
  }
}
