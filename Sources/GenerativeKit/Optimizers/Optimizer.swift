/// Updates parameters from their accumulated gradients.
///
/// The usual loop: `model.zeroGradients()`, forward, loss, backward, `optimizer.step()`.
/// An optimizer's state (moments, step count) is exposed as named tensors so checkpoints can save
/// it and training can resume exactly.
public protocol Optimizer: AnyObject {
  /// The parameters this optimizer updates, in state-dictionary order.
  var parameters: [Parameter] { get }
  /// Their names (`0.weight`), used to name the optimizer's state tensors.
  var parameterNames: [String] { get }
  /// Applies one update from the current gradients.
  func step()
  /// The optimizer's state as named tensors (moments per parameter, step count).
  var state: [String: Tensor] { get }
  /// Restores a state produced by ``state``; throws, changing nothing, if a tensor is missing or misshaped.
  func loadState(_ state: [String: Tensor]) throws
}

extension Optimizer {
  /// Sets the gradients of all updated parameters to zero.
  public func zeroGradients() {
    for parameter in parameters { parameter.zeroGradient() }
  }
}

/// Trainable parameters and their names from a model.
func trainableNamedParameters(of model: any Module) -> (parameters: [Parameter], names: [String]) {
  let named = model.namedParameters.filter { $0.parameter.isTrainable }
  return (named.map(\.parameter), named.map(\.name))
}

/// Checks that `state` has a tensor `name` of `shape`, for `loadState`.
func requireState(_ state: [String: Tensor], _ name: String, shape: [Int], optimizer: String) throws -> Tensor {
  guard let tensor = state[name] else {
    throw GenerativeKitError.invalidArgument("\(optimizer).loadState: missing state tensor '\(name)'")
  }
  guard tensor.shape == shape else {
    throw GenerativeKitError.invalidArgument(
      "\(optimizer).loadState: state tensor '\(name)' has shape \(tensor.shapeDescription), expected \(Tensor.describe(shape: shape))")
  }
  return tensor
}
