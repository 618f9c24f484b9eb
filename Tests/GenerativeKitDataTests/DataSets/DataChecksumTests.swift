import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// SHA-256 and MD5 come from swift-crypto; these vectors check that the data product hashes the
/// bytes it means to and prints the digests as the catalogue writes them.
@Suite("Checksums: SHA-256 and MD5")
struct DataChecksumTests {
  @Test("SHA-256 digests match the FIPS 180 test vectors")
  func sha256Vectors() {
    #expect(Checksum.sha256([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(Checksum.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      Checksum.sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      Checksum.sha256(
        Array(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            .utf8)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    #expect(
      Checksum.sha256([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
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
      #expect(Checksum.md5(Array(text.utf8)) == digest, "MD5(\"\(text)\")")
    }
  }

  @Test("The MNIST test files hash to the published SHA-256 and MD5 sums")
  func mnistTestFileSums() throws {
    let folder = DataFixtures.directory + "/mnist/"
    let labels = try Gzip.readFile(folder + "t10k-labels-idx1-ubyte.gz")
    #expect(labels.count == 10_008)
    #expect(Checksum.sha256(labels) == "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
    #expect(Checksum.md5(labels) == "27ae3e4e09519cfbb04c329615203637")
    let images = try Gzip.readFile(folder + "t10k-images-idx3-ubyte.gz")
    #expect(images.count == 7_840_016)
    #expect(Checksum.sha256(images) == "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")
  }
}
