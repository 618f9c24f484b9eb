/// A differentiable building block with an explicit forward and backward pass.
///
/// `forward` computes the output and, in training mode, keeps what `backward` needs.
/// `backward` takes the gradient of the loss with respect to the last output, **adds** the
/// gradients of the layer's parameters into ``Parameter/gradient`` and returns the gradient with
/// respect to the last input. Layers are classes because they own caches and gradients.
///
/// Shapes use N for the batch: images are `[N, C, H, W]`, feature vectors `[N, F]`. A layer fed
/// the wrong shape throws ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` naming
/// itself and both shapes.
public protocol Layer: Module, CustomStringConvertible {
  /// Computes the output for a batch.
  func forward(_ input: Tensor) throws -> Tensor

  /// Back-propagates `outputGradient` (shaped like the last output) and returns the input gradient.
  func backward(_ outputGradient: Tensor) throws -> Tensor

  /// Back-propagates `outputGradient` into the parameter gradients only, for callers that have no
  /// use for the input gradient (the first layer of a network, whose input is data). Layers skip
  /// the input-gradient GEMM where they can; the default calls ``backward(_:)``.
  func backwardParametersOnly(_ outputGradient: Tensor) throws

  /// The output shape for an input shape, or an error naming the layer if the input cannot be taken.
  func outputShape(forInputShape shape: [Int]) throws -> [Int]

  /// Drops what the last training-mode forward pass kept for `backward` (cached inputs, outputs,
  /// masks), so that its memory serves the next forward pass instead of a second buffer being
  /// allocated; `backward` throws until the next `forward`. Trainers call it once a step's
  /// backward passes are done, which halves the activation memory of steady training.
  func releaseBackwardState()
}

/// Anything that owns named parameters and has a training mode: every ``Layer``, and composite
/// models such as a VAE's encoder/decoder pair (PyTorch's `nn.Module`).
///
/// Modules form a tree. A container lists its direct ``children`` and nothing else: its
/// parameters, its layers, its random-state layers and the data-parallel settings of its layers are
/// all found by walking that tree (``namedModules``), so a new container is written in one file and
/// every walk knows it. A leaf (a layer with weights) lists its own ``namedParameters`` instead.
public protocol Module: AnyObject {
  /// Training mode (batch statistics, dropout active, caches kept) or inference mode.
  var isTraining: Bool { get set }

  /// Parameters and buffers in a stable order, named as PyTorch's `state_dict` names the
  /// equivalent module's (`weight`, `bias`, `running_mean`, `running_var`; `0.weight` in a
  /// `Sequential`; `encoder.0.weight` in a composite).
  ///
  /// Leaves implement it; a container's default is its children's, each prefixed with the
  /// child's name and a dot.
  var namedParameters: [NamedParameter] { get }

  /// The direct sub-modules with their names (`0`, `1`, ... in a ``Sequential``; `generator` and
  /// `discriminator` in a ``GAN``): what PyTorch's `named_children()` lists. Leaves have none.
  var children: [(name: String, module: any Module)] { get }
}

extension Module {
  /// None: a leaf.
  public var children: [(name: String, module: any Module)] { [] }

  /// The children's parameters, each named `<child>.<name>`.
  public var namedParameters: [NamedParameter] { childParameters }

  /// Every parameter of the children, each named `<child>.<name>`: the default ``namedParameters``
  /// of a container, for containers that add parameters of their own to it.
  public var childParameters: [NamedParameter] {
    children.flatMap { child in
      child.module.namedParameters.map { NamedParameter(child.name + "." + $0.name, $0.parameter) }
    }
  }

  /// This module and every module below it, depth first in ``children`` order, each with its
  /// path from here (`""` for this module, `"discriminator.2"` for a layer of a GAN's
  /// discriminator): PyTorch's `named_modules()`.
  public var namedModules: [(name: String, module: any Module)] {
    [("", self)] + children.flatMap { child in
      child.module.namedModules.map { (name: $0.name.isEmpty ? child.name : child.name + "." + $0.name, module: $0.module) }
    }
  }

  /// This module and every module below it, depth first (see ``namedModules``).
  public var modules: [any Module] { namedModules.map(\.module) }
}

extension Layer {
  /// Calls ``backward(_:)`` and drops the input gradient; layers with parameters implement it
  /// without computing that gradient.
  public func backwardParametersOnly(_ outputGradient: Tensor) throws {
    _ = try backward(outputGradient)
  }

  /// Layers that keep nothing large for `backward` have nothing to release.
  public func releaseBackwardState() {}
}

extension Module {
  /// The trainable parameters, in state-dictionary order.
  public var trainableParameters: [Parameter] {
    namedParameters.map(\.parameter).filter(\.isTrainable)
  }

  /// The number of trainable scalars.
  public var parameterCount: Int {
    trainableParameters.reduce(0) { $0 + $1.value.count }
  }

  /// Sets every accumulated parameter gradient to zero.
  public func zeroGradients() {
    for parameter in trainableParameters { parameter.zeroGradient() }
  }

  /// Turns gradient accumulation for every trainable parameter on or off (see
  /// ``Parameter/requiresGradient``); `backward` still returns the input gradient.
  public func setRequiresGradient(_ enabled: Bool) {
    for parameter in trainableParameters { parameter.requiresGradient = enabled }
  }

  /// Switches this module and everything below it to training mode.
  public func train() { setTrainingMode(true) }

  /// Switches this module and everything below it to inference mode.
  public func eval() { setTrainingMode(false) }

  private func setTrainingMode(_ training: Bool) {
    for module in modules { module.isTraining = training }
  }
}

/// A whole network whose parameters can be saved and restored by name.
///
/// ``Sequential`` is the model the layer builders return; models compose, so a VAE is an encoder
/// and a decoder and its checkpoint names read `encoder.0.weight`.
public protocol Model: Module {}

extension Module {
  /// Every parameter and buffer value by name: PyTorch's `state_dict()`.
  public var stateDict: [(name: String, value: Tensor)] {
    namedParameters.map { ($0.name, $0.parameter.value) }
  }

  /// Replaces every parameter and buffer with the tensor of the same name.
  ///
  /// Nothing is changed unless every name is present with the right shape; the error names the
  /// first tensor that is missing or has the wrong shape, and lists unexpected names.
  public func loadStateDict(_ tensors: [String: Tensor]) throws {
    let named = namedParameters
    for entry in named {
      guard let tensor = tensors[entry.name] else {
        throw GenerativeKitError.invalidArgument("loadStateDict: missing tensor '\(entry.name)' (\(self))")
      }
      guard tensor.shape == entry.parameter.shape else {
        throw GenerativeKitError.invalidArgument(
          "loadStateDict: tensor '\(entry.name)' has shape \(tensor.shapeDescription), "
            + "the model expects \(entry.parameter.value.shapeDescription)")
      }
    }
    let known = Set(named.map(\.name))
    let unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
    if !unexpected.isEmpty {
      throw GenerativeKitError.invalidArgument(
        "loadStateDict: unexpected tensors \(unexpected.prefix(5).joined(separator: ", "))"
          + (unexpected.count > 5 ? " and \(unexpected.count - 5) more" : ""))
    }
    for entry in named { entry.parameter.value = tensors[entry.name]! }
  }
}
