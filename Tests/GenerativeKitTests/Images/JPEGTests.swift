import Foundation
import Testing

@testable import GenerativeKit

@Suite("JPEG decoding")
struct JPEGTests {
  /// The largest absolute difference between two images' bytes.
  static func maxDifference(_ a: PixelImage, _ b: PixelImage) -> Int {
    zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
  }

  @Test("RGB and gray JPEGs written by libjpeg decode close to the original", arguments: [ColorMode.gray, .rgb])
  func decodesWhatLibjpegWrote(color: ColorMode) throws {
    let original = ImageTestSupport.smoothImage(width: 37, height: 21, color: color)
    let file = try JPEG.encode(original, quality: 100)
    #expect(JPEG.hasSignature(file))
    let decoded = try JPEG.decode(file)
    #expect(decoded.width == 37 && decoded.height == 21 && decoded.color == color)
    #expect(Self.maxDifference(decoded, original) <= 4, "max difference \(Self.maxDifference(decoded, original))")
  }

  @Test("the format-sniffing reader picks JPEG by content, even from a .png name")
  func sniffing() throws {
    let folder = try TestData.temporaryDirectory("jpeg")
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = ImageTestSupport.smoothImage(width: 8, height: 8, color: .rgb)
    let url = folder.appendingPathComponent("actually-a-jpeg.png")
    try Data(JPEG.encode(original, quality: 95)).write(to: url)
    let image = try PixelImage(contentsOf: url)
    #expect(image.color == .rgb && image.width == 8)
    #expect(Self.maxDifference(image, original) <= 24)  // 4:2:0 chroma on a steep 8x8 gradient
    #expect(try JPEG.read(url) == image)
  }

  @Test("CMYK JPEGs (Adobe, inverted) are converted to RGB")
  func cmyk() throws {
    // Adobe's inverted CMYK: channel bytes are 255 - ink; with K = 255 (no black) RGB = CMY.
    let width = 16
    let height = 16
    var samples = [UInt8]()
    for _ in 0..<(width * height) { samples += [200, 100, 50, 255] }
    let file = try JPEG.encode(pixels: samples, width: width, height: height, components: 4, quality: 100)
    let image = try JPEG.decode(file)
    #expect(image.color == .rgb)
    let expected = PixelImage(
      width: width, height: height, color: .rgb, fill: PixelColor(red: 200, green: 100, blue: 50))
    #expect(Self.maxDifference(image, expected) <= 3, "max difference \(Self.maxDifference(image, expected))")
  }

  @Test("a truncated JPEG is an error naming the file, not a half-gray image")
  func truncated() throws {
    let file = try JPEG.encode(ImageTestSupport.randomImage(width: 32, height: 32, color: .rgb, seed: 1), quality: 90)
    let error = try #require(throws: GenerativeKitError.self) {
      try JPEG.decode(Array(file.prefix(file.count * 2 / 3)), source: "holiday.jpg")
    }
    #expect("\(error)".hasPrefix("holiday.jpg: damaged JPEG"), "\(error)")
  }

  @Test("not a JPEG, and images above maxPixels, are refused with a clear message")
  func refusals() throws {
    let notJPEG = try #require(throws: GenerativeKitError.self) { try JPEG.decode([1, 2, 3], source: "x.jpg") }
    #expect("\(notJPEG)" == "x.jpg: not a JPEG file (expected FF D8 FF, found 01 02 03)")

    let file = try JPEG.encode(ImageTestSupport.smoothImage(width: 20, height: 10, color: .gray))
    let big = try #require(throws: GenerativeKitError.self) { try JPEG.decode(file, source: "big.jpg", maxPixels: 199) }
    #expect("\(big)".contains("20x10"), "\(big)")
    #expect(try JPEG.decode(file, maxPixels: 200).height == 10)
  }
}
