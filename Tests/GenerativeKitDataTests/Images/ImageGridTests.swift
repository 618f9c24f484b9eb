import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Image grids")
struct ImageGridTests {
  @Test("near-square layout: columns = ceil(sqrt(N))")
  func layout() {
    let grid = ImageGrid()
    let expected: [Int: (Int, Int)] = [
      1: (1, 1), 2: (2, 1), 3: (2, 2), 4: (2, 2), 5: (3, 2), 10: (4, 3), 16: (4, 4), 17: (5, 4), 64: (8, 8),
    ]
    for (count, (columns, rows)) in expected {
      let result = grid.layout(count: count)
      #expect(result.columns == columns && result.rows == rows, "N = \(count): \(result)")
    }
    #expect(ImageGrid(columns: .fixed(3)).layout(count: 7) == (3, 3))
    #expect(ImageGrid.strip().layout(count: 7) == (7, 1))
  }

  @Test("tiny grid: every tile and padding pixel checked exactly")
  func tinyGridExact() throws {
    // Three 2x1 gray images in [0, 1]; 2 columns, padding 1, background 9.
    let images = Tensor(shape: [3, 1, 1, 2], scalars: [0, 1, 0.2, 0.4, 0.6, 0.8])
    let grid = ImageGrid(columns: .nearSquare, padding: 1, background: .gray(9))
    let image = try grid.render(images, range: .unit)
    #expect(image.color == .gray)
    #expect(image.width == 2 * 2 + 3 * 1 && image.height == 2 * 1 + 3 * 1)
    let b: UInt8 = 9
    #expect(
      image.pixels == [
        b, b, b, b, b, b, b,
        b, 0, 255, b, 51, 102, b,
        b, b, b, b, b, b, b,
        b, 153, 204, b, b, b, b,  // the fourth cell is empty
        b, b, b, b, b, b, b,
      ])
  }

  @Test("scale enlarges tiles (nearest), padding stays in output pixels; [-1, 1] input")
  func scaledTiles() throws {
    let images = Tensor(shape: [2, 1, 2, 2], scalars: [-1, 1, 1, -1, 0, 0, 0, 0])
    let grid = ImageGrid(columns: .singleRow, padding: 2, background: .gray(50), scale: 3)
    let image = try grid.render(images, range: .symmetric)
    #expect(image.width == 2 * 6 + 3 * 2 && image.height == 6 + 2 * 2)
    #expect(grid.origin(ofTile: 1, columnCount: 2, tileWidth: 6, tileHeight: 6) == (10, 2))
    for y in 0..<image.height {
      for x in 0..<image.width {
        let expected: UInt8
        if (2..<8).contains(y) && (2..<8).contains(x) {
          let (sx, sy) = ((x - 2) / 3, (y - 2) / 3)
          expected = (sx == sy) ? 0 : 255
        } else if (2..<8).contains(y) && (10..<16).contains(x) {
          expected = 128
        } else {
          expected = 50
        }
        #expect(image[x, y] == expected, "pixel (\(x), \(y))")
      }
    }
  }

  @Test("RGB images, and gray images on a coloured background, give an RGB grid")
  func colour() throws {
    let rgb = Tensor(shape: [1, 3, 1, 1], scalars: [1, 0.5, 0])
    let image = try ImageGrid(padding: 1, background: PixelColor(red: 1, green: 2, blue: 3)).render(rgb, range: .unit)
    #expect(image.color == .rgb && image.width == 3 && image.height == 3)
    #expect(Array(image.pixels[12..<15]) == [255, 128, 0])  // centre pixel
    #expect(Array(image.pixels[0..<3]) == [1, 2, 3])

    let gray = Tensor(shape: [1, 1, 1, 1], scalars: [1])
    let onRed = try ImageGrid(padding: 1, background: PixelColor(red: 255, green: 0, blue: 0)).render(
      gray, range: .unit)
    #expect(onRed.color == .rgb)
    #expect(Array(onRed.pixels[12..<15]) == [255, 255, 255])
    #expect(Array(onRed.pixels[0..<3]) == [255, 0, 0])
  }

  @Test("padding 0, fixed columns, list of images, strip")
  func variants() throws {
    let tiles = (0..<5).map { PixelImage(width: 1, height: 1, color: .gray, pixels: [UInt8($0 * 10)]) }
    let packed = try ImageGrid(columns: .fixed(2), padding: 0).render(tiles)
    #expect(packed.width == 2 && packed.height == 3)
    #expect(packed.pixels == [0, 10, 20, 30, 40, 128])
    let strip = try ImageGrid.strip(padding: 0).render(tiles)
    #expect(strip.width == 5 && strip.height == 1 && strip.pixels == [0, 10, 20, 30, 40])
  }

  @Test("bad shapes and settings are errors with clear messages")
  func errors() throws {
    let images = Tensor(shape: [2, 1, 4, 4])
    #expect(throws: GenerativeKitError.self) { try ImageGrid().render(Tensor(shape: [2, 2, 4, 4]), range: .unit) }
    #expect(throws: GenerativeKitError.self) { try ImageGrid().render(Tensor(shape: [1, 4, 4]), range: .unit) }
    #expect(throws: GenerativeKitError.self) { try ImageGrid().render(Tensor(shape: [0, 1, 4, 4]), range: .unit) }
    let padding = try #require(throws: GenerativeKitError.self) {
      try ImageGrid(padding: -1).render(images, range: .unit)
    }
    #expect("\(padding)".contains("padding"))
    #expect(throws: GenerativeKitError.self) { try ImageGrid(scale: 0).render(images, range: .unit) }
    #expect(throws: GenerativeKitError.self) { try ImageGrid(columns: .fixed(0)).render(images, range: .unit) }
    let mixed = [
      PixelImage(width: 1, height: 1, color: .gray, pixels: [0]),
      PixelImage(width: 2, height: 1, color: .gray, pixels: [0, 0]),
    ]
    let mismatch = try #require(throws: GenerativeKitError.self) { try ImageGrid().render(mixed) }
    #expect("\(mismatch)".contains("image 1 is 2x1"), "\(mismatch)")
  }

  @Test("write() produces a PNG that decodes to the rendered grid")
  func writeFile() throws {
    let folder = try TestData.temporaryDirectory("grid")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 5)
    let images = Tensor(
      shape: [7, 3, 5, 4], scalars: (0..<(7 * 3 * 5 * 4)).map { _ in Float.random(in: -1...1, using: &generator) })
    let grid = ImageGrid(scale: 2)
    let url = folder.appendingPathComponent("samples.png")
    try grid.write(images, range: .symmetric, to: url)
    #expect(try PNG.read(url) == grid.render(images, range: .symmetric))
  }
}
