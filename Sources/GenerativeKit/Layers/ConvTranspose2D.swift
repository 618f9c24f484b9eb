/// A 2-D transposed convolution (PyTorch's `nn.ConvTranspose2d`): the adjoint of ``Conv2D``, used
/// to upsample. Computed in the scatter form: one GEMM makes every input pixel's weighted kernel
/// copy, and col2im adds them into the output, with the batch folded into the GEMM or, for inputs
/// of 14 x 14 pixels and more, image by image. Layers with at least 16 channels on each side and an
/// input under 196 pixels (the generators' 7 x 7 layers) instead run tap by tap
/// (`ShiftedConvolution`), which skips the products that fall on the cropped border. One function
/// chooses the form from the channels, the input size and the batch
/// (`TransposedConvolutionForm.choose`); the forms differ only in the order of Float sums.
///
/// - Input: `[N, inChannels, H, W]`. Output: `[N, outChannels, OH, OW]` with
///   `OH = (H - 1) * stride - 2 * padding + kernelSize + outputPadding` (PyTorch's formula).
///   With ``Padding/same`` or ``Padding/tensorflowSame``, `OH = H * stride` (Keras's "same").
/// - Parameters: `weight` `[inChannels, outChannels, k, k]` (PyTorch's layout), `bias` `[outChannels]`.
public final class ConvTranspose2D: Layer, ActivationFusingLayer {
  /// Channels of the input.
  public let inChannels: Int
  /// Channels of the output.
  public let outChannels: Int
  /// The side of the square kernel.
  public let kernelSize: Int
  /// The upsampling factor.
  public let stride: Int
  /// The padding of the equivalent convolution, cropped from the output.
  public let padding: Padding
  /// Extra rows and columns added at the bottom and right of the output (PyTorch `output_padding`).
  public let outputPadding: Int
  /// `[inChannels, outChannels, kernelSize, kernelSize]`.
  public let weight: Parameter
  /// `[outChannels]`, or nil for a layer built with `bias: false`.
  public let bias: Parameter?
  public var isTraining = true

  private var cachedInput: Tensor?
  /// The form every pass takes, whatever the geometry; nil (the default) lets
  /// ``TransposedConvolutionForm/choose(inChannels:outChannels:inputPixels:batch:)`` pick it.
  /// Tests set it to reach and compare every form.
  var formOverride: TransposedConvolutionForm?
  /// The Winograd form's tile size for this layer instead of ``ConvolutionChunking/winogradTile``
  /// (tests compare every size).
  var winogradPlanOverride: WinogradPlan?
  private var shiftedPlans = ShiftedConvolutionCache<TransposedConvGeometry>()
  private let outputs = TensorPool()
  private let inputGradients = TensorPool()

