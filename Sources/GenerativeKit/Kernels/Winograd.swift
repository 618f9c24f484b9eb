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
/// eight channels at a time (SIMD), on a channel-last copy of the input.
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

  /// `G g G^T` for every channel pair: `U[alpha^2][inChannels'][outChannels']` (channel counts
  /// padded to multiples of 8 with zeros), where `weight(o, i, ky * 5 + kx)` is the correlation's
  /// weight of output channel `o`, input channel `i` at tap `(ky, kx)` (so that a caller can flip or
  /// transpose its stored layout). Eight output channels at a time, in parallel over input channels.
  func transformWeights(outChannels: Int, inChannels: Int, weight: (Int, Int, Int) -> Float) -> [Float] {
    let r = Self.kernel
    let (alpha, cin, cout) = (self.alpha, Self.padded(inChannels), Self.padded(outChannels))
    var u = [Float](repeating: 0, count: alpha * alpha * cin * cout)
    let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: self.g.count)
    _ = g.initialize(from: self.g)
    defer { g.deallocate() }
    u.withUnsafeMutableBufferPointer { u in
      let u = u.baseAddress!
      Threading.parallelRanges(inChannels, costPerItem: cout * alpha * alpha * r) { range in
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: r * r + alpha * r) { buffer in
          let kernel = buffer.baseAddress!, t = kernel + r * r
          for i in range {
            for group in 0..<(cout / 8) {
              for tap in 0..<(r * r) {
                var lanes = SIMD8<Float>()
                for lane in 0..<8 where group * 8 + lane < outChannels { lanes[lane] = weight(group * 8 + lane, i, tap) }
                kernel[tap] = lanes
              }
              // t = G k (alpha x 5), then G k G^T = t G^T (alpha x alpha).
              for a in 0..<alpha {
                for c in 0..<r {
                  var sum = SIMD8<Float>()
                  for b in 0..<r { sum += g[a * r + b] * kernel[b * r + c] }
                  t[a * r + c] = sum
                }
              }
              for a in 0..<alpha {
                for b in 0..<alpha {
                  var sum = SIMD8<Float>()
                  for c in 0..<r { sum += g[b * r + c] * t[a * r + c] }
                  UnsafeMutableRawPointer(u + ((a * alpha + b) * cin + i) * cout + group * 8).storeBytes(of: sum, as: SIMD8<Float>.self)
                }
              }
            }
          }
        }
      }
    }
    return u
  }

  /// `output[n, o, y, x] = sum_i sum_(ky, kx < 5) input[n, i, y - padTop + ky, x - padLeft + kx]
  /// * weight(o, i, ky * 5 + kx)` (zero outside the input), with the kernels given transformed by
  /// ``transformWeights(outChannels:inChannels:weight:)``. Images are processed in chunks that
  /// bound the tile matrices; each GEMM runs whole on one thread and every other step is per
  /// element, so the results do not depend on the thread count.
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
    // V[position][image * tiles + tile][cin], M[position][image * tiles + tile][cout], and the
    // chunk's input channel-last and zero-padded to the tiles' reach: [image][y][x][cin].
    let (paddedHeight, paddedWidth) = ((tilesY - 1) * m + alpha, (tilesX - 1) * m + alpha)
    let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * rowsMax * cin)
    let products = UnsafeMutablePointer<Float>.allocate(capacity: positions * rowsMax * cout)
    let channelLast = UnsafeMutablePointer<Float>.allocate(capacity: imagesPerChunk * paddedHeight * paddedWidth * cin)
    defer {
      v.deallocate()
      products.deallocate()
      channelLast.deallocate()
    }
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
      KernelProfile.measure("winograd layout") {
        // Channel-last, zero outside the image.
        let imagePixels = paddedHeight * paddedWidth
        Threading.parallelRanges(images * paddedHeight, costPerItem: paddedWidth * cin) { range in
          for item in range {
            let (image, py) = (item / paddedHeight, item % paddedHeight)
            let row = channelLast + (image * imagePixels + py * paddedWidth) * cin
            row.update(repeating: 0, count: paddedWidth * cin)
            let y = py - padTop
            guard y >= 0, y < height else { continue }
            for c in 0..<inChannels {
              let source = input + (((first + image) * inChannels + c) * height + y) * width
              for x in max(0, padLeft)..<min(paddedWidth, width + padLeft) { row[x * cin + c] = source[x - padLeft] }
            }
          }
        }
      }
      KernelProfile.measure("winograd input") {
        // V = B^T d B for every tile, eight channels at a time.
        let groups = cin / 8
        Threading.parallelRanges(rows * groups, costPerItem: positions * alpha * 16) { range in
          withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * positions) { buffer in
            let d = buffer.baseAddress!, t = d + positions
            for item in range {
              let (row, group) = (item / groups, item % groups)
              let (image, tile) = (row / tiles, row % tiles)
              let (top, left) = (tile / tilesX * m, tile % tilesX * m)
              let origin = channelLast + ((image * paddedHeight + top) * paddedWidth + left) * cin + group * 8
              for a in 0..<alpha {
                for b in 0..<alpha {
                  d[a * alpha + b] = UnsafeRawPointer(origin + (a * paddedWidth + b) * cin).loadUnaligned(as: SIMD8<Float>.self)
                }
              }
              // t = B^T d, row by row: t[a] = sum_c B^T[a][c] d[c] (whole rows, zeros skipped once).
              for a in 0..<alpha {
                let target = t + a * alpha
                target.update(repeating: SIMD8<Float>(), count: alpha)
                for c in 0..<alpha {
                  let coefficient = bt[a * alpha + c]
                  if coefficient == 0 { continue }
                  let source = d + c * alpha
                  for b in 0..<alpha { target[b] += coefficient * source[b] }
                }
              }
              // V[a][b] = sum_c t[a][c] B^T[b][c]: each t[a][c] spread over the b it reaches.
              for a in 0..<alpha {
                let target = d + a * alpha  // d is no longer needed: reuse it for the row
                target.update(repeating: SIMD8<Float>(), count: alpha)
                for c in 0..<alpha {
                  let value = t[a * alpha + c]
                  for b in 0..<alpha {
                    let coefficient = bt[b * alpha + c]
                    if coefficient != 0 { target[b] += coefficient * value }
                  }
                }
                for b in 0..<alpha {
                  UnsafeMutableRawPointer(v + ((a * alpha + b) * rows + row) * cin + group * 8).storeBytes(of: target[b], as: SIMD8<Float>.self)
                }
              }
            }
          }
        }
      }
      // The products, M[position] = V[position] U[position] ([rows, cin] x [cin, cout]): one GEMM
      // per tile position, the positions shared among the threads.
      KernelProfile.measure("winograd products") {
        Threading.parallelRanges(positions, costPerItem: rows * cin * cout) { range in
          for position in range {
            BLAS.sgemm(
              m: rows, n: cout, k: cin, a: v + position * rows * cin, b: u + position * cin * cout,
              c: products + position * rows * cout)
          }
        }
      }
      // Y = A^T M A for every tile, eight output channels at a time, cropped to the output.
      KernelProfile.measure("winograd output") {
        let groups = cout / 8
        Threading.parallelRanges(rows * groups, costPerItem: positions * m * 16) { range in
          withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: positions + m * alpha) { buffer in
            let tile6 = buffer.baseAddress!, t = tile6 + positions
            for item in range {
              let (row, group) = (item / groups, item % groups)
              let (image, tile) = (row / tiles, row % tiles)
              let (top, left) = (tile / tilesX * m, tile % tilesX * m)
              for p in 0..<positions {
                tile6[p] = UnsafeRawPointer(products + (p * rows + row) * cout + group * 8).loadUnaligned(as: SIMD8<Float>.self)
              }
              for a in 0..<m {
                let target = t + a * alpha
                target.update(repeating: SIMD8<Float>(), count: alpha)
                for c in 0..<alpha {
                  let coefficient = at[a * alpha + c]
                  if coefficient == 0 { continue }
                  let source = tile6 + c * alpha
                  for b in 0..<alpha { target[b] += coefficient * source[b] }
                }
              }
              let channels = min(8, outChannels - group * 8)
              for a in 0..<m where top + a < outputHeight {
                for b in 0..<m where left + b < outputWidth {
                  var s = SIMD8<Float>()
                  for c in 0..<alpha where at[b * alpha + c] != 0 { s += at[b * alpha + c] * t[a * alpha + c] }
                  let pixel = output + ((first + image) * outChannels + group * 8) * outputHeight * outputWidth
                    + (top + a) * outputWidth + left + b
                  for lane in 0..<channels { pixel[lane * outputHeight * outputWidth] = s[lane] }
                }
              }
            }
          }
        }
      }
    }
  }
}
