import CKernels

/// Winograd's minimal filtering F(m x m, 5 x 5) (Lavin & Gray 2016, from Toom-Cook): a stride-1
/// 5 x 5 correlation computed m x m output pixels at a time from (m + 4) x (m + 4) input tiles,
/// with (m + 4)^2 products per tile and channel pair instead of the direct form's 25 m^2, the
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
/// Off by default (`ConvolutionChunking.winogradEnabled`, `gk-bench --winograd`); the measured
/// speed and accuracy are in docs/PERFORMANCE.md.
struct WinogradPlan: Sendable {
  /// Output pixels per tile side.
  let m: Int
  /// Input pixels per tile side, `m + 4`.
  let alpha: Int
  /// `B^T` (alpha x alpha), `G` (alpha x 5), `A^T` (m x alpha), row-major.
  let bt: [Float], g: [Float], at: [Float]

  static let kernel = 5

  /// F(2x2, 5x5) from the points 0, 1, -1, 2, -2; F(3x3, 5x5) adds 1/2; F(4x4, 5x5) adds -1/2.
  static let f2 = WinogradPlan(points: [0, 1, -1, 2, -2])
  static let f3 = WinogradPlan(points: [0, 1, -1, 2, -2, 0.5])
  static let f4 = WinogradPlan(points: [0, 1, -1, 2, -2, 0.5, -0.5])

