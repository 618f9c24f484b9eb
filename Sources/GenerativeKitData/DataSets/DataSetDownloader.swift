import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#endif
import GenerativeKit

/// Downloads MNIST and Fashion-MNIST from their public mirrors into a data directory (by default
/// the per-user cache, see ``DataDirectories``).
///
/// Each file is fetched into `<file>.part`, resumed with an HTTP `Range` request when a partial
/// file is there (after a dropped connection, within the same call or in a later one), verified,
/// and only then renamed to its final name, so a file under the final name is always complete.
/// MNIST files are checked by the SHA-256 of their uncompressed bytes; Fashion-MNIST files by the
/// MD5 its publisher gives for the compressed files, and both by their IDX shape.
///
/// ```swift
/// let folder = try DataSetDownloader().download(.mnist)  // ~/.cache/generativekit/mnist
/// ```
public struct DataSetDownloader: Sendable {
  /// The data directory; files go to `<directory>/<folder>/<file>` (`mnist/`, `fashion-mnist/`).
  public var directory: String
  /// Replaces the set's public mirror (a local mirror, or a test server); file names are appended.
  public var baseURL: String?
  /// How many times a file's transfer is tried (resuming each time) before giving up.
  public var attempts: Int
  /// Seconds to wait between attempts.
  public var retryDelay: Double
  /// Seconds without progress after which a request fails.
  public var timeout: Double

  /// A downloader into `directory` (default: the per-user cache), from `baseURL` (default: each
  /// set's public mirror).
  public init(
    directory: String? = nil, baseURL: String? = nil, attempts: Int = 3, retryDelay: Double = 1, timeout: Double = 60
  ) {
    enforce(attempts >= 1, "DataSetDownloader: attempts must be at least 1, got \(attempts)")
    self.directory = directory ?? DataDirectories.cacheDirectory()
    self.baseURL = baseURL
    self.attempts = attempts
    self.retryDelay = retryDelay
    self.timeout = timeout
  }

  /// The URL a file of `name` is fetched from.
  public func url(for name: DataSetName, fileName: String) throws -> String {
    guard let base = baseURL ?? name.spec.downloadBaseURL else {
      throw GenerativeKitError.invalidArgument(
        "Data set \"\(name)\" cannot be downloaded (only mnist and fashion-mnist can); copy its files into"
          + " \(DataDirectories.join(directory, name.spec.folder)) or load it from a folder that holds them")
    }
    return base.hasSuffix("/") ? base + fileName : base + "/" + fileName
  }

  /// Downloads every file of `name` that is not already in place, and returns the folder holding
  /// them (`<directory>/<folder>`). Files already there are checked, not fetched again.
  ///
  /// - Throws: ``DataSetError/download(url:reason:)`` when a transfer fails after all
  ///   attempts or the server answers with an error; `GenerativeKitError/file(path:reason:)`
  ///   when a downloaded or existing file fails its checks (a failed download leaves no file under
  ///   the final name); `GenerativeKitError/invalidArgument(_:)` for sets without a download.
  @discardableResult
  public func download(_ name: DataSetName) throws -> String {
    let spec = name.spec
    let folder = DataDirectories.join(directory, spec.folder)
    for file in spec.allFiles {
      try downloadFile(from: url(for: name, fileName: file.fileName), to: DataDirectories.join(folder, file.fileName),
                       expecting: file)
    }
    return folder
  }

