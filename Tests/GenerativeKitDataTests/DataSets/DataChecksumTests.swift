import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// SHA-256 and MD5 are GenerativeKit's own C code (`CChecksums`); these vectors check the padding
/// at every block boundary, and that the digests print as the catalogue writes them.
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

  /// Lengths around the 64-byte block where the padding needs a second block (55/56, 119/120);
  /// digests from Python's hashlib over the bytes `i * 7 % 251`.
  @Test("Both digests pad correctly at every block boundary", arguments: [
    (55, "8af594de0e003fdee5c8bb088216c824349b4137070f559574f4a4bddd27b714", "a3c81137436036ad8b477da25301a150"),
    (56, "db81bc2bfd43620591df192139062da77d4c376f1888ea3d2190bd07c8d901f9", "64c7901679c62fee89dae9fdc90f6cdc"),
    (63, "bd535b38bf0d0d1a09d370b7e34b2696cea3767801a45d5611a4aaa6954e8527", "ca2a2c51613f550d77bfa700fa71b2f3"),
    (64, "292be91abe8c0909fe3d26575af5755eee74d23816dc68c3ba41765136967654", "c1e181645d10867b9810b9ab454f39fd"),
    (65, "ba65aedf7884642499a59ae124894611d986cf429e69f569488048af3a99e25a", "8ce7034cd47c2e5766f920d9f6cd25b2"),
    (119, "d367ab298e74477421127b0b448667c37c006c636f5738f081c39388756e5fad", "bbee0fa54927be9cec551823419525d6"),
    (120, "be7beb9c82089eb08da8fe6eb30c13b9d56869014e228a8c3eb0fdfe832efab2", "bec94d18929378fdb98c26a97f1dba72"),
    (128, "cb5311e1d7aa8e11d6af7081f3ffc3e4efa008c7483a1a791fe170bf37546ba7", "3eba58a155f6aa0ef467626f0e78d53b"),
  ])
  func blockBoundaries(length: Int, sha256: String, md5: String) {
    let bytes = (0..<length).map { UInt8($0 * 7 % 251) }
    #expect(Checksum.sha256(bytes) == sha256, "SHA-256 of \(length) bytes")
    #expect(Checksum.md5(bytes) == md5, "MD5 of \(length) bytes")
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
