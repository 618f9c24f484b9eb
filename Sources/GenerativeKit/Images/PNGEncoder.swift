import CZlib
import Foundation

/// Reading and writing PNG files.
///
/// Writing is done here (8-bit gray or RGB, non-interlaced, per-row adaptive filtering, zlib
/// compression); reading goes through libpng (see ``decode(_:source:maxPixels:background:)``).
public enum PNG {
  /// The eight bytes every PNG file starts with.
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Whether `bytes` start with the PNG signature.
  public static func hasSignature<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    bytes.starts(with: signature)
  }

  /// The PNG file for `image`: 8-bit gray (colour type 0) or RGB (colour type 2).
  ///
  /// - Parameter compressionLevel: zlib level, 0 (store) to 9 (smallest); clamped to that range.
  public static func encode(_ image: PixelImage, compressionLevel: Int = 6) -> [UInt8] {
    var file = signature
    var header = [UInt8]()
    header.appendBigEndian(UInt32(image.width))
    header.appendBigEndian(UInt32(image.height))
    header += [8, image.color == .gray ? 0 : 2, 0, 0, 0]  // depth, colour type, deflate, filter set 0, no interlace
    appendChunk("IHDR", header, to: &file)

    let compressed = deflate(filteredScanlines(image), level: min(9, max(0, compressionLevel)))
    // Several IDAT chunks of at most 1 MiB each; decoders concatenate them.
    let chunkSize = 1 << 20
    var start = 0
    repeat {
      let end = min(compressed.count, start + chunkSize)
      appendChunk("IDAT", compressed[start..<end], to: &file)
      start = end
    } while start < compressed.count
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// Writes `image` as a PNG file, atomically (temporary file, then rename).
  ///
  /// - Throws: ``GenerativeKitError/file(path:reason:)`` when the file cannot be written.
  public static func write(_ image: PixelImage, to url: URL, compressionLevel: Int = 6) throws {
    try ImageFileIO.writeAtomically(encode(image, compressionLevel: compressionLevel), to: url)
  }

  /// Writes one image given as a `[C, H, W]` tensor (C = 1 gray, 3 RGB) with values in `range`
  /// (clamped) as a PNG file, atomically.
  ///
  /// - Throws: ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` for other shapes,
  ///   ``GenerativeKitError/file(path:reason:)`` when the file cannot be written.
  public static func write(_ tensor: Tensor, range: PixelRange, to url: URL) throws {
    try write(PixelImage(tensor: tensor, range: range), to: url)
  }

  // MARK: - Encoding details

  /// Each row prefixed by its filter type byte, the filter chosen per row by the usual heuristic:
  /// the smallest sum of the filtered bytes read as signed values.
  static func filteredScanlines(_ image: PixelImage) -> [UInt8] {
    let bpp = image.channelCount
    let rowLength = image.width * bpp
    var output = [UInt8](repeating: 0, count: image.height * (rowLength + 1))
    var candidate = [UInt8](repeating: 0, count: rowLength)
    var best = [UInt8](repeating: 0, count: rowLength)
    let zeros = [UInt8](repeating: 0, count: rowLength)

    image.pixels.withUnsafeBufferPointer { pixels in
      for y in 0..<image.height {
        let row = UnsafeBufferPointer(rebasing: pixels[(y * rowLength)..<((y + 1) * rowLength)])
        var bestType: UInt8 = 0
        var bestCost = Int.max
        zeros.withUnsafeBufferPointer { zeroRow in
          let previous =
            y == 0 ? zeroRow : UnsafeBufferPointer(rebasing: pixels[((y - 1) * rowLength)..<(y * rowLength)])
          for type: UInt8 in 0...4 {
            var cost = 0
            for i in 0..<rowLength {
              let a = i >= bpp ? row[i - bpp] : 0
              let b = previous[i]
              let c = i >= bpp ? previous[i - bpp] : 0
              let predictor: UInt8
              switch type {
              case 0: predictor = 0
              case 1: predictor = a
              case 2: predictor = b
              case 3: predictor = UInt8((Int(a) + Int(b)) / 2)
              default: predictor = paeth(a, b, c)
              }
              let value = row[i] &- predictor
              candidate[i] = value
              cost += value < 128 ? Int(value) : 256 - Int(value)
              if cost >= bestCost { break }
            }
            if cost < bestCost {
              bestCost = cost
              bestType = type
              swap(&best, &candidate)
            }
          }
        }
        let start = y * (rowLength + 1)
        output[start] = bestType
        output.replaceSubrange((start + 1)...(start + rowLength), with: best)
      }
    }
    return output
  }

  /// The Paeth predictor: whichever of left, up, up-left is closest to `a + b - c`.
  @inline(__always)
  static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
    let p = Int(a) + Int(b) - Int(c)
    let pa = abs(p - Int(a))
    let pb = abs(p - Int(b))
    let pc = abs(p - Int(c))
    if pa <= pb && pa <= pc { return a }
    return pb <= pc ? b : c
  }

  /// A zlib stream (what IDAT holds) of `data`.
  static func deflate(_ data: [UInt8], level: Int) -> [UInt8] {
    var capacity = compressBound(uLong(data.count))
    var output = [UInt8](repeating: 0, count: Int(capacity))
    let status = data.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        compress2(target.baseAddress, &capacity, source.baseAddress, uLong(source.count), Int32(level))
      }
    }
    // compress2 fails only without memory or with a too small buffer, which compressBound rules out.
    enforce(status == Z_OK, "PNG: zlib compress2 failed with status \(status)")
    output.removeLast(output.count - Int(capacity))
    return output
  }

  /// Appends length, type, data and CRC-32 (over type and data) of one chunk.
  static func appendChunk<Data: Collection>(_ type: String, _ data: Data, to file: inout [UInt8])
  where Data.Element == UInt8 {
    let typeBytes = Array(type.utf8)
    enforce(typeBytes.count == 4)
    file.appendBigEndian(UInt32(data.count))
    let crcStart = file.count
    file += typeBytes
    file += data
    let crc = file[crcStart...].withContiguousStorageIfAvailable { bytes in
      crc32(0, bytes.baseAddress, uInt(bytes.count))
    }!
    file.appendBigEndian(UInt32(crc))
  }
}

extension Array where Element == UInt8 {
  /// Appends `value` as four bytes, most significant first (PNG's byte order).
  fileprivate mutating func appendBigEndian(_ value: UInt32) {
    append(contentsOf: [
      UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
    ])
  }
}
