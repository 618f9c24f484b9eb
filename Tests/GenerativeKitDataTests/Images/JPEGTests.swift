import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

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

@Suite("EXIF orientation")
struct EXIFOrientationTests {
  /// A 24x16 gray picture of six 8x8 blocks, A B C over D E F.
  static let blocks: [[UInt8]] = [[0, 50, 100], [150, 200, 250]]
  static let picture = ResizeTests.gray(24, 16) { x, y in Int(blocks[y / 8][x / 8]) }

  /// `jpeg` with an EXIF APP1 segment holding only the Orientation tag inserted after SOI.
  static func withOrientation(_ jpeg: [UInt8], _ value: UInt8, littleEndian: Bool) -> [UInt8] {
    let tiff: [UInt8] =
      littleEndian
      ? [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, value, 0, 0, 0, 0, 0, 0, 0]
      : [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, value, 0, 0, 0, 0, 0, 0]
    let payload = Array("Exif\0\0".utf8) + tiff
    let length = payload.count + 2
    return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg.dropFirst(2)
  }

  /// The blocks of a decoded picture (the value at each 8x8 block's centre).
  static func blockValues(_ image: PixelImage) -> [[Int]] {
    (0..<(image.height / 8)).map { by in (0..<(image.width / 8)).map { bx in Int(image[bx * 8 + 4, by * 8 + 4]) } }
  }

  @Test("all eight orientations turn the picture upright, in both TIFF byte orders")
  func orientations() throws {
    let (a, b, c, d, e, f) = (0, 50, 100, 150, 200, 250)
    let expected: [UInt8: [[Int]]] = [
      1: [[a, b, c], [d, e, f]],
      2: [[c, b, a], [f, e, d]],
      3: [[f, e, d], [c, b, a]],
      4: [[d, e, f], [a, b, c]],
      5: [[a, d], [b, e], [c, f]],
      6: [[d, a], [e, b], [f, c]],
      7: [[f, c], [e, b], [d, a]],
      8: [[c, f], [b, e], [a, d]],
    ]
    let jpeg = try JPEG.encode(Self.picture, quality: 100)
    for (value, blocks) in expected {
      for littleEndian in [true, false] {
        let file = Self.withOrientation(jpeg, value, littleEndian: littleEndian)
        #expect(EXIFOrientation(jpeg: file)?.rawValue == Int(value))
        let decoded = try JPEG.decode(file)
        let found = Self.blockValues(decoded)
        let close =
          found.count == blocks.count
          && zip(found, blocks).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) <= 6 } }
        #expect(close, "orientation \(value): \(found)")
        #expect(try JPEG.decode(file, applyEXIFOrientation: false).width == 24)
      }
    }
  }

  @Test("missing, unknown and damaged EXIF data leave the picture as stored")
  func noOrientation() throws {
    let jpeg = try JPEG.encode(Self.picture, quality: 100)
    #expect(EXIFOrientation(jpeg: jpeg) == nil)
    #expect(EXIFOrientation(jpeg: Self.withOrientation(jpeg, 9, littleEndian: true)) == nil)
    var damaged = Self.withOrientation(jpeg, 6, littleEndian: true)
    damaged[12] = 0x58  // byte-order mark "XI"
    #expect(EXIFOrientation(jpeg: damaged) == nil)
    #expect(try JPEG.decode(damaged).width == 24)
    for length in 0..<60 {
      _ = EXIFOrientation(jpeg: Array(Self.withOrientation(jpeg, 6, littleEndian: false).prefix(length)))
    }
    #expect(EXIFOrientation(jpeg: [0xFF, 0xD8]) == nil)
  }
}
