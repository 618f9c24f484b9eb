import Foundation
import GenerativeKit

/// Tiles a batch of images into one picture: generated samples, reconstructions next to their
/// inputs, interpolations.
///
/// Tiles are placed row by row, left to right, `padding` pixels apart, with `padding` pixels of
/// background around the outside as well. Each tile can be enlarged by an integer `scale`
/// (nearest neighbour, so 28x28 digits stay crisp); padding is in output pixels and not scaled.
/// Unused cells of the last row show the background.
///
/// ```swift
/// let samples = generator(noise)                            // [64, 1, 28, 28] in [-1, 1]
/// try ImageGrid(scale: 2).write(samples, range: .symmetric, to: url)
/// try ImageGrid.strip().write(interpolation, range: .unit, to: url2)  // one row
/// ```
public struct ImageGrid: Sendable, Equatable {
  /// How many tiles go in a row.
  public enum Columns: Sendable, Equatable {
    /// `ceil(sqrt(N))` columns, so the grid is about square.
    case nearSquare
    /// A fixed number of columns (at least 1); rows are added as needed.
    case fixed(Int)
    /// All N images in one row (a strip).
    case singleRow
  }

  /// How many tiles go in a row.
  public var columns: Columns
  /// Background pixels between tiles and around the border, at least 0.
  public var padding: Int
  /// The colour of padding and empty cells. With gray images and a non-gray colour the grid
  /// becomes RGB.
  public var background: PixelColor
  /// Each tile is enlarged this many times (nearest neighbour), at least 1.
  public var scale: Int

  public init(columns: Columns = .nearSquare, padding: Int = 2, background: PixelColor = .gray(128), scale: Int = 1) {
    self.columns = columns
    self.padding = padding
    self.background = background
    self.scale = scale
  }

  /// A grid with all images in one row, e.g. for an interpolation between two latent points.
  public static func strip(padding: Int = 2, background: PixelColor = .gray(128), scale: Int = 1) -> ImageGrid {
    ImageGrid(columns: .singleRow, padding: padding, background: background, scale: scale)
  }

  /// The number of columns and rows for `count` images.
  public func layout(count: Int) -> (columns: Int, rows: Int) {
    guard count > 0 else { return (0, 0) }
    let columnCount: Int
    switch columns {
    case .nearSquare:
      var c = Int(Double(count).squareRoot().rounded(.down))
      while c * c < count { c += 1 }
      columnCount = c
    case .fixed(let c): columnCount = c
    case .singleRow: columnCount = count
    }
    return (columnCount, (count + columnCount - 1) / columnCount)
  }

  /// The top-left corner, in output pixels, of the tile of image `index` when tiles are
  /// `tileWidth x tileHeight` (after scaling) in a grid of `columnCount` columns.
  public func origin(ofTile index: Int, columnCount: Int, tileWidth: Int, tileHeight: Int) -> (x: Int, y: Int) {
    let (row, column) = index.quotientAndRemainder(dividingBy: columnCount)
    return (padding + column * (tileWidth + padding), padding + row * (tileHeight + padding))
  }

