import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("PNG writing and reading")
struct PNGTests {
  static let sizes: [(Int, Int)] = [(1, 1), (3, 5), (5, 3), (17, 2), (64, 33)]

  @Test("gray and RGB images survive encode + libpng decode exactly", arguments: [ColorMode.gray, .rgb])
  func roundTrip(color: ColorMode) throws {
    for (index, (width, height)) in Self.sizes.enumerated() {
      let image = ImageTestSupport.randomImage(width: width, height: height, color: color, seed: UInt64(index))
      let decoded = try PNG.decode(PNG.encode(image))
      #expect(decoded == image, "\(width)x\(height) \(color)")
    }
  }

  @Test("smooth, random and single-pixel images round-trip through libpng both ways")
  func smoothAndRandomContent() throws {
    for image in [
      ImageTestSupport.smoothImage(width: 40, height: 30, color: .rgb),
      ImageTestSupport.randomImage(width: 40, height: 30, color: .rgb, seed: 9),
      ImageTestSupport.smoothImage(width: 40, height: 30, color: .gray),
      ImageTestSupport.randomImage(width: 1, height: 1, color: .gray, seed: 4),
    ] {
      #expect(try PNG.decode(PNG.encode(image)) == image)
    }
  }

  @Test("file structure: signature, IHDR fields, chunk CRCs, zlib stream")
  func structure() throws {
    let image = ImageTestSupport.randomImage(width: 3, height: 5, color: .rgb, seed: 1)
    let file = try PNG.encode(image)
    #expect(Array(file.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    let chunks = try #require(ImageTestSupport.chunks(of: file))
    #expect(chunks.first?.type == "IHDR" && chunks.last?.type == "IEND")
    #expect(chunks.contains { $0.type == "IDAT" })
    for chunk in chunks {
      #expect(chunk.crc == ImageTestSupport.crc32Reference(Array(chunk.type.utf8) + chunk.data), "CRC of \(chunk.type)")
    }
    #expect(chunks[0].data == [0, 0, 0, 3, 0, 0, 0, 5, 8, 2, 0, 0, 0])
    #expect(chunks.last?.data.isEmpty == true)

    let gray = try PNG.encode(ImageTestSupport.randomImage(width: 1, height: 1, color: .gray, seed: 2))
    #expect(try #require(ImageTestSupport.chunks(of: gray))[0].data == [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])
  }

  @Test("tensor [C, H, W] in [-1, 1] or [0, 1] is written with clamping, NaN as black")
  func tensorInput() throws {
    let folder = try TestData.temporaryDirectory("png")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("t.png")

    let symmetric = Tensor(shape: [1, 2, 3], scalars: [-1, 0, 1, -5, 7, .nan])
    try PNG.write(symmetric, range: .symmetric, to: url)
    let gray = try PNG.read(url)
    #expect(gray.color == .gray && gray.width == 3 && gray.height == 2)
    #expect(gray.pixels == [0, 128, 255, 0, 255, 0])

    // RGB: planar tensor, interleaved bytes.
    let unit = Tensor(shape: [3, 1, 2], scalars: [1, 0, 0.5, 0.25, 0, 1])
    try PNG.write(unit, range: .unit, to: url)
    let rgb = try PNG.read(url)
    #expect(rgb.color == .rgb)
    #expect(rgb.pixels == [255, 128, 0, 0, 64, 255])

    #expect(throws: GenerativeKitError.self) { try PNG.write(Tensor(shape: [2, 2, 2]), range: .unit, to: url) }
    #expect(throws: GenerativeKitError.self) { try PNG.write(Tensor(shape: [4, 4]), range: .unit, to: url) }
  }

  @Test("every byte survives byte -> tensor -> byte in both pixel ranges", arguments: [PixelRange.unit, .symmetric])
  func byteTensorRoundTrip(range: PixelRange) throws {
    let bytes = (0...255).map(UInt8.init)
    let image = PixelImage(width: 16, height: 16, color: .gray, pixels: bytes)
    let tensor = image.tensor(range: range)
    #expect(tensor.shape == [1, 16, 16])
    #expect(tensor[0, 0, 0] == (range == .unit ? 0 : -1))
    #expect(tensor[0, 15, 15] == 1)
    #expect(try PixelImage(tensor: tensor, range: range) == image)
  }

