import CPNG
import Foundation
import GenerativeKit

// Decoding uses libpng's simplified API (png_image_*). It catches libpng's errors itself
// (its own setjmp around every step) and reports them in `png_image.message`, so no longjmp ever
// crosses a Swift frame and a damaged file cannot abort the process.

extension PNG {
  /// Decodes a PNG file held in memory to 8-bit gray (gray files) or 8-bit RGB (colour and
  /// palette files). Every bit depth, colour type and interlacing is accepted; 16-bit samples are
  /// taken as sRGB-encoded when the file has no gamma information (what most tools write);
  /// transparency is composited onto `background`.
  ///
  /// - Parameters:
  ///   - data: the PNG file's bytes.
  ///   - source: the file name (or a description) used in error messages.
  ///   - maxPixels: larger images are refused before any pixel memory is allocated.
  ///   - background: the colour transparent pixels are composited onto.
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming `source` and what is wrong: not a
  ///   PNG (wrong signature), damaged or truncated data, too many pixels.
  public static func decode(
    _ data: [UInt8], source: String = "PNG data", maxPixels: Int = PixelImage.defaultMaxPixels,
    background: PixelColor = .black
  ) throws -> PixelImage {
    guard hasSignature(data) else {
      throw GenerativeKitError.file(
        path: source,
        reason:
          "not a PNG file (expected the PNG signature 89 50 4E 47 0D 0A 1A 0A, found \(ImageFileIO.hexPrefix(data)))")
    }
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }

    let started = data.withUnsafeBytes { bytes in
      png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count)
    }
    guard started != 0 else {
      throw GenerativeKitError.file(path: source, reason: "damaged PNG: \(message(of: &image))")
    }
    let width = Int(image.width)
    let height = Int(image.height)
    guard width >= 1, height >= 1 else {
      throw GenerativeKitError.file(path: source, reason: "damaged PNG: image size \(width)x\(height)")
    }
    guard width * height <= maxPixels else {
      throw GenerativeKitError.file(
        path: source, reason: "PNG image is \(width)x\(height), more than the limit of \(maxPixels) pixels")
    }
    let colorFlag = png_uint_32(PNG_FORMAT_FLAG_COLOR)
    let color: ColorMode = (image.format & colorFlag) != 0 ? .rgb : .gray
    image.format = color == .rgb ? colorFlag : 0  // PNG_FORMAT_RGB or PNG_FORMAT_GRAY: 8-bit, no alpha
    image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)

    let stride = width * color.channelCount
    var pixels = [UInt8](repeating: 0, count: stride * height)
    var backdrop = png_color()
    backdrop.red = background.red
    backdrop.green = background.green
    backdrop.blue = background.blue
    let finished = pixels.withUnsafeMutableBytes { buffer in
      png_image_finish_read(&image, &backdrop, buffer.baseAddress, png_int_32(stride), nil)
    }
    guard finished != 0 else {
      throw GenerativeKitError.file(path: source, reason: "damaged PNG: \(message(of: &image))")
    }
    return PixelImage(width: width, height: height, color: color, pixels: pixels)
  }

  /// Reads and decodes a PNG file; see ``decode(_:source:maxPixels:background:)``.
  public static func read(
    _ url: URL, maxPixels: Int = PixelImage.defaultMaxPixels, background: PixelColor = .black
  ) throws -> PixelImage {
    try decode(ImageFileIO.readBytes(url), source: url.path, maxPixels: maxPixels, background: background)
  }

  /// libpng's message for the last error (a C string in a fixed-size array).
  private static func message(of image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { raw -> String in
      let bytes = raw.bindMemory(to: UInt8.self)
      let end = bytes.firstIndex(of: 0) ?? bytes.count
      return String(decoding: bytes[..<end], as: UTF8.self)
    }
    return text.isEmpty ? "libpng reported an error without a message" : text
  }
}