  /// - Parameters:
  ///   - inChannels: channels of the input, `C` of `[N, C, H, W]`.
  ///   - outChannels: channels of the output.
  ///   - kernelSize: the side of the square kernel.
  ///   - stride: the upsampling factor.
  ///   - padding: ``Padding/same`` gives `OH = H * stride` with PyTorch-compatible symmetric
  ///     padding (k = 5, s = 2: `padding=2, output_padding=1`).
  ///   - outputPadding: only with ``Padding/explicit(_:)`` or ``Padding/valid``; must be below the stride.
  ///   - bias: whether the layer adds a learnable `[outChannels]` bias.
  ///   - weightInitializer: Glorot-uniform by default (Keras); ``Initializer/pytorchDefault`` for PyTorch.
  ///   - biasInitializer: zeros by default (Keras).
  ///   - seed: seeds the initialisation; without one the layer draws from ``GlobalRandom``.
  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
    outputPadding: Int = 0, bias: Bool = true, weightInitializer: Initializer = .glorotUniform,
    biasInitializer: Initializer = .zeros, seed: UInt64? = nil
  ) {
    enforce(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0,
                 "ConvTranspose2D: channels, kernel size and stride must be positive "
                 + "(got \(inChannels) -> \(outChannels), kernel \(kernelSize), stride \(stride))")
    enforce(outputPadding >= 0 && outputPadding < stride,
                 "ConvTranspose2D: outputPadding must be in 0..<stride (\(stride)), got \(outputPadding)")
    if case .explicit(let p) = padding {
      enforce(p >= 0, "ConvTranspose2D: padding must be non-negative, got \(p)")
    }
    enforce(outputPadding == 0 || padding == .valid || { if case .explicit = padding { return true }; return false }(),
                 "ConvTranspose2D: outputPadding applies to explicit padding only; padding \(padding) sets its own")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    let area = kernelSize * kernelSize
    var generator = seed.map(SeededGenerator.init(seed:)) ?? GlobalRandom.split()
    // Fans as Keras computes them for Conv2DTranspose (receptive field x channel counts).
    weight = Parameter(weightInitializer.make(
      shape: [inChannels, outChannels, kernelSize, kernelSize],
      fanIn: outChannels * area, fanOut: inChannels * area, using: &generator))
    self.bias = bias ? Parameter(biasInitializer.make(
      shape: [outChannels], fanIn: outChannels * area, fanOut: inChannels * area, using: &generator)) : nil
  }

  public var description: String {
    "ConvTranspose2D(\(inChannels) -> \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)"
      + (outputPadding > 0 ? ", output padding \(outputPadding)" : "")
      + (bias == nil ? ", no bias)" : ")")
  }

  public var namedParameters: [NamedParameter] {
    [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
  }

  /// Leading crop (the PyTorch padding) and output size along one axis.
  static func resolve(
    _ padding: Padding, outputPadding: Int, input: Int, kernel: Int, stride: Int
  ) -> (pad: Int, output: Int) {
    switch padding {
    case .valid:
      return (0, (input - 1) * stride + kernel + outputPadding)
    case .explicit(let p):
      return (p, (input - 1) * stride - 2 * p + kernel + outputPadding)
    case .same:
      // Solve (H-1)s - 2p + k + op = H*s with the smallest p >= 0 and 0 <= op.
      let excess = kernel - stride
      return excess >= 0 ? ((excess + 1) / 2, input * stride) : (0, input * stride)
    case .tensorflowSame:
      return (max(kernel - stride, 0) / 2, input * stride)
    }
  }

  /// The PyTorch `(padding, output_padding)` pair equivalent to this layer's padding.
  public var pytorchPadding: (padding: Int, outputPadding: Int)? {
    switch padding {
    case .valid: return (0, outputPadding)
    case .explicit(let p): return (p, outputPadding)
    case .same:
      let (p, _) = Self.resolve(padding, outputPadding: 0, input: 1, kernel: kernelSize, stride: stride)
      return (p, 2 * p - (kernelSize - stride))
    case .tensorflowSame: return nil
    }
  }

  /// The geometry of a pass over an input of `inputHeight x inputWidth`, or an error if the
  /// output would be empty.
  func geometry(inputHeight: Int, inputWidth: Int) throws -> TransposedConvGeometry {
    let (padTop, outputHeight) = Self.resolve(
      padding, outputPadding: outputPadding, input: inputHeight, kernel: kernelSize, stride: stride)
    let (padLeft, outputWidth) = Self.resolve(
      padding, outputPadding: outputPadding, input: inputWidth, kernel: kernelSize, stride: stride)
    guard outputHeight > 0, outputWidth > 0 else {
      throw GenerativeKitError.shapeMismatch(
        context: description, expected: "[N, \(inChannels), H, W] with a positive output size",
        actual: [-1, inChannels, inputHeight, inputWidth])
    }
    // The convolution this layer is the adjoint of runs from this layer's output to its input.
    return TransposedConvGeometry(adjoint: ConvGeometry(
      channels: outChannels, inputHeight: outputHeight, inputWidth: outputWidth,
      kernelHeight: kernelSize, kernelWidth: kernelSize, strideY: stride, strideX: stride,
      padTop: padTop, padLeft: padLeft, outputHeight: inputHeight, outputWidth: inputWidth))
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try Tensor.check(shape: shape, matches: [nil, inChannels, nil, nil], context: description)
    let g = try geometry(inputHeight: shape[2], inputWidth: shape[3])
    return [shape[0], outChannels, g.outputHeight, g.outputWidth]
  }

  /// The phase decomposition of the adjoint convolution when the backward pass computes the data
  /// and weight gradients in the phase form: the adjoint ``Conv2D`` (this layer's output to its
  /// input) would take ``ConvolutionForm/phaseWinograd``, and no ``formOverride`` is set. Its
  /// forward pass is this layer's data gradient and its weight gradient this layer's; this
  /// layer's forward pass, the adjoint's data gradient, keeps its form (the phase form's measured
  /// slower there, see ``ConvolutionForm/phaseWinograd``).
  func phaseGradients(for g: TransposedConvGeometry) -> PhaseDecomposition? {
    guard formOverride == nil, ConvolutionFormThresholds.phaseWinograd(
      kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, inChannels: outChannels, outChannels: inChannels,
      outputHeight: g.inputHeight, outputWidth: g.inputWidth) else { return nil }
    return PhaseDecomposition(g.adjoint)
  }

  /// The form of a pass over `batch` inputs of geometry `g`: ``formOverride``, or the one
  /// ``TransposedConvolutionForm/choose(inChannels:outChannels:inputPixels:batch:)`` picks.
  func form(for g: TransposedConvGeometry, batch: Int) -> TransposedConvolutionForm {
    if let formOverride { return formOverride }
    if ConvolutionFormThresholds.winograd(kernelSize: kernelSize, stride: stride, inChannels: inChannels, outChannels: outChannels) {
      return .winograd
    }
    return .choose(inChannels: inChannels, outChannels: outChannels, inputPixels: g.inputPixels, batch: batch)
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    try input.checkShape([nil, inChannels, nil, nil], context: description)
    let batch = input.shape[0]
    let g = try geometry(inputHeight: input.shape[2], inputWidth: input.shape[3])
    let output = outputs.make([batch, outChannels, g.outputHeight, g.outputWidth])
    let (x, y) = (input.pointer, output.storage.pointer)
    cachedInput = isTraining ? input : nil
    switch form(for: g, batch: batch) {
    case .tapByTap(let imagesPerChunk):
      // Adds the bias itself.
      tapByTapPlan(g).forward(x, weight: weight.value.pointer, layout: tapLayout, batch: batch,
                              bias: bias?.value.pointer, into: y, imagesPerChunk: imagesPerChunk)
      return output
    case .perImage(let columns):
      KernelProfile.measure("per-image") { forwardPerImage(x, batch: batch, geometry: g, columns: columns, into: y) }
    case .batchFolded:
      forwardBatchFolded(x, batch: batch, geometry: g, into: y)
    case .winograd:
      KernelProfile.measure("winograd") { forwardWinograd(x, batch: batch, geometry: g, into: y) }
    }
    if let bias {
      addChannelBias(bias.value.pointer, to: y, batch: batch, channels: outChannels, plane: g.outputPixels)
    }
    return output
  }

  /// The tap-by-tap plan for geometry `g` (kept for the next pass on the same geometry).
  private func tapByTapPlan(_ g: TransposedConvGeometry) -> ShiftedConvolution {
    shiftedPlans.plan(for: g) { ShiftedConvolution.transposed(g, inChannels: inChannels, outChannels: outChannels) }
  }

  private var tapLayout: TapWeightLayout {
    .transposed(inChannels: inChannels, outChannels: outChannels, taps: kernelSize * kernelSize)
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
    let (x, dy) = (input.pointer, outputGradient.pointer)
    let dw = weight.requiresGradient ? weight.gradient.mutablePointer() : nil
    let dx = inputGradient?.storage.pointer
    if let bias, bias.requiresGradient {
      KernelProfile.measure("bias") {
        accumulateChannelSums(dy, batch: batch, channels: outChannels, plane: g.outputPixels,
                              into: bias.gradient.mutablePointer())
      }
    }
    if let phases = phaseGradients(for: g) {
      // The adjoint convolution's forward pass and weight gradient in the phase form (the stored
      // weight [in, out, K, K] is its [O, C, K, K]), both on one split of the output gradient; the
      // forward pass keeps its form.
      KernelProfile.measure("winograd") {
        let split = phases.split(dy, batch: batch)
        if let gradient = dw { phases.addWeightGradient(phases: split, x, outChannels: inChannels, batch: batch, into: gradient) }
        if let gradient = dx {
          phases.forward(phases: split, weight: weight.value.pointer, outChannels: inChannels, batch: batch, into: gradient)
          activation?.apply(to: gradient, outputs: x, count: input.count)
        }
      }
      return
    }
    switch form(for: g, batch: batch) {
    case .tapByTap(let imagesPerChunk):
      tapByTapPlan(g).backward(x, dy, weight: weight.value.pointer, layout: tapLayout, batch: batch,
                               weightGradient: dw, inputGradient: dx, activation: activation,
                               imagesPerChunk: imagesPerChunk)
    case .perImage:
      KernelProfile.measure("per-image") {
        backwardPerImage(x, dy, batch: batch, geometry: g, weightGradient: dw, inputGradient: dx,
                         activation: activation)
      }
    case .batchFolded:
      backwardBatchFolded(x, dy, batch: batch, geometry: g, weightGradient: dw, inputGradient: dx,
                          activation: activation)
    case .winograd:
      if let dw {
        KernelProfile.measure("winograd") { weightGradientWinograd(x, dy, batch: batch, geometry: g, into: dw) }
      }
      if let dx {
        KernelProfile.measure("winograd") { dataGradientWinograd(dy, batch: batch, geometry: g, into: dx) }
        activation?.apply(to: dx, outputs: x, count: input.count)
      }
    }
  }
}

