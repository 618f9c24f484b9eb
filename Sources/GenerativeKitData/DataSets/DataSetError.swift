/// Errors of finding and downloading the named data sets: ``ImageDataSet``'s
/// `load(_:split:pixelRange:directory:verifyChecksums:downloader:environment:)` and
/// ``DataSetDownloader``. A file that is found but damaged, and an unwritable download folder,
/// throw `GenerativeKitError.file(path:reason:)` as every other file of GenerativeKit does.
public enum DataSetError: Error, Equatable, CustomStringConvertible {
  /// The files of data set `name` (a ``DataSetName`` raw value, such as `"mnist"`) were not found;
  /// `message` lists the places searched and how to get the files.
  case notFound(name: String, message: String)
  /// Downloading `url` failed for `reason`.
  case download(url: String, reason: String)

  public var description: String {
    switch self {
    case .notFound(_, let message):
      return message
    case .download(let url, let reason):
      return "download of \(url) failed: \(reason)"
    }
  }
}
