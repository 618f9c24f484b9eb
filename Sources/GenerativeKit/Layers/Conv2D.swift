/// A 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), computed as im2col + GEMM.
///
/// - Input: `[N, inChannels, H, W]`. Output: `[N, outChannels, OH, OW]` with
///   `OH = floor((H + 2p - kernelSize) / stride) + 1` for padding `p`.
/// - Parameters: `weight` `[outChannels, inChannels, k, k]`, `bias` `[outChannels]` (optional).
///
/// The batch is folded into the GEMM's N dimension (in chunks that bound the column matrix), so
/// forward is one `W[Cout, Cin*k*k] x cols[Cin*k*k, chunk*OH*OW]` product per chunk; backward is
/// the weight-gradient and column-gradient GEMMs followed by col2im (darknet's recipe). Layers
/// with at least 16 channels on each side and an output under 196 pixels (the report's 7 x 7
/// layers) instead run tap by tap (`ShiftedConvolution`): one GEMM per kernel tap and run of
/// pixels, no column matrix, no products of padding.
public final class Conv2D: Layer, ActivationFusingLayer {
  /// Channels of the input.
  public let inChannels: Int
  /// Channels of the output (filters).
  public let outChannels: Int
  /// The side of the square kernel.
  public let kernelSize: Int
  /// The step between output pixels, in input pixels.
  public let stride: Int
  /// How the input is padded.
  public let padding: Padding
  /// `[outChannels, inChannels, kernelSize, kernelSize]`.
  public let weight: Parameter
  /// `[outChannels]`, or nil for a layer built with `bias: false`.
  public let bias: Parameter?
  public var isTraining = true

  private var cachedInput: Tensor?
  /// The form every pass takes, whatever the geometry; nil (the default) lets
  /// ``ConvolutionForm/choose(inChannels:outChannels:outputPixels:batch:)`` pick it. Tests set it
  /// to reach and compare every form.
  var formOverride: ConvolutionForm?
  private var shiftedPlans = ShiftedConvolutionCache<ConvGeometry>()
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()

