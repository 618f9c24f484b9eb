import CChecksums

/// Hex digests of data files (SHA-256 and MD5, the C implementations of the `CChecksums` target).
///
/// SHA-256 checks the uncompressed contents of every data set file the catalogue knows; MD5 only
/// where a publisher gives nothing else (the compressed MNIST files' published sums).
package enum Checksum {
  /// The SHA-256 of `bytes` as 64 lowercase hexadecimal digits.
  package static func sha256(_ bytes: [UInt8]) -> String {
    digest(of: bytes, length: 32) { gk_sha256($0, $1, $2) }
  }

  /// The MD5 of `bytes` as 32 lowercase hexadecimal digits (for integrity against damage only).
  package static func md5(_ bytes: [UInt8]) -> String {
    digest(of: bytes, length: 16) { gk_md5($0, $1, $2) }
  }

  private static func digest(
    of bytes: [UInt8], length: Int,
    _ hash: (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> Void
  ) -> String {
    var digest = [UInt8](repeating: 0, count: length)
    bytes.withUnsafeBufferPointer { input in
      digest.withUnsafeMutableBufferPointer { output in hash(input.baseAddress, input.count, output.baseAddress) }
    }
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(2 * length)
    for byte in digest {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