extension ConvTranspose2D {
  /// The forward pass as a stride-1 correlation of the input with the flipped kernels
  /// (`out[o] = sum_i in[i] (*) W[i, o, 4 - ky, 4 - kx]`, the input padded by `4 - padTop`),
  /// computed with Winograd's minimal filtering (``WinogradPlan``); the bias is added by the caller.
  fileprivate func forwardWinograd(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry, into y: UnsafeMutablePointer<Float>
  ) {
    let (w, cin, cout) = (weight.value.pointer, inChannels, outChannels)
    let plan = winogradPlanOverride ?? ConvolutionChunking.winogradPlan
    // (o, i, tap) is stored at (i * cout + o) * 25 + tap; the flip reads (4 - ky) * 5 + (4 - kx) = 24 - tap.
    let u = ConvolutionScratch.current.transformedWeights.buffer(plan.transformedWeightCount(outChannels: cout, inChannels: cin))
    plan.transformWeights(
      outChannels: cout, inChannels: cin, weight: w, outStride: 25, inStride: cout * 25, flipped: true, into: u)
    plan.correlate(
      x, batch: batch, inChannels: cin, height: g.inputHeight, width: g.inputWidth,
      padTop: kernelSize - 1 - g.padTop, padLeft: kernelSize - 1 - g.padLeft, transformedWeights: u,
      outChannels: cout, outputHeight: g.outputHeight, outputWidth: g.outputWidth, into: y)
  }

