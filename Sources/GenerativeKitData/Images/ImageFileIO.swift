import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GenerativeKit

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

  /// Writes `bytes` to `url` atomically (see ``AtomicFile``): readers see either the old file or
  /// the complete new one.
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` naming `url` and the system's reason.
  static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
    try AtomicFile.write(to: url) { try $0.write(bytes) }
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
