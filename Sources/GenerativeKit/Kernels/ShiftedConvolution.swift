/// A convolution computed tap by tap, without im2col and without multiplying padding.
///
/// For a stride-1 convolution every kernel tap moves each output pixel's source by a fixed shift
/// `(dy, dx)`. On the pixel-major, batch-innermost layout `[pixel, image, channel]` of a chunk of
/// images, the output pixels of one image row whose shifted source lies inside the input are one
/// run of consecutive GEMM rows, and so are their sources. Each such run is one GEMM,
///
///     Y[run] += X[shifted run] x M[tap]        (M[tap]: `[inChannels, outChannels]`),
///
/// and the three passes of training use the same runs:
///
///     dX[shifted run] += dY[run] x M[tap]^T    dM[tap] += X[shifted run]^T x dY[run]
///
/// Strided layers become stride-1 ones by storing one side's pixels phase by phase (all pixels
/// with even row and even column first, and so on: space-to-depth): a strided convolution's tap
/// reads one phase of the input, and a strided transposed convolution's output phase receives
/// from a subset of the taps, in both cases with a stride-1 shift inside the phase.
///
/// Only products of real pixels are computed: on the DCGAN generator's 7 x 7 layer with a 5 x 5
/// kernel and 2 pixels of padding, 31 % of the multiply-adds of the im2col form fall on padding.
/// Runs of the same tap that continue each other (whole rows with `dx = 0`) are merged.
struct ShiftedConvolution: Equatable {
  /// One GEMM: `length` pixels starting at pixel `target` of the output and `source` of the input
  /// (indices in the layouts' pixel order), for kernel tap `tap`.
  struct Run: Equatable {
    var tap: Int
    var source: Int
    var target: Int
    var length: Int
  }

  /// A rectangle of pixels stored row by row from pixel `start` of a layout's pixel order.
  struct Plane {
    var start: Int
    var height: Int
    var width: Int
  }

  let inChannels: Int
  let outChannels: Int
  let sourcePixels: Int
  let targetPixels: Int
  let tapCount: Int
  let runs: [Run]
  /// Where each input pixel (row-major index) sits in the source layout, or nil when in place.
  let sourcePositions: [Int]?
  /// Where each output pixel sits in the target layout, or nil when in place.
  let targetPositions: [Int]?

  /// Appends the runs of one tap: target pixel `(ty, tx)` of `target` reads `(ty + dy, tx + dx)`
  /// of `source`, where that lies inside it.
  private static func appendRuns(
    tap: Int, target: Plane, source: Plane, dy: Int, dx: Int, to runs: inout [Run]
  ) {
    let first = max(0, -dx)
    let end = min(target.width, source.width - dx)
    guard first < end else { return }
    for ty in 0..<target.height {
      let sy = ty + dy
      guard sy >= 0 && sy < source.height else { continue }
      let run = Run(tap: tap, source: source.start + sy * source.width + first + dx,
                    target: target.start + ty * target.width + first, length: end - first)
      if let last = runs.last, last.tap == tap, last.source + last.length == run.source,
         last.target + last.length == run.target {
        runs[runs.count - 1].length += run.length
      } else {
        runs.append(run)
      }
    }
  }

  /// The phase planes of a `height x width` image for `stride` (phase `(ry, rx)` holds the pixels
  /// with `y % stride == ry` and `x % stride == rx`), in order, and each pixel's position.
  private static func phases(height: Int, width: Int, stride: Int) -> (planes: [[Plane]], positions: [Int]?) {
    func count(_ size: Int, _ phase: Int) -> Int { (size - phase + stride - 1) / stride }
    var planes: [[Plane]] = []
    var start = 0
    for ry in 0..<stride {
      var row: [Plane] = []
      for rx in 0..<stride {
        row.append(Plane(start: start, height: count(height, ry), width: count(width, rx)))
        start += count(height, ry) * count(width, rx)
      }
      planes.append(row)
    }
    guard stride > 1 else { return (planes, nil) }
    var positions = [Int](repeating: 0, count: height * width)
    for y in 0..<height {
      for x in 0..<width {
        let plane = planes[y % stride][x % stride]
        positions[y * width + x] = plane.start + (y / stride) * plane.width + x / stride
      }
    }
    return (planes, positions)
  }

