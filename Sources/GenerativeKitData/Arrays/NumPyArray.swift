import Foundation
import GenerativeKit

/// Writing tensors as NumPy `.npy` files (format version 1.0, little-endian float32, C order), so
/// samples open with `numpy.load` in any tool.
public enum NumPyArray {
  /// The complete `.npy` bytes for `tensor`.
  public static func encode(_ tensor: Tensor) -> [UInt8] {
    let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.rank == 1 ? "," : "")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
    // magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    let length = UInt16(header.utf8.count)
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    tensor.withUnsafeBufferPointer { values in
      bytes.reserveCapacity(bytes.count + values.count * 4)
      for value in values {
        let bits = value.bitPattern.littleEndian
        bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
      }
    }
    return bytes
  }

  /// Writes `tensor` to `url` atomically.
  public static func write(_ tensor: Tensor, to url: URL) throws {
    let bytes = encode(tensor)
    try AtomicFile.write(to: url) { try $0.write(bytes) }
  }
}

extension NumPyArray {
  /// Reads a `.npy` file holding little-endian float32 (`<f4`) in C order, of any shape.
  ///
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming the file and what is unsupported
  ///   (another dtype, Fortran order, a malformed or truncated header).
  public static func read(_ url: URL) throws -> Tensor {
    // A FIFO, a device or a folder is refused by name (a plain read would block or say "no permission").
    try decode(try FileBytes.read(url.path, limit: 1 << 33), source: url.path)
  }

  /// Decodes `.npy` bytes (see ``read(_:)``); `source` names them in errors.
  public static func decode(_ bytes: [UInt8], source: String) throws -> Tensor {
    func fail(_ reason: String) -> GenerativeKitError { .file(path: source, reason: reason) }
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
      throw fail("not a .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let (lengthBytes, headerStart) = major == 1 ? (2, 10) : (4, 12)
    guard major == 1 || major == 2 || major == 3, bytes.count >= headerStart else { throw fail("unsupported .npy version \(major)") }
    var headerLength = 0
    for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
    guard headerStart + headerLength <= bytes.count else { throw fail("header of \(headerLength) bytes runs past the end of the file") }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'descr': '<f4'") else { throw fail("only little-endian float32 ('<f4') arrays are supported; header: \(header)") }
    guard header.contains("'fortran_order': False") else { throw fail("Fortran-order arrays are not supported") }
    guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
      throw fail("header has no shape: \(header)")
    }
    let fields = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    var shape: [Int] = []
    for field in fields {
      guard let extent = Int(field), extent >= 0, extent <= 1 << 31 else { throw fail("bad dimension '\(field)' in the shape") }
      shape.append(extent)
    }
    // The byte count is checked against the file before anything is allocated; a shape whose
    // size overflows cannot match any file.
    var count: Int? = 1
    for extent in shape {
      count = count.flatMap { product in
        let (next, overflow) = product.multipliedReportingOverflow(by: extent)
        return overflow ? nil : next
      }
    }
    let dataStart = headerStart + headerLength
    let dataBytes = bytes.count - dataStart
    let byteCount = count.map { $0.multipliedReportingOverflow(by: 4) }
    guard let count, let byteCount, !byteCount.overflow, byteCount.partialValue == dataBytes else {
      throw fail("shape \(Tensor.describe(shape: shape)) needs \(count.map { "\($0) float32 values" } ?? "more values than memory holds"), "
        + "but the file has \(dataBytes) data bytes")
    }
    var scalars = [Float](repeating: 0, count: count)
    for i in 0..<count {
      let o = dataStart + 4 * i
      let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
      scalars[i] = Float(bitPattern: bits)
    }
    return Tensor(shape: shape, scalars: scalars)
  }
}
