import Crypto

/// Hex digests of data files, computed by swift-crypto (BoringSSL's SHA-256 and MD5).
///
/// SHA-256 checks the uncompressed contents of every data set file the catalogue knows; MD5 only
/// where a publisher gives nothing else (the compressed MNIST files' published sums).
package enum Checksum {
  /// The SHA-256 of `bytes` as 64 lowercase hexadecimal digits.
  package static func sha256(_ bytes: [UInt8]) -> String { hexadecimal(SHA256.hash(data: bytes)) }

  /// The MD5 of `bytes` as 32 lowercase hexadecimal digits (for integrity against damage only).
  package static func md5(_ bytes: [UInt8]) -> String { hexadecimal(Insecure.MD5.hash(data: bytes)) }

  private static func hexadecimal(_ digest: some Digest) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in digest {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