  private static func floorDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

  /// A ``Conv2D``: output `o` reads input `o * s - pad + k`, which is pixel `o + floor((k - pad) / s)`
  /// of input phase `(k - pad) mod s`.
  static func convolution(_ g: ConvGeometry, inChannels: Int, outChannels: Int) -> ShiftedConvolution {
    enforce(g.strideY == g.strideX, "ShiftedConvolution: equal strides expected")
    let s = g.strideY
    let (planes, positions) = phases(height: g.inputHeight, width: g.inputWidth, stride: s)
    let target = Plane(start: 0, height: g.outputHeight, width: g.outputWidth)
    var runs: [Run] = []
    for ky in 0..<g.kernelHeight {
      for kx in 0..<g.kernelWidth {
        let (ay, ax) = (ky - g.padTop, kx - g.padLeft)
        let phase = planes[ay - s * floorDivision(ay, s)][ax - s * floorDivision(ax, s)]
        appendRuns(tap: ky * g.kernelWidth + kx, target: target, source: phase,
                   dy: floorDivision(ay, s), dx: floorDivision(ax, s), to: &runs)
      }
    }
    return ShiftedConvolution(
      inChannels: inChannels, outChannels: outChannels, sourcePixels: g.inputPixels, targetPixels: g.outputPixels,
      tapCount: g.kernelHeight * g.kernelWidth, runs: runs, sourcePositions: positions, targetPositions: nil)
  }

  /// A ``ConvTranspose2D``: input `i` reaches output `o = i * s - pad + k`, so output phase
  /// `r = o mod s` receives from the taps with `(r + pad - k) mod s == 0`, and pixel `q` of that
  /// phase reads input `q + (r + pad - k) / s`.
  static func transposed(_ g: TransposedConvGeometry, inChannels: Int, outChannels: Int) -> ShiftedConvolution {
    enforce(g.adjoint.strideY == g.adjoint.strideX, "ShiftedConvolution: equal strides expected")
    let s = g.stride
    let (planes, positions) = phases(height: g.outputHeight, width: g.outputWidth, stride: s)
    let source = Plane(start: 0, height: g.inputHeight, width: g.inputWidth)
    var runs: [Run] = []
    for ry in 0..<s {
      for rx in 0..<s {
        for ky in 0..<g.kernelHeight where (ry + g.padTop - ky) % s == 0 {
          for kx in 0..<g.kernelWidth where (rx + g.padLeft - kx) % s == 0 {
            appendRuns(tap: ky * g.kernelWidth + kx, target: planes[ry][rx], source: source,
                       dy: (ry + g.padTop - ky) / s, dx: (rx + g.padLeft - kx) / s, to: &runs)
          }
        }
      }
    }
    return ShiftedConvolution(
      inChannels: inChannels, outChannels: outChannels, sourcePixels: g.inputPixels, targetPixels: g.outputPixels,
      tapCount: g.kernelHeight * g.kernelWidth, runs: runs, sourcePositions: nil, targetPositions: positions)
  }

  /// Multiply-adds per image, over all runs (the im2col form does `tapCount * targetPixels` per
  /// channel pair).
  var multiplyAddsPerImage: Int { runs.reduce(0) { $0 + $1.length } * inChannels * outChannels }

  /// `y[targetPixels * images, outChannels] += x[sourcePixels * images, inChannels] x M` over all
  /// runs; `m` is `[tapCount, inChannels, outChannels]`.
  func forward(
    _ x: UnsafePointer<Float>, _ m: UnsafePointer<Float>, images: Int, into y: UnsafeMutablePointer<Float>
  ) {
    let tapSize = inChannels * outChannels
    for run in runs {
      BLAS.sgemm(m: run.length * images, n: outChannels, k: inChannels,
                 a: x + run.source * images * inChannels, b: m + run.tap * tapSize, beta: 1,
                 c: y + run.target * images * outChannels)
    }
  }

