import Foundation
import GenerativeKit

extension PixelImage {
  /// The default limit on the pixels of an image being decoded: 100 megapixels (300 MB as RGB).
  public static let defaultMaxPixels = 100_000_000

  /// Decodes PNG or JPEG data, recognised by its first bytes (not by a file name).
  ///
  /// - Parameters:
  ///   - data: the file's bytes.
  ///   - source: the file name (or a description) used in error messages.
  ///   - maxPixels: larger images are refused before any pixel memory is allocated.
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming `source`, when the data is
  ///   neither PNG nor JPEG or is damaged.
  public init(
    decoding data: [UInt8], source: String = "image data", maxPixels: Int = PixelImage.defaultMaxPixels
  ) throws {
    if PNG.hasSignature(data) {
      self = try PNG.decode(data, source: source, maxPixels: maxPixels)
    } else if JPEG.hasSignature(data) {
      self = try JPEG.decode(data, source: source, maxPixels: maxPixels)
    } else {
      throw GenerativeKitError.file(
        path: source, reason: "not a PNG or JPEG file (it starts with \(ImageFileIO.hexPrefix(data)))")
    }
  }

  /// Reads a PNG or JPEG file, recognised by its first bytes (not by its name).
  ///
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming the file.
  public init(contentsOf url: URL, maxPixels: Int = PixelImage.defaultMaxPixels) throws {
    try self.init(decoding: ImageFileIO.readBytes(url), source: url.path, maxPixels: maxPixels)
  }
}
