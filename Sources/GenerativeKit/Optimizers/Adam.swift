/// Adam (Kingma & Ba 2015, https://arxiv.org/abs/1412.6980) with bias correction.
///
/// `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`, then with `t` the step count:
/// - ``EpsilonPlacement/pytorch`` (PyTorch's `torch.optim.Adam`, the default):
///   `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)`
/// - ``EpsilonPlacement/keras`` (TensorFlow/Keras):
///   `p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)`
///
/// The two differ only in where epsilon enters. The initializers mean what `torch.optim.Adam`
/// means (epsilon 1e-8 added to the bias-corrected root); ``keras(model:learningRate:beta1:beta2:epsilon:)``
/// is `keras.optimizers.Adam` (epsilon 1e-7 added before the bias correction), as the report's code
/// and the experiments built on it use.
public final class Adam: Optimizer {
  /// Where epsilon is added to the denominator.
  public enum EpsilonPlacement: Sendable {
    /// To `sqrt(v)` before the bias correction is folded into the step size (Keras, TensorFlow).
    case keras
    /// To the bias-corrected `sqrt(v_hat)` (PyTorch).
    case pytorch
  }

  public let parameters: [Parameter]
  public let parameterNames: [String]
  /// The step size; may be changed between steps (for a schedule).
  public var learningRate: Float
  /// The decay of the first-moment estimate.
  public let beta1: Float
  /// The decay of the second-moment estimate.
  public let beta2: Float
  /// Keeps the denominator away from zero.
  public let epsilon: Float
  /// Where epsilon enters (Keras or PyTorch).
  public let epsilonPlacement: EpsilonPlacement
  /// Updates applied so far (`t`).
  public private(set) var stepCount = 0
  /// First-moment estimates `m`, one per parameter.
  public private(set) var firstMoments: [Tensor]
  /// Second-moment estimates `v`, one per parameter.
  public private(set) var secondMoments: [Tensor]