  /// `dx[sourcePixels * images, inChannels] += dy x M^T` over all runs.
  func inputGradient(
    _ dy: UnsafePointer<Float>, _ m: UnsafePointer<Float>, images: Int, into dx: UnsafeMutablePointer<Float>
  ) {
    let tapSize = inChannels * outChannels
    for run in runs {
      BLAS.sgemm(transposeB: true, m: run.length * images, n: inChannels, k: outChannels,
                 a: dy + run.target * images * outChannels, b: m + run.tap * tapSize, beta: 1,
                 c: dx + run.source * images * inChannels)
    }
  }

  /// `dm[tap] += x[run]^T x dy[run]` over all runs; `dm` is `[tapCount, inChannels, outChannels]`.
  func weightGradient(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Int, into dm: UnsafeMutablePointer<Float>
  ) {
    let tapSize = inChannels * outChannels
    for run in runs {
      BLAS.sgemm(transposeA: true, m: inChannels, n: outChannels, k: run.length * images,
                 a: x + run.source * images * inChannels, lda: inChannels,
                 b: dy + run.target * images * outChannels, beta: 1, c: dm + run.tap * tapSize)
    }
  }
}

/// A layer's tap-by-tap plan for the last geometry it ran on (a ``ConvGeometry`` for ``Conv2D``,
/// a ``TransposedConvGeometry`` for ``ConvTranspose2D``).
struct ShiftedConvolutionCache<Geometry: Equatable> {
  private var geometry: Geometry?
  private var plan: ShiftedConvolution?

  /// The plan for `g`: the one kept from the last call when `g` is the same, otherwise `make()`'s.
  mutating func plan(for g: Geometry, make: () -> ShiftedConvolution) -> ShiftedConvolution {
    if let plan, geometry == g { return plan }
    let fresh = make()
    (geometry, plan) = (g, fresh)
    return fresh
  }
}

/// Where element `(inChannel, outChannel, tap)` of a convolution weight lives: ``Conv2D`` stores
/// `[out, in, kh, kw]`, ``ConvTranspose2D`` `[in, out, kh, kw]`.
struct TapWeightLayout {
  let inChannels: Int
  let outChannels: Int
  let taps: Int
  let inChannelStride: Int
  let outChannelStride: Int

  static func convolution(inChannels: Int, outChannels: Int, taps: Int) -> TapWeightLayout {
    TapWeightLayout(inChannels: inChannels, outChannels: outChannels, taps: taps,
                    inChannelStride: taps, outChannelStride: inChannels * taps)
  }

  static func transposed(inChannels: Int, outChannels: Int, taps: Int) -> TapWeightLayout {
    TapWeightLayout(inChannels: inChannels, outChannels: outChannels, taps: taps,
                    inChannelStride: outChannels * taps, outChannelStride: taps)
  }

  var count: Int { inChannels * outChannels * taps }

  /// Output channels per block of ``gather(_:into:)`` and ``scatterAdd(_:into:)``: one cache line
  /// of the `[taps, inChannels, outChannels]` side per tap.
  private static let outChannelBlock = 16

  /// Copies the layer's weight into `[taps, inChannels, outChannels]`.
  ///
  /// Blocks of 16 output channels write one cache line per tap; element by element, each write
  /// landed `inChannels * outChannels` floats after the previous one (a page apart on the
  /// DCGAN's 256 x 128 layer).
  func gather(_ weight: UnsafePointer<Float>, into m: UnsafeMutablePointer<Float>) {
    for ci in 0..<inChannels {
      for co0 in stride(from: 0, to: outChannels, by: Self.outChannelBlock) {
        let co1 = min(outChannels, co0 + Self.outChannelBlock)
        let from = weight + ci * inChannelStride
        for tap in 0..<taps {
          let row = m + (tap * inChannels + ci) * outChannels
          for co in co0..<co1 { row[co] = from[co * outChannelStride + tap] }
        }
      }
    }
  }

