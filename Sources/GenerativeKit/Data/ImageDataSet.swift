/// How pixel values are scaled when a data set is loaded.
public enum PixelRange: Sendable, Equatable, CustomStringConvertible {
  /// `pixel / 255`: the range a sigmoid decoder produces (the VAE).
  case unit
  /// `pixel / 127.5 - 1`: the range a tanh generator produces (the GAN).
  case symmetric

  /// Maps a byte to this range.
  @inline(__always)
  public func scale(_ byte: UInt8) -> Float {
    switch self {
    case .unit: return Float(byte) / 255
    case .symmetric: return Float(byte) / 127.5 - 1
    }
  }

  /// Maps a value in this range back to [0, 1].
  @inline(__always)
  public func toUnit(_ value: Float) -> Float {
    switch self {
    case .unit: return value
    case .symmetric: return (value + 1) / 2
    }
  }

  public var description: String { self == .unit ? "[0, 1]" : "[-1, 1]" }
}

/// Images in memory, ready for training: every data set (IDX files, a folder of photos) loads
/// into one of these.
public struct ImageDataSet {
  /// A short name for messages and reports (`"mnist/train"`).
  public var name: String
  /// `[N, C, H, W]`, scaled to ``pixelRange``.
  public var images: Tensor
  /// One label per image where the set has them (digit, subject), otherwise nil.
  public var labels: [Int]?
  /// The range the pixels were scaled to.
  public var pixelRange: PixelRange

  public init(name: String, images: Tensor, labels: [Int]? = nil, pixelRange: PixelRange) {
    precondition(images.rank == 4, "ImageDataSet \(name): images must be [N, C, H, W], got \(images.shapeDescription)")
    precondition(labels == nil || labels!.count == images.shape[0],
                 "ImageDataSet \(name): \(labels!.count) labels for \(images.shape[0]) images")
    self.name = name
    self.images = images
    self.labels = labels
    self.pixelRange = pixelRange
  }

  /// The number of images.
  public var count: Int { images.shape[0] }
  /// `[C, H, W]` of one image.
  public var imageShape: [Int] { Array(images.shape.dropFirst()) }

  /// The first `n` images (all of them when `n` is larger), for quick runs.
  public func prefix(_ n: Int) -> ImageDataSet {
    let kept = min(max(n, 0), count)
    return ImageDataSet(name: name, images: images.slice(batch: 0..<kept), labels: labels.map { Array($0.prefix(kept)) },
                        pixelRange: pixelRange)
  }
}
