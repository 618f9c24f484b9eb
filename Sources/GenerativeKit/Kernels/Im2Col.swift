/// The geometry of one 2-D convolution, a window sweep over an input image
/// `[channels, inputHeight, inputWidth]` that produces one output pixel per window position, on an
/// `outputHeight x outputWidth` grid.
///
/// "Input" and "output" are always the convolution's: for a ``ConvTranspose2D``, which is the
/// adjoint of a convolution from its output back onto its input, this geometry describes that
/// convolution, whose input is the transposed layer's output (see ``TransposedConvGeometry``,
/// which names the sizes by the transposed layer's roles).
///
/// `padTop`/`padLeft` zeros are added before the first row/column; the bottom and right padding
/// follow from the output size (positions past the image read as zero), which also covers
/// TensorFlow's asymmetric "same" padding.
struct ConvGeometry: Equatable {
  /// Channels of the input image (the rows of the column matrix are per channel and tap).
  var channels: Int
  var inputHeight: Int
  var inputWidth: Int
  var kernelHeight: Int
  var kernelWidth: Int
  var strideY: Int
  var strideX: Int
  var padTop: Int
  var padLeft: Int
  var outputHeight: Int
  var outputWidth: Int

  /// Rows of the column matrix: one per (channel, kernel row, kernel column).
  var patchSize: Int { channels * kernelHeight * kernelWidth }
  /// Columns of the column matrix per image: one per output position.
  var outputPixels: Int { outputHeight * outputWidth }
  /// Pixels of one input plane.
  var inputPixels: Int { inputHeight * inputWidth }
}

/// Window ranges shared by im2col and col2im: for kernel column `kx`, the output columns whose
/// input column `ox * strideX - padLeft + kx` lies inside the image.
@inline(__always)
private func validRange(kernelOffset: Int, pad: Int, stride: Int, inputSize: Int, outputSize: Int) -> Range<Int> {
  // first o with o*stride - pad + kernelOffset >= 0
  let shift = pad - kernelOffset
  let first = shift <= 0 ? 0 : (shift + stride - 1) / stride
  // last o with o*stride - pad + kernelOffset <= inputSize - 1
  let limit = inputSize - 1 + pad - kernelOffset
  let last = limit < 0 ? -1 : limit / stride
  let lower = min(first, outputSize)
  let upper = max(lower, min(last + 1, outputSize))
  return lower..<upper
}

/// Unfolds `images` (`[batch, C, H, W]`) into `columns` (`[C*kh*kw, batch*OH*OW]`): the batch is
/// folded into the column dimension so one GEMM covers every image.
///
/// `columns` must hold `patchSize * batch * outputPixels` floats; every element is written. Rows are
/// short (7 or 14 floats in the report's models), so the loops are written out rather than calling
/// memcpy per row; when the window rows and image rows have the same length (stride 1, "same"
/// padding) a whole plane is copied in one block and the wrapped-around edge columns are re-zeroed,
/// which is twice as fast.
func im2col(
  _ images: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
  into columns: UnsafeMutablePointer<Float>
) {
  let rowLength = batch * g.outputPixels
  let (outputWidth, outputHeight, inputWidth) = (g.outputWidth, g.outputHeight, g.inputWidth)
  let (strideX, strideY) = (g.strideX, g.strideY)
  let imageStride = g.channels * g.inputPixels
  Threading.parallelRanges(g.patchSize, costPerItem: rowLength) { rows in
    for row in rows {
      let kx = row % g.kernelWidth
      let ky = (row / g.kernelWidth) % g.kernelHeight
      let channel = row / (g.kernelWidth * g.kernelHeight)
      let xs = validRange(
        kernelOffset: kx, pad: g.padLeft, stride: strideX, inputSize: inputWidth, outputSize: outputWidth)
      let ys = validRange(
        kernelOffset: ky, pad: g.padTop, stride: strideY, inputSize: g.inputHeight, outputSize: outputHeight)
      let (x0, x1) = (xs.lowerBound, xs.upperBound)
      // Offset of the input pixel under window (first valid row, column 0) in image 0.
      let firstSource = channel * g.inputPixels
        + (ys.lowerBound * strideY - g.padTop + ky) * inputWidth - g.padLeft + kx
      let blockCopy = strideX == 1 && strideY == 1 && outputWidth == inputWidth && !xs.isEmpty && !ys.isEmpty
      var plane = columns + row * rowLength
      for b in 0..<batch {
        let source = images + b * imageStride + firstSource
        var out = plane
        for _ in 0..<(ys.lowerBound * outputWidth) { out.pointee = 0; out += 1 }
        if blockCopy {
          // Window rows and image rows are both `inputWidth` (= `outputWidth`) long: one copy from
          // the first valid pixel to the last (every address in between lies inside the plane), then
          // zero the columns that wrapped around from the neighbouring row.
          let last = (ys.count - 1) * outputWidth + x1
          (out + x0).update(from: source + x0, count: last - x0)
          for line in 0..<ys.count {
            let row = out + line * outputWidth
            for i in 0..<x0 { row[i] = 0 }
            for i in x1..<outputWidth { row[i] = 0 }
          }
          out += ys.count * outputWidth
        } else {
          var line = source
          for _ in ys {
            var i = 0
            while i < x0 { out[i] = 0; i += 1 }
            if strideX == 1 {
              while i < x1 { out[i] = line[i]; i += 1 }
            } else {
              while i < x1 { out[i] = line[i &* strideX]; i += 1 }
            }
            while i < outputWidth { out[i] = 0; i += 1 }
            out += outputWidth
            line += strideY * inputWidth
          }
        }
        for _ in (ys.upperBound * outputWidth)..<(outputHeight * outputWidth) { out.pointee = 0; out += 1 }
        plane += g.outputPixels
      }
    }
  }
}

