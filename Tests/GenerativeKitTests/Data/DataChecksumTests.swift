import Foundation
import Testing

@testable import GenerativeKit

@Suite("Checksums: SHA-256 and MD5")
struct DataChecksumTests {
  @Test("SHA-256 matches the FIPS 180 test vectors")
  func sha256Vectors() {
    #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256.hexDigest(
        Array(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            .utf8)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    #expect(
      SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test("SHA-256 gives the same digest however the input is split")
  func sha256Streaming() {
    let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    let whole = SHA256.hash(message)
    #expect(whole.count == 32)
    for split in [0, 1, 55, 56, 63, 64, 65, 119, 128, 299, 300] {
      var hasher = SHA256()
      hasher.update(Array(message[..<split]))
      hasher.update(Array(message[split...]))
      #expect(hasher.finalize() == whole, "split at \(split)")
    }
    // Byte by byte, across block boundaries.
    var hasher = SHA256()
    for byte in message { hasher.update([byte]) }
    #expect(hasher.finalize() == whole)
  }

  @Test("SHA-256 padding is right for every length around a block boundary")
  func sha256Lengths() {
    // Digests of "a" * n for n = 55, 56, 57, 63, 64, 65 (computed with sha256sum).
    let expected: [Int: String] = [
      55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
      56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
      57: "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6",
      63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
      64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
      65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
    ]
    for (length, digest) in expected {
      #expect(SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: length)) == digest, "length \(length)")
    }
  }

  @Test("MD5 matches the RFC 1321 test suite")
  func md5Vectors() {
    let suite: [(String, String)] = [
      ("", "d41d8cd98f00b204e9800998ecf8427e"),
      ("a", "0cc175b9c0f1b6a831c399e269772661"),
      ("abc", "900150983cd24fb0d6963f7d28e17f72"),
      ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
      ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
      ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
      (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ]
    for (text, digest) in suite {
      #expect(MD5.hexDigest(Array(text.utf8)) == digest, "MD5(\"\(text)\")")
    }
  }

  @Test("The MNIST test files hash to the published SHA-256 and MD5 sums")
  func mnistTestFileSums() throws {
    let folder = DataFixtures.directory + "/mnist/"
    let labels = try Gzip.readFile(folder + "t10k-labels-idx1-ubyte.gz")
    #expect(labels.count == 10_008)
    #expect(SHA256.hexDigest(labels) == "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
    #expect(MD5.hexDigest(labels) == "27ae3e4e09519cfbb04c329615203637")
    let images = try Gzip.readFile(folder + "t10k-images-idx3-ubyte.gz")
    #expect(images.count == 7_840_016)
    #expect(SHA256.hexDigest(images) == "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")
  }
}
