import CKernels

/// Winograd's minimal filtering F(m x m, r x r) (Lavin & Gray 2016, from Toom-Cook): a stride-1
/// r x r correlation computed m x m output pixels at a time from alpha x alpha input tiles
/// (alpha = m + r - 1), with alpha^2 products per tile and channel pair instead of the direct
/// form's r^2 m^2, the
/// products being one GEMM per tile position.
///
/// The transforms come from interpolation points and the point at infinity. For the correlation
/// `y_i = sum_k d_(i+k) g_k` (i < m, k < 5) they are, with the Vandermonde matrices
/// `A[i][j] = p_i^j` (alpha x m), `G[i][j] = p_i^j` (alpha x 5) and `W[i][j] = p_i^j`
/// (alpha x alpha), each with a last row that picks the leading coefficient (infinity):
/// `y = A^T [(G g) * (W^-T d)]`, the transpose of Toom-Cook's polynomial product
/// `c = W^-1 [(G g) * (A u)]`. In two dimensions `Y = A^T [(G g G^T) * (B^T d B)] A` with
/// `B^T = W^-T`. The matrices are derived in Double and applied in Float, the tile transforms
/// eight channels per vector (in C, `CKernels`: AVX2 + FMA where the CPU has them), on a
/// channel-last copy of the input.
///
/// On by default (`ConvolutionChunking.winogradEnabled`; `gk-bench --no-winograd` turns it off)
/// for layers of 64 channels or more: stride-1 5 x 5 transposed convolutions; stride-1 3 x 3 and
/// 5 x 5 convolutions on planes of whole 4 x 4 tiles; and, on their input's phases
/// (``PhaseDecomposition``), stride-2 convolutions' forward pass and weight gradient and stride-2
/// transposed convolutions' data and weight gradients. The measured speed and accuracy are in
/// docs/PERFORMANCE.md.
struct WinogradPlan: Sendable {
  /// Output pixels per tile side.
  let m: Int
  /// Input pixels per tile side, `m + r - 1`.
  let alpha: Int
  /// `B^T` (alpha x alpha), `G` (alpha x 5), `A^T` (m x alpha), row-major.
  let bt: [Float], g: [Float], at: [Float]
  /// `A` (alpha x m), row-major: in the weight gradient, where an m x m output-gradient tile
  /// plays the kernel and the r x r kernel gradient the output, `A` transforms the tile and `G`
  /// the result (the same points with the roles of m and 5 swapped).
  let a: [Float]

  /// The kernel side r.
  let r: Int

  /// F(2x2, 5x5) from the points 0, 1, -1, 2, -2; F(3x3, 5x5) adds 1/2; F(4x4, 5x5) adds -1/2.
  static let f2 = WinogradPlan(points: [0, 1, -1, 2, -2], kernel: 5)
  static let f3 = WinogradPlan(points: [0, 1, -1, 2, -2, 0.5], kernel: 5)
  static let f4 = WinogradPlan(points: [0, 1, -1, 2, -2, 0.5, -0.5], kernel: 5)
  /// F(4x4, 3x3) from the points 0, 1, -1, 2, -2: the 3 x 3 phase kernels of a stride-2 5 x 5 layer.
  static let f4k3 = WinogradPlan(points: [0, 1, -1, 2, -2], kernel: 3)
  /// F(4x4, 2x2) from the points 0, 1, -1, 2: the 2 x 2 phase kernels of a stride-2 4 x 4 or 3 x 3 layer.
  static let f4k2 = WinogradPlan(points: [0, 1, -1, 2], kernel: 2)

  /// The plan with m = 4 for r x r kernels (2, 3 or 5), or nil.
  static func tile4(kernel r: Int) -> WinogradPlan? {
    switch r {
    case 2: .f4k2
    case 3: .f4k3
    case 5: .f4
    default: nil
    }
  }

  init(points: [Double], kernel r: Int) {
    let alpha = points.count + 1
    let m = alpha - r + 1
    func vandermonde(columns: Int) -> [Double] {
      var matrix = [Double](repeating: 0, count: alpha * columns)
      for (i, p) in points.enumerated() {
        var power = 1.0
        for j in 0..<columns {
          matrix[i * columns + j] = power
          power *= p
        }
      }
      matrix[(alpha - 1) * columns + columns - 1] = 1  // the point at infinity
      return matrix
    }
    let a = vandermonde(columns: m), g = vandermonde(columns: r)
    let wInverse = Self.invert(vandermonde(columns: alpha), size: alpha)
    var bt = [Float](repeating: 0, count: alpha * alpha)
    for i in 0..<alpha { for j in 0..<alpha { bt[i * alpha + j] = Float(wInverse[j * alpha + i]) } }
    var at = [Float](repeating: 0, count: m * alpha)
    for i in 0..<m { for j in 0..<alpha { at[i * alpha + j] = Float(a[j * m + i]) } }
    (self.m, self.alpha, self.r, self.bt, self.g, self.at, self.a) = (m, alpha, r, bt, g.map(Float.init), at, a.map(Float.init))
  }