  /// The grid of `images`, `[N, C, H, W]` with C = 1 (gray) or 3 (RGB) and values in `range`
  /// (clamped; NaN shows as black).
  ///
  /// - Returns: an image of `columns * W * scale + (columns + 1) * padding` by
  ///   `rows * H * scale + (rows + 1) * padding` pixels; gray when C = 1 and the background is
  ///   gray, otherwise RGB.
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` for other shapes or
  ///   N = 0, `GenerativeKitError/invalidArgument(_:)` for a negative padding, a scale or fixed
  ///   column count below 1.
  public func render(_ images: Tensor, range: PixelRange) throws -> PixelImage {
    let shape = images.shape
    guard shape.count == 4, shape[0] >= 1, let sourceColor = ColorMode(channelCount: shape[1]), shape[2] >= 1,
      shape[3] >= 1
    else {
      throw GenerativeKitError.shapeMismatch(
        context: "ImageGrid.render: a batch of gray or RGB images", expected: "[N >= 1, 1 or 3, H, W]", actual: shape)
    }
    try validate()
    let (count, height, width) = (shape[0], shape[2], shape[3])
    let tiles: [PixelImage] = images.withUnsafeBufferPointer { buffer in
      let itemSize = sourceColor.channelCount * height * width
      return (0..<count).map { n in
        PixelImage.fromPlanar(
          UnsafeBufferPointer(rebasing: buffer[(n * itemSize)..<((n + 1) * itemSize)]),
          color: sourceColor, height: height, width: width, range: range)
      }
    }
    return compose(tiles)
  }

  /// The grid of images that all have the same size and colour mode (see
  /// ``render(_:range:)`` for the layout).
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` when `tiles` is empty or the sizes or
  ///   colour modes differ, or for invalid settings.
  public func render(_ tiles: [PixelImage]) throws -> PixelImage {
    guard let first = tiles.first else {
      throw GenerativeKitError.invalidArgument("ImageGrid.render: no images given")
    }
    if let odd = tiles.firstIndex(where: {
      $0.width != first.width || $0.height != first.height || $0.color != first.color
    }) {
      let other = tiles[odd]
      throw GenerativeKitError.invalidArgument(
        "ImageGrid.render: image \(odd) is \(other.width)x\(other.height) \(other.color), "
          + "image 0 is \(first.width)x\(first.height) \(first.color); all must match")
    }
    try validate()
    return compose(tiles)
  }

  /// Renders `images` (see ``render(_:range:)``) and writes the grid as a PNG file, atomically.
  ///
  /// - Throws: as ``render(_:range:)``, and `GenerativeKitError/file(path:reason:)` when the
  ///   file cannot be written.
  public func write(_ images: Tensor, range: PixelRange, to url: URL) throws {
    try PNG.write(render(images, range: range), to: url)
  }

  // MARK: - Details

  private func validate() throws {
    guard padding >= 0 else {
      throw GenerativeKitError.invalidArgument("ImageGrid: padding must be 0 or more, got \(padding)")
    }
    guard scale >= 1 else {
      throw GenerativeKitError.invalidArgument("ImageGrid: scale must be 1 or more, got \(scale)")
    }
    if case .fixed(let c) = columns, c < 1 {
      throw GenerativeKitError.invalidArgument("ImageGrid: columns must be 1 or more, got \(c)")
    }
  }

  /// Lays out tiles known to be non-empty and alike.
  private func compose(_ tiles: [PixelImage]) -> PixelImage {
    let first = tiles[0]
    let color: ColorMode = first.color == .gray && background.isGray ? .gray : .rgb
    let channels = color.channelCount
    let (columnCount, rowCount) = layout(count: tiles.count)
    let tileWidth = first.width * scale
    let tileHeight = first.height * scale
    let width = columnCount * tileWidth + (columnCount + 1) * padding
    let height = rowCount * tileHeight + (rowCount + 1) * padding
    var canvas = PixelImage(width: width, height: height, color: color, fill: background).pixels

    canvas.withUnsafeMutableBufferPointer { target in
      for (index, tile) in tiles.enumerated() {
        let (x0, y0) = origin(ofTile: index, columnCount: columnCount, tileWidth: tileWidth, tileHeight: tileHeight)
        let source = tile.converted(to: color)
        source.pixels.withUnsafeBufferPointer { pixels in
          for y in 0..<tileHeight {
            let sourceRow = (y / scale) * first.width
            let targetRow = ((y0 + y) * width + x0) * channels
            for x in 0..<tileWidth {
              let s = (sourceRow + x / scale) * channels
              let t = targetRow + x * channels
              for c in 0..<channels { target[t + c] = pixels[s + c] }
            }
          }
        }
      }
    }
    return PixelImage(width: width, height: height, color: color, pixels: canvas)
  }
}