  /// The weight gradient of the forward pass's correlation (input padded by `4 - padTop`, flipped
  /// kernels), added into `dw`, with ``WinogradPlan``.
  fileprivate func weightGradientWinograd(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry,
    into dw: UnsafeMutablePointer<Float>
  ) {
    let plan = winogradPlanOverride ?? ConvolutionChunking.winogradPlan
    plan.correlationWeightGradient(
      x, batch: batch, inChannels: inChannels, height: g.inputHeight, width: g.inputWidth,
      padTop: kernelSize - 1 - g.padTop, padLeft: kernelSize - 1 - g.padLeft, outputGradient: dy,
      outChannels: outChannels, outputHeight: g.outputHeight, outputWidth: g.outputWidth,
      into: dw, outStride: 25, inStride: outChannels * 25, flipped: true)
  }

  /// The data gradient, a stride-1 correlation of the output gradient with the kernels as stored
  /// (`dx[i] = sum_o dy[o] (*) W[i, o, ky, kx]`, padded by `padTop`), with ``WinogradPlan``.
  fileprivate func dataGradientWinograd(
    _ dy: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry, into dx: UnsafeMutablePointer<Float>
  ) {
    let (w, cin, cout) = (weight.value.pointer, inChannels, outChannels)
    let plan = winogradPlanOverride ?? ConvolutionChunking.winogradPlan
    // The correlation's output channel is the layer's input channel i, its input channel the layer's o.
    let u = ConvolutionScratch.current.transformedWeights.buffer(plan.transformedWeightCount(outChannels: cin, inChannels: cout))
    plan.transformWeights(
      outChannels: cin, inChannels: cout, weight: w, outStride: cout * 25, inStride: 25, flipped: false, into: u)
    plan.correlate(
      dy, batch: batch, inChannels: cout, height: g.outputHeight, width: g.outputWidth,
      padTop: g.padTop, padLeft: g.padLeft, transformedWeights: u,
      outChannels: cin, outputHeight: g.inputHeight, outputWidth: g.inputWidth, into: dx)
  }
}

