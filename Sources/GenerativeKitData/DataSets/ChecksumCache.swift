import GenerativeKit
import Synchronization

/// Remembers, for this process, which files already matched their SHA-256, so loading the same
/// unchanged file again (another split, another test) does not hash it again. A file counts as
/// unchanged while its path, size, device, inode and modification time are.
enum ChecksumCache {
  private static let verified = Mutex<[FileFingerprint: String]>([:])

  /// Whether `path`, unchanged since, was verified against `sha256`.
  static func isVerified(_ path: String, sha256: String) -> Bool {
    guard let fingerprint = FileBytes.fingerprint(path) else { return false }
    return verified.withLock { $0[fingerprint] == sha256 }
  }

  /// Records that `path` matched `sha256`.
  static func markVerified(_ path: String, sha256: String) {
    guard let fingerprint = FileBytes.fingerprint(path) else { return }
    verified.withLock { $0[fingerprint] = sha256 }
  }

  /// Forgets every verification (for tests).
  static func reset() {
    verified.withLock { $0.removeAll() }
  }

  /// Checks the uncompressed `bytes` read from `path` against `expected` (lowercase hex),
  /// skipping the hash when the unchanged file was verified before.
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` naming `path` and both sums.
  static func verify(_ bytes: [UInt8], from path: String, expected: String) throws {
    if isVerified(path, sha256: expected) { return }
    let actual = Checksum.sha256(bytes)
    guard actual == expected else {
      throw GenerativeKitError.file(
        path: path,
        reason: "SHA-256 of the uncompressed contents is \(actual), expected \(expected): the file is damaged or a"
          + " different version; replace it with a fresh copy")
    }
    markVerified(path, sha256: expected)
  }
}