  @Test("writing is atomic: replaces an existing file and leaves no temporary file")
  func atomicWrite() throws {
    let folder = try TestData.temporaryDirectory("png-atomic")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("grid.png")
    try Data("old contents".utf8).write(to: url)
    let image = ImageTestSupport.randomImage(width: 4, height: 4, color: .rgb, seed: 4)
    try PNG.write(image, to: url)
    #expect(try PNG.read(url) == image)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["grid.png"])

    let missing = folder.appendingPathComponent("no/such/folder/x.png")
    let error = try #require(throws: GenerativeKitError.self) { try PNG.write(image, to: missing) }
    #expect("\(error)".contains("x.png"), "\(error)")
  }

  @Test("decodes other colour types and bit depths to 8-bit gray or RGB")
  func otherFormats() throws {
    // 16-bit gray without gAMA: samples v * 257 read back as v.
    let values: [UInt8] = [0, 1, 127, 128, 254, 255]
    let sixteen = ImageTestSupport.rawPNG(
      width: 6, height: 1, bitDepth: 16, colorType: 0, rows: [values.flatMap { [$0, $0] }])
    #expect(try PNG.decode(sixteen) == PixelImage(width: 6, height: 1, color: .gray, pixels: values))

    // 1-bit gray: 0 -> 0, 1 -> 255.
    let bits = ImageTestSupport.rawPNG(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_0001]])
    #expect(try PNG.decode(bits).pixels == [255, 0, 255, 0, 0, 0, 0, 255])

    // 4-bit palette -> RGB.
    let palette = ImageTestSupport.rawPNG(
      width: 3, height: 1, bitDepth: 4, colorType: 3, rows: [[0x01, 0x20]],
      extraChunks: [("PLTE", [10, 20, 30, 40, 50, 60, 70, 80, 90])])
    let fromPalette = try PNG.decode(palette)
    #expect(fromPalette.color == .rgb)
    #expect(fromPalette.pixels == [10, 20, 30, 40, 50, 60, 70, 80, 90])

    // Gray + alpha and RGBA: opaque pixels keep their value, transparent ones show the background.
    let grayAlpha = ImageTestSupport.rawPNG(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[200, 255, 90, 0]])
    #expect(try PNG.decode(grayAlpha).pixels == [200, 0])
    #expect(try PNG.decode(grayAlpha, background: .white).pixels == [200, 255])
    let rgba = ImageTestSupport.rawPNG(
      width: 2, height: 1, bitDepth: 8, colorType: 6, rows: [[1, 2, 3, 255, 9, 9, 9, 0]])
    #expect(try PNG.decode(rgba).pixels == [1, 2, 3, 0, 0, 0])
  }

  @Test("not a PNG: the message names the source and the signature found")
  func wrongSignature() throws {
    let error = try #require(throws: GenerativeKitError.self) {
      try PNG.decode(Array("GIF89a....".utf8), source: "cat.png")
    }
    #expect("\(error)".hasPrefix("cat.png: not a PNG file"), "\(error)")
    #expect("\(error)".contains("47 49 46 38"), "\(error)")
    let empty = try #require(throws: GenerativeKitError.self) { try PNG.decode([], source: "empty.png") }
    #expect("\(empty)".contains("empty file"), "\(empty)")
  }

  @Test("images above maxPixels are refused before decoding")
  func pixelLimit() throws {
    let file = try PNG.encode(ImageTestSupport.randomImage(width: 20, height: 10, color: .gray, seed: 5))
    let error = try #require(throws: GenerativeKitError.self) {
      try PNG.decode(file, source: "big.png", maxPixels: 199)
    }
    #expect("\(error)".contains("20x10"), "\(error)")
    #expect(try PNG.decode(file, maxPixels: 200).width == 20)
  }
}
