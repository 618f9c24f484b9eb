import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
import GenerativeKit

/// One HTTP GET that appends to a partial file, asking for the rest with `Range: bytes=<offset>-`
/// when the file is not empty. Blocks the calling thread until the transfer ends.
///
/// Sendable (URLSession requires it of a delegate) without a lock: `handle` and `outcome` are
/// written only by the delegate callbacks, which a session with `delegateQueue: nil` runs one at a
/// time on its own serial queue, and `run()` reads `outcome` only after the last callback has
/// signalled `finished`, which orders that read after every write.
final class RangeRequest: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  enum Outcome: Equatable {
    /// The server sent the rest of the file (200, or 206 from the requested offset).
    case complete
    /// The server answered 416: nothing is left past the offset (the file may be complete).
    case alreadyComplete
    /// The server ignored or misapplied the range in a way that cannot be appended; start over.
    case restart
    /// The server answered with this error status.
    case httpError(Int)
    /// The transfer failed (connection refused, dropped, timed out); what was received is kept.
    case failed(String)
    /// Writing the partial file failed.
    case localFailure(String)
  }

  private let url: URL
  private let partPath: String
  private let offset: Int
  private let timeout: Double
  private let finished = DispatchSemaphore(value: 0)
  // Written on the session's delegate queue, read after `finished` is signalled.
  private var handle: FileHandle?
  private var outcome: Outcome?

  init(url: URL, partPath: String, offset: Int, timeout: Double) {
    self.url = url
    self.partPath = partPath
    self.offset = offset
    self.timeout = timeout
  }

  /// Performs the request and returns how it ended.
  func run() -> Outcome {
    var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
    request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
    if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    session.dataTask(with: request).resume()
    finished.wait()
    session.finishTasksAndInvalidate()
    return outcome ?? .failed("the transfer ended without a result")
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    switch status {
    case 200:
      // The whole file: start the partial file afresh.
      openPart(truncate: true)
    case 206:
      let contentRange = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Range") ?? ""
      if Self.rangeStart(contentRange) == offset {
        openPart(truncate: false)
      } else {
        outcome = .restart
      }
    case 416:
      outcome = .alreadyComplete
    default:
      outcome = .httpError(status)
    }
    completionHandler(outcome == nil ? .allow : .cancel)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    guard outcome == nil, let handle else { return }
    do {
      try handle.write(contentsOf: data)
    } catch {
      outcome = .localFailure("cannot write the partial download (\(error.localizedDescription))")
      dataTask.cancel()
    }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    try? handle?.close()
    handle = nil
    if outcome == nil {
      if let error {
        outcome = .failed(error.localizedDescription)
      } else {
        outcome = .complete
      }
    }
    finished.signal()
  }

  private func openPart(truncate: Bool) {
    if truncate || !FileManager.default.fileExists(atPath: partPath) {
      guard FileManager.default.createFile(atPath: partPath, contents: nil) else {
        outcome = .localFailure("cannot create the partial download file")
        return
      }
    }
    guard let opened = FileHandle(forWritingAtPath: partPath) else {
      outcome = .localFailure("cannot open the partial download file for writing")
      return
    }
    do {
      _ = try opened.seekToEnd()
    } catch {
      outcome = .localFailure("cannot seek in the partial download file (\(error.localizedDescription))")
      return
    }
    handle = opened
  }

  /// The first byte position of a `Content-Range: bytes <start>-<end>/<total>` header.
  static func rangeStart(_ header: String) -> Int? {
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
    let spec = trimmed.dropFirst(6)
    guard let dash = spec.firstIndex(of: "-") else { return nil }
    return Int(spec[..<dash].trimmingCharacters(in: .whitespaces))
  }
}