/// Folds `columns` (`[C*kh*kw, batch*OH*OW]`) back onto `images` (`[batch, C, H, W]`), adding every
/// window entry to the pixel it came from: the adjoint of ``im2col``.
///
/// When `accumulate` is false the images are zeroed first. With an `activation`, each finished
/// plane gets that activation's derivative (outputs addressed like `images`).
///
/// Work items are (channel, block of images): an item reads its channel's `kh*kw` column rows in
/// memory order and adds them into its few planes, which stay in cache. Each pixel takes its sums in
/// a fixed order (kernel row, kernel column), so results do not depend on the thread count.
func col2im(
  _ columns: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
  into images: UnsafeMutablePointer<Float>, accumulate: Bool, activation: FusedActivation? = nil
) {
  let rowLength = batch * g.outputPixels
  let kernelArea = g.kernelHeight * g.kernelWidth
  let imagesPerBlock = 16
  let blocks = (batch + imagesPerBlock - 1) / imagesPerBlock
  let (outputWidth, strideX, strideY, inputWidth) = (g.outputWidth, g.strideX, g.strideY, g.inputWidth)
  Threading.parallelRanges(g.channels * blocks, costPerItem: kernelArea * imagesPerBlock * g.outputPixels) { items in
    for item in items {
      let channel = item / blocks
      let block = item % blocks
      let images0 = block * imagesPerBlock
      let imageRange = images0..<min(batch, images0 + imagesPerBlock)
      @inline(__always) func plane(_ b: Int) -> UnsafeMutablePointer<Float> {
        images + (b * g.channels + channel) * g.inputPixels
      }
      if !accumulate {
        for b in imageRange { plane(b).update(repeating: 0, count: g.inputPixels) }
      }
      for ky in 0..<g.kernelHeight {
        let ys = validRange(
          kernelOffset: ky, pad: g.padTop, stride: strideY, inputSize: g.inputHeight, outputSize: g.outputHeight)
        for kx in 0..<g.kernelWidth {
          let xs = validRange(
            kernelOffset: kx, pad: g.padLeft, stride: strideX, inputSize: inputWidth, outputSize: outputWidth)
          let (x0, x1) = (xs.lowerBound, xs.upperBound)
          let row = columns + ((channel * g.kernelHeight + ky) * g.kernelWidth + kx) * rowLength
          // Offset of the pixel under window (first valid row, column 0).
          let firstTarget = (ys.lowerBound * strideY - g.padTop + ky) * inputWidth - g.padLeft + kx
          for b in imageRange {
            var input = row + b * g.outputPixels + ys.lowerBound * outputWidth
            var target = plane(b) + firstTarget
            for _ in ys {
              var i = x0
              if strideX == 1 {
                while i < x1 { target[i] += input[i]; i += 1 }
              } else {
                while i < x1 { target[i &* strideX] += input[i]; i += 1 }
              }
              input += outputWidth
              target += strideY * inputWidth
            }
          }
        }
      }
      if let activation {
        for b in imageRange {
          activation.apply(to: plane(b), offset: (b * g.channels + channel) * g.inputPixels, count: g.inputPixels)
        }
      }
    }
  }
}