  /// Adam over `parameters`, with PyTorch's defaults.
  ///
  /// - Parameters:
  ///   - parameters: the parameters it updates (frozen ones are skipped at each step).
  ///   - names: names for the state tensors of a checkpoint; `0`, `1`, ... by default.
  ///   - learningRate: the step size.
  ///   - beta1: the first moment's decay.
  ///   - beta2: the second moment's decay.
  ///   - epsilon: added to the denominator.
  ///   - epsilonPlacement: where epsilon is added (PyTorch's place by default).
  public init(
    parameters: [Parameter], names: [String]? = nil, learningRate: Float = 1e-3, beta1: Float = 0.9,
    beta2: Float = 0.999, epsilon: Float = 1e-8, epsilonPlacement: EpsilonPlacement = .pytorch
  ) {
    enforce(learningRate > 0, "Adam: learningRate must be positive, got \(learningRate)")
    enforce((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must be in [0, 1), got \(beta1), \(beta2)")
    enforce(epsilon >= 0, "Adam: epsilon must be non-negative, got \(epsilon)")
    enforce(names == nil || names!.count == parameters.count, "Adam: \(names!.count) names for \(parameters.count) parameters")
    let trainable = parameters.filter(\.isTrainable)
    enforce(trainable.count == parameters.count, "Adam: non-trainable parameters (buffers) passed")
    self.parameters = parameters
    self.parameterNames = names ?? parameters.indices.map { "param\($0)" }
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.epsilonPlacement = epsilonPlacement
    firstMoments = parameters.map { Tensor(shape: $0.shape) }
    secondMoments = parameters.map { Tensor(shape: $0.shape) }
  }

  /// Adam over a model's trainable parameters, with their state-dictionary names: PyTorch's
  /// `torch.optim.Adam(model.parameters(), lr, betas, eps)`.
  public convenience init(
    model: any Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, epsilonPlacement: EpsilonPlacement = .pytorch
  ) {
    let (parameters, names) = trainableNamedParameters(of: model)
    self.init(parameters: parameters, names: names, learningRate: learningRate, beta1: beta1, beta2: beta2,
              epsilon: epsilon, epsilonPlacement: epsilonPlacement)
  }

  /// PyTorch's `torch.optim.Adam` defaults, spelled out: epsilon 1e-8 added to the bias-corrected
  /// root (the same as the initializer's defaults). `beta1` and `beta2` as PyTorch's `betas`
  /// (DCGAN's recipe: `learningRate: 2e-4, beta1: 0.5`).
  public static func pytorch(
    parameters: [Parameter], names: [String]? = nil, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999
  ) -> Adam {
    Adam(parameters: parameters, names: names, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: 1e-8,
         epsilonPlacement: .pytorch)
  }

  /// PyTorch's `torch.optim.Adam(model.parameters(), lr, betas)` over a model's trainable
  /// parameters, with their state-dictionary names.
  public static func pytorch(model: any Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999) -> Adam {
    Adam(model: model, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: 1e-8, epsilonPlacement: .pytorch)
  }

  /// Keras's `keras.optimizers.Adam(learning_rate, beta_1, beta_2, epsilon)` over a model's
  /// trainable parameters: epsilon (1e-7 by default) added to `sqrt(v)` before the bias correction
  /// is folded into the step size. The report's TensorFlow code trains with it.
  public static func keras(
    model: any Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7
  ) -> Adam {
    Adam(model: model, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, epsilonPlacement: .keras)
  }

  /// Keras's Adam over `parameters` (see ``keras(model:learningRate:beta1:beta2:epsilon:)``).
  public static func keras(
    parameters: [Parameter], names: [String]? = nil, learningRate: Float = 1e-3, beta1: Float = 0.9,
    beta2: Float = 0.999, epsilon: Float = 1e-7
  ) -> Adam {
    Adam(parameters: parameters, names: names, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
         epsilonPlacement: .keras)
  }

  public func step() {
    stepCount += 1
    let t = Double(stepCount)
    let correction1 = 1 - pow(Double(beta1), t)
    let correction2 = 1 - pow(Double(beta2), t)
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    let stepSize: Float
    let rootScale: Float
    switch epsilonPlacement {
    case .keras:
      stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
      rootScale = 1
    case .pytorch:
      stepSize = Float(Double(learningRate) / correction1)
      rootScale = Float(1 / correction2.squareRoot())
    }
    for index in parameters.indices {
      let parameter = parameters[index]
      let g = parameter.gradient.pointer
      let p = parameter.value.mutablePointer()
      let m = firstMoments[index].mutablePointer()
      let v = secondMoments[index].mutablePointer()
      Threading.parallelRanges(parameter.value.count, costPerItem: 8) { range in
        for i in range {
          m[i] = b1 * m[i] + (1 - b1) * g[i]
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
          p[i] -= stepSize * m[i] / (v[i].squareRoot() * rootScale + eps)
        }
      }
    }
  }

  public var state: [String: Tensor] {
    var result = ["step": Tensor(shape: [1], scalars: [Float(stepCount)])]
    for (index, name) in parameterNames.enumerated() {
      result["exp_avg.\(name)"] = firstMoments[index]
      result["exp_avg_sq.\(name)"] = secondMoments[index]
    }
    return result
  }

  public func loadState(_ state: [String: Tensor]) throws {
    let step = try requireState(state, "step", shape: [1], optimizer: "Adam")
    var first: [Tensor] = []
    var second: [Tensor] = []
    for (index, name) in parameterNames.enumerated() {
      first.append(try requireState(state, "exp_avg.\(name)", shape: parameters[index].shape, optimizer: "Adam"))
      second.append(try requireState(state, "exp_avg_sq.\(name)", shape: parameters[index].shape, optimizer: "Adam"))
    }
    let count = step[flat: 0]
    guard count.isFinite, count >= 0, count <= 16_777_216, count == count.rounded() else {
      throw GenerativeKitError.invalidArgument(
        "Adam.loadState: state tensor 'step' holds \(count), expected a whole number of steps in 0...2^24")
    }
    stepCount = Int(count)
    firstMoments = first
    secondMoments = second
  }
}

#if canImport(Glibc)
  import Glibc
#endif
