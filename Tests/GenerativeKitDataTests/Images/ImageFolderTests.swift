import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Image folders")
struct ImageFolderTests {
  /// Collects the events a load reports.
  final class Recorder: @unchecked Sendable {
    var events: [ImageFolder.Event] = []
    func record(_ event: ImageFolder.Event) { events.append(event) }
  }

  /// A folder with three good images (gray PNG 6x4, RGB PNG 3x3, RGB JPEG 8x8), a truncated
  /// PNG, random bytes named .jpg, a text file and a hidden file.
  static func makeFolder() throws -> URL {
    let folder = try TestData.temporaryDirectory("folder")
    func write(_ bytes: [UInt8], _ name: String) throws {
      try Data(bytes).write(to: folder.appendingPathComponent(name))
    }
    let grayPNG = ResizeTests.gray(6, 4) { x, y in 40 * y + x }
    try write(PNG.encode(grayPNG), "a-gray.png")
    try write(
      try PNG.encode(PixelImage(width: 3, height: 3, color: .rgb, fill: PixelColor(red: 255, green: 0, blue: 0))),
      "b-red.PNG")
    try write(JPEG.encode(PixelImage(width: 8, height: 8, color: .rgb, fill: .white), quality: 95), "c-white.jpeg")
    let truncated = try PNG.encode(ImageTestSupport.randomImage(width: 10, height: 10, color: .rgb, seed: 1))
    try write(Array(truncated.prefix(truncated.count / 2)), "d-truncated.png")
    var generator = SeededGenerator(seed: 2)
    try write((0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }, "e-noise.jpg")
    try write(Array("not an image".utf8), "notes.txt")
    try write(PNG.encode(grayPNG), ".hidden.png")
    return folder
  }

  @Test("3 good images load, the truncated PNG and the random .jpg are reported by name and skipped")
  func goodAndBroken() throws {
    let folder = try Self.makeFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let recorder = Recorder()
    let contents = try ImageFolder(directory: folder, imageSize: 4, color: .gray, pixelRange: .unit)
      .load(report: recorder.record)

    #expect(contents.files == ["a-gray.png", "b-red.PNG", "c-white.jpeg"])
    #expect(contents.skipped.map(\.name) == ["d-truncated.png", "e-noise.jpg"])
    #expect(contents.skipped[0].reason.contains("damaged PNG"), "\(contents.skipped[0])")
    #expect(contents.skipped[1].reason.contains("not a PNG or JPEG file"), "\(contents.skipped[1])")

    let data = contents.dataSet
    #expect(data.images.shape == [3, 1, 4, 4])
    #expect(data.pixelRange == .unit && data.labels == nil && data.name == folder.lastPathComponent)
    // a-gray.png: 6x4 centre-cropped to columns 1...4, unchanged at 4x4.
    #expect(abs(data.images[0, 0, 2, 3] - Float(40 * 2 + 4) / 255) < 1e-6)
    // b-red.PNG: luma of pure red is 76.
    #expect(abs(data.images[1, 0, 0, 0] - 76 / 255) < 1e-6)
    // c-white.jpeg: white survives JPEG.
    #expect(data.images.slice(batch: 2..<3).min()! > 0.98)

    #expect(recorder.events.count == 6)
    #expect(recorder.events.last == .finished(loaded: 3, skipped: 2))
    #expect(recorder.events.contains(.skipped(contents.skipped[1])))
    #expect(recorder.events.first == .loaded(name: "a-gray.png", index: 0, total: 5))
  }

  @Test("RGB, [-1, 1], gray files repeated into three channels")
  func rgbSymmetric() throws {
    let folder = try Self.makeFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let contents = try ImageFolder(directory: folder, imageSize: 2, color: .rgb, pixelRange: .symmetric).load { _ in }
    let images = contents.dataSet.images
    #expect(images.shape == [3, 3, 2, 2])
    #expect(images.min()! >= -1 && images.max()! <= 1)
    #expect(images[1, 0, 1, 1] == 1 && images[1, 1, 1, 1] == -1 && images[1, 2, 1, 1] == -1)  // red
    #expect(images[0, 0, 0, 0] == images[0, 1, 0, 0] && images[0, 1, 0, 0] == images[0, 2, 0, 0])
  }

  @Test("recursive loading finds images in subfolders, skipping hidden folders")
  func recursive() throws {
    let folder = try TestData.temporaryDirectory("folder-recursive")
    defer { try? FileManager.default.removeItem(at: folder) }
    let image = try PNG.encode(PixelImage(width: 2, height: 2, color: .gray, fill: .gray(100)))
    for path in ["top.png", "cats/one.png", "cats/deep/two.png", ".git/three.png"] {
      let url = folder.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(image).write(to: url)
    }
    let flat = try ImageFolder(directory: folder, imageSize: 2, color: .gray).load { _ in }
    #expect(flat.files == ["top.png"])
    let deep = try ImageFolder(directory: folder, imageSize: 2, color: .gray, recursive: true).load { _ in }
    #expect(deep.files == ["cats/deep/two.png", "cats/one.png", "top.png"])
    #expect(deep.dataSet.count == 3)
  }

  @Test("an empty folder, a folder of unreadable files, a missing folder: errors naming the folder")
  func folderErrors() throws {
    let folder = try TestData.temporaryDirectory("folder-empty")
    defer { try? FileManager.default.removeItem(at: folder) }
    let empty = try #require(throws: GenerativeKitError.self) {
      try ImageFolder(directory: folder, imageSize: 8).load { _ in }
    }
    #expect("\(empty)".hasPrefix(folder.path + ": contains no PNG or JPEG files"), "\(empty)")

    try Data([1, 2, 3]).write(to: folder.appendingPathComponent("x.png"))
    try Data().write(to: folder.appendingPathComponent("y.jpg"))
    let unreadable = try #require(throws: GenerativeKitError.self) {
      try ImageFolder(directory: folder, imageSize: 8).load { _ in }
    }
    let message = "\(unreadable)"
    #expect(message.hasPrefix(folder.path + ": none of the 2 PNG or JPEG files could be read"), "\(message)")
    #expect(message.contains("x.png") && message.contains("y.jpg"), "\(message)")

    let missing = folder.appendingPathComponent("nope")
    let notThere = try #require(throws: GenerativeKitError.self) {
      try ImageFolder(directory: missing, imageSize: 8).load { _ in }
    }
    #expect("\(notThere)" == "\(missing.path): no such folder")
    #expect(throws: GenerativeKitError.self) { try ImageFolder(directory: folder, imageSize: 0).load { _ in } }
  }

  @Test("resizing a larger synthetic image: centre crop, then area average")
  func cropThenResize() throws {
    let folder = try TestData.temporaryDirectory("folder-resize")
    defer { try? FileManager.default.removeItem(at: folder) }
    // 12x8: left 2 columns 255 (cropped away), then a 4x4 checkerboard of 2x2 blocks, right 2 columns 255.
    let image = ResizeTests.gray(12, 8) { x, y in
      if x < 2 || x >= 10 { return 255 }
      return ((x - 2) / 2 + y / 2) % 2 == 0 ? 0 : 200
    }
    try PNG.write(image, to: folder.appendingPathComponent("board.png"))
    let contents = try ImageFolder(directory: folder, imageSize: 4, color: .gray, pixelRange: .unit).load { _ in }
    let expected = (0..<16).map { i in Float((i % 4 + i / 4) % 2 == 0 ? 0 : 200) / 255 }
    #expect(contents.dataSet.images.scalars == expected)
  }
}
