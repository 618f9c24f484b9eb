import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("NumPy arrays")
struct NumPyArrayTests {
  @Test("The .npy header is version 1.0, 64-byte aligned, and the data little-endian float32")
  func layout() throws {
    let tensor = Tensor(shape: [2, 1, 1, 3], scalars: [0, 1, -2, 0.5, 3, 1e-3])
    let bytes = NumPyArray.encode(tensor)
    #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 1, 3), }"))
    #expect(header.hasSuffix("\n"))
    let data = Array(bytes[(10 + headerLength)...])
    #expect(data.count == 6 * 4)
    let values = (0..<6).map { i in
      Float(bitPattern: UInt32(data[4 * i]) | UInt32(data[4 * i + 1]) << 8 | UInt32(data[4 * i + 2]) << 16 | UInt32(data[4 * i + 3]) << 24)
    }
    #expect(values == tensor.scalars)
    #expect(String(decoding: NumPyArray.encode(Tensor(shape: [3], repeating: 1)).prefix(80).dropFirst(10), as: UTF8.self)
      .contains("'shape': (3,)"))
  }

  @Test("numpy reads what we write, when python3 with numpy is available")
  func numpyReadsIt() throws {
    let directory = try TestData.temporaryDirectory("npy")
    let url = directory.appendingPathComponent("a.npy")
    try NumPyArray.write(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6.5]), to: url)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.shape, a.dtype, a.sum())", url.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    guard (try? process.run()) != nil else { return }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return }  // python3 or numpy missing
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "(2, 3) float32 21.5")
  }

  @Test("Reading round-trips what writing wrote, and refuses other dtypes and truncations by name")
  func readBack() throws {
    let tensor = Tensor(shape: [2, 3, 1], scalars: [1, -2, 3.5, 0, 1e-7, -0])
    let bytes = NumPyArray.encode(tensor)
    #expect(try NumPyArray.decode(bytes, source: "a.npy") == tensor)
    #expect(try NumPyArray.decode(NumPyArray.encode(Tensor(shape: [4], repeating: 2)), source: "b.npy").shape == [4])
    for cut in [0, 5, 9, 40, bytes.count - 1] {
      #expect(throws: GenerativeKitError.self) { try NumPyArray.decode(Array(bytes.prefix(cut)), source: "cut.npy") }
    }
    var doubles = bytes
    let header = String(decoding: doubles[10..<74], as: UTF8.self).replacingOccurrences(of: "<f4", with: "<f8")
    doubles.replaceSubrange(10..<74, with: Array(header.utf8))
    let error = #expect(throws: GenerativeKitError.self) { try NumPyArray.decode(doubles, source: "double.npy") }
    #expect("\(error!)".contains("double.npy") && "\(error!)".contains("<f4"))
  }
}