  /// The inverse of a square matrix by Gauss-Jordan elimination with partial pivoting.
  private static func invert(_ matrix: [Double], size n: Int) -> [Double] {
    var a = matrix
    var inverse = [Double](repeating: 0, count: n * n)
    for i in 0..<n { inverse[i * n + i] = 1 }
    for column in 0..<n {
      let pivot = (column..<n).max { abs(a[$0 * n + column]) < abs(a[$1 * n + column]) }!
      for j in 0..<n {
        a.swapAt(column * n + j, pivot * n + j)
        inverse.swapAt(column * n + j, pivot * n + j)
      }
      let scale = 1 / a[column * n + column]
      for j in 0..<n {
        a[column * n + j] *= scale
        inverse[column * n + j] *= scale
      }
      for row in 0..<n where row != column {
        let factor = a[row * n + column]
        guard factor != 0 else { continue }
        for j in 0..<n {
          a[row * n + j] -= factor * a[column * n + j]
          inverse[row * n + j] -= factor * inverse[column * n + j]
        }
      }
    }
    return inverse
  }

  /// Channel counts rounded up to the SIMD width.
  static func padded(_ channels: Int) -> Int { (channels + 7) / 8 * 8 }

  /// Floats from one tile position's matrix to the next for matrices of `size` floats: two cache
  /// lines more than the size. The sizes are mostly powers of two (256 tile rows x 256 channels),
  /// and matrices exactly that far apart put the 64 or 49 vectors a tile transform reads or writes
  /// into one cache set, which halved the transforms' speed.
  static func positionStride(_ size: Int) -> Int { size + 32 }

  /// Floats of the kernels transformed by
  /// ``transformWeights(outChannels:inChannels:weight:outStride:inStride:flipped:into:)``.
  func transformedWeightCount(outChannels: Int, inChannels: Int) -> Int {
    alpha * alpha * Self.positionStride(Self.padded(inChannels) * Self.padded(outChannels))
  }

  /// `G g G^T` for every channel pair into `u`: one `[inChannels', outChannels']` matrix per tile
  /// position, ``positionStride(_:)`` floats apart (channel counts padded to multiples of 8 with
  /// zeros), where the correlation's weight of output channel `o`, input channel `i` at tap
  /// `t = ky * r + kx` is `weight[o * outStride + i * inStride + t]`, or `... + r^2 - 1 - t` when
  /// `flipped` (so that a caller can flip or transpose its stored layout). Eight output channels
  /// at a time, in parallel over input channels. `u` holds
  /// ``transformedWeightCount(outChannels:inChannels:)`` floats.
  func transformWeights(
    outChannels: Int, inChannels: Int, weight: UnsafePointer<Float>, outStride: Int, inStride: Int, flipped: Bool,
    into u: UnsafeMutablePointer<Float>
  ) {
    let (alpha, cin, cout) = (self.alpha, Self.padded(inChannels), Self.padded(outChannels))
    let stride = Self.positionStride(cin * cout)
    if cin > inChannels {
      for position in 0..<(alpha * alpha) {
        (u + position * stride + inChannels * cout).update(repeating: 0, count: (cin - inChannels) * cout)
      }
    }
    g.withUnsafeBufferPointer { g in
      let g = g.baseAddress!
      Threading.parallelRanges(inChannels, costPerItem: cout * alpha * alpha * r) { range in
        gk_winograd_kernel_tiles(
          Int32(alpha), Int32(r), g, weight, outStride, inStride, flipped ? 1 : 0, outChannels, cout, stride,
          range.lowerBound, range.count, u)
      }
    }
  }

  /// The tiles of an image: `tilesY x tilesX` tiles of m x m outputs, whose input tiles start
  /// every m pixels and reach `(tiles - 1) * m + alpha` pixels.
  private struct Tiling {
    let tilesY: Int, tilesX: Int
    let paddedHeight: Int, paddedWidth: Int
    var count: Int { tilesY * tilesX }

