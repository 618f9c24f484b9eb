import CJPEG
import Foundation
import GenerativeKit

// libjpeg reports fatal errors through `error_exit`, which must not return (the default one calls
// exit()). Swift can neither setjmp nor be longjmp'ed over, so the whole libjpeg conversation runs
// in C: `gk_jpeg_decode` / `gk_jpeg_encode` in Sources/CJPEG/CJPEG.h set up an error manager whose
// error_exit longjmps back into that same C function, which cleans up and returns a status and
// libjpeg's message. The functions are `static inline` in the system-library shim header, so the
// Swift compiler compiles them into this module; no separate C target is needed.

/// Reading JPEG files (through libjpeg).
public enum JPEG {
  /// Whether `bytes` start like a JPEG file (the SOI marker FF D8 followed by another marker).
  public static func hasSignature<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    bytes.starts(with: [0xFF, 0xD8, 0xFF])
  }

  /// Decodes a JPEG file held in memory to 8-bit gray (gray JPEGs) or 8-bit RGB (YCbCr, RGB and
  /// CMYK JPEGs).
  ///
  /// The picture is turned upright as its EXIF Orientation tag says (photos from phones and
  /// cameras), unless `applyEXIFOrientation` is false.
  ///
  /// Data that libjpeg could only decode by guessing (truncated files, bad Huffman codes,
  /// premature markers) is rejected, because it would yield a partly gray image; harmless warnings
  /// (extra bytes between markers, unknown JFIF versions) are ignored.
  ///
  /// - Parameters:
  ///   - data: the JPEG file's bytes.
  ///   - source: the file name (or a description) used in error messages.
  ///   - maxPixels: larger images are refused before any pixel memory is allocated.
  ///   - applyEXIFOrientation: whether to rotate or mirror as the EXIF Orientation tag says.
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming `source` and libjpeg's reason.
  public static func decode(
    _ data: [UInt8], source: String = "JPEG data", maxPixels: Int = PixelImage.defaultMaxPixels,
    applyEXIFOrientation: Bool = true
  ) throws -> PixelImage {
    guard hasSignature(data) else {
      throw GenerativeKitError.file(
        path: source, reason: "not a JPEG file (expected FF D8 FF, found \(ImageFileIO.hexPrefix(data)))")
    }
    var result = gk_jpeg_decoded()
    let status = data.withUnsafeBufferPointer { bytes in
      gk_jpeg_decode(bytes.baseAddress, UInt(bytes.count), UInt(max(0, maxPixels)), &result)
    }
    defer { gk_jpeg_free(result.pixels) }
    let message = Self.message(&result.message)
    switch Int(status) {
    case GK_JPEG_OK:
      break
    case GK_JPEG_TOO_LARGE:
      throw GenerativeKitError.file(
        path: source,
        reason: "JPEG image is \(result.width)x\(result.height), more than the limit of \(maxPixels) pixels")
    case GK_JPEG_NO_MEMORY:
      throw GenerativeKitError.file(
        path: source, reason: "out of memory decoding a \(result.width)x\(result.height) JPEG image")
    default:
      throw GenerativeKitError.file(path: source, reason: "damaged JPEG: \(message)")
    }
    if result.damaged != 0 {
      throw GenerativeKitError.file(path: source, reason: "damaged JPEG: \(message)")
    }
    let width = Int(result.width)
    let height = Int(result.height)
    guard let color = ColorMode(channelCount: Int(result.components)), width >= 1, height >= 1,
      let pixels = result.pixels
    else {
      throw GenerativeKitError.file(
        path: source, reason: "damaged JPEG: \(width)x\(height) with \(result.components) components")
    }
    let bytes = [UInt8](UnsafeBufferPointer(start: pixels, count: width * height * color.channelCount))
    let image = PixelImage(width: width, height: height, color: color, pixels: bytes)
    guard applyEXIFOrientation, let orientation = EXIFOrientation(jpeg: data) else { return image }
    return image.applying(orientation)
  }

  /// Reads and decodes a JPEG file; see ``decode(_:source:maxPixels:applyEXIFOrientation:)``.
  public static func read(
    _ url: URL, maxPixels: Int = PixelImage.defaultMaxPixels, applyEXIFOrientation: Bool = true
  ) throws -> PixelImage {
    try decode(
      ImageFileIO.readBytes(url), source: url.path, maxPixels: maxPixels, applyEXIFOrientation: applyEXIFOrientation)
  }

  /// A baseline JPEG of `image` at `quality` (1-100). Used by the tests and the fuzzers' seeds to make JPEG files.
  package static func encode(_ image: PixelImage, quality: Int = 90) throws -> [UInt8] {
    try encode(
      pixels: image.pixels, width: image.width, height: image.height, components: image.channelCount, quality: quality)
  }

  /// A baseline JPEG of interleaved 8-bit samples with 1 (gray), 3 (RGB) or 4 (CMYK, stored as
  /// given, with an Adobe marker) components.
  package static func encode(pixels: [UInt8], width: Int, height: Int, components: Int, quality: Int = 90) throws -> [UInt8] {
    enforce(
      [1, 3, 4].contains(components) && pixels.count == width * height * components,
      "JPEG.encode: \(pixels.count) bytes for \(width)x\(height) with \(components) components")
    var output: UnsafeMutablePointer<UInt8>?
    var size: UInt = 0
    var messageBuffer = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
    let status = pixels.withUnsafeBufferPointer { pixels in
      gk_jpeg_encode(
        pixels.baseAddress, UInt32(width), UInt32(height), UInt32(components),
        Int32(min(100, max(1, quality))), &output, &size, &messageBuffer)
    }
    defer { gk_jpeg_free(output) }
    guard Int(status) == GK_JPEG_OK, let output else {
      let message = String(decoding: messageBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw GenerativeKitError.file(path: "JPEG encoder", reason: message)
    }
    return [UInt8](UnsafeBufferPointer(start: output, count: Int(size)))
  }

  /// A C string held in a fixed-size array.
  private static func message<T>(_ field: inout T) -> String {
    withUnsafeBytes(of: &field) { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      let end = bytes.firstIndex(of: 0) ?? bytes.count
      return String(decoding: bytes[..<end], as: UTF8.self)
    }
  }
}