  init(points: [Double]) {
    let alpha = points.count + 1
    let m = alpha - Self.kernel + 1
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
    let a = vandermonde(columns: m), g = vandermonde(columns: Self.kernel)
    let wInverse = Self.invert(vandermonde(columns: alpha), size: alpha)
    var bt = [Float](repeating: 0, count: alpha * alpha)
    for i in 0..<alpha { for j in 0..<alpha { bt[i * alpha + j] = Float(wInverse[j * alpha + i]) } }
    var at = [Float](repeating: 0, count: m * alpha)
    for i in 0..<m { for j in 0..<alpha { at[i * alpha + j] = Float(a[j * m + i]) } }
    (self.m, self.alpha, self.bt, self.g, self.at) = (m, alpha, bt, g.map(Float.init), at)
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
  /// `t = ky * 5 + kx` is `weight[o * outStride + i * inStride + t]`, or `... + 24 - t` when
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
      Threading.parallelRanges(inChannels, costPerItem: cout * alpha * alpha * Self.kernel) { range in
        gk_winograd_kernel_tiles(
          Int32(alpha), g, weight, outStride, inStride, flipped ? 1 : 0, outChannels, cout, stride,
          range.lowerBound, range.count, u)
      }
    }
  }

  /// `output[n, o, y, x] = sum_i sum_(ky, kx < 5) input[n, i, y - padTop + ky, x - padLeft + kx]
  /// * weight(o, i, ky * 5 + kx)` (zero outside the input), with the kernels given transformed by
  /// ``transformWeights(outChannels:inChannels:weight:outStride:inStride:flipped:into:)``. Images
  /// are processed in chunks that bound the tile matrices; each GEMM runs whole on one thread and
  /// every other step is per element, so the results do not depend on the thread count. The tile
  /// matrices live in the calling thread's ``ConvolutionScratch`` (`columns` and `matrix`).
  func correlate(
    _ input: UnsafePointer<Float>, batch: Int, inChannels: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
    transformedWeights u: UnsafePointer<Float>, outChannels: Int, outputHeight: Int, outputWidth: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    let (m, alpha) = (self.m, self.alpha)
    let (cin, cout) = (Self.padded(inChannels), Self.padded(outChannels))
    let tilesY = (outputHeight + m - 1) / m, tilesX = (outputWidth + m - 1) / m
    let tiles = tilesY * tilesX
    let positions = alpha * alpha
    // About 4 Mi floats for each of the two tile matrices.
    let imagesPerChunk = max(1, min(batch, (4 << 20) / max(1, positions * max(cin, cout) * tiles)))
    let rowsMax = imagesPerChunk * tiles
    // V[image * tiles + tile][position][cin], M[image * tiles + tile][position][cout] (a tile's
    // positions side by side, so that a tile transform reads and writes one small region; each
    // position's GEMM takes every alpha^2-th row), and the chunk's input channel-last and
    // zero-padded to the tiles' reach: [image][y][x][cin].
    let (paddedHeight, paddedWidth) = ((tilesY - 1) * m + alpha, (tilesX - 1) * m + alpha)
    let scratch = ConvolutionScratch.current
    let channelLastCount = imagesPerChunk * paddedHeight * paddedWidth * cin
    let v = scratch.columns.buffer(rowsMax * positions * cin + channelLastCount)
    let channelLast = v + rowsMax * positions * cin
    let products = scratch.matrix.buffer(rowsMax * positions * cout)
    // The transforms as raw buffers: no bounds checks or reference counting in the tile loops.
    let bt = UnsafeMutableBufferPointer<Float>.allocate(capacity: self.bt.count)
    let at = UnsafeMutableBufferPointer<Float>.allocate(capacity: self.at.count)
    _ = bt.initialize(from: self.bt)
    _ = at.initialize(from: self.at)
    defer {
      bt.deallocate()
      at.deallocate()
    }
    for first in stride(from: 0, to: batch, by: imagesPerChunk) {
      let images = min(imagesPerChunk, batch - first)
      let rows = images * tiles
      let weightStride = Self.positionStride(cin * cout)
      KernelProfile.measure("winograd layout") {
        // Channel-last, zero outside the image: the border rows and columns are cleared, the
        // image's pixels copied four pixels by four channels at a time.
        let imagePixels = paddedHeight * paddedWidth
        let (right, bottom) = (padLeft + width, padTop + height)
        Threading.parallelRanges(images, costPerItem: imagePixels * cin) { range in
          for image in range {
            let base = channelLast + image * imagePixels * cin
            for py in 0..<paddedHeight {
              let row = base + py * paddedWidth * cin
              guard py >= padTop, py < bottom else {
                row.update(repeating: 0, count: paddedWidth * cin)
                continue
              }
              row.update(repeating: 0, count: max(0, min(padLeft, paddedWidth)) * cin)
              if right < paddedWidth { (row + right * cin).update(repeating: 0, count: (paddedWidth - right) * cin) }
              if cin > inChannels {
                for x in max(0, padLeft)..<min(right, paddedWidth) {
                  (row + x * cin + inChannels).update(repeating: 0, count: cin - inChannels)
                }
              }
            }
            // Pixels outside the tiles' reach (negative padding, or an output smaller than the
            // input allows) go to a row that is never read.
            let source = input + (first + image) * inChannels * height * width
            withUnsafeTemporaryAllocation(of: Float.self, capacity: inChannels) { discard in
              transposePlanesToRows(source, channels: inChannels, plane: height * width) { p in
                let (y, x) = (p / width + padTop, p % width + padLeft)
                let inside = y >= 0 && y < paddedHeight && x >= 0 && x < paddedWidth
                return inside ? base + (y * paddedWidth + x) * cin : discard.baseAddress!
              }
            }
          }
        }
      }
      KernelProfile.measure("winograd input") {
        // V = B^T d B for every tile, eight channels at a time.
        Threading.parallelRanges(rows * (cin / 8), costPerItem: positions * alpha * 16) { range in
          gk_winograd_input_tiles(
            Int32(alpha), Int32(m), bt.baseAddress!, channelLast, paddedHeight, paddedWidth, cin, tilesX, tiles,
            cin, positions * cin, range.lowerBound, range.count, v)
        }
      }
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
        Threading.parallelRanges(rows * (cout / 8), costPerItem: positions * m * 16) { range in
          gk_winograd_output_tiles(
            Int32(alpha), Int32(m), at.baseAddress!, products, cout, positions * cout, cout, tilesX, tiles,
            range.lowerBound,
            range.count, output + first * outChannels * outputHeight * outputWidth, outChannels, outputHeight,
            outputWidth)
        }
      }
    }
  }
}
