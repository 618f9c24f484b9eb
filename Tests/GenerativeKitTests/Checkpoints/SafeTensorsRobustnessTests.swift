import Foundation
import TestSupport
import Testing

@testable import GenerativeKit

/// Damaged, hostile and foreign files: each must throw a clear error, never crash, and never
/// allocate more than the file's size.
@Suite struct SafeTensorsRobustnessTests {
  static let source = "in-memory checkpoint"

  /// Decodes `bytes`, expecting a checkpoint error naming `tensor` with `fragment` in its reason.
  func expectRejected(_ bytes: [UInt8], tensor: String? = nil, _ fragment: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    expectCheckpointError(path: Self.source, tensor: tensor, fragment, sourceLocation: sourceLocation) {
      _ = try Checkpoint(safetensors: bytes)
    }
  }

  @Test func everyTruncationOfAValidFileThrows() throws {
    let valid = try CheckpointFixtures.smallFile()
    #expect(try Checkpoint(safetensors: valid).count == 3)
    var messages: Set<String> = []
    for length in 0..<valid.count {
      do {
        _ = try Checkpoint(safetensors: Array(valid.prefix(length)))
        Issue.record("a file truncated to \(length) of \(valid.count) bytes was accepted")
      } catch let GenerativeKitError.checkpoint(path, _, reason) {
        #expect(path == Self.source)
        messages.insert(reason)
      }
    }
    // Short files, headers running past the end, and data sections that are too short.
    #expect(messages.contains { $0.contains("too short") })
    #expect(messages.contains { $0.contains("header length") })
    #expect(messages.contains { $0.contains("data_offsets end") || $0.contains("the tensors cover") })
  }

  @Test func randomBytesAreRejected() {
    var random = SeededGenerator(seed: 1)
    for trial in 0..<300 {
      let count = Int(random.next() % 200)
      var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      if trial % 2 == 1 && count >= 8 {
        // A plausible length prefix, so the JSON checks see the garbage too.
        let length = UInt64(random.next() % UInt64(count - 7))
        withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        if count > 8 { bytes[8] = UInt8(ascii: "{") }
      }
      #expect(throws: GenerativeKitError.self) { _ = try Checkpoint(safetensors: bytes) }
    }
  }

  @Test func mutatedValidFilesDecodeOrThrowButNeverCrash() throws {
    let valid = try CheckpointFixtures.smallFile()
    var random = SeededGenerator(seed: 2)
    var accepted = 0
    var rejected = 0
    for _ in 0..<2000 {
      var bytes = valid
      for _ in 0..<(1 + Int(random.next() % 3)) {
        bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
      }
      do {
        let decoded = try Checkpoint(safetensors: bytes)
        accepted += 1
        // Whatever was accepted is internally consistent: it encodes and decodes to itself.
        #expect(try Checkpoint(safetensors: decoded.safetensorsBytes()) == decoded)
      } catch is GenerativeKitError {
        rejected += 1
      }
    }
    #expect(accepted > 0 && rejected > 0)  // data-byte flips are harmless, header flips are not
  }

  @Test func hugeDeclaredHeaderLengthsAreRejectedBeforeAllocating() {
    let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
    for declared: UInt64 in [.max, 1 << 63, 100_000_001, 1 << 32] {
      expectRejected(CheckpointFixtures.file(header: header, data: [0, 0, 0, 0], declaredLength: declared),
                     "more than the 100000000-byte limit")
    }
    expectRejected(CheckpointFixtures.file(header: header, data: [0, 0, 0, 0], declaredLength: 99_999_999),
                   "runs past the end")
  }

