import CPNG
import Foundation
import GenerativeKit

/// Reading and writing PNG files, both through libpng's simplified API.
///
/// Files are written as 8-bit gray or RGB, non-interlaced, with libpng's default filtering and
/// compression; reading is ``decode(_:source:maxPixels:background:)``.
public enum PNG {
  /// The eight bytes every PNG file starts with.
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Whether `bytes` start with the PNG signature.
  public static func hasSignature<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    bytes.starts(with: signature)
  }

  /// The PNG file for `image`: 8-bit gray (colour type 0) or RGB (colour type 2).
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` with libpng's message when libpng
  ///   refuses the image (for example a side beyond PNG's limit of 2^31 - 1).
  public static func encode(_ image: PixelImage) throws -> [UInt8] {
    var png = png_image()
    png.version = png_uint_32(PNG_IMAGE_VERSION)
    png.width = png_uint_32(image.width)
    png.height = png_uint_32(image.height)
    png.format = image.color == .gray ? 0 : png_uint_32(PNG_FORMAT_FLAG_COLOR)  // PNG_FORMAT_GRAY, PNG_FORMAT_RGB
    defer { png_image_free(&png) }
    let stride = png_int_32(image.width * image.channelCount)
    return try image.pixels.withUnsafeBytes { pixels in
      // The first call measures the file, the second writes it.
      var size = png_alloc_size_t(0)
      guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, stride, nil) != 0 else {
        throw failure(png, image)
      }
      var file = [UInt8](repeating: 0, count: Int(size))
      let written = file.withUnsafeMutableBytes { buffer in
        png_image_write_to_memory(&png, buffer.baseAddress, &size, 0, pixels.baseAddress, stride, nil)
      }
      guard written != 0 else { throw failure(png, image) }
      return Array(file.prefix(Int(size)))
    }
  }

  /// Writes `image` as a PNG file, atomically (temporary file, then rename).
  ///
  /// - Throws: `GenerativeKitError/file(path:reason:)` when the file cannot be written.
  public static func write(_ image: PixelImage, to url: URL) throws {
    try ImageFileIO.writeAtomically(encode(image), to: url)
  }

  /// Writes one image given as a `[C, H, W]` tensor (C = 1 gray, 3 RGB) with values in `range`
  /// (clamped) as a PNG file, atomically.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` for other shapes,
  ///   `GenerativeKitError/file(path:reason:)` when the file cannot be written.
  public static func write(_ tensor: Tensor, range: PixelRange, to url: URL) throws {
    try write(PixelImage(tensor: tensor, range: range), to: url)
  }

  private static func failure(_ png: png_image, _ image: PixelImage) -> GenerativeKitError {
    var png = png
    let message = withUnsafeBytes(of: &png.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return .invalidArgument("PNG.encode: libpng cannot write a \(image.width)x\(image.height) image: \(message)")
  }
}
