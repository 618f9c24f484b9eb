import Foundation
import GenerativeKit

/// A folder of the user's own PNG and JPEG images, loaded as an ``ImageDataSet`` of equal-sized
/// squares.
///
/// Every file whose name ends in `.png`, `.jpg` or `.jpeg` (any case) is decoded (by content, so
/// a PNG named `.jpg` still loads; JPEGs are turned upright by their EXIF orientation, transparent
/// PNG pixels are composited onto black), converted to ``ColorMode/gray`` or ``ColorMode/rgb``,
/// centre-cropped to a square (``PixelImage/centerCroppedToSquare()``) and resized to
/// `imageSize x imageSize` by area averaging (``PixelImage/resized(width:height:)``). Hidden
/// files (names starting with `.`) and other extensions are ignored. Files are loaded in the order
/// of their paths relative to the folder.
///
/// A file that cannot be read is skipped and reported (``Event/skipped(_:)``); it does not stop the
/// run. The result lists every skipped file with the reason.
///
/// ```swift
/// let folder = ImageFolder(directory: URL(fileURLWithPath: "faces"), imageSize: 64, color: .gray)
/// let loaded = try folder.load()           // skipped files are printed to stderr
/// print(loaded.skipped.map(\.name))        // ["broken.jpg"]
/// let data = loaded.dataSet                // images [N, 1, 64, 64] in [-1, 1]
/// ```
public struct ImageFolder: Sendable {
  /// A file that was skipped, and why.
  public struct SkippedFile: Sendable, Equatable, CustomStringConvertible {
    /// The path relative to the folder (`"cats/07.jpg"`).
    public var name: String
    /// What was wrong, e.g. `"damaged PNG: Not enough image data"`.
    public var reason: String

    public init(name: String, reason: String) {
      self.name = name
      self.reason = reason
    }

    public var description: String { "\(name): \(reason)" }
  }

  /// Progress reported while loading.
  public enum Event: Sendable, Equatable {
    /// File `index` (0-based) of `total` was loaded.
    case loaded(name: String, index: Int, total: Int)
    /// A file could not be read and was skipped.
    case skipped(SkippedFile)
    /// Loading ended with `loaded` images and `skipped` files left out.
    case finished(loaded: Int, skipped: Int)
  }

  /// What ``load(report:)`` returns.
  public struct Contents {
    /// The images, `[N, C, imageSize, imageSize]`, in file order; no labels.
    public var dataSet: ImageDataSet
    /// The paths, relative to the folder, of the images in `dataSet`, in order.
    public var files: [String]
    /// The files that could not be read.
    public var skipped: [SkippedFile]
  }

  /// The folder to read.
  public var directory: URL
  /// The side of the square every image is resized to.
  public var imageSize: Int
  /// Gray (luma of RGB files) or RGB (gray files repeated in three channels).
  public var color: ColorMode
  /// The range pixels are scaled to: ``PixelRange/unit`` for a sigmoid decoder (VAE),
  /// ``PixelRange/symmetric`` for a tanh generator (GAN).
  public var pixelRange: PixelRange
  /// Whether images in subfolders are loaded too.
  public var recursive: Bool
  /// Larger images are skipped before their pixels are decoded.
  public var maxPixels: Int

  public init(
    directory: URL, imageSize: Int, color: ColorMode = .rgb, pixelRange: PixelRange = .symmetric,
    recursive: Bool = false, maxPixels: Int = PixelImage.defaultMaxPixels
  ) {
    self.directory = directory
    self.imageSize = imageSize
    self.color = color
    self.pixelRange = pixelRange
    self.recursive = recursive
    self.maxPixels = maxPixels
  }

  /// The file name extensions that are loaded (compared in lower case).
  public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

  /// The default reporter: one line on standard error for each skipped file and, when any were
  /// skipped, a count at the end.
  public static func reportToStandardError(folder: String) -> @Sendable (Event) -> Void {
    { event in
      switch event {
      case .skipped(let file):
        FileHandle.standardError.write(Data("ImageFolder \(folder): skipped \(file.name): \(file.reason)\n".utf8))
      case .finished(let loaded, let skipped) where skipped > 0:
        FileHandle.standardError.write(
          Data("ImageFolder \(folder): loaded \(loaded) images, skipped \(skipped) unreadable files\n".utf8))
      default:
        break
      }
    }
  }

