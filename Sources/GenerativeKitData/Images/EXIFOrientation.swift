import GenerativeKit

// Cameras and phones store photos as the sensor saw them and record how to turn them upright in
// the EXIF "Orientation" tag; libjpeg ignores it. Without it a folder of phone photos loads
// partly sideways, so the JPEG decoder reads the tag and turns the image.

/// The eight EXIF orientations: how the stored pixels must be transformed to show the picture
/// upright (TIFF tag 0x0112).
enum EXIFOrientation: Int {
  case upright = 1
  case mirrored = 2  // mirror left-right
  case upsideDown = 3  // rotate 180
  case flipped = 4  // mirror top-bottom
  case transposed = 5  // mirror along the top-left to bottom-right diagonal
  case rotatedClockwise = 6  // rotate 90 clockwise to view
  case transversed = 7  // mirror along the other diagonal
  case rotatedCounterclockwise = 8  // rotate 90 counter-clockwise to view

  /// The orientation recorded in a JPEG file's EXIF (APP1) segment, or nil when there is none or
  /// it cannot be read. Only the markers before the image data are looked at.
  init?(jpeg data: [UInt8]) {
    guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { return nil }
    var offset = 2
    while offset + 4 <= data.count {
      guard data[offset] == 0xFF else { return nil }
      let marker = data[offset + 1]
      if marker == 0xFF {  // fill byte
        offset += 1
        continue
      }
      if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image: no EXIF before
      if marker == 0x01 || (0xD0...0xD7).contains(marker) {
        offset += 2
        continue
      }
      let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
      guard length >= 2, offset + 2 + length <= data.count else { return nil }
      let segment = (offset + 4)..<(offset + 2 + length)
      if marker == 0xE1, data[segment].starts(with: Array("Exif\0\0".utf8)) {
        guard let value = Self.orientationTag(inTIFF: data, at: segment.lowerBound + 6, end: segment.upperBound)
        else { return nil }
        self.init(rawValue: value)
        return
      }
      offset += 2 + length
    }
    return nil
  }

  /// The Orientation entry of IFD0 of the TIFF structure at `start..<end`.
  private static func orientationTag(inTIFF data: [UInt8], at start: Int, end: Int) -> Int? {
    guard start + 8 <= end else { return nil }
    let littleEndian: Bool
    switch (data[start], data[start + 1]) {
    case (0x49, 0x49): littleEndian = true  // "II"
    case (0x4D, 0x4D): littleEndian = false  // "MM"
    default: return nil
    }
    func read(_ at: Int, _ size: Int) -> Int? {
      guard at >= start, at + size <= end else { return nil }
      var value = 0
      for i in 0..<size {
        let byte = Int(data[littleEndian ? at + size - 1 - i : at + i])
        value = value << 8 | byte
      }
      return value
    }
    guard read(start + 2, 2) == 42, let ifd = read(start + 4, 4), let count = read(start + ifd, 2) else { return nil }
    for index in 0..<count {
      let entry = start + ifd + 2 + 12 * index
      guard let tag = read(entry, 2) else { return nil }
      if tag == 0x0112 {
        guard read(entry + 2, 2) == 3 else { return nil }  // SHORT
        return read(entry + 8, 2)
      }
    }
    return nil
  }

  /// Whether width and height swap.
  var swapsAxes: Bool { rawValue >= 5 }
}

extension PixelImage {
  /// The image turned upright according to an EXIF orientation.
  func applying(_ orientation: EXIFOrientation) -> PixelImage {
    if orientation == .upright { return self }
    let (w, h) = (width, height)
    let (outWidth, outHeight) = orientation.swapsAxes ? (h, w) : (w, h)
    let channels = channelCount
    var result = [UInt8](repeating: 0, count: pixels.count)
    pixels.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            // The source pixel shown at (x, y) of the upright picture.
            let (sx, sy): (Int, Int)
            switch orientation {
            case .upright: (sx, sy) = (x, y)
            case .mirrored: (sx, sy) = (w - 1 - x, y)
            case .upsideDown: (sx, sy) = (w - 1 - x, h - 1 - y)
            case .flipped: (sx, sy) = (x, h - 1 - y)
            case .transposed: (sx, sy) = (y, x)
            case .rotatedClockwise: (sx, sy) = (y, h - 1 - x)
            case .transversed: (sx, sy) = (w - 1 - y, h - 1 - x)
            case .rotatedCounterclockwise: (sx, sy) = (w - 1 - y, x)
            }
            let s = (sy * w + sx) * channels
            let t = (y * outWidth + x) * channels
            for c in 0..<channels { target[t + c] = source[s + c] }
          }
        }
      }
    }
    return PixelImage(width: outWidth, height: outHeight, color: color, pixels: result)
  }
}