  @Test func hugeDeclaredTensorsAreRejectedBeforeAllocating() {
    let cases: [(String, String)] = [
      (#"{"a":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4000000000000]}}"#, "past the 0-byte data section"),
      (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, "too large"),
      (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, "non-negative integers"),
    ]
    for (header, fragment) in cases { expectRejected(CheckpointFixtures.file(header: header), tensor: "a", fragment) }
  }

  @Test func malformedJSONIsRejectedWithItsPosition() {
    let cases: [(String, String)] = [
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}"#, "expected ',' or '}'"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},"#, "unexpected text after"),
      (#"{"a": {"dtype": F32}}"#, "expected a JSON value"),
      (#"{"a" {}}"#, "expected ':'"),
      (#"{'a': {}}"#, "expected a string key"),
      ("{\"a\u{0}\": {}}", "raw control character"),
      (#"{"a": {}, "a": {}}"#, "duplicate key"),
    ]
    for (header, fragment) in cases {
      let reason = expectCheckpointError(path: Self.source, tensor: nil, fragment) {
        _ = try Checkpoint(safetensors: CheckpointFixtures.file(header: header, data: [0, 0, 0, 0]))
      }
      #expect(reason?.contains("at byte") == true)
    }
    var invalidUTF8 = CheckpointFixtures.file(header: #"{"a\#u{FF}b": {}}"#)
    invalidUTF8[11] = 0xFF  // replace the UTF-8 lead byte of U+00FF with a lone 0xFF
    expectRejected(invalidUTF8, "not valid UTF-8")
  }

  @Test func structurallyWrongHeadersNameTheTensor() {
    let four: [UInt8] = [0, 0, 128, 63]
    let cases: [(String, String?, String)] = [
      (#"["a"]"#, nil, "does not start with '{'"),
      (#"{"a": [1]}"#, "a", "must be an object"),
      (#"{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, "a", "dtype F16 is not supported"),
      (#"{"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}}"#, "a", "unknown dtype \"Q7\""),
      (#"{"a": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}}"#, "a", "dtype must be a string"),
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, "a", "needs 8 bytes"),
      (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, "a", "non-negative integers"),
      (#"{"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}"#, "a", "non-negative integers"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, "a", "end before they begin"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, "a", "must be [begin, end]"),
      (#"{"a": {"dtype": "F32", "data_offsets": [0, 4]}}"#, "a", "missing field \"shape\""),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}"#, "a", "unknown field"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": {"k": 1}}"#, nil,
       "must be a string"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": []}"#, nil,
       "must be an object of strings"),
      (#"{"a": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}}"#, "a",
       "more than 16"),
    ]
    for (header, tensor, fragment) in cases {
      expectRejected(CheckpointFixtures.file(header: header, data: four), tensor: tensor, fragment)
    }
  }

  @Test func offsetsMustTileTheDataSectionExactly() {
    let eight = [UInt8](repeating: 0, count: 8)
    let cases: [(String, [UInt8], String?, String)] = [
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
       eight, "b", "overlaps the tensor before it"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, eight, "a", "leaves a gap"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}}"#,
       eight, "b", "leaves a gap"),
      (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, eight, nil, "trailing bytes"),
      (#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}"#, eight, "a", "past the 8-byte data section"),
      (#"{}"#, eight, nil, "trailing bytes"),
    ]
    for (header, data, tensor, fragment) in cases {
      expectRejected(CheckpointFixtures.file(header: header, data: data), tensor: tensor, fragment)
    }
  }

  @Test func foreignFilesAreRejectedAsNotSafetensors() throws {
    let directory = try TestData.temporaryDirectory("foreign")
    defer { try? FileManager.default.removeItem(at: directory) }
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
                        0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55]
    let files: [(String, [UInt8], String)] = [
      ("image.png", png, "not a safetensors file"),
      ("notes.txt", Array("epoch 1: D loss 1.2, G loss 0.8\n".utf8), "not a safetensors file"),
      ("short.txt", Array("hi\n".utf8), "too short"),
      ("empty.bin", [], "too short"),
      ("zeros.bin", [UInt8](repeating: 0, count: 64), "too small for a JSON object"),
      ("json.json", CheckpointFixtures.file(header: "[1, 2, 3]"), "does not start with '{'"),
    ]
    for (name, bytes, fragment) in files {
      let url = directory.appendingPathComponent(name)
      try Data(bytes).write(to: url)
      expectCheckpointError(path: url.path, tensor: nil, fragment) { _ = try Checkpoint(contentsOf: url) }
    }
  }

  @Test func missingFilesAndDirectoriesGiveFileErrors() throws {
    let directory = try TestData.temporaryDirectory("missing")
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = directory.appendingPathComponent("nope.safetensors")
    #expect(throws: GenerativeKitError.file(path: missing.path, reason: "cannot open: No such file or directory")) {
      _ = try Checkpoint(contentsOf: missing)
    }
    #expect(throws: GenerativeKitError.file(path: directory.path, reason: "not a regular file")) {
      _ = try Checkpoint(contentsOf: directory)
    }
    #expect(throws: GenerativeKitError.self) {
      try Checkpoint().save(to: directory.appendingPathComponent("no-such-dir/x.safetensors"))
    }
  }
}