extension ConvTranspose2D {
  /// Images per block of the per-image backward pass: each block sums its weight gradient
  /// separately and the blocks are added in order, so results do not depend on the thread count.
  static let imagesPerGradientBlock = 8

  /// Forward pass with the batch folded into the GEMM, chunk by chunk (see
  /// ``TransposedConvolutionForm/batchFolded``); the bias is added by the caller.
  fileprivate func forwardBatchFolded(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry, into y: UnsafeMutablePointer<Float>
  ) {
    let w = weight.value.pointer
    let scratch = ConvolutionScratch.current
    for chunk in ConvolutionChunking.chunks(batch: batch, rows: g.patchSize, columnsPerImage: g.inputPixels) {
      let n = chunk.count * g.inputPixels
      let xMatrix = scratch.matrix.buffer(inChannels * n)
      let cols = scratch.columns.buffer(g.patchSize * n)
      KernelProfile.measure("layout") {
        batchToChannelMajor(x + chunk.lowerBound * inChannels * g.inputPixels, batch: chunk.count,
                            channels: inChannels, plane: g.inputPixels, into: xMatrix)
      }
      let target = y + chunk.lowerBound * outChannels * g.outputPixels
      // cols[n, Cout*k*k] = X^T[n, Cin] x W[Cin, Cout*k*k]: the pixels as M is the faster GEMM
      // shape for these layers (a wide, shallow product) than the channel-major W^T X, and col2im
      // then reads rows in order.
      KernelProfile.measure("sgemm") {
        BLAS.sgemm(transposeA: true, m: n, n: g.patchSize, k: inChannels, a: xMatrix, b: w, c: cols)
      }
      KernelProfile.measure("col2im") {
        col2imPixelMajor(cols, batch: chunk.count, geometry: g.adjoint, into: target)
      }
    }
  }

