/// A stride-2 convolution as a stride-1 one over its input's four phases (space to depth), so that
/// Winograd's minimal filtering (``WinogradPlan``) can compute it with fewer multiplications.
///
/// With the input padded by `p` (`x_pad(i) = x(i - p)`), output pixel `o` reads `x_pad(2 o + k)`
/// at tap `k < K`. Writing `k = 2 j + r` (phase `r` in {0, 1}, `j < R = ceil(K / 2)`) gives
///
///     y(o) = sum_r sum_j P_r(o + j) w(2 j + r),   P_r(u) = x_pad(2 u + r):
///
/// a stride-1 correlation with R x R kernels over 4C channels, phase-major (channel
/// `(2 ry + rx) C + c` is phase `(ry, rx)` of channel `c`), whose taps past K are zero. The phase
/// planes reach `OH + R - 1` x `OW + R - 1` pixels; every input pixel lands in one place of them,
/// or in none when no output reads it. ``Conv2D`` computes its forward pass and weight gradient
/// this way (``ConvolutionForm/phaseWinograd``). For a 4 x 4 kernel R = 2, and F(4x4, 2x2) takes 25
/// products per 4 x 4 outputs and (phase) channel pair, 100 over the four phases, against the
/// direct form's 256; for a 5 x 5 kernel R = 3, F(4x4, 3x3) takes 144 against 400.
struct PhaseDecomposition: Equatable {
  /// Channels of the layer's input.
  let channels: Int
  /// The layer's kernel side K.
  let kernel: Int
  /// The phase kernels' side R = ceil(K / 2).
  let subKernel: Int
  let inputHeight: Int, inputWidth: Int
  let padTop: Int, padLeft: Int
  let outputHeight: Int, outputWidth: Int

  /// The decomposition of a square stride-2 geometry with non-negative padding, or nil.
  init?(_ g: ConvGeometry) {
    guard g.strideY == 2, g.strideX == 2, g.kernelHeight == g.kernelWidth, g.padTop >= 0, g.padLeft >= 0 else {
      return nil
    }
    channels = g.channels
    kernel = g.kernelHeight
    subKernel = (kernel + 1) / 2
    (inputHeight, inputWidth, padTop, padLeft) = (g.inputHeight, g.inputWidth, g.padTop, g.padLeft)
    (outputHeight, outputWidth) = (g.outputHeight, g.outputWidth)
  }

  var phaseHeight: Int { outputHeight + subKernel - 1 }
  var phaseWidth: Int { outputWidth + subKernel - 1 }
  var phaseChannels: Int { 4 * channels }
  /// Floats of the phases of `batch` images.
  func phaseCount(batch: Int) -> Int { batch * phaseChannels * phaseHeight * phaseWidth }

  /// The input pixel of phase `r` and phase pixel `u` along one axis (may lie outside the image).
  @inline(__always)
  private static func source(_ r: Int, _ u: Int, pad: Int) -> Int { 2 * u + r - pad }

  /// `x` `[batch, C, H, W]` into its phases `[batch, 4C, PH, PW]` (zeros outside the image).
  private func spaceToDepth(_ x: UnsafePointer<Float>, batch: Int, into phases: UnsafeMutablePointer<Float>) {
    let (ph, pw, plane) = (phaseHeight, phaseWidth, inputHeight * inputWidth)
    Threading.parallelRanges(batch * channels, costPerItem: 4 * ph * pw) { range in
      for item in range {
        let (n, c) = (item / channels, item % channels)
        let source = x + item * plane
        for phase in 0..<4 {
          let (ry, rx) = (phase / 2, phase % 2)
          let target = phases + ((n * 4 + phase) * channels + c) * ph * pw
          for u in 0..<ph {
            let row = target + u * pw
            let y = Self.source(ry, u, pad: padTop)
            guard y >= 0, y < inputHeight else {
              row.update(repeating: 0, count: pw)
              continue
            }
            let line = source + y * inputWidth
            for v in 0..<pw {
              let x = Self.source(rx, v, pad: padLeft)
              row[v] = x >= 0 && x < inputWidth ? line[x] : 0
            }
          }
        }
      }
    }
  }

  /// Floats of the phase kernels of a layer with `outChannels` outputs.
  func phaseKernelCount(outChannels: Int) -> Int { outChannels * phaseChannels * subKernel * subKernel }

  /// Calls `body(weightIndex, phaseIndex)` for every weight of `[O, C, K, K]` and its place in
  /// the phase kernels `[O, 4C, R, R]`.
  private func forEachTap(outChannels: Int, _ body: (Int, Int) -> Void) {
    let r = subKernel
    for o in 0..<outChannels {
      for phase in 0..<4 {
        let (ry, rx) = (phase / 2, phase % 2)
        for c in 0..<channels {
          let weightBase = (o * channels + c) * kernel * kernel
          let phaseBase = ((o * 4 + phase) * channels + c) * r * r
          for jy in 0..<r where 2 * jy + ry < kernel {
            for jx in 0..<r where 2 * jx + rx < kernel {
              body(weightBase + (2 * jy + ry) * kernel + 2 * jx + rx, phaseBase + jy * r + jx)
            }
          }
        }
      }
    }
  }

