import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("IDX reader")
struct DataIDXTests {
  @Test("A valid file parses to its dimensions and elements")
  func parsesValidFile() throws {
    let bytes = DataFixtures.idxImages(count: 3, height: 4, width: 5)
    let array = try IDX.parse(bytes, source: "small.idx")
    #expect(array.dimensions == [3, 4, 5])
    #expect(array.count == 60)
    #expect(array.dataOffset == 16)
    #expect(array.elements == Array(bytes[16...]))
    #expect(array.withUnsafeElements { Array($0) } == Array(bytes[16...]))

    let labels = try IDX.parse(IDX.encode(dimensions: [4], elements: [0, 1, 2, 9]), source: "labels.idx")
    #expect(labels.dimensions == [4])
    #expect(labels.elements == [0, 1, 2, 9])
    #expect(try IDX.parse(IDX.encode(dimensions: [0, 28, 28], elements: []), source: "empty.idx").count == 0)
  }

  @Test("Raw and gzipped files read the same")
  func readsFiles() throws {
    let folder = try TestData.temporaryDirectory("idx")
    defer { try? FileManager.default.removeItem(at: folder) }
    let bytes = DataFixtures.idxImages(count: 2, height: 3, width: 3)
    let raw = try DataFixtures.write(bytes, to: "x-idx3-ubyte", in: folder)
    let packed = try DataFixtures.write(Gzip.compress(bytes), to: "x-idx3-ubyte.gz", in: folder)
    #expect(try IDX.read(raw).elements == Array(bytes[16...]))
    #expect(try IDX.read(packed).elements == Array(bytes[16...]))
    #expect(try IDX.read(packed).dimensions == [2, 3, 3])
  }

  @Test("Each header problem gets its own message naming the file")
  func headerErrors() {
    func message(_ bytes: [UInt8]) -> String? {
      DataFixtures.errorText { _ = try IDX.parse(bytes, source: "bad.idx") }
    }
    let cases: [([UInt8], String)] = [
      ([0, 0], "shorter than the 4-byte magic"),
      ([1, 0, 8, 1, 0, 0, 0, 0], "must start with 00 00"),
      ([0x1f, 0x8b, 8, 0], "still gzip-compressed"),
      ([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "0x0d (float32) is not supported"),
      ([0, 0, 0x42, 1], "0x42 (unknown type)"),
      ([0, 0, 8, 0], "declares 0 dimensions; expected 1 to 4"),
      ([0, 0, 8, 5], "declares 5 dimensions"),
      ([0, 0, 8, 3, 0, 0, 0, 1], "truncated IDX header"),
      ([0, 0, 8, 1, 0, 0, 0, 3, 7, 7], "truncated: dimensions [3] need 8 + 3 = 11 bytes, the file has 10"),
      ([0, 0, 8, 1, 0, 0, 0, 1, 7, 7], "has 1 extra bytes"),
    ]
    for (bytes, expected) in cases {
      let text = message(bytes)
      #expect(text?.hasPrefix("bad.idx: ") == true, "\(bytes)")
      #expect(text?.contains(expected) == true, "\(bytes): \(text ?? "no error")")
    }
  }

  @Test("Huge declared sizes are refused before anything is allocated")
  func hugeDeclaredSizes() {
    let max: [UInt8] = [0xff, 0xff, 0xff, 0xff]
    let overflowing: [UInt8] = [0, 0, 8, 4] + max + max + max + max  // (2^32 - 1)^4 overflows Int
    let text = DataFixtures.errorText { _ = try IDX.parse(overflowing, source: "huge.idx") }
    #expect(text?.contains("more than the limit") == true)
    #expect(text?.contains("[4294967295, 4294967295, 4294967295, 4294967295]") == true)

    let large: [UInt8] = [0, 0, 8, 2] + max + [0, 0, 0, 2]  // 8.6e9 elements: no overflow, over the limit
    #expect(DataFixtures.errorText { _ = try IDX.parse(large, source: "large.idx") }?.contains("more than the limit") == true)

    let withinLimitButShort: [UInt8] = [0, 0, 8, 1] + [0x10, 0, 0, 0]  // 256 MiB declared, 0 present
    let short = DataFixtures.errorText { _ = try IDX.parse(withinLimitButShort, source: "short.idx") }
    #expect(short?.contains("truncated") == true)

    let smallLimit = DataFixtures.errorText {
      _ = try IDX.parse(DataFixtures.idxImages(count: 10, height: 10, width: 10), source: "limited.idx", limit: 999)
    }
    #expect(smallLimit?.contains("limit of 999 elements") == true)
  }

  @Test("Random bytes never crash the parser")
  func randomBytes() {
    var generator = SeededGenerator(seed: 2024)
    var rejected = 0
    for trial in 0..<2000 {
      let length = Int(generator.next() % 64)
      var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      // Half the trials get a plausible magic so the dimension checks are exercised too.
      if trial % 2 == 0 && length >= 4 { (bytes[0], bytes[1], bytes[2]) = (0, 0, 8) }
      do {
        let array = try IDX.parse(bytes, source: "random.idx")
        #expect(array.count == bytes.count - array.dataOffset)
      } catch let error as GenerativeKitError {
        guard case .file(let path, _) = error else {
          Issue.record("unexpected error \(error)")
          continue
        }
        #expect(path == "random.idx")
        rejected += 1
      } catch {
        Issue.record("unexpected error type \(error)")
      }
    }
    #expect(rejected > 1900)
  }

  @Test("Random bytes behind a gzip magic are rejected cleanly")
  func randomGzip() {
    var generator = SeededGenerator(seed: 7)
    for _ in 0..<300 {
      let length = 2 + Int(generator.next() % 200)
      var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      (bytes[0], bytes[1]) = (0x1f, 0x8b)
      #expect(throws: GenerativeKitError.self) { _ = try IDX.parse(Gzip.decompress(bytes, source: "r.gz"), source: "r.gz") }
    }
  }

  @Test("Every truncation of a valid file, raw or gzipped, throws a clear error")
  func everyTruncation() throws {
    let folder = try TestData.temporaryDirectory("idx-truncation")
    defer { try? FileManager.default.removeItem(at: folder) }
    let bytes = DataFixtures.idxImages(count: 4, height: 6, width: 5)
    for length in 0..<bytes.count {
      let text = DataFixtures.errorText { _ = try IDX.parse(Array(bytes.prefix(length)), source: "cut.idx") }
      #expect(text?.hasPrefix("cut.idx: ") == true, "length \(length)")
    }
    let compressed = Gzip.compress(bytes)
    for length in 0..<compressed.count {
      let path = try DataFixtures.write(Array(compressed.prefix(length)), to: "cut-\(length).gz", in: folder)
      let text = DataFixtures.errorText { _ = try IDX.read(path) }
      #expect(text?.contains(path) == true, "gzip length \(length): \(text ?? "no error")")
    }
    #expect(try IDX.read(DataFixtures.write(compressed, to: "whole.gz", in: folder)).count == 120)
  }
}