  /// The paths, relative to ``directory``, of the image files to load, sorted.
  ///
  /// - Throws: `GenerativeKitError/file(path:reason:)` when the folder is missing or unreadable.
  public func imageFiles() throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
      throw GenerativeKitError.file(path: directory.path, reason: "no such folder")
    }
    guard isDirectory.boolValue else {
      throw GenerativeKitError.file(path: directory.path, reason: "not a folder (ImageFolder needs a folder of images)")
    }
    let names: [String]
    if recursive {
      guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else {
        throw GenerativeKitError.file(path: directory.path, reason: "cannot list the folder")
      }
      var found = [String]()
      while let name = enumerator.nextObject() as? String {
        let last = (name as NSString).lastPathComponent
        if last.hasPrefix(".") {
          // Hidden folders are not entered.
          if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
            enumerator.skipDescendants()
          }
          continue
        }
        found.append(name)
      }
      names = found
    } else {
      do {
        names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
      } catch {
        throw GenerativeKitError.file(
          path: directory.path, reason: "cannot list the folder: \(ImageFileIO.reasonText(for: error))")
      }
    }
    return names.filter { name in
      let ext = (name as NSString).pathExtension.lowercased()
      guard Self.extensions.contains(ext) else { return false }
      var isFolder: ObjCBool = false
      let exists = FileManager.default.fileExists(
        atPath: directory.appendingPathComponent(name).path, isDirectory: &isFolder)
      return exists && !isFolder.boolValue
    }.sorted()
  }

  /// Loads every image (see the type's documentation), skipping unreadable files.
  ///
  /// - Parameter report: called for each loaded and skipped file and once at the end; the default
  ///   prints skipped files and the final count to standard error.
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` for an `imageSize` below 1;
  ///   `GenerativeKitError/file(path:reason:)` naming the folder when it is missing, holds no
  ///   PNG or JPEG files, or none of them could be read (the message lists them).
  public func load(report: ((Event) -> Void)? = nil) throws -> Contents {
    guard imageSize >= 1 else {
      throw GenerativeKitError.invalidArgument(
        "ImageFolder \(directory.path): imageSize must be 1 or more, got \(imageSize)")
    }
    let report = report ?? Self.reportToStandardError(folder: directory.path)
    let names = try imageFiles()
    guard !names.isEmpty else {
      throw GenerativeKitError.file(
        path: directory.path,
        reason: "contains no PNG or JPEG files (looked for names ending in .png, .jpg or .jpeg"
          + (recursive ? ", in subfolders too)" : "; subfolders not searched: use recursive: true)"))
    }

    var loaded = [PixelImage]()
    var files = [String]()
    var skipped = [SkippedFile]()
    for (index, name) in names.enumerated() {
      let url = directory.appendingPathComponent(name)
      do {
        let image = try PixelImage(contentsOf: url, maxPixels: maxPixels)
          .converted(to: color)
          .centerCroppedToSquare()
          .resized(width: imageSize, height: imageSize)
        loaded.append(image)
        files.append(name)
        report(.loaded(name: name, index: index, total: names.count))
      } catch {
        let reason: String
        if case .file(_, let why)? = error as? GenerativeKitError { reason = why } else { reason = "\(error)" }
        let file = SkippedFile(name: name, reason: reason)
        skipped.append(file)
        report(.skipped(file))
      }
    }
    report(.finished(loaded: loaded.count, skipped: skipped.count))

    guard !loaded.isEmpty else {
      let list = skipped.map(\.description).joined(separator: "; ")
      throw GenerativeKitError.file(
        path: directory.path, reason: "none of the \(names.count) PNG or JPEG files could be read: \(list)")
    }
    let itemSize = color.channelCount * imageSize * imageSize
    var images = Tensor(uninitializedShape: [loaded.count, color.channelCount, imageSize, imageSize])
    images.withUnsafeMutableBufferPointer { buffer in
      for (n, image) in loaded.enumerated() {
        image.writePlanar(
          into: UnsafeMutableBufferPointer(rebasing: buffer[(n * itemSize)..<((n + 1) * itemSize)]), range: pixelRange)
      }
    }
    let dataSet = ImageDataSet(name: directory.lastPathComponent, images: images, pixelRange: pixelRange)
    return Contents(dataSet: dataSet, files: files, skipped: skipped)
  }
}
