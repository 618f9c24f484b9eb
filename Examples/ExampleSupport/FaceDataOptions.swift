import ArgumentParser
import Foundation
import GenerativeKit
import GenerativeKitData

/// Where the face examples get their images: a named face set, or a folder of the user's photos.
public struct FaceDataOptions: ParsableArguments {
  @Option(help: "Face set: frey-faces (28 x 20), olivetti-faces (64 x 64) or orl-faces (112 x 92).")
  public var dataSet = "frey-faces"

  @Option(help: "Train on a folder of your own PNG or JPEG photos instead (center-cropped, resized).")
  public var images: String?

  @Option(parsing: .unconditional, help: "With --images: the side the photos are resized to (a multiple of 4 up to 512; 64 uses DCGAN-64).")
  public var imageSize = 64

  @Flag(help: "With --images: keep colour (RGB) instead of converting to gray.")
  public var color = false

  public init() {}

  public func validate() throws {
    guard ["frey-faces", "olivetti-faces", "orl-faces"].contains(dataSet) else {
      throw ValidationError("--data-set must be frey-faces, olivetti-faces or orl-faces, got \(dataSet)")
    }
    guard (8...512).contains(imageSize), imageSize % 4 == 0 else {
      throw ValidationError("--image-size must be a multiple of 4 from 8 to 512, got \(imageSize)")
    }
    if let images { try ArgumentChecks.checkExistingFolder(images, "--images") }
    if images == nil {
      // Flags that only shape a folder of photos would otherwise be ignored without a word.
      let arguments = CommandLine.arguments.dropFirst()
      for flag in ["--image-size", "--color"] where arguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) {
        throw ValidationError("\(flag) applies to --images (a folder of your own photos); the named face sets have their own size and colours")
      }
    }
  }

  /// The training images scaled to `pixelRange`, with `--limit` applied.
  public func load(_ common: TrainingOptions, pixelRange: PixelRange) throws -> ImageDataSet {
    var data: ImageDataSet
    if let images {
      let folder = ImageFolder(directory: URL(fileURLWithPath: images), imageSize: imageSize,
                               color: color ? .rgb : .gray, pixelRange: pixelRange, recursive: true)
      data = try folder.load(report: ImageFolder.reportToStandardError(folder: images)).dataSet
      if let limit = common.limit { data = data.prefix(limit) }
      print("data: \(data.count) photos from \(images) as \(Tensor.describe(shape: data.imageShape)), pixels in \(pixelRange)")
    } else {
      data = try common.loadData(DataSetName(rawValue: dataSet)!, pixelRange: pixelRange)
    }
    return data
  }
}

extension ImageDataSet {
  /// The number of classes for a conditional model of this set (its largest label + 1), or an
  /// error naming the set when it has no labels (Olivetti and ORL label their 40 subjects; Frey
  /// faces and image folders have none).
  public func conditionalClassCount() throws -> Int {
    guard let labels, let largest = labels.max() else {
      throw ValidationError("--conditional needs labels, and \(name) has none (olivetti-faces and orl-faces label their subjects)")
    }
    return largest + 1
  }
}
