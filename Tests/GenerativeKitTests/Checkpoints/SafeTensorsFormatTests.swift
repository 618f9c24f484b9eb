import Foundation
import Testing

@testable import GenerativeKit

/// The bytes GenerativeKit writes, and files laid out as other writers lay them out.
@Suite struct SafeTensorsFormatTests {
  @Test func writesLengthPrefixAlignedJSONHeaderThenData() throws {
    var checkpoint = Checkpoint(metadata: ["epoch": "2", "config": "{\"a\": \"b\\n\"}"])
    checkpoint.set(Tensor(shape: [2, 2], scalars: [1, -2, 3.5, 0]), named: "0.weight")
    checkpoint["rng"] = .uint64(shape: [2], scalars: [7, UInt64.max])
    checkpoint["count"] = .int64(shape: [], scalars: [-3])
    let bytes = try checkpoint.safetensorsBytes()

    let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect((8 + headerLength) % 8 == 0)
    let header = try #require(String(validating: bytes[8..<(8 + headerLength)], as: UTF8.self))
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    #expect(header.hasPrefix(trimmed) && header.dropFirst(trimmed.count).allSatisfy { $0 == " " })
    #expect(trimmed == #"{"__metadata__":{"config":"{\"a\": \"b\\n\"}","epoch":"2"},"#
      + #""0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"#
      + #""rng":{"dtype":"U64","shape":[2],"data_offsets":[16,32]},"#
      + #""count":{"dtype":"I64","shape":[],"data_offsets":[32,40]}}"#)
    let data = Array(bytes[(8 + headerLength)...])
    #expect(data.count == 40)
    #expect(Array(data[0..<16]) == CheckpointFixtures.bytes([1, -2, 3.5, 0]))
    #expect(Array(data[16..<32]) == [7, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
    #expect(Array(data[32..<40]) == [0xFD] + [UInt8](repeating: 0xFF, count: 7))
  }

  @Test func readsTensorsInDataOrderWhateverTheHeaderOrder() throws {
    // Header order differs from data order, extra whitespace, padding, an escaped name, an empty
    // tensor and a scalar: all legal.
    let header = """
      { "b" : {"shape": [1], "dtype": "F32", "data_offsets": [8, 12]},
        "__metadata__": {"format": "pt", "caf\\u00e9": "\\ud83d\\ude00"},
        "a\\"q": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [12, 12]},
        "s": {"dtype": "I64", "shape": [], "data_offsets": [12, 20]} }\("   ")
      """
    let data = CheckpointFixtures.bytes([1, 2, 3]) + [5, 0, 0, 0, 0, 0, 0, 0]
    let checkpoint = try Checkpoint(safetensors: CheckpointFixtures.file(header: header, data: data))
    #expect(checkpoint.names == ["a\"q", "b", "empty", "s"])
    #expect(checkpoint.metadata == ["format": "pt", "café": "😀"])
    #expect(try checkpoint.tensor(named: "a\"q") == Tensor(shape: [2], scalars: [1, 2]))
    #expect(try checkpoint.tensor(named: "b") == Tensor(shape: [1], scalars: [3]))
    #expect(try checkpoint.tensor(named: "empty").shape == [0, 3])
    #expect(checkpoint["s"] == .int64(shape: [], scalars: [5]))
  }

  @Test func roundTripsUnusualNamesMetadataAndValuesBitForBit() throws {
    var checkpoint = Checkpoint(metadata: ["quote\"back\\slash": "tab\tnewline\ncontrol\u{1}", "": "empty key", "ü": ""])
    let special: [Float] = [.nan, -.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
    checkpoint.set(Tensor(shape: [7], scalars: special), named: "spécial/name with spaces")
    checkpoint.set(Tensor(shape: [0]), named: "empty")
    checkpoint["i"] = .int64(shape: [3], scalars: [.min, -1, .max])
    let decoded = try Checkpoint(safetensors: checkpoint.safetensorsBytes())
    #expect(decoded == checkpoint)
    let bits = try decoded.tensor(named: "spécial/name with spaces").scalars.map(\.bitPattern)
    #expect(bits == special.map(\.bitPattern))
  }

  @Test func emptyCheckpointIsAValidFile() throws {
    let bytes = try Checkpoint().safetensorsBytes()
    #expect(bytes.count == 16)  // "{}" padded to 8 bytes
    let decoded = try Checkpoint(safetensors: bytes)
    #expect(decoded.count == 0 && decoded.metadata.isEmpty)
  }

  @Test func subscriptKeepsPositionOnReplaceAndRemoves() {
    var checkpoint = Checkpoint()
    checkpoint.set(Tensor(shape: [1], scalars: [1]), named: "a")
    checkpoint.set(Tensor(shape: [1], scalars: [2]), named: "b")
    checkpoint.set(Tensor(shape: [1], scalars: [3]), named: "a")
    #expect(checkpoint.names == ["a", "b"])
    #expect(checkpoint["a"] == .float32(Tensor(shape: [1], scalars: [3])))
    checkpoint["a"] = nil
    #expect(checkpoint.names == ["b"])
    #expect(checkpoint.names(withPrefix: "b") == ["b"])
  }

  @Test func reservedMetadataNameCannotBeATensor() throws {
    var checkpoint = Checkpoint()
    checkpoint.set(Tensor(shape: [1]), named: "__metadata__")
    expectCheckpointError(path: "in-memory checkpoint", tensor: "__metadata__", "reserved") {
      _ = try checkpoint.safetensorsBytes()
    }
  }

  @Test func headerJSONParsesEscapesAndRejectsDuplicatesAndDeepNesting() throws {
    func parse(_ text: String) throws -> HeaderJSON.Value {
      try Array(text.utf8).withUnsafeBytes { try HeaderJSON.parse($0) }
    }
    guard case .string(let text) = try parse(#""a\/b\u0041\n\ud834\udd1e""#) else {
      Issue.record("expected a string")
      return
    }
    #expect(text == "a/bA\n𝄞")
    guard case .array(let numbers) = try parse("[0, -12, 1.5e3, 99999999999999999999]"),
          case .integer(-12) = numbers[1], case .number(1500) = numbers[2], case .number = numbers[3] else {
      Issue.record("numbers parsed wrongly")
      return
    }
    for bad in [#"{"a": 1, "a": 2}"#, "[01]", "[1.]", "[-]", #""\ud800""#, "[1,]", "{\"a\" 1}", "tru",
                String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "\"\u{1}\"", "[1] x"] {
      #expect(throws: HeaderJSON.SyntaxError.self, "\(bad)") { try parse(bad) }
    }
    #expect(HeaderJSON.quoted("a\"\\\n\u{1}é") == #""a\"\\\n\u0001é""#)
  }
}
