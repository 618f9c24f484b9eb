import Foundation
import TestSupport
import Testing

@testable import GenerativeKit

/// Runs `docs/scripts/check_safetensors.py`.
enum PythonCheck {
  static let script = TestData.packageRoot.appendingPathComponent("docs/scripts/check_safetensors.py")

  /// Whether `python3` with numpy can be run.
  static let isAvailable: Bool = (try? run(["-c", "import numpy"]))?.status == 0

  /// Runs `python3` with `arguments`; returns its exit status and standard output.
  static func run(_ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.standardError
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }
}

/// Files GenerativeKit writes read the same in NumPy (and the `safetensors` package, when it is
/// installed), and files they write read the same here. Skipped without python3 and numpy.
@Suite(.enabled(if: PythonCheck.isAvailable, "needs python3 with numpy"))
struct SafeTensorsPythonTests {

  struct Summary: Decodable {
    struct Entry: Decodable {
      var dtype: String
      var shape: [Int]
      var values: [JSONNumberOrString]
    }
    var readers: [String]
    var order: [String]
    var metadata: [String: String]
    var tensors: [String: Entry]
  }

  /// Float32 bit patterns come as numbers, 64-bit integers as decimal strings.
  enum JSONNumberOrString: Decodable, Equatable {
    case number(UInt32)
    case text(String)
    init(from decoder: Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let number = try? container.decode(UInt32.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
    }
  }

  @Test func pythonReadsWhatSwiftWrote() throws {
    let directory = try TestData.temporaryDirectory("python")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    var checkpoint = try CheckpointFixtures.checkpoint()
    checkpoint.metadata["note"] = "ünïcode \"quoted\"\n"
    checkpoint.set(Tensor(shape: [3], scalars: [.nan, -0.0, .infinity]), named: "special")
    checkpoint["counters"] = .int64(shape: [2], scalars: [.min, .max])
    try checkpoint.save(to: url)

    let (status, output) = try PythonCheck.run([PythonCheck.script.path, "read", url.path])
    try #require(status == 0)
    let summary = try JSONDecoder().decode(Summary.self, from: output)
    print("check_safetensors.py readers: \(summary.readers)")
    #expect(summary.readers.first == "numpy")
    #expect(summary.order == checkpoint.names)
    #expect(summary.metadata == checkpoint.metadata)
    #expect(summary.tensors.count == checkpoint.count)
    for (name, tensor) in checkpoint.tensors {
      let entry = try #require(summary.tensors[name])
      #expect(entry.dtype == tensor.dtype.rawValue, "\(name)")
      #expect(entry.shape == tensor.shape, "\(name)")
      let values: [JSONNumberOrString]
      switch tensor {
      case .float32(let t): values = t.scalars.map { .number($0.bitPattern) }
      case .int64(_, let scalars): values = scalars.map { .text(String($0)) }
      case .uint64(_, let scalars): values = scalars.map { .text(String($0)) }
      }
      #expect(entry.values == values, "\(name)")
    }
  }

  @Test func swiftReadsWhatPythonWrote() throws {
    let directory = try TestData.temporaryDirectory("python")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("reference.safetensors")
    let (status, output) = try PythonCheck.run([PythonCheck.script.path, "write", url.path])
    try #require(status == 0)
    print("check_safetensors.py wrote with: \(String(decoding: output, as: UTF8.self))")

    let loaded = try Checkpoint(contentsOf: url)
    #expect(loaded.metadata == ["format": "np", "written_by": "check_safetensors.py", "note": "ünïcode \"quoted\""])
    #expect(Set(loaded.names) == ["conv.weight", "linear.bias", "empty", "scalar", "rng.state", "counters"])
    #expect(try loaded.tensor(named: "conv.weight") == Tensor(shape: [2, 3, 2, 2], scalars: (0..<24).map { Float($0) / 8 - 1 }))
    let bias = try loaded.tensor(named: "linear.bias").scalars.map(\.bitPattern)
    // numpy rounds Python's doubles to float32 (Float.pi is rounded down, np.float32(np.pi) to nearest).
    #expect(bias == [Double.pi, -0.0, 1e-38, 3.4e38].map { Float($0).bitPattern })
    #expect(try loaded.tensor(named: "empty").shape == [0, 5])
    #expect(try loaded.tensor(named: "scalar") == Tensor(shape: [], scalars: [2.5]))
    #expect(loaded["rng.state"] == .uint64(shape: [4], scalars: [1, 1 << 63, .max, 12345]))
    #expect(loaded["counters"] == .int64(shape: [2, 2], scalars: [-1, .max, .min, 0]))
    // Re-saved by GenerativeKit, it reads back identically.
    #expect(try Checkpoint(safetensors: loaded.safetensorsBytes()) == loaded)
  }
}
