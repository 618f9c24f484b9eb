/// A fully connected layer: `y = x W^T + b` (PyTorch's `nn.Linear`).
///
/// - Input: `[N, inFeatures]`. Output: `[N, outFeatures]`.
/// - Parameters: `weight` `[outFeatures, inFeatures]`, `bias` `[outFeatures]` (optional).
public final class Dense: Layer {
  /// The length of each input row.
  public let inFeatures: Int
  /// The length of each output row.
  public let outFeatures: Int
  /// `[outFeatures, inFeatures]`, PyTorch's layout.
  public let weight: Parameter
  /// `[outFeatures]`, or nil for a layer built with `bias: false`.
  public let bias: Parameter?
  public var isTraining = true

  private var cachedInput: Tensor?
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()

  /// - Parameters:
  ///   - inFeatures: the length of each input row, `F` of `[N, F]`.
  ///   - outFeatures: the length of each output row.
  ///   - bias: whether the layer adds a learnable `[outFeatures]` bias.
  ///   - weightInitializer: Keras's Glorot-uniform by default; ``Initializer/pytorchDefault`` for PyTorch's.
  ///   - biasInitializer: zeros by default (Keras); PyTorch draws U(±1/sqrt(inFeatures)).
  ///   - seed: seeds the initialisation; without one the layer draws from ``GlobalRandom``.
  public init(
    inFeatures: Int, outFeatures: Int, bias: Bool = true,
    weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
    seed: UInt64? = nil
  ) {
    enforce(inFeatures > 0 && outFeatures > 0,
                 "Dense: feature counts must be positive, got \(inFeatures) -> \(outFeatures)")
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    var generator = seed.map(SeededGenerator.init(seed:)) ?? GlobalRandom.split()
    self.weight = Parameter(weightInitializer.make(
      shape: [outFeatures, inFeatures], fanIn: inFeatures, fanOut: outFeatures, using: &generator))
    self.bias = bias ? Parameter(biasInitializer.make(
      shape: [outFeatures], fanIn: inFeatures, fanOut: outFeatures, using: &generator)) : nil
  }

  public var description: String {
    "Dense(\(inFeatures) -> \(outFeatures)\(bias == nil ? ", no bias" : ""))"
  }

  public var namedParameters: [NamedParameter] {
    [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try Tensor.check(shape: shape, matches: [nil, inFeatures], context: description)
    return [shape[0], outFeatures]
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    try input.checkShape([nil, inFeatures], context: description)
    let batch = input.shape[0]
    let output = outputs.make([batch, outFeatures])
    let y = output.storage.pointer
    if let bias {
      let b = bias.value.pointer
      for row in 0..<batch { (y + row * outFeatures).update(from: b, count: outFeatures) }
    }
    BLAS.sgemm(transposeB: true, m: batch, n: outFeatures, k: inFeatures,
               a: input.pointer, b: weight.value.pointer, beta: bias == nil ? 0 : 1, c: y)
    cachedInput = isTraining ? input : nil
    return output
  }

  public func releaseBackwardState() { cachedInput = nil }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    let input = try inputForBackward()
    let inputGradient = inputGradients.make(input.shape)
    try backpropagate(outputGradient, input: input, inputGradient: inputGradient)
    return inputGradient
  }

  public func backwardParametersOnly(_ outputGradient: Tensor) throws {
    try backpropagate(outputGradient, input: try inputForBackward(), inputGradient: nil)
  }

  private func inputForBackward() throws -> Tensor {
    guard let input = cachedInput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return input
  }

  /// Adds the parameter gradients for `outputGradient` and, when `inputGradient` is given (shaped
  /// like `input`), writes dL/dx into it.
  private func backpropagate(_ outputGradient: Tensor, input: Tensor, inputGradient: Tensor?) throws {
    let batch = input.shape[0]
    try outputGradient.checkShape([batch, outFeatures], context: description + " backward")
    let dy = outputGradient.pointer
    if weight.requiresGradient {
      // dW[out, in] += dY^T[out, N] x X[N, in]
      BLAS.sgemm(transposeA: true, m: outFeatures, n: inFeatures, k: batch,
                 a: dy, b: input.pointer, beta: 1, c: weight.gradient.mutablePointer())
    }
    if let bias, bias.requiresGradient {
      let db = bias.gradient.mutablePointer()
      for row in 0..<batch {
        let line = dy + row * outFeatures
        for j in 0..<outFeatures { db[j] += line[j] }
      }
    }
    guard let inputGradient else { return }
    // dX[N, in] = dY[N, out] x W[out, in]
    BLAS.sgemm(m: batch, n: inFeatures, k: outFeatures,
               a: dy, b: weight.value.pointer, c: inputGradient.storage.pointer)
  }
}
