/// Stochastic gradient descent with optional momentum, as PyTorch's `torch.optim.SGD`
/// (no dampening): `buffer = momentum * buffer + g` (the first step sets `buffer = g`),
/// `p -= learningRate * buffer`. With momentum 0 it is plain `p -= learningRate * g`.
public final class SGD: Optimizer {
  public let parameters: [Parameter]
  public let parameterNames: [String]
  /// The step size; may be changed between steps.
  public var learningRate: Float
  /// The momentum factor (0 for plain gradient descent).
  public let momentum: Float
  /// Momentum buffers, one per parameter (empty until the first step when momentum is used).
  public private(set) var velocities: [Tensor] = []

  /// SGD over `parameters`.
  ///
  /// - Parameters:
  ///   - parameters: the parameters it updates.
  ///   - names: names for the momentum buffers in a checkpoint; `0`, `1`, ... by default.
  ///   - learningRate: the step size.
  ///   - momentum: the momentum factor.
  public init(parameters: [Parameter], names: [String]? = nil, learningRate: Float, momentum: Float = 0) {
    enforce(learningRate > 0, "SGD: learningRate must be positive, got \(learningRate)")
    enforce(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
    enforce(names == nil || names!.count == parameters.count, "SGD: \(names!.count) names for \(parameters.count) parameters")
    enforce(parameters.allSatisfy(\.isTrainable), "SGD: non-trainable parameters (buffers) passed")
    self.parameters = parameters
    self.parameterNames = names ?? parameters.indices.map { "param\($0)" }
    self.learningRate = learningRate
    self.momentum = momentum
  }

  /// SGD over a model's trainable parameters, with their state-dictionary names.
  public convenience init(model: any Module, learningRate: Float, momentum: Float = 0) {
    let (parameters, names) = trainableNamedParameters(of: model)
    self.init(parameters: parameters, names: names, learningRate: learningRate, momentum: momentum)
  }

  public func step() {
    let (lr, mu) = (learningRate, momentum)
    let firstStep = velocities.isEmpty
    if momentum > 0 && firstStep { velocities = parameters.map(\.gradient) }
    for index in parameters.indices {
      let parameter = parameters[index]
      let g = parameter.gradient.pointer
      let p = parameter.value.mutablePointer()
      if momentum == 0 {
        for i in 0..<parameter.value.count { p[i] -= lr * g[i] }
        continue
      }
      let b = velocities[index].mutablePointer()
      for i in 0..<parameter.value.count {
        if !firstStep { b[i] = mu * b[i] + g[i] }
        p[i] -= lr * b[i]
      }
    }
  }

  public var state: [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (index, name) in parameterNames.enumerated() where index < velocities.count {
      result["momentum_buffer.\(name)"] = velocities[index]
    }
    return result
  }

  public func loadState(_ state: [String: Tensor]) throws {
    guard momentum > 0, !state.isEmpty else {
      velocities = []
      return
    }
    velocities = try parameterNames.enumerated().map { index, name in
      try requireState(state, "momentum_buffer.\(name)", shape: parameters[index].shape, optimizer: "SGD")
    }
  }
}