  /// Adds `[taps, inChannels, outChannels]` gradients into the layer's weight gradient, in the
  /// blocks of ``gather(_:into:)``.
  func scatterAdd(_ dm: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) {
    for ci in 0..<inChannels {
      for co0 in stride(from: 0, to: outChannels, by: Self.outChannelBlock) {
        let co1 = min(outChannels, co0 + Self.outChannelBlock)
        let to = gradient + ci * inChannelStride
        for tap in 0..<taps {
          let row = dm + (tap * inChannels + ci) * outChannels
          for co in co0..<co1 { to[co * outChannelStride + tap] += row[co] }
        }
      }
    }
  }
}

/// Copies images `[images, channels, plane]` (NCHW) into the pixel-major, batch-innermost layout
/// `[plane, images, channels]` of ``ShiftedConvolution``, pixel `p` at `positions[p]` when given.
func batchToPixelMajor(
  _ source: UnsafePointer<Float>, images: Int, channels: Int, plane: Int, positions: [Int]? = nil,
  into target: UnsafeMutablePointer<Float>
) {
  Threading.parallelRanges(images, costPerItem: channels * plane) { range in
    for b in range {
      transposePlanesToRows(source + b * channels * plane, channels: channels, plane: plane) { p in
        target + ((positions?[p] ?? p) * images + b) * channels
      }
    }
  }
}

/// The inverse of ``batchToPixelMajor(_:images:channels:plane:positions:into:)``, adding `bias[c]` when
/// given and applying an activation's derivative (outputs addressed like `target`).
func pixelMajorToBatch(
  _ source: UnsafePointer<Float>, images: Int, channels: Int, plane: Int, positions: [Int]? = nil,
  bias: UnsafePointer<Float>?,
  into target: UnsafeMutablePointer<Float>, activation: FusedActivation? = nil
) {
  Threading.parallelRanges(images, costPerItem: channels * plane) { range in
    for b in range {
      let image = target + b * channels * plane
      transposeRowsToPlanes(image, channels: channels, plane: plane) { p in
        UnsafePointer(source + ((positions?[p] ?? p) * images + b) * channels)
      }
      if let bias {
        for c in 0..<channels {
          let shift = bias[c]
          let plane0 = image + c * plane
          for i in 0..<plane { plane0[i] += shift }
        }
      }
      activation?.apply(to: image, offset: b * channels * plane, count: channels * plane)
    }
  }
}

/// `row(p)[c] = planes[c * plane + p]`: one image's channel planes into one row of `channels`
/// floats per pixel, four pixels by four channels at a time (four vector loads, a 4 x 4 transpose
/// in registers, four vector stores), the edges element by element.
///
/// The four rows of a block and the channel planes' current cache lines stay in L1 while the
/// channels are walked; element by element, every read was strided and the layout copies were a
/// large share of the tap-by-tap layers' time.
@inline(__always)
func transposePlanesToRows(
  _ planes: UnsafePointer<Float>, channels: Int, plane: Int, row: (Int) -> UnsafeMutablePointer<Float>
) {
  let pixelEnd = plane & ~3
  let channelEnd = channels & ~3
  for p in stride(from: 0, to: pixelEnd, by: 4) {
    let rows = (row(p), row(p + 1), row(p + 2), row(p + 3))
    for c in stride(from: 0, to: channelEnd, by: 4) {
      let (t0, t1, t2, t3) = transpose4(
        load4(planes + c * plane + p), load4(planes + (c + 1) * plane + p),
        load4(planes + (c + 2) * plane + p), load4(planes + (c + 3) * plane + p))
      store4(t0, rows.0 + c)
      store4(t1, rows.1 + c)
      store4(t2, rows.2 + c)
      store4(t3, rows.3 + c)
    }
    for c in channelEnd..<channels {
      rows.0[c] = planes[c * plane + p]
      rows.1[c] = planes[c * plane + p + 1]
      rows.2[c] = planes[c * plane + p + 2]
      rows.3[c] = planes[c * plane + p + 3]
    }
  }
  for p in pixelEnd..<plane {
    let target = row(p)
    for c in 0..<channels { target[c] = planes[c * plane + p] }
  }
}