  /// The layer's weight `[O, C, K, K]` as phase kernels `[O, 4C, R, R]` (zero past K).
  func phaseKernels(_ weight: UnsafePointer<Float>, outChannels: Int, into kernels: UnsafeMutablePointer<Float>) {
    kernels.update(repeating: 0, count: phaseKernelCount(outChannels: outChannels))
    forEachTap(outChannels: outChannels) { kernels[$1] = weight[$0] }
  }

  /// Adds phase-kernel gradients `[O, 4C, R, R]` into the layer's weight gradient `[O, C, K, K]`
  /// (the entries of taps past K, which no weight has, are dropped).
  func addKernelGradient(_ kernels: UnsafePointer<Float>, outChannels: Int, into gradient: UnsafeMutablePointer<Float>) {
    forEachTap(outChannels: outChannels) { gradient[$0] += kernels[$1] }
  }

  /// The Winograd plan of the phase kernels: F(4x4, 2x2) or F(4x4, 3x3).
  private var plan: WinogradPlan {
    guard let plan = WinogradPlan.tile4(kernel: subKernel) else {
      fatalError("PhaseDecomposition: no Winograd plan for \(subKernel) x \(subKernel) phase kernels (kernel \(kernel))")
    }
    return plan
  }

  /// `batch` inputs `[C, H, W]` split into their phases (``spaceToDepth(_:batch:into:)``) in the
  /// calling thread's ``ConvolutionScratch`` (`phases`), for ``forward(phases:weight:outChannels:batch:into:)``
  /// and ``addWeightGradient(phases:_:outChannels:batch:into:)``; one split serves both.
  func split(_ x: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
    let phases = ConvolutionScratch.current.phases.buffer(phaseCount(batch: batch))
    spaceToDepth(x, batch: batch, into: phases)
    return UnsafePointer(phases)
  }

  /// The convolution `y = conv(x)` of `batch` inputs `[C, H, W]`, given as their phases
  /// (``split(_:batch:)``), with `weight` `[O, C, K, K]` into `y` `[batch, O, OH, OW]`, without
  /// bias. Uses the calling thread's ``ConvolutionScratch`` (`weights` and the Winograd buffers).
  func forward(
    phases: UnsafePointer<Float>, weight: UnsafePointer<Float>, outChannels: Int, batch: Int,
    into y: UnsafeMutablePointer<Float>
  ) {
    let (plan, r2, cp) = (plan, subKernel * subKernel, phaseChannels)
    let scratch = ConvolutionScratch.current
    let kernels = scratch.weights.buffer(phaseKernelCount(outChannels: outChannels))
    phaseKernels(weight, outChannels: outChannels, into: kernels)
    let u = scratch.transformedWeights.buffer(plan.transformedWeightCount(outChannels: outChannels, inChannels: cp))
    plan.transformWeights(
      outChannels: outChannels, inChannels: cp, weight: kernels, outStride: cp * r2, inStride: r2, flipped: false, into: u)
    plan.correlate(
      phases, batch: batch, inChannels: cp, height: phaseHeight, width: phaseWidth, padTop: 0, padLeft: 0,
      transformedWeights: u, outChannels: outChannels, outputHeight: outputHeight, outputWidth: outputWidth, into: y)
  }

  /// The weight gradient of ``forward(phases:weight:outChannels:batch:into:)`` for inputs given as
  /// their phases (``split(_:batch:)``) and output gradients `dy` `[batch, O, OH, OW]`, **added**
  /// into `gradient` `[O, C, K, K]`.
  func addWeightGradient(
    phases: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outChannels: Int, batch: Int,
    into gradient: UnsafeMutablePointer<Float>
  ) {
    let (plan, r2, cp) = (plan, subKernel * subKernel, phaseChannels)
    let kernels = ConvolutionScratch.current.weights.buffer(phaseKernelCount(outChannels: outChannels))
    kernels.update(repeating: 0, count: phaseKernelCount(outChannels: outChannels))
    plan.correlationWeightGradient(
      phases, batch: batch, inChannels: cp, height: phaseHeight, width: phaseWidth, padTop: 0, padLeft: 0,
      outputGradient: dy, outChannels: outChannels, outputHeight: outputHeight, outputWidth: outputWidth,
      into: kernels, outStride: cp * r2, inStride: r2, flipped: false)
    addKernelGradient(kernels, outChannels: outChannels, into: gradient)
  }
}
