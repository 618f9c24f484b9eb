import CZlib
import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// Grids of real data (MNIST digits, Olivetti faces) from the shared data folder: the images a
/// person looks at to judge orientation, contrast and padding. Set `GENERATIVEKIT_IMAGE_OUTPUT` to
/// a folder to keep the PNGs; otherwise they go to a temporary folder that is removed.
@Suite("Sample grids from real data")
struct SampleGridTests {
  static let mnist = TestData.directory.appendingPathComponent("mnist/t10k-images-idx3-ubyte.gz")
  static let olivetti = TestData.directory.appendingPathComponent("faces/olivetti-64-idx3-ubyte.gz")

  /// The first `count` images of a gzipped IDX3 file as `[count, 1, H, W]` in `range`.
  /// Test-only and minimal on purpose: the library's IDX reader lives in Data/.
  static func firstImages(of url: URL, count: Int, range: PixelRange) throws -> Tensor {
    let file = try #require(gzopen(url.path, "rb"), "cannot open \(url.path)")
    defer { gzclose(file) }
    func read(_ n: Int) throws -> [UInt8] {
      var bytes = [UInt8](repeating: 0, count: n)
      let got = gzread(file, &bytes, UInt32(n))
      try #require(Int(got) == n, "\(url.lastPathComponent): short read")
      return bytes
    }
    let header = try read(16)
    func word(_ i: Int) -> Int { header[(4 * i)..<(4 * i + 4)].reduce(0) { $0 << 8 | Int($1) } }
    try #require(word(0) == 0x0803, "\(url.lastPathComponent): not an IDX3 file of bytes")
    let (height, width) = (word(2), word(3))
    let pixels = try read(count * height * width)
    return Tensor(shape: [count, 1, height, width], scalars: pixels.map(range.scale))
  }

  /// Where the PNGs go, and whether to remove them afterwards.
  static func outputFolder() throws -> (URL, keep: Bool) {
    if let path = ProcessInfo.processInfo.environment["GENERATIVEKIT_IMAGE_OUTPUT"], !path.isEmpty {
      let url = URL(fileURLWithPath: path)
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      return (url, true)
    }
    return (try TestData.temporaryDirectory("sample-grids"), false)
  }

  @Test(
    "64 MNIST test digits in [-1, 1], 8x8, scale 2", .enabled(if: FileManager.default.fileExists(atPath: mnist.path)))
  func mnistGrid() throws {
    let digits = try Self.firstImages(of: Self.mnist, count: 64, range: .symmetric)
    let (folder, keep) = try Self.outputFolder()
    defer { if !keep { try? FileManager.default.removeItem(at: folder) } }
    let grid = ImageGrid(scale: 2)
    let url = folder.appendingPathComponent("mnist-grid.png")
    try grid.write(digits, range: .symmetric, to: url)

    let image = try PNG.read(url)
    #expect(image.color == .gray)
    #expect(image.width == 8 * 56 + 9 * 2 && image.height == 8 * 56 + 9 * 2)
    // The first test digit is a 7: its top bar is bright and the bottom-left corner of its tile is black.
    let origin = grid.origin(ofTile: 0, columnCount: 8, tileWidth: 56, tileHeight: 56)
    #expect(image[origin.x + 2, origin.y + 54] == 0)
    let topBar = (20..<40).map { Int(image[origin.x + $0, origin.y + 2 * 8]) }
    #expect(topBar.max()! > 200, "\(topBar)")
    // Padding shows the background.
    #expect(image[0, 0] == 128 && image[origin.x + 56, origin.y + 10] == 128)
  }

  @Test(
    "Olivetti faces in [0, 1], one per subject, 8 columns",
    .enabled(if: FileManager.default.fileExists(atPath: olivetti.path)))
  func olivettiGrid() throws {
    let all = try Self.firstImages(of: Self.olivetti, count: 400, range: .unit)
    let firstOfEach = Tensor.concatenate(batches: (0..<40).map { all.slice(batch: ($0 * 10)..<($0 * 10 + 1)) })
    let (folder, keep) = try Self.outputFolder()
    defer { if !keep { try? FileManager.default.removeItem(at: folder) } }
    let grid = ImageGrid(columns: .fixed(8), padding: 2, background: .white)
    let url = folder.appendingPathComponent("olivetti-grid.png")
    try grid.write(firstOfEach, range: .unit, to: url)

    let image = try PNG.read(url)
    #expect(image.width == 8 * 64 + 9 * 2 && image.height == 5 * 64 + 6 * 2)
    let origin = grid.origin(ofTile: 0, columnCount: 8, tileWidth: 64, tileHeight: 64)
    var tileSum = 0
    for y in 0..<64 { for x in 0..<64 { tileSum += Int(image[origin.x + x, origin.y + y]) } }
    let mean = Double(tileSum) / 4096
    #expect(mean > 40 && mean < 220, "a face has mid-range brightness, got \(mean)")
    #expect(image[1, 1] == 255)

    let strip = folder.appendingPathComponent("olivetti-subject0-strip.png")
    try ImageGrid.strip().write(all.slice(batch: 0..<10), range: .unit, to: strip)
    #expect(try PNG.read(strip).width == 10 * 64 + 11 * 2)
  }
}
