import GenerativeKit

/// The colour model of an 8-bit image: one gray byte or three RGB bytes per pixel.
public enum ColorMode: Int, Sendable, Equatable, CustomStringConvertible {
  /// One byte per pixel (0 = black, 255 = white).
  case gray = 1
  /// Three bytes per pixel, red, green, blue (sRGB as stored in the file).
  case rgb = 3

  /// Bytes per pixel, which is also the `C` of a `[C, H, W]` tensor.
  public var channelCount: Int { rawValue }

  /// The mode with `channels` channels, or nil unless `channels` is 1 or 3.
  public init?(channelCount channels: Int) {
    self.init(rawValue: channels)
  }

  public var description: String { self == .gray ? "gray" : "RGB" }
}

/// An 8-bit sRGB colour, for backgrounds and padding.
public struct PixelColor: Sendable, Equatable, Hashable {
  public var red: UInt8
  public var green: UInt8
  public var blue: UInt8

  public init(red: UInt8, green: UInt8, blue: UInt8) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// A gray level (0 black, 255 white).
  public static func gray(_ level: UInt8) -> PixelColor { PixelColor(red: level, green: level, blue: level) }
  public static let black = PixelColor.gray(0)
  public static let white = PixelColor.gray(255)

  /// Whether red, green and blue are equal, so a gray image can show this colour.
  public var isGray: Bool { red == green && green == blue }

  /// The colour's bytes in `mode`: `[luma]` for gray, `[r, g, b]` for RGB.
  public func bytes(in mode: ColorMode) -> [UInt8] {
    mode == .rgb ? [red, green, blue] : [PixelImage.luma(red: red, green: green, blue: blue)]
  }
}

/// An 8-bit image in memory: the common currency between decoders (PNG, JPEG), the PNG writer,
/// image grids and tensors.
///
/// `pixels` holds `height` rows, top row first, of `width` pixels, left to right, each of
/// ``ColorMode/channelCount`` bytes (interleaved: `r, g, b, r, g, b, ...`). As a tensor the same
/// image is `[C, H, W]` (planar), see ``init(tensor:range:)`` and ``tensor(range:)``.
public struct PixelImage: Sendable, Equatable {
  /// Columns, at least 1.
  public let width: Int
  /// Rows, at least 1.
  public let height: Int
  /// Gray or RGB.
  public let color: ColorMode
  /// `height * width * color.channelCount` bytes, row-major, channels interleaved.
  public private(set) var pixels: [UInt8]

  /// An image from raw interleaved bytes; `pixels.count` must be `width * height * channels`.
  public init(width: Int, height: Int, color: ColorMode, pixels: [UInt8]) {
    enforce(width >= 1 && height >= 1, "PixelImage: size \(width)x\(height) must be at least 1x1")
    enforce(
      pixels.count == width * height * color.channelCount,
      "PixelImage \(width)x\(height) \(color): needs \(width * height * color.channelCount) bytes, got \(pixels.count)")
    self.width = width
    self.height = height
    self.color = color
    self.pixels = pixels
  }

  /// An image filled with one colour (its luma when `color` is gray).
  public init(width: Int, height: Int, color: ColorMode, fill: PixelColor) {
    let pixel = fill.bytes(in: color)
    var pixels = [UInt8]()
    pixels.reserveCapacity(width * height * pixel.count)
    for _ in 0..<(width * height) { pixels.append(contentsOf: pixel) }
    self.init(width: width, height: height, color: color, pixels: pixels)
  }

  /// Bytes per pixel.
  public var channelCount: Int { color.channelCount }

  /// The byte of `channel` at column `x`, row `y` (row 0 is the top).
  public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
    get { pixels[index(x: x, y: y, channel: channel)] }
    set { pixels[index(x: x, y: y, channel: channel)] = newValue }
  }

  /// The gray level at (x, y) of a gray image, or channel 0 of an RGB one.
  public subscript(x: Int, y: Int) -> UInt8 {
    get { self[x, y, 0] }
  }

  @inline(__always)
  private func index(x: Int, y: Int, channel: Int) -> Int {
    enforce(
      x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channelCount,
      "PixelImage \(width)x\(height) \(color): pixel (\(x), \(y)) channel \(channel) out of range")
    return (y * width + x) * channelCount + channel
  }
}

// MARK: - Colour conversion

extension PixelImage {
  /// Rec. 601 luma of sRGB-encoded bytes, `0.299 R + 0.587 G + 0.114 B`, rounded (the usual
  /// "convert to grayscale" of image tools; no linearisation).
  @inline(__always)
  public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
    let weighted: Int = 299 * Int(red) + 587 * Int(green) + 114 * Int(blue)
    return UInt8((weighted + 500) / 1000)
  }

  /// This image in `mode`: RGB to gray takes the luma, gray to RGB repeats the level.
  public func converted(to mode: ColorMode) -> PixelImage {
    if mode == color { return self }
    let count = width * height
    var result = [UInt8](repeating: 0, count: count * mode.channelCount)
    pixels.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        if mode == .gray {
          for i in 0..<count {
            target[i] = Self.luma(red: source[3 * i], green: source[3 * i + 1], blue: source[3 * i + 2])
          }
        } else {
          for i in 0..<count {
            let level = source[i]
            target[3 * i] = level
            target[3 * i + 1] = level
            target[3 * i + 2] = level
          }
        }
      }
    }
    return PixelImage(width: width, height: height, color: mode, pixels: result)
  }
}