    init(plan: WinogradPlan, outputHeight: Int, outputWidth: Int) {
      tilesY = (outputHeight + plan.m - 1) / plan.m
      tilesX = (outputWidth + plan.m - 1) / plan.m
      (paddedHeight, paddedWidth) = ((tilesY - 1) * plan.m + plan.alpha, (tilesX - 1) * plan.m + plan.alpha)
    }

    /// The output gradient's side of the weight gradient: the same tiles, each m x m, over a copy
    /// that reaches `tiles * m` pixels.
    init(gradientOf tiling: Tiling, plan: WinogradPlan) {
      (tilesY, tilesX) = (tiling.tilesY, tiling.tilesX)
      (paddedHeight, paddedWidth) = (tilesY * plan.m, tilesX * plan.m)
    }
  }

  /// Images per chunk: about 4 Mi floats for each tile matrix.
  private func imagesPerChunk(batch: Int, channels: Int, tiles: Int) -> Int {
    max(1, min(batch, (4 << 20) / max(1, alpha * alpha * channels * tiles)))
  }

  /// Copies `images` NCHW images `[channels, height, width]` into `target`, channel-last
  /// `[images][paddedHeight][paddedWidth][channelsPadded]`, image pixel (y, x) at
  /// (y + padTop, x + padLeft) and zeros everywhere else (the border and the padded channels).
  /// Pixels that fall outside (negative padding, or an output smaller than the input allows) are
  /// dropped. Four pixels by four channels at a time, in parallel over images.
  private static func copyChannelLast(
    _ source: UnsafePointer<Float>, images: Int, channels: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
    paddedHeight: Int, paddedWidth: Int, channelsPadded cp: Int, into target: UnsafeMutablePointer<Float>
  ) {
    let imagePixels = paddedHeight * paddedWidth
    let (right, bottom) = (padLeft + width, padTop + height)
    Threading.parallelRanges(images, costPerItem: imagePixels * cp) { range in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: channels) { discard in
        for image in range {
          let base = target + image * imagePixels * cp
          for py in 0..<paddedHeight {
            let row = base + py * paddedWidth * cp
            guard py >= padTop, py < bottom else {
              row.update(repeating: 0, count: paddedWidth * cp)
              continue
            }
            row.update(repeating: 0, count: max(0, min(padLeft, paddedWidth)) * cp)
            if right < paddedWidth { (row + max(0, right) * cp).update(repeating: 0, count: (paddedWidth - max(0, right)) * cp) }
            if cp > channels {
              for x in max(0, padLeft)..<min(right, paddedWidth) { (row + x * cp + channels).update(repeating: 0, count: cp - channels) }
            }
          }
          transposePlanesToRows(source + image * channels * height * width, channels: channels, plane: height * width) { p in
            let (y, x) = (p / width + padTop, p % width + padLeft)
            let inside = y >= 0 && y < paddedHeight && x >= 0 && x < paddedWidth
            return inside ? base + (y * paddedWidth + x) * cp : discard.baseAddress!
          }
        }
      }
    }
  }

  /// Transforms the tiles of `images` channel-last images (``copyChannelLast``) with `matrix`
  /// (`B^T` for input tiles, side alpha; `A` for output-gradient tiles, side m) into `target`:
  /// per tile row, its alpha x alpha positions side by side, `channelsPadded` floats each.
  private func transformTiles(
    _ channelLast: UnsafePointer<Float>, side: Int, matrix: [Float], images: Int, tiling: Tiling, channelsPadded cp: Int,
    into target: UnsafeMutablePointer<Float>
  ) {
    let rows = images * tiling.count
    matrix.withUnsafeBufferPointer { l in
      Threading.parallelRanges(rows * (cp / 8), costPerItem: alpha * alpha * alpha * 16) { range in
        gk_winograd_input_tiles(
          Int32(alpha), Int32(r), Int32(side), l.baseAddress!, channelLast, tiling.paddedHeight, tiling.paddedWidth, cp,
          tiling.tilesX, tiling.count, cp, alpha * alpha * cp, range.lowerBound, range.count, target)
      }
    }
  }

  /// Copies `images` NCHW images channel-last and zero-padded to the tiles' reach into
  /// `channelLast`, then transforms their input tiles (`B^T d B`) into `v`.
  private func transformInputs(
    _ input: UnsafePointer<Float>, images: Int, channels: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
    tiling: Tiling, channelsPadded cp: Int, channelLast: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>
  ) {
    KernelProfile.measure("winograd layout") {
      Self.copyChannelLast(
        input, images: images, channels: channels, height: height, width: width, padTop: padTop, padLeft: padLeft,
        paddedHeight: tiling.paddedHeight, paddedWidth: tiling.paddedWidth, channelsPadded: cp, into: channelLast)
    }
    KernelProfile.measure("winograd input") {
      transformTiles(channelLast, side: alpha, matrix: bt, images: images, tiling: tiling, channelsPadded: cp, into: v)
    }
  }

  /// `output[n, o, y, x] = sum_i sum_(ky, kx < r) input[n, i, y - padTop + ky, x - padLeft + kx]
  /// * weight(o, i, ky * r + kx)` (zero outside the input), with the kernels given transformed by
  /// ``transformWeights(outChannels:inChannels:weight:outStride:inStride:flipped:into:)``. Images
  /// are processed in chunks that bound the tile matrices; each GEMM runs whole on one thread and
  /// every other step is per element, so the results do not depend on the thread count. The tile
  /// matrices live in the calling thread's ``ConvolutionScratch`` (`columns` and `matrix`).
  func correlate(
    _ input: UnsafePointer<Float>, batch: Int, inChannels: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
    transformedWeights u: UnsafePointer<Float>, outChannels: Int, outputHeight: Int, outputWidth: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    let (cin, cout) = (Self.padded(inChannels), Self.padded(outChannels))
    let tiling = Tiling(plan: self, outputHeight: outputHeight, outputWidth: outputWidth)
    let positions = alpha * alpha
    let imagesPerChunk = imagesPerChunk(batch: batch, channels: max(cin, cout), tiles: tiling.count)
    let rowsMax = imagesPerChunk * tiling.count
    // V[image * tiles + tile][position][cin] and M[...][position][cout] (a tile's positions side
    // by side, so that a tile transform reads and writes one small region; each position's GEMM
    // takes every alpha^2-th row), and the chunk's input channel-last and zero-padded to the
    // tiles' reach.
    let scratch = ConvolutionScratch.current
    let channelLastCount = imagesPerChunk * tiling.paddedHeight * tiling.paddedWidth * cin
    let v = scratch.columns.buffer(rowsMax * positions * cin + channelLastCount)
    let channelLast = v + rowsMax * positions * cin
    let products = scratch.matrix.buffer(rowsMax * positions * cout)
    let weightStride = Self.positionStride(cin * cout)
    for first in stride(from: 0, to: batch, by: imagesPerChunk) {
      let images = min(imagesPerChunk, batch - first)
      let rows = images * tiling.count
      transformInputs(
        input + first * inChannels * height * width, images: images, channels: inChannels, height: height,
        width: width, padTop: padTop, padLeft: padLeft, tiling: tiling, channelsPadded: cin, channelLast: channelLast,
        into: v)
      // The products, M[position] = V[position] U[position] ([rows, cin] x [cin, cout]): one GEMM
      // per tile position, the positions shared among the threads.
      KernelProfile.measure("winograd products") {
        Threading.parallelRanges(positions, costPerItem: rows * cin * cout) { range in
          for position in range {
            BLAS.sgemm(
              m: rows, n: cout, k: cin, a: v + position * cin, lda: positions * cin, b: u + position * weightStride,
              c: products + position * cout, ldc: positions * cout)
          }
        }
      }
      // Y = A^T M A for every tile, eight output channels at a time, cropped to the output.
      KernelProfile.measure("winograd output") {
        at.withUnsafeBufferPointer { at in
          Threading.parallelRanges(rows * (cout / 8), costPerItem: positions * m * 16) { range in
            gk_winograd_output_tiles(
              Int32(alpha), Int32(r), at.baseAddress!, products, cout, positions * cout, cout, tiling.tilesX, tiling.count,
              range.lowerBound, range.count, output + first * outChannels * outputHeight * outputWidth, outChannels,
              outputHeight, outputWidth)
          }
        }
      }
    }
  }

  /// The weight gradient of ``correlate(_:batch:inChannels:height:width:padTop:padLeft:transformedWeights:outChannels:outputHeight:outputWidth:into:)``:
  /// `dK(o, i, ky * r + kx) += sum_n sum_(y, x) input[n, i, y - padTop + ky, x - padLeft + kx]
  /// * outputGradient[n, o, y, x]`, **added** into `gradient` at
  /// `o * outStride + i * inStride + t` (`r^2 - 1 - t` when `flipped`), as
  /// ``transformWeights(outChannels:inChannels:weight:outStride:inStride:flipped:into:)`` reads.
  ///
  /// The same tiles with the roles swapped: per tile, the m x m output-gradient tile is the
  /// "kernel" and the r x r gradient the "output", `dK = G^T [(A dY A^T) * (B^T d B)] G`; the
  /// products, summed over every tile of the batch, are one GEMM per tile position
  /// (`dU[position] += V[position]^T dY'[position]`, K = the tiles), added chunk after chunk in
  /// order, so the result does not depend on the thread count. Uses the calling thread's
  /// ``ConvolutionScratch`` (`columns`, `matrix` and `transformedWeights`).
  func correlationWeightGradient(
    _ input: UnsafePointer<Float>, batch: Int, inChannels: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
    outputGradient dy: UnsafePointer<Float>, outChannels: Int, outputHeight: Int, outputWidth: Int,
    into gradient: UnsafeMutablePointer<Float>, outStride: Int, inStride: Int, flipped: Bool
  ) {
    let (cin, cout) = (Self.padded(inChannels), Self.padded(outChannels))
    let tiling = Tiling(plan: self, outputHeight: outputHeight, outputWidth: outputWidth)
    let positions = alpha * alpha
    let imagesPerChunk = imagesPerChunk(batch: batch, channels: max(cin, cout), tiles: tiling.count)
    let rowsMax = imagesPerChunk * tiling.count
    // The output gradient's tiles are m x m from every m-th pixel: its channel-last copy reaches
    // tiles * m pixels, zero past the output.
    let gradientTiling = Tiling(gradientOf: tiling, plan: self)
    let (gradientHeight, gradientWidth) = (gradientTiling.paddedHeight, gradientTiling.paddedWidth)
    let scratch = ConvolutionScratch.current
    let channelLastCount = imagesPerChunk * tiling.paddedHeight * tiling.paddedWidth * cin
    let v = scratch.columns.buffer(rowsMax * positions * cin + channelLastCount)
    let channelLast = v + rowsMax * positions * cin
    let gradientChannelLastCount = imagesPerChunk * gradientHeight * gradientWidth * cout
    let transformedGradient = scratch.matrix.buffer(rowsMax * positions * cout + gradientChannelLastCount)
    let gradientChannelLast = transformedGradient + rowsMax * positions * cout
    let duStride = Self.positionStride(cin * cout)
    let du = scratch.transformedWeights.buffer(positions * duStride)
    for first in stride(from: 0, to: batch, by: imagesPerChunk) {
      let images = min(imagesPerChunk, batch - first)
      let rows = images * tiling.count
      transformInputs(
        input + first * inChannels * height * width, images: images, channels: inChannels, height: height,
        width: width, padTop: padTop, padLeft: padLeft, tiling: tiling, channelsPadded: cin, channelLast: channelLast,
        into: v)
      KernelProfile.measure("winograd layout") {
        Self.copyChannelLast(
          dy + first * outChannels * outputHeight * outputWidth, images: images, channels: outChannels,
          height: outputHeight, width: outputWidth, padTop: 0, padLeft: 0, paddedHeight: gradientHeight,
          paddedWidth: gradientWidth, channelsPadded: cout, into: gradientChannelLast)
      }
      KernelProfile.measure("winograd input") {
        transformTiles(
          gradientChannelLast, side: m, matrix: a, images: images, tiling: gradientTiling,
          channelsPadded: cout, into: transformedGradient)
      }
      KernelProfile.measure("winograd products") {
        Threading.parallelRanges(positions, costPerItem: rows * cin * cout) { range in
          for position in range {
            BLAS.sgemm(
              transposeA: true, m: cin, n: cout, k: rows, a: v + position * cin, lda: positions * cin,
              b: transformedGradient + position * cout, ldb: positions * cout, beta: first == 0 ? 0 : 1,
              c: du + position * duStride)
          }
        }
      }
    }
    KernelProfile.measure("winograd output") {
      g.withUnsafeBufferPointer { g in
        Threading.parallelRanges(inChannels, costPerItem: cout * positions * r) { range in
          gk_winograd_kernel_gradient_tiles(
            Int32(alpha), Int32(r), g.baseAddress!, du, duStride, cout, gradient, outStride, inStride, flipped ? 1 : 0,
            outChannels, range.lowerBound, range.count)
        }
      }
    }
  }
}
