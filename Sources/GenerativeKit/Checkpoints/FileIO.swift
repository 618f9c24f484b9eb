import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Bytes that can be read at any offset: an open file or an in-memory buffer.
package protocol RandomAccessBytes {
  /// The total number of bytes.
  var count: Int { get }
  /// Fills `buffer` with the bytes starting at `offset`; throws if fewer are available.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws
}

/// An in-memory byte buffer, for decoding checkpoints that are not in a file.
package struct MemoryBytes: RandomAccessBytes {
  package let bytes: [UInt8]
  package let source: String

  package var count: Int { bytes.count }

  package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    guard offset >= 0, buffer.count <= bytes.count - offset else {
      throw GenerativeKitError.file(path: source, reason: "read past the end (\(buffer.count) bytes at \(offset))")
    }
    guard buffer.count > 0 else { return }
    bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
  }
}

/// A file opened for reading with POSIX calls; closed when released.
package final class ReadableFile: RandomAccessBytes {
  package let path: String
  private let descriptor: Int32
  package let count: Int

  /// Opens `path`; the error says why it could not be opened (missing, a directory, no permission).
  package init(path: String) throws {
    self.path = path
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; the
    // check below then refuses anything but a regular file (whose reads the flag does not change).
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw GenerativeKitError.file(path: path, reason: "cannot open: \(systemError())") }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let reason = systemError()
      close(descriptor)
      throw GenerativeKitError.file(path: path, reason: "cannot stat: \(reason)")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      close(descriptor)
      throw GenerativeKitError.file(path: path, reason: "not a regular file")
    }
    self.descriptor = descriptor
    self.count = Int(status.st_size)
  }

  deinit { close(descriptor) }

  package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    var done = 0
    while done < buffer.count {
      let result = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if result < 0 && errno == EINTR { continue }
      guard result > 0 else {
        let reason = result == 0 ? "unexpected end of file (the file shrank while being read?)" : systemError()
        throw GenerativeKitError.file(path: path, reason: "read failed at byte \(offset + done): \(reason)")
      }
      done += result
    }
  }
}

/// The destination ``AtomicFile/write(to:_:)`` hands to its body.
package final class FileSink {
  package let path: String
  fileprivate let descriptor: Int32

  fileprivate init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
  }

  /// Writes every byte of `bytes`, retrying short writes.
  package func write(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      let result = systemWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
      if result < 0 && errno == EINTR { continue }
      guard result > 0 else { throw GenerativeKitError.file(path: path, reason: "write failed: \(systemError())") }
      done += result
    }
  }

  package func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
}

/// Replaces a file so that readers, and the file system after a crash, see either the old
/// contents or the complete new contents, never a mixture or a truncated file.
///
/// The contents go to a hidden temporary file in the same directory (`.<name>.tmp-<pid>-<random>`),
/// which is flushed to disk (`fsync`) and then renamed over the final name; the directory is
/// synced last so the rename itself survives a power loss. If the process dies mid-write, only
/// the temporary file is left behind.
package enum AtomicFile {
  /// Writes the file at `url` with `body`, atomically.
  package static func write(to url: URL, _ body: (FileSink) throws -> Void) throws {
    let path = url.path
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw GenerativeKitError.file(path: path, reason: "cannot create a temporary file in \(directory): \(systemError())")
    }
    var isOpen = true
    do {
      try body(FileSink(path: path, descriptor: descriptor))
      guard fsync(descriptor) == 0 else { throw GenerativeKitError.file(path: path, reason: "fsync failed: \(systemError())") }
      isOpen = false
      guard close(descriptor) == 0 else { throw GenerativeKitError.file(path: path, reason: "close failed: \(systemError())") }
      guard rename(temporary, path) == 0 else {
        throw GenerativeKitError.file(path: path, reason: "cannot rename the temporary file into place: \(systemError())")
      }
    } catch {
      if isOpen { close(descriptor) }
      unlink(temporary)
      throw error
    }
    syncDirectory(directory)
  }

  /// Makes a rename in `directory` durable. Some file systems cannot sync directories; the file
  /// itself is already complete, so failures here are not reported.
  private static func syncDirectory(_ directory: String) {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    close(descriptor)
  }
}

/// The current `errno` as text.
package func systemError() -> String { String(cString: strerror(errno)) }

/// POSIX `write`, named apart from the `write` methods that call it.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
  #elseif canImport(Musl)
    return Musl.write(descriptor, buffer, count)
  #else
    return Darwin.write(descriptor, buffer, count)
  #endif
}
