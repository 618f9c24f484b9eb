/// Back-propagation through an activation fused into the next layer's input-gradient pass.
///
/// In a ``Sequential`` where ReLU or LeakyReLU feeds a convolution, the convolution's cached input
/// *is* the activation's output, which is all the activation's derivative needs. The convolution
/// therefore applies that derivative while it writes its input gradient (a plane it has in cache),
/// and the activation's own backward pass, a full read-read-write sweep over memory, is skipped.
/// Results are identical to running the two backward passes one after the other.

/// The derivative of an element-wise activation, evaluated from the activation's output `y`.
enum ActivationDerivative: Equatable, Sendable {
  /// ReLU: passes the gradient where `y > 0`.
  case relu
  /// LeakyReLU with a positive slope: `y >= 0` exactly when the input was, so the output decides.
  case leakyReLU(slope: Float)

  /// `gradient[i] *= f'(x_i)` for `count` elements, where `outputs[i] = f(x_i)`.
  @inline(__always)
  func apply(to gradient: UnsafeMutablePointer<Float>, outputs: UnsafePointer<Float>, count: Int) {
    switch self {
    case .relu:
      SignSelect.keepWherePositive(gradient, sign: outputs, into: gradient, count: count)
    case .leakyReLU(let slope):
      // Both arms read the gradient, so this loop compiles to vector selects already.
      for i in 0..<count { gradient[i] = outputs[i] >= 0 ? gradient[i] : slope * gradient[i] }
    }
  }
}

/// An activation whose derivative the following layer can apply (see ``ActivationDerivative``).
protocol FusibleActivation: Layer {
  /// The derivative to hand to the next layer, or nil when it cannot be read off the output.
  var fusedDerivative: ActivationDerivative? { get }
}

/// A layer that can return the gradient with respect to the *preceding activation's input*: its
/// own input gradient with that activation's derivative applied, computed from its cached input.
protocol ActivationFusingLayer: Layer {
  func backward(_ outputGradient: Tensor, throughPrecedingActivation activation: ActivationDerivative) throws -> Tensor
}

/// Where a fused derivative is applied: the activation and its outputs (the fusing layer's cached
/// input), addressed like the gradient being written.
struct FusedActivation {
  var derivative: ActivationDerivative
  var outputs: UnsafePointer<Float>

  /// Applies the derivative to `count` gradient elements starting `offset` elements in.
  @inline(__always)
  func apply(to gradient: UnsafeMutablePointer<Float>, offset: Int, count: Int) {
    derivative.apply(to: gradient, outputs: outputs + offset, count: count)
  }
}

extension ReLU: FusibleActivation {
  var fusedDerivative: ActivationDerivative? { .relu }
}

extension LeakyReLU: FusibleActivation {
  var fusedDerivative: ActivationDerivative? { slope > 0 ? .leakyReLU(slope: slope) : nil }
}
