import GenerativeKit

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

  /// Maps a value in [0, 1] to this range.
  @inline(__always)
  public func fromUnit(_ value: Float) -> Float {
    switch self {
    case .unit: return value
    case .symmetric: return 2 * value - 1
    }
  }

  public var description: String { self == .unit ? "[0, 1]" : "[-1, 1]" }
}

/// Images in memory, ready for training: every data set (IDX files, a folder of photos) loads
/// into one of these.
///
/// Sets read from 8-bit files (MNIST, Frey, Olivetti) keep their pixels as bytes, a quarter of the
/// memory of Float32 (47 MB instead of 188 MB for MNIST's training images), and scale them to
/// ``pixelRange`` whenever images are read: ``images(in:)`` and the ``DataLoader`` convert only
/// what they return. ``images`` converts the whole set on every access, so take it once.
public struct ImageDataSet: Sendable {
  /// A short name for messages and reports (`"mnist/train"`).
  public var name: String
  /// One label per image where the set has them (digit, subject), otherwise nil.
  public var labels: [Int]?
  /// The files the set was read from (images, then labels), when it was read from files; kept by
  /// ``prefix(_:)`` and ``rescaled(to:)``, so a run's log can name what it trained on.
  public var sourceFiles: [String] = []
  /// The range the pixels are scaled to (``rescaled(to:)`` gives the set in another range).
  public private(set) var pixelRange: PixelRange
  private var storage: Storage
  /// `[N, C, H, W]`.
  private let shape: [Int]

  private enum Storage: Sendable {
    case floats(Tensor)
    /// Row-major `[N, C, H, W]` bytes, and the Float each byte value reads as in ``pixelRange``.
    case bytes([UInt8], table: [Float])
  }

  public init(name: String, images: Tensor, labels: [Int]? = nil, pixelRange: PixelRange) {
    Self.check(name: name, shape: images.shape, labels: labels)
    self.name = name
    self.storage = .floats(images)
    self.shape = images.shape
    self.labels = labels
    self.pixelRange = pixelRange
  }

  /// A set kept as 8-bit pixels (`shape` `[N, C, H, W]`, row-major), scaled to `pixelRange` as
  /// images are read.
  public init(name: String, pixels: [UInt8], shape: [Int], labels: [Int]? = nil, pixelRange: PixelRange) {
    Self.check(name: name, shape: shape, labels: labels)
    enforce(pixels.count == Tensor.count(of: shape),
                 "ImageDataSet \(name): \(pixels.count) pixels for shape \(Tensor.describe(shape: shape))")
    self.name = name
    self.storage = .bytes(pixels, table: pixelRange.byteTable)
    self.shape = shape
    self.labels = labels
    self.pixelRange = pixelRange
  }

  private static func check(name: String, shape: [Int], labels: [Int]?) {
    enforce(shape.count == 4, "ImageDataSet \(name): images must be [N, C, H, W], got \(Tensor.describe(shape: shape))")
    enforce(labels == nil || labels!.count == shape[0],
                 "ImageDataSet \(name): \(labels!.count) labels for \(shape[0]) images")
  }

  /// All images, `[N, C, H, W]`, scaled to ``pixelRange``. For a set kept as bytes this converts
  /// the whole set on every access (use ``images(in:)`` for a part); setting it stores Floats.
  public var images: Tensor {
    get {
      switch storage {
      case .floats(let tensor): return tensor
      case .bytes: return images(in: 0..<count)
      }
    }
    set {
      enforce(newValue.shape == shape, "ImageDataSet \(name): new images \(newValue.shapeDescription) must keep "
                     + "the shape \(Tensor.describe(shape: shape))")
      storage = .floats(newValue)
    }
  }

  /// Whether the pixels are kept as bytes (see the type's discussion).
  public var isCompact: Bool {
    if case .bytes = storage { return true }
    return false
  }

