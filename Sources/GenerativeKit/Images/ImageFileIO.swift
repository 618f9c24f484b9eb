import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading whole files and replacing files atomically, for the image readers and writers.
enum ImageFileIO {
  /// The whole file as bytes.
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` naming the file when it cannot be read.
  static func readBytes(_ url: URL) throws -> [UInt8] {
    do {
      return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
    } catch {
      throw GenerativeKitError.file(path: url.path, reason: "cannot read: \(reasonText(for: error))")
    }
  }

  /// Writes `bytes` to `url` so that readers see either the old file or the complete new one:
  /// the bytes go to a temporary file in the same folder, which is flushed to disk and then
  /// renamed over `url`.
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` naming `url` and the system's reason.
  static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
    let path = url.path
    let folder = url.deletingLastPathComponent().path
    let temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
    func failure(_ what: String) -> GenerativeKitError {
      let reason = String(cString: strerror(errno))
      return GenerativeKitError.file(path: path, reason: "\(what): \(reason)")
    }

    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder)") }
    var written = 0
    let ok = bytes.withUnsafeBytes { buffer -> Bool in
      while written < buffer.count {
        let n = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        written += n
      }
      return true
    }
    if !ok || fsync(descriptor) != 0 {
      let error = failure("cannot write")
      close(descriptor)
      unlink(temporary)
      throw error
    }
    if close(descriptor) != 0 {
      let error = failure("cannot write")
      unlink(temporary)
      throw error
    }
    if rename(temporary, path) != 0 {
      let error = failure("cannot replace the file")
      unlink(temporary)
      throw error
    }
  }

  /// A short reason for a Foundation error (without its long localized prefix where possible).
  static func reasonText(for error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
      let code = Int32(exactly: underlying.code)
    {
      return String(cString: strerror(code))
    }
    if nsError.domain == NSCocoaErrorDomain {
      switch nsError.code {
      case NSFileReadNoSuchFileError: return "no such file"
      case NSFileReadNoPermissionError: return "permission denied"
      default: break
      }
    }
    return nsError.localizedDescription
  }

  /// The first bytes of `data` in hex, for "expected ..., found ..." messages.
  static func hexPrefix(_ data: [UInt8], count: Int = 8) -> String {
    if data.isEmpty { return "an empty file" }
    return data.prefix(count).map { byte in
      let digits = String(byte, radix: 16, uppercase: true)
      return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
  }
}