/// `planes[c * plane + p] = row(p)[c]`: the inverse of
/// ``transposePlanesToRows(_:channels:plane:row:)``, in the same 4 x 4 blocks.
@inline(__always)
func transposeRowsToPlanes(
  _ planes: UnsafeMutablePointer<Float>, channels: Int, plane: Int, row: (Int) -> UnsafePointer<Float>
) {
  let pixelEnd = plane & ~3
  let channelEnd = channels & ~3
  for p in stride(from: 0, to: pixelEnd, by: 4) {
    let rows = (row(p), row(p + 1), row(p + 2), row(p + 3))
    for c in stride(from: 0, to: channelEnd, by: 4) {
      let (t0, t1, t2, t3) = transpose4(load4(rows.0 + c), load4(rows.1 + c), load4(rows.2 + c), load4(rows.3 + c))
      store4(t0, planes + c * plane + p)
      store4(t1, planes + (c + 1) * plane + p)
      store4(t2, planes + (c + 2) * plane + p)
      store4(t3, planes + (c + 3) * plane + p)
    }
    for c in channelEnd..<channels {
      planes[c * plane + p] = rows.0[c]
      planes[c * plane + p + 1] = rows.1[c]
      planes[c * plane + p + 2] = rows.2[c]
      planes[c * plane + p + 3] = rows.3[c]
    }
  }
  for p in pixelEnd..<plane {
    let source = row(p)
    for c in 0..<channels { planes[c * plane + p] = source[c] }
  }
}

@inline(__always)
private func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func store4(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
}

/// Rows `a, b, c, d` of a 4 x 4 block become its columns (LLVM lowers the lane moves to shuffles).
@inline(__always)
private func transpose4(
  _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>
) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
  (SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]),
   SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3]))
}

extension ShiftedConvolution {
  /// The most partial weight gradients a backward pass keeps (each as large as the weight).
  static let weightGradientGroups = 4

  private func chunks(_ batch: Int, size: Int) -> [Range<Int>] {
    stride(from: 0, to: batch, by: size).map { $0..<min(batch, $0 + size) }
  }

  /// The layer's forward pass on NCHW tensors: `x` `[batch, inChannels, source plane]` into `y`
  /// `[batch, outChannels, target plane]`, plus `bias[c]` when given.
  func forward(
    _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, layout: TapWeightLayout, batch: Int,
    bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, imagesPerChunk: Int
  ) {
    let chunks = chunks(batch, size: imagesPerChunk)
    guard !chunks.isEmpty else { return }
    let m = ConvolutionScratch.current.weights.buffer(layout.count)
    KernelProfile.measure("layout") { layout.gather(weight, into: m) }
    Threading.parallelRanges(chunks.count, costPerItem: imagesPerChunk * multiplyAddsPerImage) { range in
      let scratch = ConvolutionScratch.current
      for chunk in chunks[range] {
        let images = chunk.count
        let xpm = scratch.columns.buffer(images * sourcePixels * inChannels)
        let ypm = scratch.matrix.buffer(images * targetPixels * outChannels)
        KernelProfile.measure("layout") {
          batchToPixelMajor(x + chunk.lowerBound * inChannels * sourcePixels, images: images, channels: inChannels,
                            plane: sourcePixels, positions: sourcePositions, into: xpm)
          ypm.update(repeating: 0, count: images * targetPixels * outChannels)
        }
        KernelProfile.measure("sgemm") { forward(xpm, m, images: images, into: ypm) }
        KernelProfile.measure("layout") {
          pixelMajorToBatch(ypm, images: images, channels: outChannels, plane: targetPixels,
                            positions: targetPositions, bias: bias,
                            into: y + chunk.lowerBound * outChannels * targetPixels)
        }
      }
    }
  }