  /// The number of images.
  public var count: Int { shape[0] }
  /// `[C, H, W]` of one image.
  public var imageShape: [Int] { Array(shape.dropFirst()) }
  /// Floats per image.
  var imageSize: Int { shape[1] * shape[2] * shape[3] }

  /// Images `range` (`[range.count, C, H, W]`), scaled to ``pixelRange``.
  public func images(in range: Range<Int>) -> Tensor {
    enforce(range.lowerBound >= 0 && range.upperBound <= count,
                 "ImageDataSet \(name): images \(range) out of 0..<\(count)")
    switch storage {
    case .floats(let tensor):
      return tensor.slice(batch: range)
    case .bytes:
      var result = Tensor(uninitializedShape: [range.count] + imageShape)
      let target = result.mutablePointer()
      for (position, index) in range.enumerated() {
        copyImage(index, into: target + position * imageSize, mirrored: false)
      }
      return result
    }
  }

  /// Writes image `index`, scaled to ``pixelRange`` and optionally mirrored left-right, into
  /// `target` (``imageSize`` floats).
  func copyImage(_ index: Int, into target: UnsafeMutablePointer<Float>, mirrored: Bool) {
    let (width, rows, size) = (shape[3], shape[1] * shape[2], imageSize)
    switch storage {
    case .floats(let tensor):
      tensor.withUnsafeBufferPointer { all in
        let source = all.baseAddress! + index * size
        if mirrored {
          for row in 0..<rows {
            let (from, to) = (source + row * width, target + row * width)
            for x in 0..<width { to[x] = from[width - 1 - x] }
          }
        } else {
          target.update(from: source, count: size)
        }
      }
    case .bytes(let pixels, let table):
      pixels.withUnsafeBufferPointer { all in
        table.withUnsafeBufferPointer { lookup in
          let (source, map) = (all.baseAddress! + index * size, lookup.baseAddress!)
          if mirrored {
            for row in 0..<rows {
              let (from, to) = (source + row * width, target + row * width)
              for x in 0..<width { to[x] = map[Int(from[width - 1 - x])] }
            }
          } else {
            for i in 0..<size { target[i] = map[Int(source[i])] }
          }
        }
      }
    }
  }

  /// The same images scaled to `range` instead: a compact set keeps its bytes and only reads them
  /// differently; a Float set is converted (`x` in [0, 1] becomes `2x - 1` and back).
  public func rescaled(to range: PixelRange) -> ImageDataSet {
    guard range != pixelRange else { return self }
    switch storage {
    case .bytes(let pixels, _):
      var copy = self
      copy.pixelRange = range
      copy.storage = .bytes(pixels, table: range.byteTable)
      return copy
    case .floats(let tensor):
      let from = pixelRange
      var rescaled = ImageDataSet(name: name, images: tensor.map { range.fromUnit(from.toUnit($0)) }, labels: labels,
                                  pixelRange: range)
      rescaled.sourceFiles = sourceFiles
      return rescaled
    }
  }

  /// The first `n` images (all of them when `n` is larger), for quick runs.
  public func prefix(_ n: Int) -> ImageDataSet {
    let kept = min(max(n, 0), count)
    let keptLabels = labels.map { Array($0.prefix(kept)) }
    var subset: ImageDataSet
    switch storage {
    case .floats(let tensor):
      subset = ImageDataSet(name: name, images: tensor.slice(batch: 0..<kept), labels: keptLabels, pixelRange: pixelRange)
    case .bytes(let pixels, _):
      subset = ImageDataSet(name: name, pixels: Array(pixels[0..<(kept * imageSize)]), shape: [kept] + imageShape,
                           labels: keptLabels, pixelRange: pixelRange)
    }
    subset.sourceFiles = sourceFiles
    return subset
  }
}

extension PixelRange {
  /// ``scale(_:)`` for every byte value, so a conversion is one lookup per pixel.
  var byteTable: [Float] { (0..<256).map { scale(UInt8($0)) } }
}
