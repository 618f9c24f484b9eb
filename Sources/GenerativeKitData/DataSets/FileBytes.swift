#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GenerativeKit

/// Whole-file reads with a size limit, for the data-set loaders.
enum FileBytes {
  /// The contents of the file at `path`.
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` if it cannot be opened or read, is not a
  ///   regular file, or is larger than `limit` bytes.
  static func read(_ path: String, limit: Int = Gzip.defaultSizeLimit) throws -> [UInt8] {
    // O_NONBLOCK: a FIFO is refused below instead of blocking the open (regular files read as usual).
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
      throw GenerativeKitError.file(path: path, reason: "cannot open for reading (\(String(cString: strerror(errno))))")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      throw GenerativeKitError.file(path: path, reason: "cannot read its size (\(String(cString: strerror(errno))))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw GenerativeKitError.file(path: path, reason: "is not a regular file")
    }
    let size = Int(info.st_size)
    guard size <= limit else {
      throw GenerativeKitError.file(path: path, reason: "is \(size) bytes, more than the limit of \(limit) bytes")
    }
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    try bytes.withUnsafeMutableBytes { buffer in
      while done < size {
        let got = Glibc.read(descriptor, buffer.baseAddress! + done, size - done)
        if got < 0 {
          if errno == EINTR { continue }
          throw GenerativeKitError.file(path: path, reason: "read failed (\(String(cString: strerror(errno))))")
        }
        if got == 0 { break }
        done += got
      }
    }
    guard done == size else {
      throw GenerativeKitError.file(path: path, reason: "file shrank while reading: expected \(size) bytes, got \(done)")
    }
    return bytes
  }

  /// Whether a regular file exists at `path`.
  static func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  /// The size and modification time of the file at `path`, or nil if it cannot be examined.
  static func fingerprint(_ path: String) -> FileFingerprint? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return FileFingerprint(
      path: path, size: Int64(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
      modifiedSeconds: Int64(info.st_mtim.tv_sec), modifiedNanoseconds: Int64(info.st_mtim.tv_nsec))
  }
}

/// Identifies one version of a file cheaply, so a checksum verified once per process is not
/// recomputed while the file is unchanged.
struct FileFingerprint: Hashable {
  var path: String
  var size: Int64
  var device: UInt64
  var inode: UInt64
  var modifiedSeconds: Int64
  var modifiedNanoseconds: Int64
}