  /// The layer's backward pass on NCHW tensors: adds the weight gradient (in the layer's layout)
  /// to `weightGradient` and writes the input gradient to `inputGradient`, each when given, with
  /// the preceding activation's derivative applied from `x` when `activation` is given.
  func backward(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, layout: TapWeightLayout,
    batch: Int, weightGradient dw: UnsafeMutablePointer<Float>?, inputGradient dx: UnsafeMutablePointer<Float>?,
    activation: ActivationDerivative?, imagesPerChunk: Int
  ) {
    let chunks = chunks(batch, size: imagesPerChunk)
    guard !chunks.isEmpty else { return }
    // Consecutive chunks form a fixed number of groups, each summing its weight gradient in chunk
    // order into a partial of its own: a few partials instead of one per chunk, and the same sums
    // at any thread count.
    let groups = dw == nil ? chunks.count : min(chunks.count, Self.weightGradientGroups)
    // The calling thread's `weights` scratch: the gathered weight, then the groups' partial weight
    // gradients; workers use their own `columns` and `matrix`.
    let m = ConvolutionScratch.current.weights.buffer(layout.count * (1 + (dw == nil ? 0 : groups)))
    let partials = m + layout.count
    if dx != nil { KernelProfile.measure("layout") { layout.gather(weight, into: m) } }
    let cost = (chunks.count / groups) * imagesPerChunk * multiplyAddsPerImage
    Threading.parallelRanges(groups, costPerItem: cost) { range in
      let scratch = ConvolutionScratch.current
      for group in range {
        let partial = partials + group * layout.count
        if dw != nil { partial.update(repeating: 0, count: layout.count) }
        for chunk in chunks[(group * chunks.count / groups)..<((group + 1) * chunks.count / groups)] {
          let images = chunk.count
          let inputOffset = chunk.lowerBound * inChannels * sourcePixels
          let xpm = scratch.columns.buffer(images * sourcePixels * inChannels)
          let dypm = scratch.matrix.buffer(images * targetPixels * outChannels)
          KernelProfile.measure("layout") {
            batchToPixelMajor(dy + chunk.lowerBound * outChannels * targetPixels, images: images,
                              channels: outChannels, plane: targetPixels, positions: targetPositions, into: dypm)
          }
          if dw != nil {
            KernelProfile.measure("layout") {
              batchToPixelMajor(x + inputOffset, images: images, channels: inChannels, plane: sourcePixels,
                                positions: sourcePositions, into: xpm)
            }
            KernelProfile.measure("sgemm") { weightGradient(xpm, dypm, images: images, into: partial) }
          }
          guard let dx else { continue }
          // The input gradient is built where the input's copy was.
          KernelProfile.measure("layout") { xpm.update(repeating: 0, count: images * sourcePixels * inChannels) }
          KernelProfile.measure("sgemm") { inputGradient(dypm, m, images: images, into: xpm) }
          KernelProfile.measure("layout") {
            pixelMajorToBatch(xpm, images: images, channels: inChannels, plane: sourcePixels,
                              positions: sourcePositions, bias: nil,
                              into: dx + inputOffset,
                              activation: activation.map { FusedActivation(derivative: $0, outputs: x + inputOffset) })
          }
        }
      }
    }
    guard let dw else { return }
    KernelProfile.measure("layout") {
      for index in 1..<groups {
        BLAS.saxpy(count: layout.count, alpha: 1, x: partials + index * layout.count, y: partials)
      }
      layout.scatterAdd(partials, into: dw)
    }
  }
}
