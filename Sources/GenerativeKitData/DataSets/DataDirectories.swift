import Foundation
import GenerativeKit

/// Where data sets are looked for: a directory passed explicitly, and no other (an explicit choice
/// is used or refused, never silently replaced by another folder); without one, in order:
/// 1. the `GENERATIVEKIT_DATA` environment variable,
/// 2. the per-user cache, `$XDG_CACHE_HOME/generativekit` or `~/.cache/generativekit` (where
///    ``DataSetDownloader`` puts files),
/// 3. for Fashion-MNIST, `/usr/share/datasets` (Debian's `dataset-fashion-mnist` package).
///
/// Within each directory a set's files are found as `<dir>/<folder>/<file>` (`mnist/`,
/// `fashion-mnist/`, `faces/`) or directly as `<dir>/<file>`, each either gzipped (`.gz`) or not.
/// Fashion-MNIST's file names are the same as MNIST's, so it is taken directly from `<dir>` only
/// when that directory is itself named `fashion-mnist`.
public enum DataDirectories {
  /// The environment variable naming a data directory.
  public static let environmentVariable = "GENERATIVEKIT_DATA"

  /// The per-user cache directory: `$XDG_CACHE_HOME/generativekit`, else `~/.cache/generativekit`.
  public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      return join(xdg, "generativekit")
    }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return join(join(home, ".cache"), "generativekit")
  }

  /// The directories searched for `name`, in order (see ``DataDirectories``).
  public static func searchList(
    for name: DataSetName, directory: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [String] {
    if let directory, !directory.isEmpty { return [directory] }
    var roots: [String] = []
    if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { roots.append(fromEnvironment) }
    roots.append(cacheDirectory(environment: environment))
    roots += name.spec.systemRoots
    var seen = Set<String>()
    return roots.filter { seen.insert($0).inserted }
  }

  /// The folders a file of `spec` may sit in under `root`, in the order they are tried.
  static func candidateFolders(for spec: DataSetSpec, root: String) -> [String] {
    let nested = join(root, spec.folder)
    let flatAllowed = spec.acceptsAnyFlatDirectory || lastComponent(of: root) == spec.folder
    return flatAllowed ? [nested, root] : [nested]
  }

  /// The names a file may have: as distributed (`x.gz`), then uncompressed (`x`).
  static func candidateNames(for file: DataFileSpec) -> [String] {
    file.fileName.hasSuffix(".gz") ? [file.fileName, String(file.fileName.dropLast(3))] : [file.fileName]
  }

  /// The first existing path of `file` in `folder`, or nil.
  static func find(_ file: DataFileSpec, in folder: String) -> String? {
    candidateNames(for: file).map { join(folder, $0) }.first(where: FileBytes.isRegularFile)
  }

  static func join(_ directory: String, _ component: String) -> String {
    directory.hasSuffix("/") ? directory + component : directory + "/" + component
  }

  static func lastComponent(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    return String(trimmed.split(separator: "/").last ?? "")
  }
}

/// The folder that holds a split's files, found by searching ``DataDirectories``.
struct LocatedSplit {
  /// Path of the images file.
  var images: String
  /// Path of the labels file, when the set has labels.
  var labels: String?

  /// Finds the split's files: the first folder (in search order) holding the images file, and
  /// the labels file in that same folder.
  ///
  /// - Throws: ``DataSetError/notFound(name:message:)`` listing the folders searched
  ///   and how to get the files; ``GenerativeKitError/file(path:reason:)`` when the images are
  ///   found but their labels file is missing beside them.
  static func locate(
    _ spec: DataSetSpec, split: DataSplitSpec, directory: String?, environment: [String: String]
  ) throws -> LocatedSplit {
    var searched: [String] = []
    for root in DataDirectories.searchList(for: spec.name, directory: directory, environment: environment) {
      for folder in DataDirectories.candidateFolders(for: spec, root: root) {
        searched.append(folder)
        guard let images = DataDirectories.find(split.images, in: folder) else { continue }
        guard let labelsSpec = split.labels else { return LocatedSplit(images: images, labels: nil) }
        guard let labels = DataDirectories.find(labelsSpec, in: folder) else {
          throw GenerativeKitError.file(
            path: DataDirectories.join(folder, labelsSpec.fileName),
            reason: "missing: the labels file must sit beside \(images) (found \(spec.name)'s images but not its labels)")
        }
        return LocatedSplit(images: images, labels: labels)
      }
    }
    let cache = DataDirectories.join(DataDirectories.cacheDirectory(environment: environment), spec.folder)
    let message =
      "Data set \"\(spec.name)\" not found: looked for \(split.images.fileName) (or its uncompressed form) in "
      + searched.joined(separator: ", ") + ". To get the files, " + spec.howToGet.replacingOccurrences(of: "{cache}", with: cache)
      + ". A folder of your own can also be passed as `directory:` or set in \(DataDirectories.environmentVariable)."
    throw DataSetError.notFound(name: spec.name.rawValue, message: message)
  }
}
