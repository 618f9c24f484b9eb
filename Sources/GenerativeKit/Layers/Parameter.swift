/// A tensor a layer owns, with the gradient that `backward` accumulates into it.
///
/// Trainable parameters (weights, biases) are updated by optimizers. Non-trainable ones are the
/// buffers PyTorch keeps in `state_dict` beside them (batch norm's `running_mean` and
/// `running_var`): they are saved in checkpoints but never touched by an optimizer.
public final class Parameter {
  /// The current value.
  public var value: Tensor
  /// The gradient accumulated by `backward` since the last ``zeroGradient()``; same shape as `value`.
  public var gradient: Tensor
  /// Whether optimizers update this tensor.
  public let isTrainable: Bool
  /// Whether `backward` accumulates this parameter's gradient (PyTorch's `requires_grad`).
  ///
  /// Turning it off for a network's parameters makes `backward` compute only the input gradient:
  /// the GAN trainer does this to pass the generator's loss through the discriminator without
  /// touching the discriminator's gradients, and saves the weight-gradient GEMMs.
  public var requiresGradient: Bool

  /// A parameter holding `value`, with a zero gradient.
  public init(_ value: Tensor, isTrainable: Bool = true) {
    self.value = value
    self.gradient = Tensor(shape: isTrainable ? value.shape : [0])
    self.isTrainable = isTrainable
    self.requiresGradient = isTrainable
  }

  /// The parameter's shape.
  public var shape: [Int] { value.shape }

  /// Sets the accumulated gradient to zero.
  public func zeroGradient() {
    guard isTrainable else { return }
    gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }
}

/// A parameter together with its name in the model's state dictionary (`"3.weight"`).
public struct NamedParameter {
  /// PyTorch's `state_dict` name, for example `0.weight`.
  public var name: String
  /// The parameter or buffer.
  public var parameter: Parameter

  /// Names `parameter`.
  public init(_ name: String, _ parameter: Parameter) {
    self.name = name
    self.parameter = parameter
  }
}
