import GenerativeKit

extension PixelRange {
  /// Maps a value in this range to a byte: clamped to the range, then rounded to the nearest of
  /// 0...255. NaN maps to 0, so a diverged model still produces a (black) image.
  @inline(__always)
  public func byte(_ value: Float) -> UInt8 {
    let unit = toUnit(value)
    if !(unit > 0) { return 0 }  // also NaN
    if unit >= 1 { return 255 }
    return UInt8((unit * 255).rounded())
  }
}

extension PixelImage {
  /// The image described by a `[C, H, W]` tensor (C = 1 gray, C = 3 RGB) whose values are in
  /// `range`; values outside it are clamped.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` unless the tensor is
  ///   `[1, H, W]` or `[3, H, W]` with H, W >= 1.
  public init(tensor: Tensor, range: PixelRange) throws {
    let shape = tensor.shape
    guard shape.count == 3, let color = ColorMode(channelCount: shape[0]), shape[1] >= 1, shape[2] >= 1 else {
      throw GenerativeKitError.shapeMismatch(
        context: "PixelImage(tensor:): one image with 1 (gray) or 3 (RGB) channels",
        expected: "[1 or 3, H >= 1, W >= 1]", actual: shape)
    }
    self = tensor.withUnsafeBufferPointer {
      Self.fromPlanar($0, color: color, height: shape[1], width: shape[2], range: range)
    }
  }

  /// Packs one planar `[C, H, W]` image (the buffer's first `C * H * W` values) into bytes.
  static func fromPlanar(
    _ planes: UnsafeBufferPointer<Float>, color: ColorMode, height: Int, width: Int, range: PixelRange
  ) -> PixelImage {
    let channels = color.channelCount
    let plane = height * width
    var bytes = [UInt8](repeating: 0, count: plane * channels)
    bytes.withUnsafeMutableBufferPointer { target in
      for c in 0..<channels {
        for i in 0..<plane { target[i * channels + c] = range.byte(planes[c * plane + i]) }
      }
    }
    return PixelImage(width: width, height: height, color: color, pixels: bytes)
  }

  /// The image as a `[C, H, W]` tensor scaled to `range` (C = 1 gray, 3 RGB).
  public func tensor(range: PixelRange) -> Tensor {
    var result = Tensor(uninitializedShape: [channelCount, height, width])
    result.withUnsafeMutableBufferPointer { writePlanar(into: $0, range: range) }
    return result
  }

  /// Writes the image planar (`[C, H, W]`) and scaled to `range` into the buffer's first
  /// `C * H * W` floats.
  func writePlanar(into target: UnsafeMutableBufferPointer<Float>, range: PixelRange) {
    let channels = channelCount
    let plane = height * width
    pixels.withUnsafeBufferPointer { source in
      for c in 0..<channels {
        for i in 0..<plane { target[c * plane + i] = range.scale(source[i * channels + c]) }
      }
    }
  }
}
