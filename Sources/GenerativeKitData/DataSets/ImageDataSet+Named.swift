import Foundation
import GenerativeKit

extension ImageDataSet {
  /// Loads a named data set's split as images `[N, 1, H, W]` scaled to `pixelRange`, with labels
  /// where the set has them.
  ///
  /// Files are searched as described in ``DataDirectories``. Each file's IDX header must declare
  /// the set's documented shape, labels must lie in the set's class range, and (with
  /// `verifyChecksums`) the SHA-256 of the uncompressed bytes must match the published sum, where
  /// one is known (all sets but Fashion-MNIST). A file verified once is not hashed again in the
  /// same process while it is unchanged.
  ///
  /// | set | splits | images | labels |
  /// |---|---|---|---|
  /// | `mnist`, `fashion-mnist` | train, test | 60,000 / 10,000 x 28 x 28 | 0-9 |
  /// | `frey-faces` | train | 1,965 x 28 x 20 | none |
  /// | `olivetti-faces` | train | 400 x 64 x 64 | subject 0-39 |
  /// | `orl-faces` | train | 400 x 112 x 92 | subject 0-39 |
  ///
  /// - Parameters:
  ///   - name: the set.
  ///   - split: training or test images (the face sets have only a training split).
  ///   - pixelRange: what the pixels are scaled to: [0, 1] or [-1, 1].
  ///   - directory: a folder searched before `GENERATIVEKIT_DATA` and the cache.
  ///   - downloader: when given and the files are not found, the set is downloaded with it (into
  ///     its directory, by default the per-user cache) and loaded from there. MNIST and
  ///     Fashion-MNIST only; for the others the not-found error stands.
  ///   - environment: the environment to read `GENERATIVEKIT_DATA`, `XDG_CACHE_HOME` and `HOME` from.
  ///   - verifyChecksums: whether each file's SHA-256 is checked against the catalogue (once per
  ///     unchanged file and process).
  /// - Throws: ``DataSetError/notFound(name:message:)`` listing where it looked;
  ///   `GenerativeKitError/file(path:reason:)` naming the file that is corrupt, has the wrong
  ///   shape or checksum; `GenerativeKitError/invalidArgument(_:)` for a split the set lacks.
  public static func load(
    _ name: DataSetName, split: DataSplit = .train, pixelRange: PixelRange = .unit, directory: String? = nil,
    verifyChecksums: Bool = true, downloader: DataSetDownloader? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> ImageDataSet {
    let spec = name.spec
    guard let splitSpec = spec.splits[split] else {
      let available = DataSplit.allCases.filter { spec.splits[$0] != nil }.map { "\"\($0)\"" }.joined(separator: ", ")
      throw GenerativeKitError.invalidArgument(
        "Data set \"\(name)\" has no \"\(split)\" split; available: \(available) (the whole set is offered as \"train\")")
    }
    let located: LocatedSplit
    do {
      located = try LocatedSplit.locate(spec, split: splitSpec, directory: directory, environment: environment)
    } catch DataSetError.notFound(let setName, let message) {
      guard let downloader, spec.downloadBaseURL != nil else {
        throw DataSetError.notFound(name: setName, message: message)
      }
      try downloader.download(name)
      located = try LocatedSplit.locate(spec, split: splitSpec, directory: downloader.directory, environment: environment)
    }

    let images = try readIDX(located.images, spec: splitSpec.images, verify: verifyChecksums)
    let (count, height, width) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])

    var labels: [Int]?
    if let labelsSpec = splitSpec.labels, let labelsPath = located.labels {
      let raw = try readIDX(labelsPath, spec: labelsSpec, verify: verifyChecksums)
      let values = raw.withUnsafeElements { $0.map(Int.init) }
      if let bad = values.firstIndex(where: { $0 >= spec.classCount }) {
        throw GenerativeKitError.file(
          path: labelsPath, reason: "label \(values[bad]) at index \(bad) is outside 0..<\(spec.classCount)")
      }
      labels = values
    }
    var set = ImageDataSet(name: "\(name)/\(split)", pixels: images.elements, shape: [count, 1, height, width],
                           labels: labels, pixelRange: pixelRange)
    set.sourceFiles = [located.images] + (located.labels.map { [$0] } ?? [])
    return set
  }

  /// Loads a data set by its name as a string (`"mnist"`, `"fashion-mnist"`, `"frey-faces"`,
  /// `"olivetti-faces"`, `"orl-faces"`) and split (`"train"`, `"test"`); see
  /// ``load(_:split:pixelRange:directory:verifyChecksums:downloader:environment:)``.
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` listing the known names when `name` or
  ///   `split` is unknown, and everything the typed overload throws.
  public static func load(
    named name: String, split: String = "train", pixelRange: PixelRange = .unit, directory: String? = nil,
    verifyChecksums: Bool = true, downloader: DataSetDownloader? = nil
  ) throws -> ImageDataSet {
    guard let setName = DataSetName(rawValue: name.lowercased()) else {
      let known = DataSetName.allCases.map { "\"\($0)\"" }.joined(separator: ", ")
      throw GenerativeKitError.invalidArgument("Unknown data set \"\(name)\"; known data sets: \(known)")
    }
    guard let dataSplit = DataSplit(rawValue: split.lowercased()) else {
      throw GenerativeKitError.invalidArgument("Unknown split \"\(split)\" for \(setName); use \"train\" or \"test\"")
    }
    return try load(
      setName, split: dataSplit, pixelRange: pixelRange, directory: directory, verifyChecksums: verifyChecksums,
      downloader: downloader)
  }

  /// Reads, parses and checks one file of a set.
  static func readIDX(_ path: String, spec: DataFileSpec, verify: Bool) throws -> IDXArray {
    let bytes = try Gzip.readFile(path)
    let array = try IDX.parse(bytes, source: path)
    guard array.dimensions == spec.dimensions else {
      throw GenerativeKitError.file(
        path: path,
        reason: "expected IDX dimensions \(Tensor.describe(shape: spec.dimensions)) for \(spec.fileName), found "
          + Tensor.describe(shape: array.dimensions))
    }
    if verify, let expected = spec.uncompressedSHA256 {
      try ChecksumCache.verify(bytes, from: path, expected: expected)
    }
    return array
  }
}