  /// Fetches `url` to `path` through `path.part`, verifies it against `file`, then renames it.
  /// Returns at once when `path` already exists and passes the checks.
  func downloadFile(from url: String, to path: String, expecting file: DataFileSpec) throws {
    if FileBytes.isRegularFile(path) {
      if let sha = file.uncompressedSHA256, ChecksumCache.isVerified(path, sha256: sha) { return }
      do {
        try Self.check(path, against: file, url: nil)
      } catch GenerativeKitError.file(let badPath, let reason) {
        throw GenerativeKitError.file(path: badPath, reason: reason + "; delete it to download it again")
      }
      return
    }
    let folder = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    if !folder.isEmpty {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw GenerativeKitError.file(path: folder, reason: "cannot create the download folder (\(error.localizedDescription))")
      }
    }
    let part = path + ".part"
    var restartedAfterBadResume = false
    while true {
      let resumed = (try? FileManager.default.attributesOfItem(atPath: part)[.size] as? Int) ?? 0 > 0
      try transfer(url, into: part)
      do {
        try Self.check(part, against: file, url: url)
      } catch {
        unlink(part)  // a file that fails its checks is of no use for resuming either
        if resumed && !restartedAfterBadResume {
          restartedAfterBadResume = true  // the old partial file may have come from another version
          continue
        }
        throw error
      }
      guard rename(part, path) == 0 else {
        throw GenerativeKitError.file(
          path: path, reason: "cannot move the verified download into place (\(String(cString: strerror(errno))))")
      }
      if let sha = file.uncompressedSHA256 { ChecksumCache.markVerified(path, sha256: sha) }
      return
    }
  }

  /// Runs the transfer into `part` until the server has sent the whole file, resuming after
  /// dropped connections, up to ``attempts`` times.
  private func transfer(_ url: String, into part: String) throws {
    guard let address = URL(string: url), address.scheme == "http" || address.scheme == "https" else {
      throw DataSetError.download(url: url, reason: "not an http or https URL")
    }
    var lastProblem = ""
    for attempt in 1...attempts {
      if attempt > 1 && retryDelay > 0 { Thread.sleep(forTimeInterval: retryDelay) }
      let offset = FileBytes.fingerprint(part).map { Int($0.size) } ?? 0
      let outcome = RangeRequest(url: address, partPath: part, offset: offset, timeout: timeout).run()
      switch outcome {
      case .complete, .alreadyComplete:
        return
      case .restart:
        unlink(part)
        lastProblem = "the server did not resume at byte \(offset); starting over"
      case .httpError(let status) where (400..<500).contains(status):
        throw DataSetError.download(
          url: url, reason: "the server answered HTTP \(status) (\(HTTPURLResponse.localizedString(forStatusCode: status)))")
      case .httpError(let status):
        lastProblem = "the server answered HTTP \(status)"
      case .failed(let reason):
        lastProblem = reason
      case .localFailure(let reason):
        throw GenerativeKitError.file(path: part, reason: reason)
      }
    }
    let kept = (FileBytes.fingerprint(part)?.size ?? 0) > 0
    throw DataSetError.download(
      url: url,
      reason: "\(lastProblem) (after \(attempts) attempt\(attempts == 1 ? "" : "s")). Check the network connection"
        + " or pass a reachable mirror as baseURL; or copy the file into \(part.dropLast(5)) yourself."
        + (kept ? " The partial download is kept in \(part) and will be resumed next time." : ""))
  }

  /// Checks a downloaded (or already present) file: IDX shape, the SHA-256 of the uncompressed
  /// bytes where known, and the MD5 of the compressed file where that is what the publisher gives.
  static func check(_ path: String, against file: DataFileSpec, url: String?) throws {
    let origin = url.map { " (downloaded from \($0))" } ?? ""
    let raw = try FileBytes.read(path)
    if let md5 = file.compressedMD5, Gzip.isCompressed(raw) {
      let actual = Checksum.md5(raw)
      guard actual == md5 else {
        throw GenerativeKitError.file(
          path: path, reason: "MD5 of the compressed file is \(actual), expected \(md5)\(origin): the file is damaged"
            + " or a different version")
      }
    }
    let bytes = Gzip.isCompressed(raw) ? try Gzip.decompress(raw, source: path) : raw
    let array = try IDX.parse(bytes, source: path)
    guard array.dimensions == file.dimensions else {
      throw GenerativeKitError.file(
        path: path,
        reason: "expected IDX dimensions \(Tensor.describe(shape: file.dimensions)), found "
          + Tensor.describe(shape: array.dimensions) + origin)
    }
    if let sha = file.uncompressedSHA256 {
      let actual = Checksum.sha256(bytes)
      guard actual == sha else {
        throw GenerativeKitError.file(
          path: path, reason: "SHA-256 of the uncompressed contents is \(actual), expected \(sha)\(origin)")
      }
    }
  }
}
