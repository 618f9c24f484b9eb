import Foundation

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
