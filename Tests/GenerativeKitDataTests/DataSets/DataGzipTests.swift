import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Gzip decompression")
struct DataGzipTests {
  let sample: [UInt8] = (0..<50_000).map { UInt8(truncatingIfNeeded: ($0 * $0) >> 3) }

  @Test("Compressed data decompresses to the original bytes")
  func roundTrip() throws {
    let compressed = Gzip.compress(sample)
    #expect(Gzip.isCompressed(compressed))
    #expect(compressed.count < sample.count)
    #expect(try Gzip.decompress(compressed, source: "sample.gz") == sample)
    #expect(try Gzip.decompress(Gzip.compress([]), source: "empty.gz") == [])
  }

  @Test("Files are read raw or decompressed, told apart by the gzip magic")
  func readsBothForms() throws {
    let folder = try TestData.temporaryDirectory("gzip")
    defer { try? FileManager.default.removeItem(at: folder) }
    let raw = try DataFixtures.write(sample, to: "raw.bin", in: folder)
    let packed = try DataFixtures.write(Gzip.compress(sample), to: "packed.gz", in: folder)
    #expect(try Gzip.readFile(raw) == sample)
    #expect(try Gzip.readFile(packed) == sample)
  }

  @Test("Concatenated gzip members are joined")
  func concatenatedMembers() throws {
    let joined = Gzip.compress(Array(sample[..<1000])) + Gzip.compress(Array(sample[1000...]))
    #expect(try Gzip.decompress(joined, source: "two-members.gz") == sample)
  }

  @Test("Truncated, corrupt and padded input throws an error naming the source")
  func damagedInput() {
    let compressed = Gzip.compress(sample)
    let truncated = DataFixtures.errorText { _ = try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), source: "half.gz") }
    #expect(truncated?.contains("half.gz") == true)
    #expect(truncated?.contains("truncated") == true)

    var corrupt = compressed
    for i in 20..<60 { corrupt[i] ^= 0x5a }
    let corrupted = DataFixtures.errorText { _ = try Gzip.decompress(corrupt, source: "corrupt.gz") }
    #expect(corrupted?.contains("corrupt.gz") == true)

    var badTrailer = compressed
    badTrailer[badTrailer.count - 6] ^= 0xff  // the CRC-32
    let crc = DataFixtures.errorText { _ = try Gzip.decompress(badTrailer, source: "crc.gz") }
    #expect(crc?.contains("crc.gz") == true)

    let garbage = DataFixtures.errorText { _ = try Gzip.decompress(compressed + [1, 2, 3], source: "tail.gz") }
    #expect(garbage?.contains("tail.gz") == true)
    #expect(garbage?.contains("3 unexpected bytes") == true)
  }

  @Test("Output past the size limit is refused, including at the exact boundary")
  func sizeLimit() throws {
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    let bomb = Gzip.compress(zeros, level: 9)
    #expect(bomb.count < 2048)
    let refused = DataFixtures.errorText { _ = try Gzip.decompress(bomb, source: "bomb.gz", limit: 100_000) }
    #expect(refused?.contains("bomb.gz") == true)
    #expect(refused?.contains("limit of 100000 bytes") == true)
    #expect(try Gzip.decompress(bomb, source: "exact.gz", limit: zeros.count).count == zeros.count)
    #expect(throws: GenerativeKitError.self) { try Gzip.decompress(bomb, source: "one-less.gz", limit: zeros.count - 1) }
  }

  @Test("A trailer claiming a huge size does not make the buffer huge")
  func lyingTrailer() {
    var compressed = Gzip.compress(Array(sample[..<100]))
    let n = compressed.count
    (compressed[n - 4], compressed[n - 3], compressed[n - 2], compressed[n - 1]) = (0xff, 0xff, 0xff, 0xff)
    // The size field is checked by zlib after inflating: a mismatch is an error, not an allocation.
    let text = DataFixtures.errorText { _ = try Gzip.decompress(compressed, source: "liar.gz") }
    #expect(text?.contains("liar.gz") == true)
  }

  @Test("Files that cannot be read name the path")
  func missingFile() {
    let text = DataFixtures.errorText { _ = try Gzip.readFile("/nonexistent/generativekit/file.gz") }
    #expect(text?.contains("/nonexistent/generativekit/file.gz") == true)
    let directory = DataFixtures.errorText { _ = try Gzip.readFile("/tmp") }
    #expect(directory?.contains("not a regular file") == true)
  }
}