  /// Backward pass with the batch folded into the GEMMs, chunk by chunk: `cols = im2col(dY)`,
  /// `dW += X cols^T`, `dX = W cols`, with the preceding activation's derivative applied to dX.
  fileprivate func backwardBatchFolded(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry,
    weightGradient dw: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?,
    activation: ActivationDerivative?
  ) {
    let w = weight.value.pointer
    let scratch = ConvolutionScratch.current
    for chunk in ConvolutionChunking.chunks(batch: batch, rows: g.patchSize, columnsPerImage: g.inputPixels) {
      let n = chunk.count * g.inputPixels
      let xMatrix = scratch.matrix.buffer(inChannels * n)
      let cols = scratch.columns.buffer(g.patchSize * n)
      KernelProfile.measure("im2col") {
        im2col(dy + chunk.lowerBound * outChannels * g.outputPixels, batch: chunk.count, geometry: g.adjoint,
               into: cols)
      }
      if let dw {
        KernelProfile.measure("layout") {
          batchToChannelMajor(x + chunk.lowerBound * inChannels * g.inputPixels, batch: chunk.count,
                              channels: inChannels, plane: g.inputPixels, into: xMatrix)
        }
        // dW[Cin, Cout*k*k] += X[Cin, n] x cols^T[n, Cout*k*k]
        KernelProfile.measure("sgemm") {
          BLAS.sgemm(transposeB: true, m: inChannels, n: g.patchSize, k: n, a: xMatrix, b: cols, beta: 1, c: dw)
        }
      }
      guard let dx = inputGradient else { continue }
      // dX[Cin, n] = W[Cin, Cout*k*k] x cols, written over X's copy, which is no longer needed.
      KernelProfile.measure("sgemm") {
        BLAS.sgemm(m: inChannels, n: n, k: g.patchSize, a: w, b: cols, c: xMatrix)
      }
      KernelProfile.measure("layout") {
        let offset = chunk.lowerBound * inChannels * g.inputPixels
        channelMajorToBatch(xMatrix, batch: chunk.count, channels: inChannels, plane: g.inputPixels, bias: nil,
                            into: dx + offset,
                            activation: activation.map { FusedActivation(derivative: $0, outputs: x + offset) })
      }
    }
  }

  /// Forward pass image by image (see ``TransposedConvolutionForm/perImage(columns:)``), with
  /// `columns` pixel-major, `cols_b[H*W, Cout*k*k] = X_b^T W` and the pixel-major col2im, or
  /// channel-major, `cols_b[Cout*k*k, H*W] = W^T X_b` and the channel-major col2im; the bias is
  /// added by the caller.
  ///
  /// The pixel-major col2im adds one tap across all channels per loop, which pays with many
  /// channels (the VAE's 32-channel v_convT2) but with one channel is a loop per pixel and tap;
  /// channel-major, a tap's contributions to a row are one contiguous run, which makes the
  /// one-channel layers (v_convT3, the DCGAN's g_convT3) several times faster. The measurements
  /// are in docs/PERFORMANCE.md.
  fileprivate func forwardPerImage(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry,
    columns: TransposedConvolutionForm.ColumnLayout, into y: UnsafeMutablePointer<Float>
  ) {
    let w = weight.value.pointer
    let (inputPixels, outputPixels, patch) = (g.inputPixels, g.outputPixels, g.patchSize)
    Threading.parallelRanges(batch, costPerItem: inputPixels * patch * inChannels) { images in
      let cols = ConvolutionScratch.current.columns.buffer(inputPixels * patch)
      for b in images {
        let (image, output) = (x + b * inChannels * inputPixels, y + b * outChannels * outputPixels)
        switch columns {
        case .channelMajor:
          KernelProfile.measure("sgemm") {
            BLAS.sgemm(transposeA: true, m: patch, n: inputPixels, k: inChannels, a: w, b: image, c: cols)
          }
          KernelProfile.measure("col2im") {
            col2im(cols, batch: 1, geometry: g.adjoint, into: output, accumulate: false)
          }
        case .pixelMajor:
          KernelProfile.measure("sgemm") {
            BLAS.sgemm(transposeA: true, m: inputPixels, n: patch, k: inChannels, a: image, b: w, c: cols)
          }
          KernelProfile.measure("col2im") { col2imPixelMajor(cols, batch: 1, geometry: g.adjoint, into: output) }
        }
      }
    }
  }