  /// - Parameters:
  ///   - inChannels: channels of the input, `C` of `[N, C, H, W]`.
  ///   - outChannels: channels of the output (filters).
  ///   - kernelSize: the side of the square kernel.
  ///   - stride: the step between output pixels, in input pixels.
  ///   - padding: ``Padding/same`` keeps `ceil(H / stride)` for odd kernels.
  ///   - bias: whether the layer adds a learnable `[outChannels]` bias.
  ///   - weightInitializer: Glorot-uniform by default (Keras); ``Initializer/pytorchDefault`` for PyTorch.
  ///   - biasInitializer: zeros by default (Keras).
  ///   - seed: seeds the initialisation; without one the layer draws from ``GlobalRandom``.
  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
    bias: Bool = true, weightInitializer: Initializer = .glorotUniform,
    biasInitializer: Initializer = .zeros, seed: UInt64? = nil
  ) {
    enforce(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0,
                 "Conv2D: channels, kernel size and stride must be positive "
                 + "(got \(inChannels) -> \(outChannels), kernel \(kernelSize), stride \(stride))")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    let area = kernelSize * kernelSize
    var generator = seed.map(SeededGenerator.init(seed:)) ?? GlobalRandom.split()
    weight = Parameter(weightInitializer.make(
      shape: [outChannels, inChannels, kernelSize, kernelSize],
      fanIn: inChannels * area, fanOut: outChannels * area, using: &generator))
    self.bias = bias ? Parameter(biasInitializer.make(
      shape: [outChannels], fanIn: inChannels * area, fanOut: outChannels * area, using: &generator)) : nil
  }

  public var description: String {
    "Conv2D(\(inChannels) -> \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)"
      + (bias == nil ? ", no bias)" : ")")
  }

  public var namedParameters: [NamedParameter] {
    [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
  }

  /// The window geometry over an input of `inputHeight x inputWidth`, or an error if the input is
  /// too small.
  func geometry(inputHeight: Int, inputWidth: Int) throws -> ConvGeometry {
    let (padTop, outputHeight) = Self.resolve(padding, input: inputHeight, kernel: kernelSize, stride: stride)
    let (padLeft, outputWidth) = Self.resolve(padding, input: inputWidth, kernel: kernelSize, stride: stride)
    guard outputHeight > 0, outputWidth > 0 else {
      throw GenerativeKitError.shapeMismatch(
        context: description, expected: "[N, \(inChannels), H, W] with H, W large enough for the kernel",
        actual: [-1, inChannels, inputHeight, inputWidth])
    }
    return ConvGeometry(
      channels: inChannels, inputHeight: inputHeight, inputWidth: inputWidth,
      kernelHeight: kernelSize, kernelWidth: kernelSize, strideY: stride, strideX: stride,
      padTop: padTop, padLeft: padLeft, outputHeight: outputHeight, outputWidth: outputWidth)
  }

  /// The form of a pass over `batch` inputs of geometry `g`: ``formOverride``, or the one
  /// ``ConvolutionForm/choose(inChannels:outChannels:outputPixels:batch:)`` picks.
  func form(for g: ConvGeometry, batch: Int) -> ConvolutionForm {
    if let formOverride { return formOverride }
    if ConvolutionFormThresholds.convolutionWinograd(
      kernelSize: kernelSize, stride: stride, inChannels: inChannels, outChannels: outChannels,
      outputHeight: g.outputHeight, outputWidth: g.outputWidth) {
      return .winograd
    }
    if ConvolutionFormThresholds.phaseWinograd(
      kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, inChannels: inChannels, outChannels: outChannels,
      outputHeight: g.outputHeight, outputWidth: g.outputWidth),
      PhaseDecomposition(g) != nil {
      return .phaseWinograd
    }
    return .choose(inChannels: inChannels, outChannels: outChannels, outputPixels: g.outputPixels, batch: batch)
  }

  /// Leading padding and output size along one axis.
  static func resolve(_ padding: Padding, input: Int, kernel: Int, stride: Int) -> (pad: Int, output: Int) {
    switch padding {
    case .valid:
      return (0, input >= kernel ? (input - kernel) / stride + 1 : 0)
    case .explicit(let p):
      let span = input + 2 * p - kernel
      return (p, span >= 0 ? span / stride + 1 : 0)
    case .same:
      let p = (kernel - 1) / 2
      let span = input + 2 * p - kernel
      return (p, span >= 0 ? span / stride + 1 : 0)
    case .tensorflowSame:
      let output = (input + stride - 1) / stride
      let total = max((output - 1) * stride + kernel - input, 0)
      return (total / 2, output)
    }
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try Tensor.check(shape: shape, matches: [nil, inChannels, nil, nil], context: description)
    let g = try geometry(inputHeight: shape[2], inputWidth: shape[3])
    return [shape[0], outChannels, g.outputHeight, g.outputWidth]
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    try input.checkShape([nil, inChannels, nil, nil], context: description)
    let batch = input.shape[0]
    let g = try geometry(inputHeight: input.shape[2], inputWidth: input.shape[3])
    let output = outputs.make([batch, outChannels, g.outputHeight, g.outputWidth])
    let (x, y, w) = (input.pointer, output.storage.pointer, weight.value.pointer)
    cachedInput = isTraining ? input : nil
    switch form(for: g, batch: batch) {
    case .tapByTap(let imagesPerChunk):
      tapByTapPlan(g).forward(x, weight: w, layout: tapLayout, batch: batch, bias: bias?.value.pointer, into: y,
                              imagesPerChunk: imagesPerChunk)
      return output
    case .phaseWinograd:
      KernelProfile.measure("winograd") {
        let phases = PhaseDecomposition(g)!
        phases.forward(phases: phases.split(x, batch: batch), weight: w, outChannels: outChannels, batch: batch, into: y)
      }
      if let bias {
        addChannelBias(bias.value.pointer, to: y, batch: batch, channels: outChannels, plane: g.outputPixels)
      }
      return output
    case .winograd:
      KernelProfile.measure("winograd") { forwardWinograd(x, batch: batch, geometry: g, into: y) }
      if let bias {
        addChannelBias(bias.value.pointer, to: y, batch: batch, channels: outChannels, plane: g.outputPixels)
      }
      return output
    case .im2col:
      break
    }
    // im2col.
    let scratch = ConvolutionScratch.current
    for chunk in ConvolutionChunking.chunks(batch: batch, rows: g.patchSize, columnsPerImage: g.outputPixels) {
      let n = chunk.count * g.outputPixels
      let cols = scratch.columns.buffer(g.patchSize * n)
      let result = scratch.matrix.buffer(outChannels * n)
      KernelProfile.measure("im2col") {
        im2col(x + chunk.lowerBound * inChannels * g.inputPixels, batch: chunk.count, geometry: g, into: cols)
      }
      // Y[Cout, chunk*OH*OW] = W[Cout, Cin*k*k] x cols[Cin*k*k, chunk*OH*OW]
      KernelProfile.measure("sgemm") {
        BLAS.sgemm(m: outChannels, n: n, k: g.patchSize, a: w, b: cols, c: result)
      }
      KernelProfile.measure("layout") {
        channelMajorToBatch(result, batch: chunk.count, channels: outChannels, plane: g.outputPixels,
                            bias: bias?.value.pointer, into: y + chunk.lowerBound * outChannels * g.outputPixels)
      }
    }
    return output
  }

  /// The tap-by-tap plan for geometry `g` (kept for the next pass on the same geometry).
  private func tapByTapPlan(_ g: ConvGeometry) -> ShiftedConvolution {
    shiftedPlans.plan(for: g) { ShiftedConvolution.convolution(g, inChannels: inChannels, outChannels: outChannels) }
  }

  private var tapLayout: TapWeightLayout {
    .convolution(inChannels: inChannels, outChannels: outChannels, taps: kernelSize * kernelSize)
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

  func backward(_ outputGradient: Tensor, throughPrecedingActivation activation: ActivationDerivative) throws -> Tensor {
    let input = try inputForBackward()
    let inputGradient = inputGradients.make(input.shape)
    try backpropagate(outputGradient, input: input, inputGradient: inputGradient, activation: activation)
    return inputGradient
  }

  private func inputForBackward() throws -> Tensor {
    guard let input = cachedInput else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    return input
  }

  /// Adds the parameter gradients for `outputGradient` and, when `inputGradient` is given (shaped
  /// like `input`), writes dL/dx into it.
  private func backpropagate(
    _ outputGradient: Tensor, input: Tensor, inputGradient: Tensor?, activation: ActivationDerivative? = nil
  ) throws {
    let batch = input.shape[0]
    let g = try geometry(inputHeight: input.shape[2], inputWidth: input.shape[3])
    try outputGradient.checkShape(
      [batch, outChannels, g.outputHeight, g.outputWidth], context: description + " backward")
    let (x, dy, w) = (input.pointer, outputGradient.pointer, weight.value.pointer)
    let scratch = ConvolutionScratch.current
    var dw = weight.requiresGradient ? weight.gradient.mutablePointer() : nil
    if let bias, bias.requiresGradient {
      KernelProfile.measure("bias") {
        accumulateChannelSums(dy, batch: batch, channels: outChannels, plane: g.outputPixels,
                              into: bias.gradient.mutablePointer())
      }
    }
    var form = form(for: g, batch: batch)
    if form == .winograd {
      KernelProfile.measure("winograd") {
        backwardWinograd(x, dy, batch: batch, geometry: g, weightGradient: dw, inputGradient: inputGradient?.storage.pointer)
      }
      if let activation, let dx = inputGradient?.storage.pointer {
        activation.apply(to: dx, outputs: x, count: input.count)
      }
      return
    }
    if form == .phaseWinograd {
      // The weight gradient in the phase form; the data gradient in the form the layer would take
      // without it (see ConvolutionForm.phaseWinograd).
      if let gradient = dw {
        KernelProfile.measure("winograd") {
          let phases = PhaseDecomposition(g)!
          phases.addWeightGradient(
            phases: phases.split(x, batch: batch), dy, outChannels: outChannels, batch: batch, into: gradient)
        }
      }
      guard inputGradient != nil else { return }
      dw = nil
      form = .choose(inChannels: inChannels, outChannels: outChannels, outputPixels: g.outputPixels, batch: batch)
    }
    switch form {
    case .tapByTap(let imagesPerChunk):
      tapByTapPlan(g).backward(x, dy, weight: w, layout: tapLayout, batch: batch, weightGradient: dw,
                               inputGradient: inputGradient?.storage.pointer, activation: activation,
                               imagesPerChunk: imagesPerChunk)
      return
    case .im2col, .phaseWinograd, .winograd:
      break
    }
    // im2col.
    for chunk in ConvolutionChunking.chunks(batch: batch, rows: g.patchSize, columnsPerImage: g.outputPixels) {
      let n = chunk.count * g.outputPixels
      let cols = scratch.columns.buffer(g.patchSize * n)
      let dyMatrix = scratch.matrix.buffer(outChannels * n)
      KernelProfile.measure("layout") {
        batchToChannelMajor(dy + chunk.lowerBound * outChannels * g.outputPixels, batch: chunk.count,
                            channels: outChannels, plane: g.outputPixels, into: dyMatrix)
      }
      if let dw {
        KernelProfile.measure("im2col") {
          im2col(x + chunk.lowerBound * inChannels * g.inputPixels, batch: chunk.count, geometry: g, into: cols)
        }
        // dW[Cout, Cin*k*k] += dY[Cout, n] x cols^T[n, Cin*k*k]
        KernelProfile.measure("sgemm") {
          BLAS.sgemm(transposeB: true, m: outChannels, n: g.patchSize, k: n, a: dyMatrix, b: cols, beta: 1, c: dw)
        }
      }
      guard let dx = inputGradient?.storage.pointer else { continue }
      // dCols[Cin*k*k, n] = W^T x dY, written over the columns, which are no longer needed.
      KernelProfile.measure("sgemm") {
        BLAS.sgemm(transposeA: true, m: g.patchSize, n: n, k: outChannels, a: w, b: dyMatrix, c: cols)
      }
      KernelProfile.measure("col2im") {
        let offset = chunk.lowerBound * inChannels * g.inputPixels
        col2im(cols, batch: chunk.count, geometry: g, into: dx + offset, accumulate: false,
               activation: activation.map { FusedActivation(derivative: $0, outputs: x + offset) })
      }
    }
  }
}

extension Conv2D {
  /// The Winograd plan of the stride-1 form (``ConvolutionForm/winograd``).
  private var winogradPlan: WinogradPlan {
    guard kernelSize == 3 || kernelSize == 5, let plan = WinogradPlan.tile4(kernel: kernelSize) else {
      fatalError("\(description): the Winograd form takes 3 x 3 and 5 x 5 kernels")
    }
    return plan
  }

  /// The forward pass as ``WinogradPlan/correlate(_:batch:inChannels:height:width:padTop:padLeft:transformedWeights:outChannels:outputHeight:outputWidth:into:)``
  /// of the input with the stored kernels; the bias is added by the caller.
  fileprivate func forwardWinograd(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry, into y: UnsafeMutablePointer<Float>
  ) {
    let (plan, taps) = (winogradPlan, kernelSize * kernelSize)
    let u = ConvolutionScratch.current.transformedWeights.buffer(
      plan.transformedWeightCount(outChannels: outChannels, inChannels: inChannels))
    plan.transformWeights(
      outChannels: outChannels, inChannels: inChannels, weight: weight.value.pointer, outStride: inChannels * taps,
      inStride: taps, flipped: false, into: u)
    plan.correlate(
      x, batch: batch, inChannels: inChannels, height: g.inputHeight, width: g.inputWidth, padTop: g.padTop,
      padLeft: g.padLeft, transformedWeights: u, outChannels: outChannels, outputHeight: g.outputHeight,
      outputWidth: g.outputWidth, into: y)
  }

  /// The weight gradient (added into `dw`) and the input gradient (a correlation of the output
  /// gradient, padded by `K - 1 - pad`, with the flipped kernels, channels swapped), each when
  /// given; the caller applies a preceding activation's derivative.
  fileprivate func backwardWinograd(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
    weightGradient dw: UnsafeMutablePointer<Float>?, inputGradient dx: UnsafeMutablePointer<Float>?
  ) {
    let (plan, taps) = (winogradPlan, kernelSize * kernelSize)
    if let dw {
      plan.correlationWeightGradient(
        x, batch: batch, inChannels: inChannels, height: g.inputHeight, width: g.inputWidth, padTop: g.padTop,
        padLeft: g.padLeft, outputGradient: dy, outChannels: outChannels, outputHeight: g.outputHeight,
        outputWidth: g.outputWidth, into: dw, outStride: inChannels * taps, inStride: taps, flipped: false)
    }
    guard let dx else { return }
    let u = ConvolutionScratch.current.transformedWeights.buffer(
      plan.transformedWeightCount(outChannels: inChannels, inChannels: outChannels))
    plan.transformWeights(
      outChannels: inChannels, inChannels: outChannels, weight: weight.value.pointer, outStride: taps,
      inStride: inChannels * taps, flipped: true, into: u)
    plan.correlate(
      dy, batch: batch, inChannels: outChannels, height: g.outputHeight, width: g.outputWidth,
      padTop: kernelSize - 1 - g.padTop, padLeft: kernelSize - 1 - g.padLeft, transformedWeights: u,
      outChannels: inChannels, outputHeight: g.inputHeight, outputWidth: g.inputWidth, into: dx)
  }
}
