import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// Damaged input must produce an error, never a crash, an exit() from libjpeg or a hang.
@Suite("Malformed image input")
struct MalformedImageTests {
  /// Decodes with the format-sniffing decoder and reports whether it threw a GenerativeKitError
  /// (true), succeeded (false); anything else fails the test.
  static func rejects(_ data: [UInt8]) -> Bool {
    do {
      _ = try PixelImage(decoding: data, source: "input")
      return false
    } catch is GenerativeKitError {
      return true
    } catch {
      Issue.record("unexpected error type: \(error)")
      return true
    }
  }

  @Test("random bytes, with and without a PNG or JPEG signature, are rejected")
  func randomBytes() {
    var generator = SeededGenerator(seed: 42)
    for length in [0, 1, 7, 8, 9, 33, 100, 1000] {
      let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      #expect(Self.rejects(noise), "\(length) random bytes")
      #expect(Self.rejects(PNG.signature + noise), "PNG signature + \(length) random bytes")
      #expect(Self.rejects([0xFF, 0xD8, 0xFF] + noise), "JPEG SOI + \(length) random bytes")
    }
  }

  /// Decodes `data`; nil when it was rejected with a GenerativeKitError.
  static func decoded(_ data: [UInt8]) -> PixelImage? {
    do {
      return try PixelImage(decoding: data, source: "input")
    } catch {
      #expect(error is GenerativeKitError, "unexpected error type: \(error)")
      return nil
    }
  }

  @Test("a small PNG truncated at every offset: rejected unless the image data is complete")
  func truncatedPNG() throws {
    let image = ImageTestSupport.randomImage(width: 5, height: 4, color: .rgb, seed: 7)
    let file = try PNG.encode(image)
    let iendStart = file.count - 12  // libpng's simplified reader stops after the image data
    for length in 0..<file.count {
      let result = Self.decoded(Array(file.prefix(length)))
      if length < iendStart {
        #expect(result == nil, "PNG cut to \(length) of \(file.count) bytes must be rejected")
      } else {
        #expect(result == nil || result == image, "PNG cut inside IEND (\(length) bytes) decodes exactly or not at all")
      }
    }
    #expect(Self.decoded(file) == image)
  }

  @Test("a small PNG with any single byte changed never crashes; changes to the signature, IHDR or IDAT are rejected")
  func corruptedPNG() throws {
    let image = ImageTestSupport.randomImage(width: 5, height: 4, color: .gray, seed: 8)
    let file = try PNG.encode(image)
    // The bytes libpng must check (CRCs, zlib's Adler-32): the signature and every critical chunk
    // but IEND. Ancillary chunks (lowercase first letter, such as the sRGB chunk libpng writes)
    // may be dropped with a warning when damaged, and IEND carries nothing.
    var checked = Set(0..<8)
    var start = 8
    for chunk in try #require(ImageTestSupport.chunks(of: file)) {
      let end = start + 12 + chunk.data.count
      if chunk.type.first?.isUppercase == true && chunk.type != "IEND" { checked.formUnion(start..<end) }
      start = end
    }
    #expect(checked.count > file.count / 2)
    for offset in 0..<file.count {
      var damaged = file
      damaged[offset] ^= 0x5A
      let result = Self.decoded(damaged)
      if checked.contains(offset) {
        #expect(result == nil, "byte \(offset) of \(file.count) changed must be rejected")
      } else {
        #expect(result == nil || result == image, "a changed byte \(offset) outside IHDR and IDAT decodes exactly or not at all")
      }
    }
  }

  @Test("a small JPEG truncated at every offset never crashes; cuts before the scan are rejected")
  func truncatedJPEG() throws {
    let file = try JPEG.encode(ImageTestSupport.randomImage(width: 16, height: 16, color: .rgb, seed: 9), quality: 80)
    var rejected = 0
    for length in 0..<file.count where Self.rejects(Array(file.prefix(length))) { rejected += 1 }
    // Only a cut inside the final EOI marker can still decode completely.
    #expect(rejected >= file.count - 2, "\(rejected) of \(file.count) truncations rejected")
    #expect(!Self.rejects(file))
  }

  @Test("a small JPEG with EXIF, any single byte changed, never crashes")
  func corruptedJPEG() throws {
    let plain = try JPEG.encode(ImageTestSupport.smoothImage(width: 16, height: 16, color: .rgb), quality: 80)
    let file = EXIFOrientationTests.withOrientation(plain, 6, littleEndian: false)  // the EXIF parser too
    var outcomes = (rejected: 0, decoded: 0)
    for offset in 0..<file.count {
      var damaged = file
      damaged[offset] ^= 0xA5
      if Self.rejects(damaged) { outcomes.rejected += 1 } else { outcomes.decoded += 1 }
    }
    #expect(outcomes.rejected + outcomes.decoded == file.count)
    #expect(outcomes.rejected > 0, "some corruptions must be detected")
  }
}
