@testable import GenerativeKit

/// Naive reference kernels: the definitions the fast kernels are tested against.
///
/// Straight loops over the mathematical definitions, written for clarity, not speed, so every
/// optimisation has an independent answer to be compared with (llm.c's `matmul_forward_naive`).
/// They live with the tests, which are their only users; `im2col`/`col2im` take the library's
/// internal ``ConvGeometry``, hence the `@testable` import.
enum Reference {
  /// `C = alpha * op(A) * op(B) + beta * C`, row-major, tight leading dimensions, summed in Double.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: [Float], b: [Float], beta: Float, c: inout [Float]
  ) {
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          let av = transposeA ? a[p * m + i] : a[i * k + p]
          let bv = transposeB ? b[j * k + p] : b[p * n + j]
          sum += Double(av) * Double(bv)
        }
        c[i * n + j] = Float(Double(alpha) * sum + Double(beta) * Double(c[i * n + j]))
      }
    }
  }

  /// Direct 2-D convolution (cross-correlation, as PyTorch's `conv2d`).
  /// - Parameters:
  ///   - input: `[N, Cin, H, W]`
  ///   - weight: `[Cout, Cin, kh, kw]`
  ///   - bias: `[Cout]` or nil
  /// - Returns: `[N, Cout, OH, OW]` with OH = (H + padTop + padBottom - kh) / stride + 1.
  static func conv2d(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (top: Int, left: Int),
    outputSize: (Int, Int)
  ) -> Tensor {
    let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
    let (oh, ow) = outputSize
    var output = Tensor(shape: [n, cout, oh, ow])
    for b in 0..<n {
      for co in 0..<cout {
        for oy in 0..<oh {
          for ox in 0..<ow {
            var sum = Double(bias?[co] ?? 0)
            for ci in 0..<cin {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let iy = oy * stride.0 - padding.top + ky
                  let ix = ox * stride.1 - padding.left + kx
                  if iy >= 0 && iy < h && ix >= 0 && ix < w {
                    sum += Double(input[b, ci, iy, ix]) * Double(weight[co, ci, ky, kx])
                  }
                }
              }
            }
            output[b, co, oy, ox] = Float(sum)
          }
        }
      }
    }
    return output
  }

  /// Direct transposed convolution (PyTorch's `conv_transpose2d`): every input pixel scatters a
  /// weighted kernel into the output.
  /// - Parameters:
  ///   - input: `[N, Cin, H, W]`
  ///   - weight: `[Cin, Cout, kh, kw]`
  /// - Returns: `[N, Cout, OH, OW]` for the given output size.
  static func convTranspose2d(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (top: Int, left: Int),
    outputSize: (Int, Int)
  ) -> Tensor {
    let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let (oh, ow) = outputSize
    var sums = [Double](repeating: 0, count: n * cout * oh * ow)
    for b in 0..<n {
      for ci in 0..<cin {
        for iy in 0..<h {
          for ix in 0..<w {
            let x = Double(input[b, ci, iy, ix])
            for co in 0..<cout {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let oy = iy * stride.0 - padding.top + ky
                  let ox = ix * stride.1 - padding.left + kx
                  if oy >= 0 && oy < oh && ox >= 0 && ox < ow {
                    sums[((b * cout + co) * oh + oy) * ow + ox] += x * Double(weight[ci, co, ky, kx])
                  }
                }
              }
            }
          }
        }
      }
    }
    var output = Tensor(shape: [n, cout, oh, ow])
    for i in 0..<sums.count {
      let co = (i / (oh * ow)) % cout
      output[flat: i] = Float(sums[i] + Double(bias?[co] ?? 0))
    }
    return output
  }

  /// The gradients of ``conv2d(input:weight:bias:stride:padding:outputSize:)`` for an output
  /// gradient `outputGradient` `[N, Cout, OH, OW]`, by the chain rule on each product of the
  /// definition, summed in Double.
  /// - Returns: the input gradient `[N, Cin, H, W]`, the weight gradient `[Cout, Cin, kh, kw]` and
  ///   the bias gradient `[Cout]`.
  static func conv2dBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: (Int, Int), padding: (top: Int, left: Int)
  ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
    let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
    let (oh, ow) = (outputGradient.shape[2], outputGradient.shape[3])
    var dx = [Double](repeating: 0, count: input.count)
    var dw = [Double](repeating: 0, count: weight.count)
    var db = [Double](repeating: 0, count: cout)
    for b in 0..<n {
      for co in 0..<cout {
        for oy in 0..<oh {
          for ox in 0..<ow {
            let dy = Double(outputGradient[b, co, oy, ox])
            db[co] += dy
            for ci in 0..<cin {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let iy = oy * stride.0 - padding.top + ky
                  let ix = ox * stride.1 - padding.left + kx
                  guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                  dx[((b * cin + ci) * h + iy) * w + ix] += dy * Double(weight[co, ci, ky, kx])
                  dw[((co * cin + ci) * kh + ky) * kw + kx] += dy * Double(input[b, ci, iy, ix])
                }
              }
            }
          }
        }
      }
    }
    return gradients(dx, dw, db, input: input, weight: weight)
  }

  /// The gradients of ``convTranspose2d(input:weight:bias:stride:padding:outputSize:)`` for an
  /// output gradient `outputGradient` `[N, Cout, OH, OW]`, by the chain rule on each product of
  /// the definition, summed in Double.
  /// - Returns: the input gradient `[N, Cin, H, W]`, the weight gradient `[Cin, Cout, kh, kw]` and
  ///   the bias gradient `[Cout]`.
  static func convTranspose2dBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: (Int, Int), padding: (top: Int, left: Int)
  ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
    let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let (oh, ow) = (outputGradient.shape[2], outputGradient.shape[3])
    var dx = [Double](repeating: 0, count: input.count)
    var dw = [Double](repeating: 0, count: weight.count)
    var db = [Double](repeating: 0, count: cout)
    for b in 0..<n {
      for co in 0..<cout {
        for oy in 0..<oh {
          for ox in 0..<ow { db[co] += Double(outputGradient[b, co, oy, ox]) }
        }
      }
      for ci in 0..<cin {
        for iy in 0..<h {
          for ix in 0..<w {
            let x = Double(input[b, ci, iy, ix])
            for co in 0..<cout {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let oy = iy * stride.0 - padding.top + ky
                  let ox = ix * stride.1 - padding.left + kx
                  guard oy >= 0 && oy < oh && ox >= 0 && ox < ow else { continue }
                  let dy = Double(outputGradient[b, co, oy, ox])
                  dx[((b * cin + ci) * h + iy) * w + ix] += dy * Double(weight[ci, co, ky, kx])
                  dw[((ci * cout + co) * kh + ky) * kw + kx] += dy * x
                }
              }
            }
          }
        }
      }
    }
    return gradients(dx, dw, db, input: input, weight: weight)
  }

  /// Double sums of the backward references as Float tensors shaped like `input`, `weight` and the bias.
  private static func gradients(
    _ dx: [Double], _ dw: [Double], _ db: [Double], input: Tensor, weight: Tensor
  ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
    (Tensor(shape: input.shape, scalars: dx.map(Float.init)), Tensor(shape: weight.shape, scalars: dw.map(Float.init)),
     Tensor(shape: [db.count], scalars: db.map(Float.init)))
  }

  /// im2col by its definition: column `b*OH*OW + oy*OW + ox`, row `(c*kh + ky)*kw + kx`.
  static func im2col(_ images: [Float], batch: Int, geometry g: ConvGeometry) -> [Float] {
    let columnsPerImage = g.outputPixels
    var columns = [Float](repeating: 0, count: g.patchSize * batch * columnsPerImage)
    for c in 0..<g.channels {
      for ky in 0..<g.kernelHeight {
        for kx in 0..<g.kernelWidth {
          let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
          for b in 0..<batch {
            for oy in 0..<g.outputHeight {
              for ox in 0..<g.outputWidth {
                let iy = oy * g.strideY - g.padTop + ky
                let ix = ox * g.strideX - g.padLeft + kx
                let value: Float =
                  (iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth)
                  ? images[((b * g.channels + c) * g.inputHeight + iy) * g.inputWidth + ix] : 0
                columns[row * batch * columnsPerImage + b * columnsPerImage + oy * g.outputWidth + ox] = value
              }
            }
          }
        }
      }
    }
    return columns
  }

  /// col2im by its definition: the adjoint of ``im2col(_:batch:geometry:)``.
  static func col2im(_ columns: [Float], batch: Int, geometry g: ConvGeometry) -> [Float] {
    var images = [Float](repeating: 0, count: batch * g.channels * g.inputPixels)
    for c in 0..<g.channels {
      for ky in 0..<g.kernelHeight {
        for kx in 0..<g.kernelWidth {
          let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
          for b in 0..<batch {
            for oy in 0..<g.outputHeight {
              for ox in 0..<g.outputWidth {
                let iy = oy * g.strideY - g.padTop + ky
                let ix = ox * g.strideX - g.padLeft + kx
                if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                  images[((b * g.channels + c) * g.inputHeight + iy) * g.inputWidth + ix] +=
                    columns[row * batch * g.outputPixels + b * g.outputPixels + oy * g.outputWidth + ox]
                }
              }
            }
          }
        }
      }
    }
    return images
  }
}