/// Reorders `[batch, C, S]` into `[C, batch*S]` (images to channel-major GEMM operand).
func batchToChannelMajor(
  _ source: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
  into target: UnsafeMutablePointer<Float>
) {
  Threading.parallelRanges(channels, costPerItem: batch * plane) { range in
    for c in range {
      for b in 0..<batch {
        (target + (c * batch + b) * plane).update(from: source + (b * channels + c) * plane, count: plane)
      }
    }
  }
}

/// Reorders `[C, batch*S]` into `[batch, C, S]`, optionally adding `bias[c]` to every element or
/// applying an activation's derivative (outputs addressed like `target`).
func channelMajorToBatch(
  _ source: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
  bias: UnsafePointer<Float>?, into target: UnsafeMutablePointer<Float>, activation: FusedActivation? = nil
) {
  Threading.parallelRanges(channels, costPerItem: batch * plane) { range in
    for c in range {
      let shift = bias?[c] ?? 0
      for b in 0..<batch {
        let from = source + (c * batch + b) * plane
        let to = target + (b * channels + c) * plane
        if bias == nil {
          to.update(from: from, count: plane)
        } else {
          for i in 0..<plane { to[i] = from[i] + shift }
        }
        activation?.apply(to: to, offset: (b * channels + c) * plane, count: plane)
      }
    }
  }
}

/// Folds pixel-major columns (`[batch*OH*OW, C*kh*kw]`, one row per window position, as a GEMM
/// with the pixels as M produces them) back onto `images` (`[batch, C, H, W]`), adding every
/// entry to the pixel it came from; the images are zeroed first.
///
/// Work is split by image: each image's rows are read in order and its planes (small enough to stay
/// in cache) take the sums in a fixed order, so results do not depend on the thread count.
func col2imPixelMajor(
  _ columns: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry, into images: UnsafeMutablePointer<Float>
) {
  let kernelArea = g.kernelHeight * g.kernelWidth
  let rowLength = g.patchSize
  Threading.parallelRanges(batch, costPerItem: g.outputPixels * rowLength) { range in
    for b in range {
      let image = images + b * g.channels * g.inputPixels
      image.update(repeating: 0, count: g.channels * g.inputPixels)
      for oy in 0..<g.outputHeight {
        let top = oy * g.strideY - g.padTop
        let kyStart = max(0, -top)
        let kyEnd = min(g.kernelHeight, g.inputHeight - top)
        guard kyStart < kyEnd else { continue }
        for ox in 0..<g.outputWidth {
          let left = ox * g.strideX - g.padLeft
          let kxStart = max(0, -left)
          let kxEnd = min(g.kernelWidth, g.inputWidth - left)
          guard kxStart < kxEnd else { continue }
          let row = columns + ((b * g.outputHeight + oy) * g.outputWidth + ox) * rowLength
          // One kernel tap at a time across all channels: a long loop (C iterations) instead of
          // C * kh short ones of kw; every pixel still takes its sums in (oy, ox) order.
          let (channels, inputPixels) = (g.channels, g.inputPixels)
          for ky in kyStart..<kyEnd {
            for kx in kxStart..<kxEnd {
              let source = row + ky * g.kernelWidth + kx
              let target = image + (top + ky) * g.inputWidth + left + kx
              for channel in 0..<channels { target[channel &* inputPixels] += source[channel &* kernelArea] }
            }
          }
        }
      }
    }
  }
}