  /// Backward pass image by image: `cols_b = im2col(dY_b)`, `dW += X_b cols_b^T` (per block of
  /// images), `dX_b = W cols_b`, written straight into the NCHW input gradient.
  fileprivate func backwardPerImage(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, geometry g: TransposedConvGeometry,
    weightGradient dw: UnsafeMutablePointer<Float>?, inputGradient dx: UnsafeMutablePointer<Float>?,
    activation: ActivationDerivative?
  ) {
    let w = weight.value.pointer
    let (pixels, patch, inputSize) = (g.inputPixels, g.patchSize, inChannels * g.inputPixels)
    let weightCount = inChannels * patch
    let blockSize = Self.imagesPerGradientBlock
    let blocks = (batch + blockSize - 1) / blockSize
    // The calling thread's `matrix` scratch holds the blocks' partial weight gradients; the
    // workers (the caller among them) use their own `columns` scratch.
    let partials = ConvolutionScratch.current.matrix.buffer(dw == nil ? 0 : blocks * weightCount)
    Threading.parallelRanges(blocks, costPerItem: blockSize * pixels * patch * inChannels) { blockRange in
      let cols = ConvolutionScratch.current.columns.buffer(patch * pixels)
      for block in blockRange {
        let partial = partials + block * weightCount
        if dw != nil { partial.update(repeating: 0, count: weightCount) }
        for b in (block * blockSize)..<min(batch, (block + 1) * blockSize) {
          KernelProfile.measure("im2col") {
            im2col(dy + b * outChannels * g.outputPixels, batch: 1, geometry: g.adjoint, into: cols)
          }
          let xImage = x + b * inputSize
          if dw != nil {
            KernelProfile.measure("sgemm") {
              BLAS.sgemm(transposeB: true, m: inChannels, n: patch, k: pixels, a: xImage, b: cols, beta: 1, c: partial)
            }
          }
          if let dx {
            KernelProfile.measure("sgemm") { BLAS.sgemm(m: inChannels, n: pixels, k: patch, a: w, b: cols, c: dx + b * inputSize) }
            KernelProfile.measure("activation") {
              activation?.apply(to: dx + b * inputSize, outputs: xImage, count: inputSize)
            }
          }
        }
      }
    }
    guard let dw else { return }
    for block in 0..<blocks {
      BLAS.saxpy(count: weightCount, alpha: 1, x: partials + block * weightCount, y: dw)
    }
  }
}

/// The sizes of a ``ConvTranspose2D`` pass named by the layer's roles, and the convolution the
/// layer is the adjoint of.
///
/// The layer scatters every input pixel's weighted kernel copy into its output; the kernels
/// (im2col, col2im) describe that as the convolution running the other way, from the layer's output
/// back onto its input: ``adjoint``'s input is this layer's output and its output this layer's
/// input. The properties here say which is which, so the layer never reads the swapped names.
struct TransposedConvGeometry: Equatable {
  /// The convolution from the layer's output `[outChannels, outputHeight, outputWidth]` back onto
  /// its input `[inChannels, inputHeight, inputWidth]`, as im2col and col2im take it.
  var adjoint: ConvGeometry

  var inputHeight: Int { adjoint.outputHeight }
  var inputWidth: Int { adjoint.outputWidth }
  var outputHeight: Int { adjoint.inputHeight }
  var outputWidth: Int { adjoint.inputWidth }
  /// Pixels of one input plane (the smaller plane).
  var inputPixels: Int { adjoint.outputPixels }
  /// Pixels of one output plane.
  var outputPixels: Int { adjoint.inputPixels }
  /// The rows and columns cropped from the top and left of the output (PyTorch's `padding`).
  var padTop: Int { adjoint.padTop }
  var padLeft: Int { adjoint.padLeft }
  /// `outChannels * kernelHeight * kernelWidth`: one input pixel's weighted kernel copy, a row of
  /// the pixel-major column matrix.
  var patchSize: Int { adjoint.patchSize }
  var stride: Int { adjoint.strideY }
  var kernelHeight: Int { adjoint.kernelHeight }
  var kernelWidth: Int { adjoint.kernelWidth }
}

/// Adds `bias[c]` to every element of channel `c` of `values` (`[N, C, S]`).
func addChannelBias(
  _ bias: UnsafePointer<Float>, to values: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int
) {
  Threading.parallelRanges(batch * channels, costPerItem: plane) { planes in
    for index in planes {
      let shift = bias[index % channels]
      let row = values + index * plane
      for i in 0..<plane { row[i] += shift }
    }
  }
}
