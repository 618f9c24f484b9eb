import GenerativeKit

extension PixelImage {
  /// The rectangle `width x height` whose top-left pixel is (x, y).
  ///
  /// - Precondition: the rectangle lies inside the image and is at least 1x1.
  public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> PixelImage {
    enforce(
      x >= 0 && y >= 0 && cropWidth >= 1 && cropHeight >= 1 && x + cropWidth <= width && y + cropHeight <= height,
      "PixelImage \(width)x\(height): crop \(cropWidth)x\(cropHeight) at (\(x), \(y)) is outside the image")
    let channels = channelCount
    var result = [UInt8]()
    result.reserveCapacity(cropWidth * cropHeight * channels)
    for row in y..<(y + cropHeight) {
      let start = (row * width + x) * channels
      result.append(contentsOf: pixels[start..<(start + cropWidth * channels)])
    }
    return PixelImage(width: cropWidth, height: cropHeight, color: color, pixels: result)
  }

  /// The largest centred square: side `min(width, height)`, starting at
  /// `((width - side) / 2, (height - side) / 2)` (rounded down, so an odd surplus leaves the
  /// extra column or row on the right or bottom).
  public func centerCroppedToSquare() -> PixelImage {
    let side = min(width, height)
    if side == width && side == height { return self }
    return cropped(x: (width - side) / 2, y: (height - side) / 2, width: side, height: side)
  }

  /// The image resampled to `newWidth x newHeight` by area averaging.
  ///
  /// Each output pixel is the mean of the source area it covers, source pixels cut by its edges
  /// counting with the fraction inside. The weights are exact (integer overlaps), the result is
  /// rounded to the nearest byte. Shrinking by an integer factor averages whole blocks; enlarging
  /// repeats pixels (nearest neighbour) and blends the one output pixel that straddles two source
  /// pixels. Works on the stored sRGB bytes, like most image tools.
  public func resized(width newWidth: Int, height newHeight: Int) -> PixelImage {
    enforce(
      newWidth >= 1 && newHeight >= 1, "PixelImage.resized: size \(newWidth)x\(newHeight) must be at least 1x1")
    if newWidth == width && newHeight == height { return self }
    let channels = channelCount
    let columns = AreaWeights(source: width, target: newWidth)
    let rows = AreaWeights(source: height, target: newHeight)

    // Horizontal pass: height rows of newWidth pixels, unnormalised (scaled by `width`).
    var horizontal = [Float](repeating: 0, count: height * newWidth * channels)
    pixels.withUnsafeBufferPointer { source in
      horizontal.withUnsafeMutableBufferPointer { target in
        for y in 0..<height {
          let sourceRow = y * width * channels
          let targetRow = y * newWidth * channels
          for x in 0..<newWidth {
            for term in columns.terms[x] {
              let s = sourceRow + term.index * channels
              let t = targetRow + x * channels
              for c in 0..<channels { target[t + c] += term.weight * Float(source[s + c]) }
            }
          }
        }
      }
    }

    // Vertical pass and normalisation by width * height.
    let norm = 1 / (Float(width) * Float(height))
    var result = [UInt8](repeating: 0, count: newHeight * newWidth * channels)
    horizontal.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        let rowLength = newWidth * channels
        var sums = [Float](repeating: 0, count: rowLength)
        for y in 0..<newHeight {
          for i in 0..<rowLength { sums[i] = 0 }
          for term in rows.terms[y] {
            let s = term.index * rowLength
            for i in 0..<rowLength { sums[i] += term.weight * source[s + i] }
          }
          let t = y * rowLength
          for i in 0..<rowLength { target[t + i] = UInt8(min(255, max(0, (sums[i] * norm).rounded()))) }
        }
      }
    }
    return PixelImage(width: newWidth, height: newHeight, color: color, pixels: result)
  }
}

/// One-dimensional area-averaging weights from `source` samples to `target` samples.
///
/// In units of 1 / (source * target) of the whole extent, source pixel j spans
/// `[j * target, (j + 1) * target)` and output pixel i spans `[i * source, (i + 1) * source)`;
/// the weight of j in i is the integer length of the overlap. Every output's weights sum to
/// `source`.
struct AreaWeights {
  struct Term {
    var index: Int
    var weight: Float
  }

  let terms: [[Term]]

  init(source: Int, target: Int) {
    var terms = [[Term]]()
    terms.reserveCapacity(target)
    for i in 0..<target {
      let start = i * source
      let end = start + source
      var row = [Term]()
      var j = start / target
      while j * target < end && j < source {
        let overlap = min(end, (j + 1) * target) - max(start, j * target)
        if overlap > 0 { row.append(Term(index: j, weight: Float(overlap))) }
        j += 1
      }
      terms.append(row)
    }
    self.terms = terms
  }
}
